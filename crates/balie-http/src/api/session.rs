//! Login and logout of agents, who am I, and API tokens.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use balie_domain::{Account, Agent};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Auth, SESSION_COOKIE};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::Json;
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub agent: Agent,
    /// Send back as `X-CSRF-Token` on every cookie-authenticated change.
    pub csrf_token: String,
    pub expires_at: balie_domain::Timestamp,
}

/// Logs an agent in and sets the session cookie. Rate-limited per email and
/// per client address.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(),
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let session = state
        .services
        .login(&req.email, &req.password, &client.ip().to_string())
        .await?;
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
    let body = LoginResponse {
        agent: session.agent,
        csrf_token: session.csrf_token,
        expires_at: balie_domain::Timestamp(session.expires_at),
    };
    let mut res = Json(body).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(res)
}

/// Ends the current login session.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, auth: Auth) -> ApiResult<Response> {
    state.services.logout(&auth.principal).await?;
    let mut res = StatusCode::NO_CONTENT.into_response();
    res.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("balie_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok(res)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeResponse {
    pub agent: Agent,
    pub account: Account,
}

/// The authenticated agent and their account.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    responses((status = 200, body = MeResponse), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, auth: Auth) -> ApiResult<Json<MeResponse>> {
    let account = state.services.account(&auth.actor).await?;
    Ok(Json(MeResponse {
        agent: auth.principal.agent,
        account,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NewTokenResponse {
    pub id: i64,
    /// The secret, shown only now.
    pub token: String,
}

/// Issues an API token that acts as the calling agent.
#[utoipa::path(post, path = "/api/v1/api-tokens", tag = "auth",
    request_body = NewTokenRequest,
    responses((status = 201, body = NewTokenResponse), (status = 422, body = ErrorBody)))]
pub async fn create_api_token(
    State(state): State<AppState>,
    auth: Auth,
    Json(req): Json<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewTokenResponse>)> {
    let (id, token) = state
        .services
        .create_api_token(&auth.actor, &req.name)
        .await?;
    Ok((StatusCode::CREATED, Json(NewTokenResponse { id, token })))
}
