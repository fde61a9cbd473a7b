//! The agent inbox: server-rendered pages in Dutch and English, served by the
//! same binary, with a small script (`assets/inbox.js`) for live updates.
//!
//! Pages need the session cookie and send to `/login` without one. Every
//! change is an HTML form posted with the session's CSRF token, so the inbox
//! works without the script; the script posts the same forms with `fetch`
//! (asking for JSON) so a failed send keeps the agent's text.

mod bot_admin;
mod html;
pub mod i18n;
mod inbox_settings;
mod knowledge;
mod pages;
mod settings;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use balie_services::{Actor, ServiceError};
use balie_storage::accounts::Principal;
use serde::Deserialize;

use self::html::{escape_html, url_encode, Shell};
use self::i18n::{Lang, LANG_COOKIE};
use crate::auth::{cookie, SESSION_COOKIE};
use crate::AppState;

/// Routes of the agent web UI.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login_submit))
        .route("/logout", post(logout))
        .route("/inbox", get(pages::inbox))
        .route(
            "/inbox/c/{id}",
            get(pages::conversation).post(pages::conversation_action),
        )
        .route("/inbox/presence", post(pages::presence))
        .route("/settings/bot", get(bot_admin::try_sentence))
        .route("/settings/bot/pattern", post(bot_admin::save_pattern))
        .route("/settings/bot/intents", get(bot_admin::intents))
        .route("/settings/bot/examples", post(bot_admin::add_example))
        .route(
            "/settings/bot/examples/import",
            post(bot_admin::import_examples),
        )
        .route(
            "/settings/bot/examples/{id}",
            get(bot_admin::edit_example).post(bot_admin::save_example),
        )
        .route(
            "/settings/bot/examples/{id}/delete",
            post(bot_admin::delete_example),
        )
        .route("/settings/bot/retrain", post(bot_admin::retrain))
        .route("/settings/bot/answers", get(bot_admin::answers))
        .route("/settings/bot/answers/{key}", post(bot_admin::save_answer))
        .route("/reports/bot", get(bot_admin::report))
        .route("/settings/inboxes", get(inbox_settings::list))
        .route(
            "/settings/inboxes/{id}",
            get(inbox_settings::edit).post(inbox_settings::save),
        )
        .route(
            "/settings/canned",
            get(settings::list).post(settings::create),
        )
        .route(
            "/settings/canned/{id}",
            get(settings::edit).post(settings::change),
        )
        .route(
            "/settings/knowledge",
            get(knowledge::list).post(knowledge::create),
        )
        .route("/settings/knowledge/new", get(knowledge::new))
        .route(
            "/settings/knowledge/{id}",
            get(knowledge::edit).post(knowledge::change),
        )
        .route(
            "/settings/knowledge/{id}/delete",
            get(knowledge::confirm_delete),
        )
        .route("/assets/inbox.js", get(script))
        .route("/assets/inbox.css", get(stylesheet))
}

async fn script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../../assets/inbox.js"),
    )
}

async fn stylesheet() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../../assets/inbox.css"),
    )
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The value of one query parameter (ASCII values only, such as `lang`).
fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// A logged-in agent looking at a page.
pub struct AgentPage {
    pub principal: Principal,
    pub actor: Actor,
    pub lang: Lang,
    /// Set when `?lang=` chose the language, to remember it in a cookie.
    pub chosen_lang: Option<Lang>,
}

impl AgentPage {
    pub fn csrf(&self) -> &str {
        self.principal.csrf_token.as_deref().unwrap_or("")
    }

    /// Whether a posted form carries this session's CSRF token.
    pub fn csrf_ok(&self, sent: &str) -> bool {
        let expected = self.csrf();
        !expected.is_empty()
            && expected.len() == sent.len()
            && expected
                .bytes()
                .zip(sent.bytes())
                .fold(0u8, |acc, (x, y)| acc | (x ^ y))
                == 0
    }
}

