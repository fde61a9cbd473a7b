//! The knowledge base: admins write articles in Dutch and English through
//! the API and the settings page, every agent reads them, the search finds
//! published articles for questions in either language, and another
//! account sees none of them.

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::canned::{agent, escaped, Browser};
use crate::harness::{assert_error, TestApp, PASSWORD};

const ARTICLES: &str = "/api/v1/knowledge/articles";

fn belgium() -> Value {
    json!({
        "title_nl": " Verzending naar België ",
        "body_nl": "We bezorgen in heel België met bpost. Bestel je op een werkdag voor 22:00 uur, dan is je pakket binnen 1 tot 2 werkdagen bij je. De verzendkosten naar België zijn 4,95 euro; vanaf 50 euro is de levering gratis.",
        "title_en": "Shipping to Belgium",
        "body_en": "We deliver all over Belgium with bpost. Order on a working day before 10 pm and your parcel arrives within 1 to 2 working days. Shipping to Belgium costs 4.95 euros and is free from 50 euros.",
        "keywords": "België Belgium bpost levertijd verzendkosten",
        "published": true,
    })
}

/// A small shop's help articles, as an admin would write them; returns
/// their ids by name.
async fn shop_articles(app: &TestApp) -> std::collections::HashMap<&'static str, i64> {
    let articles = [
        ("belgium", belgium()),
        (
            "germany",
            json!({
                "title_nl": "Verzending naar Duitsland",
                "body_nl": "Naar Duitsland verzenden we met DHL. Reken op 2 tot 4 werkdagen. De verzendkosten zijn 6,95 euro; vanaf 75 euro verzenden we gratis.",
                "title_en": "Shipping to Germany",
                "body_en": "We ship to Germany with DHL. Allow 2 to 4 working days. Shipping costs 6.95 euros and is free from 75 euros.",
                "keywords": "Duitsland Germany Deutschland DHL",
                "published": true,
            }),
        ),
        (
            "gift",
            json!({
                "title_nl": "Cadeauverpakking",
                "body_nl": "Geef je iets cadeau? Vink bij het afrekenen 'cadeauverpakking' aan. Voor 2,50 euro pakken we je bestelling in met cadeaupapier en een kaartje met jouw tekst.",
                "title_en": "Gift wrapping",
                "body_en": "Giving a present? Tick 'gift wrapping' at checkout. For 2.50 euros we wrap your order in gift paper with a card carrying your message.",
                "keywords": "cadeau kado inpakken gift wrap",
                "published": true,
            }),
        ),
        (
            "pickup",
            json!({
                "title_nl": "Afhalen bij een afhaalpunt",
                "body_nl": "Niet thuis? Kies bij het afrekenen een afhaalpunt bij jou in de buurt. Je krijgt een e-mail zodra je pakket klaarligt; je hebt dan 7 dagen om het op te halen.",
                "title_en": "Collecting at a pick-up point",
                "body_en": "Not at home? Choose a pick-up point near you at checkout. You will get an email as soon as your parcel is ready; you then have 7 days to collect it.",
                "keywords": "afhaalpunt ophaalpunt servicepunt pickup collect",
                "published": true,
            }),
        ),
        (
            "sizes",
            json!({
                "title_nl": "Maattabel",
                "body_nl": "Bij elk kledingstuk staat een maattabel met borstomvang, taille en lengte. Twijfel je tussen twee maten, kies dan de grootste.",
                "published": true,
            }),
        ),
        (
            "warranty",
            json!({
                "title_en": "Warranty",
                "body_en": "All our products come with a two-year warranty. Send us your order number and a photo of the defect.",
                "published": true,
            }),
        ),
        (
            "draft",
            json!({
                "title_nl": "Black Friday korting",
                "body_nl": "Op Black Friday krijg je 20 procent korting op alle truien.",
            }),
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for (name, body) in articles {
        let (status, created) = app.post(ARTICLES, body).await;
        assert_eq!(status, 201, "{name}: {created}");
        ids.insert(name, created["id"].as_i64().unwrap());
    }
    ids
}

async fn search(app: &TestApp, q: &str, lang: &str) -> Value {
    let mut path = format!(
        "/api/v1/knowledge/search?q={}",
        q.replace(' ', "%20").replace('?', "%3F")
    );
    if !lang.is_empty() {
        path.push_str(&format!("&lang={lang}"));
    }
    let (status, body) = app.get(&path).await;
    assert_eq!(status, 200, "{q}: {body}");
    body
}

fn hits(result: &Value) -> &Vec<Value> {
    result["data"].as_array().unwrap()
}

fn score(hit: &Value) -> f64 {
    hit["score"].as_f64().unwrap()
}

#[tokio::test]
async fn knowledge_crud_through_the_api() {
    let app = TestApp::spawn().await;
    let (status, created) = app.post(ARTICLES, belgium()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["title_nl"], "Verzending naar België", "trimmed");
    assert_eq!(created["title_en"], "Shipping to Belgium");
    assert_eq!(created["published"], true);
    let id = created["id"].as_i64().unwrap();
    let (status, draft) = app
        .post(
            ARTICLES,
            json!({ "title_en": "Warranty", "body_en": "Two years.\r\nOn everything." }),
        )
        .await;
    assert_eq!(status, 201, "{draft}");
    assert_eq!(draft["published"], false, "a draft by default");
    assert_eq!(draft["title_nl"], Value::Null);
    assert_eq!(draft["keywords"], Value::Null);
    assert_eq!(draft["body_en"], "Two years.\nOn everything.");
    let draft_id = draft["id"].as_i64().unwrap();

    let (status, one) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(
        one["keywords"],
        "België Belgium bpost levertijd verzendkosten"
    );

    // Newest first, with cursors and a filter on published.
    let ids = |v: &Value| -> Vec<i64> {
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_i64().unwrap())
            .collect()
    };
    let (_, all) = app.get(ARTICLES).await;
    assert_eq!(ids(&all), [draft_id, id]);
    let (_, first) = app.get(&format!("{ARTICLES}?limit=1")).await;
    assert_eq!(ids(&first), [draft_id]);
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let (_, second) = app
        .get(&format!("{ARTICLES}?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(ids(&second), [id]);
    assert_eq!(second["next_cursor"], Value::Null);
    let (_, published) = app.get(&format!("{ARTICLES}?published=true")).await;
    assert_eq!(ids(&published), [id]);
    let (_, drafts) = app.get(&format!("{ARTICLES}?published=false")).await;
    assert_eq!(ids(&drafts), [draft_id]);
    assert_error(
        &app.get(&format!("{ARTICLES}?published=misschien")).await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get(&format!("{ARTICLES}?cursor=abc")).await,
        422,
        "validation_failed",
    );

    // Patch: a field left out is kept, null clears, Dutch can be added.
    let (status, patched) = app
        .patch(
            &format!("{ARTICLES}/{draft_id}"),
            json!({ "title_nl": "Garantie", "body_nl": "Twee jaar.", "published": true }),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title_nl"], "Garantie");
    assert_eq!(patched["title_en"], "Warranty");
    assert_eq!(patched["published"], true);
    let (status, patched) = app
        .patch(
            &format!("{ARTICLES}/{id}"),
            json!({ "title_nl": null, "body_nl": "", "keywords": null }),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title_nl"], Value::Null);
    assert_eq!(patched["body_nl"], Value::Null);
    assert_eq!(patched["keywords"], Value::Null);
    assert_eq!(patched["title_en"], "Shipping to Belgium");
    // RFC 3339 in one format: later sorts later. Each update moves it on.
    assert!(
        patched["updated_at"].as_str().unwrap() > created["updated_at"].as_str().unwrap(),
        "{patched} {created}"
    );
    // Nothing complete left, or half a language: refused, nothing changed.
    assert_error(
        &app.patch(&format!("{ARTICLES}/{id}"), json!({ "title_en": null }))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.patch(
            &format!("{ARTICLES}/{id}"),
            json!({ "title_en": null, "body_en": null }),
        )
        .await,
        422,
        "validation_failed",
    );
    let (_, still) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(still["title_en"], "Shipping to Belgium");

    // Each change is an event.
    let kinds = app.event_kinds("knowledge_article.").await;
    assert_eq!(
        kinds,
        [
            "knowledge_article.created",
            "knowledge_article.created",
            "knowledge_article.updated",
            "knowledge_article.updated"
        ]
    );

    let (status, _) = app.delete(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(status, 204);
    assert_error(
        &app.get(&format!("{ARTICLES}/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.delete(&format!("{ARTICLES}/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.patch(&format!("{ARTICLES}/{id}"), json!({ "published": false }))
            .await,
        404,
        "not_found",
    );
    assert_error(&app.get(&format!("{ARTICLES}/abc")).await, 404, "not_found");
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    assert!(events["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["kind"] == "knowledge_article.deleted"
            && e["payload"]["knowledge_article_id"] == id));
}

#[tokio::test]
async fn knowledge_validation_errors_have_codes() {
    let app = TestApp::spawn().await;
    for (body, needle) in [
        (json!({}), "title_nl"),
        (json!({ "keywords": "alleen trefwoorden" }), "title_nl"),
        (json!({ "title_nl": " ", "body_nl": "\n" }), "title_nl"),
        (json!({ "title_nl": "Titel" }), "body_nl"),
        (json!({ "body_en": "Only a body" }), "title_en"),
        (
            json!({ "title_nl": "T", "body_nl": "B", "title_en": "Half" }),
            "body_en",
        ),
        (
            json!({ "title_nl": "x".repeat(201), "body_nl": "B" }),
            "title_nl",
        ),
        (
            json!({ "title_en": "T", "body_en": "x".repeat(20_001) }),
            "body_en",
        ),
        (
            json!({ "title_nl": "T", "body_nl": "B", "keywords": "k".repeat(1_001) }),
            "keywords",
        ),
        (json!({ "title_nl": "T\u{0}", "body_nl": "B" }), "title_nl"),
    ] {
        let got = app.post(ARTICLES, body.clone()).await;
        assert_error(&got, 422, "validation_failed");
        assert!(
            got.1["message"].as_str().unwrap().starts_with(needle),
            "{body}: {}",
            got.1
        );
    }
    // Bad JSON shapes get the same code.
    for body in [
        json!({ "title_nl": "T", "body_nl": "B", "colour": "red" }),
        json!({ "title_nl": "T", "body_nl": "B", "published": "ja" }),
        json!({ "title_nl": 5, "body_nl": "B" }),
    ] {
        assert_error(&app.post(ARTICLES, body).await, 422, "validation_failed");
    }
    let res = app
        .client
        .post(app.url(ARTICLES))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{\"title_nl\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "invalid_json");
    // The limits themselves are allowed.
    let (status, body) = app
        .post(
            ARTICLES,
            json!({ "title_nl": "t".repeat(200), "body_nl": "b".repeat(20_000), "keywords": "k".repeat(1_000) }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        app.get(ARTICLES).await.1["data"].as_array().unwrap().len(),
        1
    );

    // The search's parameters.
    for (path, status, code, needle) in [
        ("/api/v1/knowledge/search", 400, "invalid_query", ""),
        (
            "/api/v1/knowledge/search?q=%20",
            422,
            "validation_failed",
            "q",
        ),
        (
            "/api/v1/knowledge/search?q=levering&lang=de",
            422,
            "validation_failed",
            "lang",
        ),
        (
            "/api/v1/knowledge/search?q=levering&limit=0",
            422,
            "validation_failed",
            "limit",
        ),
        (
            "/api/v1/knowledge/search?q=levering&limit=21",
            422,
            "validation_failed",
            "limit",
        ),
        (
            "/api/v1/knowledge/search?q=levering&limit=x",
            400,
            "invalid_query",
            "",
        ),
    ] {
        let got = app.get(path).await;
        assert_error(&got, status, code);
        assert!(
            got.1["message"].as_str().unwrap().starts_with(needle),
            "{path}: {}",
            got.1
        );
    }
    let long = "a".repeat(1_001);
    assert_error(
        &app.get(&format!("/api/v1/knowledge/search?q={long}")).await,
        422,
        "validation_failed",
    );
}

#[tokio::test]
async fn knowledge_changes_are_for_admins_and_reading_for_everyone() {
    let app = TestApp::spawn().await;
    let (_, created) = app.post(ARTICLES, belgium()).await;
    let id = created["id"].as_i64().unwrap();
    let sanne = agent(&app).await;
    let (status, list) = app.call("GET", ARTICLES, &sanne.token, None).await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (status, _) = app
        .call("GET", &format!("{ARTICLES}/{id}"), &sanne.token, None)
        .await;
    assert_eq!(status, 200);
    let (status, found) = app
        .call(
            "GET",
            "/api/v1/knowledge/search?q=verzending%20belgie&lang=nl",
            &sanne.token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(found["data"][0]["article_id"], id);

    assert_error(
        &app.call("POST", ARTICLES, &sanne.token, Some(belgium()))
            .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.call(
            "PATCH",
            &format!("{ARTICLES}/{id}"),
            &sanne.token,
            Some(json!({ "title_en": "Gekaapt" })),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.call("DELETE", &format!("{ARTICLES}/{id}"), &sanne.token, None)
            .await,
        403,
        "forbidden",
    );
    // An id that does not exist is a 404 for her too, not a 403.
    assert_error(
        &app.call("DELETE", &format!("{ARTICLES}/999999"), &sanne.token, None)
            .await,
        404,
        "not_found",
    );
    let (_, still) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(still["title_en"], "Shipping to Belgium");
    assert_eq!(
        app.get(ARTICLES).await.1["data"].as_array().unwrap().len(),
        1
    );
}

#[tokio::test]
async fn knowledge_of_another_account_is_invisible() {
    let app = TestApp::spawn().await;
    let (_, created) = app.post(ARTICLES, belgium()).await;
    let id = created["id"].as_i64().unwrap();
    let (b_token, b_account) = app.other_account().await;

    for (method, path, body) in [
        ("GET", format!("{ARTICLES}/{id}"), None),
        (
            "PATCH",
            format!("{ARTICLES}/{id}"),
            Some(json!({ "title_nl": "Overgenomen" })),
        ),
        ("DELETE", format!("{ARTICLES}/{id}"), None),
    ] {
        assert_error(
            &app.call(method, &path, &b_token, body).await,
            404,
            "not_found",
        );
    }
    let (_, list) = app.call("GET", ARTICLES, &b_token, None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);
    let question = "/api/v1/knowledge/search?q=verzending%20naar%20belgie&lang=nl";
    let (_, found) = app.call("GET", question, &b_token, None).await;
    assert_eq!(found["data"].as_array().unwrap().len(), 0, "{found}");

    // B writes the same article: each account finds only its own.
    let (status, b_created) = app.call("POST", ARTICLES, &b_token, Some(belgium())).await;
    assert_eq!(status, 201);
    assert_eq!(b_created["account_id"].as_i64().unwrap(), b_account);
    let b_id = b_created["id"].as_i64().unwrap();
    let (_, found) = app.call("GET", question, &b_token, None).await;
    assert_eq!(hits(&found).len(), 1);
    assert_eq!(found["data"][0]["article_id"], b_id);
    let (_, found) = app.get(question).await;
    assert_eq!(hits(&found).len(), 1);
    assert_eq!(found["data"][0]["article_id"], id);
    // B deleting its own leaves A's.
    let (status, _) = app
        .call("DELETE", &format!("{ARTICLES}/{b_id}"), &b_token, None)
        .await;
    assert_eq!(status, 204);
    let (_, a) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(a["title_nl"], "Verzending naar België");
}

#[tokio::test]
async fn knowledge_search_answers_dutch_and_english_questions() {
    let app = TestApp::spawn().await;
    let ids = shop_articles(&app).await;

    // The question from the brief, in Dutch.
    let found = search(&app, "Hoe lang duurt de levering naar België?", "nl").await;
    let top = &hits(&found)[0];
    assert_eq!(top["article_id"], ids["belgium"], "{found}");
    assert_eq!(top["language"], "nl");
    assert_eq!(top["title"], "Verzending naar België");
    assert!(top["answer"]
        .as_str()
        .unwrap()
        .starts_with("We bezorgen in heel België"));
    assert!(score(top) >= 0.6, "{found}");
    assert!(
        hits(&found).iter().skip(1).all(|h| score(h) < 0.6),
        "{found}"
    );

    // And in English; the language is detected when not given.
    let found = search(&app, "Do you ship to Germany?", "").await;
    assert_eq!(found["language"], "en");
    let top = &hits(&found)[0];
    assert_eq!(top["article_id"], ids["germany"], "{found}");
    assert_eq!(top["title"], "Shipping to Germany");
    assert!(score(top) >= 0.6, "{found}");

    // Paraphrases that share no title word with the article.
    for (q, lang, want) in [
        ("Bezorgen jullie ook in Duitsland?", "nl", "germany"),
        ("Kunnen jullie het als cadeau inpakken?", "nl", "gift"),
        ("Can you wrap it as a present?", "en", "gift"),
        (
            "I am not home, where can I collect my parcel?",
            "en",
            "pickup",
        ),
        ("What does delivery to Belgium cost?", "en", "belgium"),
    ] {
        let found = search(&app, q, lang).await;
        assert_eq!(hits(&found)[0]["article_id"], ids[want], "{q}: {found}");
    }
    // Stemmed forms: "pakketje" finds "pakket", "shipping costs" finds
    // "Shipping ... costs", "leveringen" finds "levering".
    let found = search(
        &app,
        "kan ik mijn pakketje ophalen bij een afhaalpunt",
        "nl",
    )
    .await;
    assert_eq!(hits(&found)[0]["article_id"], ids["pickup"], "{found}");
    let found = search(&app, "gratis leveringen naar België", "nl").await;
    assert_eq!(hits(&found)[0]["article_id"], ids["belgium"], "{found}");
    let found = search(&app, "shipping costs for Germany", "en").await;
    assert_eq!(hits(&found)[0]["article_id"], ids["germany"], "{found}");

    // An article without the asked language is found in its other one,
    // ranked below the same article asked in its own language.
    let found = search(&app, "maattabel", "en").await;
    let fallback = &hits(&found)[0];
    assert_eq!(fallback["article_id"], ids["sizes"]);
    assert_eq!(fallback["language"], "nl");
    assert_eq!(fallback["title"], "Maattabel");
    let own = search(&app, "maattabel", "nl").await;
    assert!(score(fallback) < score(&hits(&own)[0]), "{found} {own}");
    let found = search(&app, "warranty", "nl").await;
    assert_eq!(hits(&found)[0]["language"], "en");

    // Drafts are never found; publishing makes them findable at once, and
    // so does an edit (the cached index notices).
    let draft = ids["draft"];
    let found = search(&app, "Black Friday korting", "nl").await;
    assert!(
        hits(&found).iter().all(|h| h["article_id"] != draft),
        "{found}"
    );
    app.patch(&format!("{ARTICLES}/{draft}"), json!({ "published": true }))
        .await;
    let found = search(&app, "Black Friday korting", "nl").await;
    assert_eq!(hits(&found)[0]["article_id"], draft, "{found}");
    app.patch(
        &format!("{ARTICLES}/{draft}"),
        json!({ "body_nl": "Op Cyber Monday krijg je korting op sokken." }),
    )
    .await;
    let found = search(&app, "sokken", "nl").await;
    assert_eq!(hits(&found)[0]["article_id"], draft, "{found}");
    app.patch(
        &format!("{ARTICLES}/{draft}"),
        json!({ "published": false }),
    )
    .await;
    let found = search(&app, "sokken", "nl").await;
    assert!(hits(&found).is_empty(), "{found}");
    app.delete(&format!("{ARTICLES}/{}", ids["gift"])).await;
    let found = search(&app, "gift wrapping", "en").await;
    assert!(
        hits(&found).iter().all(|h| h["article_id"] != ids["gift"]),
        "{found}"
    );

    // Nothing about it, or a topic no article covers: nothing confident.
    let found = search(&app, "Mijn kat is ziek", "nl").await;
    assert!(hits(&found).is_empty(), "{found}");
    let found = search(&app, "Do you ship to Sweden?", "en").await;
    assert!(hits(&found).iter().all(|h| score(h) < 0.6), "{found}");

    // Scores are in [0, 1], best first, and the limit holds.
    let found = search(&app, "verzending", "nl").await;
    let scores: Vec<f64> = hits(&found).iter().map(score).collect();
    assert!(scores.len() >= 2, "{found}");
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert!(scores.iter().all(|s| (0.0..=1.0).contains(s)), "{scores:?}");
    let (_, one) = app
        .get("/api/v1/knowledge/search?q=verzending&lang=nl&limit=1")
        .await;
    assert_eq!(hits(&one).len(), 1);
}

#[tokio::test]
async fn knowledge_search_answers_are_cut_at_a_sentence() {
    let app = TestApp::spawn().await;
    let sentence = "Retourneren kan binnen dertig dagen met het formulier in je account. ";
    let (status, _) = app
        .post(
            ARTICLES,
            json!({ "title_nl": "Retourneren", "body_nl": sentence.repeat(40), "published": true }),
        )
        .await;
    assert_eq!(status, 201);
    let found = search(&app, "retourneren", "nl").await;
    let answer = hits(&found)[0]["answer"].as_str().unwrap().to_string();
    assert!(answer.chars().count() <= 600, "{answer}");
    assert!(answer.chars().count() > 400, "{answer}");
    assert!(answer.ends_with("account."), "{answer}");
}

const XSS_TITLE: &str = "<script>alert('t')</script> Levering";
const XSS_BODY: &str = "Hoi \"klant\" <img src=x onerror=alert(1)> & tot ziens.";

#[tokio::test]
async fn knowledge_ui_manages_articles_with_forms_without_script() {
    let app = TestApp::spawn().await;
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;

    let (status, html) = admin.page(&app, "/settings/knowledge?lang=nl").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("Kennisbank") && html.contains("Nog geen artikelen"),
        "{html}"
    );
    assert!(html.contains("href=\"/settings/knowledge/new\""), "{html}");
    assert!(html.contains("name=\"q\""), "the search box is there");
    let (_, en) = admin.page(&app, "/settings/knowledge?lang=en").await;
    assert!(
        en.contains("Knowledge base") && en.contains("What would the bot find?"),
        "{en}"
    );
    let (_, inbox) = admin.page(&app, "/inbox?lang=nl").await;
    assert!(inbox.contains("href=\"/settings/knowledge\""), "{inbox}");

    let (status, form) = admin.page(&app, "/settings/knowledge/new?lang=nl").await;
    assert_eq!(status, 200);
    for field in [
        "title_nl",
        "body_nl",
        "title_en",
        "body_en",
        "keywords",
        "published",
    ] {
        assert!(
            form.contains(&format!("name=\"{field}\"")),
            "{field}: {form}"
        );
    }
    assert!(form.contains(&format!("name=\"csrf\" value=\"{}\"", admin.csrf)));

    // Add through the form, with the textarea's CRLF.
    let res = admin
        .form(
            &app,
            "/settings/knowledge",
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "create"),
                ("title_nl", XSS_TITLE),
                (
                    "body_nl",
                    "Regel een.\r\nWe bezorgen in België binnen twee werkdagen.",
                ),
                ("title_en", "Delivery"),
                ("body_en", XSS_BODY),
                ("keywords", "belgie levertijd"),
                ("published", "on"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/settings/knowledge?done=saved");
    let (_, list) = app.get(ARTICLES).await;
    let article = &list["data"][0];
    let id = article["id"].as_i64().unwrap();
    assert_eq!(article["title_nl"], XSS_TITLE);
    assert_eq!(
        article["body_nl"],
        "Regel een.\nWe bezorgen in België binnen twee werkdagen."
    );
    assert_eq!(article["published"], true);

    // Listed escaped, in the agent's language, as published.
    let (_, html) = admin
        .page(&app, "/settings/knowledge?done=saved&lang=nl")
        .await;
    assert!(html.contains("Artikel opgeslagen"), "{html}");
    assert!(html.contains(&escaped(XSS_TITLE)), "{html}");
    assert!(!html.contains("<script>alert"), "{html}");
    assert!(html.contains("Gepubliceerd"), "{html}");
    let (_, html) = admin.page(&app, "/settings/knowledge?lang=en").await;
    assert!(
        html.contains(">Delivery</a>") && html.contains("Published"),
        "{html}"
    );

    // "What would the bot find?" shows the hit, its score and answer.
    let (status, html) = admin
        .page(
            &app,
            "/settings/knowledge?lang=nl&q=hoe+lang+duurt+de+levering+naar+Belgi%C3%AB%3F&search_lang=nl",
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        html.contains(&format!("data-article-id=\"{id}\"")),
        "{html}"
    );
    assert!(
        html.contains("class=\"kb-score\">score 0.")
            || html.contains("class=\"kb-score\">score 1.00"),
        "{html}"
    );
    assert!(
        html.contains("value=\"hoe lang duurt de levering naar België?\""),
        "{html}"
    );
    assert!(html.contains(&escaped("Regel een.\nWe bezorgen")), "{html}");
    let (_, html) = admin
        .page(&app, "/settings/knowledge?lang=nl&q=mijn+kat+is+ziek")
        .await;
    assert!(html.contains("Geen artikel gevonden"), "{html}");
    let (_, html) = admin
        .page(&app, "/settings/knowledge?lang=en&q=x&search_lang=de")
        .await;
    assert!(html.contains("role=\"alert\""), "{html}");

    // Bad input: the form comes back with a readable error and what was
    // typed, escaped.
    let res = admin
        .form(
            &app,
            "/settings/knowledge",
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "create"),
                ("title_nl", "<b>Alleen een titel</b>"),
                ("body_en", "An English body without a title"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("body_nl"),
        "{html}"
    );
    assert!(
        html.contains("value=\"&lt;b&gt;Alleen een titel&lt;/b&gt;\""),
        "{html}"
    );
    assert!(
        html.contains(">An English body without a title</textarea>"),
        "{html}"
    );
    assert_eq!(
        app.get(ARTICLES).await.1["data"].as_array().unwrap().len(),
        1
    );
    // Without the CSRF token nothing happens.
    let res = admin
        .form(
            &app,
            "/settings/knowledge",
            &[("op", "create"), ("title_nl", "Stiekem"), ("body_nl", "x")],
        )
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(ARTICLES).await.1["data"].as_array().unwrap().len(),
        1
    );

    // Edit: the form holds the values; unticking makes it a draft.
    let (status, edit) = admin
        .page(&app, &format!("/settings/knowledge/{id}?lang=nl"))
        .await;
    assert_eq!(status, 200);
    assert!(
        edit.contains(&format!("value=\"{}\"", escaped(XSS_TITLE))),
        "{edit}"
    );
    assert!(
        edit.contains(&format!(">{}</textarea>", escaped(XSS_BODY))),
        "{edit}"
    );
    assert!(edit.contains("value=\"on\" checked"), "{edit}");
    assert!(
        edit.contains(&format!("href=\"/settings/knowledge/{id}/delete\"")),
        "{edit}"
    );
    let res = admin
        .form(
            &app,
            &format!("/settings/knowledge/{id}"),
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "update"),
                ("title_nl", "Levering in België"),
                ("body_nl", "Binnen twee werkdagen."),
                ("title_en", ""),
                ("body_en", ""),
                ("keywords", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, one) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(one["title_nl"], "Levering in België");
    assert_eq!(one["title_en"], Value::Null);
    assert_eq!(one["keywords"], Value::Null);
    assert_eq!(one["published"], false);
    let (_, html) = admin.page(&app, "/settings/knowledge?lang=nl").await;
    assert!(html.contains("Concept"), "{html}");
    // An edit that leaves no language keeps the typed values on the page.
    let res = admin
        .form(
            &app,
            &format!("/settings/knowledge/{id}"),
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "update"),
                ("title_nl", "Alleen titel"),
                ("body_nl", " "),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("value=\"Alleen titel\"") && html.contains("role=\"alert\""),
        "{html}"
    );
    let (_, one) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(one["title_nl"], "Levering in België");

    // Delete asks first, then deletes.
    let (status, confirm) = admin
        .page(&app, &format!("/settings/knowledge/{id}/delete?lang=nl"))
        .await;
    assert_eq!(status, 200);
    assert!(
        confirm.contains("Levering in België") && confirm.contains("value=\"delete\""),
        "{confirm}"
    );
    let (_, one) = app.get(&format!("{ARTICLES}/{id}")).await;
    assert_eq!(one["id"], id, "showing the question deletes nothing");
    let res = admin
        .form(
            &app,
            &format!("/settings/knowledge/{id}"),
            &[("csrf", admin.csrf.as_str()), ("op", "delete")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/settings/knowledge?done=deleted");
    assert_error(
        &app.get(&format!("{ARTICLES}/{id}")).await,
        404,
        "not_found",
    );
    let (status, _) = admin.page(&app, &format!("/settings/knowledge/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An agent may not manage them and sees no link.
    let sanne = agent(&app).await;
    let sanne_page = Browser {
        http: admin.http.clone(),
        cookie: sanne.cookie.clone(),
        csrf: sanne.csrf.clone(),
    };
    let (status, _) = sanne_page.page(&app, "/settings/knowledge").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = sanne_page.page(&app, "/settings/knowledge/new").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, inbox) = sanne_page.page(&app, "/inbox").await;
    assert!(!inbox.contains("href=\"/settings/knowledge\""));
    let res = sanne_page
        .form(
            &app,
            "/settings/knowledge",
            &[
                ("csrf", sanne.csrf.as_str()),
                ("op", "create"),
                ("title_nl", "x"),
                ("body_nl", "y"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.get(ARTICLES).await.1["data"].as_array().unwrap().len(),
        0
    );
}
