//! The chat widget's server side: anonymous and signed visitors, messages
//! both ways over the WebSocket with resume, the SSE fallback, read receipts,
//! attachments, allowed origins, offline hours and rate limits.

use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::harness::TestApp;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// A web-chat inbox of the test account: (id, widget token, identity secret).
/// These tests predate the self-service bot and count every message, so the
/// inbox has the bot off unless `settings` says `"bot"` (see `bot.rs`).
pub async fn chat_inbox(app: &TestApp, mut settings: Value) -> (i64, String, String) {
    if settings.get("bot").is_none() {
        settings["bot"] = json!(false);
    }
    let (status, inbox) = app
        .post(
            "/api/v1/inboxes",
            json!({ "name": "Webchat", "channel": "web_chat", "settings": settings }),
        )
        .await;
    assert_eq!(status, 201, "{inbox}");
    (
        inbox["id"].as_i64().unwrap(),
        inbox["public_token"].as_str().unwrap().to_string(),
        inbox["settings"]["identity_secret"]
            .as_str()
            .unwrap()
            .to_string(),
    )
}

pub async fn start(app: &TestApp, body: Value, origin: Option<&str>) -> (StatusCode, Value) {
    let mut req = app.client.post(app.url("/widget/v1/sessions")).json(&body);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    let res = req.send().await.unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn send(app: &TestApp, session: &str, body: Value) -> (StatusCode, Value) {
    let res = app
        .client
        .post(app.url("/widget/v1/messages"))
        .bearer_auth(session)
        .json(&body)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

async fn upload(app: &TestApp, session: &str, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    );
    let res = app
        .client
        .post(app.url("/widget/v1/attachments"))
        .bearer_auth(session)
        .multipart(form)
        .send()
        .await
        .unwrap();
    (res.status(), res.json().await.unwrap_or(Value::Null))
}

/// A PNG sent by a widget visitor of the test account; returns its id.
pub async fn upload_png(app: &TestApp) -> i64 {
    let (_, token, _) = chat_inbox(app, json!({})).await;
    let (_, s) = start(app, json!({ "inbox": token }), None).await;
    let (status, message) = upload(
        app,
        s["session"].as_str().unwrap(),
        "foto.png",
        PNG.to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{message}");
    message["attachments"][0]["id"].as_i64().unwrap()
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn socket(app: &TestApp, session: &str, after: i64) -> Socket {
    let url = format!(
        "{}/widget/v1/ws?session={session}&after={after}",
        app.base.replace("http://", "ws://")
    );
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

async fn frame(s: &mut Socket) -> Value {
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), s.next())
            .await
            .expect("a frame")
            .unwrap()
            .unwrap();
        if let WsMessage::Text(t) = msg {
            return serde_json::from_str(&t).unwrap();
        }
    }
}

async fn frame_of(s: &mut Socket, kind: &str) -> Value {
    loop {
        let f = frame(s).await;
        if f["type"] == kind {
            return f;
        }
    }
}

#[tokio::test]
async fn widget_visitor_and_agent_chat_live_and_resume_after_a_drop() {
    let app = TestApp::spawn().await;
    let (_, token, _) =
        chat_inbox(&app, json!({ "greeting_nl": "Hoi!", "greeting_en": "Hi!" })).await;
    let (status, s) = start(
        &app,
        json!({ "inbox": token, "locale": "en-GB", "session": null }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{s}");
    assert_eq!(s["inbox"]["greeting"], "Hi!");
    assert_eq!(s["inbox"]["online"], true);
    let session = s["session"].as_str().unwrap().to_string();
    // Opening the widget is no contact yet: only writing makes one.
    let (_, contacts) = app.get("/api/v1/contacts").await;
    assert!(
        contacts["data"].as_array().unwrap().is_empty(),
        "{contacts}"
    );

    let mut ws = socket(&app, &session, s["last_event_id"].as_i64().unwrap()).await;
    frame_of(&mut ws, "ready").await;
    let (status, mine) = send(
        &app,
        &session,
        json!({ "text": "Waar is mijn pakketje?", "client_id": "c1" }),
    )
    .await;
    assert_eq!(status, 201, "{mine}");
    assert_eq!(mine["direction"], "in");
    // A resend after a network error is stored once.
    let (_, again) = send(
        &app,
        &session,
        json!({ "text": "Waar is mijn pakketje?", "client_id": "c1" }),
    )
    .await;
    assert_eq!(again["id"], mine["id"]);
    let echoed = frame_of(&mut ws, "message").await;
    assert_eq!(echoed["message"]["id"], mine["id"]);
    assert_eq!(echoed["message"]["client_id"], "c1");
    let (_, contacts) = app.get("/api/v1/contacts").await;
    assert_eq!(contacts["data"].as_array().unwrap().len(), 1);

    // The agent sees it in the inbox and replies; the widget gets it live.
    let (_, list) = app.get("/api/v1/conversations?channel=web_chat").await;
    let cid = list["data"][0]["id"].as_i64().unwrap();
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    assert_eq!(messages["data"].as_array().unwrap().len(), 1);
    app.post(
        &format!("/api/v1/conversations/{cid}/messages"),
        json!({ "text": "Het komt morgen!" }),
    )
    .await;
    let note = app
        .post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "interne notitie", "private": true }),
        )
        .await;
    assert_eq!(note.0, 201);
    let reply = frame_of(&mut ws, "message").await;
    assert_eq!(reply["message"]["text"], "Het komt morgen!");
    assert_eq!(reply["message"]["author"], "agent");
    assert_eq!(reply["message"]["author_name"], "Admin");
    let reply_id = reply["message"]["id"].as_i64().unwrap();
    // Shown to the visitor means delivered; the visitor reading it means read.
    let delivered = frame_of(&mut ws, "status").await;
    assert_eq!(delivered["delivery_status"], "delivered");
    ws.send(WsMessage::Text(
        json!({ "type": "read", "message_id": reply_id })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let read = frame_of(&mut ws, "status").await;
    assert_eq!(read["delivery_status"], "read");
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    assert_eq!(messages["data"][1]["delivery_status"], "read");
    let last_seen = read["event_id"].as_i64().unwrap();

    // Agent typing reaches the widget.
    let mut agent_ws = {
        let url = format!("{}/api/v1/ws?after=0", app.base.replace("http://", "ws://"));
        let mut req =
            tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                .unwrap();
        req.headers_mut().insert(
            "authorization",
            format!("Bearer {}", app.token).parse().unwrap(),
        );
        tokio_tungstenite::connect_async(req).await.unwrap().0
    };
    frame_of(&mut agent_ws, "ready").await;
    agent_ws
        .send(WsMessage::Text(
            json!({ "type": "typing", "conversation_id": cid })
                .to_string()
                .into(),
        ))
        .await
        .unwrap();
    let typing = frame_of(&mut ws, "typing").await;
    assert_eq!(
        (typing["typing"].as_bool(), typing["agent_name"].as_str()),
        (Some(true), Some("Admin"))
    );
    // Visitor typing reaches the agent.
    ws.send(WsMessage::Text(
        json!({ "type": "typing", "typing": true })
            .to_string()
            .into(),
    ))
    .await
    .unwrap();
    let signal = frame_of(&mut agent_ws, "signal").await;
    assert_eq!(
        (
            signal["actor_type"].as_str(),
            signal["conversation_id"].as_i64()
        ),
        (Some("contact"), Some(cid))
    );

    // The connection drops; the agent writes twice meanwhile; the reconnect resumes.
    drop(ws);
    for text in ["Nog één ding", "Track & trace: 3SABCD1234567"] {
        app.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": text }),
        )
        .await;
    }
    let mut ws = socket(&app, &session, last_seen).await;
    let first = frame_of(&mut ws, "message").await;
    let second = frame_of(&mut ws, "message").await;
    assert_eq!(
        (
            first["message"]["text"].as_str(),
            second["message"]["text"].as_str()
        ),
        (Some("Nog één ding"), Some("Track & trace: 3SABCD1234567"))
    );
    frame_of(&mut ws, "ready").await;

    // A page reload resumes the session with its history (private note hidden).
    let (_, resumed) = start(&app, json!({ "inbox": token, "session": session }), None).await;
    assert_eq!(resumed["session"].as_str().unwrap(), session);
    let texts: Vec<&str> = resumed["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "Waar is mijn pakketje?",
            "Het komt morgen!",
            "Nog één ding",
            "Track & trace: 3SABCD1234567"
        ]
    );
}

