//! The bot under /api/v1: what admins teach it (examples, answers, the
//! order-number pattern, retraining), "try a sentence", the automation
//! report, and giving a handed-off conversation back to the bot.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use balie_domain::{Conversation, Timestamp};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{double_option, Json, Path, Query};
use crate::AppState;

pub fn register(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_answers))
        .routes(routes!(put_answer))
        .routes(routes!(list_intents))
        .routes(routes!(list_examples, add_example))
        .routes(routes!(update_example, delete_example))
        .routes(routes!(import_examples))
        .routes(routes!(retrain))
        .routes(routes!(analyse))
        .routes(routes!(report))
        .routes(routes!(resume))
}

/// The state of the account's trained model.
#[derive(Debug, Serialize, ToSchema)]
pub struct ModelStatusBody {
    /// 0: the built-in model; each retrain adds one.
    pub version: i64,
    pub trained_at: Option<Timestamp>,
    /// Examples were added or deleted since the last retrain.
    pub needs_retrain: bool,
    /// The account's own examples.
    pub own_examples: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotSettingsBody {
    /// The shop's order numbers as a regular expression; null uses the
    /// built-in pattern (optional `#`, up to three letters, 5–10 digits).
    #[schema(example = "NL-\\d{6}")]
    pub order_number_pattern: Option<String>,
    pub model: ModelStatusBody,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotSettingsRequest {
    /// A regular expression, at most 200 characters; null or "" restores
    /// the built-in pattern.
    pub order_number_pattern: Option<String>,
}

/// The account's bot settings and model state.
#[utoipa::path(get, path = "/api/v1/bot/settings", tag = "bot",
    responses((status = 200, body = BotSettingsBody), (status = 401, body = ErrorBody)))]
