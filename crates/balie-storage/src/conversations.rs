//! Conversations and their messages. A conversation is not tied to a
//! channel: each message records its own.

use balie_domain::{
    AttachmentMeta, AuthorType, Channel, Conversation, ConversationStatus, DeliveryStatus,
    Direction, Message, Priority,
};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

const COLUMNS: &str = "id, account_id, contact_id, inbox_id, status, priority, assignee_id, team_id, labels, subject, last_channel, last_message_at, snoozed_until, created_at, updated_at";

fn conversation(row: &AnyRow) -> Result<Conversation, StorageError> {
    Ok(Conversation {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        contact_id: i64_(row, "contact_id")?,
        inbox_id: opt_i64(row, "inbox_id")?,
        status: parsed(row, "status")?,
        priority: parsed(row, "priority")?,
        assignee_id: opt_i64(row, "assignee_id")?,
        team_id: opt_i64(row, "team_id")?,
        labels: serde_json::from_str(&text(row, "labels")?)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?,
        subject: opt_text(row, "subject")?,
        last_channel: opt_text(row, "last_channel")?
            .map(|c| c.parse())
            .transpose()?,
        last_message_at: opt_ts(row, "last_message_at")?,
        snoozed_until: opt_ts(row, "snoozed_until")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub async fn create_conversation(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
    inbox_id: Option<i64>,
    subject: Option<&str>,
    now: i64,
) -> Result<Conversation, StorageError> {
    let row = sqlx::query(&format!(
        "INSERT INTO conversations (account_id, contact_id, inbox_id, status, priority, subject, created_at, updated_at)
         VALUES ($1, $2, $3, 'open', 'normal', $4, $5, $5) RETURNING {COLUMNS}"
    ))
    .bind(account_id)
    .bind(contact_id)
    .bind(inbox_id)
    .bind(subject)
    .bind(now)
    .fetch_one(conn)
    .await?;
    conversation(&row)
}

pub async fn get_conversation(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<Conversation, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM conversations WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    conversation(&row)
}

/// The contact's latest conversation that is not resolved: where a new
/// message continues, whatever its channel.
pub async fn find_active_for_contact(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
) -> Result<Option<Conversation>, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM conversations WHERE account_id = $1 AND contact_id = $2 AND status <> 'resolved' ORDER BY id DESC LIMIT 1"
    ))
    .bind(account_id)
    .bind(contact_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(conversation).transpose()
}

/// Which conversations to list.
#[derive(Debug, Default, Clone)]
pub struct ConversationFilter {
    pub status: Option<ConversationStatus>,
    pub assignee_id: Option<i64>,
    pub unassigned: bool,
    pub team_id: Option<i64>,
    pub inbox_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub channel: Option<Channel>,
    pub label: Option<String>,
}

pub async fn list_conversations(
    conn: &mut Conn,
    account_id: i64,
    filter: &ConversationFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Conversation>, StorageError> {
    let mut q = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM conversations WHERE "));
    q.push(
        "account_id = ? AND id < ?",
        [
            Arg::Int(account_id),
            Arg::Int(before_id.unwrap_or(i64::MAX)),
        ],
    );
    if let Some(s) = filter.status {
        q.push(" AND status = ?", [Arg::Text(s.as_str().into())]);
    }
    if let Some(a) = filter.assignee_id {
        q.push(" AND assignee_id = ?", [Arg::Int(a)]);
    }
    if filter.unassigned {
        q.push(" AND assignee_id IS NULL", []);
    }
    if let Some(t) = filter.team_id {
        q.push(" AND team_id = ?", [Arg::Int(t)]);
    }
    if let Some(i) = filter.inbox_id {
        q.push(" AND inbox_id = ?", [Arg::Int(i)]);
    }
    if let Some(c) = filter.contact_id {
        q.push(" AND contact_id = ?", [Arg::Int(c)]);
    }
    if let Some(ch) = filter.channel {
        q.push(
            " AND id IN (SELECT conversation_id FROM messages WHERE account_id = ? AND channel = ?)",
            [Arg::Int(account_id), Arg::Text(ch.as_str().into())],
        );
    }
    if let Some(label) = &filter.label {
        // Labels are a JSON array of strings; match the quoted element.
        let needle = serde_json::to_string(label).unwrap_or_default();
        q.push(" AND labels LIKE ?", [Arg::Text(format!("%{needle}%"))]);
    }
    q.push(" ORDER BY id DESC LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(conversation).collect()
}

/// Changes to a conversation; `None` leaves a field as it is, `Some(None)`
/// clears it.
#[derive(Debug, Default, Clone)]
pub struct ConversationChanges {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub labels: Option<Vec<String>>,
    pub subject: Option<Option<String>>,
    pub snoozed_until: Option<Option<i64>>,
}

pub async fn update_conversation(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    changes: &ConversationChanges,
    now: i64,
) -> Result<Conversation, StorageError> {
    let opt_int = |v: Option<i64>| v.map(Arg::Int);
    let mut q = SqlBuilder::new("UPDATE conversations SET ");
    q.push("updated_at = ?", [Arg::Int(now)]);
    if let Some(s) = changes.status {
        q.push(", status = ?", [Arg::Text(s.as_str().into())]);
    }
    if let Some(p) = changes.priority {
        q.push(", priority = ?", [Arg::Text(p.as_str().into())]);
    }
    for (column, value) in [
        ("assignee_id", changes.assignee_id),
        ("team_id", changes.team_id),
        ("snoozed_until", changes.snoozed_until),
    ] {
        match value {
            Some(Some(v)) => {
                q.push(&format!(", {column} = ?"), opt_int(Some(v)));
            }
            Some(None) => {
                q.push(&format!(", {column} = NULL"), []);
            }
            None => {}
        }
    }
    if let Some(labels) = &changes.labels {
        q.push(
            ", labels = ?",
            [Arg::Text(
                serde_json::to_string(labels).unwrap_or_else(|_| "[]".into()),
            )],
        );
    }
    match &changes.subject {
        Some(Some(s)) => {
            q.push(", subject = ?", [Arg::Text(s.clone())]);
        }
        Some(None) => {
            q.push(", subject = NULL", []);
        }
        None => {}
    }
    q.push(
        " WHERE account_id = ? AND id = ?",
        [Arg::Int(account_id), Arg::Int(id)],
    );
    if q.query().execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_conversation(conn, account_id, id).await
}

const MESSAGE_COLUMNS: &str = "m.id, m.account_id, m.conversation_id, m.direction, m.author_type, m.author_id, m.channel, m.inbox_id, m.text, m.external_id, m.delivery_status, m.private, m.attachments, m.created_at";

fn message(row: &AnyRow) -> Result<Message, StorageError> {
    Ok(Message {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        conversation_id: i64_(row, "conversation_id")?,
        direction: parsed(row, "direction")?,
        author_type: parsed(row, "author_type")?,
        author_id: opt_i64(row, "author_id")?,
        channel: parsed(row, "channel")?,
        inbox_id: opt_i64(row, "inbox_id")?,
        text: text(row, "text")?,
        external_id: opt_text(row, "external_id")?,
        delivery_status: parsed(row, "delivery_status")?,
        private: flag(row, "private")?,
        attachments: serde_json::from_str(&text(row, "attachments")?)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?,
        created_at: ts(row, "created_at")?,
    })
}

/// A message about to be stored.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub direction: Direction,
    pub author_type: AuthorType,
    pub author_id: Option<i64>,
    pub channel: Channel,
    pub inbox_id: Option<i64>,
    pub text: &'a str,
    pub external_id: Option<&'a str>,
    pub delivery_status: DeliveryStatus,
    pub private: bool,
    pub attachments: Vec<AttachmentMeta>,
}

/// Stores a message and moves the conversation's "last message" marks.
pub async fn insert_message(
    conn: &mut Conn,
    account_id: i64,
    new: &NewMessage<'_>,
    now: i64,
) -> Result<Message, StorageError> {
    let row = sqlx::query(
        "INSERT INTO messages (account_id, conversation_id, direction, author_type, author_id, channel, inbox_id, text, external_id, delivery_status, private, attachments, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING id, account_id, conversation_id, direction, author_type, author_id, channel, inbox_id, text, external_id, delivery_status, private, attachments, created_at",
    )
    .bind(account_id)
    .bind(new.conversation_id)
    .bind(new.direction.as_str())
    .bind(new.author_type.as_str())
    .bind(new.author_id)
    .bind(new.channel.as_str())
    .bind(new.inbox_id)
    .bind(new.text)
    .bind(new.external_id)
    .bind(new.delivery_status.as_str())
    .bind(new.private as i64)
    .bind(serde_json::to_string(&new.attachments).unwrap_or_else(|_| "[]".into()))
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    if !new.private {
        sqlx::query(
            "UPDATE conversations SET last_channel = $1, last_message_at = $2, updated_at = $2 WHERE account_id = $3 AND id = $4",
        )
        .bind(new.channel.as_str())
        .bind(now)
        .bind(account_id)
        .bind(new.conversation_id)
        .execute(conn)
        .await?;
    }
    message(&row)
}

/// A message seen before on a channel (for dropping redeliveries).
pub async fn find_message_by_external_id(
    conn: &mut Conn,
    account_id: i64,
    channel: Channel,
    external_id: &str,
) -> Result<Option<Message>, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.account_id = $1 AND m.channel = $2 AND m.external_id = $3"
    ))
    .bind(account_id)
    .bind(channel.as_str())
    .bind(external_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(message).transpose()
}

