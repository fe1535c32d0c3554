//! Graph `applications` and `servicePrincipals`: reads with OData queries (by object id or by
//! `appId`), and the changes, through the application use cases (`app_management`).

use super::users::GraphPage;
use super::{Caller, GraphRefusal, GraphResult};
use crate::App;
use crate::app_management::ServicePrincipalPatch;
use portico_domain::application::{
    Application, NewApplication, PasswordCredential, ServicePrincipal,
};
use portico_domain::application_patch::ApplicationPatch;
use portico_domain::odata::ListQuery;
use portico_domain::paging::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use portico_domain::{AppId, ApplicationId, KeyId, ServicePrincipalId};
use portico_policy::graph::GraphAction;
use portico_store::StoreError;
use std::collections::HashMap;
use time::OffsetDateTime;

/// How a request names an application or service principal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKey {
    /// `/applications/{id}`: the object id.
    Id(uuid::Uuid),
    /// `/applications(appId='{appId}')`: the client id.
    AppId(uuid::Uuid),
}

impl AppKey {
    /// Parses a path key: an object id, or `appId='…'` (the inside of Graph's key syntax).
    #[must_use]
    pub fn parse(key: &str) -> Option<Self> {
        if let Some(rest) = key.strip_prefix("appId=") {
            let inner = rest.trim_matches('\'');
            return inner.parse().ok().map(Self::AppId);
        }
        key.parse().ok().map(Self::Id)
    }
}

/// A service principal with the application definition it stands for (its app roles and
/// delegated scopes), when that still exists.
#[derive(Debug, Clone)]
pub struct ServicePrincipalView {
    /// The service principal.
    pub sp: ServicePrincipal,
    /// Its application.
    pub app: Option<Application>,
}

fn not_found(key: &str) -> GraphRefusal {
    GraphRefusal::NotFound(key.chars().take(200).collect())
}

fn limit(top: Option<u32>) -> u32 {
    top.unwrap_or(DEFAULT_PAGE_SIZE).clamp(1, MAX_PAGE_SIZE)
}

impl App {
    /// Seals the next page's cursor, if any.
    fn next_token(
        &self,
        caller: &Caller,
        collection: &str,
        query: &ListQuery,
        next: Option<portico_domain::odata::Cursor>,
    ) -> GraphResult<Option<String>> {
        Ok(match next {
            Some(c) => Some(self.seal_cursor(caller, collection, query, &c)?),
            None => None,
        })
    }

    fn after(
        &self,
        caller: &Caller,
        collection: &str,
        query: &ListQuery,
        skiptoken: Option<&str>,
    ) -> GraphResult<Option<portico_domain::odata::Cursor>> {
        Ok(match skiptoken {
            Some(t) => Some(self.open_cursor(caller, collection, query, t)?),
            None => None,
        })
    }

