//! Applies the embedded migrations in order, once each. The SQL is shared by
//! both backends; only the auto-increment key is spelled per backend.

use crate::{Backend, StorageError, Store};
use sqlx::Executor;

const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_initial.sql")),
    (2, include_str!("../migrations/0002_widget.sql")),
    (3, include_str!("../migrations/0003_orders.sql")),
    (4, include_str!("../migrations/0004_canned.sql")),
    (5, include_str!("../migrations/0005_knowledge.sql")),
    (6, include_str!("../migrations/0006_bot.sql")),
];

fn render(sql: &str, backend: Backend) -> String {
    let (id, blob) = match backend {
        Backend::Sqlite => ("INTEGER PRIMARY KEY AUTOINCREMENT", "BLOB"),
        Backend::Postgres => ("BIGSERIAL PRIMARY KEY", "BYTEA"),
    };
    sql.replace("{{ID}}", id).replace("{{BLOB}}", blob)
}

pub(crate) async fn run(store: &Store) -> Result<(), StorageError> {
    let mut tx = store.begin().await?;
    if store.backend() == Backend::Postgres {
        // Several nodes may start at once; one migrates, the others wait.
        sqlx::query("SELECT pg_advisory_xact_lock(7262736)")
            .execute(tx.conn())
            .await?;
    }
    tx.conn()
        .execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
        )
        .await?;
    for (version, sql) in MIGRATIONS {
        let done: Option<i64> =
            sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(*version)
                .fetch_optional(tx.conn())
                .await?;
        if done.is_some() {
            continue;
        }
        tracing::info!(version, "applying migration");
        // Comments go first: they may contain semicolons.
        let code: String = render(sql, store.backend())
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        for statement in code.split(';').filter(|s| !s.trim().is_empty()) {
            tx.conn().execute(statement).await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(*version)
            .bind(0_i64)
            .execute(tx.conn())
            .await?;
    }
    tx.commit().await
}
