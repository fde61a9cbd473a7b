//! The admin's knowledge-base page: the articles (published or draft), a
//! form with the Dutch and English texts side by side, deleting after a
//! confirmation page, and "what would the bot find?" for any question.
//! Plain HTML forms with the session's CSRF token; every value escaped.

use std::fmt::Write as _;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use balie_nlu::language::Language;
use balie_services::knowledge::{
    title_in, KnowledgeInput, KnowledgePatch, CONFIDENT_SCORE, SUGGEST_SCORE,
};
use balie_services::ServiceError;
use balie_storage::knowledge::KnowledgeArticle;
use serde::Deserialize;

use super::html::{escape_html as e, option, time};
use super::i18n::Lang;
use super::settings::{forged, message_html, not_admin, shell};
use super::{error_page, html_response, readable_error, remember_lang, AgentPage};
use crate::api::knowledge::{search_for, KnowledgeSearchParams};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    done: Option<String>,
    /// A question to try.
    q: Option<String>,
    /// `nl`, `en`, or empty to detect.
    search_lang: Option<String>,
}

/// A posted article form; every field optional so a bad post re-renders.
#[derive(Debug, Default, Deserialize)]
pub struct ArticleForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    op: String,
    #[serde(default)]
    title_nl: String,
    #[serde(default)]
    body_nl: String,
    #[serde(default)]
    title_en: String,
    #[serde(default)]
    body_en: String,
    #[serde(default)]
    keywords: String,
    published: Option<String>,
}

impl ArticleForm {
    fn from_article(a: &KnowledgeArticle) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        ArticleForm {
            title_nl: text(&a.title_nl),
            body_nl: text(&a.body_nl),
            title_en: text(&a.title_en),
            body_en: text(&a.body_en),
            keywords: text(&a.keywords),
            published: a.published.then(|| "on".to_string()),
            ..Default::default()
        }
    }

    fn published(&self) -> bool {
        self.published.is_some()
    }
}

fn nlu_lang(lang: Lang) -> Language {
    match lang {
        Lang::Nl => Language::Nl,
        Lang::En => Language::En,
    }
}

fn language_name(lang: Lang, l: Language) -> &'static str {
    match l {
        Language::Nl => lang.t("lang_nl"),
        Language::En => lang.t("lang_en"),
    }
}

/// The fields of the add and edit forms: Dutch and English side by side.
fn article_fields(lang: Lang, f: &ArticleForm) -> String {
    let mut s = String::from("<div class=\"kb-langs\">\n");
    for (code, name, title, body) in [
        ("nl", lang.t("lang_nl"), &f.title_nl, &f.body_nl),
        ("en", lang.t("lang_en"), &f.title_en, &f.body_en),
    ] {
        let _ = write!(
            s,
            "<fieldset class=\"stack\" lang=\"{code}\">\n<legend>{name}</legend>\n\
             <label>{title_l}<input type=\"text\" name=\"title_{code}\" value=\"{title}\" maxlength=\"200\"></label>\n\
             <label>{body_l}<textarea name=\"body_{code}\" rows=\"10\" maxlength=\"20000\">{body}</textarea></label>\n\
             </fieldset>\n",
            name = e(name),
            title_l = e(lang.t("kb_title")),
            title = e(title),
            body_l = e(lang.t("kb_body")),
            body = e(body),
        );
    }
    let _ = write!(
        s,
        "</div>\n<p class=\"muted\">{one}</p>\n\
         <label>{kw_l} <span class=\"muted\">({kw_hint})</span>\
         <input type=\"text\" name=\"keywords\" value=\"{kw}\" maxlength=\"1000\" autocomplete=\"off\"></label>\n\
         <label class=\"check\"><input type=\"checkbox\" name=\"published\" value=\"on\"{checked}> {publish}</label>\n",
        one = e(lang.t("kb_one_language")),
        kw_l = e(lang.t("kb_keywords")),
        kw_hint = e(lang.t("kb_keywords_hint")),
        kw = e(&f.keywords),
        checked = if f.published() { " checked" } else { "" },
        publish = e(lang.t("kb_publish")),
    );
    s
}

fn status_badge(lang: Lang, published: bool) -> String {
    if published {
        format!(
            "<span class=\"badge kb-published\">{}</span>",
            e(lang.t("kb_published"))
        )
    } else {
        format!(
            "<span class=\"badge kb-draft\">{}</span>",
            e(lang.t("kb_draft"))
        )
    }
}

