//! Who may do what: password hashing (argon2), API tokens and login sessions
//! (stored only as SHA-256 hashes), login rate limiting, and bootstrapping a
//! new installation.

use std::collections::HashMap;
use std::sync::Mutex;

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use balie_domain::{Account, Agent, EmailAddress, EventKind, Role};
use balie_storage::accounts::{self, NewAgent, Principal};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{agent_event, Actor, Pending, Result, ServiceError, Services};

/// Sessions last two weeks.
pub const SESSION_TTL_MS: i64 = 14 * 24 * 3600 * 1000;

pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ServiceError::invalid("password", e.to_string()))
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Passwords must be long enough to resist guessing.
pub fn check_password_rules(password: &str) -> Result<()> {
    if password.chars().count() < 8 {
        return Err(ServiceError::invalid(
            "password",
            "must be at least 8 characters",
        ));
    }
    if password.len() > 1024 {
        return Err(ServiceError::invalid(
            "password",
            "must be at most 1024 bytes",
        ));
    }
    Ok(())
}

/// A new random secret with a recognisable prefix (`blt_` tokens, `bls_`
/// sessions), so a leaked one is easy to spot in logs and code.
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    let mut out = String::with_capacity(prefix.len() + 64);
    out.push_str(prefix);
    for b in bytes {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Secrets are stored as SHA-256: they are long random strings, so a fast
/// hash suffices and lookups stay cheap.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Counts failed logins per key (email, client address) in a sliding window.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginLimiter {
    pub const MAX_FAILURES: u32 = 10;
    pub const WINDOW_MS: i64 = 15 * 60 * 1000;

    fn check(&self, key: &str, now: i64) -> Result<()> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((count, since)) = map.get(key) {
            if *count >= Self::MAX_FAILURES && now - since < Self::WINDOW_MS {
                return Err(ServiceError::RateLimited {
                    retry_after_s: ((Self::WINDOW_MS - (now - since)) / 1000).max(1) as u64,
                });
            }
        }
        Ok(())
    }

    fn fail(&self, key: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| now - *since < Self::WINDOW_MS);
        }
        let entry = map.entry(key.to_string()).or_insert((0, now));
        if now - entry.1 >= Self::WINDOW_MS {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    fn succeed(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(key);
    }
}

/// A fresh login: the session secret goes to the client once.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub agent: Agent,
    pub token: String,
    pub csrf_token: String,
    pub expires_at: i64,
}

/// What bootstrap created.
#[derive(Debug, Clone)]
pub struct Bootstrapped {
    pub account: Account,
    pub admin: Agent,
    pub api_token: String,
}

impl Services {
    /// Resolves a bearer API token or a session secret to its agent.
    pub async fn authenticate(
        &self,
        bearer: Option<&str>,
        session: Option<&str>,
    ) -> Result<Principal> {
        let mut conn = self.store.read().await?;
        let hash = |s: &str| secret_hash(s);
        let found = match (bearer, session) {
            (Some(token), _) => accounts::principal_for_token(&mut conn, &hash(token)).await?,
            (None, Some(secret)) => {
                accounts::principal_for_session(&mut conn, &hash(secret), self.now()).await?
            }
            (None, None) => None,
        };
        found.ok_or(ServiceError::Unauthorized)
    }

