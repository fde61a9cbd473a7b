//! Test fixtures: a fresh database per test (a SQLite file in a temporary
//! directory, or a new PostgreSQL database when `BALIE_TEST_DATABASE_URL`
//! is set), an in-process server on `127.0.0.1:0`, and a small HTTP client.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use balie_domain::SystemClock;
use balie_services::{InProcessFanout, Services};
use balie_storage::{SqliteSync, Store};
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection;

pub const PASSWORD: &str = "correct-horse-42";

/// A database that exists for one test.
pub struct TestDb {
    pub url: String,
    _dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        match std::env::var("BALIE_TEST_DATABASE_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            None => TestDb {
                url: balie_storage::sqlite_url_for_dir(dir.path()),
                _dir: dir,
                pg: None,
            },
            Some(admin_url) => {
                static N: AtomicUsize = AtomicUsize::new(0);
                let name = format!(
                    "balie_t_{}_{}_{}",
                    std::process::id(),
                    N.fetch_add(1, Ordering::SeqCst),
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .subsec_nanos()
                );
                sqlx::any::install_default_drivers();
                let mut conn = sqlx::AnyConnection::connect(&admin_url)
                    .await
                    .expect("connect to BALIE_TEST_DATABASE_URL");
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.ok();
                let base = admin_url.split('?').next().unwrap();
                let url = format!("{}/{name}", &base[..base.rfind('/').unwrap()]);
                TestDb {
                    url,
                    _dir: dir,
                    pg: Some((admin_url, name)),
                }
            }
        }
    }

    pub async fn store(&self) -> Store {
        Store::connect(&self.url, SqliteSync::Full)
            .await
            .expect("open test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.pg.take() {
            // Drop runs outside async; use a runtime of its own.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(mut conn) = sqlx::AnyConnection::connect(&admin_url).await {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&mut conn)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A running server with one bootstrapped account.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub services: Services,
    pub token: String,
    pub admin_id: i64,
    _db: TestDb,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        let db = TestDb::new().await;
        let store = db.store().await;
        let services = Services::new(
            store,
            Arc::new(SystemClock),
            Arc::new(InProcessFanout::default()),
        );
        let boot = services
            .bootstrap("Test Shop", "admin@shop.test", "Admin", PASSWORD)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(balie_http::serve(listener, services.clone(), async {
            let _ = rx.await;
        }));
        TestApp {
            base,
            client: reqwest::Client::new(),
            services,
            token: boot.api_token,
            admin_id: boot.admin.id,
            _db: db,
            stop: Some(tx),
        }
    }

    /// A second account on the same server, with its own admin token.
    pub async fn other_account(&self) -> (String, i64) {
        let boot = self
            .services
            .bootstrap("Other Shop", "admin@other.test", "Other", PASSWORD)
            .await
            .unwrap();
        (boot.api_token, boot.account.id)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await.unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call("GET", path, &self.token, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("POST", path, &self.token, Some(body)).await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call("PATCH", path, &self.token, Some(body)).await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call("DELETE", path, &self.token, None).await
    }

    /// The kinds of the account's events that start with `prefix`, oldest
    /// first (the first 1,000 events).
    pub async fn event_kinds(&self, prefix: &str) -> Vec<String> {
        let (_, events) = self.get("/api/v1/events?after=0&limit=1000").await;
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["kind"].as_str())
            .filter(|k| k.starts_with(prefix))
            .map(String::from)
            .collect()
    }

    /// Sends a customer's message as a channel would and returns the reply.
    pub async fn inbound(&self, channel: &str, kind: &str, value: &str, text: &str) -> Value {
        let (status, body) = self
            .post(
                "/api/v1/messages/inbound",
                serde_json::json!({ "channel": channel, "from": [{ "kind": kind, "value": value }], "text": text }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
    }
}

/// Asserts an error response's status and stable code.
#[track_caller]
pub fn assert_error(got: &(StatusCode, Value), status: u16, code: &str) {
    assert_eq!(got.0.as_u16(), status, "body: {}", got.1);
    assert_eq!(got.1["error"], code, "body: {}", got.1);
    assert!(
        got.1["message"].as_str().is_some_and(|m| !m.is_empty()),
        "body: {}",
        got.1
    );
}
