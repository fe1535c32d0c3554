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
    /// The algorithm of keys created from now on (RS256 unless configured).
    algorithm: Algorithm,
}

#[derive(Debug, Clone)]
struct Loaded {
    at: Instant,
    /// The next scheduled state change of any key; the cache is stale from then on.
    valid_until: Option<OffsetDateTime>,
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

/// What a signing key's sealed private part is bound to.
fn seal_context(kid: &str) -> String {
    format!("signing-key:{kid}")
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
            algorithm: Algorithm::Rs256,
        }
    }

    /// New keys (the first one, and each rotation) use `alg`; existing keys keep theirs until
    /// they are rotated out.
    #[must_use]
    pub fn with_algorithm(mut self, alg: Algorithm) -> Self {
        self.algorithm = alg;
        self
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

    /// Rotates: a new key is published now and starts signing at `activate_in` from now;
    /// every other key stops signing then and leaves JWKS `RETIRED_KEY_GRACE` later. With
    /// `revoke_previous` (a compromised key), the new key signs at once and every other key is
    /// removed at once: tokens they signed stop verifying. Returns the new kid.
    pub async fn rotate_signing_key(
        &self,
        activate_in: time::Duration,
        revoke_previous: bool,
    ) -> Result<String, AppError> {
        let now = self.clock.now();
        let activates = if revoke_previous {
            now
        } else {
            now + activate_in.max(time::Duration::ZERO)
        };
        let key = self.new_stored_key(now, activates)?;
        self.store.insert_signing_key(&key).await?;
        let expires = if revoke_previous {
            now
        } else {
            activates + RETIRED_KEY_GRACE
        };
        self.store
            .retire_signing_keys(&key.kid, activates, expires)
            .await?;
        let removed = self.store.delete_expired_signing_keys(now).await?;
        self.keys.forget();
        tracing::info!(kid = %key.kid, activates_at = %activates, removed, revoke_previous, "rotated token signing keys");
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
        let now = self.clock.now();
        if let Ok(c) = self.keys.cache.read()
            && let Some(l) = c.as_ref()
            && l.at.elapsed() < CACHE_TTL
            && l.valid_until.is_none_or(|t| now < t)
        {
            return Ok(l.clone());
        }
        let stored = self.store.list_signing_keys(now).await?;
        // Every published key is opened and must be the key its id names: the database alone
        // (without the master key) cannot add a key to JWKS.
        let mut opened = Vec::with_capacity(stored.len());
        for k in &stored {
            let der = self.keys.master.open(&k.private_sealed, &seal_context(&k.kid)).map_err(|_| {
                AppError::Internal(format!(
                    "signing key {} cannot be decrypted with master key {}: every replica needs the same master_key",
                    k.kid,
                    self.keys.master_fingerprint()
                ))
            })?;
            let alg = Algorithm::parse(&k.alg).ok_or_else(|| {
                AppError::Internal(format!("signing key {}: unknown alg {}", k.kid, k.alg))
            })?;
            let key = SigningKey::from_pkcs8(&k.kid, alg, &der)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            if !key.kid_matches_key() {
                return Err(AppError::Internal(format!(
                    "signing key {} does not match its key id; the stored row has been altered",
                    k.kid
                )));
            }
            opened.push((k, key));
        }
        let published: Vec<Value> = opened.iter().map(|(_, key)| key.public_jwk()).collect();
        let current = opened
            .into_iter()
            .filter(|(k, _)| state(k, now) == KeyState::Active)
            .max_by_key(|(k, _)| (k.activates_at, k.created_at))
            .map(|(_, key)| key)
            .ok_or_else(|| {
                AppError::Internal(
                    "no active token signing key; run 'portico keys rotate --now'".into(),
                )
            })?;
        let valid_until = stored
            .iter()
            .flat_map(|k| [Some(k.activates_at), k.retires_at, k.expires_at])
            .flatten()
            .filter(|t| *t > now)
            .min();
        let loaded = Loaded {
            at: Instant::now(),
            valid_until,
            signer: Arc::new(current),
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
        let key = SigningKey::generate(self.keys.algorithm)
            .map_err(|e| AppError::Internal(e.to_string()))?;
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
                .seal(&der, &seal_context(key.kid()))
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

    /// A stable keyed value derived from `data` for one `purpose` (pairwise subjects, CSRF
    /// tokens, browser binding): base64url, 43 characters, unguessable without the master key.
    #[must_use]
    pub fn derive(&self, purpose: &str, data: &str) -> String {
        let h = self.master.hash_secret(&format!("{purpose}\u{0}{data}"));
        h.strip_prefix("hmac-sha256:")
            .map(str::to_owned)
            .unwrap_or(h)
    }

    /// Encrypts short-lived state (e.g. a sign-in in progress) bound to `context`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, AppError> {
        self.master
            .seal(plaintext, context)
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Decrypts what [`KeyRing::seal`] made with the same context; `None` if it was altered,
    /// made under another key or context, or is not sealed state at all.
    #[must_use]
    pub fn open(&self, sealed: &str, context: &str) -> Option<Vec<u8>> {
        self.master.open(sealed, context).ok()
    }
}

impl App {
    /// Verifies a JWT this deployment signed (any published key) and returns its claims.
    /// Expiry is the caller's to check.
    pub async fn verify_own_jwt(&self, token: &str) -> Option<serde_json::Value> {
        let jwks = self.jwks().await.ok()?;
        let keys = jwks.get("keys")?.as_array()?;
        keys.iter()
            .find_map(|k| portico_crypto::jws::verify_jwt(token, k).ok())
    }
}
