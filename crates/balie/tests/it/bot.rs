//! The self-service bot through the widget API: order status only after
//! verification (or at once for a signed shop customer), handoff to a human
//! with a private note, Dutch and English, and silence once a human owns
//! the conversation. The bot answers in a task of its own, so the tests wait
//! for its messages (with a timeout), never for a time.

use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::TestApp;
use crate::widget::start;

const TRACKING: &str = "3SABCD1234567";

pub(crate) async fn seed_order(app: &TestApp) {
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(json!({
                "email": "emma@example.nl",
                "customer_id": "C-1001",
                "status": "shipped",
                "carrier": "PostNL",
                "tracking_code": TRACKING,
                "tracking_url": format!("https://jouw.postnl.nl/track-and-trace/{TRACKING}-NL-1012AB"),
                "expected_delivery": "2026-11-25",
                "postcode": "1012 AB",
            })),
        )
        .await;
    assert!(status.is_success(), "{body}");
}

/// A web-chat inbox with default settings (the bot is on by default for web
/// chat); returns its widget token and identity secret.
pub(crate) async fn chat_inbox(app: &TestApp, settings: Value) -> (i64, String, String) {
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

pub(crate) async fn visitor(app: &TestApp, body: Value) -> String {
    let (status, s) = start(app, body, None).await;
    assert_eq!(status, 200, "{s}");
    s["session"].as_str().unwrap().to_string()
}

pub(crate) async fn send(app: &TestApp, session: &str, text: &str) {
    let res = app
        .client
        .post(app.url("/widget/v1/messages"))
        .bearer_auth(session)
        .json(&json!({ "text": text }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
}

/// What the visitor sees from the bot.
pub(crate) async fn bot_texts(app: &TestApp, session: &str) -> Vec<String> {
    let res = app
        .client
        .get(app.url("/widget/v1/messages?after=0"))
        .bearer_auth(session)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["author"] == "bot")
        .map(|m| m["text"].as_str().unwrap().to_string())
        .collect()
}

/// Waits until the visitor has seen `n` bot messages; returns them all.
pub(crate) async fn wait_bot(app: &TestApp, session: &str, n: usize) -> Vec<String> {
    tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let texts = bot_texts(app, session).await;
            if texts.len() >= n {
                return texts;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no bot message #{n}; saw {:?}", "timeout"))
}

/// The account's only conversation.
pub(crate) async fn only_conversation(app: &TestApp) -> Value {
    let (_, list) = app.get("/api/v1/conversations").await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{list}");
    data[0].clone()
}

pub(crate) async fn agent_messages(app: &TestApp, cid: i64) -> Vec<Value> {
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    messages["data"].as_array().unwrap().clone()
}

#[tokio::test]
async fn anonymous_visitor_gets_order_status_only_after_verification() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;

    send(&app, &session, "waar blijft mijn bestelling 1045873?").await;
    let texts = wait_bot(&app, &session, 1).await;
    let ask = &texts[0];
    assert!(ask.contains("postcode"), "{ask}");
    assert!(ask.contains("1045873"), "{ask}");
    for secret in [TRACKING, "verzonden", "PostNL", "2026-11-25"] {
        assert!(!ask.contains(secret), "revealed {secret}: {ask}");
    }

    // A wrong postcode reveals nothing either.
    send(&app, &session, "9999 ZZ").await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(!texts[1].contains(TRACKING), "{}", texts[1]);
    assert!(!texts[1].contains("verzonden"), "{}", texts[1]);

    send(&app, &session, "1045873 en mijn postcode is 1012 AB").await;
    let texts = wait_bot(&app, &session, 3).await;
    let answer = &texts[2];
    assert!(answer.contains("verzonden"), "{answer}");
    assert!(answer.contains("PostNL"), "{answer}");
    assert!(answer.contains(TRACKING), "{answer}");
    assert!(answer.contains("2026-11-25"), "{answer}");

    let conversation = only_conversation(&app).await;
    let labels = conversation["labels"].as_array().unwrap();
    assert!(!labels.iter().any(|l| l == "bot_handoff"), "{conversation}");
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    let answered: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bot.answered")
        .collect();
    assert_eq!(answered.len(), 3, "{events}");
    // Every turn of the verification counts for the intent it serves.
    for e in &answered {
        assert_eq!(e["payload"]["intent"], "track_order", "{e}");
    }
    assert!(answered[0]["payload"]["confidence"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn postcode_alone_after_the_question_completes_the_verification() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(&app, &session, "waar blijft mijn bestelling 1045873?").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(!texts[0].contains(TRACKING), "{}", texts[0]);
    send(&app, &session, "1012 AB").await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(texts[1].contains(TRACKING), "{}", texts[1]);
    assert!(texts[1].contains("https://jouw.postnl.nl/"), "{}", texts[1]);
}

#[tokio::test]
async fn english_visitor_is_answered_in_english() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "en-GB" })).await;
    send(&app, &session, "where is my order 1045873?").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(texts[0].contains("postcode"), "{}", texts[0]);
    assert!(texts[0].contains("order"), "{}", texts[0]);
    assert!(!texts[0].contains(TRACKING), "{}", texts[0]);
    send(&app, &session, "my postcode is 1012 AB").await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(texts[1].contains("shipped"), "{}", texts[1]);
    assert!(texts[1].contains(TRACKING), "{}", texts[1]);
}

