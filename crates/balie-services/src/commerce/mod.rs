//! Knowing the orders: the shop's orders in Balie's own store, filled by
//! the shop's pushes (API, webhook), a CSV import, or a connector that
//! fetches them from Shopify or WooCommerce. The bot answers "waar is mijn
//! bestelling?" from here, and agents see a contact's orders.
//!
//! An order keeps the customer's identities in normal form; its contact is
//! whoever owns one of them, so the link holds whichever arrives first.

pub mod connector;
pub mod csv;

use balie_domain::{
    normalise_amount, normalise_date, normalise_identity, normalise_order_number,
    normalise_postcode, AuthorType, EmailAddress, EventKind, IdentityKind, Order, OrderItem,
    OrderStatus,
};
use balie_storage::events::NewEvent;
use balie_storage::orders::{self, OrderFields, OrderFilter};
use balie_storage::{contacts, WriteTx};
use serde_json::json;

use crate::directory::required_text;
use crate::{Actor, Page, PageRequest, Pending, Result, ServiceError, Services};

pub use connector::{CommerceConnector, CommerceError, Connector, ConnectorInfo, ConnectorInput};

/// The most items one order may have.
pub const MAX_ITEMS: usize = 200;

/// One line of an order as a client sends it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderItemInput {
    pub name: String,
    pub quantity: i64,
    pub price: Option<String>,
}

/// An order as a client sends it: every field but the number is optional,
/// and a field left out keeps its stored value (a push that only says
/// "shipped" changes only the status).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrderInput {
    pub number: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub customer_id: Option<String>,
    pub status: Option<OrderStatus>,
    pub carrier: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    pub expected_delivery: Option<String>,
    pub total: Option<String>,
    pub currency: Option<String>,
    pub postcode: Option<String>,
    pub items: Option<Vec<OrderItemInput>>,
}

/// An [`OrderInput`] checked and in normal form.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidOrder {
    pub number: String,
    email: Option<String>,
    phone: Option<String>,
    customer_id: Option<String>,
    status: Option<OrderStatus>,
    carrier: Option<String>,
    tracking_code: Option<String>,
    tracking_url: Option<String>,
    expected_delivery: Option<String>,
    total: Option<String>,
    currency: Option<String>,
    postcode: Option<String>,
    items: Option<Vec<OrderItem>>,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpsertOutcome {
    Created,
    Updated,
    /// The order was stored already exactly so; no event was appended.
    Unchanged,
}

#[derive(Debug, Clone)]
pub struct Upserted {
    pub order: Order,
    pub outcome: UpsertOutcome,
}

/// Who changes an order: an agent's token, or Balie itself (a connector).
#[derive(Debug, Clone, Copy)]
pub struct OrderAuthor {
    pub account_id: i64,
    pub actor_type: AuthorType,
    pub actor_id: Option<i64>,
}

impl From<&Actor> for OrderAuthor {
    fn from(a: &Actor) -> Self {
        OrderAuthor {
            account_id: a.account_id,
            actor_type: AuthorType::Agent,
            actor_id: Some(a.agent_id),
        }
    }
}

/// Which orders to list.
#[derive(Debug, Clone, Default)]
pub struct OrderQuery {
    pub contact_id: Option<i64>,
    /// Any notation of an email address.
    pub email: Option<String>,
    pub status: Option<OrderStatus>,
}

fn opt_text(field: &str, value: &Option<String>, max: usize) -> Result<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Ok(Some(required_text(field, v, max)?)),
    }
}

fn opt_with<F>(value: &Option<String>, f: F) -> Result<Option<String>>
where
    F: FnOnce(&str) -> Result<String>,
{
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => Ok(Some(f(v)?)),
    }
}

