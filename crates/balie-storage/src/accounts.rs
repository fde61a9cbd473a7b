//! Accounts (tenants), agents, API tokens and login sessions.

use balie_domain::{Account, Agent, Presence, Role};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

pub async fn create_account(
    conn: &mut Conn,
    name: &str,
    now: i64,
) -> Result<Account, StorageError> {
    let id: i64 =
        sqlx::query_scalar("INSERT INTO accounts (name, created_at) VALUES ($1, $2) RETURNING id")
            .bind(name)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?;
    get_account(conn, id).await
}

pub async fn get_account(conn: &mut Conn, id: i64) -> Result<Account, StorageError> {
    let row = sqlx::query("SELECT id, name, created_at FROM accounts WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await?;
    Ok(Account {
        id: i64_(&row, "id")?,
        name: text(&row, "name")?,
        created_at: ts(&row, "created_at")?,
    })
}

pub async fn count_accounts(conn: &mut Conn) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(conn)
        .await?)
}

const AGENT_COLUMNS: &str =
    "id, account_id, email, name, role, presence, active, created_at, updated_at";

fn agent(row: &AnyRow) -> Result<Agent, StorageError> {
    Ok(Agent {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        email: text(row, "email")?,
        name: text(row, "name")?,
        role: parsed(row, "role")?,
        presence: Presence::parse(&text(row, "presence")?),
        active: flag(row, "active")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub struct NewAgent<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub role: Role,
    pub password_hash: Option<&'a str>,
}

pub async fn create_agent(
    conn: &mut Conn,
    account_id: i64,
    new: &NewAgent<'_>,
    now: i64,
) -> Result<Agent, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO agents (account_id, email, name, role, password_hash, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(new.email)
    .bind(new.name)
    .bind(new.role.as_str())
    .bind(new.password_hash)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_agent(conn, account_id, id).await
}

pub async fn get_agent(conn: &mut Conn, account_id: i64, id: i64) -> Result<Agent, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {AGENT_COLUMNS} FROM agents WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    agent(&row)
}

pub async fn list_agents(
    conn: &mut Conn,
    account_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Agent>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {AGENT_COLUMNS} FROM agents WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
    ))
    .bind(account_id)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(conn)
    .await?;
    rows.iter().map(agent).collect()
}

/// Changes to an agent; `None` leaves a field as it is.
#[derive(Debug, Default)]
pub struct AgentChanges<'a> {
    pub name: Option<&'a str>,
    pub role: Option<Role>,
    pub presence: Option<Presence>,
    pub active: Option<bool>,
    pub password_hash: Option<&'a str>,
}

pub async fn update_agent(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    changes: &AgentChanges<'_>,
    now: i64,
) -> Result<Agent, StorageError> {
    let mut q = SqlBuilder::new("UPDATE agents SET ");
    q.push("updated_at = ?", [Arg::Int(now)]);
    if let Some(name) = changes.name {
        q.push(", name = ?", [Arg::Text(name.into())]);
    }
    if let Some(role) = changes.role {
        q.push(", role = ?", [Arg::Text(role.as_str().into())]);
    }
    if let Some(presence) = changes.presence {
        q.push(", presence = ?", [Arg::Text(presence.as_str().into())]);
    }
    if let Some(active) = changes.active {
        q.push(", active = ?", [Arg::Int(active as i64)]);
    }
    if let Some(hash) = changes.password_hash {
        q.push(", password_hash = ?", [Arg::Text(hash.into())]);
    }
    q.push(
        " WHERE account_id = ? AND id = ?",
        [Arg::Int(account_id), Arg::Int(id)],
    );
    let done = q.query().execute(&mut *conn).await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_agent(conn, account_id, id).await
}

/// Every active agent with this login email, in any account, with their
/// password hash: login tries each.
pub async fn agents_for_login(
    conn: &mut Conn,
    email: &str,
) -> Result<Vec<(Agent, String)>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {AGENT_COLUMNS}, password_hash FROM agents
         WHERE email = $1 AND active = 1 AND password_hash IS NOT NULL ORDER BY id"
    ))
    .bind(email)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| Ok((agent(r)?, text(r, "password_hash")?)))
        .collect()
}

/// Who a token or session authenticates.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account_id: i64,
    pub agent: Agent,
    pub session_id: Option<i64>,
    pub csrf_token: Option<String>,
}

pub async fn create_api_token(
    conn: &mut Conn,
    account_id: i64,
    agent_id: i64,
    name: &str,
    token_hash: &str,
    now: i64,
) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO api_tokens (account_id, agent_id, name, token_hash, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(account_id)
    .bind(agent_id)
    .bind(name)
    .bind(token_hash)
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn principal_for_token(
    conn: &mut Conn,
    token_hash: &str,
) -> Result<Option<Principal>, StorageError> {
    let row = sqlx::query(
        "SELECT account_id, agent_id FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL",
    )
    .bind(token_hash)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let account_id = i64_(&row, "account_id")?;
    let agent = get_agent(conn, account_id, i64_(&row, "agent_id")?).await?;
    Ok(agent.active.then_some(Principal {
        account_id,
        agent,
        session_id: None,
        csrf_token: None,
    }))
}

pub async fn create_session(
    conn: &mut Conn,
    account_id: i64,
    agent_id: i64,
    token_hash: &str,
    csrf_token: &str,
    now: i64,
    expires_at: i64,
) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO sessions (account_id, agent_id, token_hash, csrf_token, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(account_id)
    .bind(agent_id)
    .bind(token_hash)
    .bind(csrf_token)
    .bind(now)
    .bind(expires_at)
    .fetch_one(conn)
    .await?)
}

pub async fn principal_for_session(
    conn: &mut Conn,
    token_hash: &str,
    now: i64,
) -> Result<Option<Principal>, StorageError> {
    let row = sqlx::query(
        "SELECT id, account_id, agent_id, csrf_token FROM sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let account_id = i64_(&row, "account_id")?;
    let agent = get_agent(conn, account_id, i64_(&row, "agent_id")?).await?;
    Ok(agent.active.then_some(Principal {
        account_id,
        agent,
        session_id: Some(i64_(&row, "id")?),
        csrf_token: Some(text(&row, "csrf_token")?),
    }))
}

pub async fn delete_session(conn: &mut Conn, session_id: i64) -> Result<(), StorageError> {
    sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(session_id)
        .execute(conn)
        .await?;
    Ok(())
}
