//! Connectors to the shop's order system: fetch an order (or a customer's
//! orders) from Shopify's Admin REST API or WooCommerce's REST API v3 and
//! map it onto Balie's order. One connector per account, set by an admin;
//! its credentials are stored but never shown again.

use std::future::Future;
use std::time::Duration;

use balie_domain::{normalise_order_number, EmailAddress, OrderStatus, PhoneE164};
use balie_storage::orders as store;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{OrderInput, OrderItemInput, Upserted};
use crate::{Actor, Result, ServiceError, Services};

/// The Shopify Admin API version the connector speaks.
pub const SHOPIFY_API_VERSION: &str = "2024-10";

/// Why talking to the shop failed.
#[derive(Debug, thiserror::Error)]
pub enum CommerceError {
    /// The account has no connector.
    #[error("no commerce connector is configured for this account")]
    NotConfigured,
    /// The shop's API failed or answered something unusable.
    #[error("the shop's API failed: {0}")]
    Upstream(String),
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<balie_storage::StorageError> for CommerceError {
    fn from(e: balie_storage::StorageError) -> Self {
        CommerceError::Service(e.into())
    }
}

/// Fetches orders from the shop's own system.
pub trait CommerceConnector {
    /// The order with this number, `None` if the shop does not know it.
    fn fetch_order(
        &self,
        number: &str,
    ) -> impl Future<Output = std::result::Result<Option<OrderInput>, CommerceError>> + Send;

    /// The orders placed with this email address, newest first (one page).
    fn orders_for_email(
        &self,
        email: &str,
    ) -> impl Future<Output = std::result::Result<Vec<OrderInput>, CommerceError>> + Send;
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .user_agent("Balie commerce connector")
        .build()
        .unwrap_or_default()
}

async fn get_json(
    req: reqwest::RequestBuilder,
) -> std::result::Result<Option<Value>, CommerceError> {
    let res = req
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .map_err(|e| CommerceError::Upstream(e.without_url().to_string()))?;
    let status = res.status();
    if status == reqwest::StatusCode::NOT_FOUND {
        return Ok(None);
    }
    if !status.is_success() {
        return Err(CommerceError::Upstream(format!("HTTP {}", status.as_u16())));
    }
    let value = res
        .json::<Value>()
        .await
        .map_err(|e| CommerceError::Upstream(format!("not JSON: {}", e.without_url())))?;
    Ok(Some(value))
}

fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// A JSON string or number as text (ids and prices come as either).
fn text_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// A price as the API shows it, with two decimals (WooCommerce gives a
/// float).
fn price_of(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::Number(n) => n.as_f64().map(|f| format!("{f:.2}")),
        other => text_of(Some(other)),
    }
}

/// Keeps only what is a valid email or phone: shops hold typos, and one
/// bad phone number must not stop the order from syncing.
fn valid_email(v: Option<&str>) -> Option<String> {
    v.and_then(|e| EmailAddress::parse(e).ok())
        .map(EmailAddress::into_string)
}

fn valid_phone(v: Option<&str>) -> Option<String> {
    v.and_then(|p| PhoneE164::parse(p).ok())
        .map(PhoneE164::into_string)
}

fn items_of(list: Option<&Value>, price_key: &str) -> Option<Vec<OrderItemInput>> {
    let list = list?.as_array()?;
    Some(
        list.iter()
            .filter_map(|item| {
                let name = str_at(item, &["name"]).or_else(|| str_at(item, &["title"]))?;
                Some(OrderItemInput {
                    name: name.to_string(),
                    quantity: item.get("quantity")?.as_i64().filter(|q| *q >= 1)?,
                    price: price_of(item.get(price_key)),
                })
            })
            .collect(),
    )
}