impl OrderInput {
    /// Checks every given field and brings it into normal form.
    pub fn validate(&self) -> Result<ValidOrder> {
        let number = normalise_order_number(&self.number)?;
        let identity = |kind: IdentityKind| {
            move |v: &str| -> Result<String> { Ok(normalise_identity(kind, v)?) }
        };
        let tracking_url = opt_with(&self.tracking_url, |v| {
            let v = required_text("tracking_url", v, 2000)?;
            if !(v.starts_with("https://") || v.starts_with("http://")) || v.contains(' ') {
                return Err(ServiceError::invalid(
                    "tracking_url",
                    "must be an http(s) URL",
                ));
            }
            Ok(v)
        })?;
        let currency = opt_with(&self.currency, |v| {
            let v = v.to_ascii_uppercase();
            if v.len() != 3 || !v.chars().all(|c| c.is_ascii_uppercase()) {
                return Err(ServiceError::invalid(
                    "currency",
                    "must be an ISO 4217 code like EUR",
                ));
            }
            Ok(v)
        })?;
        let items = match &self.items {
            None => None,
            Some(items) => {
                if items.len() > MAX_ITEMS {
                    return Err(ServiceError::invalid(
                        "items",
                        format!("at most {MAX_ITEMS} items"),
                    ));
                }
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    if !(1..=1_000_000).contains(&item.quantity) {
                        return Err(ServiceError::invalid(
                            "items",
                            "quantity must be between 1 and 1000000",
                        ));
                    }
                    out.push(OrderItem {
                        name: required_text("items", &item.name, 300)?,
                        quantity: item.quantity,
                        price: opt_with(&item.price, |v| Ok(normalise_amount("price", v)?))?,
                    });
                }
                Some(out)
            }
        };
        Ok(ValidOrder {
            number,
            email: opt_with(&self.email, identity(IdentityKind::Email))?,
            phone: opt_with(&self.phone, identity(IdentityKind::Phone))?,
            customer_id: opt_with(&self.customer_id, |v| {
                normalise_identity(IdentityKind::ShopCustomerId, v)
                    .map_err(|e| ServiceError::invalid("customer_id", e.to_string()))
            })?,
            status: self.status,
            carrier: opt_text("carrier", &self.carrier, 100)?,
            tracking_code: opt_text("tracking_code", &self.tracking_code, 200)?,
            tracking_url,
            expected_delivery: opt_with(&self.expected_delivery, |v| {
                Ok(normalise_date("expected_delivery", v)?)
            })?,
            total: opt_with(&self.total, |v| Ok(normalise_amount("total", v)?))?,
            currency,
            postcode: opt_with(&self.postcode, |v| Ok(normalise_postcode(v)?))?,
            items,
        })
    }
}

impl ValidOrder {
    /// The stored fields after applying this input to what was stored.
    fn apply(&self, existing: Option<&OrderFields>, source: &str) -> OrderFields {
        let base = existing.cloned().unwrap_or(OrderFields {
            email: None,
            phone: None,
            customer_id: None,
            status: OrderStatus::Pending,
            carrier: None,
            tracking_code: None,
            tracking_url: None,
            expected_delivery: None,
            total: None,
            currency: None,
            postcode: None,
            items: Vec::new(),
            source: source.to_string(),
        });
        let pick = |new: &Option<String>, old: Option<String>| new.clone().or(old);
        OrderFields {
            email: pick(&self.email, base.email),
            phone: pick(&self.phone, base.phone),
            customer_id: pick(&self.customer_id, base.customer_id),
            status: self.status.unwrap_or(base.status),
            carrier: pick(&self.carrier, base.carrier),
            tracking_code: pick(&self.tracking_code, base.tracking_code),
            tracking_url: pick(&self.tracking_url, base.tracking_url),
            expected_delivery: pick(&self.expected_delivery, base.expected_delivery),
            total: pick(&self.total, base.total),
            currency: pick(&self.currency, base.currency),
            postcode: pick(&self.postcode, base.postcode),
            items: self.items.clone().unwrap_or(base.items),
            source: source.to_string(),
        }
    }
}

