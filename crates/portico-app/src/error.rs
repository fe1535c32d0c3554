//! Use-case errors. The HTTP edge maps them to Graph errors, OAuth errors or HTML pages;
//! the CLI prints them as one line.

use portico_domain::ValidationError;
use portico_store::StoreError;

/// Why a use case did not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The input is wrong; nothing changed.
    #[error("{0}")]
    Validation(#[from] ValidationError),
    /// The object does not exist (or belongs to another tenant).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with existing data; nothing changed.
    #[error("{message}")]
    Conflict {
        /// What conflicts, for people.
        message: String,
    },
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A precondition outside the input does not hold (e.g. a DNS record is missing).
    #[error("{0}")]
    Precondition(String),
    /// The database (or another dependency) is unavailable; retry later.
    #[error("service unavailable: {0}")]
    Unavailable(String),
    /// A bug or corrupt data; details are logged, not shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(what) => Self::NotFound(what),
            StoreError::Conflict { constraint } => Self::Conflict {
                message: conflict_message(&constraint),
            },
            StoreError::Unavailable(inner) => Self::Unavailable(inner.to_string()),
            StoreError::Corrupt(m) => Self::Internal(m),
            StoreError::Database(inner) => Self::Internal(inner.to_string()),
        }
    }
}

fn conflict_message(constraint: &str) -> String {
    use portico_store::constraint as c;
    match constraint {
        c::USER_UPN => "Another object with the same value for property userPrincipalName already exists.".into(),
        c::USER_IDENTITY => "Another object with the same value for property identities already exists.".into(),
        c::DOMAIN => "The domain has already been added to this tenant.".into(),
        c::DOMAIN_VERIFIED => "The domain is already verified by another tenant.".into(),
        c::GROUP_MEMBER => "One or more added object references already exist for the following modified properties: 'members'.".into(),
        c::GROUP_OWNER => "One or more added object references already exist for the following modified properties: 'owners'.".into(),
        c::APPLICATION_IDENTIFIER_URI => "Another object with the same value for property identifierUris already exists.".into(),
        c::APPLICATION_APP_ID => "Another application with the same appId already exists.".into(),
        c::SERVICE_PRINCIPAL_APP_ID => "A service principal for this application already exists in the tenant.".into(),
        c::ROLE_ASSIGNMENT => "The principal already holds this role over this scope.".into(),
        other => format!("The request conflicts with existing data ({other})."),
    }
}
