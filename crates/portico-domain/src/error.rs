//! Validation errors: which field is wrong and why, phrased for the person who sent it.

/// A rejected input value. `field` uses the wire (Graph, camelCase) name of the property.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    /// The property that is wrong, e.g. `userPrincipalName`.
    pub field: &'static str,
    /// Why it is wrong and, where possible, what is accepted.
    pub message: String,
}

impl ValidationError {
    /// Builds a validation error for `field`.
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
