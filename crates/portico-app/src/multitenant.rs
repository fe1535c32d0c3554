//! Applications as a tenant sees them: its own registrations, and multi-tenant applications
//! (`AzureADMultipleOrgs`) registered in another tenant, which its users may sign in to. As
//! in Entra, such an app gets a service principal in the user's tenant when a user of that
//! tenant first signs in to it; its secrets and certificates stay with the registration in its
//! home tenant.

use crate::{App, AppError};
use portico_domain::application::{Application, ServicePrincipal};
use portico_domain::audit::AuditCategory;
use portico_domain::tenant::Tenant;
use portico_domain::{AppId, TenantId};
use portico_store::StoreError;

/// The sign-in audience of multi-tenant applications.
pub const MULTI_TENANT: &str = "AzureADMultipleOrgs";

/// A client application as seen from one tenant.
#[derive(Debug, Clone)]
pub struct ClientApp {
    /// The registration (from its home tenant).
    pub app: Application,
    /// The tenant it is registered in.
    pub home: TenantId,
    /// Its service principal in the viewing tenant, if it has one yet.
    pub service_principal: Option<ServicePrincipal>,
}

impl App {
    /// Stores a service principal made on first use, audited as `by`; when another request made
    /// it first, returns that one.
    pub(crate) async fn add_service_principal_once(
        &self,
        tenant: &Tenant,
        sp: ServicePrincipal,
        by: &str,
    ) -> Result<ServicePrincipal, AppError> {
        let audit = crate::Context::system(by)
            .audit(
                self,
                AuditCategory::ApplicationManagement,
                "Add service principal",
                "Add",
            )
            .target("ServicePrincipal", sp.id, Some(&sp.display_name));
        match self
            .store
            .create_service_principal(tenant.id, &sp, &audit)
            .await
        {
            Ok(()) => {
                self.caches.clear_directory();
                Ok(sp)
            }
            Err(StoreError::Conflict { .. }) => Ok(self
                .store
                .find_service_principal_by_app_id(tenant.id, sp.app_id)
                .await?),
            Err(e) => Err(e.into()),
        }
    }

    /// The application `app_id` as `tenant` sees it: registered there, or multi-tenant and
    /// registered elsewhere. `None` when it is neither.
    pub async fn client_in_tenant(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<Option<ClientApp>, AppError> {
        let home = match self.store.application_home(app_id).await {
            Ok(h) => h,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let app = match self.store.find_application_by_app_id(home, app_id).await {
            Ok(a) => a,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        if home != tenant && app.sign_in_audience != MULTI_TENANT {
            return Ok(None);
        }
        let service_principal = match self
            .store
            .find_service_principal_by_app_id(tenant, app_id)
            .await
        {
            Ok(sp) => Some(sp),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        Ok(Some(ClientApp {
            app,
            home,
            service_principal,
        }))
    }

    /// Gives a multi-tenant application a service principal in `tenant` (first sign-in of one
    /// of its users), or returns the existing one.
    pub(crate) async fn provision_service_principal(
        &self,
        tenant: &Tenant,
        client: &ClientApp,
    ) -> Result<ServicePrincipal, AppError> {
        if let Some(sp) = &client.service_principal {
            return Ok(sp.clone());
        }
        let sp = ServicePrincipal::for_application(
            client.app.app_id,
            &client.app.display_name,
            client.home,
            self.clock.now(),
        );
        self.add_service_principal_once(tenant, sp, "Portico sign-in")
            .await
    }
}
