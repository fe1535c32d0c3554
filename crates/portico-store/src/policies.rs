//! Tenant policies (`tenant_policies`, migration 0013): one JSON document per tenant and policy
//! name — the email OTP method of the authentication methods policy today; the authorization
//! policy and cross-tenant access settings later. The store keeps the text as given; the
//! domain types in `portico_domain::policy` read and validate it.

use crate::StoreError;
use portico_domain::TenantId;
use portico_domain::audit::AuditEvent;
use time::OffsetDateTime;

/// Policy storage.
#[async_trait::async_trait]
pub trait PolicyStore {
    /// The tenant's document for `name`, or `None` when it never changed the policy (its
    /// defaults apply).
    async fn get_policy(&self, tenant: TenantId, name: &str) -> Result<Option<String>, StoreError>;
    /// Writes (creates or replaces) the tenant's document for `name`, with its audit event,
    /// in one transaction.
    async fn put_policy(
        &self,
        tenant: TenantId,
        name: &str,
        body: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
}

macro_rules! policy_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::policies::PolicyStore for $store {
            async fn get_policy(&self, tenant: portico_domain::TenantId, name: &str) -> Result<Option<String>, $crate::StoreError> {
                let row: Option<(String,)> = sqlx::query_as("SELECT body FROM tenant_policies WHERE tenant_id = $1 AND name = $2")
                    .bind(tenant.0)
                    .bind(name)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(|r| r.0))
            }

            async fn put_policy(&self, tenant: portico_domain::TenantId, name: &str, body: &str, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO tenant_policies (tenant_id, name, body, updated_at) VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at")
                    .bind(tenant.0)
                    .bind(name)
                    .bind(body)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }
        }
    };
}
pub(crate) use policy_store_impl;