/// The "what would the bot find?" box and, for a question, its hits.
async fn search_section(state: &AppState, page: &AgentPage, q: &ListQuery) -> String {
    let lang = page.lang;
    let question: String = q.q.clone().unwrap_or_default();
    let chosen = q.search_lang.clone().unwrap_or_default();
    let mut languages = String::new();
    for (v, k) in [("", "kb_lang_detect"), ("nl", "lang_nl"), ("en", "lang_en")] {
        languages.push_str(&option(v, lang.t(k), chosen == v));
    }
    let mut s = format!(
        "<section class=\"kb-try\" aria-labelledby=\"kb-try-h\">\n<h2 id=\"kb-try-h\">{h}</h2>\n<p class=\"muted\">{intro}</p>\n\
         <form method=\"get\" action=\"/settings/knowledge\" class=\"kb-search\">\n\
         <label>{q_l}<input type=\"search\" name=\"q\" value=\"{q}\" maxlength=\"1000\" required></label>\n\
         <label>{l_l}<select name=\"search_lang\">{languages}</select></label>\n\
         <button type=\"submit\" class=\"primary\">{go}</button>\n</form>\n",
        h = e(lang.t("kb_try")),
        intro = e(lang.t("kb_try_intro")),
        q_l = e(lang.t("kb_question")),
        q = e(&question),
        l_l = e(lang.t("kb_customer_lang")),
        go = e(lang.t("kb_search_button")),
    );
    if question.trim().is_empty() {
        s.push_str("</section>\n");
        return s;
    }
    let params = KnowledgeSearchParams {
        q: question,
        lang: Some(chosen),
        limit: Some(5),
    };
    match search_for(state, page.actor.account_id, &params).await {
        Ok((searched, hits)) => {
            let _ = writeln!(
                s,
                "<p class=\"muted\">{}: {}</p>",
                e(lang.t("kb_searched_in")),
                e(language_name(lang, searched))
            );
            if hits.is_empty() {
                let _ = writeln!(s, "<p class=\"empty\">{}</p>", e(lang.t("kb_no_hits")));
            } else {
                s.push_str("<ol class=\"kb-hits\">\n");
                for hit in &hits {
                    let verdict = if hit.score >= CONFIDENT_SCORE {
                        ("answer", lang.t("kb_verdict_answer"))
                    } else if hit.score >= SUGGEST_SCORE {
                        ("suggest", lang.t("kb_verdict_suggest"))
                    } else {
                        ("weak", lang.t("kb_verdict_weak"))
                    };
                    let other = if hit.language != searched {
                        format!(" <span class=\"badge\">{}</span>", e(hit.language.code()))
                    } else {
                        String::new()
                    };
                    let _ = writeln!(
                        s,
                        "<li class=\"kb-hit kb-v-{vclass}\" data-article-id=\"{id}\">\
                         <a href=\"/settings/knowledge/{id}\">{title}</a>{other} \
                         <span class=\"kb-score\">{score_l} {score:.2}</span> \
                         <span class=\"muted\">({verdict})</span>\
                         <p class=\"kb-answer\">{answer}</p></li>",
                        vclass = verdict.0,
                        id = hit.article_id,
                        title = e(&hit.title),
                        score_l = e(lang.t("kb_score")),
                        score = hit.score,
                        verdict = e(verdict.1),
                        answer = e(&hit.answer),
                    );
                }
                s.push_str("</ol>\n");
            }
        }
        Err(err) => {
            let (_, message) = readable_error(lang, &err);
            s.push_str(&message_html(Some(&message), None));
        }
    }
    s.push_str("</section>\n");
    s
}

