//! Canned responses: admins manage them through the API and the settings
//! page, agents list them and have them filled in for a conversation, and
//! another account sees none of them.

use reqwest::header::{ACCEPT, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{assert_error, TestApp, PASSWORD};

/// An agent (not an admin) with an API token and a login session.
pub(crate) struct Agent {
    pub token: String,
    pub cookie: String,
    pub csrf: String,
}

pub(crate) async fn login(app: &TestApp, email: &str, password: &str) -> (String, String) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("balie_session="))
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let body: Value = res.json().await.unwrap();
    (cookie, body["csrf_token"].as_str().unwrap().to_string())
}

/// Adds the agent Sanne (not an admin) and logs her in.
pub(crate) async fn agent(app: &TestApp) -> Agent {
    let (status, body) = app
        .post(
            "/api/v1/agents",
            json!({ "email": "sanne@shop.test", "name": "Sanne Jansen", "password": "sanne-password" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let (cookie, csrf) = login(app, "sanne@shop.test", "sanne-password").await;
    let t: Value = app
        .client
        .post(app.url("/api/v1/api-tokens"))
        .header(COOKIE, &cookie)
        .header("x-csrf-token", &csrf)
        .json(&json!({ "name": "script" }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    Agent {
        token: t["token"].as_str().unwrap().to_string(),
        cookie,
        csrf,
    }
}

fn levertijd() -> Value {
    json!({
        "code": "Levertijd",
        "title": "Levertijd",
        "text": "Hoi {{contact.first_name}}, je pakket komt morgen. Groet, {{agent.first_name}} (#{{conversation.id}}) {{order.number}}",
        "language": "nl",
    })
}

#[tokio::test]
async fn canned_crud_through_the_api() {
    let app = TestApp::spawn().await;
    let (status, created) = app.post("/api/v1/canned-responses", levertijd()).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["code"], "levertijd");
    assert_eq!(created["language"], "nl");
    let id = created["id"].as_i64().unwrap();
    let (status, other) = app
        .post(
            "/api/v1/canned-responses",
            json!({ "code": "delivery", "title": "Delivery", "text": "Hi {{contact.name}}" }),
        )
        .await;
    assert_eq!(status, 201, "{other}");
    assert_eq!(other["language"], Value::Null);

    let (status, one) = app.get(&format!("/api/v1/canned-responses/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["title"], "Levertijd");

    // The list is by code; search by code or title; language keeps "any".
    let (_, list) = app.get("/api/v1/canned-responses").await;
    let codes: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(codes, ["delivery", "levertijd"]);
    let (_, found) = app.get("/api/v1/canned-responses?q=LEVER").await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let (_, en) = app.get("/api/v1/canned-responses?language=en").await;
    assert_eq!(en["data"].as_array().unwrap().len(), 1);
    assert_eq!(en["data"][0]["code"], "delivery");
    assert_error(
        &app.get("/api/v1/canned-responses?language=de").await,
        422,
        "validation_failed",
    );

    // Patch: a field left out is kept, language null means any.
    let (status, patched) = app
        .patch(
            &format!("/api/v1/canned-responses/{id}"),
            json!({ "title": "Levertijd NL", "language": null }),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["title"], "Levertijd NL");
    assert_eq!(patched["language"], Value::Null);
    assert_eq!(patched["code"], "levertijd");
    let (_, patched) = app
        .patch(
            &format!("/api/v1/canned-responses/{id}"),
            json!({ "text": "Nieuw" }),
        )
        .await;
    assert_eq!(patched["language"], Value::Null);
    assert_eq!(patched["text"], "Nieuw");

    // Duplicate codes, on create and on rename, are conflicts.
    assert_error(
        &app.post(
            "/api/v1/canned-responses",
            json!({ "code": "levertijd", "title": "x", "text": "y" }),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/canned-responses/{id}"),
            json!({ "code": "delivery" }),
        )
        .await,
        409,
        "conflict",
    );

    // Each change is an event.
    let kinds = app.event_kinds("canned_response.").await;
    assert_eq!(
        kinds,
        [
            "canned_response.created",
            "canned_response.created",
            "canned_response.updated",
            "canned_response.updated"
        ]
    );

    let (status, _) = app.delete(&format!("/api/v1/canned-responses/{id}")).await;
    assert_eq!(status, 204);
    assert_error(
        &app.get(&format!("/api/v1/canned-responses/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.delete(&format!("/api/v1/canned-responses/{id}")).await,
        404,
        "not_found",
    );
    assert_error(
        &app.get("/api/v1/canned-responses/abc").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn canned_validation_errors_have_codes() {
    let app = TestApp::spawn().await;
    let base = levertijd();
    let with = |field: &str, value: Value| {
        let mut b = base.clone();
        b[field] = value;
        b
    };
    for (body, needle) in [
        (with("code", json!("")), "code"),
        (with("code", json!("lever tijd")), "code"),
        (with("code", json!("levér")), "code"),
        (with("code", json!("x".repeat(41))), "code"),
        (with("title", json!(" ")), "title"),
        (with("title", json!("x".repeat(101))), "title"),
        (with("text", json!("")), "text"),
        (with("text", json!("x".repeat(5_001))), "text"),
        (with("language", json!("de")), "language"),
    ] {
        let got = app.post("/api/v1/canned-responses", body.clone()).await;
        assert_error(&got, 422, "validation_failed");
        assert!(
            got.1["message"].as_str().unwrap().starts_with(needle),
            "{body}: {}",
            got.1
        );
    }
    assert_error(
        &app.post(
            "/api/v1/canned-responses",
            json!({ "code": "a", "title": "b", "text": "c", "colour": "red" }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/canned-responses", json!({ "code": "a" }))
            .await,
        422,
        "validation_failed",
    );
    // The limits themselves are allowed.
    let (status, body) = app
        .post(
            "/api/v1/canned-responses",
            json!({ "code": "x".repeat(40), "title": "t".repeat(100), "text": "y".repeat(5_000) }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    let id = body["id"].as_i64().unwrap();
    assert_error(
        &app.patch(
            &format!("/api/v1/canned-responses/{id}"),
            json!({ "code": "Met Spatie" }),
        )
        .await,
        422,
        "validation_failed",
    );
}

#[tokio::test]
async fn canned_changes_are_for_admins_and_reading_for_everyone() {
    let app = TestApp::spawn().await;
    let (_, created) = app.post("/api/v1/canned-responses", levertijd()).await;
    let id = created["id"].as_i64().unwrap();
    let sanne = agent(&app).await;
    let (status, list) = app
        .call("GET", "/api/v1/canned-responses", &sanne.token, None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    let (status, _) = app
        .call(
            "GET",
            &format!("/api/v1/canned-responses/{id}"),
            &sanne.token,
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_error(
        &app.call(
            "POST",
            "/api/v1/canned-responses",
            &sanne.token,
            Some(json!({ "code": "mijn", "title": "x", "text": "y" })),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.call(
            "PATCH",
            &format!("/api/v1/canned-responses/{id}"),
            &sanne.token,
            Some(json!({ "title": "Gekaapt" })),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.call(
            "DELETE",
            &format!("/api/v1/canned-responses/{id}"),
            &sanne.token,
            None,
        )
        .await,
        403,
        "forbidden",
    );
    let (_, still) = app.get(&format!("/api/v1/canned-responses/{id}")).await;
    assert_eq!(still["title"], "Levertijd");
}

#[tokio::test]
async fn canned_renders_for_a_real_conversation_and_agent() {
    let app = TestApp::spawn().await;
    let msg = app
        .inbound("email", "email", "emma@example.nl", "Waar is mijn pakket?")
        .await;
    let contact = msg["contact_id"].as_i64().unwrap();
    let conversation = msg["conversation"]["id"].as_i64().unwrap();
    let (_, canned) = app.post("/api/v1/canned-responses", levertijd()).await;
    let canned = canned["id"].as_i64().unwrap();
    let render = format!("/api/v1/conversations/{conversation}/canned-responses/{canned}/render");

    // No name known yet: the Dutch word for customer.
    let (status, out) = app.post(&render, json!({})).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["text"],
        format!(
            "Hoi klant, je pakket komt morgen. Groet, Admin (#{conversation}) {{{{order.number}}}}"
        )
    );

    app.patch(
        &format!("/api/v1/contacts/{contact}"),
        json!({ "name": "Emma <b>de</b> Boer" }),
    )
    .await;
    // The calling agent's name goes in, as plain text.
    let sanne = agent(&app).await;
    let (status, out) = app.call("POST", &render, &sanne.token, None).await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(
        out["text"],
        format!(
            "Hoi Emma, je pakket komt morgen. Groet, Sanne (#{conversation}) {{{{order.number}}}}"
        )
    );

    // A canned response for any language takes the fallback word asked for.
    let (_, any) = app
        .post(
            "/api/v1/canned-responses",
            json!({ "code": "hi", "title": "Hi", "text": "Hi {{contact.name}}, {{agent.name}} here." }),
        )
        .await;
    let any = any["id"].as_i64().unwrap();
    let (_, out) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/canned-responses/{any}/render?lang=en"),
            json!({}),
        )
        .await;
    assert_eq!(out["text"], "Hi Emma <b>de</b> Boer, Admin here.");
    app.patch(
        &format!("/api/v1/contacts/{contact}"),
        json!({ "name": null }),
    )
    .await;
    let (_, out) = app
        .post(
            &format!("/api/v1/conversations/{conversation}/canned-responses/{any}/render?lang=en"),
            json!({}),
        )
        .await;
    assert_eq!(out["text"], "Hi customer, Admin here.");

    // Unknown conversation or canned response: 404.
    assert_error(
        &app.post(
            &format!("/api/v1/conversations/999999/canned-responses/{canned}/render"),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/conversations/{conversation}/canned-responses/999999/render"),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    // The session of the inbox page needs its CSRF token, like every change.
    let res = app
        .client
        .post(app.url(&render))
        .header(COOKIE, &sanne.cookie)
        .header("x-csrf-token", &sanne.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = app
        .client
        .post(app.url(&render))
        .header(COOKIE, &sanne.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn canned_responses_of_another_account_are_invisible() {
    let app = TestApp::spawn().await;
    let (_, created) = app.post("/api/v1/canned-responses", levertijd()).await;
    let id = created["id"].as_i64().unwrap();
    let msg = app
        .inbound("email", "email", "emma@example.nl", "Waar is mijn pakket?")
        .await;
    let conversation = msg["conversation"]["id"].as_i64().unwrap();
    let (b_token, b_account) = app.other_account().await;

    for (method, path, body) in [
        ("GET", format!("/api/v1/canned-responses/{id}"), None),
        (
            "PATCH",
            format!("/api/v1/canned-responses/{id}"),
            Some(json!({ "title": "Overgenomen" })),
        ),
        ("DELETE", format!("/api/v1/canned-responses/{id}"), None),
        (
            "POST",
            format!("/api/v1/conversations/{conversation}/canned-responses/{id}/render"),
            None,
        ),
    ] {
        assert_error(
            &app.call(method, &path, &b_token, body).await,
            404,
            "not_found",
        );
    }
    // B's own canned response cannot be rendered into A's conversation,
    // and A's cannot be rendered into B's.
    let (status, b_canned) = app
        .call(
            "POST",
            "/api/v1/canned-responses",
            &b_token,
            Some(levertijd()),
        )
        .await;
    assert_eq!(
        status, 201,
        "same code in another account is fine: {b_canned}"
    );
    let b_id = b_canned["id"].as_i64().unwrap();
    assert_error(
        &app.call(
            "POST",
            &format!("/api/v1/conversations/{conversation}/canned-responses/{b_id}/render"),
            &b_token,
            None,
        )
        .await,
        404,
        "not_found",
    );
    assert_error(
        &app.post(
            &format!("/api/v1/conversations/{conversation}/canned-responses/{b_id}/render"),
            json!({}),
        )
        .await,
        404,
        "not_found",
    );
    let (_, list) = app
        .call("GET", "/api/v1/canned-responses", &b_token, None)
        .await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1);
    assert_eq!(data[0]["account_id"].as_i64().unwrap(), b_account);
    let (_, a) = app.get(&format!("/api/v1/canned-responses/{id}")).await;
    assert_eq!(a["title"], "Levertijd");
}

/// A browser without redirects following, logged in with a session.
pub(crate) struct Browser {
    pub http: reqwest::Client,
    pub cookie: String,
    pub csrf: String,
}

impl Browser {
    pub(crate) async fn login(app: &TestApp, email: &str, password: &str) -> Browser {
        let (cookie, csrf) = login(app, email, password).await;
        Browser {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookie,
            csrf,
        }
    }

    pub(crate) async fn page(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(app.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        (res.status(), res.text().await.unwrap())
    }

    pub(crate) async fn form(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        self.http
            .post(app.url(path))
            .header(COOKIE, &self.cookie)
            .header(ACCEPT, "text/html")
            .form(fields)
            .send()
            .await
            .unwrap()
    }
}

const XSS_TITLE: &str = "<script>alert('t')</script>";
const XSS_TEXT: &str = "Hoi \"{{contact.first_name}}\" <img src=x onerror=alert(1)> & tot ziens";

pub(crate) fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn canned_ui_admin_page_lists_escaped_and_manages_with_forms() {
    let app = TestApp::spawn().await;
    let (status, _) = app
        .post(
            "/api/v1/canned-responses",
            json!({ "code": "xss", "title": XSS_TITLE, "text": XSS_TEXT, "language": "en" }),
        )
        .await;
    assert_eq!(status, 201);
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;

    let (status, html) = admin.page(&app, "/settings/canned?lang=nl").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("Standaardantwoorden"), "{html}");
    assert!(html.contains(&escaped(XSS_TITLE)), "{html}");
    assert!(html.contains(&escaped(XSS_TEXT)), "{html}");
    assert!(!html.contains("<script>alert") && !html.contains("<img src=x"));
    assert!(html.contains(&format!("name=\"csrf\" value=\"{}\"", admin.csrf)));
    assert!(
        html.contains("{{contact.first_name}}"),
        "the variables are explained"
    );
    let (_, en) = admin.page(&app, "/settings/canned?lang=en").await;
    assert!(
        en.contains("Add a canned response") && en.contains("English"),
        "{en}"
    );
    // The inbox links to it for admins.
    let (_, inbox) = admin.page(&app, "/inbox").await;
    assert!(inbox.contains("href=\"/settings/canned\""), "{inbox}");

    // Add through the form (CRLF from the textarea), then a duplicate code.
    let fields = [
        ("csrf", admin.csrf.as_str()),
        ("op", "create"),
        ("code", "retour"),
        ("title", "Retourneren"),
        (
            "text",
            "Hoi {{contact.first_name}},\r\nretour kan 30 dagen.",
        ),
        ("language", "nl"),
    ];
    let res = admin.form(&app, "/settings/canned", &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/settings/canned?done=saved");
    let (_, list) = app.get("/api/v1/canned-responses?q=retour").await;
    assert_eq!(
        list["data"][0]["text"],
        "Hoi {{contact.first_name}},\nretour kan 30 dagen."
    );
    assert_eq!(list["data"][0]["language"], "nl");
    let id = list["data"][0]["id"].as_i64().unwrap();
    let res = admin.form(&app, "/settings/canned", &fields).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.unwrap();
    assert!(
        html.contains("role=\"alert\"") && html.contains("value=\"retour\""),
        "{html}"
    );
    // A bad code keeps what was typed, escaped.
    let res = admin
        .form(
            &app,
            "/settings/canned",
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "create"),
                ("code", "met spatie"),
                ("title", "<b>x</b>"),
                ("text", "y"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"&lt;b&gt;x&lt;/b&gt;\""), "{html}");
    // Without the CSRF token nothing happens.
    let res = admin
        .form(
            &app,
            "/settings/canned",
            &[
                ("op", "create"),
                ("code", "stiekem"),
                ("title", "x"),
                ("text", "y"),
            ],
        )
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/canned-responses?q=stiekem").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    // Edit, then delete.
    let (status, edit) = admin.page(&app, &format!("/settings/canned/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        edit.contains("Retourneren") && edit.contains("value=\"delete\""),
        "{edit}"
    );
    let res = admin
        .form(
            &app,
            &format!("/settings/canned/{id}"),
            &[
                ("csrf", admin.csrf.as_str()),
                ("op", "update"),
                ("code", "retour"),
                ("title", "Retour"),
                ("text", "Nieuwe tekst"),
                ("language", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, one) = app.get(&format!("/api/v1/canned-responses/{id}")).await;
    assert_eq!(one["title"], "Retour");
    assert_eq!(one["language"], Value::Null);
    let res = admin
        .form(
            &app,
            &format!("/settings/canned/{id}"),
            &[("csrf", admin.csrf.as_str()), ("op", "delete")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/settings/canned?done=deleted");
    assert_error(
        &app.get(&format!("/api/v1/canned-responses/{id}")).await,
        404,
        "not_found",
    );

    // An agent may not manage them and sees no link.
    let sanne = agent(&app).await;
    let sanne_page = Browser {
        http: admin.http.clone(),
        cookie: sanne.cookie.clone(),
        csrf: sanne.csrf.clone(),
    };
    let (status, _) = sanne_page.page(&app, "/settings/canned").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, inbox) = sanne_page.page(&app, "/inbox").await;
    assert!(!inbox.contains("href=\"/settings/canned\""));
    let res = sanne_page
        .form(
            &app,
            "/settings/canned",
            &[
                ("csrf", sanne.csrf.as_str()),
                ("op", "create"),
                ("code", "agent"),
                ("title", "x"),
                ("text", "y"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn canned_ui_reply_box_offers_and_fills_in_without_script() {
    let app = TestApp::spawn().await;
    let msg = app
        .inbound("email", "email", "emma@example.nl", "Waar is mijn pakket?")
        .await;
    let contact = msg["contact_id"].as_i64().unwrap();
    let conversation = msg["conversation"]["id"].as_i64().unwrap();
    app.patch(
        &format!("/api/v1/contacts/{contact}"),
        json!({ "name": "Emma <i>de</i> Boer" }),
    )
    .await;
    let admin = Browser::login(&app, "admin@shop.test", PASSWORD).await;
    let (_, html) = admin.page(&app, &format!("/inbox/c/{conversation}")).await;
    assert!(html.contains("Nog geen standaardantwoorden"), "{html}");
    assert!(!html.contains("Begroeting"), "the built-in set is gone");

    app.post(
        "/api/v1/canned-responses",
        json!({ "code": "xss", "title": XSS_TITLE, "text": XSS_TEXT }),
    )
    .await;
    let (_, html) = admin.page(&app, &format!("/inbox/c/{conversation}")).await;
    assert!(html.contains("id=\"canned-options\""), "{html}");
    assert!(html.contains("<option value=\"xss\""), "{html}");
    assert!(html.contains(&escaped(XSS_TITLE)), "{html}");
    assert!(!html.contains("<script>alert"));

    // Picked without the script: the page comes back with the text filled in.
    let (status, html) = admin
        .page(&app, &format!("/inbox/c/{conversation}?canned=XSS"))
        .await;
    assert_eq!(status, 200);
    let filled = "Hoi \"Emma\" <img src=x onerror=alert(1)> & tot ziens";
    assert!(
        html.contains(&format!(">{}</textarea>", escaped(filled))),
        "{html}"
    );
    assert!(!html.contains("<img src=x"));
    let (status, html) = admin
        .page(&app, &format!("/inbox/c/{conversation}?canned=bestaatniet"))
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("bestaatniet"), "{html}");
}
