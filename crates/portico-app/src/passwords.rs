//! Password hashing on the blocking thread pool, with a bound on how many hashes run at once
//! (argon2 is deliberately expensive; unbounded, a burst of sign-ins would exhaust memory).

use crate::AppError;
use portico_crypto::password::{self, PasswordParams};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Hashes and verifies passwords off the async runtime.
#[derive(Debug, Clone)]
pub struct PasswordService {
    params: PasswordParams,
    permits: Arc<Semaphore>,
}

impl PasswordService {
    /// `max_parallel` hashes at a time (at least one).
    #[must_use]
    pub fn new(params: PasswordParams, max_parallel: usize) -> Self {
        Self {
            params,
            permits: Arc::new(Semaphore::new(max_parallel.max(1))),
        }
    }

    /// The parameters new hashes use.
    #[must_use]
    pub fn params(&self) -> PasswordParams {
        self.params
    }

    /// Hashes a password.
    pub async fn hash(&self, password: &str) -> Result<String, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let params = self.params;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || password::hash_password(&params, &password))
            .await
            .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Verifies a password against a stored hash.
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool, AppError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let password = password.to_owned();
        let phc = phc.to_owned();
        tokio::task::spawn_blocking(move || password::verify_password(&password, &phc))
            .await
            .map_err(|e| AppError::Internal(format!("hashing task failed: {e}")))?
            .map_err(|e| AppError::Internal(e.to_string()))
    }
}
