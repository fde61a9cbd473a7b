//! Canned responses: admins write them, every agent inserts them in a reply
//! with variables filled in for the conversation at hand.
//!
//! Variables are written `{{contact.first_name}}`, `{{contact.name}}`,
//! `{{agent.first_name}}`, `{{agent.name}}` and `{{conversation.id}}`
//! (spaces inside the braces are allowed). An unknown variable stays in the
//! text as written, so the agent sees it before sending; a contact without a
//! name is called "klant" or "customer". The result is plain text.

use balie_domain::{Agent, Contact, EventKind};
use balie_storage::canned::{self as store, CannedFields, CannedResponse};
use serde_json::json;

use crate::directory::required_text;
use crate::{agent_event, Actor, Pending, Result, ServiceError, Services};

/// An account holds at most this many canned responses.
pub const MAX_CANNED: i64 = 500;
pub const MAX_CODE_CHARS: usize = 40;
pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_TEXT_CHARS: usize = 5_000;

/// What an admin fills in for a new canned response.
#[derive(Debug, Clone, Default)]
pub struct CannedInput {
    pub code: String,
    pub title: String,
    pub text: String,
    /// `nl`, `en`, or `None` (also `""`) for any language.
    pub language: Option<String>,
}

/// Changes to a canned response; `None` keeps a field, `language:
/// Some(None)` makes it fit any language.
#[derive(Debug, Clone, Default)]
pub struct CannedPatch {
    pub code: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    pub language: Option<Option<String>>,
}

/// Which canned responses to list.
#[derive(Debug, Clone, Default)]
pub struct CannedQuery {
    /// Part of the code or title, in any case.
    pub q: Option<String>,
    /// Only those in this language or in any language.
    pub language: Option<String>,
}

/// A code is what agents type after `/`: lowercase letters, digits, `-`
/// and `_`. It is trimmed and lowercased first, so `Levertijd` is
/// `levertijd`.
pub fn normalise_code(code: &str) -> Result<String> {
    let code = code.trim().to_lowercase();
    if code.is_empty() {
        return Err(ServiceError::invalid("code", "must not be empty"));
    }
    if code.chars().count() > MAX_CODE_CHARS {
        return Err(ServiceError::invalid(
            "code",
            format!("at most {MAX_CODE_CHARS} characters"),
        ));
    }
    if !code
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
    {
        return Err(ServiceError::invalid(
            "code",
            "only letters a-z, digits, '-' and '_'",
        ));
    }
    Ok(code)
}

/// `nl`, `en`, or `None` for any language (`""` means any, too).
pub fn normalise_language(language: Option<&str>) -> Result<Option<String>> {
    match language.map(|l| l.trim().to_ascii_lowercase()) {
        None => Ok(None),
        Some(l) if l.is_empty() => Ok(None),
        Some(l) if l == "nl" || l == "en" => Ok(Some(l)),
        Some(_) => Err(ServiceError::invalid(
            "language",
            "must be \"nl\", \"en\" or null (any language)",
        )),
    }
}

fn check_title(title: &str) -> Result<String> {
    required_text("title", title, MAX_TITLE_CHARS)
}

fn check_text(text: &str) -> Result<String> {
    // A textarea posts CRLF line ends.
    required_text("text", &text.replace("\r\n", "\n"), MAX_TEXT_CHARS)
}

/// The word a text uses for a customer whose name Balie does not know.
fn customer_word(language: Option<&str>) -> &'static str {
    match language {
        Some("en") => "customer",
        _ => "klant",
    }
}

fn first_word(name: &str) -> Option<&str> {
    name.split_whitespace().next()
}

/// Fills in the variables of a canned response's text, with the Dutch word
/// for a customer without a name. See [`render_in`].
pub fn render(text: &str, contact: &Contact, agent: &Agent, conversation_id: i64) -> String {
    render_in(text, None, contact, agent, conversation_id)
}

