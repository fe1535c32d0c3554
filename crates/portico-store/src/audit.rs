//! The audit event store: every mutating store call writes its event in the same
//! transaction; failures and reads that matter are recorded with `record_audit`. Graph's
//! `auditLogs/directoryAudits` reads it with `query_audit_events` (a validated OData filter,
//! newest first by default, keyset paging by time and id) and `get_audit_event`.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::audit::{AuditCategory, AuditEvent, AuditResult};
use portico_domain::odata::{Cursor, ListQuery};
use portico_domain::{AuditEventId, CorrelationId, TenantId};
use time::OffsetDateTime;

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
    /// Events matching a validated `directoryAudit` query, by `activityDateTime` (newest first
    /// unless `$orderby` says ascending) then id; `after` continues a previous page. Returns
    /// at most `limit` events and the cursor of the next page, if there is one.
    async fn query_audit_events(
        &self,
        tenant: TenantId,
        query: &ListQuery,
        after: Option<&Cursor>,
        limit: u32,
    ) -> Result<(Vec<AuditEvent>, Option<Cursor>), StoreError>;
    /// One event. NotFound("audit event").
    async fn get_audit_event(
        &self,
        tenant: TenantId,
        id: AuditEventId,
    ) -> Result<AuditEvent, StoreError>;
}

/// Whether a query reads newest first (the default; `$orderby=activityDateTime desc`).
pub(crate) fn newest_first(query: &ListQuery) -> Result<bool, StoreError> {
    match &query.order_by {
        None => Ok(true),
        Some(o) if o.field == "activityDateTime" => Ok(o.descending),
        Some(o) => Err(StoreError::corrupt(format!(
            "no audit ordering by {}",
            o.field
        ))),
    }
}

/// The cursor after `e`: its time (nanoseconds since the epoch) and id.
pub(crate) fn cursor_after(e: &AuditEvent) -> Cursor {
    Cursor {
        key: Some(e.activity_date_time.unix_timestamp_nanos().to_string()),
        id: e.id.0,
    }
}

/// The position a cursor made by [`cursor_after`] holds (cursors are sealed by the caller, so
/// a malformed one is a bug, not input).
pub(crate) fn cursor_position(c: &Cursor) -> Result<(OffsetDateTime, uuid::Uuid), StoreError> {
    c.key
        .as_deref()
        .and_then(|k| k.parse::<i128>().ok())
        .and_then(|n| OffsetDateTime::from_unix_timestamp_nanos(n).ok())
        .map(|t| (t, c.id))
        .ok_or_else(|| StoreError::corrupt("audit cursor"))
}

/// The columns an event is read from.
pub(crate) const AUDIT_COLUMNS: &str = "id, activity_at, category, activity_display_name, operation_type, result, result_reason, initiated_by, target_resources, correlation_id, logged_by_service";

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
            /// Inserts audit events with one statement per 32 events.
            async fn insert_audit_rows(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                events: &[portico_domain::audit::AuditEvent],
            ) -> Result<(), $crate::StoreError> {
                for chunk in events.chunks(32) {
                    let rows: Vec<String> = (0..chunk.len())
                        .map(|i| {
                            let p: Vec<String> = (1..=12).map(|c| format!("${}", i * 12 + c)).collect();
                            format!("({})", p.join(", "))
                        })
                        .collect();
                    // Only placeholders are formatted into the text.
                    let sql = format!("INSERT INTO audit_events (tenant_id, id, activity_at, category, activity_display_name, operation_type, result, result_reason, initiated_by, target_resources, correlation_id, logged_by_service) VALUES {}", rows.join(", "));
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                    for e in chunk {
                        q = q
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
                            .bind(&e.logged_by_service);
                    }
                    q.execute(&mut **tx).await?;
                }
                Ok(())
            }

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

            async fn query_audit_events(&self, tenant: portico_domain::TenantId, query: &portico_domain::odata::ListQuery, after: Option<&portico_domain::odata::Cursor>, limit: u32) -> Result<(Vec<portico_domain::audit::AuditEvent>, Option<portico_domain::odata::Cursor>), $crate::StoreError> {
                let limit = limit.clamp(1, portico_domain::paging::MAX_PAGE_SIZE);
                let mut sql = $crate::query_sql::Sql::new(Self::BACKEND, tenant.0, $crate::query_sql::audit_column);
                sql.conditions(query)?;
                let after = after.map($crate::audit::cursor_position).transpose()?;
                sql.page_by_time("activity_at", $crate::audit::newest_first(query)?, after, limit);
                let text = format!("SELECT {} FROM audit_events WHERE tenant_id = $1{}", $crate::audit::AUDIT_COLUMNS, sql.text);
                let rows = $crate::query_sql::bind_all!(sqlx::query(sqlx::AssertSqlSafe(text)), &sql.binds)
                    .fetch_all(&self.pool)
                    .await?;
                let mut items = rows.iter().map($crate::audit::audit_from_row).collect::<Result<Vec<_>, _>>()?;
                let next = if items.len() > limit as usize {
                    items.truncate(limit as usize);
                    items.last().map($crate::audit::cursor_after)
                } else {
                    None
                };
                Ok((items, next))
            }

            async fn get_audit_event(&self, tenant: portico_domain::TenantId, id: portico_domain::AuditEventId) -> Result<portico_domain::audit::AuditEvent, $crate::StoreError> {
                let text = format!("SELECT {} FROM audit_events WHERE tenant_id = $1 AND id = $2", $crate::audit::AUDIT_COLUMNS);
                let row = sqlx::query(sqlx::AssertSqlSafe(text))
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("audit event"))?;
                $crate::audit::audit_from_row(&row)
            }
        }
    };
}
pub(crate) use audit_store_impl;
