//! Graph-style queries over applications, service principals and delegated permission grants
//! (`$filter`, `$orderby`, `$search`, keyset paging; the same builder as users and groups), and
//! the writes the Graph API adds to them.

use crate::StoreError;
use portico_domain::application::{Application, ServicePrincipal};
use portico_domain::audit::AuditEvent;
use portico_domain::grant::PermissionGrant;
use portico_domain::odata::{Cursor, ListQuery};
use portico_domain::{PermissionGrantId, TenantId};

/// A page of query results with the cursor of the next page.
pub type QueryPage<T> = (Vec<T>, Option<Cursor>);

/// Queries and writes over applications, service principals and permission grants.
#[async_trait::async_trait]
pub trait AppDirectoryStore {
    /// A page of applications matching a validated OData query (with their secrets' public
    /// facts).
    async fn query_applications(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<QueryPage<Application>, StoreError>;
    /// How many applications match.
    async fn count_query_applications(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<u64, StoreError>;
    /// A page of service principals matching a validated OData query.
    async fn query_service_principals(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<QueryPage<ServicePrincipal>, StoreError>;
    /// How many service principals match.
    async fn count_query_service_principals(
        &self,
        tenant: TenantId,
        query: &ListQuery,
    ) -> Result<u64, StoreError>;
    /// Writes a service principal's mutable properties (`displayName`, `accountEnabled`,
    /// `appRoleAssignmentRequired`).
    async fn update_service_principal(
        &self,
        tenant: TenantId,
        sp: &ServicePrincipal,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// A page of delegated permission grants matching a validated OData query.
    async fn query_permission_grants(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<QueryPage<PermissionGrant>, StoreError>;
    /// Records a new delegated permission grant; conflict
    /// [`crate::constraint::PERMISSION_GRANT`] when the client already has one for the resource
    /// and principal (never replaces it).
    async fn insert_permission_grant(
        &self,
        tenant: TenantId,
        grant: &PermissionGrant,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// One delegated permission grant.
    async fn get_permission_grant(
        &self,
        tenant: TenantId,
        id: PermissionGrantId,
    ) -> Result<PermissionGrant, StoreError>;
    /// Replaces a grant's scopes.
    async fn update_permission_grant_scope(
        &self,
        tenant: TenantId,
        id: PermissionGrantId,
        scope: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Deletes a grant (refresh tokens issued under it stop at their next use, when consent is
    /// checked again).
    async fn delete_permission_grant(
        &self,
        tenant: TenantId,
        id: PermissionGrantId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

/// An application row without its secrets (they are loaded for the page in one query).
pub(crate) fn application_without_secrets(
    r: &impl crate::row::RowExt,
) -> Result<Application, StoreError> {
    crate::applications::application_from_row(r, Vec::new())
}

macro_rules! app_directory_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::app_directory::AppDirectoryStore for $store {
            async fn query_applications(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<$crate::app_directory::QueryPage<portico_domain::application::Application>, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::application_column);
                sql.conditions(query)?;
                let key = sql.sort_key(query)?;
                sql.page(query, after, limit)?;
                let head = format!(
                    concat!("SELECT ", $crate::applications::app_columns!(), "{} FROM applications WHERE tenant_id = $1"),
                    key.as_deref().map(|k| format!(", {k} AS sort_key")).unwrap_or_default()
                );
                let (mut items, next) = $crate::query_sql::fetch_page!(&self.pool, head, sql, key.is_some(), limit, $crate::app_directory::application_without_secrets, |a: &portico_domain::application::Application| a.id.0);
                if !items.is_empty() {
                    let marks = (0..items.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(", ");
                    let text = format!("SELECT application_id, key_id, display_name, hint, secret_hash, start_at, end_at FROM application_secrets WHERE tenant_id = $1 AND application_id IN ({marks}) ORDER BY start_at, key_id");
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(text)).bind(tenant.0);
                    for a in &items {
                        q = q.bind(a.id.0);
                    }
                    let secrets = q
                        .fetch_all(&self.pool)
                        .await?
                        .iter()
                        .map($crate::applications::secret_from_row)
                        .collect::<Result<Vec<_>, _>>()?;
                    let mut by_app = $crate::applications::credentials_by_app(secrets);
                    for a in &mut items {
                        a.password_credentials = by_app.remove(&a.id).unwrap_or_default();
                    }
                }
                Ok((items, next))
            }

            async fn count_query_applications(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery) -> Result<u64, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::application_column);
                sql.conditions(query)?;
                let text = format!("SELECT COUNT(*) FROM applications WHERE tenant_id = $1{}", sql.text);
                let n: i64 = $crate::query_sql::bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(text)), &sql.binds)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn query_service_principals(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<$crate::app_directory::QueryPage<portico_domain::application::ServicePrincipal>, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::service_principal_column);
                sql.conditions(query)?;
                let key = sql.sort_key(query)?;
                sql.page(query, after, limit)?;
                let head = format!(
                    concat!("SELECT ", $crate::applications::sp_columns!(), "{} FROM service_principals WHERE tenant_id = $1"),
                    key.as_deref().map(|k| format!(", {k} AS sort_key")).unwrap_or_default()
                );
                Ok($crate::query_sql::fetch_page!(&self.pool, head, sql, key.is_some(), limit, $crate::applications::service_principal_from_row, |s: &portico_domain::application::ServicePrincipal| s.id.0))
            }

            async fn count_query_service_principals(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery) -> Result<u64, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::service_principal_column);
                sql.conditions(query)?;
                let text = format!("SELECT COUNT(*) FROM service_principals WHERE tenant_id = $1{}", sql.text);
                let n: i64 = $crate::query_sql::bind_all!(sqlx::query_scalar(sqlx::AssertSqlSafe(text)), &sql.binds)
                    .fetch_one(&self.pool)
                    .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            }

            async fn update_service_principal(&self, tenant: portico_domain::TenantId, sp: &portico_domain::application::ServicePrincipal, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE service_principals SET display_name = $3, account_enabled = $4, app_role_assignment_required = $5 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(sp.id.0)
                    .bind(&sp.display_name)
                    .bind(sp.account_enabled)
                    .bind(sp.app_role_assignment_required)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("servicePrincipal"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn query_permission_grants(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<$crate::app_directory::QueryPage<portico_domain::grant::PermissionGrant>, $crate::StoreError> {
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::permission_grant_column);
                sql.conditions(query)?;
                sql.page(query, after, limit)?;
                let head = "SELECT id, client_id, consent_type, principal_id, resource_id, scope, created_at FROM permission_grants WHERE tenant_id = $1";
                Ok($crate::query_sql::fetch_page!(&self.pool, head, sql, false, limit, $crate::grants::permission_grant_from_row, |g: &portico_domain::grant::PermissionGrant| g.id.0))
            }

            async fn insert_permission_grant(&self, tenant: portico_domain::TenantId, g: &portico_domain::grant::PermissionGrant, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let (kind, principal) = $crate::grants::principal_column(g.consent_type);
                sqlx::query("INSERT INTO permission_grants (tenant_id, id, client_id, consent_type, principal_id, resource_id, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(tenant.0)
                    .bind(g.id.0)
                    .bind(g.client_id.0)
                    .bind(kind)
                    .bind(principal)
                    .bind(g.resource_id.0)
                    .bind(&g.scope)
                    .bind($crate::ts::Ts(g.created_at))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_permission_grant(&self, tenant: portico_domain::TenantId, id: portico_domain::PermissionGrantId) -> Result<portico_domain::grant::PermissionGrant, $crate::StoreError> {
                let row = sqlx::query("SELECT id, client_id, consent_type, principal_id, resource_id, scope, created_at FROM permission_grants WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("oAuth2PermissionGrant"))?;
                $crate::grants::permission_grant_from_row(&row)
            }

            async fn update_permission_grant_scope(&self, tenant: portico_domain::TenantId, id: portico_domain::PermissionGrantId, scope: &str, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE permission_grants SET scope = $3 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind(scope)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("oAuth2PermissionGrant"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_permission_grant(&self, tenant: portico_domain::TenantId, id: portico_domain::PermissionGrantId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM permission_grants WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("oAuth2PermissionGrant"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use app_directory_store_impl;
