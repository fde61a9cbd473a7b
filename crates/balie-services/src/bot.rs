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
use balie_nlu::entities::{extract_entities, Entity, EntityConfig, EntityKind};
use balie_nlu::language::{detect_language, Language};
use balie_nlu::sentiment::{analyse_sentiment, Sentiment};
use balie_storage::conversations::{self, ConversationChanges, NewMessage};
use balie_storage::events::NewEvent;
use balie_storage::orders::{self, OrderFilter};
use balie_storage::{contacts, inboxes};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::conversations::{conversation_event, message_event};
use crate::widget::inbox_open_status;
use crate::{Pending, Result, Services};

/// The label of a conversation the bot handed to a human; it stays silent
/// there from then on.
pub const HANDOFF_LABEL: &str = "bot_handoff";

/// Below this confidence the bot does not trust the intent and hands off.
pub const MIN_CONFIDENCE: f32 = 0.45;

/// Failed verifications before the bot hands off.
const MAX_FAILURES: u32 = 2;

/// Every text the bot says, Dutch and English: (key, nl, en). `{name}`
/// placeholders are filled in by [`text`].
const TEMPLATES: &[(&str, &str, &str)] = &[
    ("greeting",
     "Hoi! Ik ben de digitale assistent van de webshop. Waarmee kan ik je helpen? Je kunt me bijvoorbeeld vragen waar je bestelling is.",
     "Hi! I'm the webshop's digital assistant. How can I help? You can ask me where your order is, for example."),
    ("thanks",
     "Graag gedaan! Kan ik je nog ergens anders mee helpen?",
     "You're welcome! Is there anything else I can help you with?"),
    ("goodbye",
     "Fijne dag nog! Je kunt hier altijd weer een bericht sturen.",
     "Have a great day! You can always send us a message here."),
    ("delivery_period",
     "Zodra je bestelling verzonden is, heb je hem meestal binnen 1 à 2 werkdagen in huis. Je krijgt dan ook een e-mail met de track & trace-link. Wil je weten waar een bestelling nu is? Stuur me dan het bestelnummer.",
     "Once your order has shipped, it usually arrives within 1 to 2 working days, and you'll get an email with the track & trace link. Want to know where an order is right now? Just send me the order number."),
    ("delivery_options",
     "We bezorgen thuis of bij een afhaalpunt naar keuze. Je kiest de bezorgoptie bij het afrekenen.",
     "We deliver to your home or to a pick-up point of your choice. You choose the delivery option at checkout."),
    ("check_refund_policy",
     "Je kunt je bestelling binnen 30 dagen na ontvangst retourneren. Zodra we je retour hebben ontvangen, betalen we het bedrag binnen 14 dagen terug op de rekening waarmee je betaalde.",
     "You can return your order within 30 days of receiving it. Once we have received your return, we refund the amount within 14 days to the account you paid with."),
    ("check_payment_methods",
     "Je kunt bij ons betalen met iDEAL, creditcard, PayPal en Bancontact.",
     "You can pay with iDEAL, credit card, PayPal and Bancontact."),
    ("contact_hours",
     "Je kunt ons hier in de chat bereiken. Onze collega's zijn er op: {hours}.",
     "You can reach us right here in the chat. Our colleagues are available: {hours}."),
    ("contact_always",
     "Je kunt ons hier in de chat bereiken; stel je vraag maar, dan help ik je of geef ik je door aan een collega.",
     "You can reach us right here in the chat; ask your question and I'll help you or pass you on to a colleague."),
    ("ask_order",
     "Ik zoek het graag voor je op! Wat is je bestelnummer? Stuur ook de postcode van het bezorgadres of het e-mailadres waarmee je bestelde, dan weet ik zeker dat het jouw bestelling is.",
     "I'd be happy to look that up! What's your order number? Please also send the delivery postcode or the email address you ordered with, so I know it's your order."),
    ("ask_proof",
     "Ik zoek bestelling {number} graag voor je op. Om zeker te weten dat het jouw bestelling is: wat is de postcode van het bezorgadres, of het e-mailadres waarmee je bestelde?",
     "I'll look up order {number} for you. To make sure it's yours: what's the delivery postcode, or the email address you ordered with?"),
    ("ask_number",
     "Dank je! Wat is het bestelnummer? Dat staat in je bevestigingsmail.",
     "Thanks! What's the order number? You'll find it in your confirmation email."),
    ("retry",
     "Hmm, die gegevens horen niet bij een bestelling die ik kan vinden. Wil je het bestelnummer en de postcode of het e-mailadres nog eens controleren?",
     "Hmm, I can't find an order with those details. Could you check the order number and the postcode or email address again?"),
    ("which_order",
     "Je hebt meerdere openstaande bestellingen: {numbers}. Over welke bestelling gaat het?",
     "You have several open orders: {numbers}. Which one is it about?"),
    ("status",
     "Je bestelling {number} is {status}.",
     "Your order {number} is {status}."),
    ("carrier",
     " Hij wordt bezorgd door {carrier}.",
     " It's being delivered by {carrier}."),
    ("tracking_url",
     " Volg je pakket hier: {url}",
     " Track your parcel here: {url}"),
    ("tracking_code",
     " Je track & trace-code is {code}.",
     " Your track & trace code is {code}."),
    ("expected",
     " De verwachte bezorgdatum is {date}.",
     " The expected delivery date is {date}."),
    ("cancel_shipped",
     "Bestelling {number} is al verzonden, dus annuleren kan helaas niet meer. Je kunt hem wel binnen 30 dagen na ontvangst retourneren; je krijgt dan je geld terug.",
     "Order {number} has already shipped, so it can't be cancelled anymore. You can return it within 30 days of receiving it, and you'll get your money back."),
    ("cancel_done",
     "Bestelling {number} is {status}; daar hoef je niets meer voor te doen.",
     "Order {number} is {status}; there's nothing more you need to do."),
    ("cancel_not_shipped",
     "Bestelling {number} is nog niet verzonden, dus annuleren kan nog. ",
     "Order {number} hasn't shipped yet, so it can still be cancelled. "),
    ("handoff_open",
     "Ik geef je door aan een collega, die het gesprek zo van me overneemt.",
     "I'm passing you on to a colleague, who will take over from me shortly."),
    ("handoff_closed",
     "Ik geef je door aan een collega. We zijn nu gesloten; je krijgt antwoord zodra we weer open zijn, {when}.",
     "I'm passing you on to a colleague. We're closed right now; you'll get an answer as soon as we open again, {when}."),
    ("handoff_frustrated",
     "Wat vervelend, sorry daarvoor! ",
     "I'm sorry about that! "),
];

