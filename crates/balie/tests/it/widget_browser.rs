//! End-to-end browser tests of the chat widget: a real customer on the demo
//! shop page and a real agent in the inbox, each in their own headless
//! Chromium (skipped with a NOTICE when chromedriver is missing, unless
//! `BALIE_REQUIRE_BROWSER` is set).
//!
//! The widget renders in a *closed* shadow root, which page scripts (and so
//! WebDriver's `execute`) cannot reach. The product has no test hook for
//! this: before the shop page's own scripts run, a DevTools script
//! ([`CAPTURE`]) wraps `Element.prototype.attachShadow` and keeps a
//! reference to the widget's root in `window.__balieShadow`; the mode stays
//! `closed` (checked). The tests read the widget through that reference and
//! type into it with real key events: opening the panel moves the focus
//! into its text box, where Enter sends.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::browser::{browser, cdp, until};
use crate::harness::TestApp;
use crate::widget::chat_inbox;

const AGENT_EMAIL: &str = "sanne@shop.test";
const AGENT_NAME: &str = "Sanne de Vries";
const AGENT_PASSWORD: &str = "sanne-wachtwoord-42";

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// Runs before any of the page's scripts (DevTools
/// `Page.addScriptToEvaluateOnNewDocument`): keeps the widget's closed
/// shadow root where the test can read it.
const CAPTURE: &str = "(() => {
  const attach = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function (init) {
    const root = attach.call(this, init);
    if (this.hasAttribute('data-balie-widget')) window.__balieShadow = root;
    return root;
  };
})();";

/// The widget's message list as JSON: class, author line, bubble text, and
/// the image attachments' alt texts.
const WIDGET_MESSAGES: &str =
    "return Array.from(window.__balieShadow.querySelectorAll('[role=log] > .msg')).map(m => ({
  cls: m.className,
  who: m.querySelector('.who') ? m.querySelector('.who').textContent : null,
  text: m.querySelector('.bubble').textContent,
  links: m.querySelectorAll('.bubble a:not(.file)').length,
  alts: Array.from(m.querySelectorAll('.bubble img')).map(i => i.getAttribute('alt')),
}))";

/// Creates the inbox agent who logs in through the browser.
async fn agent(app: &TestApp) {
    let (status, body) = app
        .post(
            "/api/v1/agents",
            json!({ "email": AGENT_EMAIL, "name": AGENT_NAME, "password": AGENT_PASSWORD, "role": "admin" }),
        )
        .await;
    assert_eq!(status, 201, "{body}");
}

/// Logs the agent in at `/login` and waits for the inbox's live connection.
async fn log_in(c: &Client, app: &TestApp) {
    c.goto(&app.url("/login")).await.unwrap();
    crate::browser::submit_login(c, AGENT_EMAIL, AGENT_PASSWORD).await;
}

