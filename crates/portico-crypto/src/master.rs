//! The master key: 32 random bytes that encrypt secrets at rest (signing keys' private parts
//! today). AES-256-GCM with a random nonce; the associated data binds a ciphertext to what it
//! belongs to (e.g. the key id), so sealed values cannot be swapped between rows.

use crate::CryptoError;
use aws_lc_rs::aead::{AES_256_GCM, Aad, NONCE_LEN, Nonce, RandomizedNonceKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// Prefix of sealed values, naming the scheme so it can change later.
const SEALED_PREFIX: &str = "v1.";

/// A master key.
pub struct MasterKey {
    key: RandomizedNonceKey,
    /// HMAC key derived from the master key, for hashing high-entropy secrets.
    pepper: aws_lc_rs::hmac::Key,
    fingerprint: String,
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey({})", self.fingerprint)
    }
}

impl MasterKey {
    /// A fresh random key, returned with its base64 text (to store in a 0600 file or a secret).
    pub fn generate() -> Result<(Self, String), CryptoError> {
        let mut bytes = [0u8; 32];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| CryptoError::MasterKey("no randomness".into()))?;
        let text = STANDARD.encode(bytes);
        Ok((Self::from_bytes(&bytes)?, text))
    }

    /// Parses the base64 text of 32 bytes (standard or URL-safe alphabet, padding optional).
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let t = text.trim();
        let bytes = STANDARD
            .decode(t)
            .or_else(|_| URL_SAFE_NO_PAD.decode(t.trim_end_matches('=')))
            .map_err(|_| {
                CryptoError::MasterKey(
                    "not base64; generate one with: head -c 32 /dev/urandom | base64".into(),
                )
            })?;
        if bytes.len() != 32 {
            return Err(CryptoError::MasterKey(format!(
                "must be 32 bytes (44 base64 characters), got {} bytes",
                bytes.len()
            )));
        }
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, CryptoError> {
        let key = RandomizedNonceKey::new(&AES_256_GCM, bytes)
            .map_err(|_| CryptoError::MasterKey("rejected by AES-256-GCM".into()))?;
        let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes);
        let fingerprint = URL_SAFE_NO_PAD.encode(digest.as_ref().get(..6).unwrap_or_default());
        let derive = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, bytes);
        let pepper_bytes = aws_lc_rs::hmac::sign(&derive, b"portico/client-secret-hash/v1");
        let pepper = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, pepper_bytes.as_ref());
        Ok(Self {
            key,
            pepper,
            fingerprint,
        })
    }

    /// A short, non-secret identifier of the key (first bytes of its SHA-256), for logs and errors.
    #[must_use]
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Keyed one-way hash of a high-entropy secret (client secrets): `hmac-sha256:<base64url>`,
    /// keyed by a value derived from the master key, so a stolen database alone does not allow
    /// offline guessing, and checking a secret costs one HMAC, not a slow password hash.
    #[must_use]
    pub fn hash_secret(&self, secret: &str) -> String {
        format!(
            "hmac-sha256:{}",
            URL_SAFE_NO_PAD.encode(aws_lc_rs::hmac::sign(&self.pepper, secret.as_bytes()).as_ref())
        )
    }

    /// Checks a presented secret against a [`MasterKey::hash_secret`] value in constant time.
    #[must_use]
    pub fn verify_secret(&self, presented: &str, stored: &str) -> bool {
        let Some(tag) = stored
            .strip_prefix("hmac-sha256:")
            .and_then(|t| URL_SAFE_NO_PAD.decode(t).ok())
        else {
            return false;
        };
        aws_lc_rs::hmac::verify(&self.pepper, presented.as_bytes(), &tag).is_ok()
    }

    /// Encrypts `plaintext` bound to `context`: `v1.<base64url(nonce | ciphertext | tag)>`.
    pub fn seal(&self, plaintext: &[u8], context: &str) -> Result<String, CryptoError> {
        let mut buf = plaintext.to_vec();
        let nonce = self
            .key
            .seal_in_place_append_tag(Aad::from(context.as_bytes()), &mut buf)
            .map_err(|_| CryptoError::MasterKey("encryption failed".into()))?;
        let mut out = nonce.as_ref().to_vec();
        out.extend_from_slice(&buf);
        Ok(format!("{SEALED_PREFIX}{}", URL_SAFE_NO_PAD.encode(out)))
    }

    /// Decrypts a value made by [`MasterKey::seal`] with the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, CryptoError> {
        let fail = || CryptoError::Unseal(context.to_owned());
        let body = sealed.strip_prefix(SEALED_PREFIX).ok_or_else(fail)?;
        let mut raw = URL_SAFE_NO_PAD.decode(body).map_err(|_| fail())?;
        if raw.len() < NONCE_LEN + 16 {
            return Err(fail());
        }
        let mut ciphertext = raw.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&raw).map_err(|_| fail())?;
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut ciphertext)
            .map_err(|_| fail())?;
        Ok(plain.to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seals_and_opens_bound_to_context() {
        let (key, text) = MasterKey::generate().unwrap();
        let again = MasterKey::from_base64(&text).unwrap();
        assert_eq!(key.fingerprint(), again.fingerprint());
        let sealed = key.seal(b"private key bytes", "kid-1").unwrap();
        assert!(sealed.starts_with("v1."));
        assert!(!sealed.contains("private"));
        assert_eq!(again.open(&sealed, "kid-1").unwrap(), b"private key bytes");
        assert!(
            matches!(again.open(&sealed, "kid-2"), Err(CryptoError::Unseal(_))),
            "bound to its context"
        );
        let (other, _) = MasterKey::generate().unwrap();
        assert!(
            other.open(&sealed, "kid-1").is_err(),
            "another master key cannot open it"
        );
        let mut tampered = sealed;
        tampered.push('A');
        assert!(key.open(&tampered, "kid-1").is_err());
        assert!(key.open("v1.", "kid-1").is_err());
        assert!(key.open("garbage", "kid-1").is_err());
        assert_ne!(
            key.seal(b"x", "c").unwrap(),
            key.seal(b"x", "c").unwrap(),
            "random nonces"
        );
    }

    #[test]
    fn secret_hashes_are_keyed_and_verify_in_constant_time() {
        let (key, _) = MasterKey::generate().unwrap();
        let (other, _) = MasterKey::generate().unwrap();
        let h = key.hash_secret("s3cret-value");
        assert!(h.starts_with("hmac-sha256:") && !h.contains("s3cret"));
        assert!(key.verify_secret("s3cret-value", &h));
        assert!(!key.verify_secret("s3cret-valuE", &h));
        assert!(
            !other.verify_secret("s3cret-value", &h),
            "keyed: another deployment's key does not match"
        );
        assert_ne!(key.hash_secret("x"), other.hash_secret("x"));
        assert!(!key.verify_secret("s3cret-value", "sha256:abc"));
        assert!(!key.verify_secret("s3cret-value", "hmac-sha256:!!"));
    }

    #[test]
    fn rejects_malformed_keys() {
        assert!(MasterKey::from_base64("not base64 !!").is_err());
        assert!(MasterKey::from_base64(&STANDARD.encode([0u8; 16])).is_err());
        assert!(MasterKey::from_base64(&URL_SAFE_NO_PAD.encode([7u8; 32])).is_ok());
        assert!(
            !format!("{:?}", MasterKey::generate().unwrap().0).contains('='),
            "Debug shows only a fingerprint"
        );
    }
}
