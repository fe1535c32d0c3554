//! Portico's cryptography: password hashing (argon2id), random secrets and their hashing,
//! constant-time comparison. Pure functions: callers decide where CPU-heavy work runs
//! (`portico-app` hashes passwords off the async runtime with bounded parallelism).

pub mod cert;
pub mod digest;
pub mod jws;
pub mod master;
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
    /// A master key is malformed.
    #[error("invalid master key: {0}")]
    MasterKey(String),
    /// Sealed data could not be opened (wrong master key, or tampered data).
    #[error("cannot decrypt {0}: wrong master key or damaged data")]
    Unseal(String),
    /// A signing key could not be generated, parsed or used.
    #[error("signing key error: {0}")]
    SigningKey(String),
}
