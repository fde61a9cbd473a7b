//! The public side of the web-chat widget: `/widget.js`, a demo shop page,
//! and the visitor API under `/widget/v1` (sessions, messages, attachments,
//! signals) with live updates over a WebSocket or, where WebSockets are
//! blocked, Server-Sent Events. CORS is open; each inbox may restrict the
//! origins that embed it, and every call is rate-limited.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Multipart, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use balie_domain::{AuthorType, DeliveryStatus, Direction, EventKind, Message, Timestamp};
use balie_services::widget::{
    inbox_open_status, origin_allowed, SignedCustomer, WidgetStart, MAX_ATTACHMENT_BYTES,
};
use balie_services::{Live, ServiceError, Services, SignalKind};
use balie_storage::widget::WidgetSession;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;

use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::widget_hub::WidgetHub;
use crate::AppState;

const WIDGET_JS: &str = include_str!("../assets/widget.js");
const DEMO_SHOP: &str = include_str!("../assets/demo-shop.html");
const MINUTE: i64 = 60_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget_js))
        .route("/demo-shop", get(demo_shop))
        .route(
            "/widget/v1/sessions",
            post(start_session).options(preflight),
        )
        .route(
            "/widget/v1/messages",
            get(list_messages).post(send_message).options(preflight),
        )
        .route("/widget/v1/signals", post(signal).options(preflight))
        .route(
            "/widget/v1/attachments",
            post(upload)
                .options(preflight)
                .layer(DefaultBodyLimit::max(MAX_ATTACHMENT_BYTES + 64 * 1024)),
        )
        .route(
            "/widget/v1/attachments/{id}",
            get(download).options(preflight),
        )
        .route("/widget/v1/ws", get(ws))
        .route("/widget/v1/events", get(sse))
        .layer(middleware::from_fn(cors))
}

/// Echoes the page's origin: the widget sends no cookies, only its bearer
/// session token, so any origin may call; inboxes narrow it per request.
async fn cors(req: Request, next: Next) -> Response {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let mut res = next.run(req).await;
    if let Some(origin) = origin {
        let h = res.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        h.insert(header::VARY, HeaderValue::from_static("Origin"));
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, POST, OPTIONS"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("authorization, content-type, last-event-id"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
    res
}

async fn preflight() -> StatusCode {
    StatusCode::NO_CONTENT
}

async fn widget_js() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "public, max-age=300"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

/// A test shop page with the widget of the account's first web-chat inbox.
async fn demo_shop(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let token = state
        .services
        .first_widget_token()
        .await?
        .ok_or_else(ApiError::not_found)?;
    let page = DEMO_SHOP
        .replace("{{BALIE_BASE}}", &public_base(&headers, "127.0.0.1:8080"))
        .replace("{{INBOX_TOKEN}}", &token);
    Ok((
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // A shop page: its own styles inline, the widget's styles in its shadow root.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'",
            ),
        ],
        page,
    )
        .into_response())
}

/// This server's address as the browser reached it (`http://host:port`,
/// `https` behind a proxy that says so), for pages that embed the widget.
/// The Host header ends up in a page, so only a plain host[:port] is taken;
/// anything else gives `fallback`.
pub(crate) fn public_base(headers: &HeaderMap, fallback: &str) -> String {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
        })
        .unwrap_or(fallback);
    let scheme = match headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    format!("{scheme}://{host}")
}

/// Widget-facing errors say what went wrong in the visitor's terms.
fn widget_error(e: ServiceError) -> ApiError {
    match e {
        ServiceError::Forbidden(m) if m == "bad_identity" => ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_identity",
            "the signed customer identity is not valid",
        ),
        ServiceError::Forbidden(m) => ApiError::new(StatusCode::FORBIDDEN, "bad_origin", m),
        other => other.into(),
    }
}

