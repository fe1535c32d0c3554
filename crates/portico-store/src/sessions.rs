//! Sign-in state: browser sessions, smart-lockout counters and the sign-in log.
//! Sessions are found by the keyed hash of the cookie's token, never by the token itself.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::signin::{Session, SignInEvent};
use portico_domain::{SessionId, TenantId, UserId};
use time::OffsetDateTime;

/// A lockout counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    /// Failures in the current window.
    pub failures: i64,
    /// When the window started (or, for a familiarity marker, the last success).
    pub window_start: OffsetDateTime,
    /// How many times this key has been locked.
    pub lockouts: i64,
    /// Locked until then.
    pub locked_until: Option<OffsetDateTime>,
}

/// Session, lockout and sign-in log storage.
#[async_trait]
pub trait SignInStore: Send + Sync {
    /// Records a new session under the hash of its cookie token.
    async fn create_session(
        &self,
        tenant: TenantId,
        session: &Session,
        token_hash: &str,
    ) -> Result<(), StoreError>;
    /// The session whose cookie token has this hash (revoked or expired ones too).
    async fn find_session(&self, tenant: TenantId, token_hash: &str)
    -> Result<Session, StoreError>;
    /// Reads a session by id.
    async fn get_session(&self, tenant: TenantId, id: SessionId) -> Result<Session, StoreError>;
    /// Signs a session out, and revokes the refresh-token families it started. Idempotent.
    async fn revoke_session(
        &self,
        tenant: TenantId,
        id: SessionId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Signs every session of a user out and revokes all of the user's refresh tokens.
    /// Returns how many sessions were active.
    async fn revoke_user_sessions(
        &self,
        tenant: TenantId,
        user: UserId,
        at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Reads lockout counters (missing keys are absent from the answer).
    async fn throttles(
        &self,
        tenant: TenantId,
        keys: &[String],
    ) -> Result<Vec<(String, Throttle)>, StoreError>;
    /// Counts one failure atomically; a window that started before `window_cutoff` restarts.
    async fn count_failure(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
        window_cutoff: OffsetDateTime,
    ) -> Result<Throttle, StoreError>;
    /// Takes back one counted failure (an attempt counted before it was checked turned out
    /// to succeed).
    async fn uncount_failure(&self, tenant: TenantId, key: &str) -> Result<(), StoreError>;
    /// Locks a key until `until` and restarts its failure count.
    async fn lock_throttle(
        &self,
        tenant: TenantId,
        key: &str,
        until: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Clears a key's failures (after a success) and stamps it with `now`: the key then also
    /// serves as a marker of a familiar account and address.
    async fn reset_throttle(
        &self,
        tenant: TenantId,
        key: &str,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// Appends a sign-in log entry.
    async fn insert_sign_in(&self, tenant: TenantId, event: &SignInEvent)
    -> Result<(), StoreError>;
    /// The newest sign-in log entries first, at most `limit`, optionally of one user.
    async fn list_sign_ins(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        limit: u32,
    ) -> Result<Vec<SignInEvent>, StoreError>;
    /// Deletes ended sessions, expired codes and refresh tokens, revoked families, stale
    /// lockout counters (older than `stale_before`) and log entries older than `logs_before`.
    /// Returns how many rows went.
    async fn purge_sign_in_state(
        &self,
        now: OffsetDateTime,
        stale_before: OffsetDateTime,
        logs_before: OffsetDateTime,
    ) -> Result<u64, StoreError>;
}

pub(crate) fn session_from_row(r: &impl RowExt) -> Result<Session, StoreError> {
    Ok(Session {
        id: SessionId(r.uuid("id")?),
        user_id: UserId(r.uuid("user_id")?),
        auth_time: r.ts("auth_time")?,
        auth_methods: r.json("auth_methods")?,
        created_at: r.ts("created_at")?,
        last_seen_at: r.ts("last_seen_at")?,
        expires_at: r.ts("expires_at")?,
        revoked_at: r.opt_ts("revoked_at")?,
        client_ip: r.opt_text("client_ip")?,
        user_agent: r.opt_text("user_agent")?,
        upstream: r
            .opt_text("upstream_auth")?
            .map(|raw| {
                serde_json::from_str(&raw)
                    .map_err(|e| StoreError::corrupt(format!("column upstream_auth: {e}")))
            })
            .transpose()?,
    })
}

pub(crate) fn throttle_from_row(r: &impl RowExt) -> Result<Throttle, StoreError> {
    Ok(Throttle {
        failures: r.int("failures")?,
        window_start: r.ts("window_start")?,
        lockouts: r.int("lockouts")?,
        locked_until: r.opt_ts("locked_until")?,
    })
}

macro_rules! sign_in_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::SignInStore for $store {
            async fn create_session(&self, tenant: portico_domain::TenantId, s: &portico_domain::signin::Session, token_hash: &str) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO sessions (tenant_id, id, token_hash, user_id, auth_time, auth_methods, created_at, last_seen_at, expires_at, revoked_at, client_ip, user_agent, upstream_auth) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)")
                    .bind(tenant.0)
                    .bind(s.id.0)
                    .bind(token_hash)
                    .bind(s.user_id.0)
                    .bind($crate::ts::Ts(s.auth_time))
                    .bind($crate::row::to_json(&s.auth_methods)?)
                    .bind($crate::ts::Ts(s.created_at))
                    .bind($crate::ts::Ts(s.last_seen_at))
                    .bind($crate::ts::Ts(s.expires_at))
                    .bind($crate::ts::opt(s.revoked_at))
                    .bind(s.client_ip.as_deref())
                    .bind(s.user_agent.as_deref())
                    .bind(s.upstream.as_ref().map($crate::row::to_json).transpose()?)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn find_session(&self, tenant: portico_domain::TenantId, token_hash: &str) -> Result<portico_domain::signin::Session, $crate::StoreError> {
                let row = sqlx::query("SELECT id, user_id, auth_time, auth_methods, created_at, last_seen_at, expires_at, revoked_at, client_ip, user_agent, upstream_auth FROM sessions WHERE tenant_id = $1 AND token_hash = $2")
                    .bind(tenant.0)
                    .bind(token_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("session"))?;
                $crate::sessions::session_from_row(&row)
            }

            async fn get_session(&self, tenant: portico_domain::TenantId, id: portico_domain::SessionId) -> Result<portico_domain::signin::Session, $crate::StoreError> {
                let row = sqlx::query("SELECT id, user_id, auth_time, auth_methods, created_at, last_seen_at, expires_at, revoked_at, client_ip, user_agent, upstream_auth FROM sessions WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id.0)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("session"))?;
                $crate::sessions::session_from_row(&row)
            }

            async fn revoke_session(&self, tenant: portico_domain::TenantId, id: portico_domain::SessionId, at: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE token_families SET revoked_at = $3, revoked_reason = 'signed out' WHERE tenant_id = $1 AND session_id = $2 AND revoked_at IS NULL")
                    .bind(tenant.0)
                    .bind(id.0)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn revoke_user_sessions(&self, tenant: portico_domain::TenantId, user: portico_domain::UserId, at: time::OffsetDateTime) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE sessions SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND expires_at > $3")
                    .bind(tenant.0)
                    .bind(user.0)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("UPDATE token_families SET revoked_at = $3, revoked_reason = 'sessions revoked' WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL")
                    .bind(tenant.0)
                    .bind(user.0)
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(n)
            }

            async fn throttles(&self, tenant: portico_domain::TenantId, keys: &[String]) -> Result<Vec<(String, $crate::sessions::Throttle)>, $crate::StoreError> {
                let mut out = Vec::with_capacity(keys.len());
                for key in keys {
                    let row = sqlx::query("SELECT failures, window_start, lockouts, locked_until FROM sign_in_throttles WHERE tenant_id = $1 AND throttle_key = $2")
                        .bind(tenant.0)
                        .bind(key)
                        .fetch_optional(&self.pool)
                        .await?;
                    if let Some(row) = row {
                        out.push((key.clone(), $crate::sessions::throttle_from_row(&row)?));
                    }
                }
                Ok(out)
            }

            async fn count_failure(&self, tenant: portico_domain::TenantId, key: &str, now: time::OffsetDateTime, window_cutoff: time::OffsetDateTime) -> Result<$crate::sessions::Throttle, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let row = sqlx::query("INSERT INTO sign_in_throttles (tenant_id, throttle_key, failures, window_start, lockouts, locked_until) VALUES ($1, $2, 1, $3, 0, NULL) \
                    ON CONFLICT (tenant_id, throttle_key) DO UPDATE SET \
                    failures = CASE WHEN sign_in_throttles.window_start < $4 THEN 1 ELSE sign_in_throttles.failures + 1 END, \
                    window_start = CASE WHEN sign_in_throttles.window_start < $4 THEN $3 ELSE sign_in_throttles.window_start END \
                    RETURNING failures, window_start, lockouts, locked_until")
                    .bind(tenant.0)
                    .bind(key)
                    .bind($crate::ts::Ts(now))
                    .bind($crate::ts::Ts(window_cutoff))
                    .fetch_one(&mut *tx)
                    .await?;
                let t = $crate::sessions::throttle_from_row(&row)?;
                tx.commit().await?;
                Ok(t)
            }

            async fn uncount_failure(&self, tenant: portico_domain::TenantId, key: &str) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE sign_in_throttles SET failures = failures - 1 WHERE tenant_id = $1 AND throttle_key = $2 AND failures > 0")
                    .bind(tenant.0)
                    .bind(key)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn lock_throttle(&self, tenant: portico_domain::TenantId, key: &str, until: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE sign_in_throttles SET failures = 0, lockouts = lockouts + 1, locked_until = $3 WHERE tenant_id = $1 AND throttle_key = $2")
                    .bind(tenant.0)
                    .bind(key)
                    .bind($crate::ts::Ts(until))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn reset_throttle(&self, tenant: portico_domain::TenantId, key: &str, now: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO sign_in_throttles (tenant_id, throttle_key, failures, window_start, lockouts, locked_until) VALUES ($1, $2, 0, $3, 0, NULL) \
                    ON CONFLICT (tenant_id, throttle_key) DO UPDATE SET failures = 0, window_start = $3, lockouts = 0, locked_until = NULL")
                    .bind(tenant.0)
                    .bind(key)
                    .bind($crate::ts::Ts(now))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_sign_in(&self, tenant: portico_domain::TenantId, e: &portico_domain::signin::SignInEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO sign_in_logs (tenant_id, id, created_at, user_id, error_code, entry) VALUES ($1, $2, $3, $4, $5, $6)")
                    .bind(tenant.0)
                    .bind(e.id.0)
                    .bind($crate::ts::Ts(e.created_date_time))
                    .bind(e.user_id.map(|u| u.0))
                    .bind(e.status.error_code)
                    .bind($crate::row::to_json(e)?)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_sign_ins(&self, tenant: portico_domain::TenantId, user: Option<portico_domain::UserId>, limit: u32) -> Result<Vec<portico_domain::signin::SignInEvent>, $crate::StoreError> {
                let rows = sqlx::query("SELECT entry FROM sign_in_logs WHERE tenant_id = $1 AND ($2 IS NULL OR user_id = $2) ORDER BY created_at DESC, id DESC LIMIT $3")
                    .bind(tenant.0)
                    .bind(user.map(|u| u.0))
                    .bind(i64::from(limit))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(|r| $crate::row::RowExt::json(r, "entry")).collect()
            }

            async fn purge_sign_in_state(&self, now: time::OffsetDateTime, stale_before: time::OffsetDateTime, logs_before: time::OffsetDateTime) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let mut n = 0;
                for (sql, at) in [
                    ("DELETE FROM sessions WHERE expires_at <= $1 OR revoked_at <= $1", stale_before),
                    ("DELETE FROM authorization_codes WHERE expires_at <= $1", now),
                    ("DELETE FROM refresh_tokens WHERE expires_at <= $1", now),
                    ("DELETE FROM token_families WHERE revoked_at <= $1 OR (created_at <= $1 AND NOT EXISTS (SELECT 1 FROM refresh_tokens r WHERE r.tenant_id = token_families.tenant_id AND r.family_id = token_families.id))", stale_before),
                    ("DELETE FROM sign_in_throttles WHERE window_start <= $1 AND (locked_until IS NULL OR locked_until <= $1)", stale_before),
                    ("DELETE FROM sign_in_logs WHERE created_at <= $1", logs_before),
                    ("DELETE FROM client_assertion_ids WHERE expires_at <= $1", now),
                ] {
                    n += sqlx::query(sql).bind($crate::ts::Ts(at)).execute(&mut *tx).await?.rows_affected();
                }
                tx.commit().await?;
                Ok(n)
            }
        }
    };
}
pub(crate) use sign_in_store_impl;
