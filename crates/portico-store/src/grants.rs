//! Authorization codes, refresh-token families and recorded consent. Codes and refresh tokens
//! are stored as keyed hashes; redeeming either is atomic, and presenting one twice revokes the
//! whole family it belongs to.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use portico_domain::grant::{AuthorizationGrant, ConsentType, PermissionGrant};
use portico_domain::{PermissionGrantId, ServicePrincipalId, TenantId, TokenFamilyId, UserId};
use time::OffsetDateTime;

/// What presenting a code or refresh token found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Redemption {
    /// First use: here is what it grants. It is now spent.
    Redeemed {
        /// Its family.
        family: TokenFamilyId,
        /// What it grants.
        grant: Box<AuthorizationGrant>,
    },
    /// It was used before: its family has now been revoked.
    Replayed,
    /// Its family was revoked earlier (sign-out, replay, admin action).
    Revoked,
    /// Past its lifetime.
    Expired,
    /// No such code or token in this tenant.
    Unknown,
}

/// Code, refresh token and consent storage.
#[async_trait]
pub trait GrantStore: Send + Sync {
    /// Stores a new code (hashed) and opens the token family it starts.
    async fn insert_authorization_code(
        &self,
        tenant: TenantId,
        code_hash: &str,
        family: TokenFamilyId,
        grant: &AuthorizationGrant,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// What redeeming a code would find, without spending it or revoking anything (so the
    /// caller can check the client, redirect URI and PKCE first). `Replayed` means used.
    async fn peek_authorization_code(
        &self,
        tenant: TenantId,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Redemption, StoreError>;
    /// Spends a code.
    async fn redeem_authorization_code(
        &self,
        tenant: TenantId,
        code_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Redemption, StoreError>;
    /// Stores a refresh token (hashed) in a family. Fails NotFound when the family was
    /// revoked meanwhile.
    async fn insert_refresh_token(
        &self,
        tenant: TenantId,
        token_hash: &str,
        family: TokenFamilyId,
        grant: &AuthorizationGrant,
        now: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<(), StoreError>;
    /// What redeeming a refresh token would find, without spending it (see
    /// [`GrantStore::peek_authorization_code`]).
    async fn peek_refresh_token(
        &self,
        tenant: TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Redemption, StoreError>;
    /// Spends a refresh token.
    async fn redeem_refresh_token(
        &self,
        tenant: TenantId,
        token_hash: &str,
        now: OffsetDateTime,
    ) -> Result<Redemption, StoreError>;
    /// The grants a client holds on a resource: tenant-wide ones and the user's own.
    async fn permission_grants(
        &self,
        tenant: TenantId,
        client: ServicePrincipalId,
        resource: ServicePrincipalId,
        user: Option<UserId>,
    ) -> Result<Vec<PermissionGrant>, StoreError>;
    /// Creates a grant, or replaces the scope of the existing one for the same client,
    /// resource and principal. Returns the grant as stored.
    async fn put_permission_grant(
        &self,
        tenant: TenantId,
        grant: &PermissionGrant,
        audit: &portico_domain::audit::AuditEvent,
    ) -> Result<PermissionGrant, StoreError>;
}

pub(crate) fn principal_column(c: ConsentType) -> (&'static str, uuid::Uuid) {
    match c {
        ConsentType::AllPrincipals => ("AllPrincipals", uuid::Uuid::nil()),
        ConsentType::Principal(u) => ("Principal", u.0),
    }
}

pub(crate) fn permission_grant_from_row(r: &impl RowExt) -> Result<PermissionGrant, StoreError> {
    let principal = r.uuid("principal_id")?;
    let consent_type = match r.text("consent_type")?.as_str() {
        "AllPrincipals" => ConsentType::AllPrincipals,
        "Principal" => ConsentType::Principal(UserId(principal)),
        other => return Err(StoreError::corrupt(format!("consent_type {other}"))),
    };
    Ok(PermissionGrant {
        id: PermissionGrantId(r.uuid("id")?),
        client_id: ServicePrincipalId(r.uuid("client_id")?),
        consent_type,
        resource_id: ServicePrincipalId(r.uuid("resource_id")?),
        scope: r.text("scope")?,
        created_at: r.ts("created_at")?,
    })
}

/// The SQL of one kind of single-use grant (codes, refresh tokens): `select` reads
/// `family_id, grant_data, expires_at, used_at, revoked_at` by tenant ($1) and hash ($2);
/// `spend` marks it used at $3 if it was not.
pub(crate) struct Spendable {
    pub(crate) select: &'static str,
    pub(crate) spend: &'static str,
    pub(crate) replay_reason: &'static str,
}

pub(crate) const CODES: Spendable = Spendable {
    select: "SELECT c.family_id, c.grant_data, c.expires_at, c.redeemed_at AS used_at, f.revoked_at FROM authorization_codes c JOIN token_families f ON f.tenant_id = c.tenant_id AND f.id = c.family_id WHERE c.tenant_id = $1 AND c.code_hash = $2",
    spend: "UPDATE authorization_codes SET redeemed_at = $3 WHERE tenant_id = $1 AND code_hash = $2 AND redeemed_at IS NULL",
    replay_reason: "authorization code replayed",
};

pub(crate) const REFRESH_TOKENS: Spendable = Spendable {
    select: "SELECT r.family_id, r.grant_data, r.expires_at, r.used_at, f.revoked_at FROM refresh_tokens r JOIN token_families f ON f.tenant_id = r.tenant_id AND f.id = r.family_id WHERE r.tenant_id = $1 AND r.token_hash = $2",
    spend: "UPDATE refresh_tokens SET used_at = $3 WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL",
    replay_reason: "refresh token replayed",
};

/// Decides a redemption from the row's state, inside the caller's transaction.
pub(crate) fn judge(
    used: bool,
    revoked: bool,
    expires_at: OffsetDateTime,
    now: OffsetDateTime,
) -> Option<Redemption> {
    if revoked {
        Some(Redemption::Revoked)
    } else if used {
        Some(Redemption::Replayed)
    } else if expires_at <= now {
        Some(Redemption::Expired)
    } else {
        None
    }
}

macro_rules! grant_store_impl {
    ($store:ty) => {
        impl $store {
            async fn revoke_family(tx: &mut sqlx::Transaction<'static, <$store as $crate::backend::HasDb>::Db>, tenant: portico_domain::TenantId, family: uuid::Uuid, now: time::OffsetDateTime, reason: &str) -> Result<(), $crate::StoreError> {
                sqlx::query("UPDATE token_families SET revoked_at = $3, revoked_reason = $4 WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
                    .bind(tenant.0)
                    .bind(family)
                    .bind($crate::ts::Ts(now))
                    .bind(reason)
                    .execute(&mut **tx)
                    .await?;
                Ok(())
            }

            async fn peek_spendable(&self, kind: &$crate::grants::Spendable, tenant: portico_domain::TenantId, hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                use $crate::row::RowExt as _;
                let Some(row) = sqlx::query(kind.select).bind(tenant.0).bind(hash).fetch_optional(&self.pool).await? else {
                    return Ok($crate::grants::Redemption::Unknown);
                };
                if let Some(verdict) = $crate::grants::judge(row.opt_ts("used_at")?.is_some(), row.opt_ts("revoked_at")?.is_some(), row.ts("expires_at")?, now) {
                    return Ok(verdict);
                }
                Ok($crate::grants::Redemption::Redeemed { family: portico_domain::TokenFamilyId(row.uuid("family_id")?), grant: Box::new(row.json("grant_data")?) })
            }

            /// Spends a code or token in one transaction; a second use revokes its family.
            async fn redeem_spendable(&self, kind: &$crate::grants::Spendable, tenant: portico_domain::TenantId, hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                use $crate::row::RowExt as _;
                let mut tx = self.write_tx().await?;
                let Some(row) = sqlx::query(kind.select).bind(tenant.0).bind(hash).fetch_optional(&mut *tx).await? else {
                    return Ok($crate::grants::Redemption::Unknown);
                };
                let family = row.uuid("family_id")?;
                let used = row.opt_ts("used_at")?.is_some();
                if let Some(verdict) = $crate::grants::judge(used, row.opt_ts("revoked_at")?.is_some(), row.ts("expires_at")?, now) {
                    if verdict == $crate::grants::Redemption::Replayed {
                        Self::revoke_family(&mut tx, tenant, family, now, kind.replay_reason).await?;
                        tx.commit().await?;
                    }
                    return Ok(verdict);
                }
                let n = sqlx::query(kind.spend).bind(tenant.0).bind(hash).bind($crate::ts::Ts(now)).execute(&mut *tx).await?.rows_affected();
                if n != 1 {
                    // Another request spent it between the read and the update.
                    Self::revoke_family(&mut tx, tenant, family, now, kind.replay_reason).await?;
                    tx.commit().await?;
                    return Ok($crate::grants::Redemption::Replayed);
                }
                let grant = row.json("grant_data")?;
                tx.commit().await?;
                Ok($crate::grants::Redemption::Redeemed { family: portico_domain::TokenFamilyId(family), grant: Box::new(grant) })
            }
        }

        #[async_trait::async_trait]
        impl $crate::GrantStore for $store {
            async fn insert_authorization_code(&self, tenant: portico_domain::TenantId, code_hash: &str, family: portico_domain::TokenFamilyId, grant: &portico_domain::grant::AuthorizationGrant, now: time::OffsetDateTime, expires_at: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO token_families (tenant_id, id, client_app_id, user_id, session_id, created_at, revoked_at, revoked_reason) VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL)")
                    .bind(tenant.0)
                    .bind(family.0)
                    .bind(grant.client_app_id.0)
                    .bind(grant.user_id.0)
                    .bind(grant.session_id.map(|s| s.0))
                    .bind($crate::ts::Ts(now))
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("INSERT INTO authorization_codes (code_hash, tenant_id, family_id, grant_data, created_at, expires_at, redeemed_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                    .bind(code_hash)
                    .bind(tenant.0)
                    .bind(family.0)
                    .bind($crate::row::to_json(grant)?)
                    .bind($crate::ts::Ts(now))
                    .bind($crate::ts::Ts(expires_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn peek_authorization_code(&self, tenant: portico_domain::TenantId, code_hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                self.peek_spendable(&$crate::grants::CODES, tenant, code_hash, now).await
            }

            async fn redeem_authorization_code(&self, tenant: portico_domain::TenantId, code_hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                self.redeem_spendable(&$crate::grants::CODES, tenant, code_hash, now).await
            }

            async fn peek_refresh_token(&self, tenant: portico_domain::TenantId, token_hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                self.peek_spendable(&$crate::grants::REFRESH_TOKENS, tenant, token_hash, now).await
            }

            async fn redeem_refresh_token(&self, tenant: portico_domain::TenantId, token_hash: &str, now: time::OffsetDateTime) -> Result<$crate::grants::Redemption, $crate::StoreError> {
                self.redeem_spendable(&$crate::grants::REFRESH_TOKENS, tenant, token_hash, now).await
            }

            async fn insert_refresh_token(&self, tenant: portico_domain::TenantId, token_hash: &str, family: portico_domain::TokenFamilyId, grant: &portico_domain::grant::AuthorizationGrant, now: time::OffsetDateTime, expires_at: time::OffsetDateTime) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let live: Option<(uuid::Uuid,)> = sqlx::query_as("SELECT id FROM token_families WHERE tenant_id = $1 AND id = $2 AND revoked_at IS NULL")
                    .bind(tenant.0)
                    .bind(family.0)
                    .fetch_optional(&mut *tx)
                    .await?;
                if live.is_none() {
                    return Err($crate::StoreError::NotFound("token family"));
                }
                sqlx::query("INSERT INTO refresh_tokens (token_hash, tenant_id, family_id, grant_data, created_at, expires_at, used_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)")
                    .bind(token_hash)
                    .bind(tenant.0)
                    .bind(family.0)
                    .bind($crate::row::to_json(grant)?)
                    .bind($crate::ts::Ts(now))
                    .bind($crate::ts::Ts(expires_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn permission_grants(&self, tenant: portico_domain::TenantId, client: portico_domain::ServicePrincipalId, resource: portico_domain::ServicePrincipalId, user: Option<portico_domain::UserId>) -> Result<Vec<portico_domain::grant::PermissionGrant>, $crate::StoreError> {
                let rows = sqlx::query("SELECT id, client_id, consent_type, principal_id, resource_id, scope, created_at FROM permission_grants WHERE tenant_id = $1 AND client_id = $2 AND resource_id = $3 AND (consent_type = 'AllPrincipals' OR principal_id = $4) ORDER BY created_at, id")
                    .bind(tenant.0)
                    .bind(client.0)
                    .bind(resource.0)
                    .bind(user.map_or(uuid::Uuid::nil(), |u| u.0))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::grants::permission_grant_from_row).collect()
            }

            async fn put_permission_grant(&self, tenant: portico_domain::TenantId, g: &portico_domain::grant::PermissionGrant, audit: &portico_domain::audit::AuditEvent) -> Result<portico_domain::grant::PermissionGrant, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let (kind, principal) = $crate::grants::principal_column(g.consent_type);
                let row = sqlx::query("INSERT INTO permission_grants (tenant_id, id, client_id, consent_type, principal_id, resource_id, scope, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                    ON CONFLICT (tenant_id, client_id, resource_id, principal_id) DO UPDATE SET scope = excluded.scope \
                    RETURNING id, client_id, consent_type, principal_id, resource_id, scope, created_at")
                    .bind(tenant.0)
                    .bind(g.id.0)
                    .bind(g.client_id.0)
                    .bind(kind)
                    .bind(principal)
                    .bind(g.resource_id.0)
                    .bind(&g.scope)
                    .bind($crate::ts::Ts(g.created_at))
                    .fetch_one(&mut *tx)
                    .await?;
                let stored = $crate::grants::permission_grant_from_row(&row)?;
                Self::insert_audit_row(&mut tx, tenant, audit).await?;
                tx.commit().await?;
                Ok(stored)
            }
        }
    };
}
pub(crate) use grant_store_impl;
