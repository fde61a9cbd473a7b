//! `balie bench api`: messages created per second through the HTTP API and
//! the latency of reading a contact timeline of 1,000 messages, against an
//! in-process server on loopback (SQLite in a temporary directory unless
//! `--database-url` names another database).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use balie_domain::SystemClock;
use balie_services::{InProcessFanout, Services};
use balie_storage::{SqliteSync, Store};
use serde_json::{json, Value};

use crate::config::Flags;

/// Percentile of sorted durations, in milliseconds.
pub fn percentile_ms(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

pub async fn api(flags: &Flags) -> anyhow::Result<()> {
    flags.only(&[
        "messages",
        "concurrency",
        "timeline-reads",
        "database-url",
        "sqlite-sync",
    ])?;
    let messages: usize = flags.number("messages", 5000)?;
    let concurrency: usize = flags.number("concurrency", 16)?;
    let reads: usize = flags.number("timeline-reads", 200)?;
    if messages == 0 || concurrency == 0 || reads == 0 {
        bail!("--messages, --concurrency and --timeline-reads must be at least 1");
    }
    let sync = match flags.get("sqlite-sync").unwrap_or("full") {
        "normal" => SqliteSync::Normal,
        _ => SqliteSync::Full,
    };
    let tmp = tempfile::tempdir()?;
    let url = match flags.get("database-url") {
        Some(u) => u.to_string(),
        None => balie_storage::sqlite_url_for_dir(tmp.path()),
    };
    let backend = if url.starts_with("sqlite") {
        "sqlite"
    } else {
        "postgres"
    };
    let store = Store::connect(&url, sync)
        .await
        .context("opening the bench database")?;
    let services = Services::new(
        store,
        Arc::new(SystemClock),
        Arc::new(InProcessFanout::default()),
    );
    let boot = services
        .bootstrap("Bench shop", "bench@example.com", "Bench", "bench-password")
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(balie_http::serve(listener, services.clone(), async {
        let _ = stop_rx.await;
    }));
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let token = Arc::new(boot.api_token);

    println!("balie bench api — {backend}, {messages} messages, {concurrency} concurrent clients");
    // 1. Inbound messages from 500 customers on rotating channels.
    let channels = ["web_chat", "email", "whatsapp", "sms"];
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut workers = Vec::new();
    for _ in 0..concurrency {
        let (client, token, next, base) =
            (client.clone(), token.clone(), next.clone(), base.clone());
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= messages {
                    return Ok::<_, anyhow::Error>(latencies);
                }
                let body = json!({
                    "channel": channels[i % channels.len()],
                    "from": [{ "kind": "email", "value": format!("customer{}@example.com", i % 500) }],
                    "text": format!("Waar blijft mijn bestelling {}?", 1_000_000 + i),
                    "external_id": format!("bench-{i}"),
                });
                let t = Instant::now();
                let res = client.post(format!("{base}/api/v1/messages/inbound")).bearer_auth(&*token).json(&body).send().await?;
                if res.status().as_u16() != 201 {
                    bail!("inbound message answered {}: {}", res.status(), res.text().await.unwrap_or_default());
                }
                latencies.push(t.elapsed());
            }
        }));
    }
    let mut create_latencies = Vec::with_capacity(messages);
    for w in workers {
        create_latencies.extend(w.await??);
    }
    let elapsed = started.elapsed();
    create_latencies.sort();
    let msgs_per_s = messages as f64 / elapsed.as_secs_f64();
    println!(
        "  created {messages} messages in {:.2} s: {msgs_per_s:.0} msgs/s (p50 {:.2} ms, p99 {:.2} ms per request)",
        elapsed.as_secs_f64(),
        percentile_ms(&create_latencies, 50.0),
        percentile_ms(&create_latencies, 99.0)
    );

    // 2. One contact with 1,000 messages across channels, read back whole.
    let mut contact_id = 0;
    for i in 0..1000 {
        let body = json!({
            "channel": channels[i % channels.len()],
            "from": [{ "kind": "phone", "value": "06-12345678" }],
            "text": format!("Bericht {i} van de vaste klant"),
        });
        let res: Value = client
            .post(format!("{base}/api/v1/messages/inbound"))
            .bearer_auth(&*token)
            .json(&body)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        contact_id = res["contact_id"]
            .as_i64()
            .context("contact_id in the response")?;
    }
    let mut read_latencies = Vec::with_capacity(reads);
    for _ in 0..reads {
        let t = Instant::now();
        let res: Value = client
            .get(format!(
                "{base}/api/v1/contacts/{contact_id}/timeline?limit=1000"
            ))
            .bearer_auth(&*token)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        read_latencies.push(t.elapsed());
        let n = res["data"].as_array().map(Vec::len).unwrap_or(0);
        if n != 1000 {
            bail!("timeline returned {n} messages, expected 1000");
        }
    }
    read_latencies.sort();
    let (p50, p99) = (
        percentile_ms(&read_latencies, 50.0),
        percentile_ms(&read_latencies, 99.0),
    );
    println!("  timeline of 1,000 messages, {reads} reads: p50 {p50:.2} ms, p99 {p99:.2} ms");

    let _ = stop_tx.send(());
    server.await??;
    let report = json!({
        "bench": "api",
        "backend": backend,
        "messages": messages,
        "concurrency": concurrency,
        "msgs_per_s": (msgs_per_s * 10.0).round() / 10.0,
        "create_p50_ms": percentile_ms(&create_latencies, 50.0),
        "create_p99_ms": percentile_ms(&create_latencies, 99.0),
        "timeline_1000_p50_ms": p50,
        "timeline_1000_p99_ms": p99,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
    });
    println!("{report}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_pick_the_rank() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile_ms(&v, 50.0), 50.0);
        assert_eq!(percentile_ms(&v, 99.0), 99.0);
        assert_eq!(percentile_ms(&v, 100.0), 100.0);
        assert_eq!(percentile_ms(&[], 99.0), 0.0);
    }
}
