//! The admin's inbox settings: per inbox its name, greetings and offline
//! message in Dutch and English, business hours, whether the bot answers,
//! which websites may embed the chat, and the snippet to embed it with.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use balie_domain::{Channel, Inbox};
use balie_services::{PageRequest, ServiceError};
use serde::Deserialize;
use serde_json::{json, Value};

use super::html::escape_html as e;
use super::settings::{message_html, not_admin, shell};
use super::{error_page, html_response, readable_error, remember_lang, AgentPage};
use crate::AppState;

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const ZONES: [&str; 3] = ["Europe/Amsterdam", "Europe/Brussels", "UTC"];

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
}

/// A posted inbox form; every field optional so a bad post re-renders.
#[derive(Debug, Default, Deserialize)]
pub struct InboxForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    greeting_nl: String,
    #[serde(default)]
    greeting_en: String,
    #[serde(default)]
    offline_message_nl: String,
    #[serde(default)]
    offline_message_en: String,
    #[serde(default)]
    bot: Option<String>,
    #[serde(default)]
    allowed_origins: String,
    #[serde(default)]
    timezone: String,
    #[serde(default)]
    mon: String,
    #[serde(default)]
    tue: String,
    #[serde(default)]
    wed: String,
    #[serde(default)]
    thu: String,
    #[serde(default)]
    fri: String,
    #[serde(default)]
    sat: String,
    #[serde(default)]
    sun: String,
}

impl InboxForm {
    fn day(&self, d: &str) -> &str {
        match d {
            "mon" => &self.mon,
            "tue" => &self.tue,
            "wed" => &self.wed,
            "thu" => &self.thu,
            "fri" => &self.fri,
            "sat" => &self.sat,
            _ => &self.sun,
        }
    }

