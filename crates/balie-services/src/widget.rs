//! The web-chat widget's side of Balie: visitor sessions, signed shop
//! identities, sending and reading messages, typing and read receipts.
//!
//! A visitor is anonymous (a fresh contact with a `web_visitor` identity) or
//! a shop customer vouched for by an HMAC-SHA256 of their customer id with the
//! inbox's `identity_secret`, computed by the shop's server. Only a valid
//! signature attaches a visitor to an existing contact; an unsigned email is
//! kept as an unverified attribute and never joins anyone's history.

use balie_domain::{
    AttachmentMeta, AuthorType, BusinessHours, Channel, DeliveryStatus, Event, EventKind,
    IdentityKind, Inbox, Message, OpenStatus,
};
use balie_storage::events::NewEvent;
use balie_storage::widget::{self as store, NewWidgetSession, WidgetSession};
use balie_storage::{contacts, conversations, inboxes};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::auth::{new_secret, secret_hash};
use crate::conversations::InboundMessage;
use crate::directory::required_text;
use crate::{Live, Pending, Result, ServiceError, Services, Signal, SignalKind};

/// A customer id signed by the shop's server.
#[derive(Debug, Clone)]
pub struct SignedCustomer {
    pub id: String,
    pub hmac: String,
    pub name: Option<String>,
    pub email: Option<String>,
}

/// What the widget sends to start or resume.
#[derive(Debug, Clone, Default)]
pub struct WidgetStart {
    pub inbox_token: String,
    pub origin: Option<String>,
    pub session: Option<String>,
    pub locale: String,
    pub customer: Option<SignedCustomer>,
    pub email: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WidgetStarted {
    pub token: String,
    pub session: WidgetSession,
    pub inbox: Inbox,
    pub messages: Vec<Message>,
    pub last_event_id: i64,
}

/// Allowed file types, recognised by their first bytes, not by their name.
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some("image/gif")
    } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else {
        None
    }
}

pub const MAX_ATTACHMENT_BYTES: usize = 10 * 1024 * 1024;

