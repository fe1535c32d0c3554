//! The portal's applications pages: the tenant's app registrations, registering one (name and a
//! web redirect URI), and one app's page — its ids and redirect URIs, its client secrets (a new
//! one is shown once), and who is assigned to it (assign a person by email address, remove an
//! assignment). Each action is the use case Graph calls, run as the signed-in administrator;
//! reading needs an administrator role, changing one that manages applications (and, for
//! assignments, what Graph's assignment needs).

use crate::portal::PortalUser;
use crate::{App, AppError};
use portico_domain::application::{
    Application, NewApplication, PasswordCredential, RedirectUris, ServicePrincipal,
};
use portico_domain::directory_object::{ObjectKind, ObjectRef};
use portico_domain::paging::{Page, PageRequest};
use portico_domain::tenant::Tenant;
use portico_domain::{ApplicationId, ValidationError};

/// The default access role (Entra's all-zero id) that assignments from the portal give.
const DEFAULT_ACCESS: uuid::Uuid = uuid::Uuid::nil();
/// How long a secret made in the portal lives (Entra's portal default, 180 days).
pub const SECRET_DAYS: i64 = 180;

/// One app's page.
#[derive(Debug, Clone)]
pub struct AppView {
    /// The registration.
    pub app: Application,
    /// Its service principal in the tenant, if any.
    pub service_principal: Option<ServicePrincipal>,
    /// Who holds its roles: (assignment id, principal name, principal kind).
    pub assigned: Vec<(uuid::Uuid, String, &'static str)>,
}

fn admins_only(who: &PortalUser) -> Result<(), AppError> {
    if who.is_administrator() {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "The admin portal is for people with an administrator role.".into(),
        ))
    }
}

impl App {
    /// A page of the tenant's app registrations.
    pub async fn portal_apps(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        after: Option<uuid::Uuid>,
    ) -> Result<Page<Application>, AppError> {
        admins_only(who)?;
        Ok(self
            .store
            .list_applications(
                tenant.id,
                &PageRequest {
                    top: Some(crate::portal_users::USERS_PAGE),
                    after,
                },
            )
            .await?)
    }

    /// Registers a web application (with its service principal).
    pub async fn portal_register_app(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        name: &str,
        redirect_uri: &str,
    ) -> Result<Application, AppError> {
        let redirect = redirect_uri.trim();
        let (app, _) = self
            .register_application(
                &who.ctx,
                tenant.id,
                NewApplication {
                    display_name: name.trim().to_owned(),
                    redirect_uris: RedirectUris {
                        web: if redirect.is_empty() {
                            Vec::new()
                        } else {
                            vec![redirect.to_owned()]
                        },
                        ..RedirectUris::default()
                    },
                    ..NewApplication::default()
                },
            )
            .await?;
        Ok(app)
    }

    /// One app's page.
    pub async fn portal_app(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: ApplicationId,
    ) -> Result<AppView, AppError> {
        admins_only(who)?;
        let app = self.store.get_application(tenant.id, id).await?;
        let service_principal = match self
            .store
            .find_service_principal_by_app_id(tenant.id, app.app_id)
            .await
        {
            Ok(sp) => Some(sp),
            Err(portico_store::StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let mut assigned = Vec::new();
        if let Some(sp) = &service_principal {
            for a in self.store.app_role_assigned_to(tenant.id, sp.id).await? {
                let (name, kind) = match a.principal.kind {
                    ObjectKind::User => (
                        self.store
                            .get_user(tenant.id, portico_domain::UserId(a.principal.id))
                            .await
                            .map(|u| u.display_name)
                            .unwrap_or_default(),
                        "User",
                    ),
                    ObjectKind::Group => (
                        self.store
                            .get_group(tenant.id, portico_domain::GroupId(a.principal.id))
                            .await
                            .map(|g| g.display_name)
                            .unwrap_or_default(),
                        "Group",
                    ),
                    _ => continue,
                };
                assigned.push((a.id, name, kind));
            }
        }
        assigned.sort_by_key(|a| a.1.to_lowercase());
        Ok(AppView {
            app,
            service_principal,
            assigned,
        })
    }

    /// Adds a client secret (180 days); returns it with the secret text, shown once.
    pub async fn portal_new_secret(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: ApplicationId,
        description: &str,
    ) -> Result<(PasswordCredential, String), AppError> {
        admins_only(who)?;
        let app = self.store.get_application(tenant.id, id).await?;
        let d = description.trim();
        self.add_client_secret(
            &who.ctx,
            tenant.id,
            app.app_id,
            (!d.is_empty()).then_some(d),
            SECRET_DAYS,
        )
        .await
    }

    /// Assigns the person with `email` (address or user principal name) to the app (default
    /// access); returns what to say.
    pub async fn portal_assign(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: ApplicationId,
        email: &str,
    ) -> Result<String, AppError> {
        let view = self.portal_app(who, tenant, id).await?;
        let Some(sp) = view.service_principal else {
            return Err(ValidationError::new(
                "email",
                "this application has no service principal in the organization, so nobody can be assigned",
            )
            .into());
        };
        let email = portico_domain::validate::email("email", email)?;
        let user = match self.store.find_user_by_upn(tenant.id, &email).await {
            Ok(u) => Some(u),
            Err(portico_store::StoreError::NotFound(_)) => self
                .store
                .find_users_by_mail(tenant.id, &email)
                .await?
                .into_iter()
                .next(),
            Err(e) => return Err(e.into()),
        };
        let Some(user) = user else {
            return Err(ValidationError::new(
                "email",
                format!("{email} is not in the organization: invite them first"),
            )
            .into());
        };
        self.assign_app_role(
            &who.ctx,
            tenant.id,
            ObjectRef {
                kind: ObjectKind::User,
                id: user.id.0,
            },
            sp.id,
            DEFAULT_ACCESS,
        )
        .await?;
        Ok(format!(
            "{} is assigned to {}.",
            user.display_name, view.app.display_name
        ))
    }

    /// Removes an assignment of the app; returns what to say.
    pub async fn portal_unassign(
        &self,
        who: &PortalUser,
        tenant: &Tenant,
        id: ApplicationId,
        assignment: uuid::Uuid,
    ) -> Result<String, AppError> {
        let view = self.portal_app(who, tenant, id).await?;
        let (Some(sp), Some(shown)) = (
            view.service_principal,
            view.assigned.iter().find(|a| a.0 == assignment),
        ) else {
            return Err(AppError::NotFound("assignment"));
        };
        let Some(a) = self
            .store
            .app_role_assigned_to(tenant.id, sp.id)
            .await?
            .into_iter()
            .find(|a| a.id == assignment)
        else {
            return Err(AppError::NotFound("assignment"));
        };
        self.remove_app_role_assignment(&who.ctx, tenant.id, &a)
            .await?;
        Ok(format!("{} is no longer assigned.", shown.1))
    }
}
