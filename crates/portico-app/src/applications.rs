//! Application registrations with their service principals, client secrets and app role grants.

use crate::{App, AppError, Context};
use portico_domain::application::{
    AppRoleAssignment, Application, NewApplication, PasswordCredential, ServicePrincipal,
};
use portico_domain::audit::AuditCategory;
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::{AppId, KeyId, ServicePrincipalId, TenantId, ValidationError};
use portico_policy::directory::Action;
use portico_store::StoredSecret;

/// Longest a client secret may live, as Entra allows (2 years by default in the portal).
pub const MAX_SECRET_LIFETIME_DAYS: i64 = 730;

impl App {
    /// Registers an application and creates its service principal in the same tenant.
    pub async fn register_application(
        &self,
        ctx: &Context,
        tenant: TenantId,
        new: NewApplication,
    ) -> Result<(Application, ServicePrincipal), AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageApplications,
                AuditCategory::ApplicationManagement,
                "Add application",
                "Add",
            )
            .await?;
        let now = self.clock.now();
        let app = new.build(now)?;
        let audit = op
            .audit
            .clone()
            .target("Application", app.id, Some(&app.display_name));
        self.store.create_application(tenant, &app, &audit).await?;
        let sp = ServicePrincipal {
            id: ServicePrincipalId::new(),
            app_id: app.app_id,
            display_name: app.display_name.clone(),
            account_enabled: true,
            app_role_assignment_required: false,
            service_principal_type: "Application".into(),
            app_owner_organization_id: tenant,
            created_date_time: now,
        };
        let mut sp_audit = op
            .audit
            .target("ServicePrincipal", sp.id, Some(&sp.display_name));
        sp_audit.activity_display_name = "Add service principal".into();
        sp_audit.id = portico_domain::AuditEventId::new();
        self.store
            .create_service_principal(tenant, &sp, &sp_audit)
            .await?;
        self.caches.clear_directory();
        Ok((app, sp))
    }

    /// Authorizes a change to an application's secrets or certificates and starts its audit
    /// event (Entra's activity name for both).
    pub(crate) async fn begin_credential_change(
        &self,
        ctx: &Context,
        tenant: TenantId,
    ) -> Result<crate::context::Authorized, AppError> {
        self.begin(
            ctx,
            tenant,
            Action::ManageApplications,
            AuditCategory::ApplicationManagement,
            "Update application – Certificates and secrets management",
            "Update",
        )
        .await
    }

    /// Adds a client secret (Graph `addPassword`). Returns its public facts and the secret,
    /// which is not stored and cannot be shown again.
    pub async fn add_client_secret(
        &self,
        ctx: &Context,
        tenant: TenantId,
        app_id: AppId,
        display_name: Option<&str>,
        lifetime_days: i64,
    ) -> Result<(PasswordCredential, String), AppError> {
        let op = self.begin_credential_change(ctx, tenant).await?;
        if !(1..=MAX_SECRET_LIFETIME_DAYS).contains(&lifetime_days) {
            return Err(ValidationError::new(
                "passwordCredential.endDateTime",
                format!("a secret may live 1 to {MAX_SECRET_LIFETIME_DAYS} days"),
            )
            .into());
        }
        let app = self
            .store
            .find_application_by_app_id(tenant, app_id)
            .await?;
        let secret = portico_crypto::secret::client_secret();
        let now = self.clock.now();
        let credential = PasswordCredential {
            key_id: KeyId::new(),
            display_name: portico_domain::validate::optional_text(
                "displayName",
                display_name,
                256,
            )?,
            hint: secret.chars().take(3).collect(),
            start_date_time: now,
            end_date_time: now + time::Duration::days(lifetime_days),
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

    /// Grants a client application an application permission (app role) of a resource
    /// application, with admin consent: Graph's `appRoleAssignedTo` on the resource.
    pub async fn grant_app_role(
        &self,
        ctx: &Context,
        tenant: TenantId,
        client: AppId,
        resource: AppId,
        role_value: &str,
    ) -> Result<AppRoleAssignment, AppError> {
        let op = self
            .begin(
                ctx,
                tenant,
                Action::ManageApplications,
                AuditCategory::ApplicationManagement,
                "Add app role assignment to service principal",
                "Assign",
            )
            .await?;
        let client_sp = self
            .store
            .find_service_principal_by_app_id(tenant, client)
            .await?;
        let resource_sp = if resource == portico_domain::well_known::GRAPH_APP_ID {
            let t = self.store.get_tenant(tenant).await?;
            self.graph_service_principal(&t).await?
        } else {
            self.store
                .find_service_principal_by_app_id(tenant, resource)
                .await?
        };
        let resource_app = if resource == portico_domain::well_known::GRAPH_APP_ID {
            portico_domain::well_known::microsoft_graph()
        } else {
            self.store
                .find_application_by_app_id(tenant, resource)
                .await?
        };
        let role = resource_app
            .app_roles
            .iter()
            .find(|r| {
                r.value.as_deref() == Some(role_value)
                    && r.is_enabled
                    && r.allowed_member_types.iter().any(|t| t == "Application")
            })
            .ok_or_else(|| {
                ValidationError::new(
                    "appRoleId",
                    format!(
                        "'{}' has no enabled application role '{role_value}'",
                        resource_app.display_name
                    ),
                )
            })?;
        let assignment = AppRoleAssignment {
            id: uuid::Uuid::new_v4(),
            principal: ObjectRef {
                kind: ObjectKind::ServicePrincipal,
                id: client_sp.id.0,
            },
            resource_id: resource_sp.id,
            app_role_id: role.id,
            created_date_time: self.clock.now(),
        };
        let audit = op
            .audit
            .target(
                "ServicePrincipal",
                client_sp.id,
                Some(&client_sp.display_name),
            )
            .modified("AppRole.Value", None, Some(role_value.to_owned()));
        self.store
            .assign_app_role(tenant, &assignment, &audit)
            .await?;
        self.caches.clear_directory();
        Ok(assignment)
    }
}