/// Maps one order of Shopify's Admin REST API (`orders.json`, or an
/// `orders/create` / `orders/updated` webhook body) onto Balie's order.
pub fn shopify_order(o: &Value) -> Option<OrderInput> {
    let number = str_at(o, &["name"])
        .map(str::to_string)
        .or_else(|| text_of(o.get("order_number")))?;
    let fulfillments: Vec<&Value> = o
        .get("fulfillments")
        .and_then(Value::as_array)
        .map(|f| {
            f.iter()
                .filter(|f| str_at(f, &["status"]) != Some("cancelled"))
                .collect()
        })
        .unwrap_or_default();
    // The latest shipment with a tracking number tells where the parcel is.
    let tracked = fulfillments
        .iter()
        .rev()
        .find(|f| str_at(f, &["tracking_number"]).is_some())
        .or(fulfillments.last());
    let financial = str_at(o, &["financial_status"]).unwrap_or("");
    let fulfillment = str_at(o, &["fulfillment_status"]).unwrap_or("");
    let shipment = tracked.and_then(|f| str_at(f, &["shipment_status"]));
    let status = if o.get("cancelled_at").is_some_and(|c| !c.is_null()) {
        if financial == "refunded" {
            OrderStatus::Refunded
        } else {
            OrderStatus::Cancelled
        }
    } else if financial == "refunded" {
        OrderStatus::Refunded
    } else if financial == "voided" {
        OrderStatus::Cancelled
    } else if shipment == Some("delivered") {
        OrderStatus::Delivered
    } else if fulfillment == "fulfilled" || fulfillment == "partial" || tracked.is_some() {
        OrderStatus::Shipped
    } else if matches!(financial, "paid" | "partially_refunded") {
        OrderStatus::Processing
    } else if financial == "partially_paid" {
        OrderStatus::Paid
    } else {
        OrderStatus::Pending
    };
    let customer = o.get("customer");
    let email = valid_email(str_at(o, &["email"]).or_else(|| str_at(o, &["contact_email"])))
        .or_else(|| valid_email(customer.and_then(|c| str_at(c, &["email"]))));
    let phone = valid_phone(str_at(o, &["phone"]))
        .or_else(|| valid_phone(customer.and_then(|c| str_at(c, &["phone"]))))
        .or_else(|| valid_phone(str_at(o, &["shipping_address", "phone"])));
    Some(OrderInput {
        number,
        email,
        phone,
        customer_id: customer.and_then(|c| text_of(c.get("id"))),
        status: Some(status),
        carrier: tracked.and_then(|f| str_at(f, &["tracking_company"]).map(String::from)),
        tracking_code: tracked.and_then(|f| str_at(f, &["tracking_number"]).map(String::from)),
        tracking_url: tracked.and_then(|f| str_at(f, &["tracking_url"]).map(String::from)),
        expected_delivery: tracked
            .and_then(|f| str_at(f, &["estimated_delivery_at"]))
            .map(String::from),
        total: text_of(o.get("total_price")),
        currency: str_at(o, &["currency"]).map(String::from),
        postcode: str_at(o, &["shipping_address", "zip"])
            .or_else(|| str_at(o, &["billing_address", "zip"]))
            .map(String::from),
        items: items_of(o.get("line_items"), "price"),
    })
}

/// Maps one order of WooCommerce's REST API v3 (or a webhook body) onto
/// Balie's order. Tracking comes from the Shipment Tracking extension's
/// `_wc_shipment_tracking_items` meta data when present.
pub fn woocommerce_order(o: &Value) -> Option<OrderInput> {
    let number = text_of(o.get("number")).or_else(|| text_of(o.get("id")))?;
    let tracking = o
        .get("meta_data")
        .and_then(Value::as_array)
        .and_then(|meta| {
            meta.iter()
                .find(|m| str_at(m, &["key"]) == Some("_wc_shipment_tracking_items"))
        })
        .and_then(|m| m.get("value"))
        .and_then(Value::as_array)
        .and_then(|items| items.last())
        .cloned();
    let wc_status = str_at(o, &["status"]).unwrap_or("pending");
    let status = match wc_status {
        "pending" | "on-hold" | "checkout-draft" => OrderStatus::Pending,
        "processing" if tracking.is_some() => OrderStatus::Shipped,
        "processing" => OrderStatus::Processing,
        "completed" => OrderStatus::Shipped,
        "cancelled" | "failed" | "trash" => OrderStatus::Cancelled,
        "refunded" => OrderStatus::Refunded,
        other => other
            .parse::<OrderStatus>()
            .unwrap_or(OrderStatus::Processing),
    };
    let t = |key: &str| {
        tracking
            .as_ref()
            .and_then(|t| str_at(t, &[key]))
            .map(String::from)
    };
    let customer_id = o
        .get("customer_id")
        .and_then(Value::as_i64)
        .filter(|id| *id > 0)
        .map(|id| id.to_string());
    Some(OrderInput {
        number,
        email: valid_email(str_at(o, &["billing", "email"])),
        phone: valid_phone(str_at(o, &["billing", "phone"]))
            .or_else(|| valid_phone(str_at(o, &["shipping", "phone"]))),
        customer_id,
        status: Some(status),
        carrier: t("custom_tracking_provider").or_else(|| t("tracking_provider")),
        tracking_code: t("tracking_number"),
        tracking_url: t("custom_tracking_link"),
        expected_delivery: None,
        total: text_of(o.get("total")),
        currency: str_at(o, &["currency"]).map(String::from),
        postcode: str_at(o, &["shipping", "postcode"])
            .or_else(|| str_at(o, &["billing", "postcode"]))
            .map(String::from),
        items: items_of(o.get("line_items"), "price"),
    })
}

