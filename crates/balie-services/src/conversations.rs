//! Conversations and messages, and the one path by which a customer's
//! message from any channel enters Balie ([`Services::ingest`]): it finds the
//! contact by any identity, continues their open conversation whatever the
//! channel (R3), stores the message durably, then publishes it.

use balie_domain::{
    normalise_identity, AuthorType, Channel, Conversation, ConversationStatus, DeliveryStatus,
    Direction, EventKind, IdentityKind, Message, Priority,
};
use balie_storage::contacts;
use balie_storage::conversations::{self, ConversationChanges, ConversationFilter, NewMessage};
use balie_storage::events::NewEvent;
use balie_storage::{accounts, inboxes, teams, StorageError, WriteTx};
use serde_json::json;

use crate::contacts::IdentityInput;
use crate::directory::required_text;
use crate::{Actor, Page, PageRequest, Pending, Result, ServiceError, Services};

/// The longest message text accepted, in bytes.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

/// A customer's message as a channel delivers it.
#[derive(Debug, Clone)]
pub struct InboundMessage {
    pub inbox_id: Option<i64>,
    pub channel: Channel,
    /// Who wrote it; the first identity that matches a contact decides.
    pub from: Vec<IdentityInput>,
    pub name: Option<String>,
    pub text: String,
    /// The channel's own id of the message; a redelivery is stored once.
    pub external_id: Option<String>,
    /// Continue this conversation rather than the contact's latest one.
    pub conversation_id: Option<i64>,
    /// Files already stored with [`Services::store_attachment`].
    pub attachments: Vec<balie_domain::AttachmentMeta>,
    /// The sender is already known (a widget session): skip identity lookup.
    pub known_contact_id: Option<i64>,
}

/// What ingesting a message did.
#[derive(Debug, Clone)]
pub struct Ingested {
    pub message: Message,
    pub conversation: Conversation,
    pub contact_id: i64,
    pub created_contact: bool,
    pub created_conversation: bool,
    /// True when the message had been received before (same external id).
    pub duplicate: bool,
}

/// An agent's (or the bot's) message in a conversation.
#[derive(Debug, Clone)]
pub struct ReplyInput {
    pub text: String,
    /// Defaults to the channel the customer used last.
    pub channel: Option<Channel>,
    pub private: bool,
    /// `in` logs something the customer said elsewhere (a phone call).
    pub direction: Direction,
}

/// Changes to a conversation requested by an agent.
#[derive(Debug, Clone, Default)]
pub struct ConversationPatch {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    pub labels: Option<Vec<String>>,
    pub subject: Option<Option<String>>,
    pub snoozed_until: Option<Option<i64>>,
}

fn check_text(text: &str) -> Result<()> {
    if text.trim().is_empty() {
        return Err(ServiceError::invalid("text", "must not be empty"));
    }
    if text.len() > MAX_TEXT_BYTES {
        return Err(ServiceError::invalid(
            "text",
            format!("at most {MAX_TEXT_BYTES} bytes"),
        ));
    }
    Ok(())
}

pub(crate) fn conversation_event(
    kind: EventKind,
    conversation: &Conversation,
    actor_type: AuthorType,
    actor_id: Option<i64>,
    payload: serde_json::Value,
) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: Some(conversation.id),
        contact_id: Some(conversation.contact_id),
        actor_type,
        actor_id,
        payload,
    }
}

pub(crate) fn message_event(conversation: &Conversation, message: &Message) -> NewEvent {
    conversation_event(
        EventKind::MessageCreated,
        conversation,
        message.author_type,
        message.author_id,
        json!({ "message": message }),
    )
}

/// Checks that a referenced row exists in the actor's account; a missing one
/// is bad input in the body, not a missing resource.
async fn must_exist<T>(found: std::result::Result<T, StorageError>, field: &str) -> Result<T> {
    found.map_err(|e| match e {
        StorageError::NotFound => ServiceError::invalid(field, "no such object in this account"),
        other => other.into(),
    })
}

