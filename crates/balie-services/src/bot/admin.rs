//! What a shop's admins change about the bot, and the per-shop model:
//! settings (the order-number pattern), the shop's own answer texts, its own
//! training examples, and retraining.
//!
//! Examples take effect at the next retrain, so an admin edits several and
//! trains once. A retrain trains Balie's built-in Dutch and English data
//! plus the shop's examples, bumps the account's model version and keeps
//! the model in memory. Another node, or this one after a restart, sees a
//! version newer than its cached one and trains the same model again on
//! first use. An account that never retrained uses the built-in model.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use balie_domain::EventKind;
use balie_nlu::classifier::{
    builtin_examples, builtin_model, IntentModel, TrainConfig, TrainingExample, OUT_OF_SCOPE,
};
use balie_nlu::entities::{Entity, EntityConfig, EntityExtractor};
use balie_nlu::language::{detect_language, Language, LanguageGuess};
use balie_nlu::sentiment::{analyse_sentiment, Sentiment};
use balie_storage::bot::{self as store, BotExample, BotSettings};
use serde::Serialize;
use serde_json::json;

use super::answers::{builtin, placeholders, AnswerBook, AnswerGroup, BUILTIN_ANSWERS};
use crate::{agent_event, Actor, Result, ServiceError, Services};

/// An account has at most this many examples of its own.
pub const MAX_EXAMPLES: i64 = 5_000;
pub const MAX_EXAMPLE_CHARS: usize = 300;
pub const MAX_ANSWER_CHARS: usize = 2_000;
pub const MAX_PATTERN_CHARS: usize = 200;
/// Conversation turns are serialised per conversation over this many locks.
const TURN_LOCKS: usize = 64;

/// The bot's in-memory state on this node: trained shop models and the
/// locks that keep two turns of one conversation apart.
pub struct BotRuntime {
    models: Mutex<ModelCache>,
    training: tokio::sync::Mutex<()>,
    turns: Vec<tokio::sync::Mutex<()>>,
}

impl Default for BotRuntime {
    fn default() -> Self {
        BotRuntime {
            models: Mutex::new(ModelCache::default()),
            training: tokio::sync::Mutex::new(()),
            turns: (0..TURN_LOCKS)
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
        }
    }
}

impl BotRuntime {
    /// The lock one conversation's bot turns take, so a second message
    /// waits until the bot has finished with the first (one node; several
    /// nodes also rely on the "still the latest message" check).
    pub(crate) fn turn_lock(&self, conversation_id: i64) -> &tokio::sync::Mutex<()> {
        &self.turns[conversation_id.rem_euclid(TURN_LOCKS as i64) as usize]
    }
}

/// Trained shop models kept in memory (about 3 MB each: one int8 weight per
/// feature and class, 1.8 MB for the built-in 44,518 features x 41 classes,
/// plus the vocabulary), at most
/// [`MAX_CACHED_MODELS`]; the least recently used goes first and is trained
/// again when its shop's bot next needs it.
#[derive(Default)]
struct ModelCache {
    entries: HashMap<i64, CachedModel>,
    tick: u64,
}

struct CachedModel {
    version: i64,
    model: Arc<IntentModel>,
    used: u64,
}

/// Shop models one node keeps in memory.
pub const MAX_CACHED_MODELS: usize = 32;

impl ModelCache {
    /// The account's model if it is at least `version`.
    fn get(&mut self, account_id: i64, version: i64) -> Option<Arc<IntentModel>> {
        self.tick += 1;
        let tick = self.tick;
        let entry = self.entries.get_mut(&account_id)?;
        if entry.version < version {
            return None;
        }
        entry.used = tick;
        Some(entry.model.clone())
    }

    fn insert(&mut self, account_id: i64, version: i64, model: Arc<IntentModel>) {
        self.tick += 1;
        self.entries.insert(
            account_id,
            CachedModel {
                version,
                model,
                used: self.tick,
            },
        );
        while self.entries.len() > MAX_CACHED_MODELS {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, e)| e.used)
                .map(|(id, _)| *id);
            match oldest {
                Some(id) => self.entries.remove(&id),
                None => break,
            };
        }
    }
}

