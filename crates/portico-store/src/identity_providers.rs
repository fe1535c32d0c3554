//! Identity providers of a tenant (`identity_providers`, migration 0015): one row per provider
//! and Graph id, its non-secret settings as a JSON document and its client secret sealed by the
//! caller; and the email domains each federation serves (`federation_domains`, migration 0016:
//! one provider per domain and tenant). The store keeps the text as given;
//! `portico_domain::identity_provider` reads it.

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
    /// `social` or `oidc` (later `saml`).
    pub protocol: String,
    /// The provider type (`Google`, ...).
    pub provider_type: String,
    /// The display name.
    pub display_name: String,
    /// Non-secret settings, a JSON document.
    pub settings: String,
    /// The client secret, sealed by the caller.
    pub secret_sealed: Option<String>,
    /// The email domains it serves (canonical, as given), sorted.
    pub domains: Vec<String>,
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
            .field("domains", &self.domains)
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
    /// The provider serving `domain` (canonical) in the tenant, if any.
    async fn identity_provider_for_domain(
        &self,
        tenant: TenantId,
        domain: &str,
    ) -> Result<Option<StoredIdentityProvider>, StoreError>;
    /// Adds an identity provider with its domains; an id the tenant has already is a conflict
    /// on `IDENTITY_PROVIDER`, a domain another provider serves one on `FEDERATION_DOMAIN`.
    async fn create_identity_provider(
        &self,
        tenant: TenantId,
        provider: &StoredIdentityProvider,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Replaces an identity provider's display name, settings, secret, domains and
    /// `updated_at`, if it is still as read (`updated_at` = `read_at`); otherwise a conflict on `STALE_WRITE` and
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
        domains: Vec::new(),
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
                let mut providers = rows.iter().map($crate::identity_providers::identity_provider_from_row).collect::<Result<Vec<_>, _>>()?;
                let domains = sqlx::query("SELECT provider_id, domain FROM federation_domains WHERE tenant_id = $1 ORDER BY domain")
                    .bind(tenant.0)
                    .fetch_all(&self.pool)
                    .await?;
                for d in &domains {
                    use $crate::row::RowExt as _;
                    let (id, domain) = (d.text("provider_id")?, d.text("domain")?);
                    if let Some(p) = providers.iter_mut().find(|p| p.id == id) {
                        p.domains.push(domain);
                    }
                }
                Ok(providers)
            }

            async fn get_identity_provider(&self, tenant: portico_domain::TenantId, id: &str) -> Result<$crate::identity_providers::StoredIdentityProvider, $crate::StoreError> {
                let row = sqlx::query("SELECT id, protocol, provider_type, display_name, settings, secret_sealed, created_at, updated_at FROM identity_providers WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("identity provider"))?;
                let mut p = $crate::identity_providers::identity_provider_from_row(&row)?;
                p.domains = self.federation_domains_of(tenant, &p.id).await?;
                Ok(p)
            }

            async fn identity_provider_for_domain(&self, tenant: portico_domain::TenantId, domain: &str) -> Result<Option<$crate::identity_providers::StoredIdentityProvider>, $crate::StoreError> {
                let row = sqlx::query("SELECT p.id, p.protocol, p.provider_type, p.display_name, p.settings, p.secret_sealed, p.created_at, p.updated_at FROM federation_domains d JOIN identity_providers p ON p.tenant_id = d.tenant_id AND p.id = d.provider_id WHERE d.tenant_id = $1 AND d.domain = $2")
                    .bind(tenant.0)
                    .bind(domain)
                    .fetch_optional(&self.pool)
                    .await?;
                let Some(row) = row else { return Ok(None) };
                let mut p = $crate::identity_providers::identity_provider_from_row(&row)?;
                p.domains = self.federation_domains_of(tenant, &p.id).await?;
                Ok(Some(p))
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
                Self::insert_federation_domains(&mut tx, tenant, p).await?;
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
                sqlx::query("DELETE FROM federation_domains WHERE tenant_id = $1 AND provider_id = $2")
                    .bind(tenant.0)
                    .bind(&p.id)
                    .execute(&mut *tx)
                    .await?;
                Self::insert_federation_domains(&mut tx, tenant, p).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delete_identity_provider(&self, tenant: portico_domain::TenantId, id: &str, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("DELETE FROM federation_domains WHERE tenant_id = $1 AND provider_id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
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

        impl $store {
            async fn insert_federation_domains(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                p: &$crate::identity_providers::StoredIdentityProvider,
            ) -> Result<(), $crate::StoreError> {
                for d in &p.domains {
                    sqlx::query("INSERT INTO federation_domains (tenant_id, domain, provider_id) VALUES ($1, $2, $3)")
                        .bind(tenant.0)
                        .bind(d)
                        .bind(&p.id)
                        .execute(&mut **tx)
                        .await?;
                }
                Ok(())
            }

            async fn federation_domains_of(&self, tenant: portico_domain::TenantId, id: &str) -> Result<Vec<String>, $crate::StoreError> {
                use $crate::row::RowExt as _;
                let rows = sqlx::query("SELECT domain FROM federation_domains WHERE tenant_id = $1 AND provider_id = $2 ORDER BY domain")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| r.text("domain")).collect()
            }
        }
    };
}
pub(crate) use identity_provider_store_impl;
