//! Teams of agents, used for routing and assignment.

use balie_domain::Team;

use crate::rows::*;
use crate::{Conn, StorageError};

pub async fn create_team(
    conn: &mut Conn,
    account_id: i64,
    name: &str,
    now: i64,
) -> Result<Team, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO teams (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_team(conn, account_id, id).await
}

pub async fn get_team(conn: &mut Conn, account_id: i64, id: i64) -> Result<Team, StorageError> {
    let row = sqlx::query(
        "SELECT id, account_id, name, created_at FROM teams WHERE account_id = $1 AND id = $2",
    )
    .bind(account_id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let member_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT agent_id FROM team_members WHERE team_id = $1 ORDER BY agent_id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?;
    Ok(Team {
        id: i64_(&row, "id")?,
        account_id: i64_(&row, "account_id")?,
        name: text(&row, "name")?,
        member_ids,
        created_at: ts(&row, "created_at")?,
    })
}

pub async fn list_teams(
    conn: &mut Conn,
    account_id: i64,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Team>, StorageError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT id FROM teams WHERE account_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3",
    )
    .bind(account_id)
    .bind(before_id.unwrap_or(i64::MAX))
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    let mut teams = Vec::with_capacity(ids.len());
    for id in ids {
        teams.push(get_team(conn, account_id, id).await?);
    }
    Ok(teams)
}

pub async fn rename_team(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    name: &str,
) -> Result<Team, StorageError> {
    let done = sqlx::query("UPDATE teams SET name = $1 WHERE account_id = $2 AND id = $3")
        .bind(name)
        .bind(account_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_team(conn, account_id, id).await
}

pub async fn delete_team(conn: &mut Conn, account_id: i64, id: i64) -> Result<(), StorageError> {
    // Both backends would cascade, but SQLite only with foreign keys on; be explicit.
    get_team(conn, account_id, id).await?;
    sqlx::query("DELETE FROM team_members WHERE team_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE conversations SET team_id = NULL WHERE account_id = $1 AND team_id = $2")
        .bind(account_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM teams WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Adds an agent of the same account to a team; adding twice is harmless.
pub async fn add_member(
    conn: &mut Conn,
    account_id: i64,
    team_id: i64,
    agent_id: i64,
) -> Result<Team, StorageError> {
    get_team(conn, account_id, team_id).await?;
    crate::accounts::get_agent(conn, account_id, agent_id).await?;
    sqlx::query(
        "INSERT INTO team_members (team_id, agent_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(team_id)
    .bind(agent_id)
    .execute(&mut *conn)
    .await?;
    get_team(conn, account_id, team_id).await
}

pub async fn remove_member(
    conn: &mut Conn,
    account_id: i64,
    team_id: i64,
    agent_id: i64,
) -> Result<Team, StorageError> {
    get_team(conn, account_id, team_id).await?;
    let done = sqlx::query("DELETE FROM team_members WHERE team_id = $1 AND agent_id = $2")
        .bind(team_id)
        .bind(agent_id)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_team(conn, account_id, team_id).await
}
