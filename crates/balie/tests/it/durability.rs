//! A write acknowledged with 2xx survives `kill -9` of the real binary.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

fn balie() -> Command {
    Command::new(env!("CARGO_BIN_EXE_balie"))
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start(dir: &std::path::Path, port: u16) -> Child {
    let mut child = balie()
        .args(["serve", "--data-dir"])
        .arg(dir)
        .args(["--addr", &format!("127.0.0.1:{port}"), "--log", "warn"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let client = reqwest::Client::new();
    while Instant::now() < deadline {
        if let Ok(res) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            if res.status() == 200 {
                return child;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("balie serve did not become healthy");
}

#[tokio::test]
async fn durability_acknowledged_messages_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let out = balie()
        .args(["admin", "bootstrap", "--data-dir"])
        .arg(dir.path())
        .args([
            "--account",
            "Mijn Shop",
            "--email",
            "admin@example.com",
            "--password",
            "SECRET-password",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let token = last["api_token"].as_str().unwrap().to_string();
    assert!(last["account_id"].as_i64().unwrap() > 0);

    let port = free_port();
    let mut child = start(dir.path(), port).await;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    // Writers run concurrently; the server is killed while they are busy.
    let mut acknowledged = Vec::new();
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            tokio::spawn(async move {
                let mut acked = Vec::new();
                for i in 0..10_000 {
                    let body = json!({ "channel": "whatsapp", "from": [{"kind": "phone", "value": format!("06{:08}", w * 10_000 + i)}],
                                       "text": format!("bericht {w}-{i}") });
                    match client.post(format!("{base}/api/v1/messages/inbound")).bearer_auth(&token).json(&body).send().await {
                        Ok(res) if res.status() == 201 => {
                            let v: Value = match res.json().await {
                                Ok(v) => v,
                                Err(_) => break,
                            };
                            acked.push(v["message"]["id"].as_i64().unwrap());
                        }
                        _ => break,
                    }
                }
                acked
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    for w in writers {
        acknowledged.extend(w.await.unwrap());
    }
    assert!(
        acknowledged.len() > 20,
        "only {} writes were acknowledged before the kill",
        acknowledged.len()
    );

    let port = free_port();
    let mut child = start(dir.path(), port).await;
    let base = format!("http://127.0.0.1:{port}");
    let mut stored = std::collections::HashSet::new();
    let mut after = 0;
    loop {
        let page: Value = client
            .get(format!("{base}/api/v1/events?after={after}&limit=1000"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let data = page["data"].as_array().unwrap();
        for e in data {
            if e["kind"] == "message.created" {
                stored.insert(e["payload"]["message"]["id"].as_i64().unwrap());
            }
        }
        match data.last() {
            Some(e) if page["next_cursor"].is_string() => after = e["id"].as_i64().unwrap(),
            _ => break,
        }
    }
    let lost: Vec<_> = acknowledged
        .iter()
        .filter(|id| !stored.contains(id))
        .collect();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        lost.is_empty(),
        "{} acknowledged messages lost after kill -9: {:?}",
        lost.len(),
        &lost[..lost.len().min(10)]
    );
}
