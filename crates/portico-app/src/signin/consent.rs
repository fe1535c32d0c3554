//! Delegated permissions: which resource and scopes a request means, which of them the user
//! (or an administrator for everyone) has already granted, and recording new consent as
//! Graph `oAuth2PermissionGrant`s. OpenID scopes are Microsoft Graph's, as in Entra.

use super::request::{ResourceName, ScopeRequest};
use crate::{App, AppError};
use portico_domain::application::{Application, ServicePrincipal};
use portico_domain::audit::AuditCategory;
use portico_domain::grant::{ConsentType, PermissionGrant};
use portico_domain::role::DirectoryRole;
use portico_domain::tenant::Tenant;
use portico_domain::user::User;
use portico_domain::well_known::{self, GRAPH_APP_ID, OIDC_SCOPES};
use portico_domain::{AppId, PermissionGrantId};
use portico_store::StoreError;

/// One permission on the consent page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentItem {
    /// The scope value.
    pub value: String,
    /// What it allows, for people.
    pub description: String,
    /// Only an administrator may grant it.
    pub admin_only: bool,
}

/// A request's scopes resolved against the directory.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub(crate) client_sp: ServicePrincipal,
    pub(crate) graph_sp: ServicePrincipal,
    pub(crate) resource_app: Application,
    pub(crate) resource_sp: ServicePrincipal,
    /// Resource scope values the token would carry.
    pub(crate) values: Vec<String>,
    /// OpenID scopes asked.
    pub(crate) oidc: Vec<String>,
}

impl Resolved {
    pub(crate) fn is_graph(&self) -> bool {
        self.resource_app.app_id == GRAPH_APP_ID
    }
}

/// Why scopes cannot be resolved: an OAuth error for the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScopeError {
    pub(crate) error: &'static str,
    pub(crate) description: String,
}

impl App {
    /// Microsoft Graph's service principal in `tenant`, created on first use.
    pub async fn graph_service_principal(
        &self,
        tenant: &Tenant,
    ) -> Result<ServicePrincipal, AppError> {
        match self
            .store
            .find_service_principal_by_app_id(tenant.id, GRAPH_APP_ID)
            .await
        {
            Ok(sp) => return Ok(sp),
            Err(StoreError::NotFound(_)) => {}
            Err(e) => return Err(e.into()),
        }
        let sp = ServicePrincipal::for_application(
            GRAPH_APP_ID,
            well_known::GRAPH_NAME,
            well_known::MICROSOFT_TENANT_ID,
            self.clock.now(),
        );
        self.add_service_principal_once(tenant, sp, "Portico").await
    }

