//! What a shop teaches its bot and what it learns from it: its own intents
//! and examples with a retrain, its own answer texts, its order-number
//! pattern, the order intents beyond tracking (refund status, address
//! change), giving a conversation back to the bot, the automation report,
//! and the admin pages for all of it.

use reqwest::header::LOCATION;
use serde_json::{json, Value};

use crate::bot::{agent_messages, chat_inbox, only_conversation, send, visitor, wait_bot};
use crate::canned::{agent, Browser};
use crate::harness::{assert_error, TestApp, PASSWORD};

async fn put_order(app: &TestApp, number: &str, body: Value) {
    let (status, order) = app
        .call(
            "PUT",
            &format!("/api/v1/orders/{number}"),
            &app.token,
            Some(body),
        )
        .await;
    assert!(status.is_success(), "{order}");
}

/// A signed-in shop customer's widget session (customer id `C-1001`).
async fn signed_visitor(app: &TestApp, locale: &str) -> String {
    let (_, token, secret) = chat_inbox(app, json!({})).await;
    let hmac = balie_services::widget::sign_customer(&secret, "C-1001");
    visitor(
        app,
        json!({ "inbox": token, "locale": locale, "customer": { "id": "C-1001", "hmac": hmac } }),
    )
    .await
}

const GIFT_EXAMPLES: &[&str] = &[
    "kunnen jullie het als cadeau inpakken?",
    "is cadeauverpakking mogelijk",
    "kan ik het laten inpakken als kado",
    "cadeau inpakken graag",
    "pakken jullie ook in als cadeautje?",
    "can you gift wrap my order?",
    "do you offer gift wrapping",
    "gift wrap please",
    "is gift wrapping available",
    "can it be wrapped as a present",
];

