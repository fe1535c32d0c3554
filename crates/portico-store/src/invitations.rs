//! B2B invitations: the guest user, its sponsors and the invitation written in one
//! transaction; a newer invitation of the same user revokes the older ones.

use crate::StoreError;
use crate::query_sql::Bind;
use crate::row::RowExt;
use portico_domain::audit::AuditEvent;
use portico_domain::directory_object::ObjectRef;
use portico_domain::invitation::Invitation;
use portico_domain::mail::OutboxMail;
use portico_domain::user::User;
use portico_domain::{TenantId, UserId};

/// What an invitation must know about its address before it is made, read in one round of
/// queries on one connection (see [`InvitationStore::invitee_lookup`]).
#[derive(Debug, Clone, Default)]
pub struct InviteeLookup {
    /// The live user whose UPN is the guest UPN of the address (case-insensitive).
    pub by_upn: Option<User>,
    /// The first two live users, in id order, whose primary mail is the address
    /// (case-insensitive); the UPN's user among them if its mail is the address.
    pub by_mail: Vec<User>,
    /// Whether the address asked not to be invited.
    pub blocked: bool,
    /// Whether the address's domain is a verified domain of the tenant.
    pub own_domain: bool,
}

/// Invitation storage.
#[async_trait::async_trait]
pub trait InvitationStore {
    /// Reads what inviting `email` (lower-cased domain `domain`, guest UPN `upn`) must know:
    /// the user with that UPN or else the users with that mail, whether the address blocked
    /// invitations, and whether `domain` is one of the tenant's verified domains.
    async fn invitee_lookup(
        &self,
        tenant: TenantId,
        upn: &str,
        email: &str,
        domain: &str,
    ) -> Result<InviteeLookup, StoreError>;
    /// Records an invitation. With `new_user`, the guest user is created first (with
    /// `sponsors`), as for `create_user`; otherwise the invitation is for the existing
    /// `invitation.user_id`. Open invitations of that user are revoked. One transaction with
    /// the audit events and the invitation mail, if any, queued in the outbox. A new guest whose
    /// UPN or sign-in identity is taken is a conflict on `USER_UPN` or `USER_IDENTITY` (which
    /// one depends on the backend) and writes nothing.
    async fn create_invitation(
        &self,
        tenant: TenantId,
        new_user: Option<&User>,
        sponsors: &[ObjectRef],
        invitation: &Invitation,
        mail: Option<&OutboxMail>,
        audit: &[AuditEvent],
    ) -> Result<(), StoreError>;
    /// A user's invitations, newest first.
    async fn invitations_of(
        &self,
        tenant: TenantId,
        user: UserId,
    ) -> Result<Vec<Invitation>, StoreError>;
}