    /// `GET /applications`.
    pub async fn graph_list_applications(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<Application>> {
        caller.require(GraphAction::ReadApplications)?;
        let after = self.after(caller, "applications", query, skiptoken)?;
        let (items, next) = self
            .store
            .query_applications(caller.tenant.id, query, after.as_ref(), limit(top))
            .await?;
        let next = self.next_token(caller, "applications", query, next)?;
        Ok(GraphPage { items, next })
    }

    /// `GET /applications/$count`.
    pub async fn graph_count_applications(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> GraphResult<u64> {
        caller.require(GraphAction::ReadApplications)?;
        Ok(self
            .store
            .count_query_applications(caller.tenant.id, query)
            .await?)
    }

    /// Finds an application of the caller's tenant after checking `action`.
    async fn graph_find_application(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<Application> {
        caller.require(action)?;
        let tenant = caller.tenant.id;
        let found = match AppKey::parse(key) {
            Some(AppKey::Id(id)) => self.store.get_application(tenant, ApplicationId(id)).await,
            Some(AppKey::AppId(id)) => {
                self.store
                    .find_application_by_app_id(tenant, AppId(id))
                    .await
            }
            None => Err(StoreError::NotFound("application")),
        };
        match found {
            Ok(a) => Ok(a),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /applications/{id}` and `/applications(appId='…')`.
    pub async fn graph_get_application(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<Application> {
        self.graph_find_application(caller, key, GraphAction::ReadApplications)
            .await
    }

    /// `POST /applications`.
    pub async fn graph_create_application(
        &self,
        caller: &Caller,
        new: NewApplication,
    ) -> GraphResult<Application> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        Ok(self.create_application(&ctx, caller.tenant.id, new).await?)
    }

    /// `PATCH /applications/{id}`.
    pub async fn graph_update_application(
        &self,
        caller: &Caller,
        key: &str,
        patch: ApplicationPatch,
    ) -> GraphResult<Application> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let app = self
            .graph_find_application(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .update_application(&ctx, caller.tenant.id, app.id, patch)
            .await?)
    }

    /// `DELETE /applications/{id}`.
    pub async fn graph_delete_application(&self, caller: &Caller, key: &str) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let app = self
            .graph_find_application(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .delete_application(&ctx, caller.tenant.id, app.id)
            .await?)
    }

    /// `POST /applications/{id}/addPassword`: the new credential and its secret text (shown
    /// once).
    pub async fn graph_add_password(
        &self,
        caller: &Caller,
        key: &str,
        display_name: Option<&str>,
        end: Option<OffsetDateTime>,
    ) -> GraphResult<(PasswordCredential, String)> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let app = self
            .graph_find_application(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .add_client_secret_until(&ctx, caller.tenant.id, app.id, display_name, end)
            .await?)
    }

    /// `POST /applications/{id}/removePassword`.
    pub async fn graph_remove_password(
        &self,
        caller: &Caller,
        key: &str,
        key_id: KeyId,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let app = self
            .graph_find_application(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .remove_client_secret(&ctx, caller.tenant.id, app.id, key_id)
            .await?)
    }

    /// Attaches each service principal's application definition (looked up once per appId).
    async fn sp_views(
        &self,
        caller: &Caller,
        sps: Vec<ServicePrincipal>,
    ) -> GraphResult<Vec<ServicePrincipalView>> {
        let mut apps: HashMap<AppId, Option<Application>> = HashMap::new();
        let mut out = Vec::with_capacity(sps.len());
        for sp in sps {
            let app = match apps.get(&sp.app_id) {
                Some(a) => a.clone(),
                None => {
                    let a = self.app_of_service_principal(&caller.tenant, &sp).await?;
                    apps.insert(sp.app_id, a.clone());
                    a
                }
            };
            out.push(ServicePrincipalView { sp, app });
        }
        Ok(out)
    }

    /// `GET /servicePrincipals`. Microsoft Graph's own service principal is always listed (it
    /// is created on first use), so that scripts can find the ids of its app roles.
    pub async fn graph_list_service_principals(
        &self,
        caller: &Caller,
        query: &ListQuery,
        top: Option<u32>,
        skiptoken: Option<&str>,
    ) -> GraphResult<GraphPage<ServicePrincipalView>> {
        caller.require(GraphAction::ReadApplications)?;
        self.graph_service_principal(&caller.tenant).await?;
        let after = self.after(caller, "servicePrincipals", query, skiptoken)?;
        let (items, next) = self
            .store
            .query_service_principals(caller.tenant.id, query, after.as_ref(), limit(top))
            .await?;
        let next = self.next_token(caller, "servicePrincipals", query, next)?;
        Ok(GraphPage {
            items: self.sp_views(caller, items).await?,
            next,
        })
    }

    /// `GET /servicePrincipals/$count`.
    pub async fn graph_count_service_principals(
        &self,
        caller: &Caller,
        query: &ListQuery,
    ) -> GraphResult<u64> {
        caller.require(GraphAction::ReadApplications)?;
        self.graph_service_principal(&caller.tenant).await?;
        Ok(self
            .store
            .count_query_service_principals(caller.tenant.id, query)
            .await?)
    }

    /// Finds a service principal of the caller's tenant after checking `action`.
    pub(crate) async fn graph_find_service_principal(
        &self,
        caller: &Caller,
        key: &str,
        action: GraphAction,
    ) -> GraphResult<ServicePrincipal> {
        caller.require(action)?;
        let tenant = caller.tenant.id;
        let found = match AppKey::parse(key) {
            Some(AppKey::Id(id)) => {
                self.store
                    .get_service_principal(tenant, ServicePrincipalId(id))
                    .await
            }
            Some(AppKey::AppId(id)) if AppId(id) == portico_domain::well_known::GRAPH_APP_ID => {
                Ok(self.graph_service_principal(&caller.tenant).await?)
            }
            Some(AppKey::AppId(id)) => {
                self.store
                    .find_service_principal_by_app_id(tenant, AppId(id))
                    .await
            }
            None => Err(StoreError::NotFound("servicePrincipal")),
        };
        match found {
            Ok(sp) => Ok(sp),
            Err(StoreError::NotFound(_)) => Err(not_found(key).into()),
            Err(e) => Err(e.into()),
        }
    }

    /// `GET /servicePrincipals/{id}` and `/servicePrincipals(appId='…')`.
    pub async fn graph_get_service_principal(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<ServicePrincipalView> {
        let sp = self
            .graph_find_service_principal(caller, key, GraphAction::ReadApplications)
            .await?;
        let app = self.app_of_service_principal(&caller.tenant, &sp).await?;
        Ok(ServicePrincipalView { sp, app })
    }

    /// `POST /servicePrincipals` with `appId`.
    pub async fn graph_create_service_principal(
        &self,
        caller: &Caller,
        app_id: AppId,
    ) -> GraphResult<ServicePrincipalView> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let sp = self
            .create_service_principal(&ctx, caller.tenant.id, app_id)
            .await?;
        let app = self.app_of_service_principal(&caller.tenant, &sp).await?;
        Ok(ServicePrincipalView { sp, app })
    }

    /// `PATCH /servicePrincipals/{id}`.
    pub async fn graph_update_service_principal(
        &self,
        caller: &Caller,
        key: &str,
        patch: ServicePrincipalPatch,
    ) -> GraphResult<ServicePrincipal> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let sp = self
            .graph_find_service_principal(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .update_service_principal(&ctx, caller.tenant.id, sp.id, patch)
            .await?)
    }

    /// `DELETE /servicePrincipals/{id}`.
    pub async fn graph_delete_service_principal(
        &self,
        caller: &Caller,
        key: &str,
    ) -> GraphResult<()> {
        let ctx = self
            .graph_context(caller, GraphAction::WriteApplications)
            .await?;
        let sp = self
            .graph_find_service_principal(caller, key, GraphAction::WriteApplications)
            .await?;
        Ok(self
            .delete_service_principal(&ctx, caller.tenant.id, sp.id)
            .await?)
    }
}
