//! `balie bench chat`: real WebSocket clients on loopback against a `balie
//! serve` child process (or `--url` for a running server). Customers of N
//! concurrent web-chat conversations send at a steady total rate through the
//! widget API; each message is timed from the customer's send until the
//! agent's socket receives it (the server publishes only after commit, so
//! every delivered message was durable first). `--idle N` instead opens N
//! idle widget connections and reports the server's memory.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::bench::percentile_ms;
use crate::config::Flags;

/// Sessions per client address: the server allows 30 starts a minute per
/// address, so the bench spreads visitors over 127.0.0.x addresses, as real
/// visitors come from many.
const SESSIONS_PER_ADDRESS: usize = 25;

fn client_ip(i: usize) -> IpAddr {
    let n = 2 + i / SESSIONS_PER_ADDRESS;
    IpAddr::V4(Ipv4Addr::new(127, 0, (n / 250) as u8, (n % 250 + 1) as u8))
}

fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(4096)
}

/// The server under test: a child process we started, or one given by URL.
struct Target {
    base: String,
    token: String,
    inbox_token: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Target {
    fn rss_mb(&self) -> Option<f64> {
        let pid = self.child.as_ref()?.id();
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
        let kb: f64 = status
            .lines()
            .find(|l| l.starts_with("VmRSS:"))?
            .split_whitespace()
            .nth(1)?
            .parse()
            .ok()?;
        Some(kb / 1024.0)
    }
}

async fn start_target(flags: &Flags, http: &reqwest::Client) -> anyhow::Result<Target> {
    if let Some(url) = flags.get("url") {
        let token = flags
            .get("token")
            .context("--url needs --token (an admin API token)")?
            .to_string();
        let base = url.trim_end_matches('/').to_string();
        let inbox: Value = http
            .post(format!("{base}/api/v1/inboxes"))
            .bearer_auth(&token)
            .json(&json!({ "name": "Bench chat", "channel": "web_chat" }))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let inbox_token = inbox["public_token"]
            .as_str()
            .context("public_token")?
            .to_string();
        return Ok(Target {
            base,
            token,
            inbox_token,
            child: None,
            _dir: None,
        });
    }
    let exe = std::env::current_exe()?;
    let dir = tempfile::tempdir()?;
    let out = Command::new(&exe)
        .args(["admin", "bootstrap", "--data-dir"])
        .arg(dir.path())
        .args([
            "--account",
            "Bench",
            "--email",
            "bench@example.com",
            "--password",
            "bench-password",
        ])
        .args(["--sqlite-sync", flags.get("sqlite-sync").unwrap_or("full")])
        .output()?;
    if !out.status.success() {
        bail!("bootstrap failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let boot: Value =
        serde_json::from_str(String::from_utf8(out.stdout)?.lines().last().unwrap_or(""))?;
    let token = boot["api_token"].as_str().context("api_token")?.to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&exe)
        .args(["serve", "--data-dir"])
        .arg(dir.path())
        .args(["--addr", &format!("127.0.0.1:{port}"), "--log", "warn"])
        .args(["--sqlite-sync", flags.get("sqlite-sync").unwrap_or("full")])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()?;
    let base = format!("http://127.0.0.1:{port}");
    let mut target = Target {
        base: base.clone(),
        token: token.clone(),
        inbox_token: String::new(),
        child: Some(child),
        _dir: Some(dir),
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if http
            .get(format!("{base}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        if Instant::now() > deadline {
            bail!("the server did not start");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let inbox: Value = http
        .post(format!("{base}/api/v1/inboxes"))
        .bearer_auth(&token)
        .json(&json!({ "name": "Bench chat", "channel": "web_chat" }))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    target.inbox_token = inbox["public_token"]
        .as_str()
        .context("public_token")?
        .to_string();
    Ok(target)
}

/// Starts `n` widget sessions, spread over client addresses.
async fn sessions(target: &Target, n: usize) -> anyhow::Result<Vec<String>> {
    let clients: Vec<reqwest::Client> = (0..n.div_ceil(SESSIONS_PER_ADDRESS))
        .map(|a| {
            reqwest::Client::builder()
                .local_address(client_ip(a * SESSIONS_PER_ADDRESS))
                .build()
        })
        .collect::<Result<_, _>>()?;
    let clients = Arc::new(clients);
    let mut out = Vec::with_capacity(n);
    for chunk in (0..n).collect::<Vec<_>>().chunks(64) {
        let mut tasks = Vec::new();
        for &i in chunk {
            let (clients, base, inbox) = (
                clients.clone(),
                target.base.clone(),
                target.inbox_token.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let res = clients[i / SESSIONS_PER_ADDRESS]
                    .post(format!("{base}/widget/v1/sessions"))
                    .json(&json!({ "inbox": inbox, "locale": "nl" }))
                    .send()
                    .await?;
                if !res.status().is_success() {
                    bail!("session start answered {}", res.status());
                }
                let v: Value = res.json().await?;
                Ok::<_, anyhow::Error>(v["session"].as_str().unwrap_or_default().to_string())
            }));
        }
        for t in tasks {
            out.push(t.await??);
        }
    }
    Ok(out)
}

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn widget_socket(base: &str, session: &str) -> anyhow::Result<Socket> {
    let url = format!(
        "{}/widget/v1/ws?session={session}",
        base.replace("http://", "ws://")
    );
    let (mut s, _) =
        tokio_tungstenite::connect_async_with_config(url, Some(ws_config()), true).await?;
    // Wait for the replay to finish.
    while let Some(msg) = s.next().await {
        if let WsMessage::Text(t) = msg? {
            if t.contains("\"ready\"") {
                return Ok(s);
            }
        }
    }
    bail!("widget socket closed before ready")
}

pub async fn chat(flags: &Flags) -> anyhow::Result<()> {
    flags.only(&[
        "conversations",
        "rate",
        "duration",
        "url",
        "token",
        "idle",
        "sqlite-sync",
    ])?;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;
    if flags.get("idle").is_some() {
        return idle(flags, &http).await;
    }
    let conversations: usize = flags.number("conversations", 1000)?;
    let rate: f64 = flags.number("rate", 500.0)?;
    let duration: f64 = flags.number("duration", 20.0)?;
    if conversations == 0 || rate <= 0.0 || duration <= 0.0 {
        bail!("--conversations, --rate and --duration must be positive");
    }
    let target = start_target(flags, &http).await?;
    println!("balie bench chat — {conversations} conversations, {rate} msgs/s for {duration} s against {}", target.base);
    let sessions = sessions(&target, conversations).await?;

    // The agent's socket: every message of the account arrives here.
    let mut req = format!(
        "{}/api/v1/ws?after=0",
        target.base.replace("http://", "ws://")
    )
    .into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {}", target.token).parse()?);
    let (mut agent, _) =
        tokio_tungstenite::connect_async_with_config(req, Some(ws_config()), true).await?;
    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let reader = {
        let (sent_at, latencies) = (sent_at.clone(), latencies.clone());
        tokio::spawn(async move {
            let mut ready_tx = Some(ready_tx);
            while let Some(Ok(msg)) = agent.next().await {
                let WsMessage::Text(t) = msg else { continue };
                let now = Instant::now();
                let Ok(v) = serde_json::from_str::<Value>(&t) else {
                    continue;
                };
                if v["type"] == "ready" {
                    if let Some(tx) = ready_tx.take() {
                        let _ = tx.send(());
                    }
                }
                if v["kind"] == "message.created" {
                    if let Some(text) = v["payload"]["message"]["text"].as_str() {
                        if let Some(t0) = sent_at
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .remove(text)
                        {
                            latencies
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(now - t0);
                        }
                    }
                }
            }
        })
    };
    ready_rx.await.context("agent socket ready")?;

    // The customers' own sockets, as their widgets hold them open.
    let mut sockets = Vec::with_capacity(conversations);
    for s in &sessions {
        sockets.push(widget_socket(&target.base, s).await?);
    }
    let drain: Vec<_> = sockets
        .into_iter()
        .map(|mut s| tokio::spawn(async move { while let Some(Ok(_)) = s.next().await {} }))
        .collect();

    let clients: Arc<Vec<reqwest::Client>> = Arc::new(
        (0..conversations.div_ceil(SESSIONS_PER_ADDRESS))
            .map(|a| {
                reqwest::Client::builder()
                    .local_address(client_ip(a * SESSIONS_PER_ADDRESS))
                    .build()
            })
            .collect::<Result<_, _>>()?,
    );
    let send = |i: usize, text: String, record: bool| {
        let (clients, base, session, sent_at) = (
            clients.clone(),
            target.base.clone(),
            sessions[i].clone(),
            sent_at.clone(),
        );
        tokio::spawn(async move {
            if record {
                sent_at
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(text.clone(), Instant::now());
            }
            let res = clients[i / SESSIONS_PER_ADDRESS]
                .post(format!("{base}/widget/v1/messages"))
                .bearer_auth(&session)
                .json(&json!({ "text": text }))
                .send()
                .await;
            matches!(res, Ok(r) if r.status().as_u16() == 201)
        })
    };
    // Warm-up: every conversation's first message opens it.
    let mut warm = Vec::new();
    for i in 0..conversations {
        warm.push(send(i, format!("Hallo, ik heb een vraag ({i})"), false));
        if warm.len() >= 64 {
            for w in warm.drain(..) {
                w.await?;
            }
        }
    }
    for w in warm {
        w.await?;
    }

    // Measured phase: a steady total rate, round robin over conversations.
    let total = (rate * duration).round() as usize;
    let interval = Duration::from_secs_f64(1.0 / rate);
    let started = Instant::now();
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut pending = Vec::with_capacity(total);
    for n in 0..total {
        ticker.tick().await;
        pending.push(send(
            n % conversations,
            format!("bench {n}: waar blijft bestelling {}?", 1_000_000 + n),
            true,
        ));
    }
    let mut accepted = 0;
    for p in pending {
        if p.await? {
            accepted += 1;
        }
    }
    let send_elapsed = started.elapsed();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline
        && latencies.lock().unwrap_or_else(|p| p.into_inner()).len() < accepted
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let rss = target.rss_mb();
    reader.abort();
    for d in drain {
        d.abort();
    }
    let mut lat = latencies.lock().unwrap_or_else(|p| p.into_inner()).clone();
    lat.sort();
    let received = lat.len();
    let msgs_per_s = received as f64 / send_elapsed.as_secs_f64();
    let (p50, p99, p999) = (
        percentile_ms(&lat, 50.0),
        percentile_ms(&lat, 99.0),
        percentile_ms(&lat, 99.9),
    );
    println!("  sent {total}, accepted {accepted}, received by the agent {received} ({msgs_per_s:.0} msgs/s)");
    println!(
        "  customer send -> agent socket: p50 {p50:.2} ms, p99 {p99:.2} ms, p99.9 {p999:.2} ms"
    );
    if let Some(rss) = rss {
        println!("  server RSS {rss:.0} MB");
    }
    println!(
        "{}",
        json!({
            "bench": "chat", "conversations": conversations, "rate": rate, "duration_s": duration,
            "sent": total, "accepted": accepted, "received": received, "lost": accepted.saturating_sub(received),
            "p50_ms": p50, "p99_ms": p99, "p999_ms": p999, "msgs_per_s": (msgs_per_s * 10.0).round() / 10.0,
            "server_rss_mb": rss.map(|r| r.round()),
        })
    );
    Ok(())
}

async fn idle(flags: &Flags, http: &reqwest::Client) -> anyhow::Result<()> {
    let n: usize = flags.number("idle", 10_000)?;
    let target = start_target(flags, http).await?;
    println!(
        "balie bench chat --idle {n}: opening {n} idle widget connections against {}",
        target.base
    );
    let sessions = sessions(&target, n).await?;
    let before = target.rss_mb();
    let mut sockets = Vec::with_capacity(n);
    let started = Instant::now();
    for chunk in sessions.chunks(200) {
        let mut tasks = Vec::new();
        for s in chunk {
            let (base, s) = (target.base.clone(), s.clone());
            tasks.push(tokio::spawn(async move { widget_socket(&base, &s).await }));
        }
        for t in tasks {
            sockets.push(t.await??);
        }
    }
    let connect_s = started.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = target.rss_mb();
    // Still alive? Ping a sample.
    let mut alive = 0;
    for s in sockets.iter_mut().step_by((n / 100).max(1)) {
        if s.send(WsMessage::Text(
            json!({ "type": "ping" }).to_string().into(),
        ))
        .await
        .is_ok()
        {
            if let Ok(Some(Ok(WsMessage::Text(t)))) =
                tokio::time::timeout(Duration::from_secs(5), s.next()).await
            {
                alive += t.contains("pong") as usize;
            }
        }
    }
    let per_conn_kb = match (before, after) {
        (Some(b), Some(a)) => Some((a - b) * 1024.0 / n as f64),
        _ => None,
    };
    println!("  {n} connections open in {connect_s:.1} s; {alive} of a sample answered ping");
    if let (Some(b), Some(a)) = (before, after) {
        println!(
            "  server RSS {b:.0} MB before, {a:.0} MB with {n} idle connections ({:.1} KB each)",
            per_conn_kb.unwrap_or(0.0)
        );
    }
    println!(
        "{}",
        json!({ "bench": "chat_idle", "connections": n, "connect_s": connect_s, "server_rss_mb": after.map(|r| r.round()),
                "server_rss_before_mb": before.map(|r| r.round()), "kb_per_connection": per_conn_kb, "sample_alive": alive })
    );
    Ok(())
}
