//! What a shop teaches its self-service bot: settings, answer texts that
//! replace the built-in ones, and training examples of its own.

use balie_domain::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

/// An account's bot settings; an account that never saved any has the
/// defaults (no pattern, model version 0 = the built-in model).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BotSettings {
    /// The shop's order numbers as a regular expression; `None` uses the
    /// built-in pattern.
    pub order_number_pattern: Option<String>,
    /// Bumped by each retrain; 0 means "never retrained".
    pub model_version: i64,
    pub trained_at: Option<Timestamp>,
    /// When examples were last added or deleted (0 if never).
    pub examples_changed_at: Timestamp,
}

/// One answer text an account wrote to replace a built-in one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAnswer {
    pub key: String,
    /// `nl` or `en`.
    pub language: String,
    pub text: String,
    pub updated_at: Timestamp,
}

/// One training example of the shop's own.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BotExample {
    pub id: i64,
    pub intent: String,
    pub text: String,
    pub created_at: Timestamp,
}

pub async fn get_settings(conn: &mut Conn, account_id: i64) -> Result<BotSettings, StorageError> {
    let row = sqlx::query(
        "SELECT order_number_pattern, model_version, trained_at, examples_changed_at \
         FROM bot_settings WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    match row {
        None => Ok(BotSettings::default()),
        Some(row) => Ok(BotSettings {
            order_number_pattern: opt_text(&row, "order_number_pattern")?,
            model_version: i64_(&row, "model_version")?,
            trained_at: opt_ts(&row, "trained_at")?,
            examples_changed_at: ts(&row, "examples_changed_at")?,
        }),
    }
}

/// Makes sure the account has a settings row, so updates can assume one.
async fn ensure_settings(conn: &mut Conn, account_id: i64, now: i64) -> Result<(), StorageError> {
    sqlx::query(
        "INSERT INTO bot_settings (account_id, updated_at) VALUES ($1, $2) \
         ON CONFLICT (account_id) DO NOTHING",
    )
    .bind(account_id)
    .bind(now)
    .execute(conn)
    .await?;
    Ok(())
}

pub async fn set_order_number_pattern(
    conn: &mut Conn,
    account_id: i64,
    pattern: Option<&str>,
    now: i64,
) -> Result<BotSettings, StorageError> {
    ensure_settings(conn, account_id, now).await?;
    sqlx::query(
        "UPDATE bot_settings SET order_number_pattern = $1, updated_at = $2 WHERE account_id = $3",
    )
    .bind(pattern)
    .bind(now)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    get_settings(conn, account_id).await
}

/// Records a retrain: the model version goes up by one.
pub async fn record_retrain(
    conn: &mut Conn,
    account_id: i64,
    now: i64,
) -> Result<BotSettings, StorageError> {
    ensure_settings(conn, account_id, now).await?;
    sqlx::query(
        "UPDATE bot_settings SET model_version = model_version + 1, trained_at = $1, updated_at = $1 \
         WHERE account_id = $2",
    )
    .bind(now)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    get_settings(conn, account_id).await
}

async fn touch_examples(conn: &mut Conn, account_id: i64, now: i64) -> Result<(), StorageError> {
    ensure_settings(conn, account_id, now).await?;
    sqlx::query(
        "UPDATE bot_settings SET examples_changed_at = $1, updated_at = $1 WHERE account_id = $2",
    )
    .bind(now)
    .bind(account_id)
    .execute(conn)
    .await?;
    Ok(())
}

/// The account's own answer texts, by key then language.
pub async fn list_answers(
    conn: &mut Conn,
    account_id: i64,
) -> Result<Vec<StoredAnswer>, StorageError> {
    let rows = sqlx::query(
        "SELECT answer_key, language, text, updated_at FROM bot_answers \
         WHERE account_id = $1 ORDER BY answer_key, language",
    )
    .bind(account_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|row: &AnyRow| {
            Ok(StoredAnswer {
                key: text(row, "answer_key")?,
                language: text(row, "language")?,
                text: text(row, "text")?,
                updated_at: ts(row, "updated_at")?,
            })
        })
        .collect()
}

/// Sets (or with `None` removes) the account's text for one answer in one
/// language.
pub async fn set_answer(
    conn: &mut Conn,
    account_id: i64,
    key: &str,
    language: &str,
    answer: Option<&str>,
    now: i64,
) -> Result<(), StorageError> {
    match answer {
        Some(answer) => {
            sqlx::query(
                "INSERT INTO bot_answers (account_id, answer_key, language, text, updated_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (account_id, answer_key, language) \
                 DO UPDATE SET text = excluded.text, updated_at = excluded.updated_at",
            )
            .bind(account_id)
            .bind(key)
            .bind(language)
            .bind(answer)
            .bind(now)
            .execute(conn)
            .await?;
        }
        None => {
            sqlx::query(
                "DELETE FROM bot_answers WHERE account_id = $1 AND answer_key = $2 AND language = $3",
            )
            .bind(account_id)
            .bind(key)
            .bind(language)
            .execute(conn)
            .await?;
        }
    }
    Ok(())
}

fn decode_example(row: &AnyRow) -> Result<BotExample, StorageError> {
    Ok(BotExample {
        id: i64_(row, "id")?,
        intent: text(row, "intent")?,
        text: text(row, "text")?,
        created_at: ts(row, "created_at")?,
    })
}

/// Up to `limit` of the account's own examples, by intent then age.
pub async fn list_examples(
    conn: &mut Conn,
    account_id: i64,
    limit: i64,
) -> Result<Vec<BotExample>, StorageError> {
    let rows = sqlx::query(
        "SELECT id, intent, text, created_at FROM bot_examples \
         WHERE account_id = $1 ORDER BY intent, id LIMIT $2",
    )
    .bind(account_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(decode_example).collect()
}

pub async fn count_examples(conn: &mut Conn, account_id: i64) -> Result<i64, StorageError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM bot_examples WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(conn)
            .await?,
    )
}

pub async fn get_example(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<BotExample, StorageError> {
    let row = sqlx::query(
        "SELECT id, intent, text, created_at FROM bot_examples WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    decode_example(&row)
}

pub async fn add_example(
    conn: &mut Conn,
    account_id: i64,
    intent: &str,
    example: &str,
    now: i64,
) -> Result<BotExample, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO bot_examples (account_id, intent, text, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(intent)
    .bind(example)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    touch_examples(conn, account_id, now).await?;
    get_example(conn, account_id, id).await
}

pub async fn delete_example(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    now: i64,
) -> Result<(), StorageError> {
    let done = sqlx::query("DELETE FROM bot_examples WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    touch_examples(conn, account_id, now).await
}

/// Changes an example's intent and text.
pub async fn update_example(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    intent: &str,
    example: &str,
    now: i64,
) -> Result<BotExample, StorageError> {
    let done = sqlx::query(
        "UPDATE bot_examples SET intent = $1, text = $2 WHERE account_id = $3 AND id = $4",
    )
    .bind(intent)
    .bind(example)
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    touch_examples(conn, account_id, now).await?;
    get_example(conn, account_id, id).await
}