/// Fills in the variables of `text` for one conversation. `language`
/// (`nl`/`en`) picks the word for a customer without a name ("klant" or
/// "customer"). Values are inserted as they are and not scanned again, so a
/// customer named `{{agent.name}}` stays just that. Plain text, not HTML.
pub fn render_in(
    text: &str,
    language: Option<&str>,
    contact: &Contact,
    agent: &Agent,
    conversation_id: i64,
) -> String {
    let contact_name = contact
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    let value = |key: &str| -> Option<String> {
        Some(match key {
            "contact.name" => contact_name.unwrap_or(customer_word(language)).to_string(),
            "contact.first_name" => contact_name
                .and_then(first_word)
                .unwrap_or(customer_word(language))
                .to_string(),
            "agent.name" => agent.name.trim().to_string(),
            "agent.first_name" => first_word(&agent.name).unwrap_or("").to_string(),
            "conversation.id" => conversation_id.to_string(),
            _ => return None,
        })
    };
    let mut out = String::with_capacity(text.len() + 32);
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            break;
        };
        let inner = &after[..end];
        // In `{{ x {{contact.name}}` only the innermost pair is a variable.
        if let Some(nested) = inner.rfind("{{") {
            let cut = start + 2 + nested;
            out.push_str(&rest[..cut]);
            rest = &rest[cut..];
            continue;
        }
        out.push_str(&rest[..start]);
        match value(inner.trim()) {
            Some(v) => out.push_str(&v),
            None => out.push_str(&rest[start..start + 2 + end + 2]),
        }
        rest = &after[end + 2..];
    }
    out.push_str(rest);
    out
}

/// A canned response `q` finds: part of its code or title, in any case.
fn matches(c: &CannedResponse, q: &str) -> bool {
    let q = q.trim().to_lowercase();
    q.is_empty()
        || c.code.contains(&q)
        || c.title.to_lowercase().contains(&q)
        || q.strip_prefix('/')
            .is_some_and(|code| c.code.starts_with(code))
}

impl Services {
    /// The account's canned responses by code (all of them; an account has
    /// at most [`MAX_CANNED`]). Every agent may read them.
    pub async fn list_canned(
        &self,
        actor: &Actor,
        query: &CannedQuery,
    ) -> Result<Vec<CannedResponse>> {
        let language = normalise_language(query.language.as_deref())?;
        let mut conn = self.store.read().await?;
        let all = store::list_canned(&mut conn, actor.account_id, MAX_CANNED).await?;
        Ok(all
            .into_iter()
            .filter(|c| match (&language, &c.language) {
                (Some(want), Some(have)) => want == have,
                _ => true,
            })
            .filter(|c| query.q.as_deref().is_none_or(|q| matches(c, q)))
            .collect())
    }

    pub async fn get_canned(&self, actor: &Actor, id: i64) -> Result<CannedResponse> {
        let mut conn = self.store.read().await?;
        Ok(store::get_canned(&mut conn, actor.account_id, id).await?)
    }