#[tokio::test]
async fn signed_shop_customer_gets_the_status_at_once() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, secret) = chat_inbox(&app, json!({})).await;
    let hmac = balie_services::widget::sign_customer(&secret, "C-1001");
    let session = visitor(
        &app,
        json!({ "inbox": token, "customer": { "id": "C-1001", "hmac": hmac } }),
    )
    .await;
    send(&app, &session, "waar blijft mijn bestelling?").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(texts[0].contains("1045873"), "{}", texts[0]);
    assert!(texts[0].contains(TRACKING), "{}", texts[0]);
    assert!(texts[0].contains("verzonden"), "{}", texts[0]);
}

async fn hands_off(text: &str, said: &str) {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(&app, &session, text).await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(texts[0].contains(said), "{}", texts[0]);

    let conversation = only_conversation(&app).await;
    let cid = conversation["id"].as_i64().unwrap();
    let labels = conversation["labels"].as_array().unwrap();
    assert!(labels.iter().any(|l| l == "bot_handoff"), "{conversation}");
    let messages = agent_messages(&app, cid).await;
    let note = messages
        .iter()
        .find(|m| m["private"] == true)
        .unwrap_or_else(|| panic!("no private note: {messages:?}"));
    assert_eq!(note["author_type"], "bot", "{note}");
    let note_text = note["text"].as_str().unwrap();
    assert!(note_text.contains("contact_human_agent"), "{note_text}");
    // The customer never sees the note.
    assert_eq!(bot_texts(&app, &session).await.len(), 1);
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    let handed: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "bot.handed_off")
        .collect();
    assert_eq!(handed.len(), 1, "{events}");
    assert_eq!(handed[0]["payload"]["intent"], "contact_human_agent");

    // From now on the bot leaves the conversation to the human.
    let message: balie_domain::Message = serde_json::from_value(messages[0].clone()).unwrap();
    let again = app
        .services
        .bot_reply(message.account_id, cid, &message)
        .await
        .unwrap();
    assert!(again.is_none(), "{again:?}");
}

#[tokio::test]
async fn asking_for_a_human_hands_off_in_dutch() {
    hands_off("ik wil een medewerker spreken", "collega").await;
}

#[tokio::test]
async fn asking_for_a_human_hands_off_in_english() {
    hands_off("I want to talk to a human", "colleague").await;
}

#[tokio::test]
async fn a_conversation_with_a_human_assignee_gets_no_bot_reply() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(&app, &session, "hallo").await;
    wait_bot(&app, &session, 1).await;
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();
    let (status, body) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "assignee_id": app.admin_id }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    send(&app, &session, "waar blijft mijn bestelling 1045873?").await;
    let messages = agent_messages(&app, cid).await;
    let last: balie_domain::Message =
        serde_json::from_value(messages.last().unwrap().clone()).unwrap();
    assert_eq!(last.author_type, balie_domain::AuthorType::Contact);
    let reply = app
        .services
        .bot_reply(last.account_id, cid, &last)
        .await
        .unwrap();
    assert!(reply.is_none(), "{reply:?}");
    // And the first greeting stays the only thing the bot said.
    assert_eq!(bot_texts(&app, &session).await.len(), 1);

    // Unassigned again, the bot answers the same message.
    app.patch(
        &format!("/api/v1/conversations/{cid}"),
        json!({ "assignee_id": null }),
    )
    .await;
    let reply = app
        .services
        .bot_reply(last.account_id, cid, &last)
        .await
        .unwrap();
    assert!(reply.is_some_and(|m| m.author_type == balie_domain::AuthorType::Bot));
}

#[tokio::test]
async fn inbox_setting_turns_the_bot_off() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({ "bot": false })).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(&app, &session, "hallo").await;
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();
    let messages = agent_messages(&app, cid).await;
    let first: balie_domain::Message = serde_json::from_value(messages[0].clone()).unwrap();
    let reply = app
        .services
        .bot_reply(first.account_id, cid, &first)
        .await
        .unwrap();
    assert!(reply.is_none(), "{reply:?}");
}

