//! Token signing keys. These are deployment-wide (not tenant-scoped): like Entra, every tenant's
//! tokens are signed by the same published keys. Rotation is an operator action, logged by the
//! caller; there is no tenant audit trail to write it to.

use crate::StoreError;
use crate::row::RowExt;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A stored signing key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredKey {
    /// Key id.
    pub kid: String,
    /// JOSE algorithm, e.g. `RS256`.
    pub alg: String,
    /// The public JWK (JSON text).
    pub public_jwk: String,
    /// The private key, sealed under the master key (bound to the kid).
    pub private_sealed: String,
    /// When created (and first published).
    pub created_at: OffsetDateTime,
    /// When it starts signing.
    pub activates_at: OffsetDateTime,
    /// When it stops signing (a newer key took over).
    pub retires_at: Option<OffsetDateTime>,
    /// When it leaves JWKS (tokens it signed have expired).
    pub expires_at: Option<OffsetDateTime>,
}

/// Signing key storage.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Adds a key. Conflict `primary_key` when the kid exists.
    async fn insert_signing_key(&self, key: &StoredKey) -> Result<(), StoreError>;
    /// Every key not yet expired at `now`, oldest first.
    async fn list_signing_keys(&self, now: OffsetDateTime) -> Result<Vec<StoredKey>, StoreError>;
    /// Sets when every key still signing at `retires_at` stops, and when it leaves JWKS —
    /// except `keep`, the key taking over. Returns how many keys were scheduled.
    async fn retire_signing_keys(
        &self,
        keep: &str,
        retires_at: OffsetDateTime,
        expires_at: OffsetDateTime,
    ) -> Result<u64, StoreError>;
    /// Deletes keys that expired before `now`. Returns how many.
    async fn delete_expired_signing_keys(&self, now: OffsetDateTime) -> Result<u64, StoreError>;
}

pub(crate) fn key_from_row(r: &impl RowExt) -> Result<StoredKey, StoreError> {
    Ok(StoredKey {
        kid: r.text("kid")?,
        alg: r.text("alg")?,
        public_jwk: r.text("public_jwk")?,
        private_sealed: r.text("private_sealed")?,
        created_at: r.ts("created_at")?,
        activates_at: r.ts("activates_at")?,
        retires_at: r.opt_ts("retires_at")?,
        expires_at: r.opt_ts("expires_at")?,
    })
}

macro_rules! key_store_impl {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::KeyStore for $store {
            async fn insert_signing_key(&self, k: &$crate::keys::StoredKey) -> Result<(), $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                sqlx::query("INSERT INTO signing_keys (kid, alg, public_jwk, private_sealed, created_at, activates_at, retires_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&k.kid)
                    .bind(&k.alg)
                    .bind(&k.public_jwk)
                    .bind(&k.private_sealed)
                    .bind($crate::ts::Ts(k.created_at))
                    .bind($crate::ts::Ts(k.activates_at))
                    .bind($crate::ts::opt(k.retires_at))
                    .bind($crate::ts::opt(k.expires_at))
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn list_signing_keys(&self, now: time::OffsetDateTime) -> Result<Vec<$crate::keys::StoredKey>, $crate::StoreError> {
                let rows = sqlx::query("SELECT kid, alg, public_jwk, private_sealed, created_at, activates_at, retires_at, expires_at FROM signing_keys WHERE expires_at IS NULL OR expires_at > $1 ORDER BY created_at, kid")
                    .bind($crate::ts::Ts(now))
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map($crate::keys::key_from_row).collect()
            }

            async fn retire_signing_keys(&self, keep: &str, retires_at: time::OffsetDateTime, expires_at: time::OffsetDateTime) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("UPDATE signing_keys SET retires_at = $2, expires_at = $3 WHERE kid <> $1 AND (retires_at IS NULL OR retires_at > $2)")
                    .bind(keep)
                    .bind($crate::ts::Ts(retires_at))
                    .bind($crate::ts::Ts(expires_at))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n)
            }

            async fn delete_expired_signing_keys(&self, now: time::OffsetDateTime) -> Result<u64, $crate::StoreError> {
                let mut tx = self.write_tx().await?;
                let n = sqlx::query("DELETE FROM signing_keys WHERE expires_at <= $1")
                    .bind($crate::ts::Ts(now))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                tx.commit().await?;
                Ok(n)
            }
        }
    };
}
pub(crate) use key_store_impl;