impl Services {
    /// Stores a customer's message from any channel. See the module docs.
    /// Then the bot takes its turn ([`Services::bot_reply`]), after the
    /// message is durable and published, in a task of its own so the
    /// customer's send is not slowed.
    pub async fn ingest(&self, account_id: i64, input: InboundMessage) -> Result<Ingested> {
        let got = self.ingest_without_bot(account_id, input).await?;
        if !got.duplicate {
            let bot = self.clone();
            let (message, conversation_id) = (got.message.clone(), got.conversation.id);
            tokio::spawn(async move {
                if let Err(e) = bot.bot_reply(account_id, conversation_id, &message).await {
                    tracing::warn!(error = %e, conversation_id, "bot reply failed");
                }
            });
        }
        Ok(got)
    }

    /// [`Services::ingest`] without the bot's turn: for history that is
    /// not live traffic (the demo's seeded conversations).
    pub async fn ingest_without_bot(
        &self,
        account_id: i64,
        input: InboundMessage,
    ) -> Result<Ingested> {
        // Two first messages of one new customer may race to create the
        // contact (PostgreSQL runs writers in parallel); the loser retries and
        // finds the winner's contact.
        let mut attempt = 0;
        loop {
            match self.ingest_once(account_id, &input).await {
                Err(ServiceError::Conflict(_)) if attempt < 3 => attempt += 1,
                other => return other,
            }
        }
    }

