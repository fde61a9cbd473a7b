//! The self-service bot: answers a customer's message on its own, around the
//! clock, with Balie's pure-Rust NLU (intent, language, entities, sentiment)
//! and the shop's orders, and hands the conversation to a human when it
//! cannot help.
//!
//! It runs after [`Services::ingest`] has committed and published the
//! customer's message, in a task of its own. It stays silent when the
//! conversation has a human assignee, was handed off before (label
//! [`HANDOFF_LABEL`]), or its inbox does not want a bot: the inbox setting
//! `"bot"` decides, and is on by default for web-chat inboxes only (a
//! conversation without an inbox gets no bot).
//!
//! Replies follow the language of the message; when the text says too
//! little (`1012 AB`), the language of the conversation so far, else the
//! widget session's locale, else Dutch.
//!
//! What the bot remembers between turns (the question it is waiting for,
//! the order number given, failed verifications, the language) is the
//! `state` object in the payload of its own latest `bot.answered` event of
//! the conversation; there is no other bot storage. A message that is no
//! longer the conversation's latest when the bot gets to it (an agent or the
//! customer wrote since) is left alone.
//!
//! Order details are only told to a verified asker: the conversation's
//! contact owns an identity on the order (email, phone or shop customer id,
//! the latter for signed widget visitors), or the customer gave the order
//! number with the order's postcode or email
//! ([`Services::find_order_for_verification`]).

use balie_domain::{
    AuthorType, Channel, Conversation, DeliveryStatus, Direction, EventKind, Inbox, Message, Order,
    OrderStatus, Priority,
};
use balie_nlu::entities::{Entity, EntityKind};
use balie_nlu::language::Language;
use balie_nlu::sentiment::Sentiment;
use balie_storage::conversations::{self, ConversationChanges, NewMessage};
use balie_storage::events::NewEvent;
use balie_storage::orders::{self, OrderFilter};
use balie_storage::{contacts, inboxes};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conversations::{conversation_event, message_event};
use crate::knowledge::CONFIDENT_SCORE;
use crate::widget::inbox_open_status;
use crate::{Actor, Pending, Result, Services};
use admin::Analysis;

pub mod admin;
pub mod answers;
pub mod report;

use answers::AnswerBook;

/// The label of a conversation the bot handed to a human; it stays silent
/// there from then on.
pub const HANDOFF_LABEL: &str = "bot_handoff";

/// Below this confidence the bot does not trust the intent and hands off.
pub const MIN_CONFIDENCE: f32 = 0.45;

/// When an article answers a question the bot has no text for: a score of
/// at least [`CONFIDENT_SCORE`], 0.15 above the next article.
const FITS: (f32, f32) = (CONFIDENT_SCORE, 0.15);

/// When an article answers instead of an intent's general text: it must be
/// clearly about this question (measured on the demo articles: "levering
/// naar België" 0.93 against 0.25 for Germany; the general "hoe lang duurt
/// de levering?" 0.82 against 0.63, so no article).
const SPECIFIC: (f32, f32) = (0.8, 0.3);

fn knowledge_text(
    book: &AnswerBook,
    lang: Language,
    hit: &crate::knowledge::KnowledgeHit,
) -> String {
    book.text(
        lang,
        "knowledge",
        &[("title", &hit.title), ("answer", &hit.answer)],
    )
}

/// Failed verifications before the bot hands off.
const MAX_FAILURES: u32 = 2;

fn status_word(lang: Language, status: OrderStatus) -> &'static str {
    use OrderStatus::*;
    match (lang, status) {
        (Language::Nl, Pending) => "ontvangen en wacht op betaling",
        (Language::Nl, Paid) => "betaald en wordt klaargemaakt",
        (Language::Nl, Processing) => "in behandeling en wordt ingepakt",
        (Language::Nl, Shipped) => "verzonden en onderweg",
        (Language::Nl, Delivered) => "bezorgd",
        (Language::Nl, Cancelled) => "geannuleerd",
        (Language::Nl, Returned) => "retour ontvangen",
        (Language::Nl, Refunded) => "terugbetaald",
        (Language::En, Pending) => "received and awaiting payment",
        (Language::En, Paid) => "paid and being prepared",
        (Language::En, Processing) => "being processed and packed",
        (Language::En, Shipped) => "shipped and on its way",
        (Language::En, Delivered) => "delivered",
        (Language::En, Cancelled) => "cancelled",
        (Language::En, Returned) => "returned",
        (Language::En, Refunded) => "refunded",
    }
}

fn is_open_order(o: &Order) -> bool {
    o.status <= OrderStatus::Shipped
}

/// What the bot is waiting for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Awaiting {
    #[default]
    Nothing,
    /// An order number and a postcode or email.
    Verification,
    /// Which of the listed orders.
    OrderChoice,
}

/// The bot's memory of a conversation, kept in its events' payload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
struct BotState {
    awaiting: Awaiting,
    /// The intent the pending question serves (`track_order`, `cancel_order`).
    for_intent: Option<String>,
    order_number: Option<String>,
    failures: u32,
    language: Option<Language>,
    /// Intents answered so far, for the handoff note.
    answered: Vec<String>,
}

