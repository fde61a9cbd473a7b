//! Setting up an account through the API: health, login sessions with CSRF,
//! rate-limited logins, API tokens, agents, teams and inboxes, roles.

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{json, Value};

use crate::harness::{assert_error, TestApp, PASSWORD};

#[tokio::test]
async fn api_health_and_home_page_answer() {
    let app = TestApp::spawn().await;
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "ok");
    let home = app.client.get(app.url("/")).send().await.unwrap();
    assert_eq!(home.status(), 200);
    assert!(home.headers().contains_key("content-security-policy"));
    assert!(home.text().await.unwrap().contains("Balie"));
}

#[tokio::test]
async fn api_requires_authentication() {
    let app = TestApp::spawn().await;
    let res = app
        .client
        .get(app.url("/api/v1/contacts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "unauthorized");
    assert_error(
        &app.call("GET", "/api/v1/contacts", "blt_wrong", None).await,
        401,
        "unauthorized",
    );
    let res = app
        .client
        .get(app.url("/api/v1/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

async fn login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn api_session_login_needs_csrf_for_changes_and_ends_at_logout() {
    let app = TestApp::spawn().await;
    let res = login(&app, "ADMIN@shop.test", PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res
        .headers()
        .get(SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = cookie.split(';').next().unwrap().to_string();
    let body: Value = res.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    assert_eq!(body["agent"]["email"], "admin@shop.test");
    assert!(body["agent"].get("password_hash").is_none());

    let me = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 200);
    assert_eq!(
        me.json::<Value>().await.unwrap()["account"]["name"],
        "Test Shop"
    );

    let no_csrf = app
        .client
        .post(app.url("/api/v1/teams"))
        .header(COOKIE, &session)
        .json(&json!({"name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no_csrf.status(), 403);
    assert_eq!(
        no_csrf.json::<Value>().await.unwrap()["error"],
        "csrf_failed"
    );
    let with_csrf = app
        .client
        .post(app.url("/api/v1/teams"))
        .header(COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "A"}))
        .send()
        .await
        .unwrap();
    assert_eq!(with_csrf.status(), 201);

    let out = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header(COOKIE, &session)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = app
        .client
        .get(app.url("/api/v1/me"))
        .header(COOKIE, &session)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401);
}

#[tokio::test]
async fn api_login_failures_are_rate_limited() {
    let app = TestApp::spawn().await;
    let wrong = login(&app, "admin@shop.test", "wrong-password").await;
    assert_eq!(wrong.status(), 401);
    for _ in 1..10 {
        assert_eq!(
            login(&app, "admin@shop.test", "wrong-password")
                .await
                .status(),
            401
        );
    }
    let limited = login(&app, "admin@shop.test", PASSWORD).await;
    assert_eq!(limited.status(), 429);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        limited.json::<Value>().await.unwrap()["error"],
        "rate_limited"
    );
}

#[tokio::test]
async fn api_agents_teams_inboxes_and_roles() {
    let app = TestApp::spawn().await;
    let (status, agent) = app
        .post(
            "/api/v1/agents",
            json!({ "email": "Sanne@Shop.test", "name": "Sanne", "password": "sanne-password" }),
        )
        .await;
    assert_eq!(status, 201, "{agent}");
    assert_eq!(agent["email"], "sanne@shop.test");
    assert_eq!(agent["role"], "agent");
    assert_error(
        &app.post(
            "/api/v1/agents",
            json!({ "email": "sanne@shop.test", "name": "Dup" }),
        )
        .await,
        409,
        "conflict",
    );
    assert_error(
        &app.post("/api/v1/agents", json!({ "email": "nope", "name": "X" }))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/agents",
            json!({ "email": "a@b.nl", "name": "X", "password": "short" }),
        )
        .await,
        422,
        "validation_failed",
    );

    // The agent logs in and gets a token of their own; agents cannot administer.
    let (_, token) = {
        let res = login(&app, "sanne@shop.test", "sanne-password").await;
        assert_eq!(res.status(), 200);
        let session = res
            .headers()
            .get(SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_string();
        let csrf = res.json::<Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        let t: Value = app
            .client
            .post(app.url("/api/v1/api-tokens"))
            .header(COOKIE, session)
            .header("x-csrf-token", csrf)
            .json(&json!({"name": "script"}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        (t["id"].clone(), t["token"].as_str().unwrap().to_string())
    };
    assert_error(
        &app.call("POST", "/api/v1/teams", &token, Some(json!({"name": "X"})))
            .await,
        403,
        "forbidden",
    );
    let id = agent["id"].as_i64().unwrap();
    let own = app
        .call(
            "PATCH",
            &format!("/api/v1/agents/{id}"),
            &token,
            Some(json!({"presence": "online"})),
        )
        .await;
    assert_eq!(own.0, 200);
    assert_eq!(own.1["presence"], "online");
    assert_error(
        &app.call(
            "PATCH",
            &format!("/api/v1/agents/{id}"),
            &token,
            Some(json!({"role": "admin"})),
        )
        .await,
        403,
        "forbidden",
    );
    assert_error(
        &app.call(
            "PATCH",
            &format!("/api/v1/agents/{}", app.admin_id),
            &token,
            Some(json!({"name": "Hacked"})),
        )
        .await,
        403,
        "forbidden",
    );

    let (status, team) = app
        .post("/api/v1/teams", json!({ "name": "Retouren" }))
        .await;
    assert_eq!(status, 201);
    let tid = team["id"].as_i64().unwrap();
    let (_, team) = app
        .patch(
            &format!("/api/v1/teams/{tid}"),
            json!({ "add_member_ids": [id, app.admin_id] }),
        )
        .await;
    assert_eq!(team["member_ids"], json!([app.admin_id, id]));
    assert_error(
        &app.patch(
            &format!("/api/v1/teams/{tid}"),
            json!({ "add_member_ids": [999999] }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/v1/teams", json!({ "name": "Retouren" }))
            .await,
        409,
        "conflict",
    );

    let (status, inbox) = app
        .post(
            "/api/v1/inboxes",
            json!({ "name": "Chat", "channel": "web_chat", "settings": {"color": "#0a0"} }),
        )
        .await;
    assert_eq!(status, 201, "{inbox}");
    assert_eq!(inbox["settings"]["color"], "#0a0");
    assert_error(
        &app.post(
            "/api/v1/inboxes",
            json!({ "name": "Fax", "channel": "fax" }),
        )
        .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/inboxes",
            json!({ "name": "X", "channel": "email", "settings": [1] }),
        )
        .await,
        422,
        "validation_failed",
    );
    let (_, list) = app.get("/api/v1/inboxes").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    // Deactivating an agent revokes their token's access.
    let (status, _) = app
        .patch(&format!("/api/v1/agents/{id}"), json!({ "active": false }))
        .await;
    assert_eq!(status, 200);
    assert_error(
        &app.call("GET", "/api/v1/me", &token, None).await,
        401,
        "unauthorized",
    );
    assert_error(
        &app.patch(
            &format!("/api/v1/agents/{}", app.admin_id),
            json!({ "role": "agent" }),
        )
        .await,
        409,
        "conflict",
    );

    assert_eq!(app.delete(&format!("/api/v1/teams/{tid}")).await.0, 204);
    assert_error(
        &app.get(&format!("/api/v1/teams/{tid}")).await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn api_lists_paginate_with_cursors() {
    let app = TestApp::spawn().await;
    for i in 0..7 {
        assert_eq!(
            app.post("/api/v1/contacts", json!({ "name": format!("Klant {i}") }))
                .await
                .0,
            201
        );
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/contacts?limit=3&cursor={c}"),
            None => "/api/v1/contacts?limit=3".to_string(),
        };
        let (status, page) = app.get(&path).await;
        assert_eq!(status, 200);
        for c in page["data"].as_array().unwrap() {
            seen.push(c["name"].as_str().unwrap().to_string());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        seen,
        (0..7)
            .rev()
            .map(|i| format!("Klant {i}"))
            .collect::<Vec<_>>()
    );
    assert_error(
        &app.get("/api/v1/contacts?limit=0").await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/contacts?limit=5000").await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/contacts?cursor=abc").await,
        422,
        "validation_failed",
    );
}
