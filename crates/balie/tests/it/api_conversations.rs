//! Conversations across channels (R3), replies, notes, status and
//! assignment, deduplication, and the event log.

use serde_json::json;

use crate::harness::{assert_error, TestApp};

#[tokio::test]
async fn api_conversation_continues_across_channels_and_replies_follow_the_customer() {
    let app = TestApp::spawn().await;
    let chat = app
        .inbound("web_chat", "email", "noah@example.be", "Where is my order?")
        .await;
    let cid = chat["conversation"]["id"].as_i64().unwrap();
    let (status, reply) = app
        .post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "Let me check." }),
        )
        .await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["channel"], "web_chat");
    assert_eq!(reply["direction"], "out");
    assert_eq!(reply["author_type"], "agent");
    // He calls; the agent logs the call in the same conversation.
    let (status, call) = app
        .post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "Called: still not there", "channel": "phone", "direction": "in" }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(call["author_type"], "contact");
    // Then he emails; the thread continues and the next reply goes by email.
    let mail = app
        .inbound("email", "email", "noah@example.be", "Any news?")
        .await;
    assert_eq!(mail["conversation"]["id"].as_i64().unwrap(), cid);
    let (_, reply) = app
        .post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "It arrives tomorrow." }),
        )
        .await;
    assert_eq!(reply["channel"], "email");
    let (_, note) = app
        .post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "VIP", "private": true }),
        )
        .await;
    assert_eq!(note["private"], true);
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    let channels: Vec<&str> = messages["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["channel"].as_str().unwrap())
        .collect();
    assert_eq!(
        channels,
        ["web_chat", "web_chat", "phone", "email", "email", "email"]
    );
    let (_, conv) = app.get(&format!("/api/v1/conversations/{cid}")).await;
    assert_eq!(conv["last_channel"], "email");
    assert_error(
        &app.post(
            &format!("/api/v1/conversations/{cid}/messages"),
            json!({ "text": "   " }),
        )
        .await,
        422,
        "validation_failed",
    );
}

#[tokio::test]
async fn api_status_assignment_labels_and_reopen_on_customer_reply() {
    let app = TestApp::spawn().await;
    let first = app
        .inbound("whatsapp", "phone", "0612345678", "Kan ik nog annuleren?")
        .await;
    let cid = first["conversation"]["id"].as_i64().unwrap();
    let (_, team) = app.post("/api/v1/teams", json!({ "name": "Orders" })).await;
    let (status, c) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "assignee_id": app.admin_id, "team_id": team["id"], "labels": ["Annuleren", "annuleren", "vip"], "priority": "high" }),
        )
        .await;
    assert_eq!(status, 200, "{c}");
    assert_eq!(c["assignee_id"].as_i64().unwrap(), app.admin_id);
    assert_eq!(c["labels"], json!(["annuleren", "vip"]));
    assert_eq!(c["priority"], "high");
    let (_, mine) = app.get("/api/v1/conversations?assignee=me&label=vip").await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 1);
    let (_, unassigned) = app.get("/api/v1/conversations?assignee=none").await;
    assert!(unassigned["data"].as_array().unwrap().is_empty());

    assert_error(
        &app.patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "status": "snoozed" }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "assignee_id": 999999 }),
        )
        .await,
        422,
        "validation_failed",
    );
    let (_, resolved) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "status": "resolved", "assignee_id": null }),
        )
        .await;
    assert_eq!(resolved["status"], "resolved");
    assert!(resolved["assignee_id"].is_null());
    // A new message after resolution starts a new conversation.
    let next = app
        .inbound("whatsapp", "phone", "+31612345678", "Nog een vraag")
        .await;
    assert_ne!(next["conversation"]["id"].as_i64().unwrap(), cid);
    // A pending conversation reopens when the customer writes.
    let next_id = next["conversation"]["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/conversations/{next_id}"),
        json!({ "status": "pending" }),
    )
    .await;
    let again = app.inbound("sms", "phone", "06 12345678", "Hallo?").await;
    assert_eq!(again["conversation"]["id"].as_i64().unwrap(), next_id);
    assert_eq!(again["conversation"]["status"], "open");
}

#[tokio::test]
async fn api_redelivered_messages_are_stored_once() {
    let app = TestApp::spawn().await;
    let body = json!({ "channel": "whatsapp", "from": [{ "kind": "phone", "value": "0612345678" }], "text": "hoi", "external_id": "wamid.ABC" });
    let (s1, first) = app.post("/api/v1/messages/inbound", body.clone()).await;
    let (s2, second) = app.post("/api/v1/messages/inbound", body).await;
    assert_eq!((s1.as_u16(), s2.as_u16()), (201, 200));
    assert_eq!(second["duplicate"], true);
    assert_eq!(first["message"]["id"], second["message"]["id"]);
    let cid = first["conversation"]["id"].as_i64().unwrap();
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    assert_eq!(messages["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn api_events_are_read_after_the_last_seen_id() {
    let app = TestApp::spawn().await;
    let (_, before) = app.get("/api/v1/events?after=0&limit=1000").await;
    let last = before["data"]
        .as_array()
        .unwrap()
        .last()
        .map(|e| e["id"].as_i64().unwrap())
        .unwrap_or(0);
    let got = app
        .inbound("web_chat", "email", "fleur@example.nl", "Hoi")
        .await;
    let cid = got["conversation"]["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/conversations/{cid}"),
        json!({ "assignee_id": app.admin_id }),
    )
    .await;
    let (status, after) = app.get(&format!("/api/v1/events?after={last}")).await;
    assert_eq!(status, 200);
    let kinds: Vec<&str> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "contact.created",
            "conversation.created",
            "message.created",
            "conversation.assigned"
        ]
    );
    let ids: Vec<i64> = after["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(after["data"][2]["payload"]["message"]["text"], "Hoi");
    let (_, only) = app
        .get(&format!(
            "/api/v1/events?after={}&conversation_id={cid}",
            ids[2]
        ))
        .await;
    assert_eq!(only["data"].as_array().unwrap().len(), 1);
    let (_, page) = app
        .get(&format!("/api/v1/events?after={last}&limit=2"))
        .await;
    assert_eq!(page["data"].as_array().unwrap().len(), 2);
    assert_eq!(page["next_cursor"].as_str().unwrap(), ids[1].to_string());
}

#[tokio::test]
async fn api_live_subscribers_get_events_only_after_commit() {
    let app = TestApp::spawn().await;
    let mut rx = app.services.fanout.subscribe();
    let got = app
        .inbound("web_chat", "email", "live@example.nl", "Hallo live")
        .await;
    let message_id = got["message"]["id"].as_i64().unwrap();
    let mut seen = None;
    while let Ok(Ok(live)) =
        tokio::time::timeout(std::time::Duration::from_secs(5), rx.recv()).await
    {
        if let balie_services::Live::Event(event) = &*live {
            if event.kind == balie_domain::EventKind::MessageCreated {
                seen = Some(event.clone());
                break;
            }
        }
    }
    let event = seen.expect("a message.created event");
    assert_eq!(event.payload["message"]["id"].as_i64().unwrap(), message_id);
    // What was pushed is also in the log under the same id.
    let (_, log) = app
        .get(&format!("/api/v1/events?after={}&limit=1", event.id - 1))
        .await;
    assert_eq!(log["data"][0]["id"].as_i64().unwrap(), event.id);
}
