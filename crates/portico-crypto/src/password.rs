//! Password hashing with argon2id, stored as PHC strings (`$argon2id$v=19$m=...`), so the
//! parameters travel with each hash and can be raised without breaking old ones.

use crate::CryptoError;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordParams {
    /// Memory in KiB (OWASP minimum 19456 with t=2).
    pub memory_kib: u32,
    /// Iterations.
    pub iterations: u32,
    /// Lanes.
    pub parallelism: u32,
}

impl Default for PasswordParams {
    /// OWASP's recommended argon2id setting: 19 MiB, 2 iterations, 1 lane.
    fn default() -> Self {
        Self {
            memory_kib: 19 * 1024,
            iterations: 2,
            parallelism: 1,
        }
    }
}

impl PasswordParams {
    /// Checks the parameters, returning a message naming the bad one.
    pub fn validate(&self) -> Result<(), CryptoError> {
        if !(8 * 1024..=4 * 1024 * 1024).contains(&self.memory_kib) {
            return Err(CryptoError::Params(format!(
                "memory_kib must be between 8192 (8 MiB) and 4194304 (4 GiB), got {}",
                self.memory_kib
            )));
        }
        if !(1..=20).contains(&self.iterations) {
            return Err(CryptoError::Params(format!(
                "iterations must be between 1 and 20, got {}",
                self.iterations
            )));
        }
        if !(1..=16).contains(&self.parallelism) {
            return Err(CryptoError::Params(format!(
                "parallelism must be between 1 and 16, got {}",
                self.parallelism
            )));
        }
        Ok(())
    }

    fn argon2(&self) -> Result<Argon2<'static>, CryptoError> {
        self.validate()?;
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| CryptoError::Params(e.to_string()))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes a password with a fresh random salt. CPU- and memory-heavy: do not call on an
/// async executor thread.
pub fn hash_password(params: &PasswordParams, password: &str) -> Result<String, CryptoError> {
    let hash = params
        .argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| CryptoError::Hashing(e.to_string()))?;
    Ok(hash.to_string())
}

/// Checks a password against a stored PHC hash (whatever parameters it was made with).
/// `Ok(false)` on mismatch; an error only when the stored hash is malformed.
pub fn verify_password(password: &str, phc: &str) -> Result<bool, CryptoError> {
    let parsed = argon2::password_hash::phc::PasswordHash::new(phc)
        .map_err(|_| CryptoError::MalformedHash)?;
    if parsed.salt.is_none() || parsed.hash.is_none() {
        return Err(CryptoError::MalformedHash);
    }
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
        Err(_) => Err(CryptoError::MalformedHash),
    }
}

/// Whether a stored hash was made with different parameters than `params` (so it should be
/// re-hashed at the next successful sign-in).
#[must_use]
pub fn needs_rehash(phc: &str, params: &PasswordParams) -> bool {
    let expected = format!(
        "m={},t={},p={}",
        params.memory_kib, params.iterations, params.parallelism
    );
    !(phc.starts_with("$argon2id$v=19$") && phc.contains(&expected))
}

#[cfg(test)]
mod tests {
    use super::*;

    const FAST: PasswordParams = PasswordParams {
        memory_kib: 8 * 1024,
        iterations: 1,
        parallelism: 1,
    };

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash_password(&FAST, "Correct-Horse-9").unwrap();
        let b = hash_password(&FAST, "Correct-Horse-9").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=8192,t=1,p=1$"));
        assert_ne!(a, b, "salts differ");
        assert!(verify_password("Correct-Horse-9", &a).unwrap());
        assert!(!verify_password("correct-horse-9", &a).unwrap());
        assert!(!verify_password("", &a).unwrap());
    }

    #[test]
    fn malformed_hashes_are_errors_not_mismatches() {
        assert!(matches!(
            verify_password("x", "not-a-hash"),
            Err(CryptoError::MalformedHash)
        ));
        assert!(matches!(
            verify_password("x", "$argon2id$v=19$m=8192"),
            Err(CryptoError::MalformedHash)
        ));
    }

    #[test]
    fn parameters_are_validated_and_rehash_is_detected() {
        assert!(
            PasswordParams {
                memory_kib: 1024,
                ..FAST
            }
            .validate()
            .is_err()
        );
        assert!(
            PasswordParams {
                iterations: 0,
                ..FAST
            }
            .validate()
            .is_err()
        );
        assert!(
            PasswordParams {
                parallelism: 99,
                ..FAST
            }
            .validate()
            .is_err()
        );
        assert!(PasswordParams::default().validate().is_ok());
        let h = hash_password(&FAST, "pw").unwrap();
        assert!(!needs_rehash(&h, &FAST));
        assert!(needs_rehash(&h, &PasswordParams::default()));
    }
}
