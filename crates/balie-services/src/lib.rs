//! Balie's services: the operations of the product (identities, contacts,
//! conversations, messages, auth), each a transaction that also appends its
//! events and, once committed, publishes them for live clients. Front ends
//! (HTTP, channels, the bot) call these and never the storage directly.

pub mod auth;
pub mod bot;
pub mod canned;
pub mod commerce;
pub mod contacts;
pub mod conversations;
pub mod demo;
pub mod directory;
pub mod fanout;
pub mod knowledge;
pub mod limits;
pub mod widget;

use std::sync::Arc;

use balie_domain::{AuthorType, Clock, DomainError, Event, Role};
use balie_storage::events::NewEvent;
use balie_storage::{StorageError, Store, WriteTx};

pub use fanout::{Fanout, InProcessFanout, Live, Signal, SignalKind};

/// Everything a request needs: the store, the clock and the fan-out.
#[derive(Clone)]
pub struct Services {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub fanout: Arc<dyn Fanout>,
    pub login_limiter: Arc<auth::LoginLimiter>,
    pub rate_limiter: Arc<limits::RateLimiter>,
    /// The bot's per-node state: trained shop models, turn locks.
    pub bot: Arc<bot::admin::BotRuntime>,
    pub knowledge_cache: Arc<knowledge::KnowledgeCache>,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("store", &self.store)
            .finish()
    }
}

/// Who is acting: an authenticated agent of one account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub account_id: i64,
    pub agent_id: i64,
    pub role: Role,
}

impl Actor {
    pub fn require_admin(&self) -> Result<(), ServiceError> {
        if self.role.is_admin() {
            Ok(())
        } else {
            Err(ServiceError::Forbidden("only an admin may do this".into()))
        }
    }
}

/// Why an operation did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("too many attempts; try again in {retry_after_s} seconds")]
    RateLimited { retry_after_s: u64 },
    #[error(transparent)]
    Storage(StorageError),
}

impl ServiceError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<StorageError> for ServiceError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ServiceError::NotFound,
            StorageError::Conflict(m) => ServiceError::Conflict(m),
            other => ServiceError::Storage(other),
        }
    }
}

impl From<DomainError> for ServiceError {
    fn from(e: DomainError) -> Self {
        let field = match &e {
            DomainError::InvalidEmail(_) => "email".to_string(),
            DomainError::InvalidPhone(_) => "phone".to_string(),
            DomainError::InvalidValue { field, .. } => field.to_string(),
        };
        ServiceError::Invalid {
            field,
            message: e.to_string(),
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

/// One page of a list and the cursor of the next one.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` rows: the extra row only says
    /// there is more.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, key: impl Fn(&T) -> i64) -> Page<T> {
        let more = rows.len() as i64 > limit;
        rows.truncate(limit.max(0) as usize);
        let next_cursor = if more {
            rows.last().map(|r| key(r).to_string())
        } else {
            None
        };
        Page {
            data: rows,
            next_cursor,
        }
    }
}

/// A requested page: where to start and how many.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub cursor: Option<i64>,
    pub limit: i64,
}

impl PageRequest {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 1000;

    pub fn new(cursor: Option<&str>, limit: Option<i64>) -> Result<PageRequest> {
        let cursor = match cursor {
            None | Some("") => None,
            Some(c) => Some(c.parse::<i64>().ok().filter(|v| *v >= 0).ok_or_else(|| {
                ServiceError::invalid("cursor", "not a cursor returned by this API")
            })?),
        };
        let limit = limit.unwrap_or(Self::DEFAULT_LIMIT);
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(ServiceError::invalid(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        Ok(PageRequest { cursor, limit })
    }

    /// Rows to fetch: one more than the page, to know whether there is more.
    pub fn fetch(&self) -> i64 {
        self.limit + 1
    }
}

impl Services {
    pub fn new(store: Store, clock: Arc<dyn Clock>, fanout: Arc<dyn Fanout>) -> Services {
        Services {
            store,
            clock,
            fanout,
            login_limiter: Arc::new(auth::LoginLimiter::default()),
            rate_limiter: Arc::new(limits::RateLimiter::default()),
            bot: Arc::new(bot::admin::BotRuntime::default()),
            knowledge_cache: Arc::new(knowledge::KnowledgeCache::default()),
        }
    }

    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// Events appended in a transaction, published once it has committed.
pub(crate) struct Pending {
    account_id: i64,
    events: Vec<Event>,
}

impl Pending {
    pub(crate) fn new(account_id: i64) -> Self {
        Pending {
            account_id,
            events: Vec::new(),
        }
    }

    pub(crate) async fn append(
        &mut self,
        tx: &mut WriteTx,
        event: NewEvent,
        now: i64,
    ) -> Result<()> {
        let id = balie_storage::events::append(tx, self.account_id, &event, now).await?;
        self.events.push(Event {
            id,
            account_id: self.account_id,
            kind: event.kind,
            conversation_id: event.conversation_id,
            contact_id: event.contact_id,
            actor_type: event.actor_type,
            actor_id: event.actor_id,
            payload: event.payload,
            created_at: balie_domain::Timestamp(now),
        });
        Ok(())
    }

    /// Commits, then hands the events to the fan-out: a live client never
    /// sees an event that is not durable.
    pub(crate) async fn commit(self, tx: WriteTx, services: &Services) -> Result<()> {
        tx.commit().await?;
        for event in self.events {
            services.fanout.publish(Live::Event(event));
        }
        Ok(())
    }
}

impl Services {
    /// The common end of a change that records one event: append it to
    /// `tx`, commit, then publish it.
    pub(crate) async fn commit_with_event(
        &self,
        mut tx: WriteTx,
        account_id: i64,
        event: NewEvent,
        now: i64,
    ) -> Result<()> {
        let mut pending = Pending::new(account_id);
        pending.append(&mut tx, event, now).await?;
        pending.commit(tx, self).await
    }
}

/// An event by an agent.
pub(crate) fn agent_event(
    actor: &Actor,
    kind: balie_domain::EventKind,
    payload: serde_json::Value,
) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: None,
        contact_id: None,
        actor_type: AuthorType::Agent,
        actor_id: Some(actor.agent_id),
        payload,
    }
}
