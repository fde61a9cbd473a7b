//! The records Balie keeps, as the API shows them. Every record belongs to
//! exactly one account; ids are unique across accounts.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    format_rfc3339, AuthorType, Channel, ConversationStatus, DeliveryStatus, Direction, EventKind,
    IdentityKind, Priority, Role,
};

/// A moment, kept as milliseconds since the epoch and shown as RFC 3339.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, ToSchema)]
#[schema(value_type = String, format = DateTime, example = "2026-11-23T16:06:25.123Z")]
pub struct Timestamp(pub i64);

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_rfc3339(self.0))
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::parse_rfc3339(&s)
            .map(Timestamp)
            .ok_or_else(|| serde::de::Error::custom("expected an RFC 3339 UTC timestamp"))
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub created_at: Timestamp,
}

/// Whether an agent can take conversations now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Online,
    Away,
    Offline,
}

impl Presence {
    pub fn as_str(self) -> &'static str {
        match self {
            Presence::Online => "online",
            Presence::Away => "away",
            Presence::Offline => "offline",
        }
    }
    pub fn parse(s: &str) -> Presence {
        match s {
            "online" => Presence::Online,
            "away" => Presence::Away,
            _ => Presence::Offline,
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Agent {
    pub id: i64,
    pub account_id: i64,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub presence: Presence,
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Team {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub member_ids: Vec<i64>,
    pub created_at: Timestamp,
}

/// One configured channel instance: a chat widget, a mailbox, a number.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Inbox {
    pub id: i64,
    pub account_id: i64,
    pub name: String,
    pub channel: Channel,
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
    /// The public token a web-chat widget is embedded with (`wgt_...`).
    pub public_token: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Identity {
    pub id: i64,
    pub contact_id: i64,
    pub kind: IdentityKind,
    pub value: String,
    pub created_at: Timestamp,
}

/// One customer, however many ways they reach the shop.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Contact {
    pub id: i64,
    pub account_id: i64,
    pub name: Option<String>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub identities: Vec<Identity>,
    /// Set when this contact was merged into another one.
    pub merged_into_id: Option<i64>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A thread with a contact; not tied to one channel.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Conversation {
    pub id: i64,
    pub account_id: i64,
    pub contact_id: i64,
    pub inbox_id: Option<i64>,
    pub status: ConversationStatus,
    pub priority: Priority,
    pub assignee_id: Option<i64>,
    pub team_id: Option<i64>,
    pub labels: Vec<String>,
    pub subject: Option<String>,
    /// The channel of the latest message.
    pub last_channel: Option<Channel>,
    pub last_message_at: Option<Timestamp>,
    pub snoozed_until: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Message {
    pub id: i64,
    pub account_id: i64,
    pub conversation_id: i64,
    pub direction: Direction,
    pub author_type: AuthorType,
    pub author_id: Option<i64>,
    pub channel: Channel,
    pub inbox_id: Option<i64>,
    pub text: String,
    pub external_id: Option<String>,
    pub delivery_status: DeliveryStatus,
    pub private: bool,
    pub attachments: Vec<AttachmentMeta>,
    pub created_at: Timestamp,
}

/// A file sent with a message; the bytes are fetched separately.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AttachmentMeta {
    pub id: i64,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// Something that happened; ids increase, so a reader resumes after the
/// last id it saw.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub account_id: i64,
    pub kind: EventKind,
    pub conversation_id: Option<i64>,
    pub contact_id: Option<i64>,
    pub actor_type: AuthorType,
    pub actor_id: Option<i64>,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub created_at: Timestamp,
}

/// The audit record of a merge; a split undoes exactly what it moved.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ContactMerge {
    pub id: i64,
    pub account_id: i64,
    pub target_contact_id: i64,
    pub source_contact_id: i64,
    pub moved_identity_ids: Vec<i64>,
    pub moved_conversation_ids: Vec<i64>,
    pub merged_by: Option<i64>,
    pub created_at: Timestamp,
    pub split_at: Option<Timestamp>,
}
