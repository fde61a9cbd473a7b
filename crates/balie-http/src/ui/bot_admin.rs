//! The bot's pages in the agent UI: "try a sentence" (intent, confidence,
//! runners-up, language, entities, sentiment, with the shop's own model and
//! order-number pattern), the shop's intents and examples with the retrain
//! button, the answers the bot gives, and the automation report. Plain
//! HTML forms with the session's CSRF token; every value escaped. Changes
//! are for admins; every agent may try sentences and read the report.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use balie_services::bot::admin::{Analysis, AnswerView};
use balie_services::bot::answers::AnswerGroup;
use balie_services::bot::BotPreview;
use balie_services::ServiceError;
use serde::Deserialize;

use super::html::{escape_html as e, time};
use super::i18n::Lang;
use super::settings::{forged, message_html, not_admin, shell};
use super::{error_page, html_response, readable_error, remember_lang, AgentPage};
use crate::AppState;

/// The tabs of the bot's pages.
fn bot_nav(lang: Lang, current: &str) -> String {
    let mut s = String::from("<nav class=\"subnav\" aria-label=\"Bot\">");
    for (href, key) in [
        ("/settings/bot", "bot_try"),
        ("/settings/bot/intents", "bot_nav_intents"),
        ("/settings/bot/answers", "bot_nav_answers"),
        ("/reports/bot", "report_bot"),
    ] {
        let here = if href == current {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(s, "<a href=\"{href}\"{here}>{}</a> ", e(lang.t(key)));
    }
    s.push_str("</nav>\n");
    s
}

fn respond(
    page: &AgentPage,
    status: StatusCode,
    path: &str,
    title: &str,
    main: String,
) -> Response {
    remember_lang(
        html_response(status, shell(page, path, title, main)),
        page.chosen_lang,
    )
}

fn hidden_csrf(page: &AgentPage) -> String {
    format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        e(page.csrf())
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct TryQuery {
    #[serde(default)]
    text: String,
    done: Option<String>,
}

/// A handoff reason code in words, with the code for the curious.
fn reason_html(lang: Lang, code: &str) -> String {
    const KNOWN: &[&str] = &[
        "asked_for_human",
        "frustrated",
        "not_understood",
        "not_handled",
        "failed_verification",
        "cancel_order",
        "change_order",
        "change_shipping_address",
        "complaint",
    ];
    match KNOWN.iter().find(|k| **k == code) {
        Some(k) => format!(
            "{} <code class=\"muted\">{}</code>",
            e(lang.t(&format!("reason_{k}"))),
            e(code)
        ),
        None => format!("<code>{}</code>", e(code)),
    }
}

fn preview_html(lang: Lang, would: &BotPreview) -> String {
    let body = match would {
        BotPreview::Answer { text } => format!("<p class=\"bot-would\">{}</p>", e(text)),
        BotPreview::OrderFlow => format!("<p>{}</p>", e(lang.t("bot_would_order"))),
        BotPreview::Knowledge { title, score, text } => format!(
            "<p class=\"muted\">{} “{}” ({:.2})</p><p class=\"bot-would\">{}</p>",
            e(lang.t("bot_would_article")),
            e(title),
            score,
            e(text)
        ),
        BotPreview::Handoff { reason } => format!(
            "<p>{} {}</p>",
            e(lang.t("bot_would_handoff")),
            reason_html(lang, reason)
        ),
    };
    format!(
        "<h3>{}</h3>\n<div id=\"bot-would\">{body}</div>\n",
        e(lang.t("bot_would"))
    )
}

fn analysis_html(lang: Lang, a: &Analysis, would: &BotPreview) -> String {
    let mut result = String::new();
    let _ = write!(
        result,
        "<section class=\"card try-result\" aria-live=\"polite\">\n<h2>{h}</h2>\n<dl class=\"attributes\">\n\
         <dt>{intent_l}</dt><dd><code class=\"intent\">{intent}</code> ({conf:.0}%)</dd>\n\
         <dt>{alt_l}</dt><dd>{alts}</dd>\n\
         <dt>{lang_l}</dt><dd>{language} ({lconf:.0}%)</dd>\n\
         <dt>{sent_l}</dt><dd>{score:+.2}{frustrated}</dd>\n</dl>\n",
        h = e(lang.t("bot_result")),
        intent_l = e(lang.t("bot_intent")),
        intent = e(&a.intent),
        conf = a.confidence * 100.0,
        alt_l = e(lang.t("bot_alternatives")),
        alts = a
            .alternatives
            .iter()
            .map(|(i, c)| format!("<code>{}</code> {:.0}%", e(i), c * 100.0))
            .collect::<Vec<_>>()
            .join(", "),
        lang_l = e(lang.t("bot_language")),
        language = e(a.language.code()),
        lconf = a.language_confidence * 100.0,
        sent_l = e(lang.t("bot_sentiment")),
        score = a.sentiment.score,
        frustrated = if a.sentiment.frustrated {
            format!(" — <strong>{}</strong>", e(lang.t("bot_frustrated")))
        } else {
            String::new()
        },
    );
    let _ = write!(
        result,
        "<h3>{}</h3>\n<ul class=\"entities\">\n",
        e(lang.t("bot_entities"))
    );
    if a.entities.is_empty() {
        let _ = writeln!(
            result,
            "<li class=\"muted\">{}</li>",
            e(lang.t("bot_no_entities"))
        );
    }
    for entity in &a.entities {
        let _ = writeln!(
            result,
            "<li><code>{}</code> “{}” → <strong>{}</strong></li>",
            e(entity.kind.name()),
            e(&entity.text),
            e(&entity.value)
        );
    }
    result.push_str("</ul>\n");
    result.push_str(&preview_html(lang, would));
    result.push_str("</section>\n");
    result
}

/// `GET /settings/bot?text=...`: try a sentence, and (admins) the
/// order-number pattern.
pub async fn try_sentence(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<TryQuery>,
) -> Response {
    let lang = page.lang;
    let text: String = q.text.chars().take(1000).collect();
    let mut result = String::new();
    if !text.trim().is_empty() {
        match state.services.bot_preview(&page.actor, &text).await {
            Ok((a, would)) => result = analysis_html(lang, &a, &would),
            Err(err) => {
                let _ = writeln!(
                    result,
                    "<p class=\"form-error\" role=\"alert\">{}: {}</p>",
                    e(lang.t("bot_failed")),
                    e(&readable_error(lang, &err).1)
                );
            }
        }
    }
    let pattern = if page.actor.role.is_admin() {
        let current = match state.services.get_bot_settings(&page.actor).await {
            Ok((settings, _)) => settings.order_number_pattern.unwrap_or_default(),
            Err(err) => return error_page(lang, &err),
        };
        pattern_form(&page, &current, None)
    } else {
        String::new()
    };
    let notice = (q.done.as_deref() == Some("pattern")).then(|| lang.t("bot_pattern_saved"));
    let main = try_main(&page, &text, &result, &pattern, notice);
    respond(
        &page,
        StatusCode::OK,
        "/settings/bot",
        lang.t("bot_try"),
        main,
    )
}

fn try_main(
    page: &AgentPage,
    text: &str,
    result: &str,
    pattern: &str,
    notice: Option<&str>,
) -> String {
    let lang = page.lang;
    format!(
        "<main class=\"card settings\">\n{nav}<h1>{h1}</h1>\n{messages}<p>{intro}</p>\n\
         <form method=\"get\" action=\"/settings/bot\" class=\"stack\">\n\
         <label>{label}<textarea name=\"text\" rows=\"3\" maxlength=\"1000\" required>{text}</textarea></label>\n\
         <button type=\"submit\" class=\"primary\">{go}</button>\n</form>\n{result}{pattern}</main>",
        nav = bot_nav(lang, "/settings/bot"),
        h1 = e(lang.t("bot_try")),
        messages = message_html(None, notice),
        intro = e(lang.t("bot_try_intro")),
        label = e(lang.t("bot_sentence")),
        text = e(text),
        go = e(lang.t("bot_analyse")),
    )
}

fn pattern_form(page: &AgentPage, value: &str, error: Option<&str>) -> String {
    let lang = page.lang;
    format!(
        "<section id=\"order-number-pattern\">\n<h2>{h}</h2>\n<p class=\"muted\">{intro}</p>\n{messages}\
         <form method=\"post\" action=\"/settings/bot/pattern\" class=\"stack\">{csrf}\n\
         <label>{label}<input type=\"text\" name=\"pattern\" value=\"{value}\" maxlength=\"200\" autocomplete=\"off\" spellcheck=\"false\"></label>\n\
         <button type=\"submit\">{save}</button>\n</form>\n</section>\n",
        h = e(lang.t("bot_pattern")),
        intro = e(lang.t("bot_pattern_intro")),
        messages = message_html(error, None),
        csrf = hidden_csrf(page),
        label = e(lang.t("bot_pattern_label")),
        value = e(value),
        save = e(lang.t("save")),
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct PatternForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pattern: String,
}

/// `POST /settings/bot/pattern`: saves the order-number pattern.
pub async fn save_pattern(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<PatternForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    match state
        .services
        .set_order_number_pattern(&page.actor, Some(&form.pattern))
        .await
    {
        Ok(_) => Redirect::to("/settings/bot?done=pattern").into_response(),
        Err(err @ ServiceError::Invalid { .. }) => {
            let (status, message) = readable_error(page.lang, &err);
            let pattern = pattern_form(&page, &form.pattern, Some(&message));
            let main = try_main(&page, "", "", &pattern, None);
            respond(&page, status, "/settings/bot", page.lang.t("bot_try"), main)
        }
        Err(err) => error_page(page.lang, &err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    done: Option<String>,
    version: Option<i64>,
    examples: Option<usize>,
    intents: Option<usize>,
    ms: Option<u64>,
    added: Option<usize>,
    skipped: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ExampleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    intent: String,
    #[serde(default)]
    text: String,
    /// The import box's text.
    #[serde(default)]
    tsv: String,
}

async fn intents_page(
    state: &AppState,
    page: &AgentPage,
    form: &ExampleForm,
    error: Option<&str>,
    notice: Option<String>,
) -> Result<String, ServiceError> {
    let lang = page.lang;
    let s = &state.services;
    let (_, status) = s.get_bot_settings(&page.actor).await?;
    let intents = s.list_bot_intents(&page.actor).await?;
    let examples = s.list_bot_examples(&page.actor).await?;
    let csrf = hidden_csrf(page);
    let mut model = match status.trained_at {
        Some(at) if status.version > 0 => format!(
            "<p>{}</p>",
            // `time` is markup: fill it in after escaping the sentence.
            e(&lang
                .t("bot_model_version")
                .replace("{version}", &status.version.to_string()))
            .replace("{when}", &time(at.0))
        ),
        _ => format!("<p>{}</p>", e(lang.t("bot_model_builtin"))),
    };
    if status.needs_retrain {
        let _ = write!(
            model,
            "<p class=\"notice warn\" role=\"status\">{}</p>",
            e(lang.t("bot_needs_retrain"))
        );
    }
    let mut datalist = String::new();
    for i in &intents {
        let _ = write!(datalist, "<option value=\"{}\">", e(&i.intent));
    }
    let mut rows = String::new();
    for i in &intents {
        let _ = writeln!(
            rows,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            e(&i.intent),
            i.builtin_examples,
            i.own_examples,
            e(lang.t(if i.answered {
                "bot_answered"
            } else {
                "bot_handoff_only"
            })),
        );
    }
    let mut own = String::new();
    if examples.is_empty() {
        let _ = write!(
            own,
            "<p class=\"empty\">{}</p>",
            e(lang.t("bot_no_examples"))
        );
    } else {
        own.push_str("<ul class=\"examples\">\n");
        for x in &examples {
            let _ = writeln!(
                own,
                "<li data-example-id=\"{id}\"><code>{intent}</code> {text} \
                 <a href=\"/settings/bot/examples/{id}\">{edit}</a> \
                 <form method=\"post\" action=\"/settings/bot/examples/{id}/delete\" class=\"inline\">{csrf}\
                 <button type=\"submit\" class=\"link danger\">{delete}</button></form></li>",
                edit = e(lang.t("edit")),
                id = x.id,
                intent = e(&x.intent),
                text = e(&x.text),
                delete = e(lang.t("delete")),
            );
        }
        own.push_str("</ul>\n");
    }
    let admin_forms = if page.actor.role.is_admin() {
        format!(
            "<form method=\"post\" action=\"/settings/bot/retrain\">{csrf}<button type=\"submit\" class=\"primary\" id=\"btn-retrain\">{retrain}</button></form>\n\
             <h2>{add}</h2>\n<p class=\"muted\">{intro}</p>\n\
             <form method=\"post\" action=\"/settings/bot/examples\" class=\"stack example-form\">{csrf}\n\
             <label>{intent_l}<input type=\"text\" name=\"intent\" value=\"{intent}\" list=\"intent-list\" maxlength=\"60\" required autocomplete=\"off\"></label>\n\
             <datalist id=\"intent-list\">{datalist}</datalist>\n\
             <label>{text_l}<input type=\"text\" name=\"text\" value=\"{text}\" maxlength=\"300\" required></label>\n\
             <button type=\"submit\">{add}</button>\n</form>\n\
             <details class=\"import\"{import_open}><summary>{import_h}</summary>\n<p class=\"muted\">{import_intro}</p>\n\
             <form method=\"post\" action=\"/settings/bot/examples/import\" class=\"stack\">{csrf}\n\
             <label>TSV<textarea name=\"tsv\" rows=\"6\" spellcheck=\"false\" placeholder=\"cadeau_inpakken&#9;kunnen jullie het inpakken?\">{tsv}</textarea></label>\n\
             <button type=\"submit\">{import_go}</button>\n</form>\n</details>\n",
            import_open = if form.tsv.is_empty() { "" } else { " open" },
            import_h = e(lang.t("bot_import")),
            import_intro = e(lang.t("bot_import_intro")),
            import_go = e(lang.t("bot_import_go")),
            tsv = e(&form.tsv),
            retrain = e(lang.t("bot_retrain")),
            add = e(lang.t("bot_add_example")),
            intro = e(lang.t("bot_example_intro")),
            intent_l = e(lang.t("bot_intent")),
            intent = e(&form.intent),
            text_l = e(lang.t("bot_example_text")),
            text = e(&form.text),
        )
    } else {
        String::new()
    };
    Ok(format!(
        "<main class=\"card settings\">\n{nav}<h1>{h1}</h1>\n{messages}<h2>{model_h}</h2>\n{model}{admin_forms}\
         <h2>{own_h}</h2>\n{own}\
         <h2>{intents_h}</h2>\n<table class=\"intents-table\">\n<thead><tr><th>{intent_l}</th><th>{builtin_l}</th><th>{own_l}</th><th></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n</main>",
        nav = bot_nav(lang, "/settings/bot/intents"),
        h1 = e(lang.t("bot_nav_intents")),
        messages = message_html(error, notice.as_deref()),
        model_h = e(lang.t("bot_model")),
        own_h = e(lang.t("bot_own_examples")),
        intents_h = e(lang.t("bot_intents")),
        intent_l = e(lang.t("bot_intent")),
        builtin_l = e(lang.t("bot_builtin_examples")),
        own_l = e(lang.t("bot_own_examples")),
    ))
}

/// The intents page with `status`; a failure to read it is an error page.
async fn intents_response(
    state: &AppState,
    page: &AgentPage,
    status: StatusCode,
    form: &ExampleForm,
    error: Option<&str>,
    notice: Option<String>,
) -> Response {
    match intents_page(state, page, form, error, notice).await {
        Ok(main) => respond(
            page,
            status,
            "/settings/bot/intents",
            page.lang.t("bot_nav_intents"),
            main,
        ),
        Err(err) => error_page(page.lang, &err),
    }
}

/// `GET /settings/bot/intents`: the model, the shop's examples, the intents.
pub async fn intents(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<DoneQuery>,
) -> Response {
    let lang = page.lang;
    let notice = match q.done.as_deref() {
        Some("added") => Some(lang.t("bot_example_added").to_string()),
        Some("deleted") => Some(lang.t("bot_example_deleted").to_string()),
        Some("saved") => Some(lang.t("bot_example_saved").to_string()),
        Some("imported") => Some(
            lang.t("bot_imported")
                .replace("{added}", &q.added.unwrap_or(0).to_string())
                .replace("{skipped}", &q.skipped.unwrap_or(0).to_string()),
        ),
        Some("retrained") => Some(
            lang.t("bot_retrained")
                .replace("{version}", &q.version.unwrap_or(0).to_string())
                .replace("{examples}", &q.examples.unwrap_or(0).to_string())
                .replace("{intents}", &q.intents.unwrap_or(0).to_string())
                .replace("{ms}", &q.ms.unwrap_or(0).to_string()),
        ),
        _ => None,
    };
    intents_response(
        &state,
        &page,
        StatusCode::OK,
        &ExampleForm::default(),
        None,
        notice,
    )
    .await
}

/// `POST /settings/bot/examples`: adds an example.
pub async fn add_example(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<ExampleForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    match state
        .services
        .add_bot_example(&page.actor, &form.intent, &form.text)
        .await
    {
        Ok(_) => Redirect::to("/settings/bot/intents?done=added").into_response(),
        Err(err @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let (status, message) = readable_error(page.lang, &err);
            intents_response(&state, &page, status, &form, Some(&message), None).await
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// The edit page of one example, with `status`.
fn edit_example_page(
    page: &AgentPage,
    status: StatusCode,
    id: i64,
    form: &ExampleForm,
    error: Option<&str>,
) -> Response {
    let lang = page.lang;
    let main = format!(
        "<main class=\"card settings\">\n{nav}<p><a href=\"/settings/bot/intents\">← {back}</a></p>\n<h1>{h1}</h1>\n{messages}\
         <form method=\"post\" action=\"/settings/bot/examples/{id}\" class=\"stack example-form\">{csrf}\n\
         <label>{intent_l}<input type=\"text\" name=\"intent\" value=\"{intent}\" maxlength=\"60\" required autocomplete=\"off\"></label>\n\
         <label>{text_l}<input type=\"text\" name=\"text\" value=\"{text}\" maxlength=\"300\" required></label>\n\
         <button type=\"submit\" class=\"primary\">{save}</button>\n</form>\n</main>",
        nav = bot_nav(lang, "/settings/bot/intents"),
        back = e(lang.t("bot_nav_intents")),
        h1 = e(lang.t("bot_edit_example")),
        messages = message_html(error, None),
        csrf = hidden_csrf(page),
        intent_l = e(lang.t("bot_intent")),
        intent = e(&form.intent),
        text_l = e(lang.t("bot_example_text")),
        text = e(&form.text),
        save = e(lang.t("save")),
    );
    respond(
        page,
        status,
        &format!("/settings/bot/examples/{id}"),
        lang.t("bot_edit_example"),
        main,
    )
}

/// `GET /settings/bot/examples/{id}`: the edit form (admins).
pub async fn edit_example(
    State(state): State<AppState>,
    page: AgentPage,
    Path(id): Path<String>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    match state.services.get_bot_example(&page.actor, id).await {
        Ok(x) => {
            let form = ExampleForm {
                intent: x.intent,
                text: x.text,
                ..Default::default()
            };
            edit_example_page(&page, StatusCode::OK, id, &form, None)
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// `POST /settings/bot/examples/{id}`: saves an edited example.
pub async fn save_example(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Form(form): Form<ExampleForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    match state
        .services
        .update_bot_example(&page.actor, id, Some(&form.intent), Some(&form.text))
        .await
    {
        Ok(_) => Redirect::to("/settings/bot/intents?done=saved").into_response(),
        Err(err @ ServiceError::Invalid { .. }) => {
            let (status, message) = readable_error(page.lang, &err);
            edit_example_page(&page, status, id, &form, Some(&message))
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// `POST /settings/bot/examples/import`: adds the pasted TSV lines.
pub async fn import_examples(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<ExampleForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    match state
        .services
        .import_bot_examples(&page.actor, &form.tsv)
        .await
    {
        Ok(r) => Redirect::to(&format!(
            "/settings/bot/intents?done=imported&added={}&skipped={}",
            r.added, r.already_there
        ))
        .into_response(),
        Err(err @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let (status, message) = readable_error(page.lang, &err);
            intents_response(&state, &page, status, &form, Some(&message), None).await
        }
        Err(err) => error_page(page.lang, &err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /settings/bot/examples/{id}/delete`.
pub async fn delete_example(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    match state.services.delete_bot_example(&page.actor, id).await {
        Ok(()) => Redirect::to("/settings/bot/intents?done=deleted").into_response(),
        Err(err) => error_page(page.lang, &err),
    }
}

/// `POST /settings/bot/retrain`: trains and reports how it went.
pub async fn retrain(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<CsrfForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    match state.services.retrain_bot(&page.actor).await {
        Ok(r) => Redirect::to(&format!(
            "/settings/bot/intents?done=retrained&version={}&examples={}&intents={}&ms={}",
            r.version, r.total_examples, r.intents, r.train_ms
        ))
        .into_response(),
        Err(err) => error_page(page.lang, &err),
    }
}

fn group_key(g: AnswerGroup) -> &'static str {
    match g {
        AnswerGroup::Intent => "bot_group_intent",
        AnswerGroup::Orders => "bot_group_orders",
        AnswerGroup::Handoff => "bot_group_handoff",
    }
}

fn answer_form(
    page: &AgentPage,
    a: &AnswerView,
    draft: Option<(&str, &str)>,
    error: Option<&str>,
) -> String {
    let lang = page.lang;
    let own = a.own_nl.is_some() || a.own_en.is_some();
    let (nl, en) = match draft {
        Some((nl, en)) => (nl.to_string(), en.to_string()),
        None => (
            a.own_nl
                .clone()
                .or(a.builtin_nl.clone())
                .unwrap_or_default(),
            a.own_en
                .clone()
                .or(a.builtin_en.clone())
                .unwrap_or_default(),
        ),
    };
    let placeholders = if a.placeholders.is_empty() {
        String::new()
    } else {
        format!(
            "<p class=\"muted\">{}: <code>{}</code></p>",
            e(lang.t("bot_placeholders")),
            e(&a.placeholders
                .iter()
                .map(|p| format!("{{{p}}}"))
                .collect::<Vec<_>>()
                .join(" "))
        )
    };
    let reset = if own && a.builtin_nl.is_some() {
        format!(
            "<button type=\"submit\" name=\"op\" value=\"reset\">{}</button>",
            e(lang.t("bot_answer_reset"))
        )
    } else {
        String::new()
    };
    format!(
        "<details id=\"answer-{key}\" class=\"answer\"{open}>\n<summary><code>{key}</code>{badge}</summary>\n{placeholders}{messages}\
         <form method=\"post\" action=\"/settings/bot/answers/{key}\" class=\"stack answer-form\">{csrf}\n\
         <label>{nl_l}<textarea name=\"nl\" rows=\"3\" maxlength=\"2000\">{nl}</textarea></label>\n\
         <label>{en_l}<textarea name=\"en\" rows=\"3\" maxlength=\"2000\">{en}</textarea></label>\n\
         <div class=\"buttons\"><button type=\"submit\" name=\"op\" value=\"save\" class=\"primary\">{save}</button>{reset}</div>\n</form>\n</details>\n",
        key = e(&a.key),
        open = if error.is_some() { " open" } else { "" },
        badge = match (own, a.builtin_nl.is_none()) {
            (_, true) => format!(" <span class=\"badge\">{}</span>", e(lang.t("bot_custom_answer"))),
            (true, false) => format!(" <span class=\"badge\">{}</span>", e(lang.t("bot_answer_own"))),
            _ => String::new(),
        },
        messages = message_html(error, None),
        csrf = hidden_csrf(page),
        nl_l = e(lang.t("bot_answer_nl")),
        en_l = e(lang.t("bot_answer_en")),
        save = e(lang.t("save")),
    )
}

fn answers_main(
    page: &AgentPage,
    answers: &[AnswerView],
    failed: Option<(&str, (&str, &str), &str)>,
    notice: Option<&str>,
) -> String {
    let lang = page.lang;
    let mut body = String::new();
    for group in [
        AnswerGroup::Intent,
        AnswerGroup::Orders,
        AnswerGroup::Handoff,
    ] {
        let _ = writeln!(body, "<h2>{}</h2>", e(lang.t(group_key(group))));
        for a in answers.iter().filter(|a| a.group == group) {
            let (draft, error) = match failed {
                Some((key, draft, error)) if key == a.key => (Some(draft), Some(error)),
                _ => (None, None),
            };
            body.push_str(&answer_form(page, a, draft, error));
        }
    }
    format!(
        "<main class=\"card settings\">\n{nav}<h1>{h1}</h1>\n{messages}<p>{intro}</p>\n{body}</main>",
        nav = bot_nav(lang, "/settings/bot/answers"),
        h1 = e(lang.t("bot_nav_answers")),
        messages = message_html(None, notice),
        intro = e(lang.t("bot_answers_intro")),
    )
}

/// `GET /settings/bot/answers`: every text the bot says (admins).
pub async fn answers(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<DoneQuery>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let lang = page.lang;
    match state.services.list_bot_answers(&page.actor).await {
        Ok(all) => {
            let notice = (q.done.as_deref() == Some("saved")).then(|| lang.t("bot_answer_saved"));
            let main = answers_main(&page, &all, None, notice);
            respond(
                &page,
                StatusCode::OK,
                "/settings/bot/answers",
                lang.t("bot_nav_answers"),
                main,
            )
        }
        Err(err) => error_page(lang, &err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct AnswerForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    nl: String,
    #[serde(default)]
    en: String,
}

/// `POST /settings/bot/answers/{key}`: saves both languages (`op=save`; a
/// text equal to the built-in one is stored as "built-in") or goes back to
/// the built-in texts (`op=reset`).
pub async fn save_answer(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(key): Path<String>,
    Form(form): Form<AnswerForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let s = &state.services;
    let all = match s.list_bot_answers(&page.actor).await {
        Ok(all) => all,
        Err(err) => return error_page(page.lang, &err),
    };
    let Some(current) = all.iter().find(|a| a.key == key) else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    let mut result = Ok(());
    for (lang, posted, builtin) in [
        ("nl", &form.nl, &current.builtin_nl),
        ("en", &form.en, &current.builtin_en),
    ] {
        let posted = posted.replace("\r\n", "\n");
        let text = match form.op.as_str() {
            "reset" => None,
            _ if builtin.as_deref().map(str::trim) == Some(posted.trim()) => None,
            _ => Some(posted.as_str()),
        };
        result = s.set_bot_answer(&page.actor, &key, lang, text).await;
        if result.is_err() {
            break;
        }
    }
    match result {
        Ok(()) => {
            Redirect::to(&format!("/settings/bot/answers?done=saved#answer-{key}")).into_response()
        }
        Err(err @ ServiceError::Invalid { .. }) => {
            let (status, message) = readable_error(page.lang, &err);
            let main = answers_main(
                &page,
                &all,
                Some((&key, (&form.nl, &form.en), &message)),
                None,
            );
            respond(
                &page,
                status,
                "/settings/bot/answers",
                page.lang.t("bot_nav_answers"),
                main,
            )
        }
        Err(err) => error_page(page.lang, &err),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct ReportQuery {
    days: Option<String>,
}

/// `GET /reports/bot?days=30`: the automation report (every agent).
pub async fn report(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<ReportQuery>,
) -> Response {
    let lang = page.lang;
    let days: i64 = match q.days.as_deref().map(str::parse::<i64>) {
        None => 30,
        Some(Ok(d)) if (1..=400).contains(&d) => d,
        Some(_) => {
            return error_page(
                lang,
                &ServiceError::invalid("days", "must be a number from 1 to 400"),
            )
        }
    };
    let now = state.services.now();
    let report = match state
        .services
        .bot_report(&page.actor, now + 1 - days * 24 * 3_600_000, now + 1)
        .await
    {
        Ok(r) => r,
        Err(err) => return error_page(lang, &err),
    };
    let mut periods = String::new();
    for d in [1, 7, 30, 90] {
        let here = if d == days {
            " aria-current=\"page\""
        } else {
            ""
        };
        let _ = write!(
            periods,
            "<a href=\"/reports/bot?days={d}\"{here}>{}</a> ",
            e(&if d == 1 {
                lang.t("report_day").to_string()
            } else {
                lang.t("report_days").replace("{n}", &d.to_string())
            })
        );
    }
    let pct = |r: f64| format!("{:.0}%", r * 100.0);
    let body = if report.conversations == 0 {
        format!("<p class=\"empty\">{}</p>", e(lang.t("report_none")))
    } else {
        let mut rows = String::new();
        for i in &report.intents {
            let _ = writeln!(
                rows,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                e(&i.intent),
                i.answered,
                i.handed_off,
                pct(i.automation_rate)
            );
        }
        let mut reasons = String::new();
        for (reason, n) in &report.handoff_reasons {
            let _ = writeln!(
                reasons,
                "<tr><td>{}</td><td>{n}</td></tr>",
                reason_html(lang, reason)
            );
        }
        format!(
            "<dl class=\"attributes report-totals\">\n\
             <dt>{conv_l}</dt><dd id=\"report-conversations\">{conv}</dd>\n\
             <dt>{res_l}</dt><dd id=\"report-resolved\">{res}</dd>\n\
             <dt>{ho_l}</dt><dd id=\"report-handed-off\">{ho}</dd>\n\
             <dt>{rate_l}</dt><dd id=\"report-rate\"><strong>{rate}</strong></dd>\n\
             <dt>{ans_l}</dt><dd>{ans}</dd>\n</dl>\n\
             <h2>{intents_h}</h2>\n<table class=\"report-intents\">\n<thead><tr><th>{intent_l}</th><th>{answered_l}</th><th>{ho_l}</th><th>{rate_l}</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n\
             <h2>{reasons_h}</h2>\n<table class=\"report-reasons\">\n<thead><tr><th>{reason_l}</th><th>{count_l}</th></tr></thead>\n<tbody>\n{reasons}</tbody>\n</table>\n",
            conv_l = e(lang.t("report_conversations")),
            conv = report.conversations,
            res_l = e(lang.t("report_resolved")),
            res = report.resolved_by_bot,
            ho_l = e(lang.t("report_handed_off")),
            ho = report.handed_off,
            rate_l = e(lang.t("report_rate")),
            rate = pct(report.automation_rate),
            ans_l = e(lang.t("report_answers")),
            ans = report.answers,
            intents_h = e(lang.t("bot_intents")),
            intent_l = e(lang.t("bot_intent")),
            answered_l = e(lang.t("bot_answered")),
            reasons_h = e(lang.t("report_reasons")),
            count_l = e(lang.t("report_count")),
            reason_l = e(lang.t("reason")),
        )
    };
    let main = format!(
        "<main class=\"card settings\">\n{nav}<h1>{h1}</h1>\n<p>{intro}</p>\n<p class=\"periods\">{period_l}: {periods}</p>\n{body}</main>",
        nav = bot_nav(lang, "/reports/bot"),
        h1 = e(lang.t("report_bot")),
        intro = e(lang.t("report_intro")),
        period_l = e(lang.t("report_period")),
    );
    respond(
        &page,
        StatusCode::OK,
        &format!("/reports/bot?days={days}"),
        lang.t("report_bot"),
        main,
    )
}
