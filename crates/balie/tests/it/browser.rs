//! The real-browser fixture: Debian's Chromium driven through chromedriver
//! with fantoccini. A test calls [`browser`] and returns early when it gives
//! `None` (chromedriver missing; a NOTICE is printed), unless
//! `BALIE_REQUIRE_BROWSER` is set, where a missing browser is a failure.
//! [`cdp`] sends a Chrome DevTools Protocol command through chromedriver
//! (network emulation, scripts that run before the page's own).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use reqwest::{Method, Url};
use serde_json::{json, Value};

/// chromedriver, stopped when the test ends.
pub struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A headless Chromium with a fresh profile, behind its own chromedriver on
/// a free port. Keep all three values alive for the length of the test.
pub async fn browser() -> Option<(Driver, Client, tempfile::TempDir)> {
    if Command::new("chromedriver")
        .arg("--version")
        .output()
        .is_err()
    {
        // CI installs Chromium (scripts/test does); there a missing
        // browser is a failure, not a reason to skip.
        assert!(
            std::env::var("BALIE_REQUIRE_BROWSER").is_err(),
            "chromedriver not found but BALIE_REQUIRE_BROWSER is set"
        );
        eprintln!(
            "NOTICE: chromedriver not found; skipping the browser test (apt-get install chromium chromium-driver)"
        );
        return None;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    let driver = Driver(child);
    let profile = tempfile::tempdir().unwrap();
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--window-size=1280,800", "--lang=nl",
            format!("--user-data-dir={}", profile.path().display()),
        ] }),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    // chromedriver takes a moment to listen; try for up to ten seconds.
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            Ok(c) => return Some((driver, c, profile)),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    panic!("chromedriver did not accept a session");
}

/// Polls a script until it returns true; fails after about 20 s.
pub async fn until(c: &Client, what: &str, script: &str) {
    for _ in 0..200 {
        if c.execute(script, vec![]).await.unwrap() == Value::Bool(true) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("browser never got to: {what}");
}

/// chromedriver's `goog/cdp/execute`: one DevTools Protocol command.
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &Url,
        session_id: Option<&str>,
    ) -> Result<Url, <Url as std::str::FromStr>::Err> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.expect("a session")
        ))
    }

    fn method_and_body(&self, _: &Url) -> (Method, Option<String>) {
        (
            Method::POST,
            Some(json!({ "cmd": self.cmd, "params": self.params }).to_string()),
        )
    }
}

/// Sends a DevTools Protocol command to the browser's current tab.
pub async fn cdp(c: &Client, cmd: &'static str, params: Value) -> Value {
    c.issue_cmd(Cdp { cmd, params })
        .await
        .unwrap_or_else(|e| panic!("CDP {cmd}: {e}"))
}

/// Fills in and submits the login form on the current page, then waits for
/// the inbox's live connection.
pub async fn submit_login(c: &Client, email: &str, password: &str) {
    c.find(Locator::Css("input[name=email]"))
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    c.find(Locator::Css("input[name=password]"))
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    c.find(Locator::Css("button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .at_most(Duration::from_secs(20))
        .for_element(Locator::Css("#live.on"))
        .await
        .unwrap();
}