    fn from_inbox(inbox: &Inbox) -> InboxForm {
        let s = &inbox.settings;
        let text = |k: &str| s.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let hours = s.get("business_hours");
        let day = |d: &str| {
            hours
                .and_then(|h| h.get("week"))
                .and_then(|w| w.get(d))
                .and_then(Value::as_array)
                .map(|spans| {
                    spans
                        .iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default()
        };
        InboxForm {
            csrf: String::new(),
            name: inbox.name.clone(),
            greeting_nl: text("greeting_nl"),
            greeting_en: text("greeting_en"),
            offline_message_nl: text("offline_message_nl"),
            offline_message_en: text("offline_message_en"),
            bot: bot_enabled(inbox).then(|| "on".to_string()),
            allowed_origins: s
                .get("allowed_origins")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("\n")
                })
                .unwrap_or_default(),
            timezone: hours
                .and_then(|h| h.get("timezone"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
            mon: day("mon"),
            tue: day("tue"),
            wed: day("wed"),
            thu: day("thu"),
            fri: day("fri"),
            sat: day("sat"),
            sun: day("sun"),
        }
    }

    /// The inbox's settings with this form applied; keys the form does not
    /// manage (the identity secret, others) are kept.
    fn apply(&self, settings: &Value) -> Value {
        let mut s = settings.as_object().cloned().unwrap_or_default();
        for (key, value) in [
            ("greeting_nl", &self.greeting_nl),
            ("greeting_en", &self.greeting_en),
            ("offline_message_nl", &self.offline_message_nl),
            ("offline_message_en", &self.offline_message_en),
        ] {
            if value.trim().is_empty() {
                s.remove(key);
            } else {
                s.insert(key.into(), json!(value.trim()));
            }
        }
        s.insert("bot".into(), json!(self.bot.is_some()));
        let origins: Vec<&str> = self
            .allowed_origins
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if origins.is_empty() {
            s.remove("allowed_origins");
        } else {
            s.insert("allowed_origins".into(), json!(origins));
        }
        if self.timezone.trim().is_empty() {
            s.remove("business_hours");
        } else {
            let mut week = serde_json::Map::new();
            for d in DAYS {
                let spans: Vec<&str> = self
                    .day(d)
                    .split(',')
                    .map(str::trim)
                    .filter(|x| !x.is_empty())
                    .collect();
                if !spans.is_empty() {
                    week.insert(d.into(), json!(spans));
                }
            }
            s.insert(
                "business_hours".into(),
                json!({ "timezone": self.timezone.trim(), "week": week }),
            );
        }
        Value::Object(s)
    }
}

/// Whether the bot answers in this inbox (on by default for web chat).
fn bot_enabled(inbox: &Inbox) -> bool {
    inbox
        .settings
        .get("bot")
        .and_then(Value::as_bool)
        .unwrap_or(inbox.channel == Channel::WebChat)
}

/// `GET /settings/inboxes`: every inbox, and how to embed the web chat.
pub async fn list(State(state): State<AppState>, headers: HeaderMap, page: AgentPage) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let lang = page.lang;
    let inboxes = match state
        .services
        .list_inboxes(
            &page.actor,
            PageRequest {
                cursor: None,
                limit: 1000,
            },
        )
        .await
    {
        Ok(p) => p.data,
        Err(err) => return error_page(lang, &err),
    };
    let mut rows = String::new();
    for i in &inboxes {
        let snippet = match &i.public_token {
            Some(token) => format!(
                "<pre class=\"snippet\"><code>{}</code></pre>",
                e(&format!(
                    "<script src=\"{}/widget.js\" data-inbox=\"{token}\" async></script>",
                    crate::widget::public_base(&headers, "BALIE_HOST")
                ))
            ),
            None => String::new(),
        };
        let _ = writeln!(
            rows,
            "<li class=\"inbox-row\"><a href=\"/settings/inboxes/{id}\"><strong>{name}</strong></a> <span class=\"muted\">{channel}</span>{snippet}</li>",
            id = i.id,
            name = e(&i.name),
            channel = e(i.channel.as_str()),
        );
    }
    let main = format!(
        "<main class=\"card settings\">\n<h1>{h1}</h1>\n<p>{intro}</p>\n<ul class=\"inbox-list\">\n{rows}</ul>\n</main>",
        h1 = e(lang.t("inbox_settings")),
        intro = e(lang.t("inbox_settings_intro")),
    );
    let body = shell(&page, "/settings/inboxes", lang.t("inbox_settings"), main);
    remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
}

fn render_edit(
    page: &AgentPage,
    inbox: &Inbox,
    form: &InboxForm,
    error: Option<&str>,
    notice: Option<&str>,
) -> String {
    let lang = page.lang;
    let input = |name: &str, label: &str, value: &str| {
        format!(
            "<label>{}<input type=\"text\" name=\"{name}\" value=\"{}\" maxlength=\"500\"></label>\n",
            e(label),
            e(value)
        )
    };
    let mut zones = format!(
        "<option value=\"\"{}>{}</option>",
        if form.timezone.is_empty() {
            " selected"
        } else {
            ""
        },
        e(lang.t("always_open"))
    );
    for z in ZONES {
        let _ = write!(
            zones,
            "<option value=\"{z}\"{}>{z}</option>",
            if form.timezone == z { " selected" } else { "" }
        );
    }
    let mut days = String::new();
    for d in DAYS {
        let _ = writeln!(
            days,
            "<label>{}<input type=\"text\" name=\"{d}\" value=\"{}\" placeholder=\"09:00-17:30\" maxlength=\"100\"></label>",
            e(lang.t(d)),
            e(form.day(d))
        );
    }
    let secret = inbox
        .settings
        .get("identity_secret")
        .and_then(Value::as_str)
        .map(|s| {
            format!(
                "<p class=\"muted\">{}: <code>{}</code></p>\n",
                e(lang.t("identity_secret")),
                e(s)
            )
        });
    let main = format!(
        "<main class=\"card settings\">\n<p><a href=\"/settings/inboxes\">← {back}</a></p>\n<h1>{name}</h1>\n{messages}\
         <form method=\"post\" action=\"/settings/inboxes/{id}\" class=\"stack inbox-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n\
         {name_field}{g_nl}{g_en}{o_nl}{o_en}\
         <label class=\"check\"><input type=\"checkbox\" name=\"bot\"{bot}> {bot_l}</label>\n\
         <label>{origins_l}<textarea name=\"allowed_origins\" rows=\"3\" placeholder=\"https://shop.example\">{origins}</textarea></label>\n\
         <fieldset><legend>{hours_l}</legend>\n<label>{tz_l}<select name=\"timezone\">{zones}</select></label>\n{days}</fieldset>\n\
         {secret}<button type=\"submit\" class=\"primary\">{save}</button>\n</form>\n</main>",
        back = e(lang.t("inbox_settings")),
        name = e(&inbox.name),
        messages = message_html(error, notice),
        id = inbox.id,
        csrf = e(page.csrf()),
        name_field = input("name", lang.t("inbox_name"), &form.name),
        g_nl = input("greeting_nl", lang.t("greeting_nl"), &form.greeting_nl),
        g_en = input("greeting_en", lang.t("greeting_en"), &form.greeting_en),
        o_nl = input("offline_message_nl", lang.t("offline_nl"), &form.offline_message_nl),
        o_en = input("offline_message_en", lang.t("offline_en"), &form.offline_message_en),
        bot = if form.bot.is_some() { " checked" } else { "" },
        bot_l = e(lang.t("bot_answers")),
        origins_l = e(lang.t("allowed_origins")),
        origins = e(&form.allowed_origins),
        hours_l = e(lang.t("business_hours")),
        tz_l = e(lang.t("timezone")),
        secret = secret.unwrap_or_default(),
        save = e(lang.t("save")),
    );
    shell(page, "/settings/inboxes", lang.t("inbox_settings"), main)
}

async fn inbox_of(state: &AppState, page: &AgentPage, id: &str) -> Result<Inbox, ServiceError> {
    let id = id.parse::<i64>().map_err(|_| ServiceError::NotFound)?;
    state.services.get_inbox(&page.actor, id).await
}

/// `GET /settings/inboxes/{id}`.
pub async fn edit(
    State(state): State<AppState>,
    page: AgentPage,
    Path(id): Path<String>,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    match inbox_of(&state, &page, &id).await {
        Ok(inbox) => {
            let notice = q.done.as_deref().map(|_| page.lang.t("inbox_saved"));
            let body = render_edit(&page, &inbox, &InboxForm::from_inbox(&inbox), None, notice);
            remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// `POST /settings/inboxes/{id}`: saves; a bad value re-renders the form
/// with what was typed and a readable message.
pub async fn save(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Form(form): Form<InboxForm>,
) -> Response {
    if !crate::live::same_origin(&headers) || !page.csrf_ok(&form.csrf) {
        return error_page(page.lang, &ServiceError::Unauthorized);
    }
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let inbox = match inbox_of(&state, &page, &id).await {
        Ok(inbox) => inbox,
        Err(err) => return error_page(page.lang, &err),
    };
    let settings = form.apply(&inbox.settings);
    match state
        .services
        .update_inbox(&page.actor, inbox.id, Some(&form.name), Some(settings))
        .await
    {
        Ok(_) => {
            Redirect::to(&format!("/settings/inboxes/{}?done=saved", inbox.id)).into_response()
        }
        Err(err) => {
            let (status, message) = readable_error(page.lang, &err);
            html_response(
                status,
                render_edit(&page, &inbox, &form, Some(&message), None),
            )
        }
    }
}
