//! One customer, one history (R2): contacts with many identities, search by
//! any identity, the whole timeline across channels, and audited merge and
//! split.

use balie_domain::{
    normalise_identity, AuthorType, Contact, ContactMerge, EmailAddress, EventKind, IdentityKind,
    Message, PhoneE164,
};
use balie_storage::contacts::{self, ContactSearch};
use balie_storage::conversations;
use balie_storage::events::NewEvent;
use serde_json::json;

use crate::directory::required_text;
use crate::{Actor, Page, PageRequest, Result, ServiceError, Services};

/// A raw identity as a client sends it.
#[derive(Debug, Clone)]
pub struct IdentityInput {
    pub kind: IdentityKind,
    pub value: String,
}

/// Checks custom attributes: a flat-ish JSON object of bounded size.
pub fn check_attributes(value: &serde_json::Value) -> Result<()> {
    crate::directory::settings_object("attributes", value)
}

pub(crate) fn contact_event(
    actor: &Actor,
    kind: EventKind,
    contact_id: i64,
    payload: serde_json::Value,
) -> NewEvent {
    NewEvent {
        kind,
        conversation_id: None,
        contact_id: Some(contact_id),
        actor_type: AuthorType::Agent,
        actor_id: Some(actor.agent_id),
        payload,
    }
}

fn normalised(identities: &[IdentityInput]) -> Result<Vec<(IdentityKind, String)>> {
    identities
        .iter()
        .map(|i| Ok((i.kind, normalise_identity(i.kind, &i.value)?)))
        .collect()
}

