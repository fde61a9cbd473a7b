//! Settings: defaults, then a TOML file, then `BALIE_*` environment
//! variables, then command-line flags. Secrets never appear in `Debug`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use balie_storage::SqliteSync;
use serde::Deserialize;

#[derive(Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    addr: Option<String>,
    database_url: Option<String>,
    sqlite_sync: Option<String>,
    log: Option<String>,
}

/// The settings Balie runs with.
#[derive(Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub addr: String,
    /// Empty means the SQLite file in `data_dir`.
    pub database_url: Option<String>,
    pub sqlite_sync: SqliteSync,
    pub log: String,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("data_dir", &self.data_dir)
            .field("addr", &self.addr)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("sqlite_sync", &self.sqlite_sync)
            .field("log", &self.log)
            .finish()
    }
}

/// Hides the password in a database URL.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{}:***{}", &url[..scheme + 3], user, &url[at..])
        }
        _ => url.to_string(),
    }
}

fn parse_sync(s: &str) -> anyhow::Result<SqliteSync> {
    match s.to_ascii_lowercase().as_str() {
        "full" => Ok(SqliteSync::Full),
        "normal" => Ok(SqliteSync::Normal),
        other => bail!("sqlite_sync must be `full` or `normal`, not {other:?}"),
    }
}

impl Config {
    /// Loads settings. `flags` are `--name value` pairs already split off
    /// the command line; they win over everything else.
    pub fn load(flags: &Flags, env: impl Fn(&str) -> Option<String>) -> anyhow::Result<Config> {
        let file_path = flags
            .get("config")
            .map(PathBuf::from)
            .or_else(|| env("BALIE_CONFIG").map(PathBuf::from));
        let file = match &file_path {
            Some(p) => read_file(p)?,
            None => FileConfig::default(),
        };
        let pick = |flag: &str, var: &str, from_file: Option<String>| -> Option<String> {
            flags
                .get(flag)
                .map(str::to_string)
                .or_else(|| env(var))
                .or(from_file)
        };
        let data_dir = pick(
            "data-dir",
            "BALIE_DATA_DIR",
            file.data_dir.map(|p| p.display().to_string()),
        )
        .unwrap_or_else(|| "balie-data".into());
        let addr = pick("addr", "BALIE_ADDR", file.addr).unwrap_or_else(|| "127.0.0.1:8080".into());
        let database_url =
            pick("database-url", "BALIE_DATABASE_URL", file.database_url).filter(|u| !u.is_empty());
        let sqlite_sync = parse_sync(
            &pick("sqlite-sync", "BALIE_SQLITE_SYNC", file.sqlite_sync)
                .unwrap_or_else(|| "full".into()),
        )?;
        let log = pick("log", "BALIE_LOG", file.log).unwrap_or_else(|| "info".into());
        Ok(Config {
            data_dir: PathBuf::from(data_dir),
            addr,
            database_url,
            sqlite_sync,
            log,
        })
    }

    /// The database to open: the configured URL or the SQLite file.
    pub fn database_url(&self) -> anyhow::Result<String> {
        match &self.database_url {
            Some(url) => Ok(url.clone()),
            None => {
                std::fs::create_dir_all(&self.data_dir).with_context(|| {
                    format!("creating data directory {}", self.data_dir.display())
                })?;
                let dir = std::fs::canonicalize(&self.data_dir)?;
                Ok(balie_storage::sqlite_url_for_dir(&dir))
            }
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<FileConfig> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading config file {}", path.display()))?;
    toml::from_str(&text).with_context(|| format!("parsing config file {}", path.display()))
}

/// `--name value` flags and bare words of a command line.
#[derive(Debug, Default, Clone)]
pub struct Flags {
    pairs: Vec<(String, String)>,
    pub words: Vec<String>,
}

impl Flags {
    /// Splits arguments; a flag without a value is an error unless listed
    /// in `switches`.
    pub fn parse(args: &[String], switches: &[&str]) -> anyhow::Result<Flags> {
        let mut flags = Flags::default();
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            if let Some(name) = arg.strip_prefix("--") {
                if let Some((k, v)) = name.split_once('=') {
                    flags.pairs.push((k.to_string(), v.to_string()));
                } else if switches.contains(&name) {
                    flags.pairs.push((name.to_string(), "true".into()));
                } else {
                    let value = it
                        .next()
                        .with_context(|| format!("--{name} needs a value"))?;
                    flags.pairs.push((name.to_string(), value.clone()));
                }
            } else {
                flags.words.push(arg.clone());
            }
        }
        Ok(flags)
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Fails on a flag the command does not know, so typos are caught.
    pub fn only(&self, allowed: &[&str]) -> anyhow::Result<()> {
        for (k, _) in &self.pairs {
            if !allowed.contains(&k.as_str()) {
                bail!(
                    "unknown option --{k}; this command takes: {}",
                    allowed
                        .iter()
                        .map(|a| format!("--{a}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
        }
        Ok(())
    }

    pub fn number<T: std::str::FromStr>(&self, name: &str, default: T) -> anyhow::Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(v) => v
                .parse()
                .map_err(|_| anyhow::anyhow!("--{name} must be a number, not {v:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(String::from).collect()
    }

    #[test]
    fn flags_beat_env_and_env_beats_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("balie.toml");
        std::fs::write(
            &file,
            "addr = \"127.0.0.1:9000\"\nlog = \"debug\"\nsqlite_sync = \"normal\"\n",
        )
        .unwrap();
        let flags = Flags::parse(
            &args(&format!("--config {} --data-dir /tmp/x", file.display())),
            &[],
        )
        .unwrap();
        let env = |k: &str| match k {
            "BALIE_LOG" => Some("warn".to_string()),
            "BALIE_DATA_DIR" => Some("/ignored".to_string()),
            _ => None,
        };
        let c = Config::load(&flags, env).unwrap();
        assert_eq!(c.addr, "127.0.0.1:9000");
        assert_eq!(c.log, "warn");
        assert_eq!(c.data_dir, PathBuf::from("/tmp/x"));
        assert_eq!(c.sqlite_sync, SqliteSync::Normal);
    }

    #[test]
    fn unknown_file_keys_and_bad_values_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("balie.toml");
        std::fs::write(&file, "adress = \"x\"\n").unwrap();
        let flags = Flags::parse(&args(&format!("--config {}", file.display())), &[]).unwrap();
        assert!(Config::load(&flags, |_| None).is_err());
        let flags = Flags::parse(&args("--sqlite-sync maybe"), &[]).unwrap();
        assert!(Config::load(&flags, |_| None).is_err());
        assert!(Flags::parse(&args("--addr"), &[]).is_err());
    }

    #[test]
    fn database_passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://balie:s3cret@db:5432/balie"),
            "postgres://balie:***@db:5432/balie"
        );
        let c = Config::load(
            &Flags::parse(&args("--database-url postgres://u:pw@h/d"), &[]).unwrap(),
            |_| None,
        )
        .unwrap();
        assert!(!format!("{c:?}").contains("pw@"));
    }
}
