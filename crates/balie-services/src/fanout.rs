//! Real-time fan-out of committed events to live clients. One node uses the
//! in-process implementation; several nodes will share one over NATS.

use balie_domain::Event;
use tokio::sync::broadcast;

/// Delivers committed events to whoever listens on this node.
pub trait Fanout: Send + Sync + 'static {
    fn publish(&self, event: Event);
    fn subscribe(&self) -> broadcast::Receiver<Event>;
}

/// Fan-out within one process over a broadcast channel. A listener that falls
/// too far behind is told it lagged and re-reads from the event log.
pub struct InProcessFanout {
    sender: broadcast::Sender<Event>,
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
        Self::new(4096)
    }
}

impl Fanout for InProcessFanout {
    fn publish(&self, event: Event) {
        // No listener is not an error: the event is in the log.
        let _ = self.sender.send(event);
    }

    fn subscribe(&self) -> broadcast::Receiver<Event> {
        self.sender.subscribe()
    }
}