/// What the bot understood of one message.
struct Understood {
    /// The customer's words.
    text: String,
    intent: String,
    confidence: f32,
    language: Language,
    sentiment: Sentiment,
    entities: Vec<Entity>,
    /// Words of a short message that might be a postcode or email the
    /// entity extractor did not claim (a Belgian `2000`), tried only when
    /// the bot asked for one.
    loose_proofs: Vec<String>,
}

/// Candidate proofs in a short message: words with a digit or `@`, and
/// such a word with the next (`1012 AB`).
fn loose_proofs(text: &str) -> Vec<String> {
    if text.len() > 80 {
        return Vec::new();
    }
    let words: Vec<&str> = text
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| ",.!?;:\"'()".contains(c)))
        .filter(|w| !w.is_empty())
        .collect();
    let mut out: Vec<String> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        if !w.chars().any(|c| c.is_ascii_digit() || c == '@') {
            continue;
        }
        let mut add = |c: String| {
            if !out.contains(&c) && out.len() < 6 {
                out.push(c);
            }
        };
        if let Some(next) = words.get(i + 1) {
            add(format!("{w} {next}"));
        }
        add(w.to_string());
    }
    out
}

impl Understood {
    fn order_number(&self) -> Option<String> {
        self.entities
            .iter()
            .find(|e| e.kind == EntityKind::OrderNumber)
            .map(|e| e.value.clone())
    }

    /// A postcode or email that may prove an order is the asker's.
    fn proof(&self) -> Option<String> {
        self.entities
            .iter()
            .find(|e| matches!(e.kind, EntityKind::Postcode { .. } | EntityKind::Email))
            .map(|e| e.value.clone())
    }
}

/// Why the bot hands off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reason {
    AskedForHuman,
    Frustrated,
    NotUnderstood,
    NotHandled,
    FailedVerification,
    CancelOrder,
    ChangeOrder,
    ChangeAddress,
    Complaint,
}

impl Reason {
    fn as_str(self) -> &'static str {
        match self {
            Reason::AskedForHuman => "klant vraagt om een medewerker",
            Reason::Frustrated => "klant is gefrustreerd",
            Reason::NotUnderstood => "bot begreep de vraag niet (out_of_scope of lage zekerheid)",
            Reason::NotHandled => "vraag die de bot (nog) niet afhandelt",
            Reason::FailedVerification => "bestelling tweemaal niet geverifieerd",
            Reason::CancelOrder => "annulering van een nog niet verzonden bestelling",
            Reason::ChangeOrder => "wijziging van een nog niet verzonden bestelling",
            Reason::ChangeAddress => "adreswijziging van een nog niet verzonden bestelling",
            Reason::Complaint => "klacht",
        }
    }

    fn code(self) -> &'static str {
        match self {
            Reason::AskedForHuman => "asked_for_human",
            Reason::Frustrated => "frustrated",
            Reason::NotUnderstood => "not_understood",
            Reason::NotHandled => "not_handled",
            Reason::FailedVerification => "failed_verification",
            Reason::CancelOrder => "cancel_order",
            Reason::ChangeOrder => "change_order",
            Reason::ChangeAddress => "change_shipping_address",
            Reason::Complaint => "complaint",
        }
    }
}

/// What the bot decided to do with one message.
enum Action {
    Answer {
        text: String,
        state: BotState,
    },
    Handoff {
        reason: Reason,
        /// Said before the handoff sentence.
        prefix: String,
        order: Option<Box<Order>>,
    },
}

/// Whether the inbox wants the bot: its `"bot"` setting, else on for web chat.
pub fn bot_enabled(inbox: &Inbox) -> bool {
    inbox
        .settings
        .get("bot")
        .and_then(|v| v.as_bool())
        .unwrap_or(inbox.channel == Channel::WebChat)
}

fn human_duration(lang: Language, ms: i64) -> String {
    let hours = (ms + 1_800_000) / 3_600_000;
    match (lang, hours) {
        (Language::Nl, h) if h < 1 => "binnen het uur".into(),
        (Language::En, h) if h < 1 => "within the hour".into(),
        (Language::Nl, 1) => "over ongeveer een uur".into(),
        (Language::En, 1) => "in about an hour".into(),
        (Language::Nl, h) if h < 48 => format!("over ongeveer {h} uur"),
        (Language::En, h) if h < 48 => format!("in about {h} hours"),
        (Language::Nl, h) => format!("over ongeveer {} dagen", (h + 12) / 24),
        (Language::En, h) => format!("in about {} days", (h + 12) / 24),
    }
}

