//! Live updates for agents over the WebSocket: replay after the last seen
//! id, live push of committed events, resume after a reconnect, and signals.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

use crate::harness::TestApp;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(
    app: &TestApp,
    token: &str,
    after: i64,
    origin: Option<&str>,
) -> Result<Socket, tokio_tungstenite::tungstenite::Error> {
    let url = format!(
        "{}/api/v1/ws?after={after}",
        app.base.replace("http://", "ws://")
    );
    let mut req = url.into_client_request().unwrap();
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    if let Some(o) = origin {
        req.headers_mut().insert("origin", o.parse().unwrap());
    }
    tokio_tungstenite::connect_async(req).await.map(|(s, _)| s)
}

async fn next_json(socket: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .expect("a frame in time")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

/// Reads frames until `ready`, returning the events replayed before it.
async fn until_ready(socket: &mut Socket) -> (Vec<Value>, i64) {
    let mut events = Vec::new();
    loop {
        let v = next_json(socket).await;
        match v["type"].as_str().unwrap() {
            "event" => events.push(v),
            "ready" => return (events, v["last_event_id"].as_i64().unwrap()),
            other => panic!("unexpected frame {other}: {v}"),
        }
    }
}

#[tokio::test]
async fn api_live_socket_replays_pushes_and_resumes() {
    let app = TestApp::spawn().await;
    let first = app
        .inbound("web_chat", "email", "live@example.nl", "Eerste bericht")
        .await;
    let mut socket = connect(&app, &app.token, 0, None).await.unwrap();
    let (replayed, last) = until_ready(&mut socket).await;
    assert!(replayed
        .iter()
        .any(|e| e["payload"]["message"]["text"] == "Eerste bericht"));
    assert!(replayed
        .windows(2)
        .all(|w| w[0]["id"].as_i64() < w[1]["id"].as_i64()));

    app.inbound("whatsapp", "email", "live@example.nl", "Tweede bericht")
        .await;
    let pushed = next_json(&mut socket).await;
    assert_eq!(pushed["type"], "event");
    assert_eq!(pushed["kind"], "message.created");
    assert_eq!(pushed["payload"]["message"]["text"], "Tweede bericht");
    assert!(pushed["id"].as_i64().unwrap() > last);
    let seen = pushed["id"].as_i64().unwrap();
    drop(socket);

    // Offline for a while: a reply is written; the reconnect with the last id gets exactly what was missed.
    let cid = first["conversation"]["id"].as_i64().unwrap();
    app.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "text": "Antwoord terwijl je weg was" }),
    )
    .await;
    let mut socket = connect(&app, &app.token, seen, None).await.unwrap();
    let (missed, _) = until_ready(&mut socket).await;
    assert_eq!(missed.len(), 1, "{missed:?}");
    assert_eq!(
        missed[0]["payload"]["message"]["text"],
        "Antwoord terwijl je weg was"
    );

    // Another account's events never arrive.
    let (other_token, other_account) = app.other_account().await;
    let mut other = connect(&app, &other_token, 0, None).await.unwrap();
    let (other_events, _) = until_ready(&mut other).await;
    assert!(!other_events.is_empty());
    assert!(
        other_events
            .iter()
            .all(|e| e["account_id"] == json!(other_account)),
        "{other_events:?}"
    );

    // Typing reaches other agents' sockets, not the typist's.
    let (_, agent) = app
        .post(
            "/api/v1/agents",
            json!({ "email": "b@shop.test", "name": "Bram", "password": "bram-password" }),
        )
        .await;
    let bram_actor = balie_services::Actor {
        account_id: agent["account_id"].as_i64().unwrap(),
        agent_id: agent["id"].as_i64().unwrap(),
        role: balie_domain::Role::Agent,
    };
    let (_, tok) = app
        .services
        .create_api_token(&bram_actor, "t")
        .await
        .unwrap();
    let mut bram = connect(&app, &tok, i64::MAX - 1, None).await.unwrap();
    until_ready(&mut bram).await;
    socket
        .send(Message::Text(
            json!({ "type": "typing", "conversation_id": cid })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let signal = next_json(&mut bram).await;
    assert_eq!(signal["type"], "signal");
    assert_eq!(signal["kind"], "typing");
    assert_eq!(signal["actor_name"], "Admin");
    socket
        .send(Message::Text("{\"type\":\"nonsense\"}".into()))
        .await
        .unwrap();
    // Bram's creation was pushed to this socket meanwhile; the error follows.
    let err = loop {
        let frame = next_json(&mut socket).await;
        if frame["type"] == "error" {
            break frame;
        }
        assert_eq!(frame["type"], "event", "{frame}");
    };
    assert_eq!(err["error"], "bad_frame");
}

#[tokio::test]
async fn api_live_socket_refuses_other_origins_and_strangers() {
    let app = TestApp::spawn().await;
    assert!(connect(&app, "blt_nope", 0, None).await.is_err());
    assert!(connect(&app, &app.token, 0, Some("https://evil.example"))
        .await
        .is_err());
    let host = app.base.trim_start_matches("http://").to_string();
    assert!(
        connect(&app, &app.token, 0, Some(&format!("http://{host}")))
            .await
            .is_ok()
    );
}