fn changed_fields(old: &OrderFields, new: &OrderFields) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("email", old.email == new.email);
    check("phone", old.phone == new.phone);
    check("customer_id", old.customer_id == new.customer_id);
    check("status", old.status == new.status);
    check("carrier", old.carrier == new.carrier);
    check("tracking_code", old.tracking_code == new.tracking_code);
    check("tracking_url", old.tracking_url == new.tracking_url);
    check(
        "expected_delivery",
        old.expected_delivery == new.expected_delivery,
    );
    check("total", old.total == new.total);
    check("currency", old.currency == new.currency);
    check("postcode", old.postcode == new.postcode);
    check("items", old.items == new.items);
    out
}

/// Upserts one valid order inside `tx`, appending its event.
async fn upsert_in(
    tx: &mut WriteTx,
    pending: &mut Pending,
    who: OrderAuthor,
    valid: &ValidOrder,
    source: &str,
    now: i64,
) -> Result<Upserted> {
    let existing = orders::get_by_number(tx.conn(), who.account_id, &valid.number).await?;
    let (order, outcome, payload) = match existing {
        None => {
            let fields = valid.apply(None, source);
            let order =
                orders::insert_order(tx.conn(), who.account_id, &valid.number, &fields, now)
                    .await?;
            let payload = json!({ "order_id": order.id, "number": order.number, "status": order.status, "source": source });
            (order, UpsertOutcome::Created, payload)
        }
        Some(old) => {
            let old_fields = OrderFields::of(&old);
            let fields = valid.apply(Some(&old_fields), source);
            let changed = changed_fields(&old_fields, &fields);
            if changed.is_empty() {
                return Ok(Upserted {
                    order: old,
                    outcome: UpsertOutcome::Unchanged,
                });
            }
            let order =
                orders::update_order(tx.conn(), who.account_id, old.id, &fields, now).await?;
            let payload = json!({
                "order_id": order.id, "number": order.number, "status": order.status,
                "previous_status": old.status, "changed": changed, "source": source,
            });
            (order, UpsertOutcome::Updated, payload)
        }
    };
    let kind = match outcome {
        UpsertOutcome::Created => EventKind::OrderCreated,
        _ => EventKind::OrderUpdated,
    };
    pending
        .append(
            tx,
            NewEvent {
                kind,
                conversation_id: None,
                contact_id: order.contact_id,
                actor_type: who.actor_type,
                actor_id: who.actor_id,
                payload,
            },
            now,
        )
        .await?;
    Ok(Upserted { order, outcome })
}

/// One line the CSV import could not take.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LineError {
    /// The line of the file where the record starts (the header is line 1).
    pub line: usize,
    pub message: String,
}

/// What a CSV import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    /// Records read, the header not counted.
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    /// Why each failed line failed (at most [`MAX_REPORTED_ERRORS`]).
    pub errors: Vec<LineError>,
}

/// The most line errors an import report lists.
pub const MAX_REPORTED_ERRORS: usize = 500;

impl Services {
    /// Creates or updates the order with `input.number`; fields left out
    /// keep their stored value. Appends `order.created` or `order.updated`
    /// (nothing when nothing changed).
    pub async fn upsert_order(
        &self,
        who: OrderAuthor,
        input: &OrderInput,
        source: &str,
    ) -> Result<Upserted> {
        let valid = input.validate()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut pending = Pending::new(who.account_id);
        let done = upsert_in(&mut tx, &mut pending, who, &valid, source, now).await?;
        pending.commit(tx, self).await?;
        Ok(done)
    }

    /// The order with this number (in any notation, `#1001` is `1001`).
    pub async fn get_order(&self, actor: &Actor, number: &str) -> Result<Order> {
        let number = normalise_order_number(number).map_err(|_| ServiceError::NotFound)?;
        let mut conn = self.store.read().await?;
        orders::get_by_number(&mut conn, actor.account_id, &number)
            .await?
            .ok_or(ServiceError::NotFound)
    }