impl FromRequestParts<AppState> for AgentPage {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let explicit = query_param(parts.uri.query(), "lang");
        let lang = Lang::pick(explicit, &parts.headers);
        let chosen_lang = explicit.and_then(Lang::parse);
        let to_login = |parts: &Parts| -> Response {
            if wants_json(&parts.headers) {
                return (
                    StatusCode::UNAUTHORIZED,
                    axum::Json(serde_json::json!({
                        "error": "unauthorized",
                        "message": lang.t("csrf_failed"),
                    })),
                )
                    .into_response();
            }
            let next = parts
                .uri
                .path_and_query()
                .map(|p| p.as_str())
                .unwrap_or("/inbox");
            Redirect::to(&format!("/login?next={}", url_encode(next))).into_response()
        };
        let Some(secret) = cookie(parts, SESSION_COOKIE) else {
            return Err(to_login(parts));
        };
        match state.services.authenticate(None, Some(secret)).await {
            Ok(principal) if principal.session_id.is_some() => {
                let actor = Actor {
                    account_id: principal.account_id,
                    agent_id: principal.agent.id,
                    role: principal.agent.role,
                };
                Ok(AgentPage {
                    principal,
                    actor,
                    lang,
                    chosen_lang,
                })
            }
            Ok(_) | Err(ServiceError::Unauthorized) => Err(to_login(parts)),
            Err(e) => Err(error_page(lang, &e)),
        }
    }
}

/// Adds the language cookie when the language was chosen explicitly.
pub fn remember_lang(mut res: Response, chosen: Option<Lang>) -> Response {
    if let Some(l) = chosen {
        let c = format!(
            "{LANG_COOKIE}={}; Path=/; Max-Age=31536000; SameSite=Lax",
            l.code()
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// An HTML page as a response.
pub fn html_response(status: StatusCode, body: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

/// A readable sentence for a failed operation, in the agent's language.
pub fn readable_error(lang: Lang, e: &ServiceError) -> (StatusCode, String) {
    match e {
        ServiceError::NotFound => (StatusCode::NOT_FOUND, lang.t("not_found").to_string()),
        ServiceError::Conflict(m) => (StatusCode::CONFLICT, format!("{}: {m}", lang.t("conflict"))),
        ServiceError::Invalid { field, message } => {
            let message = if message.starts_with(field.as_str()) {
                message.clone()
            } else {
                format!("{field}: {message}")
            };
            (
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("{}: {message}", lang.t("invalid")),
            )
        }
        ServiceError::Forbidden(m) => (
            StatusCode::FORBIDDEN,
            format!("{}: {m}", lang.t("forbidden")),
        ),
        ServiceError::Unauthorized => (StatusCode::UNAUTHORIZED, lang.t("csrf_failed").to_string()),
        ServiceError::RateLimited { retry_after_s } => (
            StatusCode::TOO_MANY_REQUESTS,
            lang.t("rate_limited")
                .replace("{n}", &retry_after_s.to_string()),
        ),
        ServiceError::Storage(err) => {
            tracing::error!(error = %err, "storage error in the web UI");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                lang.t("server_error").to_string(),
            )
        }
    }
}

/// A whole page that only says what went wrong.
pub fn error_page(lang: Lang, e: &ServiceError) -> Response {
    let (status, message) = readable_error(lang, e);
    let main = format!(
        "<main class=\"card narrow\"><h1>Balie</h1><p class=\"error\" role=\"alert\">{}</p>\
         <p><a href=\"/inbox\">{}</a></p></main>",
        escape_html(&message),
        escape_html(lang.t("inbox"))
    );
    let page = Shell {
        lang,
        title: "Balie",
        body_attrs: String::new(),
        csrf: None,
        top: String::new(),
        main,
    };
    html_response(status, page.render())
}

/// Only paths of this site may follow a login.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_string(),
        _ => "/inbox".to_string(),
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    lang: Option<String>,
    bye: Option<String>,
}

async fn login_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    let chosen = q.lang.as_deref().and_then(Lang::parse);
    // Already logged in: straight on.
    let secret = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string());
    if let Some(secret) = secret {
        if state
            .services
            .authenticate(None, Some(&secret))
            .await
            .is_ok()
        {
            let to = safe_next(q.next.as_deref());
            return remember_lang(Redirect::to(&to).into_response(), chosen);
        }
    }
    let notice = q.bye.as_ref().map(|_| lang.t("logged_out").to_string());
    let res = html_response(
        StatusCode::OK,
        render_login(lang, "", q.next.as_deref(), None, notice.as_deref()),
    );
    remember_lang(res, chosen)
}

