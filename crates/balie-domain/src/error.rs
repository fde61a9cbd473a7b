//! Errors raised when a value breaks a domain rule.

/// A value that does not satisfy a domain rule; the message is safe to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("not a valid email address: {0}")]
    InvalidEmail(String),
    #[error("not a valid phone number: {0}")]
    InvalidPhone(String),
    #[error("invalid {field}: {reason}")]
    InvalidValue { field: &'static str, reason: String },
}

impl DomainError {
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        DomainError::InvalidValue {
            field,
            reason: reason.into(),
        }
    }
}