fn hex_decode(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Checks the shop's signature of a customer id.
pub fn verify_customer(secret: &str, customer_id: &str, signature_hex: &str) -> bool {
    let Some(sig) = hex_decode(signature_hex.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(customer_id.as_bytes());
    mac.verify_slice(&sig).is_ok()
}

/// Signs a customer id as a shop's server would (for tests and docs).
pub fn sign_customer(secret: &str, customer_id: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(customer_id.as_bytes());
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// May a page of this origin use the inbox? Any, unless the admin listed some.
pub fn origin_allowed(inbox: &Inbox, origin: Option<&str>) -> bool {
    match inbox
        .settings
        .get("allowed_origins")
        .and_then(|v| v.as_array())
    {
        Some(list) if !list.is_empty() => match origin {
            Some(o) => list
                .iter()
                .filter_map(|v| v.as_str())
                .any(|a| a.trim_end_matches('/') == o.trim_end_matches('/')),
            // Not a browser request (no Origin header): the token decides.
            None => true,
        },
        _ => true,
    }
}

/// Whether humans answer now, by the inbox's business hours (always open
/// when none are set).
pub fn inbox_open_status(inbox: &Inbox, now_ms: i64) -> OpenStatus {
    inbox
        .settings
        .get("business_hours")
        .and_then(|h| serde_json::from_value::<BusinessHours>(h.clone()).ok())
        .map(|h| h.status(now_ms))
        .unwrap_or(OpenStatus {
            open: true,
            next_open_ms: None,
        })
}

fn locale_of(s: &str) -> &'static str {
    if s.to_ascii_lowercase().starts_with("en") {
        "en"
    } else {
        "nl"
    }
}

impl Services {
    /// Starts a widget session or resumes the visitor's earlier one.
    pub async fn widget_start(&self, req: WidgetStart) -> Result<WidgetStarted> {
        let now = self.now();
        let locale = locale_of(&req.locale);
        let inbox = {
            let mut conn = self.store.read().await?;
            inboxes::find_by_public_token(&mut conn, req.inbox_token.trim()).await?
        }
        .filter(|i| i.channel == Channel::WebChat)
        .ok_or(ServiceError::NotFound)?;
        if !origin_allowed(&inbox, req.origin.as_deref()) {
            return Err(ServiceError::Forbidden(
                "this website may not use this chat".into(),
            ));
        }
        let account_id = inbox.account_id;
        let customer = match &req.customer {
            Some(c) => {
                let id = required_text("customer.id", &c.id, 200)?;
                let secret = inbox
                    .settings
                    .get("identity_secret")
                    .and_then(|s| s.as_str())
                    .unwrap_or("");
                if secret.is_empty() || !verify_customer(secret, &id, &c.hmac) {
                    return Err(ServiceError::Forbidden("bad_identity".into()));
                }
                Some((id, c))
            }
            None => None,
        };
        let email = req
            .email
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(|e| balie_domain::EmailAddress::parse(e).map(|e| e.into_string()))
            .transpose()?;
        let name = req
            .name
            .as_deref()
            .map(|n| required_text("name", n, 200))
            .transpose()?;
        // Resume when the stored session fits who is here now.
        if let Some(token) = req.session.as_deref().filter(|t| !t.is_empty()) {
            let mut conn = self.store.read().await?;
            if let Some(s) = store::session_by_hash(&mut conn, &secret_hash(token)).await? {
                let same_person = match &customer {
                    Some((id, _)) => s.verified && s.customer_id.as_deref() == Some(id.as_str()),
                    None => !s.verified,
                };
                if s.inbox_id == inbox.id && same_person {
                    drop(conn);
                    let mut tx = self.store.begin().await?;
                    store::touch_session(tx.conn(), s.id, locale, now).await?;
                    // A pre-chat form filled in after the session began.
                    store::set_visitor_details(tx.conn(), s.id, name.as_deref(), email.as_deref())
                        .await?;
                    if let (Some(cid), Some(e)) = (s.contact_id, &email) {
                        let contact = contacts::get_contact(tx.conn(), account_id, cid).await?;
                        if contact
                            .attributes
                            .get("email_unverified")
                            .is_none_or(|v| v.is_null())
                        {
                            let mut attrs = contact.attributes.clone();
                            attrs["email_unverified"] = json!(e);
                            contacts::update_contact(
                                tx.conn(),
                                account_id,
                                cid,
                                None,
                                Some(&attrs),
                                now,
                            )
                            .await?;
                        }
                    }
                    tx.commit().await?;
                    let s = {
                        let mut conn = self.store.read().await?;
                        store::session_by_id(&mut conn, s.id)
                            .await?
                            .ok_or(ServiceError::NotFound)?
                    };
                    return self.widget_started(token.to_string(), s, inbox).await;
                }
            }
        }
        let mut pending = Pending::new(account_id);
        let mut tx = self.store.begin().await?;
        // A signed customer is known (or becomes a contact now); an anonymous
        // visitor becomes one only when they first write.
        let (contact_id, verified, customer_id) = match &customer {
            Some((id, c)) => {
                let existing = contacts::find_by_identity(
                    tx.conn(),
                    account_id,
                    IdentityKind::ShopCustomerId,
                    id,
                )
                .await?;
                let contact_id = match existing {
                    Some(cid) => cid,
                    None => {
                        let name = c
                            .name
                            .as_deref()
                            .map(|n| required_text("customer.name", n, 200))
                            .transpose()?;
                        let attrs = json!({ "email_unverified": c.email });
                        let cid = contacts::create_contact(
                            tx.conn(),
                            account_id,
                            name.as_deref(),
                            &attrs,
                            now,
                        )
                        .await?;
                        contacts::add_identity(
                            tx.conn(),
                            account_id,
                            cid,
                            IdentityKind::ShopCustomerId,
                            id,
                            now,
                        )
                        .await?;
                        pending
                            .append(&mut tx, system_event(EventKind::ContactCreated, cid), now)
                            .await?;
                        cid
                    }
                };
                (Some(contact_id), true, Some(id.clone()))
            }
            None => (None, false, None),
        };
        let token = new_secret("wss_");
        let hash = secret_hash(&token);
        let new = NewWidgetSession {
            inbox_id: inbox.id,
            contact_id,
            visitor_name: name.as_deref(),
            visitor_email: email.as_deref(),
            token_hash: &hash,
            verified,
            customer_id: customer_id.as_deref(),
            locale,
        };
        store::create_session(tx.conn(), account_id, &new, now).await?;
        pending.commit(tx, self).await?;
        let mut conn = self.store.read().await?;
        let session = store::session_by_hash(&mut conn, &hash)
            .await?
            .ok_or(ServiceError::NotFound)?;
        drop(conn);
        self.widget_started(token, session, inbox).await
    }

    /// The visitor's contact, made at their first message if they had none.
    async fn ensure_contact(&self, session: &WidgetSession) -> Result<i64> {
        if let Some(id) = session.contact_id {
            return Ok(id);
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let attrs = match &session.visitor_email {
            Some(e) => json!({ "email_unverified": e }),
            None => json!({}),
        };
        let cid = contacts::create_contact(
            tx.conn(),
            session.account_id,
            session.visitor_name.as_deref(),
            &attrs,
            now,
        )
        .await?;
        let visitor = new_secret("v_")[..26].to_string();
        contacts::add_identity(
            tx.conn(),
            session.account_id,
            cid,
            IdentityKind::WebVisitor,
            &visitor,
            now,
        )
        .await?;
        if !store::bind_contact(tx.conn(), session.id, cid).await? {
            // Another request of this visitor got there first: use theirs.
            drop(tx);
            let mut conn = self.store.read().await?;
            let again = store::session_by_id(&mut conn, session.id).await?;
            return again
                .and_then(|s| s.contact_id)
                .ok_or(ServiceError::NotFound);
        }
        let mut pending = Pending::new(session.account_id);
        pending
            .append(&mut tx, system_event(EventKind::ContactCreated, cid), now)
            .await?;
        pending.commit(tx, self).await?;
        self.fanout.publish(Live::SessionContact {
            account_id: session.account_id,
            session_id: session.id,
            contact_id: cid,
        });
        Ok(cid)
    }

    async fn widget_started(
        &self,
        token: String,
        session: WidgetSession,
        inbox: Inbox,
    ) -> Result<WidgetStarted> {
        let mut conn = self.store.read().await?;
        let messages = match session.contact_id {
            Some(cid) => {
                conversations::widget_messages(&mut conn, session.account_id, cid, 0, 500).await?
            }
            None => Vec::new(),
        };
        let last_event_id = balie_storage::events::last_id(&mut conn, session.account_id).await?;
        Ok(WidgetStarted {
            token,
            session,
            inbox,
            messages,
            last_event_id,
        })
    }

    /// The session a widget token stands for.
    pub async fn widget_session(&self, token: &str) -> Result<WidgetSession> {
        let mut conn = self.store.read().await?;
        store::session_by_hash(&mut conn, &secret_hash(token))
            .await?
            .ok_or(ServiceError::Unauthorized)
    }

    pub async fn widget_inbox(&self, session: &WidgetSession) -> Result<Inbox> {
        let mut conn = self.store.read().await?;
        Ok(inboxes::get_inbox(&mut conn, session.account_id, session.inbox_id).await?)
    }

    /// The visitor writes; a resend with the same `client_id` is stored once.
    pub async fn widget_send(
        &self,
        session: &WidgetSession,
        text: &str,
        client_id: Option<&str>,
        attachments: Vec<AttachmentMeta>,
    ) -> Result<Message> {
        let client_id = client_id
            .map(|c| required_text("client_id", c, 100))
            .transpose()?;
        let contact_id = self.ensure_contact(session).await?;
        let text = if text.trim().is_empty() && !attachments.is_empty() {
            attachments
                .iter()
                .map(|a| a.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            text.to_string()
        };
        let got = self
            .ingest(
                session.account_id,
                InboundMessage {
                    inbox_id: Some(session.inbox_id),
                    channel: Channel::WebChat,
                    from: Vec::new(),
                    name: None,
                    text,
                    external_id: client_id.map(|c| format!("w{}:{c}", session.id)),
                    conversation_id: None,
                    attachments,
                    known_contact_id: Some(contact_id),
                },
            )
            .await?;
        Ok(got.message)
    }

    /// The message this session sent with a client id, if any.
    pub async fn widget_message_by_client_id(
        &self,
        session: &WidgetSession,
        client_id: Option<&str>,
    ) -> Result<Option<Message>> {
        let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        let external = format!("w{}:{client_id}", session.id);
        Ok(conversations::find_message_by_external_id(
            &mut conn,
            session.account_id,
            Channel::WebChat,
            &external,
        )
        .await?)
    }

    /// A session re-read (after its contact was made).
    pub async fn widget_session_by_id(&self, id: i64) -> Result<WidgetSession> {
        let mut conn = self.store.read().await?;
        store::session_by_id(&mut conn, id)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Messages the visitor may see after a message id.
    pub async fn widget_messages(
        &self,
        session: &WidgetSession,
        after: i64,
    ) -> Result<Vec<Message>> {
        let Some(cid) = session.contact_id else {
            return Ok(Vec::new());
        };
        let mut conn = self.store.read().await?;
        Ok(conversations::widget_messages(&mut conn, session.account_id, cid, after, 500).await?)
    }

    /// Events of the visitor's contact after an id (the widget filters them).
    pub async fn widget_events_after(
        &self,
        session: &WidgetSession,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Event>> {
        let Some(cid) = session.contact_id else {
            return Ok(Vec::new());
        };
        let mut conn = self.store.read().await?;
        Ok(balie_storage::events::list_after(
            &mut conn,
            session.account_id,
            after,
            None,
            Some(cid),
            limit,
        )
        .await?)
    }

    /// The visitor is typing (or stopped); agents viewing the conversation hear it.
    pub async fn widget_typing(&self, session: &WidgetSession, typing: bool) -> Result<()> {
        let Some(contact_id) = session.contact_id else {
            return Ok(());
        };
        let mut conn = self.store.read().await?;
        let Some(conversation) =
            conversations::find_active_for_contact(&mut conn, session.account_id, contact_id)
                .await?
        else {
            return Ok(());
        };
        self.fanout.publish(Live::Signal(Signal {
            account_id: session.account_id,
            conversation_id: conversation.id,
            contact_id,
            kind: if typing {
                SignalKind::Typing
            } else {
                SignalKind::StoppedTyping
            },
            actor_type: AuthorType::Contact,
            actor_id: Some(contact_id),
            actor_name: None,
        }));
        Ok(())
    }

    /// The widget showed (delivered) or the visitor saw (read) agent messages
    /// up to `message_id`.
    pub async fn widget_mark(
        &self,
        session: &WidgetSession,
        message_id: i64,
        status: DeliveryStatus,
    ) -> Result<()> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let message = conversations::get_message(tx.conn(), session.account_id, message_id).await?;
        let conversation =
            conversations::get_conversation(tx.conn(), session.account_id, message.conversation_id)
                .await?;
        if Some(conversation.contact_id) != session.contact_id {
            return Err(ServiceError::NotFound);
        }
        let changed = conversations::advance_delivery(
            tx.conn(),
            session.account_id,
            conversation.id,
            message_id,
            status,
        )
        .await?;
        if changed.is_empty() {
            return Ok(());
        }
        let mut pending = Pending::new(session.account_id);
        let event = NewEvent {
            kind: EventKind::MessageStatusChanged,
            conversation_id: Some(conversation.id),
            contact_id: Some(conversation.contact_id),
            actor_type: AuthorType::Contact,
            actor_id: session.contact_id,
            payload: json!({ "message_ids": changed, "delivery_status": status }),
        };
        pending.append(&mut tx, event, now).await?;
        pending.commit(tx, self).await
    }

    /// Stores an uploaded file in the visitor's conversation (opening one if
    /// needed); the message that carries it is sent with [`Self::widget_send`].
    pub async fn widget_attachment(
        &self,
        session: &WidgetSession,
        name: &str,
        bytes: &[u8],
    ) -> Result<AttachmentMeta> {
        if bytes.len() > MAX_ATTACHMENT_BYTES {
            return Err(ServiceError::invalid("file", "at most 10 MB"));
        }
        let content_type = sniff_content_type(bytes).ok_or_else(|| {
            ServiceError::invalid("file", "only PNG, JPEG, GIF, WebP images and PDF")
        })?;
        let name: String = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or("")
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let name = if name.trim().is_empty() {
            "bestand".to_string()
        } else {
            name
        };
        let contact_id = self.ensure_contact(session).await?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut pending = Pending::new(session.account_id);
        let conversation =
            match conversations::find_active_for_contact(tx.conn(), session.account_id, contact_id)
                .await?
            {
                Some(c) => c,
                None => {
                    let c = conversations::create_conversation(
                        tx.conn(),
                        session.account_id,
                        contact_id,
                        Some(session.inbox_id),
                        None,
                        now,
                    )
                    .await?;
                    let event = NewEvent {
                        kind: EventKind::ConversationCreated,
                        conversation_id: Some(c.id),
                        contact_id: Some(contact_id),
                        actor_type: AuthorType::System,
                        actor_id: None,
                        payload: json!({ "conversation": c }),
                    };
                    pending.append(&mut tx, event, now).await?;
                    c
                }
            };
        let meta = store::insert_attachment(
            tx.conn(),
            session.account_id,
            conversation.id,
            &name,
            content_type,
            bytes,
            now,
        )
        .await?;
        pending.commit(tx, self).await?;
        Ok(meta)
    }

    /// An attachment's bytes, if the conversation belongs to `contact_id`
    /// (for a widget) or to the account (for agents, `contact_id` None).
    pub async fn attachment(
        &self,
        account_id: i64,
        id: i64,
        contact_id: Option<i64>,
    ) -> Result<(AttachmentMeta, Vec<u8>)> {
        let mut conn = self.store.read().await?;
        let (meta, data, conversation_id) =
            store::get_attachment(&mut conn, account_id, id).await?;
        if let Some(contact) = contact_id {
            let c = conversations::get_conversation(&mut conn, account_id, conversation_id).await?;
            if c.contact_id != contact {
                return Err(ServiceError::NotFound);
            }
        }
        Ok((meta, data))
    }

    /// The widget token of the oldest web-chat inbox, for the demo shop page.
    pub async fn first_widget_token(&self) -> Result<Option<String>> {
        let mut conn = self.store.read().await?;
        Ok(inboxes::first_public_token(&mut conn).await?)
    }

    /// Display names of an account's agents, for showing who replied.
    pub async fn agent_names(
        &self,
        account_id: i64,
    ) -> Result<std::collections::HashMap<i64, String>> {
        let mut conn = self.store.read().await?;
        let agents =
            balie_storage::accounts::list_agents(&mut conn, account_id, None, 1000).await?;
        Ok(agents.into_iter().map(|a| (a.id, a.name)).collect())
    }
}

fn system_event(kind: EventKind, contact_id: i64) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: None,
        contact_id: Some(contact_id),
        actor_type: AuthorType::System,
        actor_id: None,
        payload: json!({ "contact_id": contact_id }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_the_signed_id_and_secret() {
        let sig = sign_customer("whs_secret_of_the_shop", "C-1001");
        assert_eq!(sig.len(), 64);
        assert!(verify_customer("whs_secret_of_the_shop", "C-1001", &sig));
        assert!(verify_customer(
            "whs_secret_of_the_shop",
            "C-1001",
            &sig.to_uppercase()
        ));
        assert!(!verify_customer("whs_secret_of_the_shop", "C-1002", &sig));
        assert!(!verify_customer("another_secret_entirely", "C-1001", &sig));
        assert!(!verify_customer("whs_secret_of_the_shop", "C-1001", "zz"));
        assert!(!verify_customer("whs_secret_of_the_shop", "C-1001", ""));
    }

    #[test]
    fn files_are_recognised_by_content_not_name() {
        assert_eq!(
            sniff_content_type(b"\x89PNG\r\n\x1a\nrest"),
            Some("image/png")
        );
        assert_eq!(sniff_content_type(b"%PDF-1.7"), Some("application/pdf"));
        assert_eq!(
            sniff_content_type(b"RIFF\0\0\0\0WEBPVP8 "),
            Some("image/webp")
        );
        assert_eq!(sniff_content_type(b"<html><script>"), None);
        assert_eq!(sniff_content_type(b"MZ\x90\0"), None);
    }
}