    /// Checks a password login, rate-limited per email and per client.
    pub async fn login(&self, email: &str, password: &str, client: &str) -> Result<NewSession> {
        let now = self.now();
        let email = EmailAddress::parse(email).map_err(|_| ServiceError::Unauthorized)?;
        let keys = [
            format!("email:{}", email.as_str()),
            format!("client:{client}"),
        ];
        for key in &keys {
            self.login_limiter.check(key, now)?;
        }
        let candidates = {
            let mut conn = self.store.read().await?;
            accounts::agents_for_login(&mut conn, email.as_str()).await?
        };
        let password = password.to_string();
        // Argon2 is slow on purpose: keep it off the async workers.
        let matched = tokio::task::spawn_blocking(move || {
            candidates
                .into_iter()
                .find(|(_, hash)| verify_password(&password, hash))
                .map(|(agent, _)| agent)
        })
        .await
        .ok()
        .flatten();
        let Some(agent) = matched else {
            for key in &keys {
                self.login_limiter.fail(key, now);
            }
            return Err(ServiceError::Unauthorized);
        };
        for key in &keys {
            self.login_limiter.succeed(key);
        }
        let token = new_secret("bls_");
        let csrf_token = new_secret("");
        let expires_at = now + SESSION_TTL_MS;
        let mut tx = self.store.begin().await?;
        accounts::create_session(
            tx.conn(),
            agent.account_id,
            agent.id,
            &secret_hash(&token),
            &csrf_token,
            now,
            expires_at,
        )
        .await?;
        tx.commit().await?;
        Ok(NewSession {
            agent,
            token,
            csrf_token,
            expires_at,
        })
    }

    pub async fn logout(&self, principal: &Principal) -> Result<()> {
        if let Some(id) = principal.session_id {
            let mut tx = self.store.begin().await?;
            accounts::delete_session(tx.conn(), id).await?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Issues a new API token for the acting agent; the secret is shown once.
    pub async fn create_api_token(&self, actor: &Actor, name: &str) -> Result<(i64, String)> {
        let name = crate::directory::required_text("name", name, 100)?;
        let token = new_secret("blt_");
        let mut tx = self.store.begin().await?;
        let id = accounts::create_api_token(
            tx.conn(),
            actor.account_id,
            actor.agent_id,
            &name,
            &secret_hash(&token),
            self.now(),
        )
        .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    /// Creates an account with its first admin and an API token for scripts.
    pub async fn bootstrap(
        &self,
        account_name: &str,
        email: &str,
        name: &str,
        password: &str,
    ) -> Result<Bootstrapped> {
        let account_name = crate::directory::required_text("account", account_name, 200)?;
        let email = EmailAddress::parse(email)?;
        check_password_rules(password)?;
        let hash = {
            let password = password.to_string();
            tokio::task::spawn_blocking(move || hash_password(&password))
                .await
                .map_err(|e| ServiceError::invalid("password", e.to_string()))??
        };
        let now = self.now();
        let api_token = new_secret("blt_");
        let mut tx = self.store.begin().await?;
        let account = accounts::create_account(tx.conn(), &account_name, now).await?;
        let admin = accounts::create_agent(
            tx.conn(),
            account.id,
            &NewAgent {
                email: email.as_str(),
                name: if name.trim().is_empty() {
                    email.as_str()
                } else {
                    name.trim()
                },
                role: Role::Admin,
                password_hash: Some(&hash),
            },
            now,
        )
        .await?;
        accounts::create_api_token(
            tx.conn(),
            account.id,
            admin.id,
            "bootstrap",
            &secret_hash(&api_token),
            now,
        )
        .await?;
        let actor = Actor {
            account_id: account.id,
            agent_id: admin.id,
            role: Role::Admin,
        };
        let mut pending = Pending::new(account.id);
        pending
            .append(
                &mut tx,
                agent_event(
                    &actor,
                    EventKind::AgentCreated,
                    serde_json::json!({ "agent_id": admin.id }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        Ok(Bootstrapped {
            account,
            admin,
            api_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn secrets_are_random_and_hash_stably() {
        let a = new_secret("blt_");
        let b = new_secret("blt_");
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 + 64);
        assert_eq!(secret_hash(&a), secret_hash(&a));
        assert_ne!(secret_hash(&a), secret_hash(&b));
    }

    #[test]
    fn limiter_blocks_after_repeated_failures_and_forgets_later() {
        let limiter = LoginLimiter::default();
        for _ in 0..LoginLimiter::MAX_FAILURES {
            assert!(limiter.check("k", 0).is_ok());
            limiter.fail("k", 0);
        }
        assert!(matches!(
            limiter.check("k", 1000),
            Err(ServiceError::RateLimited { .. })
        ));
        assert!(limiter.check("other", 1000).is_ok());
        assert!(limiter.check("k", LoginLimiter::WINDOW_MS + 1).is_ok());
    }
}
