//! Knowledge-base articles: an account's help texts in Dutch and English.

use balie_domain::Timestamp;
use serde::Serialize;
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

/// One article as stored. A language is present when its title and body
/// both are; the services make sure at least one is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KnowledgeArticle {
    pub id: i64,
    pub account_id: i64,
    pub title_nl: Option<String>,
    pub body_nl: Option<String>,
    pub title_en: Option<String>,
    pub body_en: Option<String>,
    pub keywords: Option<String>,
    pub published: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// The fields of an article, already validated.
#[derive(Debug, Clone, Copy)]
pub struct KnowledgeFields<'a> {
    pub title_nl: Option<&'a str>,
    pub body_nl: Option<&'a str>,
    pub title_en: Option<&'a str>,
    pub body_en: Option<&'a str>,
    pub keywords: Option<&'a str>,
    pub published: bool,
}

/// What changes when an account's articles change: their number, the
/// highest id (a new article) and the sum of `updated_at` (which every
/// update moves forward by at least 1 ms). Equal stamps mean equal
/// articles, on every node, so a cache can be checked with one cheap query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KnowledgeStamp {
    pub count: i64,
    pub max_id: i64,
    pub updated_sum: i64,
}

const COLUMNS: &str =
    "id, account_id, title_nl, body_nl, title_en, body_en, keywords, published, created_at, updated_at";

fn decode(row: &AnyRow) -> Result<KnowledgeArticle, StorageError> {
    Ok(KnowledgeArticle {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        title_nl: opt_text(row, "title_nl")?,
        body_nl: opt_text(row, "body_nl")?,
        title_en: opt_text(row, "title_en")?,
        body_en: opt_text(row, "body_en")?,
        keywords: opt_text(row, "keywords")?,
        published: flag(row, "published")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub async fn create_article(
    conn: &mut Conn,
    account_id: i64,
    fields: &KnowledgeFields<'_>,
    now: i64,
) -> Result<KnowledgeArticle, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO knowledge_articles \
         (account_id, title_nl, body_nl, title_en, body_en, keywords, published, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
    )
    .bind(account_id)
    .bind(fields.title_nl)
    .bind(fields.body_nl)
    .bind(fields.title_en)
    .bind(fields.body_en)
    .bind(fields.keywords)
    .bind(i64::from(fields.published))
    .bind(now)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_article(conn, account_id, id).await
}

pub async fn get_article(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<KnowledgeArticle, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM knowledge_articles WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    decode(&row)
}

/// Articles of an account, newest first, with ids below `before_id`;
/// `published` keeps only published articles (`true`) or drafts (`false`).
pub async fn list_articles(
    conn: &mut Conn,
    account_id: i64,
    published: Option<bool>,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<KnowledgeArticle>, StorageError> {
    let mut q = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM knowledge_articles WHERE "));
    q.push(
        "account_id = ? AND id < ?",
        [
            Arg::Int(account_id),
            Arg::Int(before_id.unwrap_or(i64::MAX)),
        ],
    );
    if let Some(p) = published {
        q.push(" AND published = ?", [Arg::Int(i64::from(p))]);
    }
    q.push(" ORDER BY id DESC LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(decode).collect()
}

pub async fn count_articles(conn: &mut Conn, account_id: i64) -> Result<i64, StorageError> {
    Ok(
        sqlx::query_scalar("SELECT COUNT(*) FROM knowledge_articles WHERE account_id = $1")
            .bind(account_id)
            .fetch_one(conn)
            .await?,
    )
}

/// The account's [`KnowledgeStamp`].
pub async fn knowledge_stamp(
    conn: &mut Conn,
    account_id: i64,
) -> Result<KnowledgeStamp, StorageError> {
    // SUM of a BIGINT is NUMERIC on PostgreSQL; the cast keeps it an integer.
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS max_id, \
         CAST(COALESCE(SUM(updated_at), 0) AS BIGINT) AS updated_sum \
         FROM knowledge_articles WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_one(conn)
    .await?;
    Ok(KnowledgeStamp {
        count: i64_(&row, "n")?,
        max_id: i64_(&row, "max_id")?,
        updated_sum: i64_(&row, "updated_sum")?,
    })
}

/// Replaces every field of an article. `updated_at` moves forward by at
/// least 1 ms even when the clock has not, so the [`KnowledgeStamp`]
/// changes with every update.
pub async fn update_article(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    fields: &KnowledgeFields<'_>,
    now: i64,
) -> Result<KnowledgeArticle, StorageError> {
    let done = sqlx::query(
        "UPDATE knowledge_articles SET title_nl = $1, body_nl = $2, title_en = $3, body_en = $4, \
         keywords = $5, published = $6, \
         updated_at = CASE WHEN $7 > updated_at THEN $7 ELSE updated_at + 1 END \
         WHERE account_id = $8 AND id = $9",
    )
    .bind(fields.title_nl)
    .bind(fields.body_nl)
    .bind(fields.title_en)
    .bind(fields.body_en)
    .bind(fields.keywords)
    .bind(i64::from(fields.published))
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_article(conn, account_id, id).await
}

pub async fn delete_article(conn: &mut Conn, account_id: i64, id: i64) -> Result<(), StorageError> {
    let done = sqlx::query("DELETE FROM knowledge_articles WHERE account_id = $1 AND id = $2")
        .bind(account_id)
        .bind(id)
        .execute(conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    Ok(())
}
