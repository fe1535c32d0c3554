//! Application registrations, their client secrets, and service principals.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::application::{
    Application, PasswordCredential, RedirectUris, ServicePrincipal,
};
use portico_domain::audit::AuditEvent;
use portico_domain::paging::{Page, PageRequest};
use portico_domain::{AppId, ApplicationId, KeyId, ServicePrincipalId, TenantId};

/// A stored client secret: its public facts and its hash (never the secret).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSecret {
    /// Public facts.
    pub credential: PasswordCredential,
    /// The secret's hash (see `portico-crypto`).
    pub secret_hash: String,
}

/// Application and service principal storage.
#[async_trait]
pub trait ApplicationStore: Send + Sync {
    /// Registers an application. Conflict `ux_applications_app_id`.
    async fn create_application(
        &self,
        tenant: TenantId,
        app: &Application,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads an application with its credentials' public facts.
    async fn get_application(
        &self,
        tenant: TenantId,
        id: ApplicationId,
    ) -> Result<Application, StoreError>;
    /// Finds an application by client id.
    async fn find_application_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<Application, StoreError>;
    /// The tenant an application is registered in (appIds are unique across tenants). Not
    /// tenant-scoped by nature: a multi-tenant app signs in users of other tenants.
    async fn application_home(&self, app_id: AppId) -> Result<TenantId, StoreError>;
    /// Finds the application with this identifier URI (exact match).
    async fn find_application_by_identifier_uri(
        &self,
        tenant: TenantId,
        uri: &str,
    ) -> Result<Application, StoreError>;
    /// Lists applications in id order.
    async fn list_applications(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<Application>, StoreError>;
    /// Writes an application's mutable properties (not its credentials).
    async fn update_application(
        &self,
        tenant: TenantId,
        app: &Application,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Deletes an application and its secrets.
    async fn delete_application(
        &self,
        tenant: TenantId,
        id: ApplicationId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Adds a client secret, stored hashed.
    async fn add_application_secret(
        &self,
        tenant: TenantId,
        app: ApplicationId,
        secret: &StoredSecret,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes a client secret.
    async fn remove_application_secret(
        &self,
        tenant: TenantId,
        app: ApplicationId,
        key_id: KeyId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// An application's secrets with their hashes, for client authentication.
    async fn application_secrets(
        &self,
        tenant: TenantId,
        app: ApplicationId,
    ) -> Result<Vec<StoredSecret>, StoreError>;
    /// The secrets of the application with client id `app_id` (empty when there is no such
    /// application): one query, for the token endpoint's hot path.
    async fn application_secrets_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<Vec<StoredSecret>, StoreError>;
    /// Creates a service principal. Conflict `ux_service_principals_app_id`.
    async fn create_service_principal(
        &self,
        tenant: TenantId,
        sp: &ServicePrincipal,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a service principal.
    async fn get_service_principal(
        &self,
        tenant: TenantId,
        id: ServicePrincipalId,
    ) -> Result<ServicePrincipal, StoreError>;
    /// Finds the tenant's service principal for an appId.
    async fn find_service_principal_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<ServicePrincipal, StoreError>;
    /// Lists service principals in id order.
    async fn list_service_principals(
        &self,
        tenant: TenantId,
        page: &PageRequest,
    ) -> Result<Page<ServicePrincipal>, StoreError>;
    /// Deletes a service principal with its memberships and role assignments.
    async fn delete_service_principal(
        &self,
        tenant: TenantId,
        id: ServicePrincipalId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

pub(crate) fn application_from_row(
    r: &impl RowExt,
    creds: Vec<PasswordCredential>,
) -> Result<Application, StoreError> {
    let redirect_uris: RedirectUris = r.json("redirect_uris")?;
    Ok(Application {
        id: ApplicationId(r.uuid("id")?),
        app_id: AppId(r.uuid("app_id")?),
        display_name: r.text("display_name")?,
        sign_in_audience: r.text("sign_in_audience")?,
        redirect_uris,
        app_roles: r.json("app_roles")?,
        oauth2_permission_scopes: r.json("oauth2_permission_scopes")?,
        required_resource_access: r.json("required_resource_access")?,
        identifier_uris: r.json("identifier_uris")?,
        password_credentials: creds,
        created_date_time: r.ts("created_at")?,
        deleted_date_time: r.opt_ts("deleted_at")?,
    })
}

pub(crate) fn secret_from_row(
    r: &impl RowExt,
) -> Result<(ApplicationId, StoredSecret), StoreError> {
    Ok((
        ApplicationId(r.uuid("application_id")?),
        StoredSecret {
            credential: PasswordCredential {
                key_id: KeyId(r.uuid("key_id")?),
                display_name: r.opt_text("display_name")?,
                hint: r.text("hint")?,
                start_date_time: r.ts("start_at")?,
                end_date_time: r.ts("end_at")?,
            },
            secret_hash: r.text("secret_hash")?,
        },
    ))
}

pub(crate) fn service_principal_from_row(r: &impl RowExt) -> Result<ServicePrincipal, StoreError> {
    Ok(ServicePrincipal {
        id: ServicePrincipalId(r.uuid("id")?),
        app_id: AppId(r.uuid("app_id")?),
        display_name: r.text("display_name")?,
        account_enabled: r.flag("account_enabled")?,
        app_role_assignment_required: r.flag("app_role_assignment_required")?,
        service_principal_type: r.text("service_principal_type")?,
        app_owner_organization_id: TenantId(r.uuid("app_owner_tenant_id")?),
        created_date_time: r.ts("created_at")?,
    })
}

/// Groups secrets by application, keeping only their public facts.
pub(crate) fn credentials_by_app(
    secrets: Vec<(ApplicationId, StoredSecret)>,
) -> std::collections::HashMap<ApplicationId, Vec<PasswordCredential>> {
    let mut map: std::collections::HashMap<ApplicationId, Vec<PasswordCredential>> =
        std::collections::HashMap::new();
    for (app, s) in secrets {
        map.entry(app).or_default().push(s.credential);
    }
    map
}

macro_rules! app_columns {
    () => {
        "id, app_id, display_name, sign_in_audience, redirect_uris, app_roles, oauth2_permission_scopes, required_resource_access, identifier_uris, created_at, deleted_at"
    };
}
pub(crate) use app_columns;

macro_rules! sp_columns {
    () => {
        "id, app_id, display_name, account_enabled, app_role_assignment_required, service_principal_type, app_owner_tenant_id, created_at"
    };
}
pub(crate) use sp_columns;

macro_rules! application_store_impl {
    ($store:ty) => {
        impl $store {
            async fn load_application(&self, tenant: portico_domain::TenantId, row: Option<<<$store as $crate::backend::HasDb>::Db as sqlx::Database>::Row>) -> Result<portico_domain::application::Application, $crate::StoreError> {
                let row = row.ok_or($crate::StoreError::NotFound("application"))?;
                let id: uuid::Uuid = sqlx::Row::try_get(&row, "id")?;
                let secrets = sqlx::query("SELECT application_id, key_id, display_name, hint, secret_hash, start_at, end_at FROM application_secrets WHERE tenant_id = $1 AND application_id = $2 ORDER BY start_at, key_id")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map($crate::applications::secret_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                let creds = secrets.into_iter().map(|(_, s)| s.credential).collect();
                $crate::applications::application_from_row(&row, creds)
            }

            /// Makes the identifier URI index match the application's list.
            async fn sync_identifier_uris(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                a: &portico_domain::application::Application,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("DELETE FROM application_identifier_uris WHERE tenant_id = $1 AND application_id = $2")
                    .bind(tenant.0)
                    .bind(a.id.0)
                    .execute(&mut **tx)
                    .await?;
                for uri in &a.identifier_uris {
                    sqlx::query("INSERT INTO application_identifier_uris (tenant_id, uri, application_id) VALUES ($1, $2, $3)")
                        .bind(tenant.0)
                        .bind(uri)
                        .bind(a.id.0)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::ApplicationStore for $store {
            async fn create_application(&self, tenant: portico_domain::TenantId, a: &portico_domain::application::Application, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO applications (tenant_id, id, app_id, display_name, sign_in_audience, redirect_uris, app_roles, oauth2_permission_scopes, required_resource_access, identifier_uris, created_at, deleted_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)")
                    .bind(tenant.0)
                    .bind(a.id.0)
                    .bind(a.app_id.0)
                    .bind(&a.display_name)
                    .bind(&a.sign_in_audience)
                    .bind($crate::row::to_json(&a.redirect_uris)?)
                    .bind($crate::row::to_json(&a.app_roles)?)
                    .bind($crate::row::to_json(&a.oauth2_permission_scopes)?)
                    .bind($crate::row::to_json(&a.required_resource_access)?)
                    .bind($crate::row::to_json(&a.identifier_uris)?)
                    .bind($crate::ts::Ts(a.created_date_time))
                    .execute(&mut *tx)
                    .await?;
                Self::sync_identifier_uris(&mut tx, tenant, a).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_application(&self, tenant: portico_domain::TenantId, id: portico_domain::ApplicationId) -> Result<portico_domain::application::Application, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::applications::app_columns!(), " FROM applications WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?;
                self.load_application(tenant, row).await
            }

            async fn find_application_by_app_id(&self, tenant: portico_domain::TenantId, app_id: portico_domain::AppId) -> Result<portico_domain::application::Application, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::applications::app_columns!(), " FROM applications WHERE tenant_id = $1 AND app_id = $2"))
                    .bind(tenant.0)
                    .bind(app_id.0)
                    .fetch_optional(&self.pool)
                    .await?;
                self.load_application(tenant, row).await
            }

            async fn application_home(&self, app_id: portico_domain::AppId) -> Result<portico_domain::TenantId, $crate::StoreError> {
                let row: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT tenant_id FROM applications WHERE app_id = $1")
                    .bind(app_id.0)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|r| portico_domain::TenantId(r.0)).ok_or($crate::StoreError::NotFound("application"))
            }

            async fn find_application_by_identifier_uri(&self, tenant: portico_domain::TenantId, uri: &str) -> Result<portico_domain::application::Application, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::applications::app_columns!(), " FROM applications WHERE tenant_id = $1 AND id = (SELECT application_id FROM application_identifier_uris WHERE tenant_id = $1 AND uri = $2)"))
                    .bind(tenant.0)
                    .bind(uri)
                    .fetch_optional(&self.pool)
                    .await?;
                self.load_application(tenant, row).await
            }

            async fn list_applications(&self, tenant: portico_domain::TenantId, page: &portico_domain::paging::PageRequest) -> Result<portico_domain::paging::Page<portico_domain::application::Application>, $crate::StoreError> {
                let limit = page.limit();
                let rows = sqlx::query(concat!("SELECT ", $crate::applications::app_columns!(), " FROM applications WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"))
                    .bind(tenant.0)
                    .bind(page.after)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?;
                let secrets = sqlx::query("SELECT application_id, key_id, display_name, hint, secret_hash, start_at, end_at FROM application_secrets WHERE tenant_id = $1 AND application_id IN (SELECT id FROM applications WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3) ORDER BY start_at, key_id")
                    .bind(tenant.0)
                    .bind(page.after)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?
                    .iter()
                    .map($crate::applications::secret_from_row)
                    .collect::<Result<Vec<_>, _>>()?;
                let mut by_app = $crate::applications::credentials_by_app(secrets);
                let mut items = Vec::with_capacity(rows.len());
                for row in &rows {
                    let id = portico_domain::ApplicationId(sqlx::Row::try_get(row, "id")?);
                    items.push($crate::applications::application_from_row(row, by_app.remove(&id).unwrap_or_default())?);
                }
                let next = if items.len() > limit as usize {
                    items.truncate(limit as usize);
                    items.last().map(|a| a.id.0)
                } else {
                    None
                };
                Ok(portico_domain::paging::Page { items, next })
            }

            async fn update_application(&self, tenant: portico_domain::TenantId, a: &portico_domain::application::Application, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE applications SET display_name = $3, sign_in_audience = $4, redirect_uris = $5, app_roles = $6, oauth2_permission_scopes = $7, required_resource_access = $8, identifier_uris = $9 WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(a.id.0)
                    .bind(&a.display_name)
                    .bind(&a.sign_in_audience)
                    .bind($crate::row::to_json(&a.redirect_uris)?)
                    .bind($crate::row::to_json(&a.app_roles)?)
                    .bind($crate::row::to_json(&a.oauth2_permission_scopes)?)
                    .bind($crate::row::to_json(&a.required_resource_access)?)
                    .bind($crate::row::to_json(&a.identifier_uris)?)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("application"));
                }
                Self::sync_identifier_uris(&mut tx, tenant, a).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_application(&self, tenant: portico_domain::TenantId, id: portico_domain::ApplicationId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let app_id: Option<uuid::Uuid> = sqlx::query_scalar("SELECT app_id FROM applications WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                let app_id = app_id.ok_or($crate::StoreError::NotFound("application"))?;
                sqlx::query("DELETE FROM applications WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?;
                // the application's own service principal goes with it (with its grants, role
                // assignments and memberships)
                let sp: Option<uuid::Uuid> = sqlx::query_scalar("DELETE FROM service_principals WHERE tenant_id = $1 AND app_id = $2 RETURNING id")
                    .bind(tenant.0)
                    .bind(app_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                if let Some(sp) = sp {
                    Self::delete_object_links(&mut tx, tenant, sp).await?;
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_application_secret(&self, tenant: portico_domain::TenantId, app: portico_domain::ApplicationId, s: &$crate::applications::StoredSecret, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let exists = sqlx::query("SELECT 1 AS found FROM applications WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(app.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err($crate::StoreError::NotFound("application"));
                }
                sqlx::query("INSERT INTO application_secrets (tenant_id, application_id, key_id, display_name, hint, secret_hash, start_at, end_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(tenant.0)
                    .bind(app.0)
                    .bind(s.credential.key_id.0)
                    .bind(&s.credential.display_name)
                    .bind(&s.credential.hint)
                    .bind(&s.secret_hash)
                    .bind($crate::ts::Ts(s.credential.start_date_time))
                    .bind($crate::ts::Ts(s.credential.end_date_time))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_application_secret(&self, tenant: portico_domain::TenantId, app: portico_domain::ApplicationId, key_id: portico_domain::KeyId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM application_secrets WHERE tenant_id = $1 AND application_id = $2 AND key_id = $3")
                    .bind(tenant.0)
                    .bind(app.0)
                    .bind(key_id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("password credential"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn application_secrets(&self, tenant: portico_domain::TenantId, app: portico_domain::ApplicationId) -> Result<Vec<$crate::applications::StoredSecret>, $crate::StoreError> {
                let rows = sqlx::query("SELECT application_id, key_id, display_name, hint, secret_hash, start_at, end_at FROM application_secrets WHERE tenant_id = $1 AND application_id = $2 ORDER BY start_at, key_id")
                    .bind(tenant.0)
                    .bind(app.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::applications::secret_from_row(r).map(|(_, s)| s)).collect()
            }

            async fn application_secrets_by_app_id(&self, tenant: portico_domain::TenantId, app_id: portico_domain::AppId) -> Result<Vec<$crate::applications::StoredSecret>, $crate::StoreError> {
                let rows = sqlx::query("SELECT s.application_id, s.key_id, s.display_name, s.hint, s.secret_hash, s.start_at, s.end_at FROM application_secrets s JOIN applications a ON a.tenant_id = s.tenant_id AND a.id = s.application_id WHERE a.tenant_id = $1 AND a.app_id = $2 ORDER BY s.start_at, s.key_id")
                    .bind(tenant.0)
                    .bind(app_id.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::applications::secret_from_row(r).map(|(_, s)| s)).collect()
            }

            async fn create_service_principal(&self, tenant: portico_domain::TenantId, sp: &portico_domain::application::ServicePrincipal, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO service_principals (tenant_id, id, app_id, display_name, account_enabled, app_role_assignment_required, service_principal_type, app_owner_tenant_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(tenant.0)
                    .bind(sp.id.0)
                    .bind(sp.app_id.0)
                    .bind(&sp.display_name)
                    .bind(sp.account_enabled)
                    .bind(sp.app_role_assignment_required)
                    .bind(&sp.service_principal_type)
                    .bind(sp.app_owner_organization_id.0)
                    .bind($crate::ts::Ts(sp.created_date_time))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_service_principal(&self, tenant: portico_domain::TenantId, id: portico_domain::ServicePrincipalId) -> Result<portico_domain::application::ServicePrincipal, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::applications::sp_columns!(), " FROM service_principals WHERE tenant_id = $1 AND id = $2"))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("servicePrincipal"))?;
                $crate::applications::service_principal_from_row(&row)
            }

            async fn find_service_principal_by_app_id(&self, tenant: portico_domain::TenantId, app_id: portico_domain::AppId) -> Result<portico_domain::application::ServicePrincipal, $crate::StoreError> {
                let row = sqlx::query(concat!("SELECT ", $crate::applications::sp_columns!(), " FROM service_principals WHERE tenant_id = $1 AND app_id = $2"))
                    .bind(tenant.0)
                    .bind(app_id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("servicePrincipal"))?;
                $crate::applications::service_principal_from_row(&row)
            }

            async fn list_service_principals(&self, tenant: portico_domain::TenantId, page: &portico_domain::paging::PageRequest) -> Result<portico_domain::paging::Page<portico_domain::application::ServicePrincipal>, $crate::StoreError> {
                let limit = page.limit();
                let rows = sqlx::query(concat!("SELECT ", $crate::applications::sp_columns!(), " FROM service_principals WHERE tenant_id = $1 AND ($2 IS NULL OR id > $2) ORDER BY id LIMIT $3"))
                    .bind(tenant.0)
                    .bind(page.after)
                    .bind(i64::from(limit) + 1)
                    .fetch_all(&self.pool)
                    .await?;
                let mut items = rows.iter().map($crate::applications::service_principal_from_row).collect::<Result<Vec<_>, _>>()?;
                let next = if items.len() > limit as usize {
                    items.truncate(limit as usize);
                    items.last().map(|s| s.id.0)
                } else {
                    None
                };
                Ok(portico_domain::paging::Page { items, next })
            }

            async fn delete_service_principal(&self, tenant: portico_domain::TenantId, id: portico_domain::ServicePrincipalId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM service_principals WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("servicePrincipal"));
                }
                Self::delete_object_links(&mut tx, tenant, id.0).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use application_store_impl;
