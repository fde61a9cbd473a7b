//! The closed sets of values Balie works with (channels, statuses, roles,
//! event kinds), each with one stable snake_case spelling used in the API
//! and in the database.

use crate::DomainError;

/// Declares a string-backed enum: serde, `as_str`, `FromStr` and `ALL` share
/// one spelling table, so the API and the database can never disagree.
macro_rules! string_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $(#[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok($name::$variant),)+
                    other => Err(DomainError::invalid(
                        stringify!($name),
                        format!("unknown value {other:?}; expected one of: {}", [$($text),+].join(", ")),
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(
    /// The medium one message travelled over. A conversation mixes channels.
    Channel {
        WebChat => "web_chat",
        Email => "email",
        WhatsApp => "whatsapp",
        Messenger => "messenger",
        Instagram => "instagram",
        Telegram => "telegram",
        Sms => "sms",
        Phone => "phone",
        Video => "video",
        Api => "api",
    }
);

string_enum!(
    /// Where a conversation stands.
    ConversationStatus {
        Open => "open",
        Pending => "pending",
        Snoozed => "snoozed",
        Resolved => "resolved",
    }
);

string_enum!(
    Priority {
        Low => "low",
        Normal => "normal",
        High => "high",
        Urgent => "urgent",
    }
);

string_enum!(
    /// Whether a message came from the customer or went to them.
    Direction {
        Inbound => "in",
        Outbound => "out",
    }
);

string_enum!(
    AuthorType {
        Contact => "contact",
        Agent => "agent",
        Bot => "bot",
        System => "system",
    }
);

string_enum!(
    DeliveryStatus {
        Queued => "queued",
        Sent => "sent",
        Delivered => "delivered",
        Read => "read",
        Failed => "failed",
    }
);

string_enum!(
    /// What an agent may do: admins configure the account, agents handle
    /// conversations.
    Role {
        Admin => "admin",
        Agent => "agent",
    }
);

string_enum!(
    /// Everything that happens is one of these events on the timeline.
    EventKind {
        AgentCreated => "agent.created",
        AgentUpdated => "agent.updated",
        TeamCreated => "team.created",
        TeamUpdated => "team.updated",
        TeamDeleted => "team.deleted",
        InboxCreated => "inbox.created",
        InboxUpdated => "inbox.updated",
        ContactCreated => "contact.created",
        ContactUpdated => "contact.updated",
        IdentityAdded => "contact.identity_added",
        IdentityRemoved => "contact.identity_removed",
        ContactMerged => "contact.merged",
        ContactSplit => "contact.split",
        ConversationCreated => "conversation.created",
        ConversationUpdated => "conversation.updated",
        StatusChanged => "conversation.status_changed",
        Assigned => "conversation.assigned",
        MessageCreated => "message.created",
        MessageStatusChanged => "message.status_changed",
        OrderCreated => "order.created",
        OrderUpdated => "order.updated",
        CannedResponseCreated => "canned_response.created",
        CannedResponseUpdated => "canned_response.updated",
        CannedResponseDeleted => "canned_response.deleted",
        KnowledgeArticleCreated => "knowledge_article.created",
        KnowledgeArticleUpdated => "knowledge_article.updated",
        KnowledgeArticleDeleted => "knowledge_article.deleted",
        BotAnswered => "bot.answered",
        BotHandedOff => "bot.handed_off",
        BotResumed => "bot.resumed",
        BotSettingsUpdated => "bot.settings_updated",
        BotAnswerUpdated => "bot.answer_updated",
        BotExampleAdded => "bot.example_added",
        BotExampleUpdated => "bot.example_updated",
        BotExampleDeleted => "bot.example_deleted",
        BotRetrained => "bot.retrained",
    }
);

impl Role {
    pub fn is_admin(self) -> bool {
        matches!(self, Role::Admin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip_through_text_and_json() {
        for c in Channel::ALL {
            assert_eq!(c.as_str().parse::<Channel>().unwrap(), *c);
            assert_eq!(
                serde_json::to_string(c).unwrap(),
                format!("\"{}\"", c.as_str())
            );
        }
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), *k);
        }
        assert_eq!(Direction::Inbound.as_str(), "in");
    }

    #[test]
    fn unknown_spelling_names_the_choices() {
        let err = "fax".parse::<Channel>().unwrap_err().to_string();
        assert!(err.contains("web_chat"), "{err}");
    }
}
