//! Web-chat widget sessions (one per visitor and browser) and the bytes of
//! attachments.

use balie_domain::AttachmentMeta;
use sqlx::Row;

use crate::rows::*;
use crate::{Conn, StorageError};

/// A visitor's session with a web-chat inbox.
#[derive(Debug, Clone)]
pub struct WidgetSession {
    pub id: i64,
    pub account_id: i64,
    pub inbox_id: i64,
    /// None until an anonymous visitor first writes.
    pub contact_id: Option<i64>,
    pub visitor_name: Option<String>,
    pub visitor_email: Option<String>,
    /// The shop vouched for this visitor with a signed customer id.
    pub verified: bool,
    pub customer_id: Option<String>,
    pub locale: String,
}

pub struct NewWidgetSession<'a> {
    pub inbox_id: i64,
    pub contact_id: Option<i64>,
    pub visitor_name: Option<&'a str>,
    pub visitor_email: Option<&'a str>,
    pub token_hash: &'a str,
    pub verified: bool,
    pub customer_id: Option<&'a str>,
    pub locale: &'a str,
}

pub async fn create_session(
    conn: &mut Conn,
    account_id: i64,
    new: &NewWidgetSession<'_>,
    now: i64,
) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO widget_sessions (account_id, inbox_id, contact_id, visitor_name, visitor_email, token_hash, verified, customer_id, locale, created_at, last_seen_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
    )
    .bind(account_id)
    .bind(new.inbox_id)
    .bind(new.contact_id)
    .bind(new.visitor_name)
    .bind(new.visitor_email)
    .bind(new.token_hash)
    .bind(new.verified as i64)
    .bind(new.customer_id)
    .bind(new.locale)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

const SESSION_SELECT: &str =
    "SELECT s.id, s.account_id, s.inbox_id, COALESCE(c.merged_into_id, s.contact_id) AS contact_id,
        s.visitor_name, s.visitor_email, s.verified, s.customer_id, s.locale
        FROM widget_sessions s LEFT JOIN contacts c ON c.id = s.contact_id";

/// The session of a token hash. A merged contact's session follows the merge.
pub async fn session_by_hash(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<WidgetSession>, StorageError> {
    let sql = format!("{SESSION_SELECT} WHERE s.token_hash = $1");
    session_from(
        sqlx::query(&sql)
            .bind(token_hash)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn session_by_id(
    conn: &mut Conn,
    id: i64,
) -> Result<Option<WidgetSession>, StorageError> {
    let sql = format!("{SESSION_SELECT} WHERE s.id = $1");
    session_from(sqlx::query(&sql).bind(id).fetch_optional(conn).await?)
}

fn session_from(row: Option<sqlx::any::AnyRow>) -> Result<Option<WidgetSession>, StorageError> {
    let Some(row) = row else { return Ok(None) };
    Ok(Some(WidgetSession {
        id: i64_(&row, "id")?,
        account_id: i64_(&row, "account_id")?,
        inbox_id: i64_(&row, "inbox_id")?,
        contact_id: opt_i64(&row, "contact_id")?,
        visitor_name: opt_text(&row, "visitor_name")?,
        visitor_email: opt_text(&row, "visitor_email")?,
        verified: flag(&row, "verified")?,
        customer_id: opt_text(&row, "customer_id")?,
        locale: text(&row, "locale")?,
    }))
}

/// Binds an anonymous session to the contact made at its first message;
/// false when another request bound it first.
pub async fn bind_contact(
    conn: &mut Conn,
    session_id: i64,
    contact_id: i64,
) -> Result<bool, StorageError> {
    let done = sqlx::query(
        "UPDATE widget_sessions SET contact_id = $1 WHERE id = $2 AND contact_id IS NULL",
    )
    .bind(contact_id)
    .bind(session_id)
    .execute(conn)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Remembers what an anonymous visitor told about themselves.
pub async fn set_visitor_details(
    conn: &mut Conn,
    session_id: i64,
    name: Option<&str>,
    email: Option<&str>,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE widget_sessions SET visitor_name = COALESCE($1, visitor_name), visitor_email = COALESCE($2, visitor_email) WHERE id = $3")
        .bind(name)
        .bind(email)
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn touch_session(
    conn: &mut Conn,
    id: i64,
    locale: &str,
    now: i64,
) -> Result<(), StorageError> {
    sqlx::query("UPDATE widget_sessions SET last_seen_at = $1, locale = $2 WHERE id = $3")
        .bind(now)
        .bind(locale)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

pub async fn insert_attachment(
    conn: &mut Conn,
    account_id: i64,
    conversation_id: i64,
    name: &str,
    content_type: &str,
    data: &[u8],
    now: i64,
) -> Result<AttachmentMeta, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO attachments (account_id, conversation_id, name, content_type, size, data, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(account_id)
    .bind(conversation_id)
    .bind(name)
    .bind(content_type)
    .bind(data.len() as i64)
    .bind(data.to_vec())
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(AttachmentMeta {
        id,
        name: name.to_string(),
        content_type: content_type.to_string(),
        size: data.len() as i64,
    })
}

/// An attachment's metadata, bytes and conversation.
pub async fn get_attachment(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<(AttachmentMeta, Vec<u8>, i64), StorageError> {
    let row = sqlx::query("SELECT id, name, content_type, size, data, conversation_id FROM attachments WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .fetch_one(conn)
        .await?;
    let data: Vec<u8> = row.try_get("data")?;
    Ok((
        AttachmentMeta {
            id: i64_(&row, "id")?,
            name: text(&row, "name")?,
            content_type: text(&row, "content_type")?,
            size: i64_(&row, "size")?,
        },
        data,
        i64_(&row, "conversation_id")?,
    ))
}