#[tokio::test]
async fn widget_signed_customers_get_their_history_and_forgeries_nothing() {
    let app = TestApp::spawn().await;
    let (_, token, secret) = chat_inbox(&app, json!({})).await;
    let (_, emma) = app
        .post("/api/v1/contacts", json!({ "name": "Emma", "identities": [{ "kind": "shop_customer_id", "value": "C-1001" }, { "kind": "email", "value": "emma@example.nl" }] }))
        .await;
    let sig = balie_services::widget::sign_customer(&secret, "C-1001");
    let (status, s) = start(
        &app,
        json!({ "inbox": token, "customer": { "id": "C-1001", "hmac": sig } }),
        None,
    )
    .await;
    assert_eq!(status, 200, "{s}");
    let session = s["session"].as_str().unwrap();
    send(&app, session, json!({ "text": "Hoi, ik ben het" })).await;
    let (_, timeline) = app
        .get(&format!("/api/v1/contacts/{}/timeline", emma["id"]))
        .await;
    assert_eq!(timeline["data"][0]["text"], "Hoi, ik ben het");

    // A wrong signature, or a signature for someone else, is refused.
    for (id, hmac) in [
        ("C-1001", "00".repeat(32)),
        ("C-1002", sig.clone()),
        ("C-1001", "not-hex".to_string()),
    ] {
        let (status, body) = start(
            &app,
            json!({ "inbox": token, "customer": { "id": id, "hmac": hmac } }),
            None,
        )
        .await;
        assert_eq!(
            (status.as_u16(), body["error"].as_str()),
            (403, Some("bad_identity")),
            "{id}"
        );
    }
    // An anonymous visitor claiming Emma's email does not get her history.
    let (_, anon) = start(
        &app,
        json!({ "inbox": token, "email": "emma@example.nl", "name": "Not Emma" }),
        None,
    )
    .await;
    assert!(anon["messages"].as_array().unwrap().is_empty());
    let (_, mine) = send(
        &app,
        anon["session"].as_str().unwrap(),
        json!({ "text": "Geef me Emma's bestellingen" }),
    )
    .await;
    assert_eq!(mine["direction"], "in");
    let (_, timeline) = app
        .get(&format!("/api/v1/contacts/{}/timeline", emma["id"]))
        .await;
    assert_eq!(
        timeline["data"].as_array().unwrap().len(),
        1,
        "Emma's history is untouched"
    );
    // Reusing Emma's session token while claiming to be anonymous starts a new one.
    let (_, other) = start(&app, json!({ "inbox": token, "session": session }), None).await;
    assert_ne!(other["session"].as_str().unwrap(), session);
    assert!(other["messages"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn widget_origins_offline_hours_and_bad_input() {
    let app = TestApp::spawn().await;
    let closed = json!({ "allowed_origins": ["https://shop.example"], "business_hours": { "timezone": "UTC", "week": { "mon": ["00:00-00:01"] } },
                         "offline_message_nl": "We zijn er maandag weer." });
    let (_, token, _) = chat_inbox(&app, closed).await;
    let (status, body) = start(
        &app,
        json!({ "inbox": token }),
        Some("https://evil.example"),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (403, Some("bad_origin"))
    );
    let (status, s) = start(
        &app,
        json!({ "inbox": token, "locale": "nl" }),
        Some("https://shop.example"),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(s["inbox"]["online"], false);
    assert_eq!(s["inbox"]["offline_message"], "We zijn er maandag weer.");
    assert!(s["inbox"]["next_open"].as_str().unwrap().ends_with('Z'));
    // Offline, the message is still taken.
    let session = s["session"].as_str().unwrap();
    assert_eq!(
        send(&app, session, json!({ "text": "Bel me terug" }))
            .await
            .0,
        201
    );

    assert_eq!(
        start(&app, json!({ "inbox": "wgt_unknown" }), None).await.0,
        404
    );
    assert_eq!(
        start(&app, json!({ "inbox": token, "surprise": 1 }), None)
            .await
            .0,
        422
    );
    assert_eq!(
        send(&app, "wss_forged", json!({ "text": "x" })).await.0,
        401
    );
    assert_eq!(send(&app, session, json!({ "text": "   " })).await.0, 422);
    assert_eq!(app.get("/api/v1/inboxes").await.0, 200);
    let bad_settings = app.post("/api/v1/inboxes", json!({ "name": "X", "channel": "web_chat", "settings": { "business_hours": { "timezone": "UTC", "week": { "mon": ["late"] } } } })).await;
    assert_eq!(bad_settings.0, 422);
    // Preflight from the shop's page.
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/widget/v1/messages"))
        .header("origin", "https://shop.example")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://shop.example"
    );
    let js = app.client.get(app.url("/widget.js")).send().await.unwrap();
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/javascript"));
}

#[tokio::test]
async fn widget_attachments_are_checked_by_content_and_private_to_their_visitor() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let (_, s) = start(&app, json!({ "inbox": token }), None).await;
    let session = s["session"].as_str().unwrap();
    let (status, message) = upload(&app, session, "../../etc/foto.png", PNG.to_vec()).await;
    assert_eq!(status, 201, "{message}");
    let att = &message["attachments"][0];
    assert_eq!(
        (att["name"].as_str(), att["content_type"].as_str()),
        (Some("foto.png"), Some("image/png"))
    );
    let url = app.url(att["url"].as_str().unwrap());
    let got = app
        .client
        .get(&url)
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["content-type"], "image/png");
    assert!(got.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains("sandbox"));
    assert_eq!(got.bytes().await.unwrap().as_ref(), PNG);
    // Agents can fetch it too; another visitor cannot.
    let agent = app
        .client
        .get(app.url(&format!("/api/v1/attachments/{}", att["id"])))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(agent.status(), 200);
    let (_, other) = start(&app, json!({ "inbox": token }), None).await;
    let stranger = app
        .client
        .get(&url)
        .bearer_auth(other["session"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 404);

    // A resent upload with the same client id is stored once.
    let form = |id: &str| {
        reqwest::multipart::Form::new()
            .text("client_id", id.to_string())
            .part(
                "file",
                reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("twee.png"),
            )
    };
    let url_up = app.url("/widget/v1/attachments");
    let first: Value = app
        .client
        .post(&url_up)
        .bearer_auth(session)
        .multipart(form("u1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let again = app
        .client
        .post(&url_up)
        .bearer_auth(session)
        .multipart(form("u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    assert_eq!(again.json::<Value>().await.unwrap()["id"], first["id"]);
    let (status, body) = upload(
        &app,
        session,
        "evil.html",
        b"<html><script>alert(1)</script>".to_vec(),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, body) = upload(
        &app,
        session,
        "huge.pdf",
        [b"%PDF-1.7\n".as_slice(), &vec![b'x'; 11 * 1024 * 1024]].concat(),
    )
    .await;
    assert_eq!(
        (status.as_u16(), body["error"].as_str()),
        (413, Some("payload_too_large"))
    );
}

#[tokio::test]
async fn widget_events_fall_back_to_server_sent_events() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let (_, s) = start(&app, json!({ "inbox": token }), None).await;
    let session = s["session"].as_str().unwrap();
    send(&app, session, json!({ "text": "Hallo via SSE" })).await;
    let res = app
        .client
        .get(app.url(&format!("/widget/v1/events?session={session}&after=0")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut stream = res.bytes_stream();
    let mut text = String::new();
    while !text.contains("\"ready\"") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(10), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains("Hallo via SSE"), "{text}");
    assert!(text.lines().any(|l| l.starts_with("id: ")), "{text}");
    // Signals go by POST when there is no socket.
    let res = app
        .client
        .post(app.url("/widget/v1/signals"))
        .bearer_auth(session)
        .body(json!({ "type": "typing", "typing": true }).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test]
async fn widget_session_starts_are_rate_limited_per_client() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let mut last = StatusCode::OK;
    for _ in 0..31 {
        last = start(&app, json!({ "inbox": token }), None).await.0;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn widget_demo_shop_page_refuses_a_hostile_host_header() {
    let app = TestApp::spawn().await;
    chat_inbox(&app, json!({})).await;
    let page = app
        .client
        .get(app.url("/demo-shop"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&app.base),
        "the page embeds the widget from this server"
    );
    let res = app
        .client
        .get(app.url("/demo-shop"))
        .header("host", "evil.example\"><script>alert(1)</script>")
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script>alert(1)</script>"));
    assert!(!page.contains("evil.example"));
}
