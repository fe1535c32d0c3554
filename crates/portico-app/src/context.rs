//! Who is acting, and the request's correlation id. Every use case takes a `Context`.

use crate::{App, AppError};
use portico_domain::audit::{AuditCategory, AuditEvent, AuditResult, Initiator};
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::role::DirectoryRole;
use portico_domain::{CorrelationId, TenantId, UserId};
use portico_policy::directory::{Action, any_role_allows};

/// The acting party.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// An operator with direct database access (CLI) or Portico itself (bootstrap, jobs):
    /// allowed everything, audited under this name.
    System {
        /// e.g. "Portico CLI".
        name: String,
    },
    /// A signed-in user of a tenant.
    User {
        /// Their tenant.
        tenant: TenantId,
        /// Their id.
        id: UserId,
        /// Their UPN.
        user_principal_name: String,
    },
    /// An application acting as itself (app-only Graph token) in a tenant, with the
    /// directory roles its application permissions amount to
    /// (`portico_policy::graph::app_equivalent_roles`).
    App {
        /// The tenant it acts in.
        tenant: TenantId,
        /// Client id.
        app_id: uuid::Uuid,
        /// Its service principal in the tenant.
        service_principal_id: uuid::Uuid,
        /// Name, for the audit log.
        display_name: String,
        /// Equivalent roles.
        roles: Vec<DirectoryRole>,
    },
}

/// The acting party and the correlation id that ties logs and audit events together.
#[derive(Debug, Clone)]
pub struct Context {
    /// Who.
    pub actor: Actor,
    /// The request's correlation id.
    pub correlation_id: CorrelationId,
}

impl Context {
    /// A system context (CLI, bootstrap, background jobs).
    #[must_use]
    pub fn system(name: &str) -> Self {
        Self {
            actor: Actor::System {
                name: name.to_owned(),
            },
            correlation_id: CorrelationId::new(),
        }
    }

    /// The audit initiator for this actor.
    #[must_use]
    pub fn initiator(&self) -> Initiator {
        match &self.actor {
            Actor::System { name } => Initiator::System { name: name.clone() },
            Actor::User {
                id,
                user_principal_name,
                ..
            } => Initiator::User {
                id: id.0,
                user_principal_name: user_principal_name.clone(),
            },
            Actor::App {
                app_id,
                service_principal_id,
                display_name,
                ..
            } => Initiator::App {
                app_id: *app_id,
                service_principal_id: *service_principal_id,
                display_name: display_name.clone(),
            },
        }
    }

    /// Starts a successful audit event for this actor.
    #[must_use]
    pub fn audit(
        &self,
        app: &App,
        category: AuditCategory,
        activity: &str,
        operation: &str,
    ) -> AuditEvent {
        AuditEvent::success(
            app.clock.now(),
            category,
            activity,
            operation,
            self.initiator(),
            self.correlation_id,
        )
    }
}

/// An authorized operation: the actor's roles, and the audit event to write with the change.
#[derive(Debug, Clone)]
pub struct Authorized {
    /// The roles the actor holds in the tenant (every role for the system actor).
    pub roles: Vec<DirectoryRole>,
    /// The success event for the change, to be completed with its targets.
    pub audit: AuditEvent,
}

impl App {
    /// Authorizes `action` (see [`App::authorize`]) and prepares the audit event that the
    /// change will be written with, so a use case names its activity once.
    pub async fn begin(
        &self,
        ctx: &Context,
        tenant: TenantId,
        action: Action,
        category: AuditCategory,
        activity: &str,
        operation: &str,
    ) -> Result<Authorized, AppError> {
        let roles = self
            .authorize(ctx, tenant, action, activity, category)
            .await?;
        Ok(Authorized {
            roles,
            audit: ctx.audit(self, category, activity, operation),
        })
    }

    /// The directory roles a user holds in a tenant.
    pub async fn roles_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<DirectoryRole>, AppError> {
        Ok(self
            .store
            .list_role_assignments(tenant, Some(user.0))
            .await?
            .into_iter()
            .map(|a| a.role)
            .collect())
    }

    /// Checks that the actor may perform `action` in `tenant`; a refusal is audited. Users of
    /// another tenant are refused as if the tenant did not exist.
    pub async fn authorize(
        &self,
        ctx: &Context,
        tenant: TenantId,
        action: Action,
        activity: &str,
        category: AuditCategory,
    ) -> Result<Vec<DirectoryRole>, AppError> {
        match &ctx.actor {
            Actor::System { .. } => Ok(DirectoryRole::ALL.to_vec()),
            Actor::User { tenant: home, .. } | Actor::App { tenant: home, .. }
                if *home != tenant =>
            {
                Err(AppError::NotFound("tenant"))
            }
            Actor::App { roles, .. } => {
                if any_role_allows(roles, action) {
                    return Ok(roles.clone());
                }
                self.refused(ctx, tenant, activity, category).await
            }
            Actor::User { id, .. } => {
                // A deleted or blocked account keeps its role assignments but may not use them.
                let active = match self.store.get_user(tenant, *id).await {
                    Ok(u) => u.account_enabled,
                    Err(portico_store::StoreError::NotFound(_)) => false,
                    Err(e) => return Err(e.into()),
                };
                let roles = if active {
                    self.roles_of(tenant, *id).await?
                } else {
                    Vec::new()
                };
                if any_role_allows(&roles, action) {
                    return Ok(roles);
                }
                self.refused(ctx, tenant, activity, category).await
            }
        }
    }

    /// Audits a refusal and returns it.
    async fn refused(
        &self,
        ctx: &Context,
        tenant: TenantId,
        activity: &str,
        category: AuditCategory,
    ) -> Result<Vec<DirectoryRole>, AppError> {
        let mut event = ctx.audit(self, category, activity, "Other");
        event.result = AuditResult::Failure;
        event.result_reason = Some("Insufficient privileges to complete the operation.".into());
        self.store.record_audit(tenant, &event).await?;
        Err(AppError::Forbidden(
            "Insufficient privileges to complete the operation.".into(),
        ))
    }
}

/// A reference to a user as a directory object.
#[must_use]
pub fn user_ref(id: UserId) -> ObjectRef {
    ObjectRef {
        kind: ObjectKind::User,
        id: id.0,
    }
}
