//! Application certificate credentials (for `private_key_jwt`) and the ids of client
//! assertions already presented (each may be used once).

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use portico_domain::application::KeyCredential;
use portico_domain::audit::AuditEvent;
use portico_domain::{AppId, ApplicationId, KeyId, TenantId};
use time::OffsetDateTime;

/// A stored certificate credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKeyCredential {
    /// Public facts.
    pub credential: KeyCredential,
    /// The certificate, DER.
    pub certificate: Vec<u8>,
}

/// Certificate credential storage.
#[async_trait]
pub trait KeyCredentialStore: Send + Sync {
    /// Adds a certificate to an application. Conflict
    /// `ux_application_key_credentials_thumbprint` when it has it already.
    async fn add_key_credential(
        &self,
        tenant: TenantId,
        app: ApplicationId,
        key: &StoredKeyCredential,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Removes a certificate.
    async fn remove_key_credential(
        &self,
        tenant: TenantId,
        app: ApplicationId,
        key_id: KeyId,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// The certificates of the application with client id `app_id` (empty when none).
    async fn key_credentials_by_app_id(
        &self,
        tenant: TenantId,
        app_id: AppId,
    ) -> Result<Vec<StoredKeyCredential>, StoreError>;
    /// Records a client assertion id until it expires. Returns false when it was seen
    /// before (a replay).
    async fn remember_assertion(
        &self,
        tenant: TenantId,
        jti_hash: &str,
        expires_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

pub(crate) fn key_credential_from_row(r: &impl RowExt) -> Result<StoredKeyCredential, StoreError> {
    Ok(StoredKeyCredential {
        credential: KeyCredential {
            key_id: KeyId(r.uuid("key_id")?),
            display_name: r.opt_text("display_name")?,
            custom_key_identifier: r.text("thumbprint")?,
            start_date_time: r.ts("start_at")?,
            end_date_time: r.ts("end_at")?,
        },
        certificate: STANDARD
            .decode(r.text("certificate")?)
            .map_err(|e| StoreError::corrupt(format!("certificate: {e}")))?,
    })
}

pub(crate) fn encode_certificate(der: &[u8]) -> String {
    STANDARD.encode(der)
}

macro_rules! key_credential_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::KeyCredentialStore for $store {
            async fn add_key_credential(&self, tenant: portico_domain::TenantId, app: portico_domain::ApplicationId, k: &$crate::credentials::StoredKeyCredential, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let found: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM applications WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(app.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if found.is_none() {
                    return Err($crate::StoreError::NotFound("application"));
                }
                sqlx::query("INSERT INTO application_key_credentials (tenant_id, application_id, key_id, display_name, thumbprint, certificate, start_at, end_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(tenant.0)
                    .bind(app.0)
                    .bind(k.credential.key_id.0)
                    .bind(k.credential.display_name.as_deref())
                    .bind(&k.credential.custom_key_identifier)
                    .bind($crate::credentials::encode_certificate(&k.certificate))
                    .bind($crate::ts::Ts(k.credential.start_date_time))
                    .bind($crate::ts::Ts(k.credential.end_date_time))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn remove_key_credential(&self, tenant: portico_domain::TenantId, app: portico_domain::ApplicationId, key_id: portico_domain::KeyId, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM application_key_credentials WHERE tenant_id = $1 AND application_id = $2 AND key_id = $3")
                    .bind(tenant.0)
                    .bind(app.0)
                    .bind(key_id.0)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("keyCredential"));
                }
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn key_credentials_by_app_id(&self, tenant: portico_domain::TenantId, app_id: portico_domain::AppId) -> Result<Vec<$crate::credentials::StoredKeyCredential>, $crate::StoreError> {
                let rows = sqlx::query("SELECT k.key_id, k.display_name, k.thumbprint, k.certificate, k.start_at, k.end_at FROM application_key_credentials k JOIN applications a ON a.tenant_id = k.tenant_id AND a.id = k.application_id WHERE k.tenant_id = $1 AND a.app_id = $2 ORDER BY k.start_at, k.key_id")
                    .bind(tenant.0)
                    .bind(app_id.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::credentials::key_credential_from_row).collect()
            }

            async fn remember_assertion(&self, tenant: portico_domain::TenantId, jti_hash: &str, expires_at: time::OffsetDateTime) -> Result<bool, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("INSERT INTO client_assertion_ids (tenant_id, jti_hash, expires_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, jti_hash) DO NOTHING")
                    .bind(tenant.0)
                    .bind(jti_hash)
                    .bind($crate::ts::Ts(expires_at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n == 1)
            }
        }
    };
}
pub(crate) use key_credential_store_impl;
