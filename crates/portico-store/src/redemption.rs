//! Redemption state: email one-time passcodes (queued with their mail in one transaction),
//! invitations found by ticket, the redemption itself (invitation closed, guest Accepted with
//! its sign-in identity, audit, in one transaction) and "block future invitations".

use crate::StoreError;
use crate::row::RowExt;
use portico_domain::TenantId;
use portico_domain::audit::AuditEvent;
use portico_domain::invitation::Invitation;
use portico_domain::mail::OutboxMail;
use portico_domain::otp::{OtpCode, OtpPurpose};
use portico_domain::user::User;
use time::OffsetDateTime;

/// Redemption storage.
#[async_trait::async_trait]
pub trait RedemptionStore {
    /// Stores a passcode and queues its mail; earlier open codes for the same purpose and
    /// address are superseded.
    async fn issue_otp(
        &self,
        tenant: TenantId,
        otp: &OtpCode,
        mail: &OutboxMail,
    ) -> Result<(), StoreError>;
    /// Reads a passcode.
    async fn get_otp(&self, tenant: TenantId, id: uuid::Uuid) -> Result<OtpCode, StoreError>;
    /// Counts a wrong try; returns the new count.
    async fn otp_failed(&self, tenant: TenantId, id: uuid::Uuid) -> Result<u32, StoreError>;
    /// Spends a passcode; false when it was spent, superseded or tried too often meanwhile.
    async fn use_otp(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
    /// The invitation whose ticket has this keyed hash.
    async fn invitation_by_ticket(
        &self,
        tenant: TenantId,
        ticket_hash: &str,
    ) -> Result<Invitation, StoreError>;
    /// An invitation by id.
    async fn get_invitation(
        &self,
        tenant: TenantId,
        id: uuid::Uuid,
    ) -> Result<Invitation, StoreError>;
    /// Redeems: closes `invitation` (which must be open), or with `None` every open
    /// invitation of the user (just-in-time redemption), and stores `user` (Accepted, with
    /// its sign-in identities) — only if the stored user is still PendingAcceptance.
    /// Conflicts: `invitation_closed`, `pk_user_identity_keys`.
    async fn redeem_invitation(
        &self,
        tenant: TenantId,
        invitation: Option<uuid::Uuid>,
        user: &User,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Resets a guest's redemption: stores `user` (PendingAcceptance, external sign-in
    /// identities cleared; object id, UPN, groups and apps untouched), revokes its open
    /// invitations and records `invitation` with its mail and audit events — one transaction.
    /// (The caller then ends the user's sessions.)
    async fn reset_redemption(
        &self,
        tenant: TenantId,
        user: &User,
        invitation: &Invitation,
        mail: Option<&OutboxMail>,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// Records that `email` wants no more invitations (idempotent).
    async fn block_invitations(
        &self,
        tenant: TenantId,
        email: &str,
        at: OffsetDateTime,
        audit: &AuditEvent,
    ) -> Result<(), StoreError>;
    /// Whether `email` asked not to be invited.
    async fn invitations_blocked(&self, tenant: TenantId, email: &str) -> Result<bool, StoreError>;
}

pub(crate) fn otp_from_row(r: &impl RowExt) -> Result<OtpCode, StoreError> {
    let purpose = r.text("purpose")?;
    Ok(OtpCode {
        id: r.uuid("id")?,
        purpose: OtpPurpose::parse(&purpose)
            .ok_or_else(|| StoreError::corrupt(format!("otp purpose {purpose}")))?,
        subject: r.text("subject")?,
        code_hash: r.text("code_hash")?,
        created_at: r.ts("created_at")?,
        expires_at: r.ts("expires_at")?,
        failed_attempts: u32::try_from(r.int("failed_attempts")?).unwrap_or(u32::MAX),
        used_at: r.opt_ts("used_at")?,
    })
}

macro_rules! redemption_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::redemption::RedemptionStore for $store {
            async fn issue_otp(&self, tenant: portico_domain::TenantId, otp: &portico_domain::otp::OtpCode, mail: &portico_domain::mail::OutboxMail) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("UPDATE otp_codes SET used_at = $4 WHERE tenant_id = $1 AND purpose = $2 AND subject = $3 AND used_at IS NULL")
                    .bind(tenant.0)
                    .bind(otp.purpose.as_str())
                    .bind(&otp.subject)
                    .bind($crate::ts::Ts(otp.created_at))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO otp_codes (tenant_id, id, purpose, subject, code_hash, created_at, expires_at, failed_attempts, used_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, NULL)")
                    .bind(tenant.0)
                    .bind(otp.id)
                    .bind(otp.purpose.as_str())
                    .bind(&otp.subject)
                    .bind(&otp.code_hash)
                    .bind($crate::ts::Ts(otp.created_at))
                    .bind($crate::ts::Ts(otp.expires_at))
                    .execute(&mut *tx)
                    .await?;
                Self::insert_mail_row(&mut tx, tenant, mail).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn get_otp(&self, tenant: portico_domain::TenantId, id: uuid::Uuid) -> Result<portico_domain::otp::OtpCode, $crate::StoreError> {
                let row = sqlx::query("SELECT id, purpose, subject, code_hash, created_at, expires_at, failed_attempts, used_at FROM otp_codes WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("passcode"))?;
                $crate::redemption::otp_from_row(&row)
            }

            async fn otp_failed(&self, tenant: portico_domain::TenantId, id: uuid::Uuid) -> Result<u32, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n: Option<i64> = sqlx::query_scalar("UPDATE otp_codes SET failed_attempts = failed_attempts + 1 WHERE tenant_id = $1 AND id = $2 RETURNING failed_attempts")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.commit().await?;
                let n = n.ok_or($crate::StoreError::NotFound("passcode"))?;
                Ok(u32::try_from(n).unwrap_or(u32::MAX))
            }

            async fn use_otp(&self, tenant: portico_domain::TenantId, id: uuid::Uuid, at: time::OffsetDateTime) -> Result<bool, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE otp_codes SET used_at = $3 WHERE tenant_id = $1 AND id = $2 AND used_at IS NULL AND expires_at > $3 AND failed_attempts < $4")
                    .bind(tenant.0)
                    .bind(id)
                    .bind($crate::ts::Ts(at))
                    .bind(i64::from(portico_domain::otp::OTP_MAX_FAILURES))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n == 1)
            }

            async fn invitation_by_ticket(&self, tenant: portico_domain::TenantId, ticket_hash: &str) -> Result<portico_domain::invitation::Invitation, $crate::StoreError> {
                let row = sqlx::query("SELECT id, user_id, ticket_hash, invited_email, redirect_url, send_message, message_info, invited_by, created_at, redeemed_at, revoked_at FROM invitations WHERE ticket_hash = $2 AND tenant_id = $1")
                    .bind(tenant.0)
                    .bind(ticket_hash)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("invitation"))?;
                $crate::invitations::invitation_from_row(&row)
            }