fn origin(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomerBody {
    id: String,
    hmac: String,
    name: Option<String>,
    email: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartBody {
    inbox: String,
    session: Option<String>,
    #[serde(default)]
    locale: Option<String>,
    customer: Option<CustomerBody>,
    email: Option<String>,
    name: Option<String>,
}

/// A message as the visitor sees it.
#[derive(Debug, Serialize)]
pub struct WidgetMessage {
    id: i64,
    direction: Direction,
    author: AuthorType,
    author_name: Option<String>,
    text: String,
    created_at: Timestamp,
    delivery_status: DeliveryStatus,
    attachments: Vec<serde_json::Value>,
    /// The id the widget gave the message when sending it.
    client_id: Option<String>,
}

fn widget_message(m: &Message, names: &std::collections::HashMap<i64, String>) -> WidgetMessage {
    let author_name = match m.author_type {
        AuthorType::Agent => m.author_id.and_then(|id| names.get(&id).cloned()),
        AuthorType::Bot => Some("Balie bot".into()),
        _ => None,
    };
    WidgetMessage {
        id: m.id,
        direction: m.direction,
        author: m.author_type,
        author_name,
        text: m.text.clone(),
        created_at: m.created_at,
        delivery_status: m.delivery_status,
        client_id: m
            .external_id
            .as_deref()
            .filter(|e| e.starts_with('w'))
            .and_then(|e| e.split_once(':'))
            .map(|(_, c)| c.to_string()),
        attachments: m
            .attachments
            .iter()
            .map(|a| json!({ "id": a.id, "name": a.name, "content_type": a.content_type, "size": a.size, "url": format!("/widget/v1/attachments/{}", a.id) }))
            .collect(),
    }
}

/// The visitor's contact; one who has not written yet owns nothing.
fn visitor_contact(session: &WidgetSession) -> ApiResult<i64> {
    session.contact_id.ok_or_else(ApiError::not_found)
}

fn visible(m: &Message) -> bool {
    !m.private && m.channel == balie_domain::Channel::WebChat
}

async fn start_session(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<StartBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let s = &state.services;
    s.rate_limiter.hit(
        &format!("widget-start:{}", client.ip()),
        30,
        MINUTE,
        s.now(),
    )?;
    let started = s
        .widget_start(WidgetStart {
            inbox_token: body.inbox,
            origin: origin(&headers),
            session: body.session,
            locale: body.locale.unwrap_or_default(),
            customer: body.customer.map(|c| SignedCustomer {
                id: c.id,
                hmac: c.hmac,
                name: c.name,
                email: c.email,
            }),
            email: body.email,
            name: body.name,
        })
        .await
        .map_err(widget_error)?;
    let names = s.agent_names(started.session.account_id).await?;
    let en = started.session.locale == "en";
    let setting = |key: &str| {
        let localized = format!("{key}_{}", if en { "en" } else { "nl" });
        started
            .inbox
            .settings
            .get(&localized)
            .or_else(|| started.inbox.settings.get(key))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let status = inbox_open_status(&started.inbox, s.now());
    let offline_default = if en {
        "We're away right now. Leave your message and we'll answer as soon as we're back."
    } else {
        "We zijn nu niet bereikbaar. Laat je bericht achter, dan antwoorden we zodra we er weer zijn."
    };
    Ok(Json(json!({
        "session": started.token,
        "inbox": {
            "name": started.inbox.name,
            "greeting": setting("greeting"),
            "online": status.open,
            "offline_message": (!status.open).then(|| setting("offline_message").unwrap_or_else(|| offline_default.to_string())),
            "next_open": status.next_open_ms.map(Timestamp),
        },
        "messages": started.messages.iter().filter(|m| visible(m)).map(|m| widget_message(m, &names)).collect::<Vec<_>>(),
        "last_event_id": started.last_event_id,
    })))
}

/// The visitor's session, from `Authorization: Bearer wss_...` or
/// `?session=` (for WebSocket and EventSource, which cannot set headers).
pub struct Visitor(pub WidgetSession);

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let from_header = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(|t| t.trim().to_string());
        let from_query = parts.uri.query().and_then(|q| {
            q.split('&')
                .find_map(|kv| kv.strip_prefix("session="))
                .map(|v| v.to_string())
        });
        let token = from_header
            .or(from_query)
            .filter(|t| !t.is_empty())
            .ok_or_else(ApiError::unauthorized)?;
        let session = state
            .services
            .widget_session(&token)
            .await
            .map_err(widget_error)?;
        let inbox = state.services.widget_inbox(&session).await?;
        if !origin_allowed(&inbox, origin(&parts.headers).as_deref()) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "bad_origin",
                "this website may not use this chat",
            ));
        }
        Ok(Visitor(session))
    }
}

#[derive(Debug, Deserialize)]
struct AfterParams {
    #[serde(default)]
    after: i64,
}

