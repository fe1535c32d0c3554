//! Changes to applications and service principals beyond registration: updates, deletion,
//! secrets by date, service principals on their own, app role assignments of any principal,
//! and delegated permission grants. Each change is authorized (Application Administrator or
//! Global Administrator), validated, audited and written in one transaction.

use crate::{App, AppError, Context};
use portico_domain::application::{
    AppRoleAssignment, Application, NewApplication, PasswordCredential, ServicePrincipal,
};
use portico_domain::application_patch::ApplicationPatch;
use portico_domain::audit::AuditCategory;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::grant::{ConsentType, PermissionGrant};
use portico_domain::well_known::GRAPH_APP_ID;
use portico_domain::{
    AppId, ApplicationId, KeyId, PermissionGrantId, ServicePrincipalId, TenantId, ValidationError,
};
use portico_policy::directory::Action;
use portico_store::{StoreError, StoredSecret};
use time::OffsetDateTime;

/// What a service principal update may change; `None` leaves a property as it is.
#[derive(Debug, Clone, Default)]
pub struct ServicePrincipalPatch {
    /// `displayName`.
    pub display_name: Option<String>,
    /// `accountEnabled`: a disabled service principal gets no tokens.
    pub account_enabled: Option<bool>,
    /// `appRoleAssignmentRequired`: users need an assignment to sign in to the app.
    pub app_role_assignment_required: Option<bool>,
}

/// The longest scope string a grant may hold.
const MAX_SCOPE_LEN: usize = 4000;

impl App {
    async fn begin_apps(
        &self,
        ctx: &Context,
        tenant: TenantId,
        activity: &str,
        operation: &str,
    ) -> Result<crate::context::Authorized, AppError> {
        self.begin(
            ctx,
            tenant,
            Action::ManageApplications,
            AuditCategory::ApplicationManagement,
            activity,
            operation,
        )
        .await
    }

