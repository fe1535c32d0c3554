//! Identity providers of a tenant (`identity_providers`, migration 0015): one row per provider
//! and Graph id, its non-secret settings as a JSON document and its client secret sealed by the
//! caller. The store keeps the text as given; `portico_domain::identity_provider` reads it.

use crate::StoreError;
use crate::row::RowExt;
use portico_domain::TenantId;
use portico_domain::audit::AuditEvent;
use time::OffsetDateTime;

/// An identity provider as stored (`Debug` leaves out the sealed secret).
#[derive(Clone, PartialEq, Eq)]
pub struct StoredIdentityProvider {
    /// Graph's id, unique in the tenant.
    pub id: String,
    /// `social` (later `oidc`, `saml`).
    pub protocol: String,
    /// The provider type (`Google`, ...).
    pub provider_type: String,
    /// The display name.
    pub display_name: String,
    /// Non-secret settings, a JSON document.
    pub settings: String,
    /// The client secret, sealed by the caller.
    pub secret_sealed: Option<String>,
    /// When it was added.
    pub created_at: OffsetDateTime,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

impl std::fmt::Debug for StoredIdentityProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredIdentityProvider")
            .field("id", &self.id)
            .field("protocol", &self.protocol)
            .field("provider_type", &self.provider_type)
            .field("display_name", &self.display_name)
            .field("settings", &self.settings)
            .field(
                "secret_sealed",
                &self.secret_sealed.as_ref().map(|_| "[redacted]"),
            )
            .finish_non_exhaustive()
    }
}

/// Identity provider storage. Every change is written with its audit event in one
/// transaction.
#[async_trait::async_trait]
pub trait IdentityProviderStore {
    /// The tenant's identity providers by id.
    async fn list_identity_providers(
        &self,
        tenant: TenantId,
    ) -> Result<Vec<StoredIdentityProvider>, StoreError>;
    /// One identity provider.
    async fn get_identity_provider(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> Result<StoredIdentityProvider, StoreError>;
    /// Adds an identity provider; an id the tenant has already is a conflict on
    /// `IDENTITY_PROVIDER`.
    async fn create_identity_provider(
        &self,
        tenant: TenantId,
        provider: &StoredIdentityProvider,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Replaces an identity provider's display name, settings, secret and `updated_at`, if it
    /// is still as read (`updated_at` = `read_at`); otherwise a conflict on `STALE_WRITE` and
    /// nothing changes, so two concurrent changes cannot undo each other.
    async fn update_identity_provider(
        &self,
        tenant: TenantId,
        provider: &StoredIdentityProvider,
        read_at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Deletes an identity provider.
    async fn delete_identity_provider(
        &self,
        tenant: TenantId,
        id: &str,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

pub(crate) fn identity_provider_from_row(
    r: &impl RowExt,
) -> Result<StoredIdentityProvider, StoreError> {
    Ok(StoredIdentityProvider {
        id: r.text("id")?,
        protocol: r.text("protocol")?,
        provider_type: r.text("provider_type")?,
        display_name: r.text("display_name")?,
        settings: r.text("settings")?,
        secret_sealed: r.opt_text("secret_sealed")?,
        created_at: r.ts("created_at")?,
        updated_at: r.ts("updated_at")?,
    })
}

macro_rules! identity_provider_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::identity_providers::IdentityProviderStore for $store {
            async fn list_identity_providers(&self, tenant: portico_domain::TenantId) -> Result<Vec<$crate::identity_providers::StoredIdentityProvider>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, protocol, provider_type, display_name, settings, secret_sealed, created_at, updated_at FROM identity_providers WHERE tenant_id = $1 ORDER BY id")
                    .bind(tenant.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::identity_providers::identity_provider_from_row).collect()
            }

            async fn get_identity_provider(&self, tenant: portico_domain::TenantId, id: &str) -> Result<$crate::identity_providers::StoredIdentityProvider, $crate::StoreError> {
                let row = sqlx::query("SELECT id, protocol, provider_type, display_name, settings, secret_sealed, created_at, updated_at FROM identity_providers WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("identity provider"))?;
                $crate::identity_providers::identity_provider_from_row(&row)
            }

            async fn create_identity_provider(&self, tenant: portico_domain::TenantId, p: &$crate::identity_providers::StoredIdentityProvider, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO identity_providers (tenant_id, id, protocol, provider_type, display_name, settings, secret_sealed, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(tenant.0)
                    .bind(&p.id)
                    .bind(&p.protocol)
                    .bind(&p.provider_type)
                    .bind(&p.display_name)
                    .bind(&p.settings)
                    .bind(&p.secret_sealed)
                    .bind($crate::ts::Ts(p.created_at))
                    .bind($crate::ts::Ts(p.updated_at))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn update_identity_provider(&self, tenant: portico_domain::TenantId, p: &$crate::identity_providers::StoredIdentityProvider, read_at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE identity_providers SET display_name = $3, settings = $4, secret_sealed = $5, updated_at = $6 WHERE tenant_id = $1 AND id = $2 AND updated_at = $7")
                    .bind(tenant.0)
                    .bind(&p.id)
                    .bind(&p.display_name)
                    .bind(&p.settings)
                    .bind(&p.secret_sealed)
                    .bind($crate::ts::Ts(p.updated_at))
                    .bind($crate::ts::Ts(read_at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    let exists = sqlx::query("SELECT 1 AS found FROM identity_providers WHERE tenant_id = $1 AND id = $2")
                        .bind(tenant.0)
                        .bind(&p.id)
                        .fetch_optional(&mut *tx)
                        .await?;
                    return Err(match exists {
                        None => $crate::StoreError::NotFound("identity provider"),
                        Some(_) => $crate::StoreError::Conflict { constraint: $crate::constraint::STALE_WRITE.to_owned() },
                    });
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_identity_provider(&self, tenant: portico_domain::TenantId, id: &str, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM identity_providers WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("identity provider"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use identity_provider_store_impl;