/// The list of articles with the search box.
fn render_list(
    page: &AgentPage,
    all: &[KnowledgeArticle],
    notice: Option<&str>,
    search: &str,
) -> String {
    let lang = page.lang;
    let mut rows = String::new();
    for a in all {
        let mut languages = Vec::new();
        if a.title_nl.is_some() {
            languages.push("NL");
        }
        if a.title_en.is_some() {
            languages.push("EN");
        }
        let _ = writeln!(
            rows,
            "<tr data-article-id=\"{id}\"><td><a href=\"/settings/knowledge/{id}\">{title}</a></td>\
             <td>{languages}</td><td>{status}</td><td>{updated}</td>\
             <td><a href=\"/settings/knowledge/{id}\">{edit}</a></td></tr>",
            id = a.id,
            title = e(title_in(a, nlu_lang(lang))),
            languages = e(&languages.join(" · ")),
            status = status_badge(lang, a.published),
            updated = time(a.updated_at.0),
            edit = e(lang.t("edit")),
        );
    }
    let table = if all.is_empty() {
        format!("<p class=\"empty\">{}</p>", e(lang.t("kb_none")))
    } else {
        format!(
            "<table class=\"canned-table kb-table\">\n<thead><tr><th>{title}</th><th>{languages}</th><th>{status}</th><th>{updated}</th><th></th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>",
            title = e(lang.t("kb_title")),
            languages = e(lang.t("kb_languages")),
            status = e(lang.t("status")),
            updated = e(lang.t("kb_updated")),
        )
    };
    let main = format!(
        "<main class=\"card settings\">\n<h1>{h1}</h1>\n<p>{intro}</p>\n{messages}\
         <p><a class=\"button-link\" href=\"/settings/knowledge/new\">{new}</a></p>\n{table}\n{search}</main>",
        h1 = e(lang.t("kb_settings")),
        intro = e(lang.t("kb_intro")),
        messages = message_html(None, notice),
        new = e(lang.t("kb_new")),
    );
    shell(page, "/settings/knowledge", lang.t("kb_settings"), main)
}

/// The add form (`id` is `None`) or the edit form.
fn render_form(
    page: &AgentPage,
    id: Option<i64>,
    form: &ArticleForm,
    error: Option<&str>,
) -> String {
    let lang = page.lang;
    let (h1, action, op, path) = match id {
        None => (
            lang.t("kb_new"),
            "/settings/knowledge".to_string(),
            "create",
            "/settings/knowledge/new".to_string(),
        ),
        Some(id) => (
            lang.t("kb_edit"),
            format!("/settings/knowledge/{id}"),
            "update",
            format!("/settings/knowledge/{id}"),
        ),
    };
    let delete = match id {
        Some(id) => format!(
            "<p><a class=\"danger\" href=\"/settings/knowledge/{id}/delete\">{}</a></p>\n",
            e(lang.t("delete"))
        ),
        None => String::new(),
    };
    let main = format!(
        "<main class=\"card settings\">\n<p><a href=\"/settings/knowledge\">← {back}</a></p>\n<h1>{h1}</h1>\n{messages}\
         <form method=\"post\" action=\"{action}\" class=\"stack kb-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"op\" value=\"{op}\">\n\
         {fields}<button type=\"submit\" class=\"primary\">{save}</button>\n</form>\n{delete}</main>",
        back = e(lang.t("kb_settings")),
        h1 = e(h1),
        messages = message_html(error, None),
        action = e(&action),
        csrf = e(page.csrf()),
        op = op,
        fields = article_fields(lang, form),
        save = e(lang.t("save")),
    );
    shell(page, &path, h1, main)
}

fn render_confirm_delete(page: &AgentPage, a: &KnowledgeArticle) -> String {
    let lang = page.lang;
    let main = format!(
        "<main class=\"card settings narrow\">\n<h1>{h1}</h1>\n<p>{question}</p>\n\
         <form method=\"post\" action=\"/settings/knowledge/{id}\" class=\"delete-form\">\n\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\n<input type=\"hidden\" name=\"op\" value=\"delete\">\n\
         <button type=\"submit\" class=\"danger\">{delete}</button> <a href=\"/settings/knowledge/{id}\">{cancel}</a>\n</form>\n</main>",
        h1 = e(lang.t("kb_delete_confirm")),
        question = e(&lang
            .t("kb_delete_question")
            .replace("{title}", title_in(a, nlu_lang(lang)))),
        id = a.id,
        csrf = e(page.csrf()),
        delete = e(lang.t("delete")),
        cancel = e(lang.t("cancel")),
    );
    shell(
        page,
        &format!("/settings/knowledge/{}/delete", a.id),
        lang.t("kb_delete_confirm"),
        main,
    )
}