fn render_login(
    lang: Lang,
    email: &str,
    next: Option<&str>,
    error: Option<&str>,
    notice: Option<&str>,
) -> String {
    let next = safe_next(next);
    let other = lang.other();
    let mut main = format!(
        "<main class=\"card narrow login\">\n<h1>{title}</h1>\n<p>{intro}</p>\n",
        title = escape_html(lang.t("login_title")),
        intro = escape_html(lang.t("login_intro")),
    );
    if let Some(e) = error {
        main.push_str(&format!(
            "<p class=\"error\" role=\"alert\">{}</p>\n",
            escape_html(e)
        ));
    }
    if let Some(n) = notice {
        main.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>\n",
            escape_html(n)
        ));
    }
    main.push_str(&format!(
        "<form method=\"post\" action=\"/login?lang={code}\" class=\"stack\">\n\
         <input type=\"hidden\" name=\"next\" value=\"{next}\">\n\
         <label>{email_l}<input type=\"email\" name=\"email\" value=\"{email}\" autocomplete=\"username\" required autofocus></label>\n\
         <label>{pw_l}<input type=\"password\" name=\"password\" autocomplete=\"current-password\" required></label>\n\
         <button type=\"submit\" class=\"primary\">{button}</button>\n</form>\n\
         <p class=\"lang-switch\"><a href=\"/login?lang={other}&amp;next={next_enc}\" hreflang=\"{other}\">{switch}</a></p>\n</main>",
        code = lang.code(),
        next = escape_html(&next),
        email_l = escape_html(lang.t("email")),
        email = escape_html(email),
        pw_l = escape_html(lang.t("password")),
        button = escape_html(lang.t("login_button")),
        other = other.code(),
        next_enc = escape_html(&url_encode(&next)),
        switch = escape_html(lang.t("language")),
    ));
    Shell {
        lang,
        title: lang.t("login_title"),
        body_attrs: " class=\"page-login\"".into(),
        csrf: None,
        top: String::new(),
        main,
    }
    .render()
}

#[derive(Debug, Default, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    next: Option<String>,
}

async fn login_submit(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
    Form(form): Form<LoginForm>,
) -> Response {
    let lang = Lang::pick(q.lang.as_deref(), &headers);
    if !crate::live::same_origin(&headers) {
        let page = render_login(
            lang,
            &form.email,
            form.next.as_deref(),
            Some(lang.t("bad_origin")),
            None,
        );
        return html_response(StatusCode::FORBIDDEN, page);
    }
    match state
        .services
        .login(&form.email, &form.password, &client.ip().to_string())
        .await
    {
        Ok(session) => {
            // Logging in to the inbox means being there to take conversations.
            let actor = Actor {
                account_id: session.agent.account_id,
                agent_id: session.agent.id,
                role: session.agent.role,
            };
            let online = balie_services::directory::AgentPatch {
                presence: Some(balie_domain::Presence::Online),
                ..Default::default()
            };
            if let Err(e) = state
                .services
                .update_agent(&actor, actor.agent_id, online)
                .await
            {
                tracing::warn!(error = %e, "could not set presence online at login");
            }
            let secure = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|p| p.eq_ignore_ascii_case("https"));
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
                session.token,
                balie_services::auth::SESSION_TTL_MS / 1000,
                if secure { "; Secure" } else { "" }
            );
            let mut res = Redirect::to(&safe_next(form.next.as_deref())).into_response();
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            remember_lang(res, q.lang.as_deref().and_then(Lang::parse))
        }
        Err(e) => {
            let (status, message) = match &e {
                ServiceError::Unauthorized => {
                    (StatusCode::UNAUTHORIZED, lang.t("login_failed").to_string())
                }
                other => readable_error(lang, other),
            };
            let page = render_login(
                lang,
                &form.email,
                form.next.as_deref(),
                Some(&message),
                None,
            );
            html_response(status, page)
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    page: AgentPage,
    Form(form): Form<CsrfForm>,
) -> Response {
    if !crate::live::same_origin(&headers) || !page.csrf_ok(&form.csrf) {
        return error_page(page.lang, &ServiceError::Unauthorized);
    }
    if let Err(e) = state.services.logout(&page.principal).await {
        return error_page(page.lang, &e);
    }
    let mut res = Redirect::to(&format!("/login?bye=1&lang={}", page.lang.code())).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("balie_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_follow_a_login() {
        assert_eq!(safe_next(Some("/inbox/c/3")), "/inbox/c/3");
        assert_eq!(safe_next(Some("//evil.example")), "/inbox");
        assert_eq!(safe_next(Some("https://evil.example")), "/inbox");
        assert_eq!(safe_next(Some("/\\evil.example")), "/inbox");
        assert_eq!(safe_next(None), "/inbox");
    }
}