    /// Orders, newest first; by contact (through all its identities), by
    /// email, by status.
    pub async fn list_orders(
        &self,
        actor: &Actor,
        query: &OrderQuery,
        page: PageRequest,
    ) -> Result<Page<Order>> {
        let email = query
            .email
            .as_deref()
            .map(|e| normalise_identity(IdentityKind::Email, e))
            .transpose()?;
        let filter = OrderFilter {
            contact_id: query.contact_id,
            email,
            status: query.status,
        };
        let mut conn = self.store.read().await?;
        let rows = orders::list_orders(
            &mut conn,
            actor.account_id,
            &filter,
            page.cursor,
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |o| o.id))
    }

    /// A contact's orders: those carrying any of its identities. A merged
    /// contact's orders are those of the contact it joined.
    pub async fn contact_orders(
        &self,
        actor: &Actor,
        contact_id: i64,
        page: PageRequest,
    ) -> Result<Page<Order>> {
        let contact = {
            let mut conn = self.store.read().await?;
            contacts::get_contact(&mut conn, actor.account_id, contact_id).await?
        };
        let query = OrderQuery {
            contact_id: Some(contact.merged_into_id.unwrap_or(contact.id)),
            ..Default::default()
        };
        self.list_orders(actor, &query, page).await
    }

    /// The order, if `postcode_or_email` proves the asker placed it: the
    /// delivery postcode in any notation (`1012 ab`) or the order's email.
    /// Anything wrong (unknown number, wrong proof, an order without that
    /// detail) answers `None`, so a guess learns nothing.
    pub async fn find_order_for_verification(
        &self,
        account_id: i64,
        number: &str,
        postcode_or_email: &str,
    ) -> Result<Option<Order>> {
        let Ok(number) = normalise_order_number(number) else {
            return Ok(None);
        };
        let mut conn = self.store.read().await?;
        let Some(order) = orders::get_by_number(&mut conn, account_id, &number).await? else {
            return Ok(None);
        };
        let proof = postcode_or_email.trim();
        let matches = if proof.contains('@') {
            match (EmailAddress::parse(proof), &order.email) {
                (Ok(email), Some(known)) => email.as_str() == known,
                _ => false,
            }
        } else {
            match (normalise_postcode(proof), &order.postcode) {
                (Ok(postcode), Some(known)) => &postcode == known,
                _ => false,
            }
        };
        Ok(matches.then_some(order))
    }

    /// Imports orders from CSV (see [`csv`] for the format): every good
    /// line is upserted in one transaction; bad lines are reported with
    /// their line number. A file whose header is unusable is refused whole.
    pub async fn import_orders_csv(&self, actor: &Actor, text: &str) -> Result<ImportReport> {
        let parsed = csv::parse_orders(text)?;
        let mut report = ImportReport {
            records: parsed.len(),
            ..Default::default()
        };
        let mut good = Vec::new();
        let mut seen = std::collections::HashMap::new();
        for (line, record) in parsed {
            let checked = record.and_then(|input| {
                input.validate().map_err(|e| match e {
                    ServiceError::Invalid { field, message } if message.contains(&field) => message,
                    ServiceError::Invalid { field, message } => format!("{field}: {message}"),
                    other => other.to_string(),
                })
            });
            match checked {
                Ok(valid) => {
                    if let Some(first) = seen.insert(valid.number.clone(), line) {
                        tracing::debug!(first, line, "order repeated in CSV; the later line wins");
                    }
                    good.push(valid);
                }
                Err(message) => {
                    report.failed += 1;
                    if report.errors.len() < MAX_REPORTED_ERRORS {
                        report.errors.push(LineError { line, message });
                    }
                }
            }
        }
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let mut pending = Pending::new(actor.account_id);
        for valid in &good {
            let done = upsert_in(&mut tx, &mut pending, actor.into(), valid, "csv", now).await?;
            match done.outcome {
                UpsertOutcome::Created => report.created += 1,
                UpsertOutcome::Updated => report.updated += 1,
                UpsertOutcome::Unchanged => report.unchanged += 1,
            }
        }
        pending.commit(tx, self).await?;
        Ok(report)
    }
}