async fn list_messages(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    Query(p): Query<AfterParams>,
) -> ApiResult<Json<serde_json::Value>> {
    let names = state.services.agent_names(session.account_id).await?;
    let messages = state.services.widget_messages(&session, p.after).await?;
    Ok(Json(
        json!({ "messages": messages.iter().filter(|m| visible(m)).map(|m| widget_message(m, &names)).collect::<Vec<_>>() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    text: String,
    client_id: Option<String>,
    #[serde(default)]
    attachment_ids: Vec<i64>,
}

async fn send_message(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    Json(body): Json<SendBody>,
) -> ApiResult<(StatusCode, Json<WidgetMessage>)> {
    let s = &state.services;
    s.rate_limiter
        .hit(&format!("widget-send:{}", session.id), 60, MINUTE, s.now())?;
    let mut attachments = Vec::new();
    for id in body.attachment_ids.iter().take(10) {
        let (meta, _) = s
            .attachment(session.account_id, *id, Some(visitor_contact(&session)?))
            .await
            .map_err(|_| ApiError::validation("attachment_ids: no such attachment"))?;
        attachments.push(meta);
    }
    let message = s
        .widget_send(&session, &body.text, body.client_id.as_deref(), attachments)
        .await?;
    // The visitor's own message names no agent.
    let names = std::collections::HashMap::new();
    Ok((StatusCode::CREATED, Json(widget_message(&message, &names))))
}

/// Uploads one file (multipart field `file`) and sends it as a message.
async fn upload(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    mut multipart: Multipart,
) -> ApiResult<(StatusCode, Json<WidgetMessage>)> {
    let s = &state.services;
    s.rate_limiter.hit(
        &format!("widget-upload:{}", session.id),
        10,
        MINUTE,
        s.now(),
    )?;
    let bad = |m: &str| ApiError::bad_request("invalid_upload", m.to_string());
    let too_large = || {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "files are at most 10 MB",
        )
    };
    let (mut file, mut client_id) = (None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| bad(&e.body_text()))?
    {
        match field.name() {
            Some("file") => {
                let name = field.file_name().unwrap_or("bestand").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_large()
                    } else {
                        bad(&e.body_text())
                    }
                })?;
                file = Some((name, bytes));
            }
            Some("client_id") => {
                client_id = Some(field.text().await.map_err(|e| bad(&e.body_text()))?)
            }
            _ => {}
        }
    }
    let (name, bytes) = file.ok_or_else(|| bad("no `file` field in the form"))?;
    if bytes.len() > MAX_ATTACHMENT_BYTES {
        return Err(too_large());
    }
    if balie_services::widget::sniff_content_type(&bytes).is_none() {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "only PNG, JPEG, GIF, WebP images and PDF files",
        ));
    }
    let names = std::collections::HashMap::new();
    // A resend of an upload whose answer got lost is stored once.
    if let Some(existing) = s
        .widget_message_by_client_id(&session, client_id.as_deref())
        .await?
    {
        return Ok((StatusCode::OK, Json(widget_message(&existing, &names))));
    }
    let meta = s.widget_attachment(&session, &name, &bytes).await?;
    let session = s.widget_session_by_id(session.id).await?;
    let message = s
        .widget_send(&session, "", client_id.as_deref(), vec![meta])
        .await?;
    Ok((StatusCode::CREATED, Json(widget_message(&message, &names))))
}

/// Serves an attachment to the visitor whose conversation holds it.
async fn download(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    let (meta, data) = state
        .services
        .attachment(session.account_id, id, Some(visitor_contact(&session)?))
        .await?;
    Ok(attachment_response(&meta, data))
}

/// Headers that keep an uploaded file from ever running as a page.
pub fn attachment_response(meta: &balie_domain::AttachmentMeta, data: Vec<u8>) -> Response {
    let disposition = if meta.content_type.starts_with("image/") {
        "inline"
    } else {
        "attachment"
    };
    let safe_name: String = meta
        .name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "._- ".contains(*c))
        .collect();
    let mut res = (StatusCode::OK, data).into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&meta.content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(&format!("{disposition}; filename=\"{safe_name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox; default-src 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=3600"),
    );
    res
}

/// What a visitor's client may send over the socket (or POST to /signals).
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum VisitorFrame {
    Typing { typing: bool },
    Read { message_id: i64 },
    Ping,
}

