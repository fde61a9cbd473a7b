//! Routes live items to the widget feeds that want them. With thousands of
//! open widgets, letting every feed read every event of the node would wake
//! thousands of tasks per message; the hub reads the fan-out once and hands
//! each item only to the feeds of its contact (contact ids are unique across
//! accounts) or, before a visitor's first message, of their session.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use balie_services::{Fanout, Live};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

struct Entry {
    id: u64,
    tx: mpsc::Sender<Arc<Live>>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
struct Maps {
    by_contact: HashMap<i64, Vec<Entry>>,
    by_session: HashMap<i64, Vec<Entry>>,
}

#[derive(Default)]
pub struct WidgetHub {
    maps: Mutex<Maps>,
    next_id: AtomicU64,
}

/// One feed's share of the hub; dropping it unregisters.
pub struct Subscription {
    hub: Arc<WidgetHub>,
    id: u64,
    session_id: i64,
    /// Set by the feed when its visitor gets a contact.
    pub contact_id: Option<i64>,
    pub rx: mpsc::Receiver<Arc<Live>>,
    /// Items were dropped because the feed fell behind: re-read the log.
    pub lagged: Arc<AtomicBool>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut maps = self.hub.maps.lock().unwrap_or_else(|p| p.into_inner());
        let id = self.id;
        let prune = |map: &mut HashMap<i64, Vec<Entry>>, key: i64| {
            if let Some(list) = map.get_mut(&key) {
                list.retain(|e| e.id != id);
                if list.is_empty() {
                    map.remove(&key);
                }
            }
        };
        prune(&mut maps.by_session, self.session_id);
        if let Some(c) = self.contact_id {
            prune(&mut maps.by_contact, c);
        }
    }
}

impl std::fmt::Debug for WidgetHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WidgetHub")
            .field("feeds", &self.len())
            .finish()
    }
}

impl WidgetHub {
    /// Starts the hub's reader of the fan-out.
    pub fn start(fanout: Arc<dyn Fanout>) -> Arc<WidgetHub> {
        let hub = Arc::new(WidgetHub::default());
        let mut rx = fanout.subscribe();
        let weak = Arc::downgrade(&hub);
        tokio::spawn(async move {
            loop {
                let item = rx.recv().await;
                let Some(hub) = weak.upgrade() else { return };
                match item {
                    Ok(live) => hub.dispatch(live),
                    Err(RecvError::Lagged(_)) => hub.mark_all_lagged(),
                    Err(RecvError::Closed) => return,
                }
            }
        });
        hub
    }

    pub fn subscribe(self: &Arc<Self>, session_id: i64, contact_id: Option<i64>) -> Subscription {
        let (tx, rx) = mpsc::channel(64);
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let entry = Entry {
            id,
            tx,
            lagged: lagged.clone(),
        };
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        match contact_id {
            Some(c) => maps.by_contact.entry(c).or_default().push(entry),
            None => maps.by_session.entry(session_id).or_default().push(entry),
        }
        Subscription {
            hub: self.clone(),
            id,
            session_id,
            contact_id,
            rx,
            lagged,
        }
    }

    fn dispatch(&self, live: Arc<Live>) {
        let mut maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        let contact = match &*live {
            Live::Event(e) => e.contact_id,
            Live::Signal(s) => Some(s.contact_id),
            Live::SessionContact {
                session_id,
                contact_id,
                ..
            } => {
                // The visitor now has a contact: their feeds follow it.
                if let Some(entries) = maps.by_session.remove(session_id) {
                    maps.by_contact
                        .entry(*contact_id)
                        .or_default()
                        .extend(entries);
                }
                Some(*contact_id)
            }
        };
        let Some(contact) = contact else { return };
        if let Some(list) = maps.by_contact.get_mut(&contact) {
            list.retain(|e| match e.tx.try_send(live.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    e.lagged.store(true, Ordering::Relaxed);
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
        }
    }

    fn mark_all_lagged(&self) {
        let maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        for e in maps
            .by_contact
            .values()
            .chain(maps.by_session.values())
            .flatten()
        {
            e.lagged.store(true, Ordering::Relaxed);
        }
    }

    /// Feeds registered now (for tests and metrics).
    pub fn len(&self) -> usize {
        let maps = self.maps.lock().unwrap_or_else(|p| p.into_inner());
        maps.by_contact
            .values()
            .chain(maps.by_session.values())
            .map(Vec::len)
            .sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balie_domain::{AuthorType, Event, EventKind, Timestamp};
    use balie_services::InProcessFanout;

    fn event(id: i64, contact: i64) -> Live {
        Live::Event(Event {
            id,
            account_id: 1,
            kind: EventKind::MessageCreated,
            conversation_id: Some(1),
            contact_id: Some(contact),
            actor_type: AuthorType::Contact,
            actor_id: None,
            payload: serde_json::json!({}),
            created_at: Timestamp(0),
        })
    }

    async fn next_id(sub: &mut Subscription) -> i64 {
        let item = tokio::time::timeout(std::time::Duration::from_secs(5), sub.rx.recv())
            .await
            .unwrap()
            .unwrap();
        match &*item {
            Live::Event(e) => e.id,
            Live::SessionContact { contact_id, .. } => -contact_id,
            Live::Signal(_) => 0,
        }
    }

    #[tokio::test]
    async fn feeds_get_only_their_contact_and_follow_a_new_contact() {
        let fanout = Arc::new(InProcessFanout::default());
        let hub = WidgetHub::start(fanout.clone());
        let mut seven = hub.subscribe(10, Some(7));
        let mut anonymous = hub.subscribe(11, None);
        fanout.publish(event(1, 8));
        fanout.publish(event(2, 7));
        assert_eq!(next_id(&mut seven).await, 2);
        fanout.publish(Live::SessionContact {
            account_id: 1,
            session_id: 11,
            contact_id: 9,
        });
        assert_eq!(next_id(&mut anonymous).await, -9);
        anonymous.contact_id = Some(9);
        fanout.publish(event(3, 9));
        assert_eq!(next_id(&mut anonymous).await, 3);
        assert_eq!(hub.len(), 2);
        drop(anonymous);
        drop(seven);
        assert!(hub.is_empty(), "dropped feeds unregister");
    }

    #[tokio::test]
    async fn a_feed_that_falls_behind_is_told_to_reread() {
        let fanout = Arc::new(InProcessFanout::default());
        let hub = WidgetHub::start(fanout.clone());
        let sub = hub.subscribe(1, Some(5));
        for id in 0..100 {
            fanout.publish(event(id, 5));
        }
        for _ in 0..100 {
            if sub.lagged.load(Ordering::Relaxed) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the feed was never marked lagged");
    }
}