/// One demo order: number, identity (kind, value), status, carrier and
/// tracking code, days until delivery, total, postcode, items.
type DemoOrder = (
    &'static str,
    (IdentityKind, &'static str),
    OrderStatus,
    Option<(&'static str, &'static str)>,
    Option<i64>,
    &'static str,
    &'static str,
    &'static [(&'static str, i64, &'static str)],
);

impl Services {
    /// The demo shop's orders, matching what its customers write about.
    pub async fn seed_demo_orders(&self, admin: &Actor) -> Result<usize> {
        use IdentityKind::{Email, Phone, ShopCustomerId};
        use OrderStatus::*;
        let day = 24 * 3600 * 1000;
        let date =
            |days: i64| balie_domain::format_rfc3339(self.now() + days * day)[..10].to_string();
        let orders: [DemoOrder; 7] = [
            (
                "1045873",
                (Email, "emma.dejong@example.nl"),
                Shipped,
                Some(("PostNL", "3SABCD1234567")),
                Some(1),
                "64.90",
                "1012 AB",
                &[
                    ("Regenjas geel, maat M", 1, "59.95"),
                    ("Sokken wol", 2, "2.48"),
                ],
            ),
            (
                "1045901",
                (Email, "lucas.bakker@example.com"),
                Cancelled,
                None,
                None,
                "89.00",
                "3511 AA",
                &[("Wandelschoenen, maat 43", 1, "89.00")],
            ),
            (
                "1045950",
                (Phone, "06 87654321"),
                Returned,
                Some(("PostNL", "3SRET7654321")),
                None,
                "129.00",
                "9711 CD",
                &[("Winterjas, maat S", 1, "129.00")],
            ),
            (
                "1046002",
                (Email, "noah@example.be"),
                Shipped,
                Some(("DHL", "JVGL0624001234")),
                Some(1),
                "45.50",
                "2000",
                &[("Rugzak 20 l", 1, "45.50")],
            ),
            (
                "1045990",
                (Email, "julia.meijer@example.nl"),
                Paid,
                None,
                Some(3),
                "34.95",
                "3011 EA",
                &[("Thermosfles", 1, "24.95"), ("Bidon", 1, "10.00")],
            ),
            (
                "1045777",
                (Email, "fleur@example.nl"),
                Delivered,
                Some(("PostNL", "3SFLR0001777")),
                Some(-5),
                "19.98",
                "5611 AB",
                &[("Mok 'Balie'", 2, "9.99")],
            ),
            (
                "1046010",
                (ShopCustomerId, "C-1017"),
                Processing,
                None,
                Some(2),
                "74.85",
                "6811 KM",
                &[("Trui blauw, maat L", 1, "49.95"), ("Muts", 1, "24.90")],
            ),
        ];
        let mut made = 0;
        for (number, (kind, value), status, tracking, days, total, postcode, items) in orders {
            let mut input = OrderInput {
                number: number.into(),
                status: Some(status),
                carrier: tracking.map(|t| t.0.to_string()),
                tracking_code: tracking.map(|t| t.1.to_string()),
                tracking_url: tracking.filter(|t| t.0 == "PostNL").map(|t| {
                    let pc: String = postcode.chars().filter(|c| !c.is_whitespace()).collect();
                    format!("https://jouw.postnl.nl/track-and-trace/{}-NL-{pc}", t.1)
                }),
                expected_delivery: days.map(date),
                total: Some(total.into()),
                currency: Some("EUR".into()),
                postcode: Some(postcode.into()),
                items: Some(
                    items
                        .iter()
                        .map(|(name, quantity, price)| OrderItemInput {
                            name: (*name).into(),
                            quantity: *quantity,
                            price: Some((*price).into()),
                        })
                        .collect(),
                ),
                ..Default::default()
            };
            match kind {
                Email => input.email = Some(value.into()),
                Phone => input.phone = Some(value.into()),
                _ => input.customer_id = Some(value.into()),
            }
            self.upsert_order(admin.into(), &input, "demo").await?;
            made += 1;
        }
        Ok(made)
    }
}