pub async fn get_settings(
    State(s): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<BotSettingsBody>> {
    settings_body(&s, &auth).await
}

async fn settings_body(s: &AppState, auth: &Auth) -> ApiResult<Json<BotSettingsBody>> {
    let (settings, status) = s.services.get_bot_settings(&auth.actor).await?;
    Ok(Json(BotSettingsBody {
        order_number_pattern: settings.order_number_pattern,
        model: ModelStatusBody {
            version: status.version,
            trained_at: status.trained_at,
            needs_retrain: status.needs_retrain,
            own_examples: status.own_examples,
        },
    }))
}

/// Sets the shop's order-number pattern (admins). An invalid regular
/// expression is a 422 naming the problem.
#[utoipa::path(put, path = "/api/v1/bot/settings", tag = "bot", request_body = BotSettingsRequest,
    responses((status = 200, body = BotSettingsBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_settings(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<BotSettingsRequest>,
) -> ApiResult<Json<BotSettingsBody>> {
    s.services
        .set_order_number_pattern(&auth.actor, r.order_number_pattern.as_deref())
        .await?;
    settings_body(&s, &auth).await
}

/// One text of the bot, built-in and the shop's own.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotAnswer {
    /// The intent it answers, or the part of an answer it is.
    #[schema(example = "delivery_period")]
    pub key: String,
    /// `intent`, `orders` or `handoff`.
    #[schema(example = "intent")]
    pub group: String,
    /// Placeholders the text may use, e.g. `number` for `{number}`.
    pub placeholders: Vec<String>,
    /// Null for an intent the shop added.
    pub builtin_nl: Option<String>,
    pub builtin_en: Option<String>,
    /// The shop's own texts; null uses the built-in one.
    pub own_nl: Option<String>,
    pub own_en: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotAnswerList {
    pub data: Vec<BotAnswer>,
}

/// Every text the bot says, with the shop's own versions.
#[utoipa::path(get, path = "/api/v1/bot/answers", tag = "bot",
    responses((status = 200, body = BotAnswerList), (status = 401, body = ErrorBody)))]
pub async fn list_answers(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<BotAnswerList>> {
    let data = s.services.list_bot_answers(&auth.actor).await?;
    Ok(Json(BotAnswerList {
        data: data
            .into_iter()
            .map(|a| BotAnswer {
                key: a.key,
                group: serde_json::to_value(a.group)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                placeholders: a.placeholders,
                builtin_nl: a.builtin_nl,
                builtin_en: a.builtin_en,
                own_nl: a.own_nl,
                own_en: a.own_en,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotAnswerRequest {
    /// The shop's Dutch text; null or "" goes back to the built-in one;
    /// absent keeps it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub nl: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub en: Option<Option<String>>,
}

/// Sets the shop's own texts of one answer (admins). A built-in answer's
/// text may use only its placeholders; at most 2,000 characters.
#[utoipa::path(put, path = "/api/v1/bot/answers/{key}", tag = "bot", params(("key" = String, Path)),
    request_body = BotAnswerRequest,
    responses((status = 200, body = BotAnswer), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_answer(
    State(s): State<AppState>,
    auth: Auth,
    Path(key): Path<String>,
    Json(r): Json<BotAnswerRequest>,
) -> ApiResult<Json<BotAnswer>> {
    for (lang, text) in [("nl", &r.nl), ("en", &r.en)] {
        if let Some(text) = text {
            s.services
                .set_bot_answer(&auth.actor, &key, lang, text.as_deref())
                .await?;
        }
    }
    let Json(list) = list_answers(State(s), auth).await?;
    list.data
        .into_iter()
        .find(|a| a.key == key.trim().to_lowercase())
        .map(Json)
        .ok_or_else(|| ApiError::from(balie_services::ServiceError::NotFound))
}

/// One intent the bot recognises.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotIntent {
    #[schema(example = "track_order")]
    pub intent: String,
    pub builtin_examples: usize,
    pub own_examples: usize,
    /// Whether the bot answers it (else it hands off).
    pub answered: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotIntentList {
    pub data: Vec<BotIntent>,
}

/// The intents the bot knows after the next retrain.
#[utoipa::path(get, path = "/api/v1/bot/intents", tag = "bot",
    responses((status = 200, body = BotIntentList), (status = 401, body = ErrorBody)))]
pub async fn list_intents(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<BotIntentList>> {
    let data = s.services.list_bot_intents(&auth.actor).await?;
    Ok(Json(BotIntentList {
        data: data
            .into_iter()
            .map(|i| BotIntent {
                intent: i.intent,
                builtin_examples: i.builtin_examples,
                own_examples: i.own_examples,
                answered: i.answered,
            })
            .collect(),
    }))
}

/// A training example of the shop's own.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotExample {
    pub id: i64,
    #[schema(example = "gift_wrapping")]
    pub intent: String,
    #[schema(example = "kunnen jullie het als cadeau inpakken?")]
    pub text: String,
    pub created_at: Timestamp,
}

impl From<balie_storage::bot::BotExample> for BotExample {
    fn from(e: balie_storage::bot::BotExample) -> Self {
        BotExample {
            id: e.id,
            intent: e.intent,
            text: e.text,
            created_at: e.created_at,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BotExampleList {
    pub data: Vec<BotExample>,
}

/// The shop's own examples, by intent.
#[utoipa::path(get, path = "/api/v1/bot/examples", tag = "bot",
    responses((status = 200, body = BotExampleList), (status = 401, body = ErrorBody)))]
pub async fn list_examples(
    State(s): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<BotExampleList>> {
    let data = s.services.list_bot_examples(&auth.actor).await?;
    Ok(Json(BotExampleList {
        data: data.into_iter().map(Into::into).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewBotExample {
    /// An existing intent or a new one: `a-z`, `0-9`, `_`, at most 60.
    pub intent: String,
    /// One line, at most 300 characters.
    pub text: String,
}

/// Adds an example (admins); it counts from the next retrain.
#[utoipa::path(post, path = "/api/v1/bot/examples", tag = "bot", request_body = NewBotExample,
    responses((status = 201, body = BotExample), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_example(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewBotExample>,
) -> ApiResult<(StatusCode, Json<BotExample>)> {
    let e = s
        .services
        .add_bot_example(&auth.actor, &r.intent, &r.text)
        .await?;
    Ok((StatusCode::CREATED, Json(e.into())))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BotExamplePatch {
    /// Absent keeps it.
    pub intent: Option<String>,
    /// Absent keeps it.
    pub text: Option<String>,
}

/// Changes an example's intent or text (admins); it counts from the next
/// retrain.
#[utoipa::path(patch, path = "/api/v1/bot/examples/{id}", tag = "bot", params(("id" = i64, Path)),
    request_body = BotExamplePatch,
    responses((status = 200, body = BotExample), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_example(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<BotExamplePatch>,
) -> ApiResult<Json<BotExample>> {
    let e = s
        .services
        .update_bot_example(&auth.actor, id, r.intent.as_deref(), r.text.as_deref())
        .await?;
    Ok(Json(e.into()))
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedExamplesBody {
    pub added: usize,
    /// Examples the shop had already, skipped.
    pub already_there: usize,
}

/// Adds many examples from a TSV file (`text/tab-separated-values` or
/// `text/plain`; `intent<TAB>text` a line, `#` comments), admins only. All
/// or nothing: a bad line is a 422 naming the line. At most 1 MiB.
#[utoipa::path(post, path = "/api/v1/bot/examples/import", tag = "bot",
    request_body(content = String, content_type = "text/tab-separated-values"),
    responses((status = 200, body = ImportedExamplesBody), (status = 403, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_examples(
    State(s): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ImportedExamplesBody>> {
    let mime = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(mime.as_str(), "text/tab-separated-values" | "text/plain") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the examples as text/tab-separated-values",
        ));
    }
    let body = body.map_err(|r| {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "payload_too_large", "the file is larger than 1 MiB")
        } else {
            ApiError::bad_request("invalid_body", r.body_text())
        }
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::validation("tsv: the file is not UTF-8 text"))?;
    let r = s.services.import_bot_examples(&auth.actor, text).await?;
    Ok(Json(ImportedExamplesBody {
        added: r.added,
        already_there: r.already_there,
    }))
}

/// Deletes an example (admins); it goes at the next retrain.
#[utoipa::path(delete, path = "/api/v1/bot/examples/{id}", tag = "bot", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_example(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.services.delete_bot_example(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What a retrain did.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetrainBody {
    pub version: i64,
    pub own_examples: usize,
    pub total_examples: usize,
    pub intents: usize,
    pub train_ms: u64,
}

/// Trains the account's model on Balie's built-in Dutch and English data
/// plus the shop's examples, and puts it to work at once (admins). Takes
/// a second or two.
#[utoipa::path(post, path = "/api/v1/bot/retrain", tag = "bot",
    responses((status = 200, body = RetrainBody), (status = 403, body = ErrorBody)))]
pub async fn retrain(State(s): State<AppState>, auth: Auth) -> ApiResult<Json<RetrainBody>> {
    let r = s.services.retrain_bot(&auth.actor).await?;
    Ok(Json(RetrainBody {
        version: r.version,
        own_examples: r.own_examples,
        total_examples: r.total_examples,
        intents: r.intents,
        train_ms: r.train_ms,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AnalyseRequest {
    /// What a customer might write, at most 1,000 characters.
    #[schema(example = "waar blijft mijn bestelling 1045873?")]
    pub text: String,
}

/// An intent with its probability.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntentScore {
    pub intent: String,
    pub confidence: f32,
}

/// One thing found in the text.
#[derive(Debug, Serialize, ToSchema)]
pub struct FoundEntity {
    /// `order_number`, `tracking_code`, `postcode`, `email`, `phone`,
    /// `amount`, `date`.
    pub kind: String,
    /// As written.
    pub text: String,
    /// Normalised.
    pub value: String,
}

/// What the bot makes of a text.
#[derive(Debug, Serialize, ToSchema)]
pub struct AnalysisBody {
    /// The intent, or `out_of_scope` when the bot is not confident.
    pub intent: String,
    pub confidence: f32,
    pub alternatives: Vec<IntentScore>,
    /// `nl` or `en`.
    pub language: String,
    pub language_confidence: f32,
    /// From -1 (angry) to 1 (happy).
    pub sentiment: f32,
    pub frustrated: bool,
    pub entities: Vec<FoundEntity>,
    /// What the bot would do with it as a customer's first message:
    /// `{"action": "answer", "text"}`, `{"action": "order_flow"}`,
    /// `{"action": "knowledge", "title", "score", "text"}` or
    /// `{"action": "handoff", "reason"}`.
    #[schema(value_type = Object)]
    pub would: serde_json::Value,
}

/// "Try a sentence": what the account's bot understands of a text, with
/// its own model and order-number pattern, and what it would do.
#[utoipa::path(post, path = "/api/v1/bot/analyse", tag = "bot", request_body = AnalyseRequest,
    responses((status = 200, body = AnalysisBody), (status = 422, body = ErrorBody)))]
pub async fn analyse(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<AnalyseRequest>,
) -> ApiResult<Json<AnalysisBody>> {
    let (a, would) = s.services.bot_preview(&auth.actor, &r.text).await?;
    Ok(Json(AnalysisBody {
        would: serde_json::to_value(would).unwrap_or_default(),
        intent: a.intent,
        confidence: a.confidence,
        alternatives: a
            .alternatives
            .into_iter()
            .map(|(intent, confidence)| IntentScore { intent, confidence })
            .collect(),
        language: a.language.code().to_string(),
        language_confidence: a.language_confidence,
        sentiment: a.sentiment.score,
        frustrated: a.sentiment.frustrated,
        entities: a
            .entities
            .into_iter()
            .map(|e| FoundEntity {
                kind: e.kind.name().to_string(),
                text: e.text,
                value: e.value,
            })
            .collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    /// Start of the period: `YYYY-MM-DD` (midnight UTC) or RFC 3339.
    /// Default: 30 days before `to`.
    pub from: Option<String>,
    /// End of the period (exclusive), same forms; default now.
    pub to: Option<String>,
}

/// One intent in the report.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntentFiguresBody {
    pub intent: String,
    pub answered: u64,
    pub handed_off: u64,
    pub automation_rate: f64,
}

/// A handoff reason and how often.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReasonCount {
    #[schema(example = "asked_for_human")]
    pub reason: String,
    pub count: u64,
}

/// How much the bot resolved on its own in a period.
#[derive(Debug, Serialize, ToSchema)]
pub struct BotReportBody {
    pub from: Timestamp,
    pub to: Timestamp,
    /// Conversations with a bot turn in the period.
    pub conversations: u64,
    /// Those the bot did not hand off.
    pub resolved_by_bot: u64,
    pub handed_off: u64,
    /// `resolved_by_bot / conversations`.
    pub automation_rate: f64,
    pub answers: u64,
    pub intents: Vec<IntentFiguresBody>,
    pub handoff_reasons: Vec<ReasonCount>,
}

/// Parses a report bound: `YYYY-MM-DD` or RFC 3339.
pub fn parse_bound(field: &str, value: &str) -> ApiResult<i64> {
    let value = value.trim();
    let rfc = if value.len() == 10 {
        format!("{value}T00:00:00Z")
    } else {
        value.to_string()
    };
    balie_domain::parse_rfc3339(&rfc).ok_or_else(|| {
        ApiError::from(balie_services::ServiceError::invalid(
            field,
            "expected YYYY-MM-DD or an RFC 3339 time",
        ))
    })
}

/// The period of a report from optional bounds, ending now by default.
pub fn report_period(now: i64, from: Option<&str>, to: Option<&str>) -> ApiResult<(i64, i64)> {
    let to = match to.filter(|v| !v.trim().is_empty()) {
        Some(v) => parse_bound("to", v)?,
        None => now,
    };
    let from = match from.filter(|v| !v.trim().is_empty()) {
        Some(v) => parse_bound("from", v)?,
        None => to - 30 * 24 * 3_600_000,
    };
    Ok((from, to))
}

/// The automation report: conversations the bot resolved versus handed
/// off, per intent and per handoff reason.
#[utoipa::path(get, path = "/api/v1/reports/bot", tag = "bot", params(ReportParams),
    responses((status = 200, body = BotReportBody), (status = 422, body = ErrorBody)))]
pub async fn report(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ReportParams>,
) -> ApiResult<Json<BotReportBody>> {
    let (from, to) = report_period(s.services.now(), p.from.as_deref(), p.to.as_deref())?;
    let r = s.services.bot_report(&auth.actor, from, to).await?;
    Ok(Json(BotReportBody {
        from: r.from,
        to: r.to,
        conversations: r.conversations,
        resolved_by_bot: r.resolved_by_bot,
        handed_off: r.handed_off,
        automation_rate: r.automation_rate,
        answers: r.answers,
        intents: r
            .intents
            .into_iter()
            .map(|i| IntentFiguresBody {
                intent: i.intent,
                answered: i.answered,
                handed_off: i.handed_off,
                automation_rate: i.automation_rate,
            })
            .collect(),
        handoff_reasons: r
            .handoff_reasons
            .into_iter()
            .map(|(reason, count)| ReasonCount { reason, count })
            .collect(),
    }))
}

/// Gives a handed-off conversation back to the bot: removes the
/// `bot_handoff` label and the assignee; the bot answers the customer's
/// next message afresh.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/bot/resume", tag = "bot", params(("id" = i64, Path)),
    responses((status = 200, body = Conversation), (status = 404, body = ErrorBody)))]
pub async fn resume(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(s.services.resume_bot(&auth.actor, id).await?))
}