impl Services {
    /// Creates a contact; every identity must be new to the account.
    pub async fn create_contact(
        &self,
        actor: &Actor,
        name: Option<&str>,
        attributes: serde_json::Value,
        identities: &[IdentityInput],
    ) -> Result<Contact> {
        let name = name.map(|n| required_text("name", n, 200)).transpose()?;
        check_attributes(&attributes)?;
        let identities = normalised(identities)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let id = contacts::create_contact(
            tx.conn(),
            actor.account_id,
            name.as_deref(),
            &attributes,
            now,
        )
        .await?;
        for (kind, value) in &identities {
            contacts::add_identity(tx.conn(), actor.account_id, id, *kind, value, now).await?;
        }
        let contact = contacts::get_contact(tx.conn(), actor.account_id, id).await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(
                actor,
                EventKind::ContactCreated,
                id,
                json!({ "contact_id": id }),
            ),
            now,
        )
        .await?;
        Ok(contact)
    }

    pub async fn get_contact(&self, actor: &Actor, id: i64) -> Result<Contact> {
        let mut conn = self.store.read().await?;
        Ok(contacts::get_contact(&mut conn, actor.account_id, id).await?)
    }

    /// Lists contacts; `query` matches any identity in any notation (an
    /// email, a phone number as typed) or part of a name or identity.
    pub async fn list_contacts(
        &self,
        actor: &Actor,
        query: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<Contact>> {
        let mut search = ContactSearch::default();
        if let Some(q) = query.map(str::trim).filter(|q| !q.is_empty()) {
            if q.chars().count() > 200 {
                return Err(ServiceError::invalid("q", "at most 200 characters"));
            }
            if let Ok(email) = EmailAddress::parse(q) {
                search.exact_identities.push(email.into_string());
            }
            if let Ok(phone) = PhoneE164::parse(q) {
                search.exact_identities.push(phone.into_string());
            }
            search.exact_identities.push(q.to_string());
            search.substring = Some(q.to_lowercase());
        }
        let mut conn = self.store.read().await?;
        let rows = contacts::list_contacts(
            &mut conn,
            actor.account_id,
            &search,
            page.cursor,
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |c| c.id))
    }

    pub async fn update_contact(
        &self,
        actor: &Actor,
        id: i64,
        name: Option<Option<&str>>,
        attributes: Option<serde_json::Value>,
    ) -> Result<Contact> {
        let name = match name {
            Some(Some(n)) => Some(Some(required_text("name", n, 200)?)),
            Some(None) => Some(None),
            None => None,
        };
        if let Some(a) = &attributes {
            check_attributes(a)?;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let contact = contacts::update_contact(
            tx.conn(),
            actor.account_id,
            id,
            name.as_ref().map(|n| n.as_deref()),
            attributes.as_ref(),
            now,
        )
        .await?;
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(
                actor,
                EventKind::ContactUpdated,
                id,
                json!({ "contact_id": id }),
            ),
            now,
        )
        .await?;
        Ok(contact)
    }

    /// Adds an identity; if it belongs to another contact that is a conflict
    /// (merge the two instead).
    pub async fn add_identity(
        &self,
        actor: &Actor,
        contact_id: i64,
        input: &IdentityInput,
    ) -> Result<Contact> {
        let value = normalise_identity(input.kind, &input.value)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let contact = contacts::get_contact(tx.conn(), actor.account_id, contact_id).await?;
        if contact.merged_into_id.is_some() {
            return Err(ServiceError::Conflict(
                "this contact was merged into another one".into(),
            ));
        }
        let identity = contacts::add_identity(
            tx.conn(),
            actor.account_id,
            contact_id,
            input.kind,
            &value,
            now,
        )
        .await?;
        let contact = contacts::get_contact(tx.conn(), actor.account_id, contact_id).await?;
        let payload = json!({ "contact_id": contact_id, "identity_id": identity.id, "kind": identity.kind, "value": identity.value });
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(actor, EventKind::IdentityAdded, contact_id, payload),
            now,
        )
        .await?;
        Ok(contact)
    }

    pub async fn remove_identity(
        &self,
        actor: &Actor,
        contact_id: i64,
        identity_id: i64,
    ) -> Result<Contact> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let identity =
            contacts::remove_identity(tx.conn(), actor.account_id, contact_id, identity_id).await?;
        let contact = contacts::get_contact(tx.conn(), actor.account_id, contact_id).await?;
        let payload = json!({ "contact_id": contact_id, "identity_id": identity.id, "kind": identity.kind, "value": identity.value });
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(actor, EventKind::IdentityRemoved, contact_id, payload),
            now,
        )
        .await?;
        Ok(contact)
    }

    /// Merges `source_id` into `target_id`: identities and conversations
    /// move, the source is kept (marked merged) so a split can restore it.
    pub async fn merge_contacts(
        &self,
        actor: &Actor,
        target_id: i64,
        source_id: i64,
    ) -> Result<ContactMerge> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        // Both must exist in this account before anything else is said.
        contacts::get_contact(tx.conn(), actor.account_id, target_id).await?;
        contacts::get_contact(tx.conn(), actor.account_id, source_id)
            .await
            .map_err(|_| ServiceError::invalid("source_contact_id", "no such contact"))?;
        let merge = contacts::merge_contacts(
            tx.conn(),
            actor.account_id,
            target_id,
            source_id,
            Some(actor.agent_id),
            now,
        )
        .await?;
        let payload = json!({
            "merge_id": merge.id, "target_contact_id": target_id, "source_contact_id": source_id,
            "moved_identity_ids": merge.moved_identity_ids, "moved_conversation_ids": merge.moved_conversation_ids,
        });
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(actor, EventKind::ContactMerged, target_id, payload),
            now,
        )
        .await?;
        Ok(merge)
    }

    pub async fn merges_of_contact(
        &self,
        actor: &Actor,
        contact_id: i64,
    ) -> Result<Vec<ContactMerge>> {
        let mut conn = self.store.read().await?;
        contacts::get_contact(&mut conn, actor.account_id, contact_id).await?;
        Ok(contacts::merges_of_contact(&mut conn, actor.account_id, contact_id).await?)
    }

    /// Undoes a merge.
    pub async fn split_merge(&self, actor: &Actor, merge_id: i64) -> Result<ContactMerge> {
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let merge = contacts::split_merge(tx.conn(), actor.account_id, merge_id, now).await?;
        let payload = json!({
            "merge_id": merge.id, "target_contact_id": merge.target_contact_id, "source_contact_id": merge.source_contact_id,
        });
        self.commit_with_event(
            tx,
            actor.account_id,
            contact_event(
                actor,
                EventKind::ContactSplit,
                merge.target_contact_id,
                payload,
            ),
            now,
        )
        .await?;
        Ok(merge)
    }

    /// Every message with the contact, on every channel, oldest first.
    pub async fn contact_timeline(
        &self,
        actor: &Actor,
        contact_id: i64,
        page: PageRequest,
    ) -> Result<Page<Message>> {
        let mut conn = self.store.read().await?;
        let contact = contacts::get_contact(&mut conn, actor.account_id, contact_id).await?;
        // A merged contact's history now lives with the contact it joined.
        let owner = contact.merged_into_id.unwrap_or(contact.id);
        let rows = conversations::contact_timeline(
            &mut conn,
            actor.account_id,
            owner,
            page.cursor.unwrap_or(0),
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |m| m.id))
    }
}
