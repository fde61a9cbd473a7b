//! Orders of the shop, as the bot and the agent sidebar see them, and the
//! account's connector to the shop's order system.
//!
//! An order's contact is not stored: it is whoever owns the order's shop
//! customer id, email or phone (in that order of preference) when the order
//! is read, so orders link to contacts created later and follow merges.

use balie_domain::{Order, OrderItem, OrderStatus};
use sqlx::any::AnyRow;

use crate::rows::*;
use crate::{Conn, StorageError};

const COLUMNS: &str = "o.id, o.account_id, o.number, o.email, o.phone, o.customer_id, o.status, o.carrier, o.tracking_code, o.tracking_url, o.expected_delivery, o.total, o.currency, o.postcode, o.items, o.source, o.created_at, o.updated_at, \
    (SELECT ci.contact_id FROM contact_identities ci WHERE ci.account_id = o.account_id AND \
        ((ci.kind = 'shop_customer_id' AND ci.value = o.customer_id) OR (ci.kind = 'email' AND ci.value = o.email) OR (ci.kind = 'phone' AND ci.value = o.phone)) \
     ORDER BY CASE ci.kind WHEN 'shop_customer_id' THEN 0 WHEN 'email' THEN 1 ELSE 2 END, ci.id LIMIT 1) AS contact_id";

/// The stored fields of an order, already validated and in normal form.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderFields {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub customer_id: Option<String>,
    pub status: OrderStatus,
    pub carrier: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    pub expected_delivery: Option<String>,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub postcode: Option<String>,
    pub items: Vec<OrderItem>,
    pub source: String,
}

impl OrderFields {
    /// The fields of a stored order.
    pub fn of(order: &Order) -> OrderFields {
        OrderFields {
            email: order.email.clone(),
            phone: order.phone.clone(),
            customer_id: order.customer_id.clone(),
            status: order.status,
            carrier: order.carrier.clone(),
            tracking_code: order.tracking_code.clone(),
            tracking_url: order.tracking_url.clone(),
            expected_delivery: order.expected_delivery.clone(),
            total: order.total.clone(),
            currency: order.currency.clone(),
            postcode: order.postcode.clone(),
            items: order.items.clone(),
            source: order.source.clone(),
        }
    }
}

fn order(row: &AnyRow) -> Result<Order, StorageError> {
    Ok(Order {
        id: i64_(row, "id")?,
        account_id: i64_(row, "account_id")?,
        number: text(row, "number")?,
        contact_id: opt_i64(row, "contact_id")?,
        email: opt_text(row, "email")?,
        phone: opt_text(row, "phone")?,
        customer_id: opt_text(row, "customer_id")?,
        status: text(row, "status")?.parse()?,
        carrier: opt_text(row, "carrier")?,
        tracking_code: opt_text(row, "tracking_code")?,
        tracking_url: opt_text(row, "tracking_url")?,
        expected_delivery: opt_text(row, "expected_delivery")?,
        total: opt_text(row, "total")?,
        currency: opt_text(row, "currency")?,
        postcode: opt_text(row, "postcode")?,
        items: serde_json::from_str(&text(row, "items")?)
            .map_err(|e| StorageError::Corrupt(e.to_string()))?,
        source: text(row, "source")?,
        created_at: ts(row, "created_at")?,
        updated_at: ts(row, "updated_at")?,
    })
}

fn items_json(items: &[OrderItem]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

/// The order with this number, if the account has it.
pub async fn get_by_number(
    conn: &mut Conn,
    account_id: i64,
    number: &str,
) -> Result<Option<Order>, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders o WHERE o.account_id = $1 AND o.number = $2"
    ))
    .bind(account_id)
    .bind(number)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(order).transpose()
}

pub async fn get_order(conn: &mut Conn, account_id: i64, id: i64) -> Result<Order, StorageError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM orders o WHERE o.account_id = $1 AND o.id = $2"
    ))
    .bind(account_id)
    .bind(id)
    .fetch_one(conn)
    .await?;
    order(&row)
}

pub async fn insert_order(
    conn: &mut Conn,
    account_id: i64,
    number: &str,
    f: &OrderFields,
    now: i64,
) -> Result<Order, StorageError> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO orders (account_id, number, email, phone, customer_id, status, carrier, tracking_code, tracking_url,
             expected_delivery, total, currency, postcode, items, source, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
    )
    .bind(account_id)
    .bind(number)
    .bind(f.email.as_deref())
    .bind(f.phone.as_deref())
    .bind(f.customer_id.as_deref())
    .bind(f.status.as_str())
    .bind(f.carrier.as_deref())
    .bind(f.tracking_code.as_deref())
    .bind(f.tracking_url.as_deref())
    .bind(f.expected_delivery.as_deref())
    .bind(f.total.as_deref())
    .bind(f.currency.as_deref())
    .bind(f.postcode.as_deref())
    .bind(items_json(&f.items))
    .bind(f.source.as_str())
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    get_order(conn, account_id, id).await
}

