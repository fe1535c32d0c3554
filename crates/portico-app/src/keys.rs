//! Token signing keys: created on first start, rotated by operators, shared by replicas through
//! the store, their private parts sealed under the master key. Parsed keys are cached in memory
//! for a short time (a cache that may be lost), so a rotation on one replica reaches the others
//! within `CACHE_TTL`.

use crate::{App, AppError};
use portico_crypto::jws::{Algorithm, SigningKey};
use portico_crypto::master::MasterKey;
use portico_store::StoredKey;
use serde_json::{Value, json};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// How long parsed keys are reused before the store is read again.
pub const CACHE_TTL: Duration = Duration::from_secs(60);
/// How long a retired key stays in JWKS: longer than any token it signed lives.
pub const RETIRED_KEY_GRACE: time::Duration = time::Duration::hours(24);

/// The master key and the cache of parsed signing keys.
#[derive(Debug)]
pub struct KeyRing {
    master: MasterKey,
    cache: RwLock<Option<Loaded>>,
}

#[derive(Debug, Clone)]
struct Loaded {
    at: Instant,
    signer: Arc<SigningKey>,
    jwks: Arc<Value>,
}

/// A key's place in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    /// Published, not signing yet.
    Pending,
    /// Signing.
    Active,
    /// Published so tokens it signed still verify; no longer signing.
    Retired,
}

impl KeyState {
    /// Lower-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Retired => "retired",
        }
    }
}

fn state(k: &StoredKey, now: OffsetDateTime) -> KeyState {
    if k.activates_at > now {
        KeyState::Pending
    } else if k.retires_at.is_some_and(|r| r <= now) {
        KeyState::Retired
    } else {
        KeyState::Active
    }
}

impl KeyRing {
    /// A key ring using `master` to seal and open private keys.
    #[must_use]
    pub fn new(master: MasterKey) -> Self {
        Self {
            master,
            cache: RwLock::new(None),
        }
    }

    /// The master key's fingerprint (not secret).
    #[must_use]
    pub fn master_fingerprint(&self) -> &str {
        self.master.fingerprint()
    }

    fn forget(&self) {
        if let Ok(mut c) = self.cache.write() {
            *c = None;
        }
    }
}

impl App {
    /// Makes sure some key can sign (first start, or every key retired): creates one that is
    /// active at once. Then loads every key, so a master key that cannot open them fails here.
    pub async fn ensure_signing_key(&self) -> Result<(), AppError> {
        let now = self.clock.now();
        let keys = self.store.list_signing_keys(now).await?;
        if !keys.iter().any(|k| state(k, now) == KeyState::Active) {
            let key = self.new_stored_key(now, now)?;
            self.store.insert_signing_key(&key).await?;
            tracing::info!(kid = %key.kid, "created the first token signing key");
        }
        self.keys.forget();
        self.load_keys().await.map(|_| ())
    }

    /// Rotates: a new key is published now and starts signing at `activate_at`; every other
    /// key stops signing then and leaves JWKS `RETIRED_KEY_GRACE` later. Returns the new kid.
    pub async fn rotate_signing_key(
        &self,
        activate_in: time::Duration,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let activates = now + activate_in.max(time::Duration::ZERO);
        let key = self.new_stored_key(now, activates)?;
        self.store.insert_signing_key(&key).await?;
        self.store
            .retire_signing_keys(&key.kid, activates, activates + RETIRED_KEY_GRACE)
            .await?;
        self.store.delete_expired_signing_keys(now).await?;
        self.keys.forget();
        tracing::info!(kid = %key.kid, activates_at = %activates, "rotated token signing keys");
        Ok(key.kid)
    }

    /// Every published key with its state, oldest first.
    pub async fn list_signing_keys(&self) -> Result<Vec<(StoredKey, KeyState)>, AppError> {
        let now = self.clock.now();
        Ok(self
            .store
            .list_signing_keys(now)
            .await?
            .into_iter()
            .map(|k| {
                let s = state(&k, now);
                (k, s)
            })
            .collect())
    }

    /// The key that signs tokens now.
    pub async fn signing_key(&self) -> Result<Arc<SigningKey>, AppError> {
        Ok(self.load_keys().await?.signer)
    }

    /// The JSON Web Key Set to publish: every key not yet expired.
    pub async fn jwks(&self) -> Result<Arc<Value>, AppError> {
        Ok(self.load_keys().await?.jwks)
    }

    async fn load_keys(&self) -> Result<Loaded, AppError> {
        if let Ok(c) = self.keys.cache.read()
            && let Some(l) = c.as_ref()
            && l.at.elapsed() < CACHE_TTL
        {
            return Ok(l.clone());
        }
        let now = self.clock.now();
        let stored = self.store.list_signing_keys(now).await?;
        let mut published = Vec::with_capacity(stored.len());
        for k in &stored {
            let jwk: Value = serde_json::from_str(&k.public_jwk).map_err(|e| {
                AppError::Internal(format!("signing key {}: bad public JWK: {e}", k.kid))
            })?;
            published.push(jwk);
        }
        let current = stored
            .iter()
            .filter(|k| state(k, now) == KeyState::Active)
            .max_by_key(|k| (k.activates_at, k.created_at))
            .ok_or_else(|| {
                AppError::Internal(
                    "no active token signing key; run 'portico keys rotate --now'".into(),
                )
            })?;
        let der = self.keys.master.open(&current.private_sealed, &current.kid).map_err(|_| {
            AppError::Internal(format!(
                "signing key {} cannot be decrypted with master key {}: every replica needs the same master_key",
                current.kid,
                self.keys.master_fingerprint()
            ))
        })?;
        let alg = Algorithm::parse(&current.alg).ok_or_else(|| {
            AppError::Internal(format!(
                "signing key {}: unknown alg {}",
                current.kid, current.alg
            ))
        })?;
        let signer = SigningKey::from_pkcs8(&current.kid, alg, &der)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let loaded = Loaded {
            at: Instant::now(),
            signer: Arc::new(signer),
            jwks: Arc::new(json!({ "keys": published })),
        };
        if let Ok(mut c) = self.keys.cache.write() {
            *c = Some(loaded.clone());
        }
        Ok(loaded)
    }

    fn new_stored_key(
        &self,
        now: OffsetDateTime,
        activates_at: OffsetDateTime,
    ) -> Result<StoredKey, AppError> {
        let key = SigningKey::generate_rs256().map_err(|e| AppError::Internal(e.to_string()))?;
        let der = key
            .to_pkcs8()
            .map_err(|e| AppError::Internal(e.to_string()))?;
        Ok(StoredKey {
            kid: key.kid().to_owned(),
            alg: key.alg().as_str().to_owned(),
            public_jwk: key.public_jwk().to_string(),
            private_sealed: self
                .keys
                .master
                .seal(&der, key.kid())
                .map_err(|e| AppError::Internal(e.to_string()))?,
            created_at: now,
            activates_at,
            retires_at: None,
            expires_at: None,
        })
    }
}

impl KeyRing {
    /// Keyed hash of a client secret for storage (see `MasterKey::hash_secret`).
    #[must_use]
    pub fn hash_secret(&self, secret: &str) -> String {
        self.master.hash_secret(secret)
    }

    /// Checks a presented client secret against a stored hash, in constant time.
    #[must_use]
    pub fn verify_secret(&self, presented: &str, stored: &str) -> bool {
        self.master.verify_secret(presented, stored)
    }
}