/// Messages of one conversation after `after_id`, oldest first.
pub async fn list_messages(
    conn: &mut Conn,
    account_id: i64,
    conversation_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Message>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.account_id = $1 AND m.conversation_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4"
    ))
    .bind(account_id)
    .bind(conversation_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(message).collect()
}

/// Every message with a contact on every channel and in every conversation,
/// oldest first, after `after_id`.
pub async fn contact_timeline(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Message>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.account_id = $1 AND c.contact_id = $2 AND m.id > $3 ORDER BY m.id LIMIT $4"
    ))
    .bind(account_id)
    .bind(contact_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(message).collect()
}

pub async fn get_message(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<Message, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.account_id = $1 AND m.id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    message(&row)
}

/// Moves outbound messages of a conversation up to and including `up_to_id`
/// forward to `status` (never backwards: read stays read); returns the ids
/// that changed.
pub async fn advance_delivery(
    conn: &mut Conn,
    account_id: i64,
    conversation_id: i64,
    up_to_id: i64,
    status: DeliveryStatus,
) -> Result<Vec<i64>, StorageError> {
    let earlier: &[&str] = match status {
        DeliveryStatus::Sent => &["queued"],
        DeliveryStatus::Delivered => &["queued", "sent"],
        DeliveryStatus::Read => &["queued", "sent", "delivered"],
        DeliveryStatus::Queued | DeliveryStatus::Failed => return Ok(Vec::new()),
    };
    let mut q = SqlBuilder::new("UPDATE messages SET ");
    q.push("delivery_status = ?", [Arg::Text(status.as_str().into())]);
    q.push(
        " WHERE account_id = ? AND conversation_id = ? AND id <= ? AND direction = 'out' AND private = 0 AND delivery_status IN (",
        [Arg::Int(account_id), Arg::Int(conversation_id), Arg::Int(up_to_id)],
    );
    for (i, s) in earlier.iter().enumerate() {
        q.push(if i == 0 { "?" } else { ", ?" }, [Arg::Text((*s).into())]);
    }
    q.push(") RETURNING id", []);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(|r| i64_(r, "id")).collect()
}

/// Web-chat messages a widget visitor may see: not private, on web chat,
/// in the contact's conversations, after a message id.
pub async fn widget_messages(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
    after_id: i64,
    limit: i64,
) -> Result<Vec<Message>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages m JOIN conversations c ON c.id = m.conversation_id
         WHERE c.account_id = $1 AND c.contact_id = $2 AND m.id > $3 AND m.private = 0 AND m.channel = 'web_chat'
         ORDER BY m.id LIMIT $4"
    ))
    .bind(account_id)
    .bind(contact_id)
    .bind(after_id)
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(message).collect()
}
