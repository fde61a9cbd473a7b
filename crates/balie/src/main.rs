//! The `balie` binary: `serve`, `demo`, `admin bootstrap`, `nlu` and `bench`.

mod bench;
mod bench_bot;
mod bench_chat;
mod config;

use std::sync::Arc;

use anyhow::{bail, Context};
use balie_domain::SystemClock;
use balie_services::{InProcessFanout, Services};
use balie_storage::Store;
use config::{Config, Flags};
use tokio::net::TcpListener;

const USAGE: &str = "\
balie: omnichannel customer service for webshops

USAGE:
  balie demo  [--data-dir DIR] [--addr HOST:PORT]
        Seeds a demo shop on first start and serves it (default http://127.0.0.1:8080).
  balie serve [--data-dir DIR] [--addr HOST:PORT] [--database-url URL] [--config FILE]
        Serves the API and web pages.
  balie admin bootstrap --account NAME --email EMAIL --password SECRET [--name NAME] [--data-dir DIR]
        Creates an account with its admin; prints a JSON line with account_id and api_token.
  balie nlu eval [--train FILE [--valid FILE]] --test FILE
        Trains on --train (or uses the built-in model) and scores --test (TSV: intent<TAB>text);
        --valid picks the out-of-scope threshold. Last line: JSON with accuracy, macro_f1, ...
  balie nlu convert --dataset banking77|clinc150|xsid|bitext --src DIR --out DIR
  balie bench api [--messages N] [--concurrency N] [--timeline-reads N] [--database-url URL]
  balie bench chat [--conversations N] [--rate MSGS_PER_S] [--duration S] [--url URL --token TOKEN]
  balie bench chat --idle N
  balie bench bot [--articles N] [--examples N] [--turns N] [--searches N]

Settings come from defaults, then --config FILE (TOML) or BALIE_CONFIG, then BALIE_*
environment variables (BALIE_DATA_DIR, BALIE_ADDR, BALIE_DATABASE_URL,
BALIE_SQLITE_SYNC, BALIE_LOG), then flags.
";

const CONFIG_FLAGS: &[&str] = &[
    "config",
    "data-dir",
    "addr",
    "database-url",
    "sqlite-sync",
    "log",
];

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_logging(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(level)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

async fn run(args: Vec<String>) -> anyhow::Result<()> {
    let (command, rest) = match args.split_first() {
        Some((c, rest)) => (c.as_str(), rest),
        None => {
            print!("{USAGE}");
            return Ok(());
        }
    };
    // `balie demo --help` and the like: help, not "--help needs a value".
    if rest.iter().any(|a| a == "--help" || a == "-h") {
        print!("{USAGE}");
        return Ok(());
    }
    match command {
        "serve" => {
            let flags = Flags::parse(rest, &[])?;
            flags.only(CONFIG_FLAGS)?;
            let config = Config::load(&flags, env)?;
            init_logging(&config.log);
            let services = open(&config).await?;
            serve(&config, services).await
        }
        "demo" => {
            let flags = Flags::parse(rest, &[])?;
            flags.only(CONFIG_FLAGS)?;
            let config = Config::load(&flags, env)?;
            init_logging(&config.log);
            let services = open(&config).await?;
            let empty = {
                let mut conn = services.store.read().await?;
                balie_storage::accounts::count_accounts(&mut conn).await? == 0
            };
            if empty {
                let demo = services
                    .seed_demo()
                    .await
                    .map_err(|e| anyhow::anyhow!("seeding the demo shop: {e}"))?;
                println!(
                    "Demo shop created: {} contacts, {} conversations.\nAPI token (admin): {}",
                    demo.contacts, demo.conversations, demo.bootstrapped.api_token
                );
            }
            println!(
                "Log in as {} or {} with password {:?}.\nData: {}",
                balie_services::demo::DEMO_ADMIN_EMAIL,
                balie_services::demo::DEMO_AGENT_EMAIL,
                balie_services::demo::DEMO_PASSWORD,
                config.data_dir.display()
            );
            serve(&config, services).await
        }
        "admin" => match rest.split_first() {
            Some((sub, rest)) if sub == "bootstrap" => bootstrap(rest).await,
            _ => {
                bail!("usage: balie admin bootstrap --account NAME --email EMAIL --password SECRET")
            }
        },
        "nlu" => match rest.split_first() {
            Some((sub, rest)) if sub == "eval" => nlu_eval(&Flags::parse(rest, &[])?),
            Some((sub, rest)) if sub == "convert" => nlu_convert(&Flags::parse(rest, &[])?),
            _ => bail!("usage: balie nlu eval [--train FILE [--valid FILE]] --test FILE | balie nlu convert --dataset NAME --src DIR --out DIR"),
        },
        "bench" => match rest.split_first() {
            Some((sub, rest)) if sub == "api" => bench::api(&Flags::parse(rest, &[])?).await,
            Some((sub, rest)) if sub == "chat" => bench_chat::chat(&Flags::parse(rest, &[])?).await,
            Some((sub, rest)) if sub == "bot" => bench_bot::bot(&Flags::parse(rest, &[])?).await,
            _ => bail!("usage: balie bench api|chat|bot ... (see balie help)"),
        },
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        "--version" | "version" => {
            println!("balie {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        other => bail!("unknown command {other:?}\n\n{USAGE}"),
    }
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Opens the database (migrating it) and builds the services.
async fn open(config: &Config) -> anyhow::Result<Services> {
    let url = config.database_url()?;
    tracing::info!(database = %config::redact_url(&url), "opening database");
    let store = Store::connect(&url, config.sqlite_sync)
        .await
        .with_context(|| format!("opening database {}", config::redact_url(&url)))?;
    Ok(Services::new(
        store,
        Arc::new(SystemClock),
        Arc::new(InProcessFanout::default()),
    ))
}

async fn serve(config: &Config, services: Services) -> anyhow::Result<()> {
    // The bot's model trains on first use; do it now, off the request path.
    tokio::task::spawn_blocking(|| {
        balie_nlu::classifier::builtin_model();
    });
    let listener = TcpListener::bind(&config.addr)
        .await
        .with_context(|| format!("listening on {}", config.addr))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "Balie is serving");
    println!("Balie is serving on http://{addr}");
    println!("  agent inbox:              http://{addr}/login");
    println!("  chat widget on a shop:    http://{addr}/demo-shop");
    println!("  API (OpenAPI document):   http://{addr}/api/v1/openapi.json");
    balie_http::serve(listener, services, shutdown_signal()).await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down");
}

async fn bootstrap(rest: &[String]) -> anyhow::Result<()> {
    let flags = Flags::parse(rest, &[])?;
    let mut allowed = CONFIG_FLAGS.to_vec();
    allowed.extend(["account", "email", "password", "name"]);
    flags.only(&allowed)?;
    let config = Config::load(&flags, env)?;
    init_logging("warn");
    let account = flags.get("account").context("--account is required")?;
    let email = flags.get("email").context("--email is required")?;
    let password = match flags.get("password") {
        Some(p) => p.to_string(),
        None => env("BALIE_ADMIN_PASSWORD")
            .context("--password (or BALIE_ADMIN_PASSWORD) is required")?,
    };
    let services = open(&config).await?;
    let done = services
        .bootstrap(account, email, flags.get("name").unwrap_or(""), &password)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    services.store.close().await;
    eprintln!(
        "Created account {:?} with admin {}.",
        done.account.name, done.admin.email
    );
    println!(
        "{}",
        serde_json::json!({
            "account_id": done.account.id,
            "agent_id": done.admin.id,
            "email": done.admin.email,
            "api_token": done.api_token,
        })
    );
    Ok(())
}

/// `balie nlu eval`: a readable report, then one JSON line.
fn nlu_eval(flags: &Flags) -> anyhow::Result<()> {
    flags.only(&["train", "valid", "test"])?;
    let test = flags.get("test").context("--test FILE is required")?;
    let train = flags.get("train").map(std::path::Path::new);
    let valid = flags.get("valid").map(std::path::Path::new);
    if valid.is_some() && train.is_none() {
        bail!("--valid needs --train: the built-in model has its threshold already");
    }
    let config = balie_nlu::classifier::TrainConfig::default();
    let report = balie_nlu::eval::evaluate_with_validation(
        train,
        valid,
        std::path::Path::new(test),
        &config,
    )?;
    print!("{}", report.render_text());
    // The last line is the summary; per-intent figures are in the report above.
    let mut summary = report.to_json();
    if let Some(fields) = summary.as_object_mut() {
        fields.remove("per_intent");
        fields.remove("confusions");
    }
    println!("{summary}");
    Ok(())
}

/// `balie nlu convert`: a public data set to TSV files.
fn nlu_convert(flags: &Flags) -> anyhow::Result<()> {
    flags.only(&["dataset", "src", "out"])?;
    let dataset = flags.get("dataset").with_context(|| {
        format!(
            "--dataset is required: one of {}",
            balie_nlu::datasets::DATASETS.join(", ")
        )
    })?;
    let src = flags.get("src").context("--src DIR is required")?;
    let out = flags.get("out").context("--out DIR is required")?;
    for file in balie_nlu::datasets::convert(
        dataset,
        std::path::Path::new(src),
        std::path::Path::new(out),
    )? {
        println!("{}", file.display());
    }
    Ok(())
}
