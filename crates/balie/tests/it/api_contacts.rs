//! One customer, one history (R2): identities in any notation, search by any
//! identity, inbound messages attaching to the right contact, the timeline
//! across channels, and merge and split through the API.

use serde_json::json;

use crate::harness::{assert_error, TestApp};

#[tokio::test]
async fn api_contact_found_by_any_notation_of_an_identity() {
    let app = TestApp::spawn().await;
    let (status, c) = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "Emma", "identities": [
                { "kind": "phone", "value": "06-12345678" },
                { "kind": "email", "value": "Emma@Example.NL" },
                { "kind": "shop_customer_id", "value": "C-1001" }
            ], "attributes": { "tier": "gold" } }),
        )
        .await;
    assert_eq!(status, 201, "{c}");
    let values: Vec<&str> = c["identities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["+31612345678", "emma@example.nl", "C-1001"]);
    for q in [
        "%2B31%206%201234%205678",
        "0031612345678",
        "06%2012345678",
        "EMMA%40example.nl",
        "C-1001",
        "emm",
    ] {
        let (status, found) = app.get(&format!("/api/v1/contacts?q={q}")).await;
        assert_eq!(status, 200);
        let ids: Vec<i64> = found["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, vec![c["id"].as_i64().unwrap()], "query {q}");
    }
    let (_, none) = app.get("/api/v1/contacts?q=0687654321").await;
    assert!(none["data"].as_array().unwrap().is_empty());
    // The same number for a second contact is refused.
    assert_error(
        &app.post(
            "/api/v1/contacts",
            json!({ "identities": [{ "kind": "phone", "value": "+31 (0)6 12345678" }] }),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(
            "/api/v1/contacts",
            json!({ "identities": [{ "kind": "phone", "value": "12" }] }),
        )
        .await,
        422,
        "validation_failed",
    );
}

#[tokio::test]
async fn api_inbound_messages_attach_to_the_known_contact_on_every_channel() {
    let app = TestApp::spawn().await;
    let first = app
        .inbound(
            "web_chat",
            "email",
            "emma@example.nl",
            "Waar blijft mijn bestelling?",
        )
        .await;
    assert_eq!(first["created_contact"], true);
    assert_eq!(first["created_conversation"], true);
    let contact_id = first["contact_id"].as_i64().unwrap();
    // She adds her phone number on email, then writes on WhatsApp.
    let (status, _) = app
        .post(
            "/api/v1/messages/inbound",
            json!({ "channel": "email", "from": [{ "kind": "email", "value": "EMMA@example.nl" }, { "kind": "phone", "value": "06 1234 5678" }],
                    "text": "Mijn nummer is 06 1234 5678", "name": "Emma de Jong" }),
        )
        .await;
    assert_eq!(status, 201);
    let third = app
        .inbound(
            "whatsapp",
            "phone",
            "31612345678",
            "Ik ben morgen niet thuis",
        )
        .await;
    assert_eq!(third["contact_id"].as_i64().unwrap(), contact_id);
    assert_eq!(third["created_conversation"], false);
    assert_eq!(third["conversation"]["id"], first["conversation"]["id"]);

    let (_, contact) = app.get(&format!("/api/v1/contacts/{contact_id}")).await;
    assert_eq!(contact["name"], "Emma de Jong");
    assert_eq!(contact["identities"].as_array().unwrap().len(), 2);

    let (status, timeline) = app
        .get(&format!("/api/v1/contacts/{contact_id}/timeline"))
        .await;
    assert_eq!(status, 200);
    let channels: Vec<&str> = timeline["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["channel"].as_str().unwrap())
        .collect();
    assert_eq!(channels, ["web_chat", "email", "whatsapp"]);
    // Another customer stays apart.
    let other = app
        .inbound("sms", "phone", "+32 470 12 34 56", "Hallo")
        .await;
    assert_ne!(other["contact_id"].as_i64().unwrap(), contact_id);
}

#[tokio::test]
async fn api_merge_joins_histories_and_split_undoes_it() {
    let app = TestApp::spawn().await;
    let chat = app
        .inbound(
            "web_chat",
            "email",
            "lucas@example.com",
            "Hoi, vraagje over mijn retour",
        )
        .await;
    let call = app
        .inbound("phone", "phone", "0687654321", "Belde over dezelfde retour")
        .await;
    let (target, source) = (
        chat["contact_id"].as_i64().unwrap(),
        call["contact_id"].as_i64().unwrap(),
    );
    assert_ne!(target, source);

    let (status, merge) = app
        .post(
            &format!("/api/v1/contacts/{target}/merges"),
            json!({ "source_contact_id": source }),
        )
        .await;
    assert_eq!(status, 201, "{merge}");
    let (_, timeline) = app
        .get(&format!("/api/v1/contacts/{target}/timeline"))
        .await;
    assert_eq!(timeline["data"].as_array().unwrap().len(), 2);
    // The source no longer shows up in lists, and new messages by phone land on the target.
    let (_, list) = app.get("/api/v1/contacts").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let again = app
        .inbound("whatsapp", "phone", "+31687654321", "Nog een vraag")
        .await;
    assert_eq!(again["contact_id"].as_i64().unwrap(), target);
    // Merges are audited on the event log.
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    let merged: Vec<_> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "contact.merged")
        .collect();
    assert_eq!(merged.len(), 1);
    assert_eq!(merged[0]["actor_type"], "agent");
    assert_eq!(merged[0]["actor_id"].as_i64().unwrap(), app.admin_id);
    let (_, merges) = app.get(&format!("/api/v1/contacts/{source}/merges")).await;
    assert_eq!(merges.as_array().unwrap().len(), 1);

    assert_error(
        &app.post(
            &format!("/api/v1/contacts/{target}/merges"),
            json!({ "source_contact_id": source }),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/contacts/{target}/merges"),
            json!({ "source_contact_id": target }),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/contacts/{target}/merges"),
            json!({ "source_contact_id": 999999 }),
        )
        .await,
        422,
        "validation_failed",
    );

    let merge_id = merge["id"].as_i64().unwrap();
    let (status, split) = app
        .post(
            &format!("/api/v1/contact-merges/{merge_id}/split"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{split}");
    assert!(split["split_at"].is_string());
    let (_, source_timeline) = app
        .get(&format!("/api/v1/contacts/{source}/timeline"))
        .await;
    let (_, target_timeline) = app
        .get(&format!("/api/v1/contacts/{target}/timeline"))
        .await;
    // The phone conversation went back with everything in it, including the
    // WhatsApp message that continued it (the newest open one) during the merge.
    assert_eq!(source_timeline["data"].as_array().unwrap().len(), 2);
    assert_eq!(target_timeline["data"].as_array().unwrap().len(), 1);
    assert_eq!(again["conversation"]["id"], call["conversation"]["id"]);
    let (_, found) = app.get("/api/v1/contacts?q=0687654321").await;
    assert_eq!(found["data"][0]["id"].as_i64().unwrap(), source);
    assert_error(
        &app.post(
            &format!("/api/v1/contact-merges/{merge_id}/split"),
            json!({}),
        )
        .await,
        409,
        "conflict",
    );
}

#[tokio::test]
async fn api_identities_can_be_added_and_removed() {
    let app = TestApp::spawn().await;
    let (_, c) = app.post("/api/v1/contacts", json!({ "name": "Sem" })).await;
    let id = c["id"].as_i64().unwrap();
    let (status, c) = app
        .post(
            &format!("/api/v1/contacts/{id}/identities"),
            json!({ "kind": "telegram", "value": " 12345 " }),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(c["identities"][0]["value"], "12345");
    let identity_id = c["identities"][0]["id"].as_i64().unwrap();
    assert_error(
        &app.post(
            &format!("/api/v1/contacts/{id}/identities"),
            json!({ "kind": "fax", "value": "1" }),
        )
        .await,
        422,
        "validation_failed",
    );
    let (status, c) = app
        .delete(&format!("/api/v1/contacts/{id}/identities/{identity_id}"))
        .await;
    assert_eq!(status, 200);
    assert!(c["identities"].as_array().unwrap().is_empty());
    assert_error(
        &app.delete(&format!("/api/v1/contacts/{id}/identities/{identity_id}"))
            .await,
        404,
        "not_found",
    );
    let (status, c) = app
        .patch(
            &format!("/api/v1/contacts/{id}"),
            json!({ "name": null, "attributes": { "vip": true } }),
        )
        .await;
    assert_eq!(status, 200);
    assert!(c["name"].is_null());
    assert_eq!(c["attributes"]["vip"], true);
}
