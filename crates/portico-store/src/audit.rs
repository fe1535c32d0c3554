//! The audit event store: every mutating store call writes its event in the same
//! transaction; failures and reads that matter are recorded with `record_audit`.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::audit::{AuditCategory, AuditEvent, AuditResult};
use portico_domain::{AuditEventId, CorrelationId, TenantId};

/// Audit storage.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Records an event on its own (for refusals and failures that change nothing else).
    async fn record_audit(&self, tenant: TenantId, event: &AuditEvent) -> Result<(), StoreError>;
    /// Lists events newest first; `before` continues after an event id from a previous page.
    async fn list_audit_events(
        &self,
        tenant: TenantId,
        top: u32,
        before: Option<AuditEventId>,
    ) -> Result<Vec<AuditEvent>, StoreError>;
}

pub(crate) fn audit_from_row(r: &impl RowExt) -> Result<AuditEvent, StoreError> {
    let category = r.text("category")?;
    let result = r.text("result")?;
    Ok(AuditEvent {
        id: AuditEventId(r.uuid("id")?),
        activity_date_time: r.ts("activity_at")?,
        category: AuditCategory::parse(&category)
            .ok_or_else(|| StoreError::corrupt(format!("audit category {category}")))?,
        activity_display_name: r.text("activity_display_name")?,
        operation_type: r.text("operation_type")?,
        result: AuditResult::parse(&result)
            .ok_or_else(|| StoreError::corrupt(format!("audit result {result}")))?,
        result_reason: r.opt_text("result_reason")?,
        initiated_by: r.json("initiated_by")?,
        target_resources: r.json("target_resources")?,
        correlation_id: CorrelationId(r.uuid("correlation_id")?),
        logged_by_service: r.text("logged_by_service")?,
    })
}

macro_rules! audit_store_impl {
    ($store:ty) => {
        impl $store {
            async fn insert_audit_row(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                e: &portico_domain::audit::AuditEvent,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO audit_events (tenant_id, id, activity_at, category, activity_display_name, operation_type, result, result_reason, initiated_by, target_resources, correlation_id, logged_by_service) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
                    .bind(tenant.0)
                    .bind(e.id.0)
                    .bind($crate::ts::Ts(e.activity_date_time))
                    .bind(e.category.as_str())
                    .bind(&e.activity_display_name)
                    .bind(&e.operation_type)
                    .bind(e.result.as_str())
                    .bind(&e.result_reason)
                    .bind($crate::row::to_json(&e.initiated_by)?)
                    .bind($crate::row::to_json(&e.target_resources)?)
                    .bind(e.correlation_id.0)
                    .bind(&e.logged_by_service)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::AuditStore for $store {
            async fn record_audit(&self, tenant: portico_domain::TenantId, e: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::insert_audit_row(&mut tx, tenant, e).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_audit_events(&self, tenant: portico_domain::TenantId, top: u32, before: Option<portico_domain::AuditEventId>) -> Result<Vec<portico_domain::audit::AuditEvent>, $crate::StoreError> {
                let limit = i64::from(top.clamp(1, portico_domain::paging::MAX_PAGE_SIZE));
                let rows = sqlx::query("SELECT id, activity_at, category, activity_display_name, operation_type, result, result_reason, initiated_by, target_resources, correlation_id, logged_by_service FROM audit_events a WHERE tenant_id = $1 AND ($2 IS NULL OR EXISTS (SELECT 1 FROM audit_events b WHERE b.tenant_id = $1 AND b.id = $2 AND (a.activity_at < b.activity_at OR (a.activity_at = b.activity_at AND a.id < b.id)))) ORDER BY activity_at DESC, id DESC LIMIT $3")
                    .bind(tenant.0)
                    .bind(before.map(|b| b.0))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::audit::audit_from_row).collect()
            }
        }
    };
}
pub(crate) use audit_store_impl;