    async fn ingest_once(&self, account_id: i64, input: &InboundMessage) -> Result<Ingested> {
        check_text(&input.text)?;
        if input.from.is_empty() && input.known_contact_id.is_none() {
            return Err(ServiceError::invalid(
                "from",
                "at least one identity is needed",
            ));
        }
        let identities: Vec<(IdentityKind, String)> = input
            .from
            .iter()
            .map(|i| Ok((i.kind, normalise_identity(i.kind, &i.value)?)))
            .collect::<Result<_>>()?;
        let name = input
            .name
            .as_deref()
            .map(|n| required_text("name", n, 200))
            .transpose()?;
        if let Some(ext) = &input.external_id {
            required_text("external_id", ext, 200)?;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if let Some(inbox_id) = input.inbox_id {
            must_exist(
                inboxes::get_inbox(tx.conn(), account_id, inbox_id).await,
                "inbox_id",
            )
            .await?;
        }
        if let Some(ext) = &input.external_id {
            if let Some(message) = conversations::find_message_by_external_id(
                tx.conn(),
                account_id,
                input.channel,
                ext,
            )
            .await?
            {
                let conversation =
                    conversations::get_conversation(tx.conn(), account_id, message.conversation_id)
                        .await?;
                return Ok(Ingested {
                    contact_id: conversation.contact_id,
                    message,
                    conversation,
                    created_contact: false,
                    created_conversation: false,
                    duplicate: true,
                });
            }
        }
        let mut pending = Pending::new(account_id);
        let system = |kind, contact_id: i64, payload| NewEvent {
            kind,
            conversation_id: None,
            contact_id: Some(contact_id),
            actor_type: AuthorType::System,
            actor_id: None,
            payload,
        };

        // Who is this? The first identity that is known decides.
        let mut contact_id = input.known_contact_id;
        if let Some(id) = contact_id {
            contacts::get_contact(tx.conn(), account_id, id).await?;
        }
        if contact_id.is_none() {
            for (kind, value) in &identities {
                if let Some(id) =
                    contacts::find_by_identity(tx.conn(), account_id, *kind, value).await?
                {
                    contact_id = Some(id);
                    break;
                }
            }
        }
        let created_contact = contact_id.is_none();
        let contact_id = match contact_id {
            Some(id) => id,
            None => {
                let id = contacts::create_contact(
                    tx.conn(),
                    account_id,
                    name.as_deref(),
                    &json!({}),
                    now,
                )
                .await?;
                pending
                    .append(
                        &mut tx,
                        system(EventKind::ContactCreated, id, json!({ "contact_id": id })),
                        now,
                    )
                    .await?;
                id
            }
        };
        // Identities this message adds to what we know, unless another
        // contact owns them (that calls for an explicit merge).
        for (kind, value) in &identities {
            if contacts::find_by_identity(tx.conn(), account_id, *kind, value)
                .await?
                .is_none()
            {
                let identity =
                    contacts::add_identity(tx.conn(), account_id, contact_id, *kind, value, now)
                        .await?;
                if !created_contact {
                    let payload = json!({ "contact_id": contact_id, "identity_id": identity.id, "kind": kind, "value": value });
                    pending
                        .append(
                            &mut tx,
                            system(EventKind::IdentityAdded, contact_id, payload),
                            now,
                        )
                        .await?;
                }
            }
        }
        if let (Some(name), false) = (&name, created_contact) {
            let contact = contacts::get_contact(tx.conn(), account_id, contact_id).await?;
            if contact.name.is_none() {
                contacts::update_contact(
                    tx.conn(),
                    account_id,
                    contact_id,
                    Some(Some(name)),
                    None,
                    now,
                )
                .await?;
            }
        }

        // Where does it go? The requested conversation, or the contact's open
        // one on any channel, or a new one.
        let existing = match input.conversation_id {
            Some(id) => {
                let c = must_exist(
                    conversations::get_conversation(tx.conn(), account_id, id).await,
                    "conversation_id",
                )
                .await?;
                if c.contact_id != contact_id {
                    return Err(ServiceError::invalid(
                        "conversation_id",
                        "that conversation belongs to another contact",
                    ));
                }
                Some(c)
            }
            None => {
                conversations::find_active_for_contact(tx.conn(), account_id, contact_id).await?
            }
        };
        let created_conversation = existing.is_none();
        let conversation = match existing {
            Some(c) => c,
            None => {
                let c = conversations::create_conversation(
                    tx.conn(),
                    account_id,
                    contact_id,
                    input.inbox_id,
                    None,
                    now,
                )
                .await?;
                let payload = json!({ "conversation": c });
                pending
                    .append(
                        &mut tx,
                        conversation_event(
                            EventKind::ConversationCreated,
                            &c,
                            AuthorType::System,
                            None,
                            payload,
                        ),
                        now,
                    )
                    .await?;
                c
            }
        };
        if conversation.status != ConversationStatus::Open {
            // A customer writing again reopens the conversation.
            self.change_status(
                &mut tx,
                &mut pending,
                account_id,
                &conversation,
                ConversationStatus::Open,
                AuthorType::System,
                None,
                now,
            )
            .await?;
        }
        let message = conversations::insert_message(
            tx.conn(),
            account_id,
            &NewMessage {
                conversation_id: conversation.id,
                direction: Direction::Inbound,
                author_type: AuthorType::Contact,
                author_id: Some(contact_id),
                channel: input.channel,
                inbox_id: input.inbox_id,
                text: &input.text,
                external_id: input.external_id.as_deref(),
                delivery_status: DeliveryStatus::Delivered,
                private: false,
                attachments: input.attachments.clone(),
            },
            now,
        )
        .await?;
        let conversation =
            conversations::get_conversation(tx.conn(), account_id, conversation.id).await?;
        pending
            .append(&mut tx, message_event(&conversation, &message), now)
            .await?;
        pending.commit(tx, self).await?;
        Ok(Ingested {
            message,
            conversation,
            contact_id,
            created_contact,
            created_conversation,
            duplicate: false,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_status(
        &self,
        tx: &mut WriteTx,
        pending: &mut Pending,
        account_id: i64,
        conversation: &Conversation,
        status: ConversationStatus,
        actor_type: AuthorType,
        actor_id: Option<i64>,
        now: i64,
    ) -> Result<Conversation> {
        let changes = ConversationChanges {
            status: Some(status),
            snoozed_until: (status != ConversationStatus::Snoozed).then_some(None),
            ..Default::default()
        };
        let updated = conversations::update_conversation(
            tx.conn(),
            account_id,
            conversation.id,
            &changes,
            now,
        )
        .await?;
        let payload = json!({ "from": conversation.status, "to": status });
        pending
            .append(
                tx,
                conversation_event(
                    EventKind::StatusChanged,
                    &updated,
                    actor_type,
                    actor_id,
                    payload,
                ),
                now,
            )
            .await?;
        Ok(updated)
    }

    /// Opens a conversation with a contact (an agent reaching out).
    pub async fn create_conversation(
        &self,
        actor: &Actor,
        contact_id: i64,
        inbox_id: Option<i64>,
        subject: Option<&str>,
    ) -> Result<Conversation> {
        let subject = subject
            .map(|s| required_text("subject", s, 300))
            .transpose()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let contact = must_exist(
            contacts::get_contact(tx.conn(), actor.account_id, contact_id).await,
            "contact_id",
        )
        .await?;
        if contact.merged_into_id.is_some() {
            return Err(ServiceError::invalid(
                "contact_id",
                "this contact was merged into another one",
            ));
        }
        if let Some(inbox_id) = inbox_id {
            must_exist(
                inboxes::get_inbox(tx.conn(), actor.account_id, inbox_id).await,
                "inbox_id",
            )
            .await?;
        }
        let c = conversations::create_conversation(
            tx.conn(),
            actor.account_id,
            contact_id,
            inbox_id,
            subject.as_deref(),
            now,
        )
        .await?;
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(
                &mut tx,
                conversation_event(
                    EventKind::ConversationCreated,
                    &c,
                    AuthorType::Agent,
                    Some(actor.agent_id),
                    json!({ "conversation": c }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        Ok(c)
    }

    pub async fn get_conversation(&self, actor: &Actor, id: i64) -> Result<Conversation> {
        let mut conn = self.store.read().await?;
        Ok(conversations::get_conversation(&mut conn, actor.account_id, id).await?)
    }

    pub async fn list_conversations(
        &self,
        actor: &Actor,
        filter: &ConversationFilter,
        page: PageRequest,
    ) -> Result<Page<Conversation>> {
        let mut conn = self.store.read().await?;
        let rows = conversations::list_conversations(
            &mut conn,
            actor.account_id,
            filter,
            page.cursor,
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |c| c.id))
    }

    /// Changes status, priority, assignment, team, labels, subject or snooze,
    /// each recorded as its own event.
    pub async fn update_conversation(
        &self,
        actor: &Actor,
        id: i64,
        patch: ConversationPatch,
    ) -> Result<Conversation> {
        let labels = patch
            .labels
            .map(|labels| {
                if labels.len() > 50 {
                    return Err(ServiceError::invalid("labels", "at most 50 labels"));
                }
                let mut out: Vec<String> = Vec::new();
                for l in labels {
                    let l = required_text("labels", &l, 50)?.to_lowercase();
                    if !out.contains(&l) {
                        out.push(l);
                    }
                }
                Ok(out)
            })
            .transpose()?;
        let subject = match patch.subject {
            Some(Some(s)) => Some(Some(required_text("subject", &s, 300)?)),
            other => other,
        };
        if patch.status == Some(ConversationStatus::Snoozed)
            && !matches!(patch.snoozed_until, Some(Some(_)))
        {
            return Err(ServiceError::invalid(
                "snoozed_until",
                "snoozing needs a time to wake up",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let before = conversations::get_conversation(tx.conn(), actor.account_id, id).await?;
        if let Some(Some(agent_id)) = patch.assignee_id {
            let agent = must_exist(
                accounts::get_agent(tx.conn(), actor.account_id, agent_id).await,
                "assignee_id",
            )
            .await?;
            if !agent.active {
                return Err(ServiceError::invalid(
                    "assignee_id",
                    "that agent is deactivated",
                ));
            }
        }
        if let Some(Some(team_id)) = patch.team_id {
            must_exist(
                teams::get_team(tx.conn(), actor.account_id, team_id).await,
                "team_id",
            )
            .await?;
        }
        let mut pending = Pending::new(actor.account_id);
        let agent = Some(actor.agent_id);
        if let Some(status) = patch.status.filter(|s| *s != before.status) {
            self.change_status(
                &mut tx,
                &mut pending,
                actor.account_id,
                &before,
                status,
                AuthorType::Agent,
                agent,
                now,
            )
            .await?;
        }
        let changes = ConversationChanges {
            status: None,
            priority: patch.priority,
            assignee_id: patch.assignee_id,
            team_id: patch.team_id,
            labels: labels.clone(),
            subject: subject.clone(),
            snoozed_until: patch.snoozed_until,
        };
        let current =
            conversations::update_conversation(tx.conn(), actor.account_id, id, &changes, now)
                .await?;
        if patch.assignee_id.is_some() && current.assignee_id != before.assignee_id
            || patch.team_id.is_some() && current.team_id != before.team_id
        {
            let payload = json!({
                "assignee_id": current.assignee_id, "previous_assignee_id": before.assignee_id,
                "team_id": current.team_id, "previous_team_id": before.team_id,
            });
            pending
                .append(
                    &mut tx,
                    conversation_event(
                        EventKind::Assigned,
                        &current,
                        AuthorType::Agent,
                        agent,
                        payload,
                    ),
                    now,
                )
                .await?;
        }
        if patch.priority.is_some()
            || labels.is_some()
            || subject.is_some()
            || patch.snoozed_until.is_some()
        {
            let payload = json!({ "conversation": current });
            pending
                .append(
                    &mut tx,
                    conversation_event(
                        EventKind::ConversationUpdated,
                        &current,
                        AuthorType::Agent,
                        agent,
                        payload,
                    ),
                    now,
                )
                .await?;
        }
        pending.commit(tx, self).await?;
        Ok(current)
    }

    pub async fn list_messages(
        &self,
        actor: &Actor,
        conversation_id: i64,
        page: PageRequest,
    ) -> Result<Page<Message>> {
        let mut conn = self.store.read().await?;
        conversations::get_conversation(&mut conn, actor.account_id, conversation_id).await?;
        let rows = conversations::list_messages(
            &mut conn,
            actor.account_id,
            conversation_id,
            page.cursor.unwrap_or(0),
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |m| m.id))
    }

    /// An agent writes in a conversation: a reply (on the customer's last
    /// channel unless told otherwise), a private note, or a logged contact.
    pub async fn add_message(
        &self,
        actor: &Actor,
        conversation_id: i64,
        input: ReplyInput,
    ) -> Result<Message> {
        check_text(&input.text)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let conversation =
            conversations::get_conversation(tx.conn(), actor.account_id, conversation_id).await?;
        let channel = input
            .channel
            .or(conversation.last_channel)
            .unwrap_or(Channel::Api);
        let (author_type, author_id, status) = match (input.direction, input.private) {
            (_, true) => (AuthorType::Agent, actor.agent_id, DeliveryStatus::Delivered),
            (Direction::Outbound, false) => {
                (AuthorType::Agent, actor.agent_id, DeliveryStatus::Queued)
            }
            (Direction::Inbound, false) => (
                AuthorType::Contact,
                conversation.contact_id,
                DeliveryStatus::Delivered,
            ),
        };
        let message = conversations::insert_message(
            tx.conn(),
            actor.account_id,
            &NewMessage {
                conversation_id,
                direction: if input.private {
                    Direction::Outbound
                } else {
                    input.direction
                },
                author_type,
                author_id: Some(author_id),
                channel,
                inbox_id: conversation.inbox_id,
                text: &input.text,
                external_id: None,
                delivery_status: status,
                private: input.private,
                attachments: Vec::new(),
            },
            now,
        )
        .await?;
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(&mut tx, message_event(&conversation, &message), now)
            .await?;
        pending.commit(tx, self).await?;
        Ok(message)
    }

    /// Events of the account after `after`, oldest first.
    pub async fn events_after(
        &self,
        actor: &Actor,
        after: i64,
        conversation_id: Option<i64>,
        contact_id: Option<i64>,
        limit: i64,
    ) -> Result<Page<balie_domain::Event>> {
        if !(1..=PageRequest::MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be between 1 and {}", PageRequest::MAX_LIMIT),
            ));
        }
        let mut conn = self.store.read().await?;
        let rows = balie_storage::events::list_after(
            &mut conn,
            actor.account_id,
            after,
            conversation_id,
            contact_id,
            limit + 1,
        )
        .await?;
        Ok(Page::from_rows(rows, limit, |e| e.id))
    }
}

impl Services {
    /// The account's newest event id (0 if none): pages render it so their
    /// live socket resumes there.
    pub async fn last_event_id(&self, actor: &Actor) -> Result<i64> {
        let mut conn = self.store.read().await?;
        Ok(balie_storage::events::last_id(&mut conn, actor.account_id).await?)
    }

    /// Tells the other agents (and, for agents typing, the customer) that
    /// someone is typing in or viewing a conversation. Nothing is stored.
    pub async fn signal(
        &self,
        actor: &Actor,
        conversation_id: i64,
        kind: crate::SignalKind,
    ) -> Result<()> {
        let mut conn = self.store.read().await?;
        let conversation =
            conversations::get_conversation(&mut conn, actor.account_id, conversation_id).await?;
        let agent = accounts::get_agent(&mut conn, actor.account_id, actor.agent_id).await?;
        self.fanout.publish(crate::Live::Signal(crate::Signal {
            account_id: actor.account_id,
            conversation_id,
            contact_id: conversation.contact_id,
            kind,
            actor_type: AuthorType::Agent,
            actor_id: Some(actor.agent_id),
            actor_name: Some(agent.name),
        }));
        Ok(())
    }
}