    /// The application definition behind a resource appId: Graph's built-in one, or the
    /// tenant's registration.
    pub(crate) async fn resource_application(
        &self,
        tenant: &Tenant,
        app_id: AppId,
    ) -> Result<Option<Application>, AppError> {
        if app_id == GRAPH_APP_ID {
            return Ok(Some(well_known::microsoft_graph()));
        }
        match self
            .store
            .find_application_by_app_id(tenant.id, app_id)
            .await
        {
            Ok(a) => Ok(Some(a)),
            Err(StoreError::NotFound(_)) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Resolves requested scopes for `client` acting for `user`.
    pub(crate) async fn resolve_scopes(
        &self,
        tenant: &Tenant,
        client: &Application,
        client_sp: ServicePrincipal,
        scopes: &ScopeRequest,
        user: Option<&User>,
    ) -> Result<Result<Resolved, ScopeError>, AppError> {
        let graph_sp = self.graph_service_principal(tenant).await?;
        let resource_app = match &scopes.resource {
            ResourceName::Graph => well_known::microsoft_graph(),
            ResourceName::Named(name) => match self.find_resource_by_name(tenant, name).await? {
                Some(a) => a,
                None => {
                    return Ok(Err(ScopeError {
                        error: "invalid_resource",
                        description: format!(
                            "AADSTS500011: The resource principal named {} was not found in the tenant named {}.",
                            name.chars().take(200).collect::<String>(),
                            tenant.display_name
                        ),
                    }));
                }
            },
        };
        let resource_sp = if resource_app.app_id == GRAPH_APP_ID {
            graph_sp.clone()
        } else {
            match self
                .store
                .find_service_principal_by_app_id(tenant.id, resource_app.app_id)
                .await
            {
                Ok(sp) if sp.account_enabled => sp,
                Ok(_) | Err(StoreError::NotFound(_)) => {
                    return Ok(Err(ScopeError {
                        error: "invalid_resource",
                        description: format!(
                            "The resource '{}' is not enabled in the tenant named {}.",
                            resource_app.display_name, tenant.display_name
                        ),
                    }));
                }
                Err(e) => return Err(e.into()),
            }
        };
        let mut values = Vec::new();
        for v in &scopes.values {
            let known = resource_app
                .oauth2_permission_scopes
                .iter()
                .any(|s| s.is_enabled && s.value == *v && !OIDC_SCOPES.contains(&v.as_str()));
            if !known {
                return Ok(Err(ScopeError {
                    error: "invalid_scope",
                    description: format!(
                        "AADSTS65005: The application '{}' asked for scope '{}' that doesn't exist on the resource '{}'.",
                        client.display_name,
                        v.chars().take(100).collect::<String>(),
                        resource_app.display_name
                    ),
                }));
            }
            values.push(v.clone());
        }
        if scopes.default {
            // Statically configured permissions, plus whatever was granted.
            for rra in client
                .required_resource_access
                .iter()
                .filter(|r| r.resource_app_id == resource_app.app_id.0)
            {
                for ra in rra.resource_access.iter().filter(|r| r.kind == "Scope") {
                    if let Some(s) = resource_app
                        .oauth2_permission_scopes
                        .iter()
                        .find(|s| s.id == ra.id && s.is_enabled)
                        && !values.contains(&s.value)
                    {
                        values.push(s.value.clone());
                    }
                }
            }
            for g in self
                .store
                .permission_grants(tenant.id, client_sp.id, resource_sp.id, user.map(|u| u.id))
                .await?
            {
                for s in g.scopes() {
                    if !OIDC_SCOPES.contains(&s) && !values.iter().any(|v| v == s) {
                        values.push(s.to_owned());
                    }
                }
            }
        }
        Ok(Ok(Resolved {
            client_sp,
            graph_sp,
            resource_app,
            resource_sp,
            values,
            oidc: scopes.oidc.clone(),
        }))
    }

    /// What `user` has not yet granted (or everything asked, when `all`).
    pub(crate) async fn missing_consent(
        &self,
        tenant: &Tenant,
        user: &User,
        r: &Resolved,
        all: bool,
    ) -> Result<Vec<ConsentItem>, AppError> {
        let granted =
            |grants: &[PermissionGrant], v: &str| grants.iter().any(|g| g.scopes().any(|s| s == v));
        let graph_grants = self
            .store
            .permission_grants(tenant.id, r.client_sp.id, r.graph_sp.id, Some(user.id))
            .await?;
        let resource_grants = if r.is_graph() {
            graph_grants.clone()
        } else {
            self.store
                .permission_grants(tenant.id, r.client_sp.id, r.resource_sp.id, Some(user.id))
                .await?
        };
        let granted_for_all = |grants: &[PermissionGrant], v: &str| {
            grants
                .iter()
                .filter(|g| g.consent_type == ConsentType::AllPrincipals)
                .any(|g| g.scopes().any(|s| s == v))
        };
        // With prompt=consent (`all`), everything is asked again except what an administrator
        // granted for everyone and only an administrator could grant.
        let wanted = |item: &ConsentItem, grants: &[PermissionGrant]| {
            if all {
                !(item.admin_only && granted_for_all(grants, &item.value))
            } else {
                !granted(grants, &item.value)
            }
        };
        let graph = well_known::microsoft_graph();
        let mut items = Vec::new();
        for v in &r.oidc {
            let item = describe(&graph, v);
            if wanted(&item, &graph_grants) {
                items.push(item);
            }
        }
        for v in &r.values {
            let item = describe(&r.resource_app, v);
            if wanted(&item, &resource_grants) {
                items.push(item);
            }
        }
        Ok(items)
    }

    /// Whether `user` may consent for the whole organization.
    pub(crate) async fn may_consent_for_organization(
        &self,
        tenant: &Tenant,
        user: &User,
    ) -> Result<bool, AppError> {
        Ok(self.roles_of(tenant.id, user.id).await?.iter().any(|r| {
            matches!(
                r,
                DirectoryRole::GlobalAdministrator | DirectoryRole::ApplicationAdministrator
            )
        }))
    }

    /// Records consent to `items` (one grant per resource, merged with earlier ones).
    pub(crate) async fn record_consent(
        &self,
        tenant: &Tenant,
        user: &User,
        r: &Resolved,
        items: &[ConsentItem],
        for_organization: bool,
    ) -> Result<(), AppError> {
        let consent_type = if for_organization {
            ConsentType::AllPrincipals
        } else {
            ConsentType::Principal(user.id)
        };
        // Consent for the organization covers everything the app asked for, not only what
        // the administrator had not yet granted for themself.
        let chosen: Vec<&str> = if for_organization {
            r.oidc.iter().chain(&r.values).map(String::as_str).collect()
        } else {
            items.iter().map(|i| i.value.as_str()).collect()
        };
        let graph_values: Vec<&str> = chosen
            .iter()
            .copied()
            .filter(|v| {
                r.oidc.iter().any(|o| o == v) || (r.is_graph() && r.values.iter().any(|x| x == v))
            })
            .collect();
        let resource_values: Vec<&str> = if r.is_graph() {
            Vec::new()
        } else {
            chosen
                .iter()
                .copied()
                .filter(|v| r.values.iter().any(|x| x == v))
                .collect()
        };
        for (sp, values) in [
            (&r.graph_sp, graph_values),
            (&r.resource_sp, resource_values),
        ] {
            if values.is_empty() {
                continue;
            }
            let existing = self
                .store
                .permission_grants(tenant.id, r.client_sp.id, sp.id, Some(user.id))
                .await?;
            let mut scope: Vec<String> = existing
                .iter()
                .filter(|g| g.consent_type == consent_type)
                .flat_map(|g| g.scopes().map(str::to_owned).collect::<Vec<_>>())
                .collect();
            for v in values {
                if !scope.iter().any(|s| s == v) {
                    scope.push(v.to_owned());
                }
            }
            let grant = PermissionGrant {
                id: PermissionGrantId::new(),
                client_id: r.client_sp.id,
                consent_type,
                resource_id: sp.id,
                scope: scope.join(" "),
                created_at: self.clock.now(),
            };
            let audit = crate::Context {
                actor: crate::Actor::User {
                    tenant: tenant.id,
                    id: user.id,
                    user_principal_name: user.user_principal_name.clone(),
                },
                correlation_id: portico_domain::CorrelationId::new(),
            }
            .audit(
                self,
                AuditCategory::ApplicationManagement,
                "Consent to application",
                "Assign",
            )
            .target(
                "ServicePrincipal",
                r.client_sp.id,
                Some(&r.client_sp.display_name),
            )
            .modified("ConsentAction.Permissions", None, Some(grant.scope.clone()));
            self.store
                .put_permission_grant(tenant.id, &grant, &audit)
                .await?;
        }
        Ok(())
    }
}

fn describe(app: &Application, value: &str) -> ConsentItem {
    let s = app
        .oauth2_permission_scopes
        .iter()
        .find(|s| s.value == value);
    ConsentItem {
        value: value.to_owned(),
        description: s
            .and_then(|s| s.user_consent_display_name.clone())
            .or_else(|| s.map(|s| s.admin_consent_display_name.clone()))
            .unwrap_or_else(|| value.to_owned()),
        admin_only: s.is_some_and(|s| s.kind == "Admin"),
    }
}