/// Shopify's Admin REST API with an Admin API access token.
#[derive(Debug, Clone)]
pub struct Shopify {
    base_url: String,
    access_token: String,
    client: reqwest::Client,
}

impl Shopify {
    pub fn new(base_url: &str, access_token: &str) -> Shopify {
        Shopify {
            base_url: base_url.trim_end_matches('/').to_string(),
            access_token: access_token.to_string(),
            client: client(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!(
                "{}/admin/api/{SHOPIFY_API_VERSION}/{path}",
                self.base_url
            ))
            .header("X-Shopify-Access-Token", &self.access_token)
    }

    async fn orders(
        &self,
        req: reqwest::RequestBuilder,
    ) -> std::result::Result<Vec<OrderInput>, CommerceError> {
        let body = get_json(req).await?.unwrap_or(Value::Null);
        Ok(body
            .get("orders")
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(shopify_order).collect())
            .unwrap_or_default())
    }
}

impl CommerceConnector for Shopify {
    async fn fetch_order(
        &self,
        number: &str,
    ) -> std::result::Result<Option<OrderInput>, CommerceError> {
        let req = self
            .get("orders.json")
            .query(&[("name", format!("#{number}").as_str()), ("status", "any")]);
        Ok(self
            .orders(req)
            .await?
            .into_iter()
            .find(|o| normalise_order_number(&o.number).is_ok_and(|n| n == number)))
    }

    async fn orders_for_email(
        &self,
        email: &str,
    ) -> std::result::Result<Vec<OrderInput>, CommerceError> {
        let req = self
            .get("customers/search.json")
            .query(&[("query", format!("email:{email}").as_str())]);
        let body = get_json(req).await?.unwrap_or(Value::Null);
        let ids: Vec<String> = body
            .get("customers")
            .and_then(Value::as_array)
            .map(|c| {
                c.iter()
                    .filter_map(|c| text_of(c.get("id")))
                    .take(5)
                    .collect()
            })
            .unwrap_or_default();
        let mut out = Vec::new();
        for id in ids {
            let req = self
                .get(&format!("customers/{id}/orders.json"))
                .query(&[("status", "any")]);
            out.extend(self.orders(req).await?);
        }
        Ok(out)
    }
}

/// WooCommerce's REST API v3 with a consumer key and secret (HTTP basic
/// authentication, which WooCommerce accepts over HTTPS).
#[derive(Debug, Clone)]
pub struct WooCommerce {
    base_url: String,
    consumer_key: String,
    consumer_secret: String,
    client: reqwest::Client,
}

impl WooCommerce {
    pub fn new(base_url: &str, consumer_key: &str, consumer_secret: &str) -> WooCommerce {
        WooCommerce {
            base_url: base_url.trim_end_matches('/').to_string(),
            consumer_key: consumer_key.to_string(),
            consumer_secret: consumer_secret.to_string(),
            client: client(),
        }
    }

    fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client
            .get(format!("{}/wp-json/wc/v3/{path}", self.base_url))
            .basic_auth(&self.consumer_key, Some(&self.consumer_secret))
    }

    async fn search(&self, term: &str) -> std::result::Result<Vec<Value>, CommerceError> {
        let req = self
            .get("orders")
            .query(&[("search", term), ("per_page", "20")]);
        Ok(get_json(req)
            .await?
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default())
    }
}

