//! Tenants and their domains.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::TenantId;
use portico_domain::audit::AuditEvent;
use portico_domain::role::RoleAssignment;
use portico_domain::tenant::{Branding, Domain, Tenant, VerificationMethod};
use portico_domain::user::User;
use portico_domain::validate::DomainName;
use time::OffsetDateTime;

/// Everything the first start writes, in one transaction.
#[derive(Debug, Clone)]
pub struct BootstrapRecord {
    /// The first tenant.
    pub tenant: Tenant,
    /// Its initial domain.
    pub initial_domain: Domain,
    /// The first Global Administrator.
    pub admin: User,
    /// The administrator's password hash (PHC string).
    pub admin_password_hash: String,
    /// The administrator's Global Administrator assignment.
    pub admin_role: RoleAssignment,
    /// The audit events to record with it.
    pub audit: Vec<AuditEvent>,
}

/// Tenant and domain storage.
#[async_trait]
pub trait TenantStore: Send + Sync {
    /// Writes the first tenant and its administrator unless some replica already did.
    /// Returns `false` (and writes nothing) when the database was already bootstrapped.
    async fn bootstrap(&self, record: &BootstrapRecord) -> Result<bool, StoreError>;
    /// Whether the database has been bootstrapped.
    async fn is_bootstrapped(&self) -> Result<bool, StoreError>;
    /// Creates a tenant with its (verified) initial domain.
    async fn create_tenant(
        &self,
        tenant: &Tenant,
        initial_domain: &Domain,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Reads a tenant.
    async fn get_tenant(&self, id: TenantId) -> Result<Tenant, StoreError>;
    /// Lists every tenant, oldest first (operators only).
    async fn list_tenants(&self) -> Result<Vec<Tenant>, StoreError>;
    /// Finds the tenant that has verified `domain`.
    async fn find_tenant_by_domain(&self, domain: &DomainName) -> Result<Tenant, StoreError>;
    /// Updates display name, branding and default language.
    async fn update_tenant(&self, tenant: &Tenant, audit: &AuditEvent) -> Result<(), StoreError>;
    /// Adds an unverified domain.
    async fn add_domain(
        &self,
        tenant: TenantId,
        domain: &Domain,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Lists a tenant's domains by name.
    async fn list_domains(&self, tenant: TenantId) -> Result<Vec<Domain>, StoreError>;
    /// Reads one domain.
    async fn get_domain(&self, tenant: TenantId, name: &DomainName) -> Result<Domain, StoreError>;
    /// Marks a domain verified. Conflict `ux_domains_verified` if another tenant verified it.
    async fn verify_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        method: VerificationMethod,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<Domain, StoreError>;
    /// Makes a verified domain the default for new users.
    async fn set_default_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes a domain.
    async fn remove_domain(
        &self,
        tenant: TenantId,
        name: &DomainName,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

pub(crate) fn tenant_from_row(r: &impl RowExt) -> Result<Tenant, StoreError> {
    Ok(Tenant {
        id: TenantId(r.uuid("id")?),
        display_name: r.text("display_name")?,
        initial_domain: DomainName::parse("initial_domain", &r.text("initial_domain")?)
            .map_err(StoreError::corrupt)?,
        branding: Branding {
            name: r.opt_text("branding_name")?,
            logo_url: r.opt_text("branding_logo_url")?,
            accent_color: r.opt_text("branding_accent_color")?,
            privacy_statement_url: r.opt_text("privacy_statement_url")?,
        },
        default_language: r.text("default_language")?,
        created_at: r.ts("created_at")?,
    })
}

pub(crate) fn domain_from_row(r: &impl RowExt) -> Result<Domain, StoreError> {
    let method = r.opt_text("verification_method")?;
    Ok(Domain {
        name: DomainName::parse("name", &r.text("name")?).map_err(StoreError::corrupt)?,
        is_initial: r.flag("is_initial")?,
        is_verified: r.flag("is_verified")?,
        is_default: r.flag("is_default")?,
        verification_code: r.text("verification_code")?,
        verification_method: match method {
            Some(m) => Some(
                VerificationMethod::parse(&m)
                    .ok_or_else(|| StoreError::corrupt(format!("verification method {m}")))?,
            ),
            None => None,
        },
        created_at: r.ts("created_at")?,
        verified_at: r.opt_ts("verified_at")?,
    })
}

macro_rules! tenant_store_impl {
    ($store:ty) => {
        impl $store {
            async fn insert_tenant_rows(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: &portico_domain::tenant::Tenant,
                domain: &portico_domain::tenant::Domain,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO tenants (id, display_name, initial_domain, branding_name, branding_logo_url, branding_accent_color, privacy_statement_url, default_language, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(tenant.id.0)
                    .bind(&tenant.display_name)
                    .bind(tenant.initial_domain.as_str())
                    .bind(&tenant.branding.name)
                    .bind(&tenant.branding.logo_url)
                    .bind(&tenant.branding.accent_color)
                    .bind(&tenant.branding.privacy_statement_url)
                    .bind(&tenant.default_language)
                    .bind($crate::ts::Ts(tenant.created_at))
                    .execute(&mut **tx)
                    .await?;
                Self::insert_domain_row(tx, tenant.id, domain).await
            }

            async fn insert_domain_row(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                d: &portico_domain::tenant::Domain,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO domains (tenant_id, name, is_initial, is_verified, is_default, verification_code, verification_method, created_at, verified_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(tenant.0)
                    .bind(d.name.as_str())
                    .bind(d.is_initial)
                    .bind(d.is_verified)
                    .bind(d.is_default)
                    .bind(&d.verification_code)
                    .bind(d.verification_method.map(|m| m.as_str()))
                    .bind($crate::ts::Ts(d.created_at))
                    .bind($crate::ts::opt(d.verified_at))
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::TenantStore for $store {
            async fn bootstrap(&self, rec: &$crate::BootstrapRecord) -> Result<bool, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let claimed = sqlx::query("INSERT INTO bootstrap_state (id, tenant_id, completed_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING")
                    .bind(rec.tenant.id.0)
                    .bind($crate::ts::Ts(rec.tenant.created_at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if claimed == 0 {
                    tx.rollback().await?;
                    return Ok(false);
                }
                Self::insert_tenant_rows(&mut tx, &rec.tenant, &rec.initial_domain).await?;
                Self::insert_user_rows(&mut tx, rec.tenant.id, &rec.admin, Some(&rec.admin_password_hash)).await?;
                Self::insert_role_row(&mut tx, rec.tenant.id, &rec.admin_role).await?;
                for e in &rec.audit {
                    Self::insert_audit_row(&mut tx, rec.tenant.id, e).await?;
                }
                tx.commit().await?;
                Ok(true)
            }

            async fn is_bootstrapped(&self) -> Result<bool, $crate::StoreError> {
                let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM bootstrap_state")
                    .fetch_one(&self.pool)
                    .await?;
                Ok(n > 0)
            }

            async fn create_tenant(&self, tenant: &portico_domain::tenant::Tenant, domain: &portico_domain::tenant::Domain, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::insert_tenant_rows(&mut tx, tenant, domain).await?;
                Self::insert_audit_row(&mut tx, tenant.id, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_tenant(&self, id: portico_domain::TenantId) -> Result<portico_domain::tenant::Tenant, $crate::StoreError> {
                let row = sqlx::query("SELECT id, display_name, initial_domain, branding_name, branding_logo_url, branding_accent_color, privacy_statement_url, default_language, created_at FROM tenants WHERE id = $1")
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("tenant"))?;
                $crate::tenants::tenant_from_row(&row)
            }

            async fn list_tenants(&self) -> Result<Vec<portico_domain::tenant::Tenant>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, display_name, initial_domain, branding_name, branding_logo_url, branding_accent_color, privacy_statement_url, default_language, created_at FROM tenants ORDER BY created_at, id")
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::tenants::tenant_from_row).collect()
            }

            async fn find_tenant_by_domain(&self, domain: &portico_domain::validate::DomainName) -> Result<portico_domain::tenant::Tenant, $crate::StoreError> {
                let row = sqlx::query("SELECT t.id, t.display_name, t.initial_domain, t.branding_name, t.branding_logo_url, t.branding_accent_color, t.privacy_statement_url, t.default_language, t.created_at FROM tenants t JOIN domains d ON d.tenant_id = t.id WHERE d.name = $1 AND d.is_verified")
                    .bind(domain.as_str())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("tenant"))?;
                $crate::tenants::tenant_from_row(&row)
            }

            async fn update_tenant(&self, t: &portico_domain::tenant::Tenant, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE tenants SET display_name = $2, branding_name = $3, branding_logo_url = $4, branding_accent_color = $5, privacy_statement_url = $6, default_language = $7 WHERE id = $1")
                    .bind(t.id.0)
                    .bind(&t.display_name)
                    .bind(&t.branding.name)
                    .bind(&t.branding.logo_url)
                    .bind(&t.branding.accent_color)
                    .bind(&t.branding.privacy_statement_url)
                    .bind(&t.default_language)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("tenant"));
                }
                Self::insert_audit_row(&mut tx, t.id, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn add_domain(&self, tenant: portico_domain::TenantId, d: &portico_domain::tenant::Domain, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::insert_domain_row(&mut tx, tenant, d).await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_domains(&self, tenant: portico_domain::TenantId) -> Result<Vec<portico_domain::tenant::Domain>, $crate::StoreError> {
                let rows = sqlx::query("SELECT name, is_initial, is_verified, is_default, verification_code, verification_method, created_at, verified_at FROM domains WHERE tenant_id = $1 ORDER BY name")
                    .bind(tenant.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::tenants::domain_from_row).collect()
            }

            async fn get_domain(&self, tenant: portico_domain::TenantId, name: &portico_domain::validate::DomainName) -> Result<portico_domain::tenant::Domain, $crate::StoreError> {
                let row = sqlx::query("SELECT name, is_initial, is_verified, is_default, verification_code, verification_method, created_at, verified_at FROM domains WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("domain"))?;
                $crate::tenants::domain_from_row(&row)
            }

            async fn verify_domain(
                &self,
                tenant: portico_domain::TenantId,
                name: &portico_domain::validate::DomainName,
                method: portico_domain::tenant::VerificationMethod,
                at: time::OffsetDateTime,
                audit: &portico_domain::audit::AuditEvent,
            ) -> Result<portico_domain::tenant::Domain, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE domains SET is_verified = TRUE, verification_method = $3, verified_at = $4 WHERE tenant_id = $1 AND name = $2 AND NOT is_verified")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .bind(method.as_str())
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                let row = sqlx::query("SELECT name, is_initial, is_verified, is_default, verification_code, verification_method, created_at, verified_at FROM domains WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or($crate::StoreError::NotFound("domain"))?;
                if n > 0 {
                    Self::insert_audit_row(&mut tx, tenant, audit).await?;
                }
                tx.commit().await?;
                $crate::tenants::domain_from_row(&row)
            }

            async fn set_default_domain(&self, tenant: portico_domain::TenantId, name: &portico_domain::validate::DomainName, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let exists = sqlx::query("SELECT name FROM domains WHERE tenant_id = $1 AND name = $2 AND is_verified")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .fetch_optional(&mut *tx)
                    .await?;
                if exists.is_none() {
                    return Err($crate::StoreError::NotFound("domain"));
                }
                sqlx::query("UPDATE domains SET is_default = FALSE WHERE tenant_id = $1 AND is_default")
                    .bind(tenant.0)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE domains SET is_default = TRUE WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_domain(&self, tenant: portico_domain::TenantId, name: &portico_domain::validate::DomainName, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM domains WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant.0)
                    .bind(name.as_str())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("domain"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use tenant_store_impl;
