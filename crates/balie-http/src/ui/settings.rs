//! The admin's settings page for canned responses: list, add, edit, delete.
//! Plain HTML forms with the session's CSRF token; every value escaped.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use balie_services::canned::{CannedInput, CannedPatch, CannedQuery};
use balie_services::ServiceError;
use balie_storage::canned::CannedResponse;
use serde::Deserialize;

use super::html::{escape_html as e, option, Shell};
use super::i18n::Lang;
use super::pages::top_bar;
use super::{error_page, html_response, readable_error, remember_lang, AgentPage};
use crate::AppState;

const VARIABLES: &[&str] = &[
    "{{contact.first_name}}",
    "{{contact.name}}",
    "{{agent.first_name}}",
    "{{agent.name}}",
    "{{conversation.id}}",
];

#[derive(Debug, Default, Deserialize)]
pub struct SettingsQuery {
    done: Option<String>,
}

/// A posted canned-response form.
#[derive(Debug, Default, Deserialize)]
pub struct CannedForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    language: String,
}

impl CannedForm {
    fn from_canned(c: &CannedResponse) -> Self {
        CannedForm {
            code: c.code.clone(),
            title: c.title.clone(),
            text: c.text.clone(),
            language: c.language.clone().unwrap_or_default(),
            ..Default::default()
        }
    }
}

fn language_name(lang: Lang, code: Option<&str>) -> &'static str {
    match code {
        Some("nl") => lang.t("lang_nl"),
        Some("en") => lang.t("lang_en"),
        _ => lang.t("lang_any"),
    }
}

/// The fields of the add and edit forms.
fn canned_fields(lang: Lang, f: &CannedForm) -> String {
    let mut languages = String::new();
    for (v, k) in [("", "lang_any"), ("nl", "lang_nl"), ("en", "lang_en")] {
        languages.push_str(&option(v, lang.t(k), f.language == v));
    }
    format!(
        "<label>{code_l} <span class=\"muted\">({hint})</span>\
         <input type=\"text\" name=\"code\" value=\"{code}\" maxlength=\"40\" pattern=\"[A-Za-z0-9_\\-]{{1,40}}\" required autocomplete=\"off\"></label>\n\
         <label>{title_l}<input type=\"text\" name=\"title\" value=\"{title}\" maxlength=\"100\" required></label>\n\
         <label>{lang_l}<select name=\"language\">{languages}</select></label>\n\
         <label>{text_l}<textarea name=\"text\" rows=\"5\" maxlength=\"5000\" required>{text}</textarea></label>\n",
        code_l = e(lang.t("canned_code")),
        hint = e(lang.t("canned_code_hint")),
        code = e(&f.code),
        title_l = e(lang.t("canned_title")),
        title = e(&f.title),
        lang_l = e(lang.t("canned_language")),
        text_l = e(lang.t("canned_text")),
        text = e(&f.text),
    )
}

pub(super) fn shell(page: &AgentPage, path: &str, title: &str, main: String) -> String {
    let lang = page.lang;
    Shell {
        lang,
        title,
        body_attrs: format!(
            " class=\"page-settings\" data-page=\"settings\" data-lang=\"{}\"",
            lang.code()
        ),
        csrf: Some(page.csrf()),
        top: top_bar(page, path),
        main,
    }
    .render()
}

pub(super) fn message_html(error: Option<&str>, notice: Option<&str>) -> String {
    let mut s = String::new();
    if let Some(m) = error {
        let _ = writeln!(s, "<p class=\"error\" role=\"alert\">{}</p>", e(m));
    }
    if let Some(m) = notice {
        let _ = writeln!(s, "<p class=\"notice\" role=\"status\">{}</p>", e(m));
    }
    s
}

/// The list with the add form; `form` refills the add form after an error.
fn render_list(
    page: &AgentPage,
    all: &[CannedResponse],
    form: &CannedForm,
    error: Option<&str>,
    notice: Option<&str>,
) -> String {
    let lang = page.lang;
    let mut rows = String::new();
    for c in all {
        let _ = writeln!(
            rows,
            "<tr data-canned-id=\"{id}\"><td><code>/{code}</code></td><td>{title}</td><td>{language}</td>\
             <td class=\"canned-text\">{text}</td><td><a href=\"/settings/canned/{id}\">{edit}</a></td></tr>",
            id = c.id,
            code = e(&c.code),
            title = e(&c.title),
            language = e(language_name(lang, c.language.as_deref())),
            text = e(&c.text),
            edit = e(lang.t("edit")),
        );
    }
    let table = if all.is_empty() {
        format!("<p class=\"empty\">{}</p>", e(lang.t("canned_none")))
    } else {
        format!(
            "<table class=\"canned-table\">\n<thead><tr><th>{code}</th><th>{title}</th><th>{language}</th><th>{text}</th><th></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>",
            code = e(lang.t("canned_code")),
            title = e(lang.t("canned_title")),
            language = e(lang.t("canned_language")),
            text = e(lang.t("canned_text")),
        )
    };
    let main = format!(
        "<main class=\"card settings\">\n<h1>{h1}</h1>\n<p>{intro}</p>\n\
         <p class=\"muted\">{vars_l}: <code>{vars}</code></p>\n{messages}{table}\n\
         <h2>{add}</h2>\n<form method=\"post\" action=\"/settings/canned\" class=\"stack canned-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"op\" value=\"create\">\n\
         {fields}<button type=\"submit\" class=\"primary\">{add}</button>\n</form>\n</main>",
        h1 = e(lang.t("canned_settings")),
        intro = e(lang.t("canned_intro")),
        vars_l = e(lang.t("canned_variables")),
        vars = e(&VARIABLES.join(" ")),
        messages = message_html(error, notice),
        add = e(lang.t("canned_add")),
        csrf = e(page.csrf()),
        fields = canned_fields(lang, form),
    );
    shell(page, "/settings/canned", lang.t("canned_settings"), main)
}