impl CommerceConnector for WooCommerce {
    async fn fetch_order(
        &self,
        number: &str,
    ) -> std::result::Result<Option<OrderInput>, CommerceError> {
        let wanted = |o: &OrderInput| normalise_order_number(&o.number).is_ok_and(|n| n == number);
        // Without a sequential-numbers plugin the order number is the id.
        if number.chars().all(|c| c.is_ascii_digit()) {
            if let Some(found) = get_json(self.get(&format!("orders/{number}")))
                .await?
                .as_ref()
                .and_then(woocommerce_order)
                .filter(wanted)
            {
                return Ok(Some(found));
            }
        }
        Ok(self
            .search(number)
            .await?
            .iter()
            .filter_map(woocommerce_order)
            .find(wanted))
    }

    async fn orders_for_email(
        &self,
        email: &str,
    ) -> std::result::Result<Vec<OrderInput>, CommerceError> {
        Ok(self
            .search(email)
            .await?
            .iter()
            .filter_map(woocommerce_order)
            .filter(|o| o.email.as_deref() == Some(email))
            .collect())
    }
}

/// The configured connector of an account.
#[derive(Debug, Clone)]
pub enum Connector {
    Shopify(Shopify),
    WooCommerce(WooCommerce),
}

impl CommerceConnector for Connector {
    async fn fetch_order(
        &self,
        number: &str,
    ) -> std::result::Result<Option<OrderInput>, CommerceError> {
        match self {
            Connector::Shopify(c) => c.fetch_order(number).await,
            Connector::WooCommerce(c) => c.fetch_order(number).await,
        }
    }

    async fn orders_for_email(
        &self,
        email: &str,
    ) -> std::result::Result<Vec<OrderInput>, CommerceError> {
        match self {
            Connector::Shopify(c) => c.orders_for_email(email).await,
            Connector::WooCommerce(c) => c.orders_for_email(email).await,
        }
    }
}

/// A connector as an admin sets it.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectorInput {
    /// `shopify` or `woocommerce`.
    pub kind: String,
    /// The shop's address, e.g. `https://mijnshop.myshopify.com`.
    pub base_url: String,
    /// Shopify: an Admin API access token (`shpat_...`).
    pub access_token: Option<String>,
    /// WooCommerce: a REST API consumer key (`ck_...`) and secret (`cs_...`).
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
}

/// A connector as the API shows it: never its credentials.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ConnectorInfo {
    pub kind: String,
    pub base_url: String,
    pub created_at: balie_domain::Timestamp,
    pub updated_at: balie_domain::Timestamp,
}

fn info(row: &store::ConnectorRow) -> ConnectorInfo {
    ConnectorInfo {
        kind: row.kind.clone(),
        base_url: row.base_url.clone(),
        created_at: balie_domain::Timestamp(row.created_at),
        updated_at: balie_domain::Timestamp(row.updated_at),
    }
}

fn secret(field: &str, value: &Option<String>) -> Result<String> {
    let v = value.as_deref().map(str::trim).unwrap_or("");
    if v.is_empty() || v.len() > 500 || v.chars().any(|c| c.is_control() || c == ' ') {
        return Err(ServiceError::invalid(field, "required, without spaces"));
    }
    Ok(v.to_string())
}

fn connector_of(row: &store::ConnectorRow) -> std::result::Result<Connector, CommerceError> {
    let cred = |k: &str| row.credentials.get(k).and_then(Value::as_str).unwrap_or("");
    match row.kind.as_str() {
        "shopify" => Ok(Connector::Shopify(Shopify::new(
            &row.base_url,
            cred("access_token"),
        ))),
        "woocommerce" => Ok(Connector::WooCommerce(WooCommerce::new(
            &row.base_url,
            cred("consumer_key"),
            cred("consumer_secret"),
        ))),
        other => Err(CommerceError::Upstream(format!(
            "unknown connector kind {other:?}"
        ))),
    }
}