    /// Registers an application without a service principal (Graph `POST /applications`;
    /// the service principal is created with `POST /servicePrincipals`).
    pub async fn create_application(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewApplication,
    ) -> Result<Application, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Add application", "Add")
            .await?;
        let app = new.build(self.clock.now())?;
        let audit = op
            .audit
            .target("Application", app.id, Some(&app.display_name));
        self.store.create_application(tenant, &app, &audit).await?;
        Ok(app)
    }

    /// Changes an application registration (see [`ApplicationPatch`]).
    pub async fn update_application(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ApplicationId,
        patch: ApplicationPatch,
    ) -> Result<Application, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Update application", "Update")
            .await?;
        let before = self.store.get_application(tenant, id).await?;
        let after = patch.apply(&before)?;
        let mut audit = op
            .audit
            .target("Application", after.id, Some(&after.display_name));
        if before.display_name != after.display_name {
            audit = audit.modified(
                "DisplayName",
                Some(before.display_name.clone()),
                Some(after.display_name.clone()),
            );
        }
        self.store
            .update_application(tenant, &after, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(after)
    }

    /// Deletes an application registration with its secrets and its service principal in
    /// this tenant. Its service principals in other tenants stay, but it can no longer sign in
    /// anywhere (its registration is gone).
    pub async fn delete_application(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ApplicationId,
    ) -> Result<(), AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Delete application", "Delete")
            .await?;
        let app = self.store.get_application(tenant, id).await?;
        let audit = op
            .audit
            .target("Application", app.id, Some(&app.display_name));
        self.store.delete_application(tenant, id, &audit).await?;
        self.caches.clear_directory();
        Ok(())
    }

    /// Adds a client secret valid until `end` (Graph `addPassword`). Returns its public facts
    /// and the secret, which is stored only hashed and cannot be shown again.
    pub async fn add_client_secret_until(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ApplicationId,
        display_name: Option<&str>,
        end: Option<OffsetDateTime>,
    ) -> Result<(PasswordCredential, String), AppError> {
        let op = self.begin_credential_change(ctx, tenant).await?;
        let now = self.clock.now();
        let max = now + time::Duration::days(crate::applications::MAX_SECRET_LIFETIME_DAYS);
        let end = end.unwrap_or(max);
        if end <= now || end > max {
            return Err(ValidationError::new(
                "passwordCredential.endDateTime",
                format!(
                    "must be in the future and at most {} days from now",
                    crate::applications::MAX_SECRET_LIFETIME_DAYS
                ),
            )
            .into());
        }
        let app = self.store.get_application(tenant, id).await?;
        if app.password_credentials.len() >= 100 {
            return Err(ValidationError::new(
                "passwordCredentials",
                "an application may have at most 100 secrets; remove unused ones first",
            )
            .into());
        }
        let secret = portico_crypto::secret::client_secret();
        let credential = PasswordCredential {
            key_id: KeyId::new(),
            display_name: portico_domain::validate::optional_text(
                "passwordCredential.displayName",
                display_name,
                256,
            )?,
            hint: secret.chars().take(3).collect(),
            start_date_time: now,
            end_date_time: end,
        };
        let stored = StoredSecret {
            credential: credential.clone(),
            secret_hash: self.keys.hash_secret(&secret),
        };
        let audit = op
            .audit
            .target("Application", app.id, Some(&app.display_name));
        self.store
            .add_application_secret(tenant, app.id, &stored, &audit)
            .await?;
        self.caches.clear_directory();
        Ok((credential, secret))
    }

    /// Removes a client secret (Graph `removePassword`); it stops working at once here and
    /// within the client cache's lifetime on other replicas.
    pub async fn remove_client_secret(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ApplicationId,
        key_id: KeyId,
    ) -> Result<(), AppError> {
        let op = self.begin_credential_change(ctx, tenant).await?;
        let app = self.store.get_application(tenant, id).await?;
        let audit = op
            .audit
            .target("Application", app.id, Some(&app.display_name))
            .modified("KeyId", Some(key_id.to_string()), None);
        match self
            .store
            .remove_application_secret(tenant, id, key_id, &audit)
            .await
        {
            Ok(()) => {}
            Err(StoreError::NotFound(_)) => {
                return Err(ValidationError::new(
                    "keyId",
                    format!("the application has no password credential with keyId {key_id}"),
                )
                .into());
            }
            Err(e) => return Err(e.into()),
        }
        self.caches.clear_directory();
        Ok(())
    }

    /// Creates the service principal of an application in `tenant`: one registered here, a
    /// multi-tenant one registered elsewhere, or Microsoft Graph.
    pub async fn create_service_principal(
        &self,
        ctx: &Context,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<ServicePrincipal, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Add service principal", "Add")
            .await?;
        let now = self.clock.now();
        let sp = if app_id == GRAPH_APP_ID {
            ServicePrincipal::for_application(
                GRAPH_APP_ID,
                portico_domain::well_known::GRAPH_NAME,
                portico_domain::well_known::MICROSOFT_TENANT_ID,
                now,
            )
        } else {
            let Some(client) = self.client_in_tenant(tenant, app_id).await? else {
                return Err(ValidationError::new(
                    "appId",
                    format!(
                        "no application with appId {app_id} is registered in this tenant or available to it as a multi-tenant application"
                    ),
                )
                .into());
            };
            ServicePrincipal::for_application(app_id, &client.app.display_name, client.home, now)
        };
        let audit = op
            .audit
            .target("ServicePrincipal", sp.id, Some(&sp.display_name));
        match self
            .store
            .create_service_principal(tenant, &sp, &audit)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    message: format!(
                        "The application {app_id} already has a service principal in this tenant."
                    ),
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.caches.clear_directory();
        Ok(sp)
    }

    /// Changes a service principal (see [`ServicePrincipalPatch`]).
    pub async fn update_service_principal(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ServicePrincipalId,
        patch: ServicePrincipalPatch,
    ) -> Result<ServicePrincipal, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Update service principal", "Update")
            .await?;
        let mut sp = self.store.get_service_principal(tenant, id).await?;
        let mut audit = op
            .audit
            .target("ServicePrincipal", sp.id, Some(&sp.display_name));
        if let Some(name) = patch.display_name {
            sp.display_name = portico_domain::validate::display_name("displayName", &name)?;
        }
        if let Some(enabled) = patch.account_enabled {
            if sp.app_id == GRAPH_APP_ID && !enabled {
                return Err(ValidationError::new(
                    "accountEnabled",
                    "Microsoft Graph's service principal cannot be disabled",
                )
                .into());
            }
            if enabled != sp.account_enabled {
                audit = audit.modified(
                    "AccountEnabled",
                    Some(sp.account_enabled.to_string()),
                    Some(enabled.to_string()),
                );
            }
            sp.account_enabled = enabled;
        }
        if let Some(required) = patch.app_role_assignment_required {
            sp.app_role_assignment_required = required;
        }
        self.store
            .update_service_principal(tenant, &sp, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(sp)
    }

    /// Deletes a service principal with its grants, assignments and memberships; the
    /// application registration stays. Microsoft Graph's cannot be deleted.
    pub async fn delete_service_principal(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: ServicePrincipalId,
    ) -> Result<(), AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Remove service principal", "Delete")
            .await?;
        let sp = self.store.get_service_principal(tenant, id).await?;
        if sp.app_id == GRAPH_APP_ID {
            return Err(AppError::Precondition(
                "Microsoft Graph's service principal cannot be deleted.".into(),
            ));
        }
        let audit = op
            .audit
            .target("ServicePrincipal", sp.id, Some(&sp.display_name));
        self.store
            .delete_service_principal(tenant, id, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(())
    }

    /// Assigns `principal` (a user, group or service principal of the tenant) the app role
    /// `app_role_id` of the resource service principal `resource`. Users and groups may hold
    /// roles allowed for `User` (or the default access role, the all-zero id, when the
    /// resource defines no user roles); service principals roles allowed for `Application`.
    pub async fn assign_app_role(
        &self,
        ctx: &Context,
        tenant: TenantId,
        principal: ObjectRef,
        resource: ServicePrincipalId,
        app_role_id: uuid::Uuid,
    ) -> Result<AppRoleAssignment, AppError> {
        let activity = match principal.kind {
            ObjectKind::User => "Add app role assignment grant to user",
            ObjectKind::Group => "Add app role assignment to group",
            ObjectKind::ServicePrincipal => "Add app role assignment to service principal",
        };
        let resource_sp = self.store.get_service_principal(tenant, resource).await?;
        // an application permission of Microsoft Graph is directory power: granting one is role
        // management (Privileged Role or Global Administrator), not application management
        let action = if resource_sp.app_id == GRAPH_APP_ID
            && principal.kind == ObjectKind::ServicePrincipal
        {
            Action::ManageRoles
        } else {
            Action::ManageApplications
        };
        let op = self
            .begin(
                ctx,
                tenant,
                action,
                AuditCategory::ApplicationManagement,
                activity,
                "Assign",
            )
            .await?;
        let t = self.store.get_tenant(tenant).await?;
        let Some(resource_app) = self.app_of_service_principal(&t, &resource_sp).await? else {
            return Err(AppError::Precondition(
                "The resource's application registration no longer exists.".into(),
            ));
        };
        let member_type = match principal.kind {
            ObjectKind::ServicePrincipal => "Application",
            ObjectKind::User | ObjectKind::Group => "User",
        };
        let role_ok = if app_role_id.is_nil() {
            member_type == "User"
        } else {
            resource_app.app_roles.iter().any(|r| {
                r.id == app_role_id
                    && r.is_enabled
                    && r.allowed_member_types.iter().any(|t| t == member_type)
            })
        };
        if !role_ok {
            return Err(ValidationError::new(
                "appRoleId",
                format!(
                    "'{}' has no enabled app role {app_role_id} that a {} may hold",
                    resource_app.display_name,
                    principal.kind.as_str()
                ),
            )
            .into());
        }
        let assignment = AppRoleAssignment {
            id: uuid::Uuid::new_v4(),
            principal,
            resource_id: resource,
            app_role_id,
            created_date_time: self.clock.now(),
        };
        let audit = op
            .audit
            .target(principal.kind.as_str(), principal.id, None)
            .modified("AppRole.Id", None, Some(app_role_id.to_string()));
        match self
            .store
            .assign_app_role(tenant, &assignment, &audit)
            .await
        {
            Ok(()) => {}
            Err(StoreError::Conflict { .. }) => {
                return Err(AppError::Conflict {
                    message: "Permission being assigned already exists on the object".into(),
                });
            }
            Err(StoreError::NotFound(_)) => {
                return Err(AppError::NotFound("directoryObject"));
            }
            Err(e) => return Err(e.into()),
        }
        self.caches.clear_directory();
        Ok(assignment)
    }

    /// Removes an app role assignment.
    pub async fn remove_app_role_assignment(
        &self,
        ctx: &Context,
        tenant: TenantId,
        assignment: &AppRoleAssignment,
    ) -> Result<(), AppError> {
        let op = self
            .begin_apps(
                ctx,
                tenant,
                "Remove app role assignment from service principal",
                "Unassign",
            )
            .await?;
        let audit = op
            .audit
            .target(
                assignment.principal.kind.as_str(),
                assignment.principal.id,
                None,
            )
            .modified("AppRole.Id", Some(assignment.app_role_id.to_string()), None);
        self.store
            .remove_app_role_assignment(tenant, assignment.id, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(())
    }

    /// The application definition behind a service principal: Graph's, the tenant's own
    /// registration, or a multi-tenant registration elsewhere.
    pub async fn app_of_service_principal(
        &self,
        tenant: &portico_domain::tenant::Tenant,
        sp: &ServicePrincipal,
    ) -> Result<Option<Application>, AppError> {
        if sp.app_id == GRAPH_APP_ID {
            return Ok(Some(portico_domain::well_known::microsoft_graph()));
        }
        Ok(self
            .client_in_tenant(tenant.id, sp.app_id)
            .await?
            .map(|c| c.app))
    }

    /// Records a delegated permission grant (Graph `POST /oauth2PermissionGrants`). Every scope
    /// must be one the resource exposes; a grant for the same client, resource and principal
    /// may exist only once.
    pub async fn create_permission_grant(
        &self,
        ctx: &Context,
        tenant: TenantId,
        client: ServicePrincipalId,
        resource: ServicePrincipalId,
        consent: ConsentType,
        scope: &str,
    ) -> Result<PermissionGrant, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Add delegated permission grant", "Add")
            .await?;
        let scope = self.checked_scope(tenant, resource, scope).await?;
        let client_sp = self.store.get_service_principal(tenant, client).await?;
        if let ConsentType::Principal(user) = consent {
            self.store.get_user(tenant, user).await?;
        }
        let user = match consent {
            ConsentType::AllPrincipals => None,
            ConsentType::Principal(u) => Some(u),
        };
        let existing = self
            .store
            .permission_grants(tenant, client, resource, user)
            .await?;
        if existing.iter().any(|g| g.consent_type == consent) {
            let kind = if user.is_some() {
                "Principal"
            } else {
                "AllPrincipals"
            };
            return Err(AppError::Conflict {
                message: format!(
                    "A permission grant with consentType {kind} already exists for this client, resource and principal: update its scope instead."
                ),
            });
        }
        let grant = PermissionGrant {
            id: PermissionGrantId::new(),
            client_id: client,
            consent_type: consent,
            resource_id: resource,
            scope,
            created_at: self.clock.now(),
        };
        let audit = op
            .audit
            .target(
                "ServicePrincipal",
                client_sp.id,
                Some(&client_sp.display_name),
            )
            .modified(
                "DelegatedPermissionGrant.Scope",
                None,
                Some(grant.scope.clone()),
            );
        match self
            .store
            .insert_permission_grant(tenant, &grant, &audit)
            .await
        {
            Ok(()) => {}
            Err(e) if e.is_conflict_on(portico_store::constraint::PERMISSION_GRANT) => {
                return Err(AppError::Conflict {
                    message: "A permission grant already exists for this client, resource and principal: update its scope instead.".into(),
                });
            }
            Err(e) => return Err(e.into()),
        }
        self.caches.clear_directory();
        Ok(grant)
    }

    /// Replaces the scopes of a delegated permission grant.
    pub async fn update_permission_grant(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: PermissionGrantId,
        scope: &str,
    ) -> Result<PermissionGrant, AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Update delegated permission grant", "Update")
            .await?;
        let mut grant = self.store.get_permission_grant(tenant, id).await?;
        let scope = self.checked_scope(tenant, grant.resource_id, scope).await?;
        let audit = op
            .audit
            .target("ServicePrincipal", grant.client_id, None)
            .modified(
                "DelegatedPermissionGrant.Scope",
                Some(grant.scope.clone()),
                Some(scope.clone()),
            );
        self.store
            .update_permission_grant_scope(tenant, id, &scope, &audit)
            .await?;
        grant.scope = scope;
        self.caches.clear_directory();
        Ok(grant)
    }

    /// Deletes a delegated permission grant: the client must ask for consent again.
    pub async fn delete_permission_grant(
        &self,
        ctx: &Context,
        tenant: TenantId,
        id: PermissionGrantId,
    ) -> Result<(), AppError> {
        let op = self
            .begin_apps(ctx, tenant, "Remove delegated permission grant", "Delete")
            .await?;
        let grant = self.store.get_permission_grant(tenant, id).await?;
        let audit = op
            .audit
            .target("ServicePrincipal", grant.client_id, None)
            .modified("DelegatedPermissionGrant.Scope", Some(grant.scope), None);
        self.store
            .delete_permission_grant(tenant, id, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(())
    }

    /// Normalizes a space-separated scope list and checks every value is an enabled scope of
    /// the resource.
    async fn checked_scope(
        &self,
        tenant: TenantId,
        resource: ServicePrincipalId,
        scope: &str,
    ) -> Result<String, AppError> {
        if scope.len() > MAX_SCOPE_LEN {
            return Err(ValidationError::new("scope", "is too long").into());
        }
        let resource_sp = self.store.get_service_principal(tenant, resource).await?;
        let t = self.store.get_tenant(tenant).await?;
        let app = self
            .app_of_service_principal(&t, &resource_sp)
            .await?
            .ok_or_else(|| {
                AppError::Precondition(
                    "The resource's application registration no longer exists.".into(),
                )
            })?;
        let mut out: Vec<&str> = Vec::new();
        for s in scope.split_whitespace() {
            if !app
                .oauth2_permission_scopes
                .iter()
                .any(|p| p.is_enabled && p.value == s)
            {
                return Err(ValidationError::new(
                    "scope",
                    format!(
                        "'{}' exposes no delegated permission '{s}'",
                        app.display_name
                    ),
                )
                .into());
            }
            if !out.contains(&s) {
                out.push(s);
            }
        }
        Ok(out.join(" "))
    }
}
