//! The durable outbox: mails are queued in the same transaction as the change that causes
//! them (an invitation, a passcode) and sent by a worker that claims due rows with a lease.
//! Claims, results and counts are deployment-wide (the worker serves every tenant); queueing
//! and results name the tenant like every other call.

use crate::StoreError;
use crate::row::RowExt;
use portico_domain::TenantId;
use portico_domain::mail::{MailKind, OutboxCounts, OutboxMail};
use time::OffsetDateTime;

/// Outbox storage.
#[async_trait::async_trait]
pub trait OutboxStore {
    /// Queues a mail on its own.
    async fn enqueue_mail(&self, tenant: TenantId, mail: &OutboxMail) -> Result<(), StoreError>;
    /// Claims up to `limit` due mails (not sent, not failed, due by `now`, not leased by
    /// another worker) until `lease_until`, counting an attempt on each. On PostgreSQL rows
    /// another replica is claiming are skipped.
    async fn claim_mail(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        limit: u32,
    ) -> Result<Vec<(TenantId, OutboxMail)>, StoreError>;
    /// Records deliveries (mails named by tenant and id; one transaction).
    async fn mail_sent(
        &self,
        sent: &[(TenantId, uuid::Uuid)],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Records a failed attempt to try again at `next_attempt_at`.
    async fn mail_retry(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        next_attempt_at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Gives up on a mail.
    async fn mail_failed(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        at: OffsetDateTime,
        error: &str,
    ) -> Result<(), StoreError>;
    /// Deletes mails sent or given up before `cutoff`; returns how many.
    async fn purge_mail(&self, cutoff: OffsetDateTime) -> Result<u64, StoreError>;
    /// How many mails are in each state (every tenant).
    async fn outbox_counts(&self) -> Result<OutboxCounts, StoreError>;
}

pub(crate) fn mail_from_row(r: &impl RowExt) -> Result<OutboxMail, StoreError> {
    let kind = r.text("kind")?;
    Ok(OutboxMail {
        id: r.uuid("id")?,
        kind: MailKind::parse(&kind)
            .ok_or_else(|| StoreError::corrupt(format!("mail kind {kind}")))?,
        sealed: r.text("sealed")?,
        created_at: r.ts("created_at")?,
        attempts: u32::try_from(r.int("attempts")?).unwrap_or(u32::MAX),
        next_attempt_at: r.ts("next_attempt_at")?,
    })
}

macro_rules! outbox_store_impl {
    ($store:ty) => {
        impl $store {
            async fn insert_mail_row(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                m: &portico_domain::mail::OutboxMail,
            ) -> Result<(), $crate::StoreError> {
                sqlx::query("INSERT INTO outbox (tenant_id, id, kind, sealed, created_at, attempts, next_attempt_at, lease_until, sent_at, failed_at, last_error) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL, NULL)")
                    .bind(tenant.0)
                    .bind(m.id)
                    .bind(m.kind.as_str())
                    .bind(&m.sealed)
                    .bind($crate::ts::Ts(m.created_at))
                    .bind(i64::from(m.attempts))
                    .bind($crate::ts::Ts(m.next_attempt_at))
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::outbox::OutboxStore for $store {
            async fn enqueue_mail(&self, tenant: portico_domain::TenantId, mail: &portico_domain::mail::OutboxMail) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                Self::insert_mail_row(&mut tx, tenant, mail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn claim_mail(&self, now: time::OffsetDateTime, lease_until: time::OffsetDateTime, limit: u32) -> Result<Vec<(portico_domain::TenantId, portico_domain::mail::OutboxMail)>, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let skip = if matches!(Self::BACKEND, $crate::Backend::Postgres) { " FOR UPDATE SKIP LOCKED" } else { "" };
                let rows = sqlx::query(sqlx::AssertSqlSafe(format!("UPDATE outbox SET lease_until = $1, attempts = attempts + 1 WHERE (tenant_id, id) IN (SELECT tenant_id, id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $2 AND (lease_until IS NULL OR lease_until <= $2) ORDER BY next_attempt_at LIMIT $3{skip}) RETURNING tenant_id, id, kind, sealed, created_at, attempts, next_attempt_at")))
                    .bind($crate::ts::Ts(lease_until))
                    .bind($crate::ts::Ts(now))
                    .bind(i64::from(limit))
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut out = Vec::with_capacity(rows.len());
                for r in &rows {
                    out.push((portico_domain::TenantId($crate::row::RowExt::uuid(r, "tenant_id")?), $crate::outbox::mail_from_row(r)?));
                }
                out.sort_by_key(|(_, m)| m.next_attempt_at);
                Ok(out)
            }

            async fn mail_sent(&self, sent: &[(portico_domain::TenantId, uuid::Uuid)], at: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                if sent.is_empty() {
                    return Ok(());
                }
                let mut tx = self.write_tx().await?;
                // One statement per 16 mails: (tenant_id, id) pairs ORed, each a primary-key search.
                for chunk in sent.chunks(16) {
                    let keys: Vec<String> = (0..chunk.len())
                        .map(|i| format!("(tenant_id = ${} AND id = ${})", 2 * i + 2, 2 * i + 3))
                        .collect();
                    let sql = format!(
                        "UPDATE outbox SET sent_at = $1, lease_until = NULL, last_error = NULL WHERE {}",
                        keys.join(" OR ")
                    );
                    // Only placeholders are formatted into the text.
                    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind($crate::ts::Ts(at));
                    for (tenant, id) in chunk {
                        q = q.bind(tenant.0).bind(*id);
                    }
                    q.execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn mail_retry(&self, tenant: portico_domain::TenantId, id: uuid::Uuid, next_attempt_at: time::OffsetDateTime, error: &str) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE outbox SET next_attempt_at = $3, lease_until = NULL, last_error = $4 WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL")
                    .bind(tenant.0)
                    .bind(id)
                    .bind($crate::ts::Ts(next_attempt_at))
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn mail_failed(&self, tenant: portico_domain::TenantId, id: uuid::Uuid, at: time::OffsetDateTime, error: &str) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE outbox SET failed_at = $3, lease_until = NULL, last_error = $4 WHERE tenant_id = $1 AND id = $2 AND sent_at IS NULL")
                    .bind(tenant.0)
                    .bind(id)
                    .bind($crate::ts::Ts(at))
                    .bind(error)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn purge_mail(&self, cutoff: time::OffsetDateTime) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM outbox WHERE sent_at < $1 OR failed_at < $1")
                    .bind($crate::ts::Ts(cutoff))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n)
            }

            async fn outbox_counts(&self) -> Result<portico_domain::mail::OutboxCounts, $crate::StoreError> {
                let row = sqlx::query("SELECT COALESCE(SUM(CASE WHEN sent_at IS NULL AND failed_at IS NULL THEN 1 ELSE 0 END), 0) AS pending, COALESCE(SUM(CASE WHEN sent_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS sent, COALESCE(SUM(CASE WHEN failed_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS failed FROM outbox")
                    .fetch_one(&self.pool)
                    .await?;
                let n = |c: &str| -> Result<u64, $crate::StoreError> { Ok(u64::try_from($crate::row::RowExt::int(&row, c)?).unwrap_or(0)) };
                Ok(portico_domain::mail::OutboxCounts { pending: n("pending")?, sent: n("sent")?, failed: n("failed")? })
            }
        }
    };
}
pub(crate) use outbox_store_impl;
