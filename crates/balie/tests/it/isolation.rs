//! Tenant isolation: an admin of one account walks every endpoint of the
//! OpenAPI document with the ids of another account's objects and gets 404
//! (or a refusal) everywhere, and sees none of them in any list.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use crate::harness::TestApp;

#[tokio::test]
async fn isolation_every_endpoint_hides_other_accounts() {
    let app = TestApp::spawn().await;
    // Account A's objects.
    let (_, agent) = app
        .post(
            "/api/v1/agents",
            json!({ "email": "a-agent@shop.test", "name": "A agent" }),
        )
        .await;
    let (_, team) = app.post("/api/v1/teams", json!({ "name": "A team" })).await;
    let (_, inbox) = app
        .post(
            "/api/v1/inboxes",
            json!({ "name": "A inbox", "channel": "email" }),
        )
        .await;
    let first = app
        .inbound("email", "email", "a-customer@example.nl", "Geheim van A")
        .await;
    let second = app
        .inbound("phone", "phone", "0611111111", "Ook van A")
        .await;
    let contact = first["contact_id"].as_i64().unwrap();
    let conversation = first["conversation"]["id"].as_i64().unwrap();
    let (_, merge) = app
        .post(
            &format!("/api/v1/contacts/{contact}/merges"),
            json!({ "source_contact_id": second["contact_id"] }),
        )
        .await;
    let (_, c) = app.get(&format!("/api/v1/contacts/{contact}")).await;
    let identity = c["identities"][0]["id"].as_i64().unwrap();
    let attachment = crate::widget::upload_png(&app).await;
    let (_, example) = app
        .post(
            "/api/v1/bot/examples",
            json!({ "intent": "geheim", "text": "het geheime voorbeeld van A" }),
        )
        .await;
    let (_, article) = app
        .post(
            "/api/v1/knowledge/articles",
            json!({ "title_nl": "Geheim van A", "body_nl": "Alleen voor klanten van A.", "published": true }),
        )
        .await;

    let (b_token, b_account) = app.other_account().await;
    let (_, b_contact) = app
        .call(
            "POST",
            "/api/v1/contacts",
            &b_token,
            Some(json!({ "name": "B klant" })),
        )
        .await;
    let b_contact = b_contact["id"].as_i64().unwrap();
    let (_, b_conv) = app
        .call(
            "POST",
            "/api/v1/conversations",
            &b_token,
            Some(json!({ "contact_id": b_contact })),
        )
        .await;
    let b_conv = b_conv["id"].as_i64().unwrap();
    let (_, b_team) = app
        .call(
            "POST",
            "/api/v1/teams",
            &b_token,
            Some(json!({ "name": "B team" })),
        )
        .await;
    let b_team = b_team["id"].as_i64().unwrap();

    let id_for = |path: &str| -> i64 {
        let resource = path
            .trim_start_matches("/api/v1/")
            .split('/')
            .next()
            .unwrap();
        match resource {
            "agents" => agent["id"].as_i64().unwrap(),
            "teams" => team["id"].as_i64().unwrap(),
            "inboxes" => inbox["id"].as_i64().unwrap(),
            "contacts" => contact,
            "conversations" => conversation,
            "contact-merges" => merge["id"].as_i64().unwrap(),
            "attachments" => attachment,
            "orders" => 1045873,
            // A's real canned responses are walked in canned.rs.
            "canned-responses" => 1,
            "bot" => example["id"].as_i64().unwrap(),
            "knowledge" => article["id"].as_i64().unwrap(),
            other => panic!("no id of A for {other}: teach this test about {path}"),
        }
    };
    // A valid body for each endpoint, so that only isolation can refuse it.
    let body_for = |method: &str, path: &str| -> Option<Value> {
        Some(match (method, path) {
            ("patch", "/api/v1/agents/{id}") => json!({ "name": "Overgenomen" }),
            ("patch", "/api/v1/teams/{id}") => json!({ "name": "Overgenomen" }),
            ("patch", "/api/v1/inboxes/{id}") => json!({ "name": "Overgenomen" }),
            ("patch", "/api/v1/contacts/{id}") => json!({ "name": "Overgenomen" }),
            ("post", "/api/v1/contacts/{id}/identities") => {
                json!({ "kind": "email", "value": "thief@example.nl" })
            }
            ("post", "/api/v1/contacts/{id}/merges") => json!({ "source_contact_id": b_contact }),
            ("post", "/api/v1/contact-merges/{id}/split") => json!({}),
            ("patch", "/api/v1/conversations/{id}") => json!({ "status": "resolved" }),
            ("post", "/api/v1/conversations/{id}/messages") => json!({ "text": "Overgenomen" }),
            ("patch", "/api/v1/canned-responses/{id}") => json!({ "title": "Overgenomen" }),
            ("patch", "/api/v1/knowledge/articles/{id}") => json!({ "title_nl": "Overgenomen" }),
            ("post", "/api/v1/conversations/{id}/canned-responses/{canned_id}/render") => json!({}),
            ("post", "/api/v1/conversations/{id}/bot/resume") => json!({}),
            ("patch", "/api/v1/bot/examples/{id}") => json!({ "text": "overgenomen" }),
            ("get", _) | ("delete", _) => return None,
            _ => panic!("no body for {method} {path}: teach this test about it"),
        })
    };

    let doc: Value = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut walked = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            walked.insert(format!("{method} {path}"));
            if !path.contains('{') {
                continue;
            }
            let concrete = path
                .replace("{id}", &id_for(path).to_string())
                .replace("{identity_id}", &identity.to_string())
                .replace("{number}", &id_for(path).to_string())
                .replace("{canned_id}", "1");
            let got = app
                .call(
                    &method.to_uppercase(),
                    &concrete,
                    &b_token,
                    body_for(method, path),
                )
                .await;
            assert_eq!(
                got.0.as_u16(),
                404,
                "{method} {concrete} as another account: {}",
                got.1
            );
        }
    }
    assert!(walked.len() >= 35, "walked only {} endpoints", walked.len());

    // Lists and searches of B show nothing of A.
    for path in [
        "/api/v1/agents",
        "/api/v1/teams",
        "/api/v1/inboxes",
        "/api/v1/contacts",
        "/api/v1/contacts?q=a-customer%40example.nl",
        "/api/v1/contacts?q=0611111111",
        "/api/v1/conversations",
        &format!("/api/v1/conversations?contact_id={contact}"),
        "/api/v1/events?after=0&limit=1000",
        "/api/v1/knowledge/articles",
        "/api/v1/knowledge/search?q=geheim%20van%20A%20klanten&lang=nl",
    ] {
        let (status, page) = app.call("GET", path, &b_token, None).await;
        assert_eq!(status, 200);
        for item in page["data"].as_array().unwrap() {
            assert_eq!(
                item["account_id"].as_i64().unwrap(),
                b_account,
                "{path} leaked {item}"
            );
        }
        let text = page.to_string();
        assert!(
            !text.contains("Geheim van A")
                && !text.contains("a-customer@example.nl")
                && !text.contains("A team"),
            "{path}: {text}"
        );
    }
    // The bot's lists of B know nothing of A's teaching.
    for path in [
        "/api/v1/bot/examples",
        "/api/v1/bot/intents",
        "/api/v1/bot/answers",
        "/api/v1/reports/bot",
    ] {
        let (status, page) = app.call("GET", path, &b_token, None).await;
        assert_eq!(status, 200, "{path}: {page}");
        let text = page.to_string();
        assert!(
            !text.contains("geheim") && !text.contains("het geheime voorbeeld"),
            "{path}: {text}"
        );
    }
    // References to A's objects inside B's requests are refused.
    let refused = [
        (
            "POST",
            "/api/v1/conversations".to_string(),
            json!({ "contact_id": contact }),
        ),
        (
            "POST",
            "/api/v1/contacts/".to_string() + &b_contact.to_string() + "/merges",
            json!({ "source_contact_id": contact }),
        ),
        (
            "PATCH",
            format!("/api/v1/conversations/{b_conv}"),
            json!({ "assignee_id": agent["id"] }),
        ),
        (
            "PATCH",
            format!("/api/v1/conversations/{b_conv}"),
            json!({ "team_id": team["id"] }),
        ),
        (
            "PATCH",
            format!("/api/v1/teams/{b_team}"),
            json!({ "add_member_ids": [agent["id"]] }),
        ),
        (
            "POST",
            "/api/v1/messages/inbound".to_string(),
            json!({ "channel": "email", "from": [{"kind": "email", "value": "b@example.nl"}], "text": "x", "conversation_id": conversation }),
        ),
        (
            "POST",
            "/api/v1/messages/inbound".to_string(),
            json!({ "channel": "email", "from": [{"kind": "email", "value": "b@example.nl"}], "text": "x", "inbox_id": inbox["id"] }),
        ),
    ];
    for (method, path, body) in refused {
        let got = app.call(method, &path, &b_token, Some(body.clone())).await;
        assert_eq!(got.0.as_u16(), 422, "{method} {path} {body}: {}", got.1);
    }
    // The same customer writing to shop B is B's own contact, not A's.
    let (status, b_in) = app
        .call(
            "POST",
            "/api/v1/messages/inbound",
            &b_token,
            Some(json!({ "channel": "email", "from": [{"kind": "email", "value": "a-customer@example.nl"}], "text": "Hallo B" })),
        )
        .await;
    assert_eq!(status, 201);
    assert_ne!(b_in["contact_id"].as_i64().unwrap(), contact);
    assert_eq!(b_in["created_contact"], true);
    // A's data is untouched.
    let (_, a_contact) = app.get(&format!("/api/v1/contacts/{contact}")).await;
    assert_eq!(a_contact["name"], Value::Null);
    assert_eq!(a_contact["identities"].as_array().unwrap().len(), 2);
    let (_, a_conv) = app
        .get(&format!("/api/v1/conversations/{conversation}"))
        .await;
    assert_eq!(a_conv["status"], "open");
    let (_, a_team) = app.get(&format!("/api/v1/teams/{}", team["id"])).await;
    assert_eq!(a_team["name"], "A team");
    let (_, a_article) = app
        .get(&format!("/api/v1/knowledge/articles/{}", article["id"]))
        .await;
    assert_eq!(a_article["title_nl"], "Geheim van A");
    // A's own search still finds it: the empty result above was isolation.
    let (_, found) = app
        .get("/api/v1/knowledge/search?q=geheim%20van%20A%20klanten&lang=nl")
        .await;
    assert_eq!(found["data"][0]["article_id"], article["id"]);
}
