//! Bad input gets a clear JSON error with a stable code, never a 500, and
//! changes nothing.

use reqwest::header::CONTENT_TYPE;
use serde_json::{json, Value};

use crate::harness::{assert_error, TestApp};

async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> (u16, Value) {
    let mut req = app
        .client
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            app.url(path),
        )
        .bearer_auth(&app.token)
        .body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn api_malformed_bodies_get_stable_error_codes() {
    let app = TestApp::spawn().await;
    let json_ct = Some("application/json");
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (json_ct, b"{\"name\": ".to_vec(), 400, "invalid_json"),
        (json_ct, b"not json".to_vec(), 400, "invalid_json"),
        (
            json_ct,
            b"{\"name\": \"\xff\xfe\"}".to_vec(),
            400,
            "invalid_json",
        ),
        (json_ct, b"".to_vec(), 400, "invalid_json"),
        (
            json_ct,
            b"{\"name\": 42}".to_vec(),
            422,
            "validation_failed",
        ),
        (json_ct, b"[1,2]".to_vec(), 422, "validation_failed"),
        (
            json_ct,
            b"{\"name\": \"X\", \"nmae\": 1}".to_vec(),
            422,
            "validation_failed",
        ),
        (
            Some("text/plain"),
            b"{\"name\": \"X\"}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (
            None,
            b"{\"name\": \"X\"}".to_vec(),
            415,
            "unsupported_media_type",
        ),
    ];
    for (ct, body, status, code) in cases {
        let (got, value) = raw(&app, "POST", "/api/v1/teams", ct, body.clone()).await;
        assert_eq!(
            (got, value["error"].as_str().unwrap_or("")),
            (status, code),
            "body {:?}: {value}",
            String::from_utf8_lossy(&body)
        );
        assert!(value["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let (_, teams) = app.get("/api/v1/teams").await;
    assert!(
        teams["data"].as_array().unwrap().is_empty(),
        "nothing was created"
    );
}

#[tokio::test]
async fn api_oversized_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(2 * 1024 * 1024));
    let (status, value) = raw(
        &app,
        "POST",
        "/api/v1/contacts",
        Some("application/json"),
        huge.into_bytes(),
    )
    .await;
    assert_eq!(
        (status, value["error"].as_str().unwrap()),
        (413, "payload_too_large")
    );
    // A text under the body limit but over the message limit is a validation error.
    let long = "x".repeat(100 * 1024);
    let got = app
        .post("/api/v1/messages/inbound", json!({ "channel": "email", "from": [{"kind": "email", "value": "a@b.nl"}], "text": long }))
        .await;
    assert_error(&got, 422, "validation_failed");
}

#[tokio::test]
async fn api_unknown_ids_paths_and_methods_are_404_or_405() {
    let app = TestApp::spawn().await;
    for path in [
        "/api/v1/contacts/999999",
        "/api/v1/contacts/abc",
        "/api/v1/contacts/-1",
        "/api/v1/contacts/99999999999999999999999",
        "/api/v1/conversations/999999/messages",
        "/api/v1/agents/0",
        "/api/v1/nothing-here",
        "/api/v1/contacts/%FF",
    ] {
        assert_error(&app.get(path).await, 404, "not_found");
    }
    assert_error(
        &app.call("PUT", "/api/v1/contacts", &app.token, Some(json!({})))
            .await,
        405,
        "method_not_allowed",
    );
    assert_error(
        &app.get("/api/v1/conversations?status=weird").await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/conversations?team_id=x").await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/conversations?assignee=someone").await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/events?after=abc").await,
        400,
        "invalid_query",
    );
}

#[tokio::test]
async fn api_invalid_values_never_cause_a_server_error() {
    let app = TestApp::spawn().await;
    let bodies = [
        json!({ "channel": "web_chat", "from": [], "text": "x" }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "not-an-email"}], "text": "x" }),
        json!({ "channel": "web_chat", "from": [{"kind": "phone", "value": "06-123"}], "text": "x" }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "a@b.nl"}], "text": "x", "inbox_id": 999999 }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "a@b.nl"}], "text": "x", "conversation_id": 999999 }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "a@b.nl"}], "text": "\u{0000}", "name": "\u{0007}bell" }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "a@b.nl"}], "text": "x", "external_id": "" }),
        json!({ "channel": "web_chat", "from": [{"kind": "email", "value": "a@b.nl"}], "text": "x", "inbox_id": i64::MAX }),
    ];
    for body in bodies {
        let got = app.post("/api/v1/messages/inbound", body.clone()).await;
        assert_eq!(got.0.as_u16(), 422, "{body} -> {}", got.1);
        assert_eq!(got.1["error"], "validation_failed");
    }
    let (_, contacts) = app.get("/api/v1/contacts").await;
    assert!(
        contacts["data"].as_array().unwrap().is_empty(),
        "no half-made contact was left behind"
    );
    assert_error(
        &app.post("/api/v1/contacts", json!({ "attributes": "x" }))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/conversations", json!({ "contact_id": 999999 }))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.patch("/api/v1/conversations/1", json!({ "status": "open" }))
            .await,
        404,
        "not_found",
    );
}