/// The model an account's bot uses.
#[derive(Clone)]
pub enum ShopModel {
    Builtin,
    Trained(Arc<IntentModel>),
}

impl ShopModel {
    pub fn get(&self) -> &IntentModel {
        match self {
            ShopModel::Builtin => builtin_model(),
            ShopModel::Trained(m) => m,
        }
    }
}

/// What the bot's NLU makes of one message (the "try a sentence" box shows
/// the same).
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub intent: String,
    pub confidence: f32,
    /// The best in-scope intents with their probabilities.
    pub alternatives: Vec<(String, f32)>,
    pub language: Language,
    pub language_confidence: f32,
    pub sentiment: Sentiment,
    pub entities: Vec<Entity>,
}

/// One answer as the admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct AnswerView {
    pub key: String,
    pub group: AnswerGroup,
    /// The placeholders this answer may use.
    pub placeholders: Vec<String>,
    pub builtin_nl: Option<String>,
    pub builtin_en: Option<String>,
    /// The shop's own texts, when it wrote them.
    pub own_nl: Option<String>,
    pub own_en: Option<String>,
}

/// One intent as the admin sees it.
#[derive(Debug, Clone, Serialize)]
pub struct IntentView {
    pub intent: String,
    pub builtin_examples: usize,
    pub own_examples: usize,
    /// Whether the bot has an answer or a flow for it.
    pub answered: bool,
}

/// The model's state for the admin.
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    pub version: i64,
    pub trained_at: Option<balie_domain::Timestamp>,
    /// Examples changed since the last retrain.
    pub needs_retrain: bool,
    pub own_examples: i64,
}

/// What an import of examples did.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct ImportedExamples {
    pub added: usize,
    /// Lines the shop had already (skipped).
    pub already_there: usize,
}

/// What a retrain did.
#[derive(Debug, Clone, Serialize)]
pub struct RetrainReport {
    pub version: i64,
    pub own_examples: usize,
    pub total_examples: usize,
    pub intents: usize,
    pub train_ms: u64,
}

/// Intents the bot handles with a flow of its own rather than one text.
const FLOW_INTENTS: &[&str] = &[
    "track_order",
    "cancel_order",
    "change_order",
    "change_shipping_address",
    "track_refund",
    "contact_customer_service",
    "contact_human_agent",
];

/// An intent name: lowercase letters, digits and `_`, at most 60.
pub fn normalise_intent(intent: &str) -> Result<String> {
    let intent = intent.trim().to_lowercase().replace([' ', '-'], "_");
    if intent.is_empty() || intent.len() > 60 {
        return Err(ServiceError::invalid(
            "intent",
            "must be 1 to 60 characters",
        ));
    }
    if !intent
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(ServiceError::invalid(
            "intent",
            "only letters a-z, digits and '_'",
        ));
    }
    Ok(intent)
}

/// An example's intent and text, checked: the text is one line of at most
/// [`MAX_EXAMPLE_CHARS`].
fn check_example(intent: &str, text: &str) -> Result<(String, String)> {
    let intent = normalise_intent(intent)?;
    let text = crate::directory::required_text("text", text, MAX_EXAMPLE_CHARS)?;
    if text.contains(['\t', '\n', '\r']) {
        return Err(ServiceError::invalid("text", "one line without tabs"));
    }
    Ok((intent, text))
}

fn language_of(code: &str) -> Result<Language> {
    Language::from_code(code)
        .ok_or_else(|| ServiceError::invalid("language", "must be \"nl\" or \"en\""))
}

fn training_set(own: &[BotExample]) -> Vec<TrainingExample> {
    let mut all = builtin_examples();
    all.extend(
        own.iter()
            .map(|e| TrainingExample::new(e.intent.clone(), e.text.clone())),
    );
    all
}

impl Services {
    pub(crate) async fn bot_settings(&self, account_id: i64) -> Result<BotSettings> {
        let mut conn = self.store.read().await?;
        Ok(store::get_settings(&mut conn, account_id).await?)
    }