fn text(lang: Language, key: &str, vars: &[(&str, &str)]) -> String {
    let (_, nl, en) = TEMPLATES
        .iter()
        .find(|(k, _, _)| *k == key)
        .expect("every key the bot uses has a template");
    let mut out = match lang {
        Language::Nl => nl,
        Language::En => en,
    }
    .to_string();
    for (name, value) in vars {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

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
#[derive(Debug, Clone, Copy)]
enum Reason {
    AskedForHuman,
    Frustrated,
    NotUnderstood,
    NotHandled,
    FailedVerification,
    CancelOrder,
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

fn describe_order(lang: Language, order: &Order) -> String {
    let mut out = text(
        lang,
        "status",
        &[
            ("number", &order.number),
            ("status", status_word(lang, order.status)),
        ],
    );
    if order.status == OrderStatus::Shipped || order.status == OrderStatus::Delivered {
        if let Some(carrier) = &order.carrier {
            if order.status == OrderStatus::Shipped {
                out.push_str(&text(lang, "carrier", &[("carrier", carrier)]));
            }
        }
        if order.status == OrderStatus::Shipped {
            if let Some(url) = &order.tracking_url {
                out.push_str(&text(lang, "tracking_url", &[("url", url)]));
            } else if let Some(code) = &order.tracking_code {
                out.push_str(&text(lang, "tracking_code", &[("code", code)]));
            }
        }
    }
    if order.status < OrderStatus::Delivered {
        if let Some(date) = &order.expected_delivery {
            out.push_str(&text(lang, "expected", &[("date", date)]));
        }
    }
    out
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
        if message.author_type != AuthorType::Contact
            || message.direction != Direction::Inbound
            || message.private
        {
            return Ok(None);
        }
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
            // customer again, whose own turn follows): nothing to add.
            let later =
                conversations::list_messages(&mut conn, account_id, conversation_id, message.id, 1)
                    .await?;
            if !later.is_empty() {
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
            let state = events
                .iter()
                .rev()
                .find(|e| e.kind == EventKind::BotAnswered)
                .and_then(|e| e.payload.get("state"))
                .and_then(|s| serde_json::from_value::<BotState>(s.clone()).ok())
                .unwrap_or_default();
            (conversation, inbox, state)
        };
        if !bot_enabled(&inbox)
            || conversation.assignee_id.is_some()
            || conversation.labels.iter().any(|l| l == HANDOFF_LABEL)
        {
            return Ok(None);
        }
        let fallback = match state.language {
            Some(lang) => lang,
            None => self
                .widget_locale(account_id, message)
                .await?
                .unwrap_or(Language::Nl),
        };
        // The model trains on first use (seconds): keep that off the async
        // workers.
        let text_in = message.text.clone();
        let understood = tokio::task::spawn_blocking(move || {
            let prediction = balie_nlu::classifier::builtin_model().predict(&text_in);
            Understood {
                intent: prediction.intent,
                confidence: prediction.confidence,
                language: detect_language(&text_in, fallback).language,
                sentiment: analyse_sentiment(&text_in),
                entities: extract_entities(&text_in, &EntityConfig::default()),
                loose_proofs: loose_proofs(&text_in),
            }
        })
        .await
        .map_err(|e| crate::ServiceError::Conflict(format!("the bot's analysis failed: {e}")))?;
        let action = self
            .decide(
                account_id,
                &conversation,
                &inbox,
                &understood,
                state.clone(),
            )
            .await?;
        let (action, served) = action;
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
    ) -> Result<(Action, String)> {
        let lang = u.language;
        let mine = |a: Action| (a, u.intent.clone());
        let handoff = |reason| Action::Handoff {
            reason,
            prefix: String::new(),
            order: None,
        };
        if u.sentiment.frustrated {
            return Ok(mine(Action::Handoff {
                reason: Reason::Frustrated,
                prefix: text(lang, "handoff_frustrated", &[]),
                order: None,
            }));
        }
        if u.intent == "contact_human_agent" {
            return Ok(mine(handoff(Reason::AskedForHuman)));
        }
        let number = u.order_number();
        let proofs: Vec<String> = u.proof().into_iter().collect();
        // A pending question answered?
        match state.awaiting {
            Awaiting::Verification
                if number.is_some()
                    || !proofs.is_empty()
                    || (state.order_number.is_some() && !u.loose_proofs.is_empty()) =>
            {
                let proofs = if proofs.is_empty() {
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
                    )
                    .await
                    .map(|a| (a, for_intent));
            }
            Awaiting::OrderChoice if number.is_some() => {
                let for_intent = state.for_intent.clone().unwrap_or("track_order".into());
                return self
                    .order_flow(
                        account_id,
                        conversation,
                        lang,
                        &for_intent,
                        number,
                        proofs,
                        state,
                    )
                    .await
                    .map(|a| (a, for_intent));
            }
            _ => {}
        }
        if u.intent == balie_nlu::classifier::OUT_OF_SCOPE || u.confidence < MIN_CONFIDENCE {
            return Ok(mine(handoff(Reason::NotUnderstood)));
        }
        let reset = BotState {
            answered: state.answered.clone(),
            language: state.language,
            ..Default::default()
        };
        let simple = |key: &str| Action::Answer {
            text: text(lang, key, &[]),
            state: reset.clone(),
        };
        Ok(mine(match u.intent.as_str() {
            "greeting"
            | "thanks"
            | "goodbye"
            | "delivery_period"
            | "delivery_options"
            | "check_refund_policy"
            | "check_payment_methods" => simple(&u.intent),
            "contact_customer_service" => match weekly_hours(lang, inbox) {
                Some(hours) => Action::Answer {
                    text: text(lang, "contact_hours", &[("hours", &hours)]),
                    state: reset,
                },
                None => simple("contact_always"),
            },
            "track_order" | "cancel_order" => {
                let intent = u.intent.clone();
                return self
                    .order_flow(
                        account_id,
                        conversation,
                        lang,
                        &intent,
                        number,
                        proofs,
                        reset,
                    )
                    .await
                    .map(mine);
            }
            _ => handoff(Reason::NotHandled),
        }))
    }

    /// Finds the order a `track_order` or `cancel_order` question is about,
    /// verifying the asker, and answers it or asks what is missing.
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
    ) -> Result<Action> {
        let mine = self
            .orders_of_contact(account_id, conversation.contact_id)
            .await?;
        let waiting =
            |awaiting, number: Option<String>, failures, key: &str, vars: &[(&str, &str)]| {
                Action::Answer {
                    text: text(lang, key, vars),
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
                None => match proofs.is_empty() {
                    false => match self.verify_any(account_id, n, &proofs).await? {
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
                    true => {
                        return Ok(waiting(
                            Awaiting::Verification,
                            Some(n.clone()),
                            state.failures,
                            "ask_proof",
                            &[("number", n)],
                        ))
                    }
                },
            },
            None => {
                let open: Vec<&Order> = mine.iter().filter(|o| is_open_order(o)).collect();
                match (open.as_slice(), mine.first()) {
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
        if for_intent == "cancel_order" {
            let vars = [
                ("number", order.number.as_str()),
                ("status", status_word(lang, order.status)),
            ];
            return Ok(match order.status {
                OrderStatus::Pending | OrderStatus::Paid | OrderStatus::Processing => {
                    Action::Handoff {
                        reason: Reason::CancelOrder,
                        prefix: text(lang, "cancel_not_shipped", &vars),
                        order: Some(Box::new(order)),
                    }
                }
                OrderStatus::Shipped | OrderStatus::Delivered => Action::Answer {
                    text: text(lang, "cancel_shipped", &vars),
                    state: done,
                },
                _ => Action::Answer {
                    text: text(lang, "cancel_done", &vars),
                    state: done,
                },
            });
        }
        Ok(Action::Answer {
            text: describe_order(lang, &order),
            state: done,
        })
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

    /// Stores a bot message (public reply or private note) in `tx`.
    #[allow(clippy::too_many_arguments)]
    async fn insert_bot_message(
        &self,
        tx: &mut balie_storage::WriteTx,
        pending: &mut Pending,
        account_id: i64,
        conversation: &Conversation,
        channel: Channel,
        text: &str,
        private: bool,
        now: i64,
    ) -> Result<Message> {
        let message = conversations::insert_message(
            tx.conn(),
            account_id,
            &NewMessage {
                conversation_id: conversation.id,
                direction: Direction::Outbound,
                author_type: AuthorType::Bot,
                author_id: None,
                channel,
                inbox_id: conversation.inbox_id,
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
            now,
        )
        .await?;
        pending
            .append(tx, message_event(conversation, &message), now)
            .await?;
        Ok(message)
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
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut pending = Pending::new(account_id);
        let channel = conversation.last_channel.unwrap_or(inbound.channel);
        let message = self
            .insert_bot_message(
                &mut tx,
                &mut pending,
                account_id,
                conversation,
                channel,
                &reply,
                false,
                now,
            )
            .await?;
        let payload = json!({
            "intent": served, "classified_intent": u.intent, "confidence": u.confidence,
            "language": u.language, "message_id": message.id, "state": state,
        });
        pending
            .append(
                &mut tx,
                conversation_event(
                    EventKind::BotAnswered,
                    conversation,
                    AuthorType::Bot,
                    None,
                    payload,
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
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
    ) -> Result<Message> {
        let lang = u.language;
        let now = self.now();
        let open = inbox_open_status(inbox, now);
        let handoff_text = match (open.open, open.next_open_ms) {
            (false, Some(at)) => text(
                lang,
                "handoff_closed",
                &[("when", &human_duration(lang, at - now))],
            ),
            _ => text(lang, "handoff_open", &[]),
        };
        let reply = format!("{prefix}{handoff_text}");
        let entities: Vec<String> = u
            .entities
            .iter()
            .map(|e| {
                let kind = serde_json::to_value(e.kind)
                    .ok()
                    .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(String::from))
                    .unwrap_or_default();
                format!("{kind} {}", e.value)
            })
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
        let mut tx = self.store.begin().await?;
        let mut pending = Pending::new(account_id);
        let channel = conversation.last_channel.unwrap_or(inbound.channel);
        let message = self
            .insert_bot_message(
                &mut tx,
                &mut pending,
                account_id,
                conversation,
                channel,
                &reply,
                false,
                now,
            )
            .await?;
        self.insert_bot_message(
            &mut tx,
            &mut pending,
            account_id,
            conversation,
            channel,
            &note,
            true,
            now,
        )
        .await?;
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
            tx.conn(),
            account_id,
            conversation.id,
            &changes,
            now,
        )
        .await?;
        pending
            .append(
                &mut tx,
                conversation_event(
                    EventKind::ConversationUpdated,
                    &updated,
                    AuthorType::Bot,
                    None,
                    json!({ "conversation": updated }),
                ),
                now,
            )
            .await?;
        let payload = json!({
            "intent": served, "classified_intent": u.intent, "confidence": u.confidence,
            "language": u.language, "reason": reason.code(), "frustrated": u.sentiment.frustrated,
            "order_number": order.as_ref().map(|o| o.number.clone()).or(state.order_number.clone()),
            "message_id": message.id,
        });
        pending
            .append(
                &mut tx,
                NewEvent {
                    kind: EventKind::BotHandedOff,
                    conversation_id: Some(conversation.id),
                    contact_id: Some(conversation.contact_id),
                    actor_type: AuthorType::Bot,
                    actor_id: None,
                    payload,
                },
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        Ok(message)
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
    fn every_template_has_both_languages_and_fills_its_placeholders() {
        for (key, nl, en) in TEMPLATES {
            assert!(!nl.trim().is_empty() && !en.trim().is_empty(), "{key}");
            assert_eq!(nl.matches('{').count(), en.matches('{').count(), "{key}");
        }
        let t = text(Language::En, "ask_proof", &[("number", "1045873")]);
        assert!(t.contains("1045873") && !t.contains('{'), "{t}");
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
        let nl = describe_order(Language::Nl, &order);
        assert!(nl.contains("verzonden") && nl.contains("PostNL"), "{nl}");
        assert!(
            nl.contains("3SABCD1234567") && nl.contains("2026-11-25"),
            "{nl}"
        );
        let delivered = Order {
            status: OrderStatus::Delivered,
            ..order
        };
        let en = describe_order(Language::En, &delivered);
        assert!(
            en.contains("delivered") && !en.contains("3SABCD1234567"),
            "{en}"
        );
    }
}
