//! Inboxes: one configured channel instance each.

use balie_domain::{Channel, Inbox};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

const COLUMNS: &str =
    "id, account_id, name, channel, settings, public_token, created_at, updated_at";

fn inbox(row: &AnyRow) -> Result<Inbox, StorageError> {
    Ok(Inbox {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        name: text(row, "name")?,
        channel: parsed(row, "channel")?,
        settings: json(row, "settings")?,
        public_token: opt_text(row, "public_token")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub async fn create_inbox(
    conn: &mut Conn,
    account_id: i64,
    name: &str,
    channel: Channel,
    settings: &serde_json::Value,
    public_token: Option<&str>,
    now: i64,
) -> Result<Inbox, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO inboxes (account_id, name, channel, settings, public_token, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(channel.as_str())
    .bind(settings.to_string())
    .bind(public_token)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_inbox(conn, account_id, id).await
}

pub async fn get_inbox(conn: &mut Conn, account_id: i64, id: i64) -> Result<Inbox, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inboxes WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    inbox(&row)
}

pub async fn list_inboxes(
    conn: &mut Conn,
    account_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Inbox>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inboxes WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(account_id)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(inbox).collect()
}

pub async fn update_inbox(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    name: Option<&str>,
    settings: Option<&serde_json::Value>,
    now: i64,
) -> Result<Inbox, StorageError> {
    let mut q = SqlBuilder::new("UPDATE inboxes SET ");
    q.push("updated_at = ?", [Arg::Int(now)]);
    if let Some(name) = name {
        q.push(", name = ?", [Arg::Text(name.into())]);
    }
    if let Some(settings) = settings {
        q.push(", settings = ?", [Arg::Text(settings.to_string())]);
    }
    q.push(
        " WHERE account_id = ? AND id = ?",
        [Arg::Int(account_id), Arg::Int(id)],
    );
    if q.query().execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_inbox(conn, account_id, id).await
}

/// The widget token of the oldest web-chat inbox (for the demo shop page).
pub async fn first_public_token(conn: &mut Conn) -> Result<Option<String>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT public_token FROM inboxes WHERE public_token IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_optional(conn)
    .await?)
}

/// The inbox a widget token belongs to, in whatever account.
pub async fn find_by_public_token(
    conn: &mut Conn,
    token: &str,
) -> Result<Option<Inbox>, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM inboxes WHERE public_token = $1"
    ))
    .bind(token)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(inbox).transpose()
}
