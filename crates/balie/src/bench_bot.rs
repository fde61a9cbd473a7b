//! `balie bench bot`: how fast the self-service bot is for a shop that
//! taught it — retraining with the shop's own examples, searching its
//! knowledge base, and one whole bot turn (analysis, verification against
//! the order store, the answer stored with its events) for "waar is mijn
//! bestelling?" from a customer who owns the order. Services in-process on
//! SQLite in a temporary directory.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use balie_domain::{Channel, IdentityKind, Role, SystemClock};
use balie_nlu::language::Language;
use balie_services::commerce::OrderInput;
use balie_services::contacts::IdentityInput;
use balie_services::conversations::InboundMessage;
use balie_services::knowledge::KnowledgeInput;
use balie_services::{Actor, InProcessFanout, Services};
use balie_storage::{SqliteSync, Store};
use serde_json::json;

use crate::bench::percentile_ms;
use crate::config::Flags;

fn err(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

/// Words for synthetic articles, so each article has a vocabulary of its own.
const TOPICS: &[&str] = &[
    "regenjas",
    "sneakers",
    "rugzak",
    "horloge",
    "zonnebril",
    "laptophoes",
    "fietstas",
    "winterjas",
    "handschoenen",
    "sjaal",
    "badjas",
    "pyjama",
    "slippers",
    "laarzen",
    "koptelefoon",
    "oplader",
    "telefoonhoesje",
    "powerbank",
    "speaker",
    "tablet",
];
const ASPECTS: &[&str] = &[
    "wassen",
    "garantie",
    "maattabel",
    "onderhoud",
    "retourneren",
    "reparatie",
    "materiaal",
    "duurzaamheid",
    "levertijd",
    "voorraad",
];

pub async fn bot(flags: &Flags) -> anyhow::Result<()> {
    flags.only(&["articles", "examples", "turns", "searches"])?;
    let articles: usize = flags.number("articles", 200)?;
    let examples: usize = flags.number("examples", 200)?;
    let turns: usize = flags.number("turns", 300)?;
    let searches: usize = flags.number("searches", 2000)?;
    if turns == 0 || searches == 0 {
        bail!("--turns and --searches must be at least 1");
    }
    let tmp = tempfile::tempdir()?;
    let store = Store::connect(
        &balie_storage::sqlite_url_for_dir(tmp.path()),
        SqliteSync::Full,
    )
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
        .map_err(err)?;
    let admin = Actor {
        account_id: boot.account.id,
        agent_id: boot.admin.id,
        role: Role::Admin,
    };
    let inbox = services
        .create_inbox(&admin, "Chat", Channel::WebChat, json!({}))
        .await
        .map_err(err)?;
    println!(
        "balie bench bot — SQLite, {articles} articles, {examples} own examples, {turns} bot turns"
    );

    // 1. Knowledge articles, then searches of each article's own subject.
    for i in 0..articles {
        let (topic, aspect) = (
            TOPICS[i % TOPICS.len()],
            ASPECTS[(i / TOPICS.len()) % ASPECTS.len()],
        );
        services
            .create_knowledge(
                &admin,
                KnowledgeInput {
                    title_nl: Some(format!("{topic} {aspect} ({i})")),
                    body_nl: Some(format!(
                        "Alles over {aspect} van je {topic}. Lees hier hoe het werkt en wat je moet weten; artikel {i}."
                    )),
                    keywords: Some(format!("{topic} {aspect}")),
                    published: true,
                    ..Default::default()
                },
            )
            .await
            .map_err(err)?;
    }
    let mut search_times = Vec::with_capacity(searches);
    for i in 0..searches {
        let (topic, aspect) = (TOPICS[i % TOPICS.len()], ASPECTS[(i / 7) % ASPECTS.len()]);
        let query = format!("hoe zit het met {aspect} van mijn {topic}?");
        let started = Instant::now();
        services
            .search_knowledge(admin.account_id, Language::Nl, &query, 3)
            .await
            .map_err(err)?;
        search_times.push(started.elapsed());
    }
    search_times.sort();

    // 2. The shop's own examples and a retrain.
    for i in 0..examples {
        let intent = format!("eigen_vraag_{}", i % 10);
        services
            .add_bot_example(
                &admin,
                &intent,
                &format!("vraag {i} over {}", TOPICS[i % TOPICS.len()]),
            )
            .await
            .map_err(err)?;
    }
    let started = Instant::now();
    let retrain = services.retrain_bot(&admin).await.map_err(err)?;
    let retrain_wall = started.elapsed();

    // 3. Bot turns: a customer who owns an order asks where it is.
    let mut turn_times: Vec<Duration> = Vec::with_capacity(turns);
    for i in 0..turns {
        let email = format!("klant{i}@example.nl");
        let number = format!("{}", 2_000_000 + i);
        services
            .upsert_order(
                (&admin).into(),
                &OrderInput {
                    number: number.clone(),
                    email: Some(email.clone()),
                    status: Some(balie_domain::OrderStatus::Shipped),
                    carrier: Some("PostNL".into()),
                    tracking_code: Some(format!("3SBENCH{i:07}")),
                    ..Default::default()
                },
                "bench",
            )
            .await
            .map_err(err)?;
        let got = services
            .ingest_without_bot(
                admin.account_id,
                InboundMessage {
                    inbox_id: Some(inbox.id),
                    channel: Channel::WebChat,
                    from: vec![IdentityInput {
                        kind: IdentityKind::Email,
                        value: email,
                    }],
                    name: None,
                    text: format!("waar blijft mijn bestelling {number}?"),
                    external_id: None,
                    conversation_id: None,
                    attachments: Vec::new(),
                    known_contact_id: None,
                },
            )
            .await
            .map_err(err)?;
        let started = Instant::now();
        let reply = services
            .bot_reply(admin.account_id, got.conversation.id, &got.message)
            .await
            .map_err(err)?;
        turn_times.push(started.elapsed());
        match reply {
            Some(m) if m.text.contains(&number) => {}
            other => bail!("turn {i}: the bot did not tell the order's status: {other:?}"),
        }
    }
    turn_times.sort();

    let p = |v: &[Duration], q| percentile_ms(v, q);
    println!(
        "knowledge search ({articles} articles, {searches} searches): p50 {:.3} ms, p99 {:.3} ms",
        p(&search_times, 50.0),
        p(&search_times, 99.0)
    );
    println!(
        "retrain ({} examples, {} intents): {} ms training, {} ms in all",
        retrain.total_examples,
        retrain.intents,
        retrain.train_ms,
        retrain_wall.as_millis()
    );
    println!(
        "bot turn \"waar blijft mijn bestelling N?\" ({turns} turns): p50 {:.2} ms, p99 {:.2} ms",
        p(&turn_times, 50.0),
        p(&turn_times, 99.0)
    );
    println!(
        "{}",
        json!({
            "articles": articles,
            "search_p50_ms": p(&search_times, 50.0),
            "search_p99_ms": p(&search_times, 99.0),
            "retrain_examples": retrain.total_examples,
            "retrain_ms": retrain.train_ms,
            "turns": turns,
            "turn_p50_ms": p(&turn_times, 50.0),
            "turn_p99_ms": p(&turn_times, 99.0),
        })
    );
    Ok(())
}
