//! Portico's cryptography: password hashing (argon2id), random secrets and their hashing,
//! constant-time comparison. Pure functions: callers decide where CPU-heavy work runs
//! (`portico-app` hashes passwords off the async runtime with bounded parallelism).

pub mod password;
pub mod secret;

/// A cryptographic operation failed.
#[derive(Debug, thiserror::Error)]
pub enum CryptoError {
    /// Hashing parameters are out of range.
    #[error("invalid password hashing parameters: {0}")]
    Params(String),
    /// A stored hash could not be parsed.
    #[error("stored password hash is malformed")]
    MalformedHash,
    /// The hashing primitive failed.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}