/// Acts on a client frame; returns a reply frame if one is due.
async fn handle_frame(
    services: &Services,
    session: &WidgetSession,
    frame: VisitorFrame,
) -> Option<serde_json::Value> {
    let now = services.now();
    if services
        .rate_limiter
        .hit(&format!("widget-signal:{}", session.id), 240, MINUTE, now)
        .is_err()
    {
        return Some(json!({ "type": "error", "error": "rate_limited", "message": "slow down" }));
    }
    let result = match frame {
        VisitorFrame::Typing { typing } => services.widget_typing(session, typing).await,
        VisitorFrame::Read { message_id } => {
            services
                .widget_mark(session, message_id, DeliveryStatus::Read)
                .await
        }
        VisitorFrame::Ping => return Some(json!({ "type": "pong" })),
    };
    result
        .err()
        .map(|_| json!({ "type": "error", "error": "not_found", "message": "no such message" }))
}

async fn signal(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    body: axum::body::Bytes,
) -> ApiResult<Response> {
    let frame: VisitorFrame = serde_json::from_slice(&body)
        .map_err(|e| ApiError::validation(format!("not a signal: {e}")))?;
    match handle_frame(&state.services, &session, frame).await {
        Some(reply) if reply["type"] == "error" => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            reply["message"].as_str().unwrap_or("").to_string(),
        )),
        Some(reply) => Ok(axum::Json(reply).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// Produces the visitor's frames: the log after `after`, then live events
/// and agent typing, until the receiver goes away.
async fn feed(
    services: Services,
    hub: Arc<WidgetHub>,
    mut session: WidgetSession,
    after: i64,
    tx: mpsc::Sender<(Option<i64>, serde_json::Value)>,
) {
    let mut sub = hub.subscribe(session.id, session.contact_id);
    let mut names = services
        .agent_names(session.account_id)
        .await
        .unwrap_or_default();
    let mut last = after.max(0);
    // Frames for one event; agent replies shown to the visitor are delivered.
    async fn frames_for(
        services: &Services,
        session: &WidgetSession,
        names: &mut std::collections::HashMap<i64, String>,
        event: &balie_domain::Event,
    ) -> Option<serde_json::Value> {
        match event.kind {
            EventKind::MessageCreated => {
                let message: Message =
                    serde_json::from_value(event.payload.get("message")?.clone()).ok()?;
                if !visible(&message) {
                    return None;
                }
                if let Some(agent) = message
                    .author_id
                    .filter(|_| message.author_type == AuthorType::Agent)
                {
                    if !names.contains_key(&agent) {
                        *names = services
                            .agent_names(session.account_id)
                            .await
                            .unwrap_or_default();
                    }
                }
                Some(
                    json!({ "type": "message", "event_id": event.id, "message": widget_message(&message, names) }),
                )
            }
            EventKind::MessageStatusChanged => Some(json!({
                "type": "status", "event_id": event.id,
                "message_ids": event.payload.get("message_ids"), "delivery_status": event.payload.get("delivery_status"),
            })),
            _ => None,
        }
    }
    let mut to_deliver: Vec<(i64, i64)> = Vec::new();
    // Replay.
    loop {
        let Ok(events) = services.widget_events_after(&session, last, 500).await else {
            return;
        };
        for event in &events {
            last = event.id;
            if let Some(frame) = frames_for(&services, &session, &mut names, event).await {
                if tx.send((Some(event.id), frame)).await.is_err() {
                    return;
                }
            }
        }
        if events.len() < 500 {
            break;
        }
    }
    if tx
        .send((None, json!({ "type": "ready", "last_event_id": last })))
        .await
        .is_err()
    {
        return;
    }
    loop {
        let received = tokio::select! {
            _ = tx.closed() => return,
            r = sub.rx.recv() => r,
        };
        let Some(received) = received else { return };
        let received: Result<&Live, &RecvError> = if sub.lagged.swap(false, Ordering::Relaxed) {
            Err(&RecvError::Lagged(0))
        } else {
            Ok(&received)
        };
        match received {
            Ok(Live::Event(event))
                if event.account_id == session.account_id
                    && event.contact_id.is_some()
                    && event.contact_id == session.contact_id =>
            {
                if event.id <= last {
                    continue;
                }
                last = event.id;
                if let Some(frame) = frames_for(&services, &session, &mut names, event).await {
                    if frame["message"]["direction"] == "out" {
                        if let Some(id) = frame["message"]["id"].as_i64() {
                            to_deliver.push((id, event.id));
                        }
                    }
                    if tx.send((Some(event.id), frame)).await.is_err() {
                        return;
                    }
                }
                for (message_id, _) in to_deliver.drain(..) {
                    let _ = services
                        .widget_mark(&session, message_id, DeliveryStatus::Delivered)
                        .await;
                }
            }
            Ok(Live::Signal(sig))
                if sig.account_id == session.account_id
                    && Some(sig.contact_id) == session.contact_id
                    && sig.actor_type == AuthorType::Agent =>
            {
                let typing = sig.kind == SignalKind::Typing;
                if matches!(sig.kind, SignalKind::Typing | SignalKind::StoppedTyping)
                    && tx.send((None, json!({ "type": "typing", "typing": typing, "agent_name": sig.actor_name }))).await.is_err()
                {
                    return;
                }
            }
            Ok(Live::SessionContact {
                session_id,
                contact_id,
                ..
            }) if *session_id == session.id => {
                // The visitor's first message made their contact: from now on
                // their conversation's events are theirs.
                session.contact_id = Some(*contact_id);
                sub.contact_id = Some(*contact_id);
            }
            Ok(_) => {}
            Err(&RecvError::Lagged(_)) => {
                // Catch up from the log.
                let Ok(events) = services.widget_events_after(&session, last, 500).await else {
                    return;
                };
                for event in &events {
                    last = event.id;
                    if let Some(frame) = frames_for(&services, &session, &mut names, event).await {
                        if tx.send((Some(event.id), frame)).await.is_err() {
                            return;
                        }
                    }
                }
            }
            Err(&RecvError::Closed) => return,
        }
    }
}

async fn ws(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    Query(p): Query<WsParams>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let (services, hub) = (state.services.clone(), state.widget_hub.clone());
    crate::live::tuned(upgrade)
        .on_upgrade(move |socket| serve_ws(socket, services, hub, session, p.after))
}

#[derive(Debug, Deserialize)]
struct WsParams {
    #[serde(default)]
    after: i64,
    #[serde(default)]
    #[allow(dead_code)]
    session: Option<String>,
}

async fn serve_ws(
    mut socket: WebSocket,
    services: Services,
    hub: Arc<WidgetHub>,
    mut session: WidgetSession,
    after: i64,
) {
    let (tx, mut rx) = mpsc::channel(256);
    tokio::spawn(feed(services.clone(), hub, session.clone(), after, tx));
    loop {
        tokio::select! {
            out = rx.recv() => match out {
                Some((_, frame)) => {
                    if socket.send(WsMessage::Text(frame.to_string().into())).await.is_err() { return; }
                }
                None => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let reply = match serde_json::from_str::<VisitorFrame>(&text) {
                        Ok(frame) => {
                            if session.contact_id.is_none() {
                                // The first message may have made the contact since.
                                if let Ok(fresh) = services.widget_session_by_id(session.id).await {
                                    session = fresh;
                                }
                            }
                            handle_frame(&services, &session, frame).await
                        },
                        Err(e) => Some(json!({ "type": "error", "error": "bad_frame", "message": e.to_string() })),
                    };
                    if let Some(reply) = reply {
                        if socket.send(WsMessage::Text(reply.to_string().into())).await.is_err() { return; }
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// The same frames as Server-Sent Events, for networks that block
/// WebSockets; `Last-Event-ID` resumes like `after`.
async fn sse(
    State(state): State<AppState>,
    Visitor(session): Visitor,
    headers: HeaderMap,
    Query(p): Query<WsParams>,
) -> Sse<impl futures_util::Stream<Item = Result<SseEvent, Infallible>>> {
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(p.after);
    let (tx, rx) = mpsc::channel(256);
    tokio::spawn(feed(
        state.services.clone(),
        state.widget_hub.clone(),
        session,
        after,
        tx,
    ));
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let (id, frame) = rx.recv().await?;
        let mut event = SseEvent::default().data(frame.to_string());
        if let Some(id) = id {
            event = event.id(id.to_string());
        }
        Some((Ok(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