/// A new guest (without sponsors), its identities, the invitation, its mail and the audit
/// events as one statement of data-modifying CTEs, for PostgreSQL: one round trip (and, run
/// outside a transaction, its own transaction) instead of a dozen. Foreign keys are checked
/// at the end of the statement, when every row is in; the user counter at commit.
pub(crate) fn invitation_statement(
    tenant: TenantId,
    u: &User,
    inv: &Invitation,
    mail: Option<&OutboxMail>,
    audit: &[AuditEvent],
) -> Result<(String, Vec<Bind>), StoreError> {
    use crate::row::to_json;
    let mut binds: Vec<Bind> = Vec::new();
    let mut values = |row: Vec<Bind>, tail: &str| -> String {
        let first = binds.len() + 1;
        let n = row.len();
        binds.extend(row);
        let p: Vec<String> = (first..first + n).map(|i| format!("${i}")).collect();
        format!("({}{tail})", p.join(", "))
    };
    let mut ctes = Vec::new();
    ctes.push(format!(
        "u AS (INSERT INTO users (tenant_id, id, display_name, given_name, surname, mail, other_mails, mail_nickname, user_principal_name, user_type, account_enabled, creation_type, external_user_state, external_user_state_changed_at, identities, company_name, job_title, preferred_language, password_hash, force_change_password, password_changed_at, created_at, deleted_at) VALUES {})",
        values(
            vec![
                Bind::Uuid(tenant.0),
                Bind::Uuid(u.id.0),
                Bind::Text(u.display_name.clone()),
                Bind::OptText(u.given_name.clone()),
                Bind::OptText(u.surname.clone()),
                Bind::OptText(u.mail.clone()),
                Bind::Text(to_json(&u.other_mails)?),
                Bind::OptText(u.mail_nickname.clone()),
                Bind::Text(u.user_principal_name.clone()),
                Bind::Text(u.user_type.as_str().to_owned()),
                Bind::Bool(u.account_enabled),
                Bind::OptText(u.creation_type.map(|c| c.as_str().to_owned())),
                Bind::OptText(u.external_user_state.map(|s| s.as_str().to_owned())),
                Bind::OptTs(u.external_user_state_change_date_time),
                Bind::Text(to_json(&u.identities)?),
                Bind::OptText(u.company_name.clone()),
                Bind::OptText(u.job_title.clone()),
                Bind::OptText(u.preferred_language.clone()),
                Bind::OptText(None),
                Bind::Bool(u.force_change_password_next_sign_in),
                Bind::OptTs(u.last_password_change_date_time),
                Bind::Ts(u.created_date_time),
            ],
            ", NULL",
        )
    ));
    for (i, identity) in u.identities.iter().enumerate() {
        ctes.push(format!(
            "k{i} AS (INSERT INTO user_identity_keys (tenant_id, identity_key, user_id) VALUES {})",
            values(
                vec![
                    Bind::Uuid(tenant.0),
                    Bind::Text(identity.unique_key()),
                    Bind::Uuid(u.id.0),
                ],
                "",
            )
        ));
        ctes.push(format!(
            "i{i} AS (INSERT INTO user_identities (tenant_id, user_id, sign_in_type, issuer, issuer_assigned_id) VALUES {})",
            values(
                vec![
                    Bind::Uuid(tenant.0),
                    Bind::Uuid(u.id.0),
                    Bind::Text(identity.sign_in_type.clone()),
                    Bind::Text(identity.issuer.to_lowercase()),
                    Bind::OptText(identity.issuer_assigned_id.as_deref().map(str::to_lowercase)),
                ],
                "",
            )
        ));
    }
    ctes.push(format!(
        "inv AS (INSERT INTO invitations (tenant_id, id, user_id, ticket_hash, invited_email, redirect_url, send_message, message_info, invited_by, created_at, redeemed_at, revoked_at) VALUES {})",
        values(
            vec![
                Bind::Uuid(tenant.0),
                Bind::Uuid(inv.id),
                Bind::Uuid(inv.user_id.0),
                Bind::Text(inv.ticket_hash.clone()),
                Bind::Text(inv.invited_email.clone()),
                Bind::Text(inv.redirect_url.clone()),
                Bind::Bool(inv.send_message),
                Bind::Text(to_json(&inv.message_info)?),
                Bind::Text(inv.invited_by.clone()),
                Bind::Ts(inv.created_at),
            ],
            ", NULL, NULL",
        )
    ));
    if let Some(m) = mail {
        ctes.push(format!(
            "m AS (INSERT INTO outbox (tenant_id, id, kind, sealed, created_at, attempts, next_attempt_at, lease_until, sent_at, failed_at, last_error) VALUES {})",
            values(
                vec![
                    Bind::Uuid(tenant.0),
                    Bind::Uuid(m.id),
                    Bind::Text(m.kind.as_str().to_owned()),
                    Bind::Text(m.sealed.clone()),
                    Bind::Ts(m.created_at),
                    Bind::Int(i64::from(m.attempts)),
                    Bind::Ts(m.next_attempt_at),
                ],
                ", NULL, NULL, NULL, NULL",
            )
        ));
    }
    if !audit.is_empty() {
        let mut rows = Vec::with_capacity(audit.len());
        for e in audit {
            rows.push(values(
                vec![
                    Bind::Uuid(tenant.0),
                    Bind::Uuid(e.id.0),
                    Bind::Ts(e.activity_date_time),
                    Bind::Text(e.category.as_str().to_owned()),
                    Bind::Text(e.activity_display_name.clone()),
                    Bind::Text(e.operation_type.clone()),
                    Bind::Text(e.result.as_str().to_owned()),
                    Bind::OptText(e.result_reason.clone()),
                    Bind::Text(to_json(&e.initiated_by)?),
                    Bind::Text(to_json(&e.target_resources)?),
                    Bind::Uuid(e.correlation_id.0),
                    Bind::Text(e.logged_by_service.clone()),
                ],
                "",
            ));
        }
        ctes.push(format!(
            "a AS (INSERT INTO audit_events (tenant_id, id, activity_at, category, activity_display_name, operation_type, result, result_reason, initiated_by, target_resources, correlation_id, logged_by_service) VALUES {})",
            rows.join(", ")
        ));
    }
    Ok((format!("WITH {} SELECT 1", ctes.join(", ")), binds))
}