    /// The account's bot settings and model state (every agent may read).
    pub async fn get_bot_settings(&self, actor: &Actor) -> Result<(BotSettings, ModelStatus)> {
        let mut conn = self.store.read().await?;
        let settings = store::get_settings(&mut conn, actor.account_id).await?;
        let own = store::count_examples(&mut conn, actor.account_id).await?;
        let status = ModelStatus {
            version: settings.model_version,
            trained_at: settings.trained_at,
            needs_retrain: settings.examples_changed_at.0
                > settings.trained_at.map(|t| t.0).unwrap_or(0),
            own_examples: own,
        };
        Ok((settings, status))
    }

    /// Sets the shop's order-number pattern (a regular expression; empty
    /// restores the built-in one). Admins only.
    pub async fn set_order_number_pattern(
        &self,
        actor: &Actor,
        pattern: Option<&str>,
    ) -> Result<BotSettings> {
        actor.require_admin()?;
        let pattern = pattern.map(str::trim).filter(|p| !p.is_empty());
        if let Some(p) = pattern {
            if p.chars().count() > MAX_PATTERN_CHARS {
                return Err(ServiceError::invalid(
                    "order_number_pattern",
                    format!("at most {MAX_PATTERN_CHARS} characters"),
                ));
            }
            EntityExtractor::new(&EntityConfig {
                order_number_pattern: p.to_string(),
                today: None,
            })
            .map_err(|e| {
                let e = e.trim_start_matches("invalid order_number_pattern: ");
                ServiceError::invalid(
                    "order_number_pattern",
                    format!("not a valid regular expression: {e}"),
                )
            })?;
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let settings =
            store::set_order_number_pattern(tx.conn(), actor.account_id, pattern, now).await?;
        let event = agent_event(
            actor,
            EventKind::BotSettingsUpdated,
            json!({ "order_number_pattern": settings.order_number_pattern }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await?;
        Ok(settings)
    }

    /// The texts the account's bot uses.
    pub(crate) async fn answer_book(&self, account_id: i64) -> Result<AnswerBook> {
        let mut conn = self.store.read().await?;
        let own = store::list_answers(&mut conn, account_id).await?;
        Ok(AnswerBook::new(own.into_iter().filter_map(|a| {
            Language::from_code(&a.language).map(|l| (a.key, l, a.text))
        })))
    }

    /// Every answer: the built-in ones, then the shop's own intents, with
    /// the shop's texts where it wrote them.
    pub async fn list_bot_answers(&self, actor: &Actor) -> Result<Vec<AnswerView>> {
        let (own, examples) = {
            let mut conn = self.store.read().await?;
            (
                store::list_answers(&mut conn, actor.account_id).await?,
                store::list_examples(&mut conn, actor.account_id, MAX_EXAMPLES).await?,
            )
        };
        let own_text = |key: &str, lang: &str| {
            own.iter()
                .find(|a| a.key == key && a.language == lang)
                .map(|a| a.text.clone())
        };
        let mut out: Vec<AnswerView> = BUILTIN_ANSWERS
            .iter()
            .map(|b| AnswerView {
                key: b.key.to_string(),
                group: b.group,
                placeholders: placeholders(b.nl),
                builtin_nl: Some(b.nl.to_string()),
                builtin_en: Some(b.en.to_string()),
                own_nl: own_text(b.key, "nl"),
                own_en: own_text(b.key, "en"),
            })
            .collect();
        let mut custom: Vec<String> = examples
            .iter()
            .map(|e| e.intent.clone())
            .chain(own.iter().map(|a| a.key.clone()))
            .filter(|k| builtin(k).is_none() && !FLOW_INTENTS.contains(&k.as_str()))
            .collect();
        custom.sort();
        custom.dedup();
        out.extend(custom.into_iter().map(|key| AnswerView {
            group: AnswerGroup::Intent,
            placeholders: Vec::new(),
            builtin_nl: None,
            builtin_en: None,
            own_nl: own_text(&key, "nl"),
            own_en: own_text(&key, "en"),
            key,
        }));
        Ok(out)
    }

    /// Sets the shop's text for one answer in one language; `None` or an
    /// empty text goes back to the built-in one. A built-in answer's text
    /// may use only its placeholders; an own intent's text none. Admins only.
    pub async fn set_bot_answer(
        &self,
        actor: &Actor,
        key: &str,
        language: &str,
        text: Option<&str>,
    ) -> Result<()> {
        actor.require_admin()?;
        let lang = language_of(language)?;
        let key = normalise_intent(key).map_err(|_| ServiceError::NotFound)?;
        let text = text
            .map(|t| t.replace("\r\n", "\n").trim().to_string())
            .filter(|t| !t.is_empty());
        let allowed = match builtin(&key) {
            Some(b) => placeholders(b.nl),
            None => {
                let mut conn = self.store.read().await?;
                let known = store::list_examples(&mut conn, actor.account_id, MAX_EXAMPLES)
                    .await?
                    .iter()
                    .any(|e| e.intent == key)
                    || store::list_answers(&mut conn, actor.account_id)
                        .await?
                        .iter()
                        .any(|a| a.key == key);
                if !known || FLOW_INTENTS.contains(&key.as_str()) {
                    return Err(ServiceError::NotFound);
                }
                Vec::new()
            }
        };
        if let Some(t) = &text {
            if t.chars().count() > MAX_ANSWER_CHARS {
                return Err(ServiceError::invalid(
                    "text",
                    format!("at most {MAX_ANSWER_CHARS} characters"),
                ));
            }
            if let Some(bad) = placeholders(t).into_iter().find(|p| !allowed.contains(p)) {
                let hint = if allowed.is_empty() {
                    "this answer has no placeholders".to_string()
                } else {
                    format!("allowed: {{{}}}", allowed.join("}, {"))
                };
                return Err(ServiceError::invalid(
                    "text",
                    format!("unknown placeholder {{{bad}}}; {hint}"),
                ));
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        store::set_answer(
            tx.conn(),
            actor.account_id,
            &key,
            lang.code(),
            text.as_deref(),
            now,
        )
        .await?;
        let event = agent_event(
            actor,
            EventKind::BotAnswerUpdated,
            json!({ "key": key, "language": lang.code(), "reset": text.is_none() }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await
    }

    /// The shop's own examples, by intent.
    pub async fn list_bot_examples(&self, actor: &Actor) -> Result<Vec<BotExample>> {
        let mut conn = self.store.read().await?;
        Ok(store::list_examples(&mut conn, actor.account_id, MAX_EXAMPLES).await?)
    }

    /// Every intent the bot can recognise after the next retrain, with its
    /// example counts.
    pub async fn list_bot_intents(&self, actor: &Actor) -> Result<Vec<IntentView>> {
        let own = self.list_bot_examples(actor).await?;
        let book = self.answer_book(actor.account_id).await?;
        let mut counts: HashMap<String, (usize, usize)> = HashMap::new();
        for e in builtin_examples() {
            counts.entry(e.intent).or_default().0 += 1;
        }
        for e in &own {
            counts.entry(e.intent.clone()).or_default().1 += 1;
        }
        let mut out: Vec<IntentView> = counts
            .into_iter()
            .filter(|(intent, _)| intent != OUT_OF_SCOPE)
            .map(|(intent, (b, o))| IntentView {
                answered: FLOW_INTENTS.contains(&intent.as_str()) || book.has(&intent),
                intent,
                builtin_examples: b,
                own_examples: o,
            })
            .collect();
        out.sort_by(|a, b| a.intent.cmp(&b.intent));
        Ok(out)
    }

    /// Adds an example (admins only); it counts from the next retrain.
    pub async fn add_bot_example(
        &self,
        actor: &Actor,
        intent: &str,
        text: &str,
    ) -> Result<BotExample> {
        actor.require_admin()?;
        let (intent, text) = check_example(intent, text)?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if store::count_examples(tx.conn(), actor.account_id).await? >= MAX_EXAMPLES {
            return Err(ServiceError::Conflict(format!(
                "an account has at most {MAX_EXAMPLES} examples"
            )));
        }
        let example = store::add_example(tx.conn(), actor.account_id, &intent, &text, now).await?;
        let event = agent_event(
            actor,
            EventKind::BotExampleAdded,
            json!({ "example_id": example.id, "intent": example.intent }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await?;
        Ok(example)
    }

    /// Adds many examples at once from TSV (`intent<TAB>text` a line, `#`
    /// comments and blank lines skipped), admins only. All or nothing: a
    /// bad line is a `validation_failed` naming its line number, and
    /// nothing is added. Examples the shop already has are skipped.
    pub async fn import_bot_examples(&self, actor: &Actor, tsv: &str) -> Result<ImportedExamples> {
        actor.require_admin()?;
        let mut rows: Vec<(String, String)> = Vec::new();
        for (i, line) in tsv.lines().enumerate() {
            let parsed = balie_nlu::eval::parse_tsv_line(line)
                .map_err(|e| ServiceError::invalid("tsv", format!("line {}: {e}", i + 1)))?;
            if let Some(example) = parsed {
                let checked = check_example(&example.intent, &example.text)
                    .map_err(|e| ServiceError::invalid("tsv", format!("line {}: {e}", i + 1)))?;
                if !rows.contains(&checked) {
                    rows.push(checked);
                }
            }
        }
        if rows.is_empty() {
            return Err(ServiceError::invalid(
                "tsv",
                "no examples: expected intent<TAB>text lines",
            ));
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let existing = store::list_examples(tx.conn(), actor.account_id, MAX_EXAMPLES).await?;
        let new: Vec<&(String, String)> = rows
            .iter()
            .filter(|(intent, text)| {
                !existing
                    .iter()
                    .any(|e| &e.intent == intent && &e.text == text)
            })
            .collect();
        if existing.len() + new.len() > MAX_EXAMPLES as usize {
            return Err(ServiceError::Conflict(format!(
                "an account has at most {MAX_EXAMPLES} examples"
            )));
        }
        for (intent, text) in &new {
            store::add_example(tx.conn(), actor.account_id, intent, text, now).await?;
        }
        let report = ImportedExamples {
            added: new.len(),
            already_there: rows.len() - new.len(),
        };
        let event = agent_event(
            actor,
            EventKind::BotExampleAdded,
            json!({ "imported": report }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await?;
        Ok(report)
    }

    /// One of the shop's examples.
    pub async fn get_bot_example(&self, actor: &Actor, id: i64) -> Result<BotExample> {
        let mut conn = self.store.read().await?;
        Ok(store::get_example(&mut conn, actor.account_id, id).await?)
    }

    /// Changes an example's intent or text (admins only); `None` keeps it.
    pub async fn update_bot_example(
        &self,
        actor: &Actor,
        id: i64,
        intent: Option<&str>,
        text: Option<&str>,
    ) -> Result<BotExample> {
        let old = self.get_bot_example(actor, id).await?;
        actor.require_admin()?;
        let (intent, text) =
            check_example(intent.unwrap_or(&old.intent), text.unwrap_or(&old.text))?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let example =
            store::update_example(tx.conn(), actor.account_id, id, &intent, &text, now).await?;
        let event = agent_event(
            actor,
            EventKind::BotExampleUpdated,
            json!({ "example_id": id, "intent": example.intent }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await?;
        Ok(example)
    }

    /// Deletes an example (admins only).
    pub async fn delete_bot_example(&self, actor: &Actor, id: i64) -> Result<()> {
        let old = {
            let mut conn = self.store.read().await?;
            store::get_example(&mut conn, actor.account_id, id).await?
        };
        actor.require_admin()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        store::delete_example(tx.conn(), actor.account_id, id, now).await?;
        let event = agent_event(
            actor,
            EventKind::BotExampleDeleted,
            json!({ "example_id": id, "intent": old.intent }),
        );
        self.commit_with_event(tx, actor.account_id, event, now)
            .await
    }

    async fn train_for(&self, own: &[BotExample]) -> Result<(Arc<IntentModel>, usize, u64)> {
        let examples = training_set(own);
        let total = examples.len();
        let _one_at_a_time = self.bot.training.lock().await;
        let (model, ms) = tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            let model = IntentModel::train(&examples, &TrainConfig::default());
            (model, started.elapsed().as_millis() as u64)
        })
        .await
        .map_err(|e| ServiceError::Conflict(format!("training failed: {e}")))?;
        Ok((Arc::new(model), total, ms))
    }

    /// Trains the account's model on the built-in data plus its own
    /// examples and puts it to work (admins only).
    pub async fn retrain_bot(&self, actor: &Actor) -> Result<RetrainReport> {
        actor.require_admin()?;
        let own = self.list_bot_examples(actor).await?;
        let (model, total, train_ms) = self.train_for(&own).await?;
        let intents = model.intents().len();
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let settings = store::record_retrain(tx.conn(), actor.account_id, now).await?;
        let report = RetrainReport {
            version: settings.model_version,
            own_examples: own.len(),
            total_examples: total,
            intents,
            train_ms,
        };
        let event = agent_event(actor, EventKind::BotRetrained, json!(report));
        self.commit_with_event(tx, actor.account_id, event, now)
            .await?;
        self.bot.models.lock().expect("model cache lock").insert(
            actor.account_id,
            settings.model_version,
            model,
        );
        Ok(report)
    }

    /// The model for `settings`' version: cached, or trained now (after a
    /// restart, or a retrain on another node).
    pub(crate) async fn shop_model(
        &self,
        account_id: i64,
        settings: &BotSettings,
    ) -> Result<ShopModel> {
        if settings.model_version == 0 {
            return Ok(ShopModel::Builtin);
        }
        let cached = self
            .bot
            .models
            .lock()
            .expect("model cache lock")
            .get(account_id, settings.model_version);
        if let Some(model) = cached {
            return Ok(ShopModel::Trained(model));
        }
        let own = {
            let mut conn = self.store.read().await?;
            store::list_examples(&mut conn, account_id, MAX_EXAMPLES).await?
        };
        if own.is_empty() {
            return Ok(ShopModel::Builtin);
        }
        let (model, _, _) = self.train_for(&own).await?;
        self.bot.models.lock().expect("model cache lock").insert(
            account_id,
            settings.model_version,
            model.clone(),
        );
        Ok(ShopModel::Trained(model))
    }

    /// Analyses `text` as the account's bot would: its model, its
    /// order-number pattern, `fallback` when the language is unclear.
    pub(crate) async fn analyse_for(
        &self,
        account_id: i64,
        text: &str,
        fallback: Language,
    ) -> Result<Analysis> {
        let settings = self.bot_settings(account_id).await?;
        let model = self.shop_model(account_id, &settings).await?;
        let config = EntityConfig {
            order_number_pattern: settings
                .order_number_pattern
                .clone()
                .unwrap_or_else(|| EntityConfig::default().order_number_pattern),
            today: None,
        };
        let input = text.to_string();
        tokio::task::spawn_blocking(move || {
            // A pattern stored before it was checked cannot stop the bot.
            let extractor = EntityExtractor::new(&config)
                .or_else(|_| EntityExtractor::new(&EntityConfig::default()))
                .expect("the default pattern compiles");
            let prediction = model.get().predict(&input);
            let LanguageGuess {
                language,
                confidence,
            } = detect_language(&input, fallback);
            Analysis {
                intent: prediction.intent,
                confidence: prediction.confidence,
                alternatives: prediction.alternatives,
                language,
                language_confidence: confidence,
                sentiment: analyse_sentiment(&input),
                entities: extractor.extract(&input),
            }
        })
        .await
        .map_err(|e| ServiceError::Conflict(format!("the analysis failed: {e}")))
    }

    /// "Try a sentence": what the account's bot makes of `text`.
    pub async fn try_bot_sentence(&self, actor: &Actor, text: &str) -> Result<Analysis> {
        let text = crate::directory::required_text("text", text, 1000)?;
        self.analyse_for(actor.account_id, &text, Language::Nl)
            .await
    }

    /// Gives a handed-off conversation back to the bot: the handoff label
    /// and the assignee go, and the bot starts afresh at the customer's next
    /// message. Records `bot.resumed`.
    pub async fn resume_bot(
        &self,
        actor: &Actor,
        conversation_id: i64,
    ) -> Result<balie_domain::Conversation> {
        use balie_storage::conversations::{self, ConversationChanges};
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let conversation =
            conversations::get_conversation(tx.conn(), actor.account_id, conversation_id).await?;
        let labels: Vec<String> = conversation
            .labels
            .iter()
            .filter(|l| *l != super::HANDOFF_LABEL)
            .cloned()
            .collect();
        let changes = ConversationChanges {
            labels: Some(labels),
            assignee_id: Some(None),
            ..Default::default()
        };
        let updated = conversations::update_conversation(
            tx.conn(),
            actor.account_id,
            conversation_id,
            &changes,
            now,
        )
        .await?;
        let mut pending = crate::Pending::new(actor.account_id);
        let by_agent = |kind, payload| {
            let mut event = crate::conversations::conversation_event(
                kind,
                &updated,
                balie_domain::AuthorType::Agent,
                Some(actor.agent_id),
                payload,
            );
            event.actor_id = Some(actor.agent_id);
            event
        };
        pending
            .append(
                &mut tx,
                by_agent(
                    EventKind::ConversationUpdated,
                    json!({ "conversation": updated }),
                ),
                now,
            )
            .await?;
        pending
            .append(&mut tx, by_agent(EventKind::BotResumed, json!({})), now)
            .await?;
        pending.commit(tx, self).await?;
        Ok(updated)
    }
}

impl Services {
    /// Seeds the demo shop's own intent (gift wrapping, with its answer),
    /// retrains, and lets the bot handle two web-chat visitors: one it
    /// helps, one it hands over, so the report has something to show.
    pub(crate) async fn seed_demo_bot(&self, admin: &Actor, web_inbox_id: i64) -> Result<()> {
        for text in [
            "kunnen jullie het als cadeau inpakken?",
            "is cadeauverpakking mogelijk",
            "kan ik het laten inpakken als kado",
            "pakken jullie ook in als cadeautje?",
            "cadeau inpakken graag",
            "can you gift wrap my order?",
            "do you offer gift wrapping",
            "is gift wrapping available",
            "can it be wrapped as a present",
        ] {
            self.add_bot_example(admin, "gift_wrapping", text).await?;
        }
        self.set_bot_answer(
            admin,
            "gift_wrapping",
            "nl",
            Some("Zeker! Cadeauverpakking kost €2,50 per artikel; je kiest het bij het afrekenen en we sturen de factuur apart."),
        )
        .await?;
        self.set_bot_answer(
            admin,
            "gift_wrapping",
            "en",
            Some("Of course! Gift wrapping costs €2.50 per item; choose it at checkout and we'll send the invoice separately."),
        )
        .await?;
        self.retrain_bot(admin).await?;
        for (email, text) in [
            ("noor.bakker@example.nl", "hoe lang duurt de levering?"),
            ("sem.visser@example.nl", "ik wil een medewerker spreken"),
        ] {
            let got = self
                .ingest_without_bot(
                    admin.account_id,
                    crate::conversations::InboundMessage {
                        inbox_id: Some(web_inbox_id),
                        channel: balie_domain::Channel::WebChat,
                        from: vec![crate::contacts::IdentityInput {
                            kind: balie_domain::IdentityKind::Email,
                            value: email.into(),
                        }],
                        name: None,
                        text: text.into(),
                        external_id: None,
                        conversation_id: None,
                        attachments: Vec::new(),
                        known_contact_id: None,
                    },
                )
                .await?;
            self.bot_reply(admin.account_id, got.conversation.id, &got.message)
                .await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny_model() -> Arc<IntentModel> {
        let examples = [
            TrainingExample::new("a", "hallo daar"),
            TrainingExample::new("b", "tot ziens"),
        ];
        Arc::new(IntentModel::train(&examples, &TrainConfig::default()))
    }

    #[test]
    fn the_model_cache_keeps_the_newest_version_and_evicts_the_least_recently_used() {
        let mut cache = ModelCache::default();
        let model = tiny_model();
        for account in 0..MAX_CACHED_MODELS as i64 {
            cache.insert(account, 1, model.clone());
        }
        // Account 0 is used again, so account 1 is now the oldest.
        assert!(cache.get(0, 1).is_some());
        cache.insert(999, 1, model.clone());
        assert_eq!(cache.entries.len(), MAX_CACHED_MODELS);
        assert!(cache.get(1, 1).is_none(), "least recently used is evicted");
        assert!(cache.get(0, 1).is_some() && cache.get(999, 1).is_some());
        // A retrain elsewhere (version 2) makes the cached version 1 stale.
        assert!(cache.get(0, 2).is_none());
    }
}