fn weekly_hours(lang: Language, inbox: &Inbox) -> Option<String> {
    let week = inbox
        .settings
        .get("business_hours")?
        .get("week")?
        .as_object()?;
    let days: [(&str, &str, &str); 7] = [
        ("mon", "ma", "Mon"),
        ("tue", "di", "Tue"),
        ("wed", "wo", "Wed"),
        ("thu", "do", "Thu"),
        ("fri", "vr", "Fri"),
        ("sat", "za", "Sat"),
        ("sun", "zo", "Sun"),
    ];
    let parts: Vec<String> = days
        .iter()
        .filter_map(|(key, nl, en)| {
            let spans: Vec<&str> = week
                .get(*key)?
                .as_array()?
                .iter()
                .filter_map(|v| v.as_str())
                .collect();
            (!spans.is_empty()).then(|| {
                let day = if lang == Language::Nl { nl } else { en };
                format!("{day} {}", spans.join(", "))
            })
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join("; "))
}

fn describe_order(book: &AnswerBook, lang: Language, order: &Order) -> String {
    let mut out = book.text(
        lang,
        "status",
        &[
            ("number", &order.number),
            ("status", status_word(lang, order.status)),
        ],
    );
    if order.status == OrderStatus::Shipped {
        if let Some(carrier) = &order.carrier {
            out.push_str(&book.text(lang, "carrier", &[("carrier", carrier)]));
        }
        if let Some(url) = &order.tracking_url {
            out.push_str(&book.text(lang, "tracking_url", &[("url", url)]));
        } else if let Some(code) = &order.tracking_code {
            out.push_str(&book.text(lang, "tracking_code", &[("code", code)]));
        }
    }
    if order.status < OrderStatus::Delivered {
        if let Some(date) = &order.expected_delivery {
            out.push_str(&book.text(lang, "expected", &[("date", date)]));
        }
    }
    out
}

/// Intents about one order, answered by [`Services::order_flow`].
const ORDER_INTENTS: &[&str] = &[
    "track_order",
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "track_refund",
];

/// Whether `order` is one the question is probably about when the customer
/// did not say which: for refunds a returned one, else one not yet delivered.
fn relevant_order(for_intent: &str, o: &Order) -> bool {
    match for_intent {
        "track_refund" => o.status == OrderStatus::Returned,
        _ => is_open_order(o),
    }
}

/// Whether the order has not left the warehouse yet.
fn not_shipped(o: &Order) -> bool {
    matches!(
        o.status,
        OrderStatus::Pending | OrderStatus::Paid | OrderStatus::Processing
    )
}

/// The answer (or handoff) about a found and verified order.
fn order_answer(
    book: &AnswerBook,
    lang: Language,
    for_intent: &str,
    order: Order,
    done: BotState,
) -> Action {
    let vars = [
        ("number", order.number.as_str()),
        ("status", status_word(lang, order.status)),
    ];
    let answer = |key: &str, vars: &[(&str, &str)]| Action::Answer {
        text: book.text(lang, key, vars),
        state: done.clone(),
    };
    let handoff = |reason, key: &str| Action::Handoff {
        reason,
        prefix: book.text(lang, key, &vars),
        order: Some(Box::new(order.clone())),
    };
    match for_intent {
        "cancel_order" if not_shipped(&order) => handoff(Reason::CancelOrder, "cancel_not_shipped"),
        "cancel_order" if order.status <= OrderStatus::Delivered => answer("cancel_shipped", &vars),
        "cancel_order" => answer("cancel_done", &vars),
        "change_order" if not_shipped(&order) => handoff(Reason::ChangeOrder, "change_not_shipped"),
        "change_order" if order.status <= OrderStatus::Delivered => answer("change_shipped", &vars),
        "change_shipping_address" if not_shipped(&order) => {
            handoff(Reason::ChangeAddress, "address_not_shipped")
        }
        "change_shipping_address" if order.status == OrderStatus::Shipped => {
            let carrier = order.carrier.clone().unwrap_or_else(|| match lang {
                Language::Nl => "de vervoerder".into(),
                Language::En => "the carrier".into(),
            });
            answer("address_shipped", &[vars[0], ("carrier", &carrier)])
        }
        "track_refund" => match order.status {
            OrderStatus::Refunded => answer("refund_done", &vars),
            OrderStatus::Returned => answer("refund_pending", &vars),
            OrderStatus::Cancelled => answer("refund_cancelled", &vars),
            _ => answer("refund_none", &vars),
        },
        _ => Action::Answer {
            text: describe_order(book, lang, &order),
            state: done,
        },
    }
}

/// Where a message goes when it answers no pending question.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Route {
    Handoff(Reason),
    /// Opening hours and how to reach a human.
    Hours,
    /// The intent's own text.
    Simple,
    /// A question about one order.
    OrderFlow,
    /// A fitting knowledge article, else a handoff for this reason.
    Knowledge(Reason),
}

/// Decides the route from what the bot understood; the same for a real
/// turn and for "try a sentence".
fn route(
    intent: &str,
    confidence: f32,
    frustrated: bool,
    lang: Language,
    book: &AnswerBook,
) -> Route {
    if frustrated {
        return Route::Handoff(Reason::Frustrated);
    }
    if intent == "contact_human_agent" {
        return Route::Handoff(Reason::AskedForHuman);
    }
    if intent == balie_nlu::classifier::OUT_OF_SCOPE || confidence < MIN_CONFIDENCE {
        return Route::Knowledge(Reason::NotUnderstood);
    }
    match intent {
        "contact_customer_service" => Route::Hours,
        i if ORDER_INTENTS.contains(&i) => Route::OrderFlow,
        "complaint" => Route::Handoff(Reason::Complaint),
        // A question about products, or an intent without an answer of its
        // own: the knowledge base may know.
        "product_question" => Route::Knowledge(Reason::NotHandled),
        i if book.has(i) && !book.raw(lang, i).unwrap_or_default().contains('{') => Route::Simple,
        _ => Route::Knowledge(Reason::NotHandled),
    }
}