pub async fn update_order(
    conn: &mut Conn,
    account_id: i64,
    id: i64,
    f: &OrderFields,
    now: i64,
) -> Result<Order, StorageError> {
    let done = sqlx::query(
        "UPDATE orders SET email = $1, phone = $2, customer_id = $3, status = $4, carrier = $5, tracking_code = $6,
             tracking_url = $7, expected_delivery = $8, total = $9, currency = $10, postcode = $11, items = $12,
             source = $13, updated_at = $14
         WHERE account_id = $15 AND id = $16",
    )
    .bind(f.email.as_deref())
    .bind(f.phone.as_deref())
    .bind(f.customer_id.as_deref())
    .bind(f.status.as_str())
    .bind(f.carrier.as_deref())
    .bind(f.tracking_code.as_deref())
    .bind(f.tracking_url.as_deref())
    .bind(f.expected_delivery.as_deref())
    .bind(f.total.as_deref())
    .bind(f.currency.as_deref())
    .bind(f.postcode.as_deref())
    .bind(items_json(&f.items))
    .bind(f.source.as_str())
    .bind(now)
    .bind(account_id)
    .bind(id)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StorageError::NotFound);
    }
    get_order(conn, account_id, id).await
}

/// Which orders to list.
#[derive(Debug, Default, Clone)]
pub struct OrderFilter {
    /// Orders carrying any identity this contact owns.
    pub contact_id: Option<i64>,
    /// Orders carrying this email (normal form).
    pub email: Option<String>,
    pub status: Option<OrderStatus>,
}

/// Orders of an account, newest first.
pub async fn list_orders(
    conn: &mut Conn,
    account_id: i64,
    filter: &OrderFilter,
    before_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Order>, StorageError> {
    let mut q = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM orders o WHERE "));
    q.push(
        "o.account_id = ? AND o.id < ?",
        [
            Arg::Int(account_id),
            Arg::Int(before_id.unwrap_or(i64::MAX)),
        ],
    );
    if let Some(c) = filter.contact_id {
        let owned = |kind: &str| {
            format!("SELECT value FROM contact_identities WHERE account_id = ? AND contact_id = ? AND kind = '{kind}'")
        };
        let ids = || [Arg::Int(account_id), Arg::Int(c)];
        q.push(&format!(" AND (o.email IN ({})", owned("email")), ids());
        q.push(&format!(" OR o.phone IN ({})", owned("phone")), ids());
        q.push(
            &format!(" OR o.customer_id IN ({}))", owned("shop_customer_id")),
            ids(),
        );
    }
    if let Some(email) = &filter.email {
        q.push(" AND o.email = ?", [Arg::Text(email.clone())]);
    }
    if let Some(s) = filter.status {
        q.push(" AND o.status = ?", [Arg::Text(s.as_str().into())]);
    }
    q.push(" ORDER BY o.id DESC LIMIT ?", [Arg::Int(limit)]);
    let rows = q.query().fetch_all(conn).await?;
    rows.iter().map(order).collect()
}

/// The account's connector to the shop's order system.
#[derive(Debug, Clone)]
pub struct ConnectorRow {
    pub account_id: i64,
    pub kind: String,
    pub base_url: String,
    /// A JSON object; never shown through the API.
    pub credentials: serde_json::Value,
    pub created_at: i64,
    pub updated_at: i64,
}

fn connector(row: &AnyRow) -> Result<ConnectorRow, StorageError> {
    Ok(ConnectorRow {
        account_id: i64_(row, "account_id")?,
        kind: text(row, "kind")?,
        base_url: text(row, "base_url")?,
        credentials: json(row, "credentials")?,
        created_at: i64_(row, "created_at")?,
        updated_at: i64_(row, "updated_at")?,
    })
}

pub async fn get_connector(
    conn: &mut Conn,
    account_id: i64,
) -> Result<Option<ConnectorRow>, StorageError> {
    let row = sqlx::query(
        "SELECT account_id, kind, base_url, credentials, created_at, updated_at FROM commerce_connectors WHERE account_id = $1",
    )
    .bind(account_id)
    .fetch_optional(conn)
    .await?;
    row.as_ref().map(connector).transpose()
}

/// Sets (replaces) the account's connector.
pub async fn put_connector(
    conn: &mut Conn,
    account_id: i64,
    kind: &str,
    base_url: &str,
    credentials: &serde_json::Value,
    now: i64,
) -> Result<ConnectorRow, StorageError> {
    let updated = sqlx::query(
        "UPDATE commerce_connectors SET kind = $1, base_url = $2, credentials = $3, updated_at = $4 WHERE account_id = $5",
    )
    .bind(kind)
    .bind(base_url)
    .bind(credentials.to_string())
    .bind(now)
    .bind(account_id)
    .execute(&mut *conn)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query(
            "INSERT INTO commerce_connectors (account_id, kind, base_url, credentials, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $5)",
        )
        .bind(account_id)
        .bind(kind)
        .bind(base_url)
        .bind(credentials.to_string())
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    get_connector(conn, account_id)
        .await?
        .ok_or(StorageError::NotFound)
}

/// Removes the account's connector; false if there was none.
pub async fn delete_connector(conn: &mut Conn, account_id: i64) -> Result<bool, StorageError> {
    Ok(
        sqlx::query("DELETE FROM commerce_connectors WHERE account_id = $1")
            .bind(account_id)
            .execute(conn)
            .await?
            .rows_affected()
            > 0,
    )
}