/// `GET /settings/knowledge`: the articles and the search box (admins only).
pub async fn list(
    State(state): State<AppState>,
    page: AgentPage,
    Query(q): Query<ListQuery>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let all = match state.services.all_knowledge(&page.actor).await {
        Ok(all) => all,
        Err(err) => return error_page(page.lang, &err),
    };
    let notice = match q.done.as_deref() {
        Some("saved") => Some(page.lang.t("kb_saved")),
        Some("deleted") => Some(page.lang.t("kb_deleted")),
        _ => None,
    };
    let search = search_section(&state, &page, &q).await;
    let body = render_list(&page, &all, notice, &search);
    remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
}

/// `GET /settings/knowledge/new`: the add form.
pub async fn new(page: AgentPage) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    let form = ArticleForm {
        published: Some("on".into()),
        ..Default::default()
    };
    let body = render_form(&page, None, &form, None);
    remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
}

async fn article(
    state: &AppState,
    page: &AgentPage,
    id: &str,
) -> Result<KnowledgeArticle, Response> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(error_page(page.lang, &ServiceError::NotFound));
    };
    state
        .services
        .get_knowledge(&page.actor, id)
        .await
        .map_err(|err| error_page(page.lang, &err))
}

/// `GET /settings/knowledge/{id}`: the edit form.
pub async fn edit(
    State(state): State<AppState>,
    page: AgentPage,
    Path(id): Path<String>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    match article(&state, &page, &id).await {
        Ok(a) => {
            let body = render_form(&page, Some(a.id), &ArticleForm::from_article(&a), None);
            remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
        }
        Err(res) => res,
    }
}

/// `GET /settings/knowledge/{id}/delete`: asks before deleting.
pub async fn confirm_delete(
    State(state): State<AppState>,
    page: AgentPage,
    Path(id): Path<String>,
) -> Response {
    if let Some(res) = not_admin(&page) {
        return res;
    }
    match article(&state, &page, &id).await {
        Ok(a) => {
            let body = render_confirm_delete(&page, &a);
            remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
        }
        Err(res) => res,
    }
}

fn text(v: &str) -> Option<String> {
    Some(v.to_string()).filter(|v| !v.trim().is_empty())
}

/// `POST /settings/knowledge`: adds an article.
pub async fn create(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<ArticleForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let input = KnowledgeInput {
        title_nl: text(&form.title_nl),
        body_nl: text(&form.body_nl),
        title_en: text(&form.title_en),
        body_en: text(&form.body_en),
        keywords: text(&form.keywords),
        published: form.published(),
    };
    match state.services.create_knowledge(&page.actor, input).await {
        Ok(_) => Redirect::to("/settings/knowledge?done=saved").into_response(),
        Err(err @ (ServiceError::Invalid { .. } | ServiceError::Conflict(_))) => {
            let (status, message) = readable_error(page.lang, &err);
            html_response(status, render_form(&page, None, &form, Some(&message)))
        }
        Err(err) => error_page(page.lang, &err),
    }
}

/// `POST /settings/knowledge/{id}`: saves (`op=update`) or deletes
/// (`op=delete`) an article.
pub async fn change(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Path(id): Path<String>,
    Form(form): Form<ArticleForm>,
) -> Response {
    if let Some(res) = forged(&headers, &page, &form.csrf) {
        return res;
    }
    let Ok(id) = id.parse::<i64>() else {
        return error_page(page.lang, &ServiceError::NotFound);
    };
    let s = &state.services;
    let result = match form.op.as_str() {
        "delete" => s.delete_knowledge(&page.actor, id).await.map(|_| "deleted"),
        "update" => {
            let patch = KnowledgePatch {
                title_nl: Some(text(&form.title_nl)),
                body_nl: Some(text(&form.body_nl)),
                title_en: Some(text(&form.title_en)),
                body_en: Some(text(&form.body_en)),
                keywords: Some(text(&form.keywords)),
                published: Some(form.published()),
            };
            s.update_knowledge(&page.actor, id, patch)
                .await
                .map(|_| "saved")
        }
        _ => Err(ServiceError::invalid("op", page.lang.t("unknown_action"))),
    };
    match result {
        Ok(done) => Redirect::to(&format!("/settings/knowledge?done={done}")).into_response(),
        Err(err @ ServiceError::Invalid { .. }) if form.op == "update" => {
            let (status, message) = readable_error(page.lang, &err);
            html_response(status, render_form(&page, Some(id), &form, Some(&message)))
        }
        Err(err) => error_page(page.lang, &err),
    }
}
