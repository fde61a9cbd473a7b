//! Contacts, their identities, and the audited merge and split of two
//! contacts.

use balie_domain::{Contact, ContactMerge, Identity, IdentityKind};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

const COLUMNS: &str = "id, account_id, name, attributes, merged_into_id, created_at, updated_at";

fn identity(row: &AnyRow) -> Result<Identity, StorageError> {
    Ok(Identity {
        id: i64_(row, "id")?,
        contact_id: i64_(row, "contact_id")?,
        kind: parsed(row, "kind")?,
        value: text(row, "value")?,
        created_at: ts(row, "created_at")?,
    })
}

async fn with_identities(conn: &mut Conn, row: &AnyRow) -> Result<Contact, StorageError> {
    let id = i64_(row, "id")?;
    let identities = sqlx::query(
        "SELECT id, contact_id, kind, value, created_at FROM contact_identities WHERE contact_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(conn)
    .await?
    .iter()
    .map(identity)
    .collect::<Result<Vec<_>, _>>()?;
    Ok(Contact {
        id,
        account_id: i64_(row, "account_id")?,
        name: opt_text(row, "name")?,
        attributes: json(row, "attributes")?,
        identities,
        merged_into_id: opt_i64(row, "merged_into_id")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

pub async fn create_contact(
    conn: &mut Conn,
    account_id: i64,
    name: Option<&str>,
    attributes: &serde_json::Value,
    now: i64,
) -> Result<i64, StorageError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO contacts (account_id, name, attributes, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(account_id)
    .bind(name)
    .bind(attributes.to_string())
    .bind(now)
    .fetch_one(conn)
    .await?)
}

pub async fn get_contact(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<Contact, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM contacts WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    with_identities(conn, &row).await
}

/// What to look for when listing contacts.
#[derive(Debug, Default, Clone)]
pub struct ContactSearch {
    /// Identity values that must match exactly (already normalised).
    pub exact_identities: Vec<String>,
    /// A lower-case substring of a name or identity value.
    pub substring: Option<String>,
}

/// Contacts of an account, newest first, merged ones left out.
pub async fn list_contacts(
    conn: &mut Conn,
    account_id: i64,
    search: &ContactSearch,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Contact>, StorageError> {
    let mut q = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM contacts c WHERE "));
    q.push(
        "account_id = ? AND merged_into_id IS NULL AND id < ?",
        [
            Arg::Int(account_id),
            Arg::Int(before_id.unwrap_or(i64::MAX)),
        ],
    );
    let mut alternatives: Vec<(String, Vec<Arg>)> = Vec::new();
    for value in &search.exact_identities {
        alternatives.push((
            "id IN (SELECT contact_id FROM contact_identities WHERE account_id = ? AND value = ?)"
                .into(),
            vec![Arg::Int(account_id), Arg::Text(value.clone())],
        ));
    }
    if let Some(sub) = &search.substring {
        let pattern = format!("%{}%", sub.replace(['%', '_'], ""));
        alternatives.push((
            "LOWER(COALESCE(name, '')) LIKE ?".into(),
            vec![Arg::Text(pattern.clone())],
        ));
        alternatives.push((
            "id IN (SELECT contact_id FROM contact_identities WHERE account_id = ? AND LOWER(value) LIKE ?)".into(),
            vec![Arg::Int(account_id), Arg::Text(pattern)],
        ));
    }
    if !alternatives.is_empty() {
        q.push(" AND (", []);
        for (i, (sql, args)) in alternatives.into_iter().enumerate() {
            if i > 0 {
                q.push(" OR ", []);
            }
            q.push(&sql, args);
        }
        q.push(")", []);
    }
    q.push(" ORDER BY id DESC LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(&mut *conn).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        out.push(with_identities(conn, row).await?);
    }
    Ok(out)
}

pub async fn update_contact(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    name: Option<Option<&str>>,
    attributes: Option<&serde_json::Value>,
    now: i64,
) -> Result<Contact, StorageError> {
    let mut q = SqlBuilder::new("UPDATE contacts SET ");
    q.push("updated_at = ?", [Arg::Int(now)]);
    match name {
        Some(Some(name)) => {
            q.push(", name = ?", [Arg::Text(name.into())]);
        }
        Some(None) => {
            q.push(", name = NULL", []);
        }
        None => {}
    }
    if let Some(attributes) = attributes {
        q.push(", attributes = ?", [Arg::Text(attributes.to_string())]);
    }
    q.push(
        " WHERE account_id = ? AND id = ?",
        [Arg::Int(account_id), Arg::Int(id)],
    );
    if q.query().execute(&mut *conn).await?.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_contact(conn, account_id, id).await
}

/// The contact that owns an identity, if any.
pub async fn find_by_identity(
    conn: &mut Conn,
    account_id: i64,
    kind: IdentityKind,
    value: &str,
) -> Result<Option<i64>, StorageError> {
    Ok(sqlx::query_scalar(
        "SELECT contact_id FROM contact_identities WHERE account_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(value)
    .fetch_optional(conn)
    .await?)
}

/// Attaches an identity; `Conflict` if another contact already has it.
pub async fn add_identity(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
    kind: IdentityKind,
    value: &str,
    now: i64,
) -> Result<Identity, StorageError> {
    if let Some(owner) = find_by_identity(conn, account_id, kind, value).await? {
        if owner == contact_id {
            return get_identity_by_value(conn, account_id, kind, value).await;
        }
        return Err(StorageError::Conflict(format!(
            "{} {value} belongs to contact {owner}",
            kind.as_str()
        )));
    }
    let row = sqlx::query(
        "INSERT INTO contact_identities (account_id, contact_id, kind, value, created_at)
         VALUES ($1, $2, $3, $4, $5) RETURNING id, contact_id, kind, value, created_at",
    )
    .bind(account_id)
    .bind(contact_id)
    .bind(kind.as_str())
    .bind(value)
    .bind(now)
    .fetch_one(conn)
    .await?;
    identity(&row)
}

async fn get_identity_by_value(
    conn: &mut Conn,
    account_id: i64,
    kind: IdentityKind,
    value: &str,
) -> Result<Identity, StorageError> {
    let row = sqlx::query(
        "SELECT id, contact_id, kind, value, created_at FROM contact_identities WHERE account_id = $1 AND kind = $2 AND value = $3",
    )
    .bind(account_id)
    .bind(kind.as_str())
    .bind(value)
    .fetch_one(conn)
    .await?;
    identity(&row)
}

pub async fn remove_identity(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
    identity_id: i64,
) -> Result<Identity, StorageError> {
    let row = sqlx::query(
        "DELETE FROM contact_identities WHERE account_id = $1 AND contact_id = $2 AND id = $3
         RETURNING id, contact_id, kind, value, created_at",
    )
    .bind(account_id)
    .bind(contact_id)
    .bind(identity_id)
    .fetch_one(conn)
    .await?;
    identity(&row)
}

fn merge(row: &AnyRow) -> Result<ContactMerge, StorageError> {
    Ok(ContactMerge {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        target_contact_id: i64_(row, "target_contact_id")?,
        source_contact_id: i64_(row, "source_contact_id")?,
        moved_identity_ids: id_list(row, "moved_identity_ids")?,
        moved_conversation_ids: id_list(row, "moved_conversation_ids")?,
        merged_by: opt_i64(row, "merged_by")?,
        created_at: ts(row, "created_at")?,
        split_at: opt_ts(row, "split_at")?,
    })
}

const MERGE_COLUMNS: &str = "id, account_id, target_contact_id, source_contact_id, moved_identity_ids, moved_conversation_ids, merged_by, created_at, split_at";

/// Moves every identity and conversation of `source` to `target` and marks
/// `source` as merged; returns the audit record that a split undoes.
pub async fn merge_contacts(
    conn: &mut Conn,
    account_id: i64,
    target_id: i64,
    source_id: i64,
    merged_by: Option<i64>,
    now: i64,
) -> Result<ContactMerge, StorageError> {
    if target_id == source_id {
        return Err(StorageError::Conflict(
            "a contact cannot be merged into itself".into(),
        ));
    }
    let target = get_contact(conn, account_id, target_id).await?;
    let source = get_contact(conn, account_id, source_id).await?;
    if target.merged_into_id.is_some() || source.merged_into_id.is_some() {
        return Err(StorageError::Conflict(
            "one of the contacts was already merged".into(),
        ));
    }
    let identity_ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE contact_identities SET contact_id = $1 WHERE account_id = $2 AND contact_id = $3 RETURNING id",
    )
    .bind(target_id)
    .bind(account_id)
    .bind(source_id)
    .fetch_all(&mut *conn)
    .await?;
    let conversation_ids: Vec<i64> = sqlx::query_scalar(
        "UPDATE conversations SET contact_id = $1 WHERE account_id = $2 AND contact_id = $3 RETURNING id",
    )
    .bind(target_id)
    .bind(account_id)
    .bind(source_id)
    .fetch_all(&mut *conn)
    .await?;
    sqlx::query("UPDATE contacts SET merged_into_id = $1, updated_at = $2 WHERE id = $3")
        .bind(target_id)
        .bind(now)
        .bind(source_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE contacts SET updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(target_id)
        .execute(&mut *conn)
        .await?;
    let sorted = |mut v: Vec<i64>| {
        v.sort_unstable();
        serde_json::to_string(&v).unwrap_or_else(|_| "[]".into())
    };
    let row = sqlx::query(&format!(
        "INSERT INTO contact_merges (account_id, target_contact_id, source_contact_id, moved_identity_ids, moved_conversation_ids, merged_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {MERGE_COLUMNS}"
    ))
    .bind(account_id)
    .bind(target_id)
    .bind(source_id)
    .bind(sorted(identity_ids))
    .bind(sorted(conversation_ids))
    .bind(merged_by)
    .bind(now)
    .fetch_one(conn)
    .await?;
    merge(&row)
}

pub async fn get_merge(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
) -> Result<ContactMerge, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {MERGE_COLUMNS} FROM contact_merges WHERE account_id = $1 AND id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    merge(&row)
}

/// Merges in which a contact took part, newest first.
pub async fn merges_of_contact(
    conn: &mut Conn,
    account_id: i64,
    contact_id: i64,
) -> Result<Vec<ContactMerge>, StorageError> {
    let rows = sqlx::query(&format!(
        "SELECT {MERGE_COLUMNS} FROM contact_merges WHERE account_id = $1 AND (target_contact_id = $2 OR source_contact_id = $2) ORDER BY id DESC"
    ))
    .bind(account_id)
    .bind(contact_id)
    .fetch_all(conn)
    .await?;
    rows.iter().map(merge).collect()
}

/// Undoes a merge: the identities and conversations it moved go back to the
/// source contact, which becomes a contact of its own again.
pub async fn split_merge(
    conn: &mut Conn,
    account_id: i64,
    merge_id: i64,
    now: i64,
) -> Result<ContactMerge, StorageError> {
    let m = get_merge(conn, account_id, merge_id).await?;
    if m.split_at.is_some() {
        return Err(StorageError::Conflict(
            "this merge was already split".into(),
        ));
    }
    let target = get_contact(conn, account_id, m.target_contact_id).await?;
    if target.merged_into_id.is_some() {
        return Err(StorageError::Conflict(
            "the contact was merged again since; split that later merge first".into(),
        ));
    }
    for id in &m.moved_identity_ids {
        sqlx::query("UPDATE contact_identities SET contact_id = $1 WHERE account_id = $2 AND id = $3 AND contact_id = $4")
            .bind(m.source_contact_id)
            .bind(account_id)
            .bind(*id)
            .bind(m.target_contact_id)
            .execute(&mut *conn)
            .await?;
    }
    for id in &m.moved_conversation_ids {
        sqlx::query("UPDATE conversations SET contact_id = $1 WHERE account_id = $2 AND id = $3 AND contact_id = $4")
            .bind(m.source_contact_id)
            .bind(account_id)
            .bind(*id)
            .bind(m.target_contact_id)
            .execute(&mut *conn)
            .await?;
    }
    sqlx::query("UPDATE contacts SET merged_into_id = NULL, updated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(m.source_contact_id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("UPDATE contact_merges SET split_at = $1 WHERE id = $2")
        .bind(now)
        .bind(merge_id)
        .execute(&mut *conn)
        .await?;
    get_merge(conn, account_id, merge_id).await
}
