//! Balie's HTTP layer: the JSON API under `/api/v1` (documented by the
//! OpenAPI document generated from these handlers), health checks, and the
//! security headers every response carries.

pub mod api;
pub mod auth;
pub mod error;
pub mod extract;
pub mod live;
pub mod ui;
pub mod widget;
pub mod widget_hub;

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use balie_services::Services;
use tokio::net::TcpListener;

use crate::error::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub services: Services,
    pub widget_hub: std::sync::Arc<widget_hub::WidgetHub>,
}

/// The whole application as one router.
pub fn router(services: Services) -> Router {
    let widget_hub = widget_hub::WidgetHub::start(services.fanout.clone());
    let state = AppState {
        services,
        widget_hub,
    };
    let (api, _) = api::routes().split_for_parts();
    Router::new()
        .merge(api)
        .route("/healthz", get(healthz))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/ws", get(live::agent_ws))
        .route("/", get(home))
        .merge(ui::routes())
        .merge(widget::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// The OpenAPI document of every endpoint, as committed in `docs/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    api::routes().split_for_parts().1
}

async fn openapi_json() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        openapi().to_pretty_json().unwrap_or_else(|_| "{}".into()),
    )
        .into_response()
}

/// 200 when the database answers, 503 otherwise.
async fn healthz(State(state): State<AppState>) -> Response {
    if state.services.store.ping().await {
        (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "status": "ok" })),
        )
            .into_response()
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({ "status": "unavailable" })),
        )
            .into_response()
    }
}

async fn home() -> Response {
    (
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("home.html"),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "this endpoint does not take that method",
    )
}

async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: &'static str, v: &'static str| {
        h.entry(k).or_insert(HeaderValue::from_static(v));
    };
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    set(
        h,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    );
    res
}

/// Serves until `shutdown` resolves; in-flight requests finish first.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    let app = router(services.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Chat frames are small: without TCP_NODELAY, Nagle's algorithm and the
    // peer's delayed ACK hold some of them back for ~40 ms.
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    // Give the pools a moment to flush and close cleanly.
    tokio::time::timeout(Duration::from_secs(5), services.store.close())
        .await
        .ok();
    result
}
