//! Live updates for agents over a WebSocket: `GET /api/v1/ws?after=ID`.
//! The server first replays the event log after `after`, then pushes every
//! new event of the account as it commits, each with its id, so a client
//! that reconnects with its last id misses nothing. Clients send typing and
//! viewing signals back.

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use balie_services::{Actor, Live, Services, SignalKind};
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::AppState;

#[derive(Debug, Deserialize)]
pub struct WsParams {
    #[serde(default)]
    pub after: i64,
}

/// What a client may send over the socket.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Typing { conversation_id: i64 },
    StoppedTyping { conversation_id: i64 },
    Viewing { conversation_id: i64 },
    Left { conversation_id: i64 },
    Ping,
}

/// Small buffers: tungstenite's defaults (128 KiB each way) would cost over
/// a gigabyte for 10,000 idle widget sockets; chat frames are small.
pub fn tuned(upgrade: WebSocketUpgrade) -> WebSocketUpgrade {
    upgrade
        .read_buffer_size(4 * 1024)
        .write_buffer_size(4 * 1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(64 * 1024)
        .max_frame_size(64 * 1024)
}

/// Browsers send `Origin` on WebSocket requests; a page of another site must
/// not ride on an agent's cookie.
pub fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true; // not a browser
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
        == Some(host)
}

pub async fn agent_ws(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    Query(params): Query<WsParams>,
    upgrade: WebSocketUpgrade,
) -> ApiResult<Response> {
    if !same_origin(&headers) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "bad_origin",
            "WebSocket from another origin",
        ));
    }
    let services = state.services.clone();
    Ok(tuned(upgrade)
        .on_upgrade(move |socket| serve_agent(socket, services, auth.actor, params.after)))
}

async fn send_json(socket: &mut WebSocket, value: &impl serde::Serialize) -> bool {
    match serde_json::to_string(value) {
        Ok(text) => socket.send(WsMessage::Text(text.into())).await.is_ok(),
        Err(_) => true,
    }
}

/// Sends the log after `last` until caught up; returns the new last id, or
/// `None` when the socket closed.
async fn replay(
    socket: &mut WebSocket,
    services: &Services,
    actor: &Actor,
    mut last: i64,
) -> Option<i64> {
    loop {
        let page = services
            .events_after(actor, last, None, None, 500)
            .await
            .ok()?;
        for event in &page.data {
            if !send_json(socket, &Live::Event(event.clone())).await {
                return None;
            }
            last = event.id;
        }
        if page.next_cursor.is_none() {
            return Some(last);
        }
    }
}

async fn serve_agent(mut socket: WebSocket, services: Services, actor: Actor, after: i64) {
    // Subscribe before replaying, so nothing falls between the two.
    let mut live = services.fanout.subscribe();
    let Some(mut last) = replay(&mut socket, &services, &actor, after.max(0)).await else {
        return;
    };
    let _ = send_json(
        &mut socket,
        &serde_json::json!({ "type": "ready", "last_event_id": last }),
    )
    .await;
    loop {
        tokio::select! {
            received = live.recv() => match received.as_deref() {
                Ok(item) if item.account_id() != actor.account_id => {}
                Ok(item @ Live::Event(event)) => {
                    if event.id > last {
                        last = event.id;
                        if !send_json(&mut socket, item).await { return; }
                    }
                }
                Ok(Live::SessionContact { .. }) => {}
                Ok(item @ Live::Signal(signal)) => {
                    if signal.actor_id == Some(actor.agent_id) && signal.actor_type == balie_domain::AuthorType::Agent { continue; }
                    if !send_json(&mut socket, item).await { return; }
                }
                Err(&RecvError::Lagged(_)) => {
                    match replay(&mut socket, &services, &actor, last).await {
                        Some(l) => last = l,
                        None => return,
                    }
                }
                Err(&RecvError::Closed) => return,
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    let frame = serde_json::from_str::<ClientFrame>(&text);
                    let (conversation_id, kind) = match frame {
                        Ok(ClientFrame::Typing { conversation_id }) => (conversation_id, SignalKind::Typing),
                        Ok(ClientFrame::StoppedTyping { conversation_id }) => (conversation_id, SignalKind::StoppedTyping),
                        Ok(ClientFrame::Viewing { conversation_id }) => (conversation_id, SignalKind::Viewing),
                        Ok(ClientFrame::Left { conversation_id }) => (conversation_id, SignalKind::Left),
                        Ok(ClientFrame::Ping) => {
                            if !send_json(&mut socket, &serde_json::json!({ "type": "pong" })).await { return; }
                            continue;
                        }
                        Err(e) => {
                            let err = serde_json::json!({ "type": "error", "error": "bad_frame", "message": e.to_string() });
                            if !send_json(&mut socket, &err).await { return; }
                            continue;
                        }
                    };
                    if services.signal(&actor, conversation_id, kind).await.is_err() {
                        let err = serde_json::json!({ "type": "error", "error": "not_found", "message": "no such conversation" });
                        if !send_json(&mut socket, &err).await { return; }
                    }
                }
                Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}
