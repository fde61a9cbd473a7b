//! The agent inbox web UI over real HTTP: login and logout, language choice,
//! redirects without a session, the list and the conversation page with the
//! whole cross-channel history, the actions posted as forms (with and without
//! the script), and escaping of hostile customer content. A browser test in
//! `ui_browser` drives real Chromium when chromedriver is installed.

use reqwest::header::{ACCEPT, ACCEPT_LANGUAGE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::harness::{TestApp, PASSWORD};

/// A client that does not follow redirects, so tests can see them.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// A logged-in agent's browser: the session cookie and CSRF token.
struct Agent {
    cookie: String,
    csrf: String,
    http: reqwest::Client,
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("balie_session=") && !v.starts_with("balie_session=;"))
        .map(|v| v.split(';').next().unwrap().to_string())
}

async fn login(app: &TestApp) -> Agent {
    let http = client();
    let res = http
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": "admin@shop.test", "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("session cookie");
    let body: Value = res.json().await.unwrap();
    Agent {
        cookie,
        csrf: body["csrf_token"].as_str().unwrap().to_string(),
        http,
    }
}

impl Agent {
    async fn page(&self, app: &TestApp, path: &str) -> (StatusCode, String) {
        let res = self
            .http
            .get(app.url(path))
            .header(COOKIE, &self.cookie)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// Posts a form as the page does without the script.
    async fn form(&self, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.http
            .post(app.url(path))
            .header(COOKIE, &self.cookie)
            .form(fields)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form as the script does (asking for JSON).
    async fn form_json(
        &self,
        app: &TestApp,
        path: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Value) {
        let res = self
            .http
            .post(app.url(path))
            .header(COOKIE, &self.cookie)
            .header(ACCEPT, "application/json")
            .form(fields)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap())
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

#[tokio::test]
async fn ui_login_page_renders_in_dutch_and_english() {
    let app = TestApp::spawn().await;
    let http = client();
    let res = http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let nl = res.text().await.unwrap();
    assert!(nl.contains("<html lang=\"nl\">"), "{nl}");
    assert!(nl.contains("Wachtwoord"), "{nl}");
    assert!(nl.contains("src=\"/assets/inbox.js\""));
    // The CSP forbids inline code: every script is a file, no style attributes.
    assert!(!nl.contains("<script>") && !nl.contains(" style="), "{nl}");

    let res = http.get(app.url("/login?lang=en")).send().await.unwrap();
    let cookies: Vec<_> = res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies.iter().any(|c| c.starts_with("balie_lang=en")),
        "{cookies:?}"
    );
    let en = res.text().await.unwrap();
    assert!(
        en.contains("<html lang=\"en\">") && en.contains("Password"),
        "{en}"
    );

    let en = http
        .get(app.url("/login"))
        .header(ACCEPT_LANGUAGE, "en-US,en;q=0.9,nl;q=0.5")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(en.contains("Password"), "Accept-Language picks English");
    let nl = http
        .get(app.url("/login"))
        .header(ACCEPT_LANGUAGE, "en-US")
        .header(COOKIE, "balie_lang=nl")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        nl.contains("Wachtwoord"),
        "the cookie beats Accept-Language"
    );
}

#[tokio::test]
async fn ui_assets_are_served_as_files_with_their_types() {
    let app = TestApp::spawn().await;
    let http = client();
    let js = http.get(app.url("/assets/inbox.js")).send().await.unwrap();
    assert_eq!(js.status(), StatusCode::OK);
    assert!(js.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    let js = js.text().await.unwrap();
    assert!(js.contains("WebSocket"));
    // Data reaches the page only through textContent.
    for bad in [
        ".innerHTML",
        ".outerHTML",
        "insertAdjacentHTML",
        "document.write",
        "eval(",
    ] {
        assert!(!js.contains(bad), "inbox.js uses {bad}");
    }
    let css = http.get(app.url("/assets/inbox.css")).send().await.unwrap();
    assert!(css.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}

#[tokio::test]
async fn ui_pages_redirect_to_login_without_a_session() {
    let app = TestApp::spawn().await;
    let http = client();
    for path in ["/inbox", "/inbox?status=all", "/inbox/c/1"] {
        for cookie in [None, Some("balie_session=bls_not-a-session")] {
            let mut req = http.get(app.url(path));
            if let Some(c) = cookie {
                req = req.header(COOKIE, c);
            }
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), StatusCode::SEE_OTHER, "{path}");
            let to = res.headers()[LOCATION].to_str().unwrap();
            assert!(to.starts_with("/login?next=%2Finbox"), "{path} -> {to}");
        }
    }
    // An API token is not a page session.
    let res = http
        .get(app.url("/inbox"))
        .bearer_auth(&app.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Posting without a session changes nothing and leads to the login.
    let res = http
        .post(app.url("/inbox/c/1"))
        .form(&[("op", "resolve")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn ui_login_form_sets_the_session_and_logout_ends_it() {
    let app = TestApp::spawn().await;
    let http = client();
    // A wrong password: a readable message, the email kept (escaped).
    let res = http
        .post(app.url("/login?lang=en"))
        .form(&[
            ("email", "admin@shop.test\"><b>"),
            ("password", "nope"),
            ("next", "/inbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(session_cookie(&res).is_none());
    let page = res.text().await.unwrap();
    assert!(page.contains("Wrong email address or password."), "{page}");
    assert!(
        page.contains("admin@shop.test&quot;&gt;&lt;b&gt;") && !page.contains("\"><b>"),
        "{page}"
    );

    // The right one, with a `next` that tries to leave the site.
    let res = http
        .post(app.url("/login"))
        .form(&[
            ("email", "admin@shop.test"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers()[LOCATION], "/inbox");
    let cookie = session_cookie(&res).expect("session cookie");
    let res = http
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let inbox = res.text().await.unwrap();
    let csrf = inbox
        .split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("csrf meta")
        .to_string();
    assert!(!csrf.is_empty());

    // Logging out needs the CSRF token.
    let res = http
        .post(app.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    let res = http
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "still logged in");
    let res = http
        .post(app.url("/logout"))
        .header(COOKIE, &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(res.headers()[LOCATION]
        .to_str()
        .unwrap()
        .starts_with("/login?bye=1"));
    let res = http
        .get(app.url("/inbox"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "the session is gone");
}

/// A customer who writes on WhatsApp, then by email, has that conversation
/// resolved, and comes back by SMS: two conversations, one history.
async fn cross_channel_customer(app: &TestApp) -> (i64, i64, i64) {
    let (status, contact) = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "Fenna de Boer", "attributes": { "klantnummer": "K-1001" },
                    "identities": [{ "kind": "phone", "value": "06-12345678" }, { "kind": "email", "value": "fenna@example.nl" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let contact_id = contact["id"].as_i64().unwrap();
    let first = app
        .inbound(
            "whatsapp",
            "phone",
            "+31612345678",
            "Waar is mijn pakketje?",
        )
        .await;
    let c1 = first["conversation"]["id"].as_i64().unwrap();
    let mail = app
        .inbound(
            "email",
            "email",
            "fenna@example.nl",
            "Ik heb nog steeds niets ontvangen.",
        )
        .await;
    assert_eq!(mail["conversation"]["id"].as_i64().unwrap(), c1);
    let (status, _) = app
        .patch(
            &format!("/api/v1/conversations/{c1}"),
            json!({ "status": "resolved" }),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let sms = app
        .inbound("sms", "phone", "0612345678", "Pakket is binnen, bedankt!")
        .await;
    let c2 = sms["conversation"]["id"].as_i64().unwrap();
    assert_ne!(c1, c2, "a resolved conversation is not continued");
    (contact_id, c1, c2)
}

#[tokio::test]
async fn ui_inbox_lists_conversations_and_the_page_shows_the_whole_history() {
    let app = TestApp::spawn().await;
    let (_, c1, c2) = cross_channel_customer(&app).await;
    let agent = login(&app).await;

    let (status, inbox) = agent.page(&app, "/inbox?status=all").await;
    assert_eq!(status, StatusCode::OK);
    assert!(inbox.contains("Fenna de Boer"), "{inbox}");
    assert!(
        inbox.contains(&format!("href=\"/inbox/c/{c1}?"))
            && inbox.contains(&format!("href=\"/inbox/c/{c2}?")),
        "{inbox}"
    );
    // The default filter is open conversations only.
    let (_, open) = agent.page(&app, "/inbox").await;
    assert!(
        open.contains(&format!("/inbox/c/{c2}?")) && !open.contains(&format!("/inbox/c/{c1}?")),
        "{open}"
    );
    let (_, resolved) = agent
        .page(&app, "/inbox?status=resolved&channel=whatsapp")
        .await;
    assert!(
        resolved.contains(&format!("/inbox/c/{c1}?"))
            && !resolved.contains(&format!("/inbox/c/{c2}?"))
    );
    // Bad filter values are ignored, not a failure.
    let (status, _) = agent
        .page(&app, "/inbox?status=bogus&assignee=x&team_id=y&cursor=-5")
        .await;
    assert_eq!(status, StatusCode::OK);

    let (status, conv) = agent.page(&app, &format!("/inbox/c/{c2}")).await;
    assert_eq!(status, StatusCode::OK);
    for text in [
        "Waar is mijn pakketje?",
        "Ik heb nog steeds niets ontvangen.",
        "Pakket is binnen, bedankt!",
    ] {
        assert!(conv.contains(text), "history lacks {text:?}");
    }
    for chan in [">WhatsApp<", ">E-mail<", ">SMS<"] {
        assert!(conv.contains(chan), "history lacks channel {chan}");
    }
    let first = conv.find("Waar is mijn pakketje?").unwrap();
    let last = conv.find("Pakket is binnen, bedankt!").unwrap();
    assert!(first < last, "oldest first");
    // The earlier conversation's messages link to it; the sidebar shows the contact.
    assert!(conv.contains(&format!("href=\"/inbox/c/{c1}\"")));
    assert!(
        conv.contains("+31612345678")
            && conv.contains("fenna@example.nl")
            && conv.contains("K-1001")
    );
    assert!(conv.contains(&format!("data-conversation-id=\"{c2}\"")));
    assert!(conv.contains("name=\"csrf-token\""));

    // English on request, remembered in a cookie.
    let res = agent
        .http
        .get(app.url(&format!("/inbox/c/{c2}?lang=en")))
        .header(COOKIE, &agent.cookie)
        .send()
        .await
        .unwrap();
    assert!(res
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .any(|v| v.to_str().unwrap().starts_with("balie_lang=en")));
    let en = res.text().await.unwrap();
    assert!(
        en.contains("Whole history, every channel") && en.contains(">Email<"),
        "{en}"
    );

    let (status, missing) = agent.page(&app, "/inbox/c/999999").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(missing.contains("bestaat niet"), "{missing}");
    let (status, _) = agent.page(&app, "/inbox/c/abc").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn ui_replies_notes_and_actions_work_with_and_without_the_script() {
    let app = TestApp::spawn().await;
    let (_, _, cid) = cross_channel_customer(&app).await;
    let agent = login(&app).await;
    let path = format!("/inbox/c/{cid}");

    // Without the script: a form post and a redirect back.
    let res = agent
        .form(
            &app,
            &path,
            &[
                ("csrf", &agent.csrf),
                ("op", "reply"),
                ("text", "Fijn om te horen!"),
                ("channel", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // With the script: JSON back, with the stored message.
    let (status, body) = agent
        .form_json(
            &app,
            &path,
            &[
                ("csrf", &agent.csrf),
                ("op", "note"),
                ("text", "Klant is tevreden"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"]["private"], true);
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    let msgs = messages["data"].as_array().unwrap();
    let reply = msgs
        .iter()
        .find(|m| m["text"] == "Fijn om te horen!")
        .expect("reply stored");
    assert_eq!(
        reply["channel"], "sms",
        "a reply follows the customer's last channel"
    );
    assert_eq!(reply["private"], false);

    for (fields, check) in [
        (
            vec![("op", "assign"), ("assignee", "me")],
            ("assignee_id", json!(app.admin_id)),
        ),
        (
            vec![("op", "labels"), ("labels", "Retour, VIP ,")],
            ("labels", json!(["retour", "vip"])),
        ),
        (
            vec![("op", "priority"), ("priority", "high")],
            ("priority", json!("high")),
        ),
        (
            vec![("op", "snooze"), ("snooze", "4h")],
            ("status", json!("snoozed")),
        ),
        (vec![("op", "reopen")], ("status", json!("open"))),
        (vec![("op", "resolve")], ("status", json!("resolved"))),
        (
            vec![("op", "assign"), ("assignee", "")],
            ("assignee_id", Value::Null),
        ),
    ] {
        let mut f = vec![("csrf", agent.csrf.as_str())];
        f.extend(fields.iter().copied());
        let (status, body) = agent.form_json(&app, &path, &f).await;
        assert_eq!(status, StatusCode::OK, "{fields:?}: {body}");
        let (_, conv) = app.get(&format!("/api/v1/conversations/{cid}")).await;
        assert_eq!(conv[check.0], check.1, "{fields:?}: {conv}");
    }
    let (_, page) = agent.page(&app, &path).await;
    assert!(
        page.contains("id=\"btn-reopen\"") && !page.contains("id=\"btn-resolve\""),
        "resolved shows reopen"
    );

    // Bad input: a readable message, nothing stored, the text kept.
    let (status, body) = agent
        .form_json(
            &app,
            &path,
            &[("csrf", &agent.csrf), ("op", "reply"), ("text", "   ")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("Typ eerst een bericht"),
        "{body}"
    );
    let (status, body) = agent
        .form_json(
            &app,
            &path,
            &[
                ("csrf", &agent.csrf),
                ("op", "assign"),
                ("assignee", "987654"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, _) = agent
        .form_json(&app, &path, &[("csrf", &agent.csrf), ("op", "explode")])
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let res = agent
        .form(
            &app,
            &path,
            &[
                ("csrf", &agent.csrf),
                ("op", "reply"),
                ("text", "Mijn lange concept <b>"),
                ("channel", "fax"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.unwrap();
    assert!(
        page.contains("Mijn lange concept &lt;b&gt;</textarea>"),
        "the draft is back in the box"
    );
    assert!(page.contains("class=\"error page-error\""));

    // A wrong CSRF token or another site's form changes nothing.
    let (status, body) = agent
        .form_json(
            &app,
            &path,
            &[("csrf", "forged"), ("op", "reply"), ("text", "Gestolen")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let res = agent
        .http
        .post(app.url(&path))
        .header(COOKIE, &agent.cookie)
        .header("origin", "http://evil.example")
        .form(&[
            ("csrf", agent.csrf.as_str()),
            ("op", "reply"),
            ("text", "Gestolen"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let (_, messages) = app
        .get(&format!("/api/v1/conversations/{cid}/messages"))
        .await;
    assert!(!messages.to_string().contains("Gestolen"));
    assert!(!messages.to_string().contains("Mijn lange concept"));

    // Presence.
    let (status, _) = agent
        .form_json(
            &app,
            "/inbox/presence",
            &[("csrf", &agent.csrf), ("presence", "away")],
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, me) = app.get(&format!("/api/v1/agents/{}", app.admin_id)).await;
    assert_eq!(me["presence"], "away");
    let (status, _) = agent
        .form_json(
            &app,
            "/inbox/presence",
            &[("csrf", &agent.csrf), ("presence", "asleep")],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}

const XSS: &[&str] = &[
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(1)>",
    "'><iframe src=javascript:alert(1)>",
    "</textarea><script>alert(2)</script>",
    "<a href=\"javascript:alert(1)\">klik</a>",
];

#[tokio::test]
async fn ui_hostile_customer_content_appears_only_escaped() {
    let app = TestApp::spawn().await;
    let mut attributes = serde_json::Map::new();
    for (i, p) in XSS.iter().enumerate() {
        attributes.insert(format!("veld{i}"), json!(p));
    }
    attributes.insert(XSS[0].to_string(), json!("sleutel"));
    let (status, contact) = app
        .post(
            "/api/v1/contacts",
            json!({ "name": XSS[2], "attributes": attributes,
                    "identities": [{ "kind": "email", "value": "x@example.nl" }] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{contact}");
    let mut cid = 0;
    for p in XSS.iter().chain(["javascript:alert(1)"].iter()) {
        let m = app.inbound("web_chat", "email", "x@example.nl", p).await;
        cid = m["conversation"]["id"].as_i64().unwrap();
    }
    let (status, conv) = app
        .patch(
            &format!("/api/v1/conversations/{cid}"),
            json!({ "labels": [XSS[0], XSS[2]], "subject": XSS[1] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{conv}");
    let agent = login(&app).await;
    // An agent's note with a payload too.
    let (status, _) = agent
        .form_json(
            &app,
            &format!("/inbox/c/{cid}"),
            &[("csrf", &agent.csrf), ("op", "note"), ("text", XSS[4])],
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    for path in [
        "/inbox".to_string(),
        format!("/inbox/c/{cid}"),
        format!("/inbox?label={}", "%3Cscript%3E"),
    ] {
        let (status, html) = agent.page(&app, &path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        for p in XSS {
            assert!(!html.contains(p), "{path}: raw payload {p:?} in the page");
        }
        for bad in ["<script>", "<svg", "<img", "<iframe", "href=\"javascript:"] {
            let at = html.find(bad).unwrap_or(0);
            assert!(
                !html.contains(bad),
                "{path}: {bad} at {}",
                &html[at.saturating_sub(200)..(at + 50).min(html.len())]
            );
        }
    }
    let (_, html) = agent.page(&app, &format!("/inbox/c/{cid}")).await;
    for p in XSS {
        assert!(html.contains(&escape(p)), "escaped form of {p:?} missing");
    }
    // The plain-text `javascript:` is shown as text, never as a link.
    assert!(html.contains("<p class=\"text\">javascript:alert(1)</p>"));
    // The name sits in a data attribute for the script, escaped there too.
    assert!(html.contains(&format!("data-contact-name=\"{}\"", escape(XSS[2]))));

    // A failed login echoes the email only escaped.
    let res = client()
        .post(app.url("/login"))
        .form(&[("email", XSS[4]), ("password", "x"), ("next", XSS[2])])
        .send()
        .await
        .unwrap();
    let page = res.text().await.unwrap();
    assert!(!page.contains(XSS[4]) && !page.contains(XSS[2]) && page.contains(&escape(XSS[4])));
}

/// Real Chromium through chromedriver: login, live messages, a reply, an
/// unread badge, hostile text shown as text, and a failed send that keeps
/// the text. Skipped (with a notice) when chromedriver is not installed.
mod browser {
    use fantoccini::Locator;
    use serde_json::json;

    use crate::browser::{browser, until};
    use crate::harness::{TestApp, PASSWORD};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn ui_browser_live_inbox() {
        let Some((_driver, c, _profile)) = browser().await else {
            return;
        };
        let app = TestApp::spawn().await;
        let first = app
            .inbound(
                "whatsapp",
                "phone",
                "+31611111111",
                "Hallo, waar blijft mijn bestelling?",
            )
            .await;
        let cid = first["conversation"]["id"].as_i64().unwrap();

        // Without a session the inbox sends the browser to the login page.
        c.goto(&app.url(&format!("/inbox/c/{cid}"))).await.unwrap();
        assert_eq!(c.current_url().await.unwrap().path(), "/login");
        crate::browser::submit_login(&c, "admin@shop.test", PASSWORD).await;
        assert_eq!(
            c.current_url().await.unwrap().path(),
            format!("/inbox/c/{cid}"),
            "back where the agent wanted to go"
        );

        // A customer's message arrives live, hostile text shown as text.
        let hostile = "<img src=x onerror=alert(1)> nog steeds niets";
        app.inbound("email", "phone", "+31611111111", hostile).await;
        until(&c, "the live message", &format!(
            "return Array.from(document.querySelectorAll('#timeline .msg .text')).some(p => p.textContent === {})",
            json!(hostile)
        ))
        .await;
        let injected = c
            .execute(
                "return document.querySelectorAll('#timeline img, #timeline script').length",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(injected, json!(0));

        // The agent replies; the box empties and the reply is stored.
        let text = c.find(Locator::Css("#reply-text")).await.unwrap();
        text.send_keys("We zoeken het voor je uit!").await.unwrap();
        c.find(Locator::Css("#reply button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the reply in the timeline", "return Array.from(document.querySelectorAll('#timeline .msg.out .text')).some(p => p.textContent === 'We zoeken het voor je uit!')").await;
        assert_eq!(text.prop("value").await.unwrap().as_deref(), Some(""));
        let (_, messages) = app
            .get(&format!("/api/v1/conversations/{cid}/messages"))
            .await;
        assert!(messages.to_string().contains("We zoeken het voor je uit!"));

        // Another customer writes: the list shows an unread badge.
        let other = app
            .inbound(
                "web_chat",
                "email",
                "tim@example.nl",
                "Vraagje over retourneren",
            )
            .await;
        let other_id = other["conversation"]["id"].as_i64().unwrap();
        until(&c, "the unread badge", &format!(
            "const r = document.querySelector('#conv-list .row[data-conversation-id=\"{other_id}\"]'); return !!r && r.classList.contains('unread')"
        ))
        .await;

        // Resolve with the button; the head refreshes to offer reopening.
        c.find(Locator::Css("#btn-resolve"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::Css("#btn-reopen"))
            .await
            .unwrap();
        let (_, conv) = app.get(&format!("/api/v1/conversations/{cid}")).await;
        assert_eq!(conv["status"], "resolved");

        // The session ends elsewhere; a send fails readably and keeps the text.
        let session = c
            .get_all_cookies()
            .await
            .unwrap()
            .into_iter()
            .find(|k| k.name() == "balie_session")
            .unwrap();
        let csrf = c
            .execute(
                "return document.querySelector('meta[name=csrf-token]').content",
                vec![],
            )
            .await
            .unwrap();
        let res = reqwest::Client::new()
            .post(app.url("/api/v1/auth/logout"))
            .header("cookie", format!("balie_session={}", session.value()))
            .header("x-csrf-token", csrf.as_str().unwrap())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 204);
        let text = c.find(Locator::Css("#reply-text")).await.unwrap();
        text.send_keys("Dit mag niet verloren gaan").await.unwrap();
        c.find(Locator::Css("#reply button[type=submit]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        until(&c, "the error under the reply box", "const e = document.querySelector('#reply .form-error'); return !!e && !e.hidden && e.textContent.length > 0").await;
        assert_eq!(
            text.prop("value").await.unwrap().as_deref(),
            Some("Dit mag niet verloren gaan")
        );

        if let Ok(dir) = std::env::var("BALIE_SCREENSHOTS") {
            std::fs::write(
                format!("{dir}/browser-test.png"),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
        }
        c.close().await.unwrap();
    }
}

#[tokio::test]
async fn ui_conversation_page_shows_files_the_customer_sent() {
    let app = TestApp::spawn().await;
    let (_, token, _) = crate::widget::chat_inbox(&app, json!({})).await;
    let (_, s) = crate::widget::start(&app, json!({ "inbox": token }), None).await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let hostile = "<img src=x onerror=alert(1)>.png";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(png).file_name(hostile.to_string()),
    );
    let res = app
        .client
        .post(app.url("/widget/v1/attachments"))
        .bearer_auth(s["session"].as_str().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let message: Value = res.json().await.unwrap();
    let file_id = message["attachments"][0]["id"].as_i64().unwrap();
    let (_, list) = app.get("/api/v1/conversations?channel=web_chat").await;
    let cid = list["data"][0]["id"].as_i64().unwrap();
    let agent = login(&app).await;
    let (status, html) = agent.page(&app, &format!("/inbox/c/{cid}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("href=\"/api/v1/attachments/{file_id}\"")),
        "no link to the file"
    );
    assert!(
        html.contains(&escape(hostile)),
        "the file name is shown escaped"
    );
    assert!(
        !html.contains(hostile),
        "the raw name never reaches the page"
    );
    // The link works with the agent's session.
    let file = agent
        .http
        .get(app.url(&format!("/api/v1/attachments/{file_id}")))
        .header(COOKIE, &agent.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
}

#[tokio::test]
async fn ui_sidebar_shows_the_customers_orders() {
    let app = TestApp::spawn().await;
    let got = app
        .inbound(
            "web_chat",
            "email",
            "emma@example.nl",
            "Waar is mijn pakket?",
        )
        .await;
    let cid = got["conversation"]["id"].as_i64().unwrap();
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(json!({ "email": "Emma@Example.nl", "status": "shipped", "carrier": "PostNL",
                         "tracking_code": "3SABCD1234567", "tracking_url": "https://jouw.postnl.nl/track-and-trace/3SABCD1234567",
                         "expected_delivery": "2026-11-24" })),
        )
        .await;
    assert!(status.is_success(), "{status}");
    let agent = login(&app).await;
    let (_, html) = agent.page(&app, &format!("/inbox/c/{cid}")).await;
    assert!(html.contains("#1045873"), "order number in the sidebar");
    assert!(
        html.contains("href=\"https://jouw.postnl.nl/track-and-trace/3SABCD1234567\""),
        "track & trace link"
    );
    assert!(html.contains("2026-11-24"));
    // Another customer's conversation shows none of it.
    let other = app
        .inbound("web_chat", "email", "lucas@example.com", "Hoi")
        .await;
    let (_, html) = agent
        .page(&app, &format!("/inbox/c/{}", other["conversation"]["id"]))
        .await;
    assert!(!html.contains("1045873"));
    assert!(html.contains("Geen bestellingen bekend."));
}

#[tokio::test]
async fn ui_try_a_sentence_shows_what_the_bot_understands() {
    let app = TestApp::spawn().await;
    let agent = login(&app).await;
    let (status, html) = agent
        .page(
            &app,
            "/settings/bot?text=waar%20blijft%20mijn%20bestelling%201045873%3F",
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("<code class=\"intent\">track_order</code>"),
        "{html}"
    );
    assert!(
        html.contains("<strong>1045873</strong>"),
        "the order number is found"
    );
    let payload = "<script>alert(1)</script> ik wil een medewerker spreken";
    let (_, html) = agent
        .page(
            &app,
            &format!(
                "/settings/bot?text={}",
                payload
                    .replace(' ', "%20")
                    .replace('<', "%3C")
                    .replace('>', "%3E")
                    .replace('/', "%2F")
                    .replace('(', "%28")
                    .replace(')', "%29")
            ),
        )
        .await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains(&escape("<script>alert(1)</script>")));
    assert!(html.contains("contact_human_agent"), "{html}");
}

#[tokio::test]
async fn ui_admins_set_up_an_inbox_greeting_hours_bot_and_embed_snippet() {
    let app = TestApp::spawn().await;
    let (inbox_id, token, _) = crate::widget::chat_inbox(&app, json!({})).await;
    let agent = login(&app).await;
    let (status, html) = agent.page(&app, "/settings/inboxes").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains(&format!("data-inbox=&quot;{token}&quot;")),
        "the embed snippet, escaped: {html}"
    );
    let (status, html) = agent
        .page(&app, &format!("/settings/inboxes/{inbox_id}"))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"timezone\""));

    let path = format!("/settings/inboxes/{inbox_id}");
    let hostile = "<script>alert(1)</script> Welkom!";
    let good = [
        ("csrf", agent.csrf.as_str()),
        ("name", "Webwinkel chat"),
        ("greeting_nl", hostile),
        ("greeting_en", "Hi!"),
        ("timezone", "Europe/Amsterdam"),
        ("mon", "09:00-17:30"),
        ("sat", "10:00-14:00, 15:00-16:00"),
        (
            "allowed_origins",
            "https://shop.example\nhttps://www.shop.example",
        ),
    ];
    let res = agent.form(&app, &path, &good).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let (_, inbox) = app.get(&format!("/api/v1/inboxes/{inbox_id}")).await;
    let s = &inbox["settings"];
    assert_eq!(s["greeting_nl"], hostile);
    assert_eq!(s["bot"], false, "an unticked box turns the bot off");
    assert_eq!(
        s["business_hours"]["week"]["sat"],
        json!(["10:00-14:00", "15:00-16:00"])
    );
    assert_eq!(
        s["allowed_origins"],
        json!(["https://shop.example", "https://www.shop.example"])
    );
    assert!(
        s["identity_secret"].as_str().is_some(),
        "the secret is kept"
    );
    let (_, html) = agent
        .page(&app, &format!("/settings/inboxes/{inbox_id}"))
        .await;
    assert!(!html.contains(hostile) && html.contains(&escape(hostile)));

    // A bad span is refused with a readable message and the typed values kept.
    let bad = [
        ("csrf", agent.csrf.as_str()),
        ("name", "Webwinkel chat"),
        ("timezone", "UTC"),
        ("mon", "laat"),
    ];
    let res = agent.form(&app, &path, &bad).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.unwrap();
    assert!(html.contains("value=\"laat\""), "the typed value is kept");
    let (_, inbox) = app.get(&format!("/api/v1/inboxes/{inbox_id}")).await;
    assert_eq!(
        inbox["settings"]["business_hours"]["timezone"], "Europe/Amsterdam",
        "nothing changed"
    );
    // A forged post changes nothing.
    let res = agent
        .form(&app, &path, &[("csrf", "forged"), ("name", "Overgenomen")])
        .await;
    assert_ne!(res.status(), StatusCode::SEE_OTHER);
    let (_, inbox) = app.get(&format!("/api/v1/inboxes/{inbox_id}")).await;
    assert_eq!(inbox["name"], "Webwinkel chat");
}