#[tokio::test]
async fn a_shop_intent_with_its_own_answer_works_after_retraining() {
    let app = TestApp::spawn().await;
    for text in GIFT_EXAMPLES {
        let (status, body) = app
            .post(
                "/api/v1/bot/examples",
                json!({ "intent": "Gift Wrapping", "text": text }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["intent"], "gift_wrapping");
    }
    let (_, settings) = app.get("/api/v1/bot/settings").await;
    assert_eq!(settings["model"]["needs_retrain"], true, "{settings}");
    assert_eq!(settings["model"]["version"], 0);

    // Before the retrain the built-in model does not know the intent.
    let (_, before) = app
        .post(
            "/api/v1/bot/analyse",
            json!({ "text": "kunnen jullie dit als cadeau inpakken?" }),
        )
        .await;
    assert_ne!(before["intent"], "gift_wrapping", "{before}");

    let (status, answer) = app
        .call(
            "PUT",
            "/api/v1/bot/answers/gift_wrapping",
            &app.token,
            Some(
                json!({ "nl": "Ja! Inpakken als cadeau kost €2,50; kies het bij het afrekenen.",
                         "en": "Yes! Gift wrapping costs €2.50; choose it at checkout." }),
            ),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["builtin_nl"], Value::Null);
    let (status, report) = app.post("/api/v1/bot/retrain", json!({})).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["version"], 1);
    assert_eq!(report["own_examples"], GIFT_EXAMPLES.len());
    let (_, settings) = app.get("/api/v1/bot/settings").await;
    assert_eq!(settings["model"]["needs_retrain"], false, "{settings}");

    let (_, after) = app
        .post(
            "/api/v1/bot/analyse",
            json!({ "text": "kunnen jullie dit als cadeau inpakken?" }),
        )
        .await;
    assert_eq!(after["intent"], "gift_wrapping", "{after}");
    let (_, intents) = app.get("/api/v1/bot/intents").await;
    let gift = intents["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["intent"] == "gift_wrapping")
        .cloned()
        .unwrap();
    assert_eq!(gift["own_examples"], GIFT_EXAMPLES.len());
    assert_eq!(gift["answered"], true);

    // A customer now gets the shop's answer, in their language.
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let nl = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(
        &app,
        &nl,
        "kan ik mijn bestelling als cadeau laten inpakken?",
    )
    .await;
    let texts = wait_bot(&app, &nl, 1).await;
    assert!(texts[0].contains("€2,50"), "{texts:?}");
    let en = visitor(&app, json!({ "inbox": token, "locale": "en-GB" })).await;
    send(&app, &en, "can you gift wrap it for me?").await;
    let texts = wait_bot(&app, &en, 1).await;
    assert!(texts[0].contains("€2.50"), "{texts:?}");

    // Editing or deleting an example asks for a retrain again.
    let (_, examples) = app.get("/api/v1/bot/examples").await;
    let id = examples["data"][0]["id"].as_i64().unwrap();
    let other = examples["data"][1]["id"].as_i64().unwrap();
    let (status, edited) = app
        .patch(
            &format!("/api/v1/bot/examples/{other}"),
            json!({ "text": "willen jullie het cadeau inpakken" }),
        )
        .await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!(edited["intent"], "gift_wrapping");
    assert_eq!(edited["text"], "willen jullie het cadeau inpakken");
    assert_error(
        &app.patch(
            &format!("/api/v1/bot/examples/{other}"),
            json!({ "text": "twee\nregels" }),
        )
        .await,
        422,
        "validation_failed",
    );
    let (status, _) = app.delete(&format!("/api/v1/bot/examples/{id}")).await;
    assert_eq!(status, 204);
    let (_, settings) = app.get("/api/v1/bot/settings").await;
    assert_eq!(settings["model"]["needs_retrain"], true, "{settings}");
    assert_error(
        &app.delete(&format!("/api/v1/bot/examples/{id}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn a_shop_answer_replaces_the_builtin_text_and_can_be_reset() {
    let app = TestApp::spawn().await;
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/bot/answers/delivery_period",
            &app.token,
            Some(json!({ "nl": "Wij leveren binnen 3 werkdagen, ook in België." })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["own_nl"],
        "Wij leveren binnen 3 werkdagen, ook in België."
    );
    assert_eq!(body["own_en"], Value::Null);

    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let nl = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &nl, "hoe lang duurt de levering?").await;
    let texts = wait_bot(&app, &nl, 1).await;
    assert_eq!(texts[0], "Wij leveren binnen 3 werkdagen, ook in België.");
    // English still gets the built-in text.
    let en = visitor(&app, json!({ "inbox": token, "locale": "en-GB" })).await;
    send(&app, &en, "how long does delivery take?").await;
    let texts = wait_bot(&app, &en, 1).await;
    assert!(texts[0].contains("working days"), "{texts:?}");

    // Placeholders must be the answer's own.
    let bad = app
        .call(
            "PUT",
            "/api/v1/bot/answers/status",
            &app.token,
            Some(json!({ "en": "Order {number} is {colour}." })),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    assert!(
        bad.1["message"].as_str().unwrap().contains("{colour}"),
        "{}",
        bad.1
    );
    assert_error(
        &app.call(
            "PUT",
            "/api/v1/bot/answers/status",
            &app.token,
            Some(json!({ "en": "x".repeat(2001) })),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.call(
            "PUT",
            "/api/v1/bot/answers/no_such_intent",
            &app.token,
            Some(json!({ "nl": "hoi" })),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &app.call(
            "PUT",
            "/api/v1/bot/answers/status",
            &app.token,
            Some(json!({ "de": "hallo" })),
        )
        .await,
        422,
        "validation_failed",
    );

    // null goes back to the built-in text.
    let (status, body) = app
        .call(
            "PUT",
            "/api/v1/bot/answers/delivery_period",
            &app.token,
            Some(json!({ "nl": null })),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["own_nl"], Value::Null);
}

#[tokio::test]
async fn bot_changes_are_for_admins() {
    let app = TestApp::spawn().await;
    let sanne = agent(&app).await;
    let call = |method: &'static str, path: &'static str, body: Option<Value>| {
        let app = &app;
        let token = sanne.token.clone();
        async move { app.call(method, path, &token, body).await }
    };
    assert_error(
        &call(
            "POST",
            "/api/v1/bot/examples",
            Some(json!({ "intent": "x", "text": "y" })),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &call("POST", "/api/v1/bot/retrain", None).await,
        403,
        "forbidden",
    );
    assert_error(
        &call(
            "PUT",
            "/api/v1/bot/answers/thanks",
            Some(json!({ "nl": "Top!" })),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &call(
            "PUT",
            "/api/v1/bot/settings",
            Some(json!({ "order_number_pattern": "\\d+" })),
        )
        .await,
        403,
        "forbidden",
    );
    // Reading and trying are for every agent.
    assert_eq!(call("GET", "/api/v1/bot/answers", None).await.0, 200);
    let (status, analysis) = call(
        "POST",
        "/api/v1/bot/analyse",
        Some(json!({ "text": "waar blijft mijn pakketje 1045873?" })),
    )
    .await;
    assert_eq!(status, 200, "{analysis}");
    assert_eq!(analysis["intent"], "track_order");
    assert_eq!(analysis["language"], "nl");
    assert_eq!(analysis["entities"][0]["kind"], "order_number");
    assert_eq!(analysis["would"]["action"], "order_flow", "{analysis}");
    for (text, action, what) in [
        ("welke betaalmethodes hebben jullie?", "answer", "iDEAL"),
        (
            "ik wil een medewerker spreken",
            "handoff",
            "asked_for_human",
        ),
        (
            "ik wil graag een klacht indienen over mijn bestelling",
            "handoff",
            "complaint",
        ),
    ] {
        let (_, a) = call("POST", "/api/v1/bot/analyse", Some(json!({ "text": text }))).await;
        assert_eq!(a["would"]["action"], action, "{text}: {a}");
        assert!(a["would"].to_string().contains(what), "{text}: {a}");
    }

    // Bad input to the admin's own calls.
    assert_error(
        &app.post(
            "/api/v1/bot/examples",
            json!({ "intent": "kortingscode!", "text": "hoi" }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/bot/examples",
            json!({ "intent": "kortingscode", "text": "  " }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/bot/analyse", json!({ "text": "" })).await,
        422,
        "validation_failed",
    );
}

#[tokio::test]
async fn the_shops_order_number_pattern_finds_its_orders() {
    let app = TestApp::spawn().await;
    let bad = app
        .call(
            "PUT",
            "/api/v1/bot/settings",
            &app.token,
            Some(json!({ "order_number_pattern": "NL-(\\d{6}" })),
        )
        .await;
    assert_error(&bad, 422, "validation_failed");
    let (status, settings) = app
        .call(
            "PUT",
            "/api/v1/bot/settings",
            &app.token,
            Some(json!({ "order_number_pattern": "\\bWS\\d{4}\\b" })),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["order_number_pattern"], "\\bWS\\d{4}\\b");

    put_order(
        &app,
        "WS1234",
        json!({ "customer_id": "C-1001", "status": "shipped", "carrier": "DHL",
                "tracking_url": "https://dhl.example/t/JVGL123", "postcode": "2000" }),
    )
    .await;
    let session = signed_visitor(&app, "nl-BE").await;
    send(&app, &session, "waar blijft bestelling WS1234?").await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(
        texts[0].contains("WS1234") && texts[0].contains("DHL"),
        "{texts:?}"
    );

    // "" restores the built-in pattern.
    let (_, settings) = app
        .call(
            "PUT",
            "/api/v1/bot/settings",
            &app.token,
            Some(json!({ "order_number_pattern": "" })),
        )
        .await;
    assert_eq!(settings["order_number_pattern"], Value::Null);
}

#[tokio::test]
async fn refund_status_follows_the_order() {
    let app = TestApp::spawn().await;
    put_order(
        &app,
        "1045001",
        json!({ "customer_id": "C-1001", "status": "returned", "postcode": "1012 AB" }),
    )
    .await;
    put_order(
        &app,
        "1045002",
        json!({ "customer_id": "C-1001", "status": "refunded", "postcode": "1012 AB" }),
    )
    .await;
    let session = signed_visitor(&app, "nl-NL").await;
    // Without a number: the returned order is the one waiting for money.
    send(
        &app,
        &session,
        "wanneer krijg ik mijn geld terug van mijn retour?",
    )
    .await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(
        texts[0].contains("1045001") && texts[0].contains("14 dagen"),
        "{texts:?}"
    );
    send(
        &app,
        &session,
        "is mijn terugbetaling van bestelling 1045002 al verwerkt?",
    )
    .await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(
        texts[1].contains("1045002") && texts[1].contains("terugbetaald"),
        "{texts:?}"
    );
}

#[tokio::test]
async fn an_address_change_before_shipping_goes_to_a_human_with_the_order() {
    let app = TestApp::spawn().await;
    put_order(
        &app,
        "1045003",
        json!({ "customer_id": "C-1001", "status": "processing", "postcode": "1012 AB" }),
    )
    .await;
    let session = signed_visitor(&app, "en-GB").await;
    send(
        &app,
        &session,
        "I need to change the delivery address of my order",
    )
    .await;
    let texts = wait_bot(&app, &session, 1).await;
    assert!(
        texts[0].contains("1045003") && texts[0].contains("can still be changed"),
        "{texts:?}"
    );
    let conversation = only_conversation(&app).await;
    let cid = conversation["id"].as_i64().unwrap();
    let messages = agent_messages(&app, cid).await;
    let note = messages.iter().find(|m| m["private"] == true).unwrap();
    let note = note["text"].as_str().unwrap();
    assert!(
        note.contains("adreswijziging") && note.contains("1045003"),
        "{note}"
    );

    // Shipped: the bot explains instead.
    put_order(
        &app,
        "1045003",
        json!({ "customer_id": "C-1001", "status": "shipped", "carrier": "DPD", "postcode": "1012 AB" }),
    )
    .await;
    // The customer's next question starts a new conversation.
    let (status, body) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    send(&app, &session, "can I still change my shipping address?").await;
    let texts = wait_bot(&app, &session, 2).await;
    let last = texts.last().unwrap();
    assert!(
        last.contains("already shipped") && last.contains("DPD"),
        "{texts:?}"
    );
}

#[tokio::test]
async fn a_handed_off_conversation_goes_back_to_the_bot_and_the_report_counts_both() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &session, "ik wil een medewerker spreken").await;
    wait_bot(&app, &session, 1).await;
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();

    let (status, conversation) = app
        .post(
            &format!("/api/v1/conversations/{cid}/bot/resume"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{conversation}");
    assert!(
        !conversation["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "bot_handoff"),
        "{conversation}"
    );
    assert_eq!(conversation["assignee_id"], Value::Null);
    send(&app, &session, "hoi, welke betaalmethodes hebben jullie?").await;
    let texts = wait_bot(&app, &session, 2).await;
    assert!(texts[1].contains("iDEAL"), "{texts:?}");

    // A second visitor the bot helps on its own.
    let other = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &other, "hoe lang duurt de levering?").await;
    wait_bot(&app, &other, 1).await;

    let (status, report) = app.get("/api/v1/reports/bot").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["conversations"], 2, "{report}");
    assert_eq!(report["handed_off"], 1, "{report}");
    assert_eq!(report["resolved_by_bot"], 1, "{report}");
    assert_eq!(report["automation_rate"], 0.5, "{report}");
    assert_eq!(report["answers"], 2, "{report}");
    let intents = report["intents"].as_array().unwrap();
    let human = intents
        .iter()
        .find(|i| i["intent"] == "contact_human_agent")
        .unwrap();
    assert_eq!(human["handed_off"], 1);
    assert_eq!(human["answered"], 0);
    assert_eq!(report["handoff_reasons"][0]["reason"], "asked_for_human");
    // The page says it in words, in the agent's language.
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;
    let (status, html) = admin.page(&app, "/reports/bot?days=7&lang=nl").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("klant vroeg om een medewerker") && html.contains("50%"),
        "{html}"
    );

    // A period before anything happened is empty; bad bounds are 422.
    let (_, empty) = app
        .get("/api/v1/reports/bot?from=2020-01-01&to=2020-02-01")
        .await;
    assert_eq!(empty["conversations"], 0, "{empty}");
    assert_error(
        &app.get("/api/v1/reports/bot?from=gisteren").await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/reports/bot?from=2026-02-01&to=2026-01-01")
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/conversations/999999/bot/resume", json!({}))
            .await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn quick_messages_each_get_one_turn_and_the_last_is_answered() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &session, "hoi").await;
    wait_bot(&app, &session, 1).await;
    let texts = ["bedankt", "welke betaalmethodes hebben jullie?"];
    // Both sent at once; `send` asserts each was accepted.
    tokio::join!(
        send(&app, &session, texts[0]),
        send(&app, &session, texts[1])
    );
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();
    // Wait until the customer's last message has a bot answer after it.
    let messages = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let messages = agent_messages(&app, cid).await;
            let last_customer = messages
                .iter()
                .rposition(|m| m["author_type"] == "contact")
                .unwrap();
            if messages[last_customer..]
                .iter()
                .any(|m| m["author_type"] == "bot")
            {
                return messages;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    })
    .await
    .expect("the last message is answered");
    // Never two answers to one message.
    let bot = messages
        .iter()
        .filter(|m| m["author_type"] == "bot")
        .count();
    let customer = messages
        .iter()
        .filter(|m| m["author_type"] == "contact")
        .count();
    assert!(bot <= customer, "{messages:?}");
}

#[tokio::test]
async fn bot_pages_teach_answer_and_report_without_javascript() {
    let app = TestApp::spawn().await;
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;

    // Try a sentence, with escaping.
    let (status, html) = admin
        .page(
            &app,
            "/settings/bot?text=%3Cb%3Ewaar%20is%20bestelling%201045873%3C/b%3E",
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("track_order") && html.contains("&lt;b&gt;"),
        "{html}"
    );
    assert!(!html.contains("<b>waar"), "unescaped");
    assert!(html.contains("id=\"bot-would\""), "{html}");

    // Add an example, badly then well.
    let res = admin
        .form(
            &app,
            "/settings/bot/examples",
            &[
                ("csrf", &admin.csrf),
                ("intent", "bad intent!"),
                ("text", "kadootje"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("value=\"kadootje\""),
        "{html}"
    );
    let res = admin
        .form(
            &app,
            "/settings/bot/examples",
            &[
                ("csrf", &admin.csrf),
                ("intent", "kortingscode"),
                ("text", "heb je een <kortingscode>?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, html) = admin.page(&app, "/settings/bot/intents?done=added").await;
    assert!(
        html.contains("&lt;kortingscode&gt;") && html.contains("role=\"status\""),
        "{html}"
    );
    // Edit it on its own page.
    let (_, examples) = app.get("/api/v1/bot/examples").await;
    let id = examples["data"][0]["id"].as_i64().unwrap();
    let (status, html) = admin
        .page(&app, &format!("/settings/bot/examples/{id}"))
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"heb je een &lt;kortingscode&gt;?\""),
        "{html}"
    );
    let path = format!("/settings/bot/examples/{id}");
    let res = admin
        .form(
            &app,
            &path,
            &[
                ("csrf", &admin.csrf),
                ("intent", "kortingscode"),
                ("text", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = admin
        .form(
            &app,
            &path,
            &[
                ("csrf", &admin.csrf),
                ("intent", "kortingscode"),
                ("text", "werkt mijn kortingscode nog?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, example) = app.get("/api/v1/bot/examples").await;
    assert_eq!(example["data"][0]["text"], "werkt mijn kortingscode nog?");
    // Retrain from the page.
    let res = admin
        .form(&app, "/settings/bot/retrain", &[("csrf", &admin.csrf)])
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(
        location.contains("done=retrained") && location.contains("version=1"),
        "{location}"
    );
    // A forged form changes nothing.
    let res = admin
        .form(&app, "/settings/bot/retrain", &[("csrf", "forged")])
        .await;
    assert_eq!(res.status(), 401);

    // Answers: the own intent appears; a bad placeholder keeps the input.
    let (status, html) = admin.page(&app, "/settings/bot/answers").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("answer-kortingscode") && html.contains("answer-delivery_period"),
        "{html}"
    );
    let res = admin
        .form(
            &app,
            "/settings/bot/answers/status",
            &[
                ("csrf", &admin.csrf),
                ("op", "save"),
                ("nl", "Bestelling {nummer}"),
                ("en", "Order {number} is {status}."),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("{nummer}") && html.contains("role=\"alert\""),
        "{html}"
    );
    let res = admin
        .form(
            &app,
            "/settings/bot/answers/kortingscode",
            &[
                ("csrf", &admin.csrf),
                ("op", "save"),
                ("nl", "Kortingscodes vind je in onze nieuwsbrief."),
                ("en", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let (_, answers) = app.get("/api/v1/bot/answers").await;
    let own = answers["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["key"] == "kortingscode")
        .cloned()
        .unwrap();
    assert_eq!(own["own_nl"], "Kortingscodes vind je in onze nieuwsbrief.");
    assert_eq!(own["own_en"], Value::Null);

    // The report page, for every agent; the settings pages' changes are not.
    agent(&app).await;
    let agent_browser = Browser::login(&app, "sanne@shop.test", "sanne-password").await;
    let (status, html) = agent_browser.page(&app, "/reports/bot?days=7").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Rapport bot") || html.contains("Bot report"),
        "{html}"
    );
    let (status, _) = agent_browser.page(&app, "/reports/bot?days=abc").await;
    assert_eq!(status, 422);
    let (status, _) = agent_browser.page(&app, "/reports/bot?days=400").await;
    assert_eq!(status, 200, "the longest period the page offers");
    let (status, _) = agent_browser.page(&app, "/reports/bot?days=401").await;
    assert_eq!(status, 422);
    let (status, _) = agent_browser.page(&app, "/settings/bot/answers").await;
    assert_eq!(status, 403);
    let res = agent_browser
        .form(
            &app,
            "/settings/bot/retrain",
            &[("csrf", &agent_browser.csrf)],
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_bot_answers_from_a_knowledge_article_and_hands_off_when_none_fits() {
    let app = TestApp::spawn().await;
    let (status, article) = app
        .post(
            "/api/v1/knowledge/articles",
            json!({
                "title_nl": "Je regenjas wassen",
                "body_nl": "Was je regenjas op 30 graden zonder wasverzachter. Daarna even in de droger, dan werkt de waterafstotende laag weer als nieuw.",
                "title_en": "Washing your rain jacket",
                "body_en": "Wash your rain jacket at 30 degrees without fabric softener. Then tumble dry briefly and the water-repellent layer works like new.",
                "keywords": "regenjas wassen wasmachine rain jacket wash",
                "published": true,
            }),
        )
        .await;
    assert_eq!(status, 201, "{article}");
    let (_, preview) = app
        .post(
            "/api/v1/bot/analyse",
            json!({ "text": "mag mijn regenjas in de wasmachine?" }),
        )
        .await;
    assert_eq!(preview["would"]["action"], "knowledge", "{preview}");
    assert_eq!(preview["would"]["title"], "Je regenjas wassen", "{preview}");
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let nl = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &nl, "mag mijn regenjas in de wasmachine?").await;
    let texts = wait_bot(&app, &nl, 1).await;
    assert!(
        texts[0].contains("30 graden") && texts[0].contains("Je regenjas wassen"),
        "{texts:?}"
    );
    let en = visitor(&app, json!({ "inbox": token, "locale": "en-GB" })).await;
    send(
        &app,
        &en,
        "can I wash my rain jacket in the washing machine?",
    )
    .await;
    let texts = wait_bot(&app, &en, 1).await;
    assert!(texts[0].contains("30 degrees"), "{texts:?}");

    // Nothing fits: a colleague takes over.
    let other = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &other, "hebben jullie die sneakers ook in maat 47?").await;
    let texts = wait_bot(&app, &other, 1).await;
    assert!(texts[0].contains("collega"), "{texts:?}");
    let (_, report) = app.get("/api/v1/reports/bot").await;
    let knowledge = report["intents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["intent"] == "knowledge")
        .cloned()
        .unwrap_or_else(|| panic!("{report}"));
    assert_eq!(knowledge["answered"], 2, "{report}");
}

#[tokio::test]
async fn frustration_raises_the_priority_while_a_human_has_the_conversation() {
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &session, "hoi").await;
    wait_bot(&app, &session, 1).await;
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();
    let (status, body) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "assignee_id": app.admin_id }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["priority"], "normal");
    send(
        &app,
        &session,
        "ik heb 3x gebeld en niemand helpt me, belachelijk",
    )
    .await;
    let raised = tokio::time::timeout(std::time::Duration::from_secs(60), async {
        loop {
            let conversation = only_conversation(&app).await;
            if conversation["priority"] == "high" {
                return conversation;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    })
    .await
    .expect("priority raised");
    assert_eq!(raised["assignee_id"], app.admin_id);
    // The bot itself stayed silent.
    assert_eq!(crate::bot::bot_texts(&app, &session).await.len(), 1);
}

#[tokio::test]
async fn an_article_about_this_very_question_beats_the_general_answer() {
    let app = TestApp::spawn().await;
    for (title, body) in [
        (
            "Verzending naar België",
            "Naar België leveren we binnen 2 tot 3 werkdagen met bpost; verzending kost €4,95.",
        ),
        (
            "Verzending naar Duitsland",
            "Naar Duitsland leveren we binnen 3 tot 4 werkdagen met DHL; verzending kost €6,95.",
        ),
    ] {
        let (status, body) = app
            .post(
                "/api/v1/knowledge/articles",
                json!({ "title_nl": title, "body_nl": body, "keywords": "levering verzending bezorging buitenland", "published": true }),
            )
            .await;
        assert_eq!(status, 201, "{body}");
    }
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let specific = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &specific, "hoe lang duurt de levering naar België?").await;
    let texts = wait_bot(&app, &specific, 1).await;
    assert!(
        texts[0].contains("bpost") && !texts[0].contains("DHL"),
        "{texts:?}"
    );
    // The general question keeps the shop's general answer.
    let general = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &general, "hoe lang duurt de levering?").await;
    let texts = wait_bot(&app, &general, 1).await;
    assert!(
        texts[0].contains("werkdagen") && !texts[0].contains("bpost"),
        "{texts:?}"
    );
}

async fn import(app: &TestApp, token: &str, content_type: &str, body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/bot/examples/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn examples_import_from_tsv_all_or_nothing() {
    let app = TestApp::spawn().await;
    let tsv = "# cadeau\ngift_wrapping\tkunnen jullie het inpakken?\n\ngift_wrapping\tcan you gift wrap it?\r\ngift_wrapping\tkunnen jullie het inpakken?\nkortingscode\twerkt mijn kortingscode nog?\n";
    let (status, body) = import(&app, &app.token, "text/tab-separated-values", tsv).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, json!({ "added": 3, "already_there": 0 }));
    // Again: nothing new.
    let (_, body) = import(&app, &app.token, "text/plain; charset=utf-8", tsv).await;
    assert_eq!(body, json!({ "added": 0, "already_there": 3 }));
    // A bad line adds nothing and names the line.
    let (status, body) = import(
        &app,
        &app.token,
        "text/tab-separated-values",
        "nieuw\teen goede regel\ngeen tab op deze regel\n",
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"], "validation_failed");
    assert!(
        body["message"].as_str().unwrap().contains("line 2"),
        "{body}"
    );
    let (_, examples) = app.get("/api/v1/bot/examples").await;
    assert_eq!(examples["data"].as_array().unwrap().len(), 3, "{examples}");
    let (status, body) = import(&app, &app.token, "application/json", "{}").await;
    assert_eq!(status, 415, "{body}");
    let (status, _) = import(&app, &app.token, "text/plain", "# alleen commentaar\n").await;
    assert_eq!(status, 422);
    let sanne = agent(&app).await;
    let (status, _) = import(&app, &sanne.token, "text/plain", tsv).await;
    assert_eq!(status, 403);

    // The same through the page.
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;
    let res = admin
        .form(
            &app,
            "/settings/bot/examples/import",
            &[
                ("csrf", &admin.csrf),
                ("tsv", "retour_label\twaar vind ik mijn retourlabel?"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let location = res.headers()[LOCATION].to_str().unwrap().to_string();
    assert!(location.contains("added=1"), "{location}");
    let res = admin
        .form(
            &app,
            "/settings/bot/examples/import",
            &[("csrf", &admin.csrf), ("tsv", "zonder tab")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("zonder tab"),
        "{html}"
    );
}

/// An admin in Chromium teaches the bot a new intent, retrains, tries a
/// sentence, and gives a handed-off conversation back to the bot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_browser_teach_retrain_try_and_give_back() {
    use fantoccini::Locator;

    use crate::browser::{browser, submit_login, until};

    let Some((_driver, c, _profile)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (_, token, _) = chat_inbox(&app, json!({})).await;
    let session = visitor(&app, json!({ "inbox": token, "locale": "nl-NL" })).await;
    send(&app, &session, "ik wil een medewerker spreken").await;
    wait_bot(&app, &session, 1).await;
    let cid = only_conversation(&app).await["id"].as_i64().unwrap();

    c.goto(&app.url("/login?lang=nl")).await.unwrap();
    submit_login(&c, "admin@shop.test", PASSWORD).await;
    c.goto(&app.url("/settings/bot/intents")).await.unwrap();
    let tsv: String = GIFT_EXAMPLES
        .iter()
        .map(|t| format!("gift_wrapping\t{t}\n"))
        .collect();
    c.find(Locator::Css("details.import summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    // A textarea takes a tab from a script, not from typing.
    c.execute(
        "document.querySelector('textarea[name=tsv]').value = arguments[0];",
        vec![json!(tsv)],
    )
    .await
    .unwrap();
    c.find(Locator::Css("details.import button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "the import notice", "return (document.querySelector('.notice')||{}).textContent?.includes('10 voorbeelden toegevoegd') === true").await;
    c.find(Locator::Css("#btn-retrain"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(&c, "the retrain notice", "return (document.querySelector('.notice')||{}).textContent?.startsWith('Getraind: versie 1') === true").await;

    c.goto(&app.url("/settings/bot")).await.unwrap();
    c.find(Locator::Css("textarea[name=text]"))
        .await
        .unwrap()
        .send_keys("kunnen jullie mijn bestelling als cadeau inpakken?")
        .await
        .unwrap();
    c.find(Locator::Css("main form[method=get] button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "the analysis",
        "return document.querySelector('code.intent')?.textContent === 'gift_wrapping'",
    )
    .await;

    // Back to the bot from the conversation page.
    c.goto(&app.url(&format!("/inbox/c/{cid}"))).await.unwrap();
    c.find(Locator::Css("#btn-resume-bot"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        &c,
        "the handoff label gone",
        "return !document.getElementById('btn-resume-bot')",
    )
    .await;
    let conversation = only_conversation(&app).await;
    assert!(
        !conversation["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "bot_handoff"),
        "{conversation}"
    );
    c.close().await.unwrap();
}
