//! Canned responses: an account's ready-made reply texts.

use balie_domain::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

/// One canned response as stored; `text` may hold `{{variables}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CannedResponse {
    pub id: i64,
    pub account_id: i64,
    pub code: String,
    pub title: String,
    pub text: String,
    /// `nl`, `en`, or `None` for any language.
    pub language: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of a canned response, already validated.
#[derive(Debug, Clone, Copy)]
pub struct CannedFields<'a> {
    pub code: &'a str,
    pub title: &'a str,
    pub text: &'a str,
    pub language: Option<&'a str>,
}

const COLUMNS: &str = "id, account_id, code, title, text, language, created_at, updated_at";

fn decode(row: &AnyRow) -> Result<CannedResponse, StorageError> {
    Ok(CannedResponse {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        code: text(row, "code")?,
        title: text(row, "title")?,
        text: text(row, "text")?,
        language: opt_text(row, "language")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

/// Adds a canned response; a code the account already uses is a `Conflict`.
pub async fn create_canned(
    conn: &mut Conn,
    account_id: i64,
    fields: &CannedFields<'_>,
    now: i64,
) -> Result<CannedResponse, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO canned_responses (account_id, code, title, text, language, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(fields.code)
    .bind(fields.title)
    .bind(fields.text)
    .bind(fields.language)
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_canned(conn, account_id, id).await
}

pub async fn get_canned(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<CannedResponse, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM canned_responses WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    decode(&row)
}

/// The canned response with this code, if any.
pub async fn find_canned_by_code(
    conn: &mut Conn,
    account_id: i64,
    code: &str,
) -> Result<Option<CannedResponse>, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM canned_responses WHERE account_id = $1 AND code = $2"
    ))
    .bind(account_id)
    .bind(code)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(decode).transpose()
}

/// Up to `limit` of the account's canned responses, by code.
pub async fn list_canned(
    conn: &mut Conn,
    account_id: i64,
    limit: i64,
) -> Result<Vec<CannedResponse>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM canned_responses WHERE account_id = $1 ORDER BY code LIMIT $2"
    ))
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(decode).collect()
}

pub async fn count_canned(conn: &mut Conn, account_id: i64) -> Result<i64, StorageError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM canned_responses WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(conn)
            .await?,
    )
}

/// Replaces every field of a canned response.
pub async fn update_canned(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    fields: &CannedFields<'_>,
    now: i64,
) -> Result<CannedResponse, StorageError> {
    let done = sqlx::query(
        "UPDATE canned_responses SET code = $1, title = $2, text = $3, language = $4, updated_at = $5 \
         WHERE account_id = $6 AND id = $7",
    )
    .bind(fields.code)
    .bind(fields.title)
    .bind(fields.text)
    .bind(fields.language)
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_canned(conn, account_id, id).await
}

pub async fn delete_canned(conn: &mut Conn, account_id: i64, id: i64) -> Result<(), StorageError> {
    let done = sqlx::query("DELETE FROM canned_responses WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}