fn render_edit(page: &AgentPage, id: i64, form: &CannedForm, error: Option<&str>) -> String {
    let lang = page.lang;
    let main = format!(
        "<main class=\"card settings\">\n<p><a href=\"/settings/canned\">← {back}</a></p>\n<h1>{h1}</h1>\n\
         <p class=\"muted\">{vars_l}: <code>{vars}</code></p>\n{messages}\
         <form method=\"post\" action=\"/settings/canned/{id}\" class=\"stack canned-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"op\" value=\"update\">\n\
         {fields}<button type=\"submit\" class=\"primary\">{save}</button>\n</form>\n\
         <form method=\"post\" action=\"/settings/canned/{id}\" class=\"delete-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"op\" value=\"delete\">\n\
         <button type=\"submit\" class=\"danger\">{delete}</button>\n</form>\n</main>",
        back = e(lang.t("canned_settings")),
        h1 = e(lang.t("canned_edit")),
        vars_l = e(lang.t("canned_variables")),
        vars = e(&VARIABLES.join(" ")),
        messages = message_html(error, None),
        csrf = e(page.csrf()),
        fields = canned_fields(lang, form),
        save = e(lang.t("save")),
        delete = e(lang.t("delete")),
    );
    shell(
        page,
        &format!("/settings/canned/{id}"),
        lang.t("canned_edit"),
        main,
    )
}

/// The page refusing an agent who is not an admin, if so.
pub(super) fn not_admin(page: &AgentPage) -> Option<Response> {
    page.actor.require_admin().err().map(|_| {
        error_page(
            page.lang,
            &ServiceError::Forbidden(page.lang.t("admins_only").into()),
        )
    })
}

async fn all_canned(
    state: &AppState,
    page: &AgentPage,
) -> Result<Vec<CannedResponse>, ServiceError> {
    state
        .services
        .list_canned(&page.actor, &CannedQuery::default())
        .await
}

/// `GET /settings/canned`: the list and the add form (admins only).
pub async fn list(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<SettingsQuery>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let all = match all_canned(&state, &page).await {
        Ok(all) => all,
        Err(err) => return error_page(page.lang, &err),
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some(page.lang.t("canned_saved")),
        Some("deleted") => Some(page.lang.t("canned_deleted")),
        _ => None,
    };
    let body = render_list(&page, &all, &CannedForm::default(), None, notice);
    remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
}

/// `GET /settings/canned/{id}`: the edit form (admins only).
pub async fn edit(
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
    match state.services.get_canned(&page.actor, id).await {
        Ok(c) => {
            let body = render_edit(&page, id, &CannedForm::from_canned(&c), None);
            remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// The error page for a form from another origin or without the session's
/// CSRF token, if so.
pub(super) fn forged(headers: &HeaderMap, page: &AgentPage, csrf: &str) -> Option<Response> {
    if !crate::live::same_origin(headers) || !page.csrf_ok(csrf) {
        Some(error_page(page.lang, &ServiceError::Unauthorized))
    } else {
        None
    }
}

fn language_of(form: &CannedForm) -> Option<String> {
    Some(form.language.clone()).filter(|l| !l.is_empty())
}

/// `POST /settings/canned`: adds a canned response.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<CannedForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let input = CannedInput {
        code: form.code.clone(),
        title: form.title.clone(),
        text: form.text.clone(),
        language: language_of(&form),
    };
    match state.services.create_canned(&page.actor, input).await {
        Ok(_) => Redirect::to("/settings/canned?done=saved").into_response(),
        Err(err @ ServiceError::Forbidden(_)) => error_page(page.lang, &err),
        Err(err) => {
            let (status, message) = readable_error(page.lang, &err);
            let all = match all_canned(&state, &page).await {
                Ok(all) => all,
                Err(err) => return error_page(page.lang, &err),
            };
            html_response(
                status,
                render_list(&page, &all, &form, Some(&message), None),
            )
        }
    }
}

/// `POST /settings/canned/{id}`: saves (`op=update`) or deletes
/// (`op=delete`) a canned response.
pub async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    let s = &state.services;
    let result = match form.op.as_str() {
        "delete" => s.delete_canned(&page.actor, id).await.map(|_| "deleted"),
        "update" => {
            let patch = CannedPatch {
                code: Some(form.code.clone()),
                title: Some(form.title.clone()),
                text: Some(form.text.clone()),
                language: Some(language_of(&form)),
            };
            s.update_canned(&page.actor, id, patch)
                .await
                .map(|_| "saved")
        }
        _ => Err(ServiceError::invalid("op", page.lang.t("unknown_action"))),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/settings/canned?done={done}")).into_response(),
        Err(err @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_)))
            if form.op == "update" =>
        {
            let (status, message) = readable_error(page.lang, &err);
            html_response(status, render_edit(&page, id, &form, Some(&message)))
        }
        Err(err) => error_page(page.lang, &err),
    }
}
