//! Balie's storage: one schema and one set of queries on embedded SQLite (the
//! default, a file in the data directory) or PostgreSQL (for production and
//! several nodes), chosen at run time from the database URL.
//!
//! Queries are free functions over a connection, so a service can run several
//! of them in one transaction. Writes go through [`Store::begin`]; on SQLite
//! the write pool holds a single connection, so writers queue in-process
//! instead of failing with `SQLITE_BUSY`.

mod error;
mod migrate;
mod rows;

pub mod accounts;
pub mod bot;
pub mod canned;
pub mod contacts;
pub mod conversations;
pub mod events;
pub mod inboxes;
pub mod knowledge;
pub mod orders;
pub mod teams;
pub mod widget;

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyPool, Executor, Transaction};

pub use error::StorageError;
pub use sqlx::AnyConnection as Conn;

/// Which database engine a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Result<Backend, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::Config(
                "database URL must start with sqlite: or postgres:".into(),
            ))
        }
    }
}

/// How hard SQLite works to keep a commit. `Full` survives power loss;
/// `Normal` survives a killed process but may lose the last commits on power
/// loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqliteSync {
    Full,
    Normal,
}

/// A handle on the database: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    read: AnyPool,
    write: AnyPool,
    backend: Backend,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish()
    }
}

/// A write transaction; dropped without [`WriteTx::commit`] it rolls back.
pub struct WriteTx {
    tx: Transaction<'static, Any>,
    backend: Backend,
}

impl WriteTx {
    pub fn conn(&mut self) -> &mut Conn {
        &mut self.tx
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn commit(self) -> Result<(), StorageError> {
        self.tx.commit().await.map_err(StorageError::from)
    }
}

impl Store {
    /// Connects, applies pending migrations and returns the store.
    pub async fn connect(url: &str, sync: SqliteSync) -> Result<Store, StorageError> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(url)?;
        let options: AnyConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| StorageError::Config(e.to_string()))?;
        let pragmas = match sync {
            SqliteSync::Full => "PRAGMA synchronous = FULL",
            SqliteSync::Normal => "PRAGMA synchronous = NORMAL",
        };
        let pool = |max: u32| {
            AnyPoolOptions::new()
                .max_connections(max)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(move |conn, _| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute("PRAGMA journal_mode = WAL").await?;
                            conn.execute(pragmas).await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                        }
                        Ok(())
                    })
                })
        };
        let (read, write) = match backend {
            Backend::Sqlite => {
                let write = pool(1).connect_with(options.clone()).await?;
                let read = pool(8).connect_with(options).await?;
                (read, write)
            }
            Backend::Postgres => {
                let shared = pool(16).connect_with(options).await?;
                (shared.clone(), shared)
            }
        };
        let store = Store {
            read,
            write,
            backend,
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// A connection for reads.
    pub async fn read(&self) -> Result<PoolConnection<Any>, StorageError> {
        Ok(self.read.acquire().await?)
    }

    /// Starts a write transaction.
    pub async fn begin(&self) -> Result<WriteTx, StorageError> {
        Ok(WriteTx {
            tx: self.write.begin().await?,
            backend: self.backend,
        })
    }

    /// True when the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        match self.read.acquire().await {
            Ok(mut conn) => sqlx::query("SELECT 1").execute(&mut *conn).await.is_ok(),
            Err(_) => false,
        }
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
    }
}

/// Builds the SQLite URL of the database file in a data directory.
pub fn sqlite_url_for_dir(dir: &std::path::Path) -> String {
    format!("sqlite://{}?mode=rwc", dir.join("balie.db").display())
}
