//! Real-time fan-out to live clients on this node: committed events from
//! the log, and ephemeral signals (typing, viewing, presence) that are never
//! stored. One node uses the in-process implementation; several nodes will
//! share one over NATS.

use balie_domain::{AuthorType, Event};
use serde::Serialize;
use std::sync::Arc;

use tokio::sync::broadcast;

/// Something a live client should hear about.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Live {
    /// A committed event; its id lets a client resume after a reconnect.
    Event(Event),
    /// A passing signal; missing one is harmless.
    Signal(Signal),
    /// An anonymous widget session got its contact at the first message.
    SessionContact {
        account_id: i64,
        session_id: i64,
        contact_id: i64,
    },
}

impl Live {
    pub fn account_id(&self) -> i64 {
        match self {
            Live::Event(e) => e.account_id,
            Live::Signal(s) => s.account_id,
            Live::SessionContact { account_id, .. } => *account_id,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Typing,
    StoppedTyping,
    Viewing,
    Left,
}

#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    pub account_id: i64,
    pub conversation_id: i64,
    /// The customer of the conversation, so their widget hears it.
    pub contact_id: i64,
    pub kind: SignalKind,
    pub actor_type: AuthorType,
    pub actor_id: Option<i64>,
    /// Display name of who is typing or viewing.
    pub actor_name: Option<String>,
}

/// Delivers what happens to whoever listens on this node.
/// Listeners share one copy of each item (`Arc`): with thousands of
/// sockets, cloning every event's JSON per listener would dominate.
pub trait Fanout: Send + Sync + 'static {
    fn publish(&self, live: Live);
    fn subscribe(&self) -> broadcast::Receiver<Arc<Live>>;
}

/// Fan-out within one process over a broadcast channel. A listener that falls
/// too far behind is told it lagged and re-reads from the event log.
pub struct InProcessFanout {
    sender: broadcast::Sender<Arc<Live>>,
}

impl InProcessFanout {
    pub fn new(capacity: usize) -> Self {
        InProcessFanout {
            sender: broadcast::channel(capacity).0,
        }
    }
}

impl Default for InProcessFanout {
    fn default() -> Self {
        Self::new(16_384)
    }
}

impl Fanout for InProcessFanout {
    fn publish(&self, live: Live) {
        // No listener is not an error: events are in the log.
        let _ = self.sender.send(Arc::new(live));
    }

    fn subscribe(&self) -> broadcast::Receiver<Arc<Live>> {
        self.sender.subscribe()
    }
}
