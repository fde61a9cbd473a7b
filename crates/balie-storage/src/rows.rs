//! Decoding rows into domain records, and a tiny builder for queries whose
//! filters are known only at run time.

use std::str::FromStr;

use balie_domain::Timestamp;
use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::{Any, Row};

use crate::StorageError;

pub(crate) fn i64_(row: &AnyRow, col: &str) -> Result<i64, StorageError> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn opt_i64(row: &AnyRow, col: &str) -> Result<Option<i64>, StorageError> {
    Ok(row.try_get::<Option<i64>, _>(col)?)
}

pub(crate) fn text(row: &AnyRow, col: &str) -> Result<String, StorageError> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn opt_text(row: &AnyRow, col: &str) -> Result<Option<String>, StorageError> {
    Ok(row.try_get::<Option<String>, _>(col)?)
}

pub(crate) fn ts(row: &AnyRow, col: &str) -> Result<Timestamp, StorageError> {
    Ok(Timestamp(i64_(row, col)?))
}

pub(crate) fn opt_ts(row: &AnyRow, col: &str) -> Result<Option<Timestamp>, StorageError> {
    Ok(opt_i64(row, col)?.map(Timestamp))
}

pub(crate) fn flag(row: &AnyRow, col: &str) -> Result<bool, StorageError> {
    Ok(i64_(row, col)? != 0)
}

pub(crate) fn parsed<T>(row: &AnyRow, col: &str) -> Result<T, StorageError>
where
    T: FromStr<Err = balie_domain::DomainError>,
{
    Ok(text(row, col)?.parse::<T>()?)
}

pub(crate) fn json(row: &AnyRow, col: &str) -> Result<serde_json::Value, StorageError> {
    serde_json::from_str(&text(row, col)?).map_err(|e| StorageError::Corrupt(e.to_string()))
}

pub(crate) fn id_list(row: &AnyRow, col: &str) -> Result<Vec<i64>, StorageError> {
    serde_json::from_str(&text(row, col)?).map_err(|e| StorageError::Corrupt(e.to_string()))
}

/// One bound value of a [`SqlBuilder`].
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Int(i64),
    Text(String),
}

/// Accumulates SQL and its arguments, numbering placeholders `$1, $2, ...`.
#[derive(Debug, Default)]
pub(crate) struct SqlBuilder {
    pub sql: String,
    args: Vec<Arg>,
}

impl SqlBuilder {
    pub fn new(sql: &str) -> Self {
        SqlBuilder {
            sql: sql.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends `sql`, where each `?` is replaced by the next placeholder.
    pub fn push(&mut self, sql: &str, args: impl IntoIterator<Item = Arg>) -> &mut Self {
        let mut args = args.into_iter();
        for ch in sql.chars() {
            if ch == '?' {
                let arg = args.next().expect("one argument per placeholder");
                self.args.push(arg);
                self.sql.push_str(&format!("${}", self.args.len()));
            } else {
                self.sql.push(ch);
            }
        }
        self
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for arg in &self.args {
            q = match arg {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
            };
        }
        q
    }
}