/// What the bot would do with a sentence (see [`Services::bot_preview`]).
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum BotPreview {
    /// Answers with this text.
    Answer { text: String },
    /// Asks for (or looks up) the customer's order.
    OrderFlow,
    /// Answers with a knowledge article.
    Knowledge {
        title: String,
        score: f32,
        text: String,
    },
    /// Hands over to a human, for this reason (`asked_for_human`, ...).
    Handoff { reason: &'static str },
}

impl Services {
    /// The bot's turn after a customer's `message` was stored in
    /// `conversation_id`: answers, hands off, or stays silent (see the
    /// module docs). Returns the bot's public reply, if any.
    pub async fn bot_reply(
        &self,
        account_id: i64,
        conversation_id: i64,
        message: &Message,
    ) -> Result<Option<Message>> {
        // Only a customer's own public message is for the bot.
        if message.author_type != AuthorType::Contact
            || message.direction != Direction::Inbound
            || message.private
        {
            return Ok(None);
        }
        // One turn at a time per conversation: the next message's turn reads
        // the state this one leaves.
        let _turn = self.bot.turn_lock(conversation_id).lock().await;
        let (conversation, inbox, state) = {
            let mut conn = self.store.read().await?;
            let conversation =
                conversations::get_conversation(&mut conn, account_id, conversation_id).await?;
            // The inbox the customer wrote to decides; else the conversation's.
            let Some(inbox_id) = message.inbox_id.or(conversation.inbox_id) else {
                return Ok(None);
            };
            let inbox = inboxes::get_inbox(&mut conn, account_id, inbox_id).await?;
            // Someone already wrote after this message (an agent, or the
            // customer again, whose own turn follows): nothing to add. The
            // bot's own answer to an earlier message does not count.
            let later = conversations::list_messages(
                &mut conn,
                account_id,
                conversation_id,
                message.id,
                50,
            )
            .await?;
            if later.iter().any(|m| m.author_type != AuthorType::Bot) {
                return Ok(None);
            }
            let events = balie_storage::events::list_after(
                &mut conn,
                account_id,
                0,
                Some(conversation_id),
                None,
                10_000,
            )
            .await?;
            // The latest bot.answered holds the state; after a bot.resumed
            // the bot starts afresh.
            let state = events
                .iter()
                .rev()
                .find(|e| matches!(e.kind, EventKind::BotAnswered | EventKind::BotResumed))
                .filter(|e| e.kind == EventKind::BotAnswered)
                .and_then(|e| e.payload.get("state"))
                .and_then(|s| serde_json::from_value::<BotState>(s.clone()).ok())
                .unwrap_or_default();
            (conversation, inbox, state)
        };
        if !bot_enabled(&inbox)
            || conversation.assignee_id.is_some()
            || conversation.labels.iter().any(|l| l == HANDOFF_LABEL)
        {
            self.raise_priority_if_frustrated(account_id, &conversation, message)
                .await?;
            return Ok(None);
        }
        let fallback = match state.language {
            Some(lang) => lang,
            None => self
                .widget_locale(account_id, message)
                .await?
                .unwrap_or(Language::Nl),
        };
        let analysis = self
            .analyse_for(account_id, &message.text, fallback)
            .await?;
        let understood = Understood {
            text: message.text.clone(),
            intent: analysis.intent,
            confidence: analysis.confidence,
            language: analysis.language,
            sentiment: analysis.sentiment,
            entities: analysis.entities,
            loose_proofs: loose_proofs(&message.text),
        };
        let book = self.answer_book(account_id).await?;
        let (action, served) = self
            .decide(
                account_id,
                &conversation,
                &inbox,
                &understood,
                state.clone(),
                &book,
            )
            .await?;
        match action {
            Action::Answer { text, mut state } => {
                state.language = Some(understood.language);
                if !state.answered.contains(&served) {
                    state.answered.push(served.clone());
                }
                self.bot_answer(
                    account_id,
                    &conversation,
                    message,
                    &understood,
                    &served,
                    text,
                    state,
                )
                .await
                .map(Some)
            }
            Action::Handoff {
                reason,
                prefix,
                order,
            } => self
                .bot_handoff(
                    account_id,
                    &conversation,
                    &inbox,
                    message,
                    &understood,
                    &served,
                    &state,
                    reason,
                    prefix,
                    order,
                    &book,
                )
                .await
                .map(Some),
        }
    }

    async fn decide(
        &self,
        account_id: i64,
        conversation: &Conversation,
        inbox: &Inbox,
        u: &Understood,
        state: BotState,
        book: &AnswerBook,
    ) -> Result<(Action, String)> {
        let lang = u.language;
        let mine = |a: Action| (a, u.intent.clone());
        let handoff = |reason| Action::Handoff {
            reason,
            prefix: match reason {
                Reason::Frustrated => book.text(lang, "handoff_frustrated", &[]),
                _ => String::new(),
            },
            order: None,
        };
        let route = route(&u.intent, u.confidence, u.sentiment.frustrated, lang, book);
        // Frustration and asking for a human win over any pending question.
        if let Route::Handoff(reason @ (Reason::Frustrated | Reason::AskedForHuman)) = route {
            return Ok(mine(handoff(reason)));
        }
        let number = u.order_number();
        let proofs: Vec<String> = u.proof().into_iter().collect();
        // A pending question answered?
        let answers_question = match state.awaiting {
            Awaiting::Verification => {
                number.is_some()
                    || !proofs.is_empty()
                    || (state.order_number.is_some() && !u.loose_proofs.is_empty())
            }
            Awaiting::OrderChoice => number.is_some(),
            Awaiting::Nothing => false,
        };
        if answers_question {
            let proofs = if proofs.is_empty() && state.awaiting == Awaiting::Verification {
                u.loose_proofs.clone()
            } else {
                proofs
            };
            let for_intent = state.for_intent.clone().unwrap_or("track_order".into());
            let number = number.or(state.order_number.clone());
            return self
                .order_flow(
                    account_id,
                    conversation,
                    lang,
                    &for_intent,
                    number,
                    proofs,
                    state,
                    book,
                )
                .await
                .map(|a| (a, for_intent));
        }
        let reset = BotState {
            answered: state.answered.clone(),
            language: state.language,
            ..Default::default()
        };
        Ok(mine(match route {
            Route::Handoff(reason) => handoff(reason),
            Route::Hours => Action::Answer {
                text: match weekly_hours(lang, inbox) {
                    Some(hours) => book.text(lang, "contact_hours", &[("hours", &hours)]),
                    None => book.text(lang, "contact_always", &[]),
                },
                state: reset,
            },
            Route::Simple => {
                let (text, article) = self
                    .simple_answer(account_id, lang, &u.intent, &u.text, book)
                    .await?;
                let served = match article {
                    Some(_) => "knowledge".to_string(),
                    None => u.intent.clone(),
                };
                return Ok((Action::Answer { text, state: reset }, served));
            }
            Route::OrderFlow => {
                return self
                    .order_flow(
                        account_id,
                        conversation,
                        lang,
                        &u.intent,
                        number,
                        proofs,
                        reset,
                        book,
                    )
                    .await
                    .map(mine);
            }
            Route::Knowledge(reason) => {
                return self
                    .knowledge_or_handoff(account_id, u, book, reset, reason)
                    .await
            }
        }))
    }

    /// The article the bot would answer `text` with, if one fits: its
    /// score is at least `bar.0` and ahead of the next article's by
    /// `bar.1` ([`FITS`], or the stricter [`SPECIFIC`]).
    async fn fitting_article(
        &self,
        account_id: i64,
        lang: Language,
        text: &str,
        bar: (f32, f32),
    ) -> Result<Option<crate::knowledge::KnowledgeHit>> {
        let mut hits = self.search_knowledge(account_id, lang, text, 2).await?;
        let runner_up = hits.get(1).map_or(0.0, |h| h.score);
        let fits = hits
            .first()
            .is_some_and(|h| h.score >= bar.0 && h.score - runner_up >= bar.1);
        Ok(fits.then(|| hits.swap_remove(0)))
    }

    /// The answer to an intent with a text of its own: a knowledge article
    /// that is clearly about this very question ("levering naar België")
    /// beats the intent's general text ("levering"); else that text.
    async fn simple_answer(
        &self,
        account_id: i64,
        lang: Language,
        intent: &str,
        text: &str,
        book: &AnswerBook,
    ) -> Result<(String, Option<crate::knowledge::KnowledgeHit>)> {
        Ok(
            match self
                .fitting_article(account_id, lang, text, SPECIFIC)
                .await?
            {
                Some(hit) => (knowledge_text(book, lang, &hit), Some(hit)),
                None => (book.text(lang, intent, &[]), None),
            },
        )
    }

    /// "Try a sentence": what the account's bot understands of `text` and
    /// what it would do with it as a customer's first message (orders are
    /// only looked up in a real conversation).
    pub async fn bot_preview(&self, actor: &Actor, text: &str) -> Result<(Analysis, BotPreview)> {
        let analysis = self.try_bot_sentence(actor, text).await?;
        let book = self.answer_book(actor.account_id).await?;
        let lang = analysis.language;
        let route = route(
            &analysis.intent,
            analysis.confidence,
            analysis.sentiment.frustrated,
            lang,
            &book,
        );
        let preview = match route {
            Route::Handoff(reason) => BotPreview::Handoff {
                reason: reason.code(),
            },
            Route::Hours => BotPreview::Answer {
                text: book.text(lang, "contact_always", &[]),
            },
            Route::Simple => {
                match self
                    .simple_answer(actor.account_id, lang, &analysis.intent, text, &book)
                    .await?
                {
                    (text, Some(hit)) => BotPreview::Knowledge {
                        title: hit.title,
                        score: hit.score,
                        text,
                    },
                    (text, None) => BotPreview::Answer { text },
                }
            }
            Route::OrderFlow => BotPreview::OrderFlow,
            Route::Knowledge(reason) => {
                match self
                    .fitting_article(actor.account_id, lang, text, FITS)
                    .await?
                {
                    Some(hit) => BotPreview::Knowledge {
                        text: knowledge_text(&book, lang, &hit),
                        title: hit.title,
                        score: hit.score,
                    },
                    None => BotPreview::Handoff {
                        reason: reason.code(),
                    },
                }
            }
        };
        Ok((analysis, preview))
    }

    /// While the bot stays silent (a human has the conversation, or the
    /// inbox has no bot), a frustrated customer still raises the
    /// conversation's priority to high, so agents see it first.
    async fn raise_priority_if_frustrated(
        &self,
        account_id: i64,
        conversation: &Conversation,
        message: &Message,
    ) -> Result<()> {
        if !matches!(conversation.priority, Priority::Low | Priority::Normal)
            || !balie_nlu::sentiment::analyse_sentiment(&message.text).frustrated
        {
            return Ok(());
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let changes = ConversationChanges {
            priority: Some(Priority::High),
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
        let event = conversation_event(
            EventKind::ConversationUpdated,
            &updated,
            AuthorType::System,
            None,
            json!({ "conversation": updated, "reason": "frustrated" }),
        );
        self.commit_with_event(tx, account_id, event, now).await
    }

    /// Answers from the shop's knowledge base when one article clearly
    /// fits the question (score at least [`CONFIDENT_SCORE`] and well ahead
    /// of the runner-up); else hands off for `reason`. Such an answer is
    /// served as the intent `knowledge`.
    async fn knowledge_or_handoff(
        &self,
        account_id: i64,
        u: &Understood,
        book: &AnswerBook,
        state: BotState,
        reason: Reason,
    ) -> Result<(Action, String)> {
        if let Some(best) = self
            .fitting_article(account_id, u.language, &u.text, FITS)
            .await?
        {
            let text = knowledge_text(book, u.language, &best);
            return Ok((Action::Answer { text, state }, "knowledge".to_string()));
        }
        Ok((
            Action::Handoff {
                reason,
                prefix: String::new(),
                order: None,
            },
            u.intent.clone(),
        ))
    }

    /// Finds the order a question about one order is about, verifying the
    /// asker, and answers it or asks what is missing.
    #[allow(clippy::too_many_arguments)]
    async fn order_flow(
        &self,
        account_id: i64,
        conversation: &Conversation,
        lang: Language,
        for_intent: &str,
        number: Option<String>,
        proofs: Vec<String>,
        state: BotState,
        book: &AnswerBook,
    ) -> Result<Action> {
        let mine = self
            .orders_of_contact(account_id, conversation.contact_id)
            .await?;
        let waiting =
            |awaiting, number: Option<String>, failures, key: &str, vars: &[(&str, &str)]| {
                Action::Answer {
                    text: book.text(lang, key, vars),
                    state: BotState {
                        awaiting,
                        for_intent: Some(for_intent.to_string()),
                        order_number: number,
                        failures,
                        language: state.language,
                        answered: state.answered.clone(),
                    },
                }
            };
        let order = match &number {
            Some(n) => match mine.iter().find(|o| &o.number == n) {
                Some(o) => o.clone(),
                None if proofs.is_empty() => {
                    return Ok(waiting(
                        Awaiting::Verification,
                        Some(n.clone()),
                        state.failures,
                        "ask_proof",
                        &[("number", n)],
                    ))
                }
                None => match self.verify_any(account_id, n, &proofs).await? {
                    Some(o) => o,
                    None => {
                        let failures = state.failures + 1;
                        if failures >= MAX_FAILURES {
                            return Ok(Action::Handoff {
                                reason: Reason::FailedVerification,
                                prefix: String::new(),
                                order: None,
                            });
                        }
                        return Ok(waiting(
                            Awaiting::Verification,
                            Some(n.clone()),
                            failures,
                            "retry",
                            &[],
                        ));
                    }
                },
            },
            None => {
                let candidates: Vec<&Order> = mine
                    .iter()
                    .filter(|o| relevant_order(for_intent, o))
                    .collect();
                match (candidates.as_slice(), mine.first()) {
                    ([one], _) => (*one).clone(),
                    ([], Some(latest)) if proofs.is_empty() => latest.clone(),
                    ([], _) => {
                        let key = if !proofs.is_empty() {
                            "ask_number"
                        } else {
                            "ask_order"
                        };
                        return Ok(waiting(
                            Awaiting::Verification,
                            None,
                            state.failures,
                            key,
                            &[],
                        ));
                    }
                    (many, _) => {
                        let numbers: Vec<&str> = many.iter().map(|o| o.number.as_str()).collect();
                        return Ok(waiting(
                            Awaiting::OrderChoice,
                            None,
                            state.failures,
                            "which_order",
                            &[("numbers", &numbers.join(", "))],
                        ));
                    }
                }
            }
        };
        let done = BotState {
            language: state.language,
            answered: state.answered.clone(),
            ..Default::default()
        };
        Ok(order_answer(book, lang, for_intent, order, done))
    }

    /// The locale of the widget session that sent `message`, if the widget
    /// gave it a client id (stored as `w{session}:{client id}`).
    async fn widget_locale(&self, account_id: i64, message: &Message) -> Result<Option<Language>> {
        let Some(session_id) = message
            .external_id
            .as_deref()
            .filter(|_| message.channel == Channel::WebChat)
            .and_then(|e| e.strip_prefix('w')?.split_once(':'))
            .and_then(|(id, _)| id.parse::<i64>().ok())
        else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        let session = balie_storage::widget::session_by_id(&mut conn, session_id).await?;
        Ok(session
            .filter(|s| s.account_id == account_id)
            .and_then(|s| Language::from_code(&s.locale)))
    }

    /// The order, if any of the candidate proofs proves it (one attempt).
    async fn verify_any(
        &self,
        account_id: i64,
        number: &str,
        proofs: &[String],
    ) -> Result<Option<Order>> {
        for proof in proofs {
            if let Some(order) = self
                .find_order_for_verification(account_id, number, proof)
                .await?
            {
                return Ok(Some(order));
            }
        }
        Ok(None)
    }

    /// Orders carrying an identity the contact owns, newest first.
    async fn orders_of_contact(&self, account_id: i64, contact_id: i64) -> Result<Vec<Order>> {
        let mut conn = self.store.read().await?;
        let contact = contacts::get_contact(&mut conn, account_id, contact_id).await?;
        let filter = OrderFilter {
            contact_id: Some(contact.merged_into_id.unwrap_or(contact.id)),
            ..Default::default()
        };
        Ok(orders::list_orders(&mut conn, account_id, &filter, None, 100).await?)
    }

    #[allow(clippy::too_many_arguments)]
    async fn bot_answer(
        &self,
        account_id: i64,
        conversation: &Conversation,
        inbound: &Message,
        u: &Understood,
        served: &str,
        reply: String,
        state: BotState,
    ) -> Result<Message> {
        let mut write = BotWrite::begin(self, account_id, conversation, inbound).await?;
        let message = write.say(&reply, false).await?;
        let payload = json!({
            "intent": served, "classified_intent": u.intent, "confidence": u.confidence,
            "language": u.language, "message_id": message.id, "state": state,
        });
        write
            .record(BotWrite::bot_event(
                conversation,
                EventKind::BotAnswered,
                payload,
            ))
            .await?;
        write.commit(self).await?;
        Ok(message)
    }

    #[allow(clippy::too_many_arguments)]
    async fn bot_handoff(
        &self,
        account_id: i64,
        conversation: &Conversation,
        inbox: &Inbox,
        inbound: &Message,
        u: &Understood,
        served: &str,
        state: &BotState,
        reason: Reason,
        prefix: String,
        order: Option<Box<Order>>,
        book: &AnswerBook,
    ) -> Result<Message> {
        let lang = u.language;
        let now = self.now();
        let open = inbox_open_status(inbox, now);
        let handoff_text = match (open.open, open.next_open_ms) {
            (false, Some(at)) => book.text(
                lang,
                "handoff_closed",
                &[("when", &human_duration(lang, at - now))],
            ),
            _ => book.text(lang, "handoff_open", &[]),
        };
        let reply = format!("{prefix}{handoff_text}");
        let entities: Vec<String> = u
            .entities
            .iter()
            .map(|e| format!("{} {}", e.kind.name(), e.value))
            .collect();
        let order_line = match (&order, &state.order_number) {
            (Some(o), _) => format!("{} ({})", o.number, o.status),
            (None, Some(n)) => format!("{n} (niet geverifieerd)"),
            (None, None) => "onbekend".into(),
        };
        let note = format!(
            "🤖 Bot heeft overgedragen: {}.\n\
             Intent: {} (herkend als {}, zekerheid {:.2})\n\
             Taal: {}\n\
             Sentiment: {} (score {:.2})\n\
             Entiteiten: {}\n\
             Bestelling: {}\n\
             Bot beantwoordde al: {}\n\
             Laatste bericht klant: \"{}\"",
            reason.as_str(),
            served,
            u.intent,
            u.confidence,
            u.language.code(),
            if u.sentiment.frustrated {
                "gefrustreerd"
            } else {
                "niet gefrustreerd"
            },
            u.sentiment.score,
            if entities.is_empty() {
                "geen".into()
            } else {
                entities.join(", ")
            },
            order_line,
            if state.answered.is_empty() {
                "nog niets".into()
            } else {
                state.answered.join(", ")
            },
            inbound.text.chars().take(500).collect::<String>(),
        );
        let mut write = BotWrite::begin(self, account_id, conversation, inbound).await?;
        let message = write.say(&reply, false).await?;
        write.say(&note, true).await?;
        let mut labels = conversation.labels.clone();
        labels.push(HANDOFF_LABEL.to_string());
        let changes = ConversationChanges {
            labels: Some(labels),
            priority: (u.sentiment.frustrated
                && matches!(conversation.priority, Priority::Low | Priority::Normal))
            .then_some(Priority::High),
            ..Default::default()
        };
        let updated = conversations::update_conversation(
            write.tx.conn(),
            account_id,
            conversation.id,
            &changes,
            write.now,
        )
        .await?;
        write
            .record(BotWrite::bot_event(
                &updated,
                EventKind::ConversationUpdated,
                json!({ "conversation": updated }),
            ))
            .await?;
        let payload = json!({
            "intent": served, "classified_intent": u.intent, "confidence": u.confidence,
            "language": u.language, "reason": reason.code(), "frustrated": u.sentiment.frustrated,
            "order_number": order.as_ref().map(|o| o.number.clone()).or(state.order_number.clone()),
            "message_id": message.id,
        });
        write
            .record(BotWrite::bot_event(
                conversation,
                EventKind::BotHandedOff,
                payload,
            ))
            .await?;
        write.commit(self).await?;
        Ok(message)
    }
}

/// One bot turn's writes: its messages and events in one transaction,
/// published after commit.
struct BotWrite<'a> {
    tx: balie_storage::WriteTx,
    pending: Pending,
    account_id: i64,
    conversation: &'a Conversation,
    /// The channel the bot answers on: the customer's last.
    channel: Channel,
    now: i64,
}

impl<'a> BotWrite<'a> {
    async fn begin(
        services: &Services,
        account_id: i64,
        conversation: &'a Conversation,
        inbound: &Message,
    ) -> Result<BotWrite<'a>> {
        Ok(BotWrite {
            tx: services.store.begin().await?,
            pending: Pending::new(account_id),
            account_id,
            conversation,
            channel: conversation.last_channel.unwrap_or(inbound.channel),
            now: services.now(),
        })
    }

    /// Stores a bot message: a public reply, or a private note.
    async fn say(&mut self, text: &str, private: bool) -> Result<Message> {
        let message = conversations::insert_message(
            self.tx.conn(),
            self.account_id,
            &NewMessage {
                conversation_id: self.conversation.id,
                direction: Direction::Outbound,
                author_type: AuthorType::Bot,
                author_id: None,
                channel: self.channel,
                inbox_id: self.conversation.inbox_id,
                text,
                external_id: None,
                delivery_status: if private {
                    DeliveryStatus::Delivered
                } else {
                    DeliveryStatus::Queued
                },
                private,
                attachments: Vec::new(),
            },
            self.now,
        )
        .await?;
        self.record(message_event(self.conversation, &message))
            .await?;
        Ok(message)
    }

    async fn record(&mut self, event: NewEvent) -> Result<()> {
        self.pending.append(&mut self.tx, event, self.now).await
    }

    /// An event of the bot about `conversation`.
    fn bot_event(
        conversation: &Conversation,
        kind: EventKind,
        payload: serde_json::Value,
    ) -> NewEvent {
        conversation_event(kind, conversation, AuthorType::Bot, None, payload)
    }

    async fn commit(self, services: &Services) -> Result<()> {
        self.pending.commit(self.tx, services).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_proofs_are_words_with_digits_or_at_and_their_next_word() {
        assert_eq!(loose_proofs("my postcode is 2000"), ["2000"]);
        assert_eq!(loose_proofs("1012 AB"), ["1012 AB", "1012"]);
        assert_eq!(loose_proofs("het is emma@example.nl."), ["emma@example.nl"]);
        assert!(loose_proofs("geen idee eigenlijk").is_empty());
        assert!(loose_proofs(&"1234 ".repeat(30)).is_empty());
    }

    #[test]
    fn order_answers_tell_tracking_only_while_on_the_way() {
        let order = Order {
            id: 1,
            account_id: 1,
            number: "1045873".into(),
            contact_id: None,
            email: None,
            phone: None,
            customer_id: None,
            status: OrderStatus::Shipped,
            carrier: Some("PostNL".into()),
            tracking_code: Some("3SABCD1234567".into()),
            tracking_url: None,
            expected_delivery: Some("2026-11-25".into()),
            total: None,
            currency: None,
            postcode: None,
            items: Vec::new(),
            source: "api".into(),
            created_at: balie_domain::Timestamp(0),
            updated_at: balie_domain::Timestamp(0),
        };
        let nl = describe_order(&AnswerBook::default(), Language::Nl, &order);
        assert!(nl.contains("verzonden") && nl.contains("PostNL"), "{nl}");
        assert!(
            nl.contains("3SABCD1234567") && nl.contains("2026-11-25"),
            "{nl}"
        );
        let delivered = Order {
            status: OrderStatus::Delivered,
            ..order
        };
        let en = describe_order(&AnswerBook::default(), Language::En, &delivered);
        assert!(
            en.contains("delivered") && !en.contains("3SABCD1234567"),
            "{en}"
        );
    }
}