/// Opens a shop page and the chat on it; the focus ends up in the text box.
async fn open_chat(c: &Client, url: &str) {
    cdp(
        c,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": CAPTURE }),
    )
    .await;
    c.goto(url).await.unwrap();
    until(
        c,
        "the widget mounted",
        "return !!window.__balieShadow && !!window.BalieWidget",
    )
    .await;
    // Still closed: the shop's own scripts cannot read the conversation.
    let open_root = c
        .execute(
            "return document.querySelector('[data-balie-widget]').shadowRoot === null",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(open_root, json!(true), "the widget's shadow root is closed");
    c.execute("window.BalieWidget.open()", vec![])
        .await
        .unwrap();
    until(
        c,
        "the chat panel open with the focus in its text box",
        "const a = window.__balieShadow.activeElement; return !!a && a.id === 'balie-input' && window.__balieShadow.querySelector('.sub').textContent === 'We zijn online'",
    )
    .await;
}

/// Types into whatever has the focus, as a keyboard would, then Enter.
async fn type_and_enter(c: &Client, text: &str) {
    let mut keys = KeyActions::new("keyboard".into());
    for ch in text.chars() {
        keys = keys
            .then(KeyAction::Down { value: ch })
            .then(KeyAction::Up { value: ch });
    }
    let enter: char = Key::Enter.into();
    keys = keys
        .then(KeyAction::Down { value: enter })
        .then(KeyAction::Up { value: enter });
    c.perform_actions(keys).await.unwrap();
}

async fn widget_messages(c: &Client) -> Vec<Value> {
    match c.execute(WIDGET_MESSAGES, vec![]).await.unwrap() {
        Value::Array(list) => list,
        other => panic!("widget messages: {other}"),
    }
}

/// Polls the widget's message list until `ok` holds; fails after about 20 s.
async fn until_widget(c: &Client, what: &str, ok: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..200 {
        last = widget_messages(c).await;
        if ok(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the widget never showed {what}; it shows {last:#?}");
}

fn is_sent_by_customer(m: &Value, text: &str) -> bool {
    m["cls"] == "msg in" && m["text"] == text
}

fn is_from_agent(m: &Value, text: &str) -> bool {
    m["cls"] == "msg out" && m["who"] == AGENT_NAME && m["text"] == text
}

/// How many messages of the agent's timeline read exactly `text`.
async fn timeline_count(c: &Client, class: &str, text: &str) -> i64 {
    c.execute(
        "return Array.from(document.querySelectorAll('#timeline .msg.' + arguments[0] + ' .text')).filter(p => p.textContent === arguments[1]).length",
        vec![json!(class), json!(text)],
    )
    .await
    .unwrap()
    .as_i64()
    .unwrap()
}

/// The agent sends a reply through the reply box.
async fn reply(c: &Client, text: &str) {
    let before = timeline_count(c, "out", text).await;
    let input = c.find(Locator::Css("#reply-text")).await.unwrap();
    input.send_keys(text).await.unwrap();
    c.find(Locator::Css("#reply button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    until(
        c,
        &format!("the reply {text:?} in the timeline"),
        &format!(
            "return Array.from(document.querySelectorAll('#timeline .msg.out .text')).filter(p => p.textContent === {}).length === {} && document.querySelector('#reply-text').value === ''",
            json!(text),
            before + 1
        ),
    )
    .await;
}

/// The only conversation of the account, and its contact.
async fn only_conversation(app: &TestApp) -> (i64, i64) {
    let (_, list) = app.get("/api/v1/conversations").await;
    let data = list["data"].as_array().unwrap();
    assert_eq!(data.len(), 1, "{list}");
    (
        data[0]["id"].as_i64().unwrap(),
        data[0]["contact_id"].as_i64().unwrap(),
    )
}

/// Stored messages of a conversation that read exactly `text`.
async fn stored_count(app: &TestApp, cid: i64, text: &str) -> usize {
    let (_, m) = app
        .get(&format!("/api/v1/conversations/{cid}/messages?limit=100"))
        .await;
    m["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["text"] == text)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_browser_customer_and_agent_chat_live() {
    let Some((_d1, shop, _p1)) = browser().await else {
        return;
    };
    let Some((_d2, desk, _p2)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    chat_inbox(&app, json!({})).await;
    agent(&app).await;

    // The agent waits in the inbox; a marker shows the page is never reloaded.
    log_in(&desk, &app).await;
    assert_eq!(desk.current_url().await.unwrap().path(), "/inbox");
    desk.execute("window.__samePage = true", vec![])
        .await
        .unwrap();

    // The customer asks on the shop page.
    open_chat(&shop, &app.url("/demo-shop")).await;
    shop.execute("window.__samePage = true", vec![])
        .await
        .unwrap();
    let question = "Waar is mijn pakketje?";
    type_and_enter(&shop, question).await;
    until_widget(&shop, "the question, sent", |m| {
        m.len() == 1 && is_sent_by_customer(&m[0], question)
    })
    .await;
    let emptied = shop
        .execute(
            "return window.__balieShadow.querySelector('#balie-input').value",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(emptied, json!(""));
    let (cid, _) = only_conversation(&app).await;
    assert_eq!(stored_count(&app, cid, question).await, 1);

    // It appears in the agent's list without a reload.
    until(
        &desk,
        "the new conversation in the list",
        &format!("return !!document.querySelector('#conv-list .row[data-conversation-id=\"{cid}\"] a') && window.__samePage === true"),
    )
    .await;
    desk.find(Locator::Css(&format!(
        "#conv-list .row[data-conversation-id=\"{cid}\"] a"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    desk.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    assert_eq!(
        desk.current_url().await.unwrap().path(),
        format!("/inbox/c/{cid}")
    );
    assert_eq!(timeline_count(&desk, "in", question).await, 1);

    // The agent answers; the customer sees it live, under the agent's name.
    let answer = "Je pakketje is onderweg en komt morgen voor 12:00.";
    reply(&desk, answer).await;
    until_widget(&shop, "the agent's answer", |m| {
        m.len() == 2 && is_sent_by_customer(&m[0], question) && is_from_agent(&m[1], answer)
    })
    .await;
    until(
        &shop,
        "the header naming the agent",
        &format!(
            "return window.__balieShadow.querySelector('.sub').textContent === {} && window.__samePage === true",
            json!(format!("Je chat met {AGENT_NAME}"))
        ),
    )
    .await;

    shop.close().await.unwrap();
    desk.close().await.unwrap();
}

/// A TCP proxy between the customer's browser and the server that can cut
/// every connection and refuse new ones: a real network drop, as far as the
/// browser and the server can tell.
struct Proxy {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    cut: tokio::sync::watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    async fn start(upstream: &str) -> Proxy {
        let upstream: SocketAddr = upstream
            .trim_start_matches("http://")
            .parse()
            .expect("server address");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, cuts) = tokio::sync::watch::channel(0u64);
        let task = tokio::spawn({
            let up = up.clone();
            async move {
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        return;
                    };
                    if !up.load(Ordering::SeqCst) {
                        drop(inbound); // the network is down: nothing gets through
                        continue;
                    }
                    let mut cuts = cuts.clone();
                    cuts.mark_unchanged();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = tokio::net::TcpStream::connect(upstream).await
                        else {
                            return;
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cuts.changed() => {} // dropping both ends closes them
                        }
                    });
                }
            }
        });
        Proxy {
            addr,
            up,
            cut,
            task,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn down(&self) {
        self.up.store(false, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// DevTools network emulation: the browser itself believes it is offline
/// (`navigator.onLine`, the `offline`/`online` events), as on a phone.
async fn browser_offline(c: &Client, offline: bool) {
    cdp(
        c,
        "Network.emulateNetworkConditions",
        json!({ "offline": offline, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_browser_connection_drop_loses_nothing() {
    let Some((_d1, shop, _p1)) = browser().await else {
        return;
    };
    let Some((_d2, desk, _p2)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    chat_inbox(&app, json!({})).await;
    agent(&app).await;
    // The customer reaches the server only through the proxy (the demo shop
    // page points the widget at the host it was served from).
    let proxy = Proxy::start(&app.base).await;

    open_chat(&shop, &proxy.url("/demo-shop")).await;
    let first = "Hallo, ik heb een vraag over mijn bestelling.";
    type_and_enter(&shop, first).await;
    until_widget(&shop, "the first message, sent", |m| {
        m.len() == 1 && is_sent_by_customer(&m[0], first)
    })
    .await;
    let (cid, _) = only_conversation(&app).await;
    log_in(&desk, &app).await;
    desk.goto(&app.url(&format!("/inbox/c/{cid}")))
        .await
        .unwrap();
    desk.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();

    // The network goes, for real: the proxy cuts every connection and
    // refuses new ones, and the browser knows it is offline.
    browser_offline(&shop, true).await;
    proxy.down();

    // Meanwhile the agent writes twice and the customer types a message.
    let one = "Ik kijk het even na.";
    let two = "Je bestelling is vanochtend verzonden.";
    reply(&desk, one).await;
    reply(&desk, two).await;
    let offline_text = "Dit typte ik zonder verbinding.";
    type_and_enter(&shop, offline_text).await;
    let during = until_widget(&shop, "the offline message waiting to be sent", |m| {
        m.iter()
            .any(|m| m["cls"] == "msg in pending" && m["text"] == offline_text)
    })
    .await;
    assert!(
        !during.iter().any(|m| m["text"] == one || m["text"] == two),
        "the agent's messages reached the customer while the network was down: {during:#?}"
    );
    assert_eq!(stored_count(&app, cid, offline_text).await, 0);
    // The widget tells the customer (after three seconds without a connection).
    until(
        &shop,
        "the widget saying the connection is lost",
        "const c = window.__balieShadow.querySelector('.conn'); return !c.hidden && c.textContent.startsWith('Verbinding verbroken') && navigator.onLine === false",
    )
    .await;

    // The network comes back: everything arrives, each message once.
    proxy.restore();
    browser_offline(&shop, false).await;
    let after = until_widget(
        &shop,
        "both agent messages and the sent offline message",
        |m| {
            m.iter().any(|m| is_from_agent(m, one))
                && m.iter().any(|m| is_from_agent(m, two))
                && m.iter().any(|m| is_sent_by_customer(m, offline_text))
        },
    )
    .await;
    for text in [first, one, two, offline_text] {
        assert_eq!(
            after.iter().filter(|m| m["text"] == text).count(),
            1,
            "{text:?} shown once: {after:#?}"
        );
    }
    until(
        &shop,
        "the connection notice gone",
        "return window.__balieShadow.querySelector('.conn').hidden",
    )
    .await;
    until(
        &desk,
        "the customer's offline message in the agent's timeline",
        &format!(
            "return Array.from(document.querySelectorAll('#timeline .msg.in .text')).some(p => p.textContent === {})",
            json!(offline_text)
        ),
    )
    .await;
    assert_eq!(timeline_count(&desk, "in", offline_text).await, 1);
    assert_eq!(stored_count(&app, cid, offline_text).await, 1);
    assert_eq!(stored_count(&app, cid, one).await, 1);
    assert_eq!(stored_count(&app, cid, two).await, 1);
    // And once more after a reload of both pages (the server's replay).
    desk.refresh().await.unwrap();
    desk.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    assert_eq!(timeline_count(&desk, "in", offline_text).await, 1);
    shop.refresh().await.unwrap();
    until(&shop, "the widget back after a reload", "return !!window.__balieShadow && window.__balieShadow.querySelectorAll('[role=log] > .msg').length > 0").await;
    let reloaded = until_widget(&shop, "the four messages after a reload", |m| m.len() == 4).await;
    for text in [first, one, two, offline_text] {
        assert_eq!(
            reloaded.iter().filter(|m| m["text"] == text).count(),
            1,
            "{text:?} once after a reload: {reloaded:#?}"
        );
    }

    shop.close().await.unwrap();
    desk.close().await.unwrap();
}

/// Hostile strings; each would set `window.__xss` if it ever ran.
const XSS: &[&str] = &[
    "<script>window.__xss=1</script>",
    "<img src=x onerror=\"window.__xss=1\">",
    "\"><svg onload=\"window.__xss=1\">",
    "javascript:window.__xss=1",
    "</textarea><script>window.__xss=1</script>",
    "<iframe srcdoc=\"<script>parent.__xss=1</script>\">",
];

/// Attachment names (the server keeps only what follows the last slash, so
/// these have none).
const XSS_FILES: &[&str] = &[
    "<img src=x onerror=\"window.__xss=1\">.png",
    "\"><svg onload=\"window.__xss=1\">.png",
];

/// What a page (or the widget's shadow root) holds that a payload could have
/// injected: element counts, inline handlers, `javascript:` links, and
/// whether any payload ran.
const AUDIT: &str = "const root = arguments[0] === 'widget' ? window.__balieShadow : document;
const all = Array.from(root.querySelectorAll('*'));
const count = t => all.filter(e => e.localName === t).length;
return {
  xss: typeof window.__xss,
  script: count('script'), img: count('img'), svg: count('svg'), iframe: count('iframe'),
  handlers: all.filter(e => Array.from(e.attributes).some(a => /^on/i.test(a.name))).map(e => e.outerHTML.slice(0, 200)),
  js_urls: all.filter(e => ['href', 'src', 'action', 'formaction'].some(a => /^\\s*javascript:/i.test(e.getAttribute(a) || ''))).length,
};";

async fn audit(c: &Client, which: &str) -> Value {
    c.execute(AUDIT, vec![json!(which)]).await.unwrap()
}

/// Nothing ran and nothing was injected compared with `before`; `new_imgs`
/// images are expected (the widget's own attachment previews).
#[track_caller]
fn assert_clean(where_: &str, before: &Value, after: &Value, new_imgs: i64) {
    assert_eq!(after["xss"], "undefined", "{where_}: a payload ran");
    assert_eq!(after["handlers"], json!([]), "{where_}: inline handlers");
    assert_eq!(after["js_urls"], 0, "{where_}: javascript: links");
    for tag in ["script", "svg", "iframe"] {
        assert_eq!(
            after[tag], before[tag],
            "{where_}: <{tag}> elements injected"
        );
    }
    assert_eq!(
        after["img"].as_i64().unwrap(),
        before["img"].as_i64().unwrap() + new_imgs,
        "{where_}: <img> elements"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn widget_browser_hostile_content_stays_text() {
    let Some((_d1, shop, _p1)) = browser().await else {
        return;
    };
    let Some((_d2, desk, _p2)) = browser().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let (_, inbox_token, _) = chat_inbox(&app, json!({})).await;
    agent(&app).await;

    // A harmless start, so both pages can be measured before anything hostile.
    open_chat(&shop, &app.url("/demo-shop")).await;
    type_and_enter(&shop, "Hallo").await;
    until_widget(&shop, "the greeting, sent", |m| {
        m.len() == 1 && is_sent_by_customer(&m[0], "Hallo")
    })
    .await;
    let (cid, contact) = only_conversation(&app).await;
    log_in(&desk, &app).await;
    desk.goto(&app.url(&format!("/inbox/c/{cid}")))
        .await
        .unwrap();
    desk.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    let shop_page_before = audit(&shop, "page").await;
    let widget_before = audit(&shop, "widget").await;
    let desk_before = audit(&desk, "page").await;

    // The customer types every payload; the agent answers with all of them.
    for p in XSS {
        type_and_enter(&shop, p).await;
        until_widget(&shop, &format!("{p:?} sent"), |m| {
            m.iter().any(|m| is_sent_by_customer(m, p))
        })
        .await;
    }
    let answer = XSS.join(" ");
    reply(&desk, &answer).await;
    // The contact's name and attributes, set through the API.
    let (status, body) = app
        .patch(
            &format!("/api/v1/contacts/{contact}"),
            json!({ "name": XSS[1], "attributes": { "notitie": XSS[0], XSS[2]: XSS[4], "link": XSS[3], "frame": XSS[5] } }),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    // Two images with hostile names, uploaded with the widget's own session.
    let session: String = serde_json::from_value(
        shop.execute(
            "return JSON.parse(localStorage.getItem('balie.widget.' + arguments[0] + '.session'))",
            vec![json!(inbox_token)],
        )
        .await
        .unwrap(),
    )
    .unwrap();
    for name in XSS_FILES {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(PNG.to_vec()).file_name(name.to_string()),
        );
        let res = app
            .client
            .post(app.url("/widget/v1/attachments"))
            .bearer_auth(&session)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    }

    // The widget, live: every payload as text, the names only as alt text.
    let check_widget = |m: &[Value]| {
        XSS.iter().all(|p| {
            m.iter()
                .any(|m| is_sent_by_customer(m, p) && m["links"] == 0)
        }) && m.iter().any(|m| is_from_agent(m, &answer))
            && XSS_FILES
                .iter()
                .all(|f| m.iter().any(|m| m["alts"] == json!([f])))
    };
    until_widget(&shop, "all hostile content as text", check_widget).await;
    until(
        &shop,
        "the attachment previews loaded",
        "return Array.from(window.__balieShadow.querySelectorAll('.bubble img')).every(i => i.complete && i.naturalWidth === 1)",
    )
    .await;
    assert_clean(
        "shop page",
        &shop_page_before,
        &audit(&shop, "page").await,
        0,
    );
    assert_clean("widget", &widget_before, &audit(&shop, "widget").await, 2);

    // The inbox, live: messages, name and attributes as text.
    let texts_js = "return {
      msgs: Array.from(document.querySelectorAll('#timeline .msg .text')).map(p => p.textContent),
      name: (document.querySelector('#sidebar .contact-name') || {}).textContent,
      attrs: Array.from(document.querySelectorAll('#sidebar dl.attributes dt, #sidebar dl.attributes dd')).map(e => e.textContent),
      row: (document.querySelector('#conv-list .row .name') || {}).textContent,
    }";
    let desk_shows = |v: &Value| {
        let msgs = v["msgs"].as_array().unwrap();
        let attrs = v["attrs"].as_array().unwrap();
        XSS.iter().all(|p| msgs.iter().any(|m| m == p))
            && msgs.iter().any(|m| m == &json!(answer))
            && v["name"] == XSS[1]
            && v["row"] == XSS[1]
            && [XSS[0], XSS[2], XSS[3], XSS[4], XSS[5]]
                .iter()
                .all(|p| attrs.iter().any(|a| a == p))
    };
    let mut shown = Value::Null;
    for _ in 0..200 {
        shown = desk.execute(texts_js, vec![]).await.unwrap();
        if desk_shows(&shown) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(desk_shows(&shown), "the inbox shows: {shown:#}");
    // The two files show as previews (their hostile names as alt text).
    assert_clean("inbox, live", &desk_before, &audit(&desk, "page").await, 2);

    // Both pages again from scratch: the server's rendering and the replay.
    desk.refresh().await.unwrap();
    desk.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
    let shown = desk.execute(texts_js, vec![]).await.unwrap();
    assert!(desk_shows(&shown), "the inbox after a reload: {shown:#}");
    assert_clean(
        "inbox, reloaded",
        &desk_before,
        &audit(&desk, "page").await,
        2,
    );

    shop.refresh().await.unwrap();
    until(
        &shop,
        "the widget back after a reload",
        "return !!window.__balieShadow",
    )
    .await;
    until_widget(&shop, "all hostile content after a reload", check_widget).await;
    until(
        &shop,
        "the attachment previews loaded",
        "return Array.from(window.__balieShadow.querySelectorAll('.bubble img')).every(i => i.complete && i.naturalWidth === 1)",
    )
    .await;
    assert_clean(
        "shop page, reloaded",
        &shop_page_before,
        &audit(&shop, "page").await,
        0,
    );
    assert_clean(
        "widget, reloaded",
        &widget_before,
        &audit(&shop, "widget").await,
        2,
    );

    shop.close().await.unwrap();
    desk.close().await.unwrap();
}