impl Services {
    /// Sets the account's connector (admin only); replaces any earlier one.
    pub async fn set_commerce_connector(
        &self,
        actor: &Actor,
        input: &ConnectorInput,
    ) -> Result<ConnectorInfo> {
        actor.require_admin()?;
        let base_url = input.base_url.trim().trim_end_matches('/').to_string();
        if !(base_url.starts_with("https://") || base_url.starts_with("http://"))
            || base_url.len() > 500
            || base_url
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
            || base_url.contains('?')
            || base_url.contains('#')
        {
            return Err(ServiceError::invalid(
                "base_url",
                "must be the shop's http(s) address, like https://mijnshop.nl",
            ));
        }
        let credentials = match input.kind.as_str() {
            "shopify" => json!({ "access_token": secret("access_token", &input.access_token)? }),
            "woocommerce" => json!({
                "consumer_key": secret("consumer_key", &input.consumer_key)?,
                "consumer_secret": secret("consumer_secret", &input.consumer_secret)?,
            }),
            _ => {
                return Err(ServiceError::invalid(
                    "kind",
                    "must be shopify or woocommerce",
                ))
            }
        };
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let row = store::put_connector(
            tx.conn(),
            actor.account_id,
            &input.kind,
            &base_url,
            &credentials,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(info(&row))
    }

    /// The account's connector without its credentials.
    pub async fn commerce_connector_info(&self, actor: &Actor) -> Result<ConnectorInfo> {
        let mut conn = self.store.read().await?;
        store::get_connector(&mut conn, actor.account_id)
            .await?
            .as_ref()
            .map(info)
            .ok_or(ServiceError::NotFound)
    }

    /// Removes the account's connector (admin only).
    pub async fn delete_commerce_connector(&self, actor: &Actor) -> Result<()> {
        actor.require_admin()?;
        let mut tx = self.store.begin().await?;
        if !store::delete_connector(tx.conn(), actor.account_id).await? {
            return Err(ServiceError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    /// The account's connector, ready to call.
    pub async fn commerce_connector(
        &self,
        account_id: i64,
    ) -> std::result::Result<Connector, CommerceError> {
        let row = {
            let mut conn = self.store.read().await?;
            store::get_connector(&mut conn, account_id).await?
        };
        connector_of(&row.ok_or(CommerceError::NotConfigured)?)
    }

    /// Fetches one order from the shop and stores it; `NotFound` if the
    /// shop does not know it.
    pub async fn sync_order(
        &self,
        actor: &Actor,
        number: &str,
    ) -> std::result::Result<Upserted, CommerceError> {
        let number = normalise_order_number(number).map_err(ServiceError::from)?;
        let connector = self.commerce_connector(actor.account_id).await?;
        let source = match connector {
            Connector::Shopify(_) => "shopify",
            Connector::WooCommerce(_) => "woocommerce",
        };
        let mut input = connector
            .fetch_order(&number)
            .await?
            .ok_or(ServiceError::NotFound)?;
        input.number = number;
        Ok(self.upsert_fetched(actor, &input, source).await?)
    }

    /// Fetches the orders placed with an email address and stores them.
    pub async fn sync_orders_for_email(
        &self,
        actor: &Actor,
        email: &str,
    ) -> std::result::Result<Vec<Upserted>, CommerceError> {
        let email = EmailAddress::parse(email)
            .map_err(ServiceError::from)?
            .into_string();
        let connector = self.commerce_connector(actor.account_id).await?;
        let source = match connector {
            Connector::Shopify(_) => "shopify",
            Connector::WooCommerce(_) => "woocommerce",
        };
        let mut out = Vec::new();
        for input in connector.orders_for_email(&email).await? {
            out.push(self.upsert_fetched(actor, &input, source).await?);
        }
        Ok(out)
    }

    /// Stores an order the shop's system sent in its own format; a value
    /// Balie cannot take (an odd currency, a malformed date) is dropped
    /// rather than losing the whole order.
    pub async fn upsert_fetched(
        &self,
        actor: &Actor,
        input: &OrderInput,
        source: &str,
    ) -> Result<Upserted> {
        let mut input = input.clone();
        if input.validate().is_err() {
            let fields: [fn(&mut OrderInput); 8] = [
                |i| i.tracking_url = None,
                |i| i.expected_delivery = None,
                |i| i.currency = None,
                |i| i.total = None,
                |i| i.postcode = None,
                |i| i.items = None,
                |i| i.carrier = None,
                |i| i.tracking_code = None,
            ];
            for clear in fields {
                let mut trial = input.clone();
                clear(&mut trial);
                if input.validate().is_ok() {
                    break;
                }
                if trial.validate().is_ok() || single_field_bad(&input, &trial) {
                    input = trial;
                }
            }
        }
        self.upsert_order(actor.into(), &input, source).await
    }
}

/// True when clearing a field removed one of the validation errors (the
/// message changed), so that field was bad.
fn single_field_bad(before: &OrderInput, after: &OrderInput) -> bool {
    let msg = |i: &OrderInput| i.validate().err().map(|e| e.to_string());
    msg(before) != msg(after)
}
