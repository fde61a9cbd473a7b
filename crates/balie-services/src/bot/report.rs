//! The bot's automation report: of the conversations the bot took part in
//! during a period, how many it resolved on its own and how many it handed
//! to a human, per intent and per handoff reason. Read from the
//! `bot.answered` and `bot.handed_off` events, so it is exact for any
//! period back to the first event.

use std::collections::{BTreeMap, HashMap, HashSet};

use balie_domain::{EventKind, Timestamp};
use serde::Serialize;

use crate::{Actor, Result, ServiceError, Services};

/// The longest period one report covers.
pub const MAX_PERIOD_MS: i64 = 400 * 24 * 3_600_000;

/// One intent's figures: bot turns that answered it, and handoffs.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct IntentFigures {
    pub intent: String,
    /// Bot answers serving this intent.
    pub answered: u64,
    /// Handoffs while serving this intent.
    pub handed_off: u64,
    /// `answered / (answered + handed_off)`.
    pub automation_rate: f64,
}

/// The report for one period.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BotReport {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Conversations with at least one bot turn in the period.
    pub conversations: u64,
    /// Of those, the ones the bot did not hand off.
    pub resolved_by_bot: u64,
    pub handed_off: u64,
    /// `resolved_by_bot / conversations` (0 without conversations).
    pub automation_rate: f64,
    /// Bot answers in the period.
    pub answers: u64,
    /// Per intent, most bot turns first.
    pub intents: Vec<IntentFigures>,
    /// Handoffs per reason (`asked_for_human`, `frustrated`, ...), most first.
    pub handoff_reasons: Vec<(String, u64)>,
}

fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

impl Services {
    /// The automation report for `[from_ms, to_ms)` (every agent may read).
    pub async fn bot_report(&self, actor: &Actor, from_ms: i64, to_ms: i64) -> Result<BotReport> {
        if to_ms <= from_ms {
            return Err(ServiceError::invalid("to", "must be after from"));
        }
        if to_ms - from_ms > MAX_PERIOD_MS {
            return Err(ServiceError::invalid(
                "from",
                "a report covers at most 400 days",
            ));
        }
        let kinds = [EventKind::BotAnswered, EventKind::BotHandedOff];
        let mut conversations: HashSet<i64> = HashSet::new();
        let mut handed_off: HashSet<i64> = HashSet::new();
        let mut per_intent: HashMap<String, (u64, u64)> = HashMap::new();
        let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
        let mut answers = 0;
        let mut after = 0;
        let mut conn = self.store.read().await?;
        loop {
            let page = balie_storage::events::list_kinds_between(
                &mut conn,
                actor.account_id,
                &kinds,
                from_ms,
                to_ms,
                after,
                5_000,
            )
            .await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for event in &page {
                let intent = event
                    .payload
                    .get("intent")
                    .and_then(|v| v.as_str())
                    .unwrap_or("out_of_scope")
                    .to_string();
                let figures = per_intent.entry(intent).or_default();
                if let Some(c) = event.conversation_id {
                    conversations.insert(c);
                }
                if event.kind == EventKind::BotAnswered {
                    answers += 1;
                    figures.0 += 1;
                } else {
                    figures.1 += 1;
                    if let Some(c) = event.conversation_id {
                        handed_off.insert(c);
                    }
                    let reason = event
                        .payload
                        .get("reason")
                        .and_then(|v| v.as_str())
                        .unwrap_or("unknown");
                    *reasons.entry(reason.to_string()).or_default() += 1;
                }
            }
        }
        let total = conversations.len() as u64;
        let resolved = total - handed_off.len() as u64;
        let mut intents: Vec<IntentFigures> = per_intent
            .into_iter()
            .map(|(intent, (answered, handed_off))| IntentFigures {
                intent,
                answered,
                handed_off,
                automation_rate: rate(answered, answered + handed_off),
            })
            .collect();
        intents.sort_by(|a, b| {
            (b.answered + b.handed_off)
                .cmp(&(a.answered + a.handed_off))
                .then_with(|| a.intent.cmp(&b.intent))
        });
        let mut handoff_reasons: Vec<(String, u64)> = reasons.into_iter().collect();
        handoff_reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(BotReport {
            from: Timestamp(from_ms),
            to: Timestamp(to_ms),
            conversations: total,
            resolved_by_bot: resolved,
            handed_off: handed_off.len() as u64,
            automation_rate: rate(resolved, total),
            answers,
            intents,
            handoff_reasons,
        })
    }
}
