//! The one error type of the storage layer.

/// What can go wrong in storage; `NotFound` and `Conflict` are the caller's
/// to report, the rest are faults.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("stored data is invalid: {0}")]
    Corrupt(String),
    #[error("database configuration: {0}")]
    Config(String),
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StorageError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StorageError::Conflict(db.message().to_string())
            }
            _ => StorageError::Database(e),
        }
    }
}

impl From<balie_domain::DomainError> for StorageError {
    fn from(e: balie_domain::DomainError) -> Self {
        StorageError::Corrupt(e.to_string())
    }
}