pub(crate) fn invitation_from_row(r: &impl RowExt) -> Result<Invitation, StoreError> {
    Ok(Invitation {
        id: r.uuid("id")?,
        user_id: UserId(r.uuid("user_id")?),
        ticket_hash: r.text("ticket_hash")?,
        invited_email: r.text("invited_email")?,
        redirect_url: r.text("redirect_url")?,
        send_message: r.flag("send_message")?,
        message_info: r.json("message_info")?,
        invited_by: r.text("invited_by")?,
        created_at: r.ts("created_at")?,
        redeemed_at: r.opt_ts("redeemed_at")?,
        revoked_at: r.opt_ts("revoked_at")?,
    })
}

macro_rules! invitation_store_impl {
    ($store:ty) => {
        impl $store {
            /// Revokes the user's open invitations (unless the user was created in this
            /// transaction, so has none) and inserts `inv`.
            async fn insert_invitation_rows(
                tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>,
                tenant: portico_domain::TenantId,
                inv: &portico_domain::invitation::Invitation,
                new_user: bool,
            ) -> Result<(), $crate::StoreError> {
                if !new_user {
                sqlx::query("UPDATE invitations SET revoked_at = $3 WHERE tenant_id = $1 AND user_id = $2 AND revoked_at IS NULL AND redeemed_at IS NULL")
                    .bind(tenant.0)
                    .bind(inv.user_id.0)
                    .bind($crate::ts::Ts(inv.created_at))
                    .execute(&mut **tx)
                    .await?;
                }
                sqlx::query("INSERT INTO invitations (tenant_id, id, user_id, ticket_hash, invited_email, redirect_url, send_message, message_info, invited_by, created_at, redeemed_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)")
                    .bind(tenant.0)
                    .bind(inv.id)
                    .bind(inv.user_id.0)
                    .bind(&inv.ticket_hash)
                    .bind(&inv.invited_email)
                    .bind(&inv.redirect_url)
                    .bind(inv.send_message)
                    .bind($crate::row::to_json(&inv.message_info)?)
                    .bind(&inv.invited_by)
                    .bind($crate::ts::Ts(inv.created_at))
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::invitations::InvitationStore for $store {
            async fn invitee_lookup(&self, tenant: portico_domain::TenantId, upn: &str, email: &str, domain: &str) -> Result<$crate::invitations::InviteeLookup, $crate::StoreError> {
                use $crate::row::RowExt as _;
                let mut conn = self.pool.acquire().await?;
                // The UPN match and the first two mail matches (each half searches its own index).
                let rows = sqlx::query(concat!(
                    "SELECT * FROM (SELECT ", $crate::users::user_columns!(), ", CAST(1 AS BIGINT) AS upn_match FROM users WHERE tenant_id = $1 AND lower(user_principal_name) = lower($2) AND deleted_at IS NULL) AS by_upn",
                    " UNION ALL SELECT * FROM (SELECT ", $crate::users::user_columns!(), ", CAST(0 AS BIGINT) AS upn_match FROM users WHERE tenant_id = $1 AND lower(mail) = lower($3) AND deleted_at IS NULL ORDER BY id LIMIT 2) AS by_mail"))
                    .persistent($crate::backend::plan_once(Self::BACKEND))
                    .bind(tenant.0)
                    .bind(upn)
                    .bind(email)
                    .fetch_all(&mut *conn)
                    .await?;
                let mut out = $crate::invitations::InviteeLookup::default();
                for r in &rows {
                    let user = $crate::users::user_from_row(r)?;
                    if r.int("upn_match")? == 1 {
                        out.by_upn = Some(user);
                    } else {
                        out.by_mail.push(user);
                    }
                }
                let flags = sqlx::query("SELECT CAST(CASE WHEN EXISTS (SELECT 1 FROM invitation_blocks WHERE tenant_id = $1 AND email = $2) THEN 1 ELSE 0 END AS BIGINT) AS blocked, CAST(CASE WHEN EXISTS (SELECT 1 FROM domains WHERE tenant_id = $1 AND name = $3 AND is_verified) THEN 1 ELSE 0 END AS BIGINT) AS own_domain")
                    .bind(tenant.0)
                    .bind(email.to_lowercase())
                    .bind(domain)
                    .fetch_one(&mut *conn)
                    .await?;
                out.blocked = flags.int("blocked")? == 1;
                out.own_domain = flags.int("own_domain")? == 1;
                Ok(out)
            }

            async fn create_invitation(&self, tenant: portico_domain::TenantId, new_user: Option<&portico_domain::user::User>, sponsors: &[portico_domain::directory_object::ObjectRef], inv: &portico_domain::invitation::Invitation, mail: Option<&portico_domain::mail::OutboxMail>, audit: &[portico_domain::audit::AuditEvent]) -> Result<(), $crate::StoreError> {
                if Self::BACKEND == $crate::backend::Backend::Postgres
                    && sponsors.is_empty()
                    && let Some(u) = new_user
                {
                    let (text, binds) = $crate::invitations::invitation_statement(tenant, u, inv, mail, audit)?;
                    // Only placeholders are formatted into the text.
                    $crate::query_sql::bind_all!(sqlx::query(sqlx::AssertSqlSafe(text)), &binds)
                        .execute(&self.pool)
                        .await?;
                    return Ok(());
                }
                let mut tx = self.write_tx().await?;
                if let Some(u) = new_user {
                    Self::insert_user_rows(&mut tx, tenant, u, None).await?;
                    for s in sponsors {
                        Self::ensure_object_exists(&mut tx, tenant, *s, "sponsor").await?;
                        sqlx::query("INSERT INTO user_sponsors (tenant_id, user_id, sponsor_id, sponsor_kind, created_at) VALUES ($1, $2, $3, $4, $5)")
                            .bind(tenant.0)
                            .bind(u.id.0)
                            .bind(s.id)
                            .bind(s.kind.as_str())
                            .bind($crate::ts::Ts(inv.created_at))
                            .execute(&mut *tx)
                            .await?;
                    }
                } else {
                    let found = sqlx::query("SELECT 1 AS found FROM users WHERE tenant_id = $1 AND id = $2 AND deleted_at IS NULL")
                        .bind(tenant.0)
                        .bind(inv.user_id.0)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if found.is_none() {
                        return Err($crate::StoreError::NotFound("user"));
                    }
                }
                Self::insert_invitation_rows(&mut tx, tenant, inv, new_user.is_some()).await?;
                if let Some(m) = mail {
                    Self::insert_mail_row(&mut tx, tenant, m).await?;
                }
                Self::insert_audit_rows(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn invitations_of(&self, tenant: portico_domain::TenantId, user: portico_domain::UserId) -> Result<Vec<portico_domain::invitation::Invitation>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, user_id, ticket_hash, invited_email, redirect_url, send_message, message_info, invited_by, created_at, redeemed_at, revoked_at FROM invitations WHERE tenant_id = $1 AND user_id = $2 ORDER BY created_at DESC, id")
                    .bind(tenant.0)
                    .bind(user.0)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::invitations::invitation_from_row).collect()
            }
        }
    };
}
pub(crate) use invitation_store_impl;