            async fn get_invitation(&self, tenant: portico_domain::TenantId, id: uuid::Uuid) -> Result<portico_domain::invitation::Invitation, $crate::StoreError> {
                let row = sqlx::query("SELECT id, user_id, ticket_hash, invited_email, redirect_url, send_message, message_info, invited_by, created_at, redeemed_at, revoked_at FROM invitations WHERE tenant_id = $1 AND id = $2")
                    .bind(tenant.0)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .ok_or($crate::StoreError::NotFound("invitation"))?;
                $crate::invitations::invitation_from_row(&row)
            }

            async fn redeem_invitation(&self, tenant: portico_domain::TenantId, invitation: Option<uuid::Uuid>, u: &portico_domain::user::User, audit: &[portico_domain::audit::AuditEvent]) -> Result<(), $crate::StoreError> {
                let closed = || $crate::StoreError::Conflict { constraint: $crate::constraint::INVITATION_CLOSED.into() };
                let mut tx = self.write_tx().await?;
                let at = $crate::ts::Ts(u.external_user_state_change_date_time.or_else(|| audit.first().map(|a| a.activity_date_time)).unwrap_or(time::OffsetDateTime::UNIX_EPOCH));
                match invitation {
                    Some(id) => {
                        let n = sqlx::query("UPDATE invitations SET redeemed_at = $4 WHERE tenant_id = $1 AND id = $2 AND user_id = $3 AND redeemed_at IS NULL AND revoked_at IS NULL")
                            .bind(tenant.0)
                            .bind(id)
                            .bind(u.id.0)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?
                            .rows_affected();
                        if n == 0 {
                            return Err(closed());
                        }
                    }
                    None => {
                        sqlx::query("UPDATE invitations SET redeemed_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND redeemed_at IS NULL AND revoked_at IS NULL")
                            .bind(tenant.0)
                            .bind(u.id.0)
                            .bind(at)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                let n = sqlx::query("UPDATE users SET external_user_state = $3, external_user_state_changed_at = $4, identities = $5 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL AND external_user_state = 'PendingAcceptance'")
                    .bind(tenant.0)
                    .bind(u.id.0)
                    .bind(u.external_user_state.map(|s| s.as_str()))
                    .bind(at)
                    .bind($crate::row::to_json(&u.identities)?)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err(closed());
                }
                Self::delete_identity_keys(&mut tx, tenant, u.id).await?;
                Self::insert_identity_keys(&mut tx, tenant, u).await?;
                for a in audit {
                    Self::insert_audit_row(&mut tx, tenant, a).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn reset_redemption(&self, tenant: portico_domain::TenantId, u: &portico_domain::user::User, inv: &portico_domain::invitation::Invitation, mail: Option<&portico_domain::mail::OutboxMail>, audit: &[portico_domain::audit::AuditEvent]) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE users SET external_user_state = $3, external_user_state_changed_at = $4, identities = $5 WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                    .bind(tenant.0)
                    .bind(u.id.0)
                    .bind(u.external_user_state.map(|s| s.as_str()))
                    .bind($crate::ts::opt(u.external_user_state_change_date_time))
                    .bind($crate::row::to_json(&u.identities)?)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    return Err($crate::StoreError::NotFound("user"));
                }
                Self::delete_identity_keys(&mut tx, tenant, u.id).await?;
                Self::insert_identity_keys(&mut tx, tenant, u).await?;
                Self::insert_invitation_rows(&mut tx, tenant, inv, false).await?;
                if let Some(m) = mail {
                    Self::insert_mail_row(&mut tx, tenant, m).await?;
                }
                for a in audit {
                    Self::insert_audit_row(&mut tx, tenant, a).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn block_invitations(&self, tenant: portico_domain::TenantId, email: &str, at: time::OffsetDateTime, audit: &portico_domain::audit::AuditEvent) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("INSERT INTO invitation_blocks (tenant_id, email, created_at) VALUES ($1, $2, $3) ON CONFLICT (tenant_id, email) DO NOTHING")
                    .bind(tenant.0)
                    .bind(email.to_lowercase())
                    .bind($crate::ts::Ts(at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 1 {
                    Self::insert_audit_row(&mut tx, tenant, audit).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn invitations_blocked(&self, tenant: portico_domain::TenantId, email: &str) -> Result<bool, $crate::StoreError> {
                let row = sqlx::query("SELECT 1 AS found FROM invitation_blocks WHERE tenant_id = $1 AND email = $2")
                    .bind(tenant.0)
                    .bind(email.to_lowercase())
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.is_some())
            }
        }
    };
}
pub(crate) use redemption_store_impl;
