//! Authentication of API requests: a bearer API token, or the session cookie
//! of a logged-in agent. Cookie-authenticated requests that change something
//! must also carry the session's CSRF token in `X-CSRF-Token`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use balie_services::Actor;
use balie_storage::accounts::Principal;

use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "balie_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// The authenticated agent of a request.
#[derive(Debug, Clone)]
pub struct Auth {
    pub actor: Actor,
    pub principal: Principal,
}

/// The value of one cookie in the request, if present.
pub fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn bearer(parts: &Parts) -> Result<Option<&str>, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| ApiError::unauthorized())?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim()))
        }
        _ => Err(ApiError::unauthorized()),
    }
}

/// Compares two secrets without an early exit.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(parts)?;
        let session = if token.is_none() {
            cookie(parts, SESSION_COOKIE)
        } else {
            None
        };
        if token.is_none() && session.is_none() {
            return Err(ApiError::unauthorized());
        }
        let principal = state.services.authenticate(token, session).await?;
        if token.is_none() && !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS)
        {
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            let expected = principal.csrf_token.as_deref().unwrap_or("");
            if expected.is_empty() || !same_secret(sent, expected) {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "csrf_failed",
                    "missing or wrong X-CSRF-Token header for a cookie-authenticated request",
                ));
            }
        }
        let actor = Actor {
            account_id: principal.account_id,
            agent_id: principal.agent.id,
            role: principal.agent.role,
        };
        Ok(Auth { actor, principal })
    }
}
