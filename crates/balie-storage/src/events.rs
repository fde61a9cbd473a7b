//! The event log: every change is appended here with an increasing id, and
//! readers page through it by "after id".

use balie_domain::{AuthorType, Event, EventKind};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Backend, Conn, StorageError, WriteTx};

/// An event about to be appended.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub conversation_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub actor_type: AuthorType,
    pub actor_id: Option<i64>,
    pub payload: serde_json::Value,
}

/// Appends an event as part of `tx`. Call it last in a transaction: on
/// PostgreSQL it takes a per-account lock until commit, so event ids become
/// visible in increasing order and a reader paging by "after id" never skips
/// one that commits late.
pub async fn append(
    tx: &mut WriteTx,
    account_id: i64,
    event: &NewEvent,
    now: i64,
) -> Result<i64, StorageError> {
    if tx.backend() == Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(1, $1::int)")
            .bind(account_id)
            .execute(tx.conn())
            .await?;
    }
    Ok(sqlx::query_scalar(
        "INSERT INTO events (account_id, kind, conversation_id, contact_id, actor_type, actor_id, payload, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(account_id)
    .bind(event.kind.as_str())
    .bind(event.conversation_id)
    .bind(event.contact_id)
    .bind(event.actor_type.as_str())
    .bind(event.actor_id)
    .bind(event.payload.to_string())
    .bind(now)
    .fetch_one(tx.conn())
    .await?)
}

fn event(row: &AnyRow) -> Result<Event, StorageError> {
    Ok(Event {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        kind: parsed(row, "kind")?,
        conversation_id: opt_i64(row, "conversation_id")?,
        contact_id: opt_i64(row, "contact_id")?,
        actor_type: parsed(row, "actor_type")?,
        actor_id: opt_i64(row, "actor_id")?,
        payload: json(row, "payload")?,
        created_at: ts(row, "created_at")?,
    })
}

/// Events of one account after `after_id`, oldest first; optionally only
/// those of one conversation or contact.
pub async fn list_after(
    conn: &mut Conn,
    account_id: i64,
    after_id: i64,
    conversation_id: Option<i64>,
    contact_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Event>, StorageError> {
    let mut q = SqlBuilder::new(
        "SELECT id, account_id, kind, conversation_id, contact_id, actor_type, actor_id, payload, created_at FROM events WHERE ",
    );
    q.push(
        "account_id = ? AND id > ?",
        [Arg::Int(account_id), Arg::Int(after_id)],
    );
    if let Some(c) = conversation_id {
        q.push(" AND conversation_id = ?", [Arg::Int(c)]);
    }
    if let Some(c) = contact_id {
        q.push(" AND contact_id = ?", [Arg::Int(c)]);
    }
    q.push(" ORDER BY id LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(event).collect()
}

/// The highest event id of an account, 0 when there is none.
pub async fn last_id(conn: &mut Conn, account_id: i64) -> Result<i64, StorageError> {
    let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM events WHERE account_id = $1")
        .bind(account_id)
        .fetch_one(conn)
        .await?;
    Ok(id.unwrap_or(0))
}

/// Events of one account of the given kinds created in `[from_ms, to_ms)`,
/// after `after_id`, oldest first (for reports; page with `after_id`).
pub async fn list_kinds_between(
    conn: &mut Conn,
    account_id: i64,
    kinds: &[EventKind],
    from_ms: i64,
    to_ms: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Event>, StorageError> {
    let mut q = SqlBuilder::new(
        "SELECT id, account_id, kind, conversation_id, contact_id, actor_type, actor_id, payload, created_at FROM events WHERE ",
    );
    q.push(
        "account_id = ? AND created_at >= ? AND created_at < ? AND id > ? AND kind IN (",
        [
            Arg::Int(account_id),
            Arg::Int(from_ms),
            Arg::Int(to_ms),
            Arg::Int(after_id),
        ],
    );
    for (i, kind) in kinds.iter().enumerate() {
        q.push(
            if i == 0 { "?" } else { ", ?" },
            [Arg::Text(kind.as_str().to_string())],
        );
    }
    q.push(") ORDER BY id LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(event).collect()
}