    /// The canned response with this code (as typed: trimmed, any case).
    pub async fn find_canned(&self, actor: &Actor, code: &str) -> Result<CannedResponse> {
        let code = normalise_code(code).map_err(|_| ServiceError::NotFound)?;
        let mut conn = self.store.read().await?;
        store::find_canned_by_code(&mut conn, actor.account_id, &code)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Adds a canned response (admins only).
    pub async fn create_canned(&self, actor: &Actor, input: CannedInput) -> Result<CannedResponse> {
        actor.require_admin()?;
        let code = normalise_code(&input.code)?;
        let title = check_title(&input.title)?;
        let text = check_text(&input.text)?;
        let language = normalise_language(input.language.as_deref())?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if store::count_canned(tx.conn(), actor.account_id).await? >= MAX_CANNED {
            return Err(ServiceError::Conflict(format!(
                "an account has at most {MAX_CANNED} canned responses"
            )));
        }
        let fields = CannedFields {
            code: &code,
            title: &title,
            text: &text,
            language: language.as_deref(),
        };
        let canned = store::create_canned(tx.conn(), actor.account_id, &fields, now)
            .await
            .map_err(duplicate_code)?;
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(
                &mut tx,
                agent_event(
                    actor,
                    EventKind::CannedResponseCreated,
                    json!({ "canned_response_id": canned.id, "code": canned.code }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        Ok(canned)
    }

    /// Changes a canned response (admins only).
    pub async fn update_canned(
        &self,
        actor: &Actor,
        id: i64,
        patch: CannedPatch,
    ) -> Result<CannedResponse> {
        // 404 before 403: another account's id must not be confirmed.
        let old = self.get_canned(actor, id).await?;
        actor.require_admin()?;
        let code = match &patch.code {
            Some(c) => normalise_code(c)?,
            None => old.code,
        };
        let title = match &patch.title {
            Some(t) => check_title(t)?,
            None => old.title,
        };
        let text = match &patch.text {
            Some(t) => check_text(t)?,
            None => old.text,
        };
        let language = match &patch.language {
            Some(l) => normalise_language(l.as_deref())?,
            None => old.language,
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let fields = CannedFields {
            code: &code,
            title: &title,
            text: &text,
            language: language.as_deref(),
        };
        let canned = store::update_canned(tx.conn(), actor.account_id, id, &fields, now)
            .await
            .map_err(duplicate_code)?;
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(
                &mut tx,
                agent_event(
                    actor,
                    EventKind::CannedResponseUpdated,
                    json!({ "canned_response_id": id, "code": canned.code }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        Ok(canned)
    }

    /// Deletes a canned response (admins only).
    pub async fn delete_canned(&self, actor: &Actor, id: i64) -> Result<()> {
        let old = self.get_canned(actor, id).await?;
        actor.require_admin()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        store::delete_canned(tx.conn(), actor.account_id, id).await?;
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(
                &mut tx,
                agent_event(
                    actor,
                    EventKind::CannedResponseDeleted,
                    json!({ "canned_response_id": id, "code": old.code }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await
    }

    /// A canned response's text filled in for a conversation's contact and
    /// the acting agent. `fallback_language` picks the word for a nameless
    /// customer when the canned response fits any language.
    pub async fn render_canned(
        &self,
        actor: &Actor,
        conversation_id: i64,
        canned: &CannedResponse,
        fallback_language: Option<&str>,
    ) -> Result<String> {
        let conversation = self.get_conversation(actor, conversation_id).await?;
        if canned.account_id != actor.account_id {
            return Err(ServiceError::NotFound);
        }
        let contact = self.get_contact(actor, conversation.contact_id).await?;
        let agent = self.get_agent(actor, actor.agent_id).await?;
        let language = canned.language.as_deref().or(fallback_language);
        Ok(render_in(
            &canned.text,
            language,
            &contact,
            &agent,
            conversation.id,
        ))
    }

    /// Seeds the demo shop's canned responses, in Dutch and English.
    pub(crate) async fn seed_demo_canned(&self, admin: &Actor) -> Result<()> {
        let demo = [
            (
                "hallo",
                "Begroeting",
                "Hoi {{contact.first_name}}, bedankt voor je bericht! Ik ben {{agent.first_name}} en ik kijk het even voor je na.",
                Some("nl"),
            ),
            (
                "levertijd",
                "Levertijd en track & trace",
                "Hoi {{contact.first_name}}, bestellingen op werkdagen voor 22:00 uur worden de volgende werkdag bezorgd. Zodra je pakket onderweg is, krijg je de track-and-trace-code per e-mail.",
                Some("nl"),
            ),
            (
                "retour",
                "Retourneren",
                "Hoi {{contact.first_name}}, je kunt je bestelling binnen 30 dagen gratis retourneren. Het retourformulier vind je in je account. Vermeld gesprek #{{conversation.id}} als je vragen hebt.\n\nGroet, {{agent.name}}",
                Some("nl"),
            ),
            (
                "delivery",
                "Delivery time (English)",
                "Hi {{contact.first_name}}, orders placed on working days before 10 pm are delivered the next working day. You will receive the tracking code by email as soon as your parcel ships.\n\nKind regards, {{agent.name}}",
                Some("en"),
            ),
        ];
        for (code, title, text, language) in demo {
            self.create_canned(
                admin,
                CannedInput {
                    code: code.into(),
                    title: title.into(),
                    text: text.into(),
                    language: language.map(str::to_string),
                },
            )
            .await?;
        }
        Ok(())
    }
}

fn duplicate_code(e: balie_storage::StorageError) -> ServiceError {
    match e {
        balie_storage::StorageError::Conflict(_) => {
            ServiceError::Conflict("a canned response with this code exists".into())
        }
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use balie_domain::{Presence, Role, Timestamp};

    fn contact(name: Option<&str>) -> Contact {
        Contact {
            id: 7,
            account_id: 1,
            name: name.map(str::to_string),
            attributes: json!({}),
            identities: Vec::new(),
            merged_into_id: None,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    fn agent(name: &str) -> Agent {
        Agent {
            id: 3,
            account_id: 1,
            email: "sanne@shop.test".into(),
            name: name.into(),
            role: Role::Agent,
            presence: Presence::Online,
            active: true,
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        }
    }

    #[test]
    fn fills_in_every_known_variable() {
        let text = "Hoi {{contact.first_name}} ({{contact.name}}), ik ben {{agent.first_name}} \
                    ({{ agent.name }}), gesprek #{{conversation.id}}.";
        assert_eq!(
            render(
                text,
                &contact(Some("Emma de Boer")),
                &agent("Sanne Jansen"),
                42
            ),
            "Hoi Emma (Emma de Boer), ik ben Sanne (Sanne Jansen), gesprek #42."
        );
    }

    #[test]
    fn unknown_variables_stay_visible() {
        let text = "Order {{order.number}} is {{ order.status }}; {{nope}} {{contact.first_name}}";
        assert_eq!(
            render(text, &contact(Some("Emma")), &agent("Sanne"), 1),
            "Order {{order.number}} is {{ order.status }}; {{nope}} Emma"
        );
    }

    #[test]
    fn a_nameless_customer_is_klant_or_customer() {
        let text = "Hoi {{contact.first_name}}, beste {{contact.name}}";
        assert_eq!(
            render(text, &contact(None), &agent("Sanne"), 1),
            "Hoi klant, beste klant"
        );
        assert_eq!(
            render_in(text, Some("en"), &contact(Some("  ")), &agent("Sanne"), 1),
            "Hoi customer, beste customer"
        );
    }

    #[test]
    fn values_are_not_expanded_again_and_braces_are_kept() {
        let text = "{{contact.name}} {{ {{agent.name}} }} {{unclosed {x} }}";
        assert_eq!(
            render(text, &contact(Some("{{agent.name}}")), &agent("Sanne"), 1),
            "{{agent.name}} {{ Sanne }} {{unclosed {x} }}"
        );
        assert_eq!(
            render("no variables <b>here</b>", &contact(None), &agent("S"), 1),
            "no variables <b>here</b>"
        );
        assert_eq!(render("", &contact(None), &agent("S"), 1), "");
        assert_eq!(
            render("{{agent.name}}", &contact(None), &agent("Ünïcode Ä"), 1),
            "Ünïcode Ä"
        );
    }

    #[test]
    fn codes_are_short_lowercase_words() {
        assert_eq!(normalise_code(" Levertijd ").unwrap(), "levertijd");
        assert_eq!(
            normalise_code("retour_30-dagen").unwrap(),
            "retour_30-dagen"
        );
        for bad in ["", "lever tijd", "levér", "a/b", &"x".repeat(41)] {
            assert!(normalise_code(bad).is_err(), "{bad:?}");
        }
        assert!(normalise_code(&"x".repeat(40)).is_ok());
    }

    #[test]
    fn languages_are_nl_en_or_any() {
        assert_eq!(normalise_language(None).unwrap(), None);
        assert_eq!(normalise_language(Some("")).unwrap(), None);
        assert_eq!(
            normalise_language(Some("EN")).unwrap().as_deref(),
            Some("en")
        );
        assert!(normalise_language(Some("de")).is_err());
    }

    #[test]
    fn text_keeps_lines_and_title_is_bounded() {
        assert_eq!(check_text("a\r\nb").unwrap(), "a\nb");
        assert!(check_text(&"x".repeat(5_001)).is_err());
        assert!(check_title(&"x".repeat(101)).is_err());
        assert!(check_title("  ").is_err());
    }
}