#[tokio::test]
async fn api_inbound_gets_the_bot_only_when_its_inbox_asks_for_it() {
    let app = TestApp::spawn().await;
    let mut inboxes = Vec::new();
    for settings in [json!({ "bot": true }), json!({})] {
        let (status, inbox) = app
            .post(
                "/api/v1/inboxes",
                json!({ "name": "Shop API", "channel": "api", "settings": settings }),
            )
            .await;
        assert_eq!(status, 201, "{inbox}");
        inboxes.push(inbox["id"].as_i64().unwrap());
    }
    let mut conversations = Vec::new();
    for (inbox, who) in inboxes.iter().zip(["a@example.nl", "b@example.nl"]) {
        let (status, got) = app
            .post(
                "/api/v1/messages/inbound",
                json!({ "channel": "api", "inbox_id": inbox, "from": [{ "kind": "email", "value": who }], "text": "Welke betaalmethodes hebben jullie?" }),
            )
            .await;
        assert_eq!(status, 201, "{got}");
        conversations.push(got["conversation"]["id"].as_i64().unwrap());
    }
    let answered = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            let messages = agent_messages(&app, conversations[0]).await;
            if let Some(m) = messages.iter().find(|m| m["author_type"] == "bot") {
                return m.clone();
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    })
    .await
    .expect("the bot answers on the inbox with \"bot\": true");
    assert!(
        answered["text"].as_str().unwrap().contains("iDEAL"),
        "{answered}"
    );
    assert_eq!(answered["channel"], "api");
    // The other inbox's conversation: the bot declines when asked directly.
    let messages = agent_messages(&app, conversations[1]).await;
    let first: balie_domain::Message = serde_json::from_value(messages[0].clone()).unwrap();
    let reply = app
        .services
        .bot_reply(first.account_id, conversations[1], &first)
        .await
        .unwrap();
    assert!(reply.is_none(), "{reply:?}");
}

#[tokio::test]
async fn frustration_hands_off_with_high_priority() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(
        &app,
        &session,
        "ik heb 3x gebeld en niemand helpt me, belachelijk",
    )
    .await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(texts[0].contains("collega"), "{}", texts[0]);
    let conversation = only_conversation(&app).await;
    assert_eq!(conversation["priority"], "high", "{conversation}");
    let cid = conversation["id"].as_i64().unwrap();
    let note = agent_messages(&app, cid)
        .await
        .into_iter()
        .find(|m| m["private"] == true)
        .expect("a private note");
    assert!(
        note["text"].as_str().unwrap().contains("gefrustreerd"),
        "{note}"
    );
}

#[tokio::test]
async fn two_failed_verifications_hand_off_without_revealing_anything() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token })).await;
    send(&app, &session, "waar blijft mijn bestelling 1045873?").await;
    wait_bot(&app, &session, 1).await;
    send(&app, &session, "9999 ZZ").await;
    wait_bot(&app, &session, 2).await;
    send(&app, &session, "1045873 met postcode 8888 YY").await;
    let texts = wait_bot(&app, &session, 3).await;
    assert!(texts[2].contains("collega"), "{}", texts[2]);
    for t in &texts {
        assert!(!t.contains(TRACKING) && !t.contains("verzonden"), "{t}");
    }
    let conversation = only_conversation(&app).await;
    let labels = conversation["labels"].as_array().unwrap();
    assert!(labels.iter().any(|l| l == "bot_handoff"), "{conversation}");
    let cid = conversation["id"].as_i64().unwrap();
    let note = agent_messages(&app, cid)
        .await
        .into_iter()
        .find(|m| m["private"] == true)
        .expect("a private note");
    let note = note["text"].as_str().unwrap();
    assert!(note.contains("1045873"), "{note}");
    assert!(note.contains("track_order"), "{note}");
}

#[tokio::test]
async fn cancelling_a_shipped_order_offers_a_return() {
    let app = TestApp::spawn().await;
    seed_order(&app).await;
    let (_, token, secret) = chat_inbox(&app, json!({})).await;
    let hmac = balie_services::widget::sign_customer(&secret, "C-1001");
    let session = visitor(
        &app,
        json!({ "inbox": token, "customer": { "id": "C-1001", "hmac": hmac } }),
    )
    .await;
    send(&app, &session, "ik wil mijn bestelling annuleren").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(texts[0].contains("retour"), "{}", texts[0]);
    assert!(texts[0].contains("1045873"), "{}", texts[0]);
    let conversation = only_conversation(&app).await;
    let labels = conversation["labels"].as_array().unwrap();
    assert!(!labels.iter().any(|l| l == "bot_handoff"), "{conversation}");
}

#[tokio::test]
async fn a_belgian_postcode_alone_completes_the_verification() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/orders/1046002",
            &app.token,
            Some(json!({ "status": "shipped", "carrier": "DHL", "tracking_code": "JVGL0624001234", "postcode": "2000" })),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "en" })).await;
    send(&app, &session, "where is my order 1046002?").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(!texts[0].contains("JVGL0624001234"), "{}", texts[0]);
    send(&app, &session, "my postcode is 2000").await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(texts[1].contains("JVGL0624001234"), "{}", texts[1]);
    assert!(texts[1].contains("DHL"), "{}", texts[1]);
}

#[tokio::test]
async fn a_message_without_language_follows_the_widget_locale() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "en-GB" })).await;
    let res = app
        .client
        .post(app.url("/widget/v1/messages"))
        .bearer_auth(&session)
        .json(&json!({ "text": "1045873", "client_id": "c-1" }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    wait_bot(&app, &session, 1).await;
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    let bot = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "bot.answered" || e["kind"] == "bot.handed_off")
        .cloned()
        .expect("a bot event");
    assert_eq!(bot["payload"]["language"], "en", "{bot}");
}
