//! Process-level errors: one line for the operator, and the exit code.

use portico_app::AppError;

/// A failure that ends the command.
#[derive(Debug)]
pub struct CliError {
    /// One line: what is wrong and how to fix it.
    pub message: String,
    /// Exit code: 2 for usage and configuration errors, 1 for everything else.
    pub code: u8,
}

impl CliError {
    /// A runtime failure (exit 1).
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 1,
        }
    }

    /// A usage or configuration error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: 2,
        }
    }
}

impl From<AppError> for CliError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Validation(v) => Self::usage(format!("{}: {}", v.field, v.message)),
            AppError::Unavailable(m) => Self::runtime(format!("the database is unavailable: {m}")),
            other => Self::runtime(other.to_string()),
        }
    }
}
