//! The shop's orders as Balie knows them: enough for the bot to answer
//! "waar is mijn bestelling?" and for an agent to see a contact's orders.
//! Also the normal forms of the values an order carries (order number,
//! postcode, amount, date), so every way in (API, CSV, connectors) agrees.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{DomainError, Timestamp};

/// Where an order stands, from payment to delivery (or back).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    Pending,
    Paid,
    Processing,
    Shipped,
    Delivered,
    Cancelled,
    Returned,
    Refunded,
}

impl OrderStatus {
    pub const ALL: &'static [OrderStatus] = &[
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Processing,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Returned,
        OrderStatus::Refunded,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Processing => "processing",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Returned => "returned",
            OrderStatus::Refunded => "refunded",
        }
    }
}

impl std::str::FromStr for OrderStatus {
    type Err = DomainError;
    fn from_str(s: &str) -> Result<Self, DomainError> {
        let wanted = s.trim().to_ascii_lowercase();
        // "canceled" is the American spelling many shops use.
        let wanted = if wanted == "canceled" {
            "cancelled".to_string()
        } else {
            wanted
        };
        OrderStatus::ALL
            .iter()
            .copied()
            .find(|st| st.as_str() == wanted)
            .ok_or_else(|| {
                DomainError::invalid(
                    "status",
                    format!(
                        "unknown order status {:?}; expected one of: {}",
                        s.chars().take(40).collect::<String>(),
                        OrderStatus::ALL
                            .iter()
                            .map(|s| s.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
}

impl std::fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct OrderItem {
    pub name: String,
    pub quantity: i64,
    /// Price of one item, a decimal with two places (`"59.95"`).
    pub price: Option<String>,
}

/// An order of the shop. The customer's identities are kept on the order,
/// so an order that arrives before its contact links once the contact
/// exists; `contact_id` is the contact that owns one of them now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    pub account_id: i64,
    /// The shop's order number, unique in the account (`"1045873"`).
    pub number: String,
    /// The contact owning the order's shop customer id, email or phone.
    pub contact_id: Option<i64>,
    pub email: Option<String>,
    /// E.164 (`+31612345678`).
    pub phone: Option<String>,
    /// The shop's own customer id.
    pub customer_id: Option<String>,
    pub status: OrderStatus,
    /// E.g. `PostNL`, `DHL`.
    pub carrier: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    /// A date, `YYYY-MM-DD`.
    pub expected_delivery: Option<String>,
    /// A decimal with two places (`"64.90"`).
    pub total: Option<String>,
    /// ISO 4217 (`EUR`).
    pub currency: Option<String>,
    /// The delivery address's postcode in normal form (`1012AB`).
    pub postcode: Option<String>,
    pub items: Vec<OrderItem>,
    /// How the order last arrived: `api`, `webhook`, `csv`, `shopify`,
    /// `woocommerce`, `demo`.
    pub source: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// An order number in normal form: trimmed, a leading `#` dropped (Shopify
/// writes `#1001`), 1 to 64 letters, digits, `-`, `_` or `.`, with at least
/// one digit.
pub fn normalise_order_number(raw: &str) -> Result<String, DomainError> {
    let value = raw.trim();
    let value = value.strip_prefix('#').unwrap_or(value).trim();
    if value.is_empty() || value.len() > 64 {
        return Err(DomainError::invalid("number", "must be 1 to 64 characters"));
    }
    if !value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        return Err(DomainError::invalid(
            "number",
            "only letters, digits, '-', '_' and '.' are allowed",
        ));
    }
    if !value.chars().any(|c| c.is_ascii_digit()) {
        return Err(DomainError::invalid("number", "must contain a digit"));
    }
    Ok(value.to_string())
}

/// A postcode in normal form: upper case, without spaces or dashes, so that
/// `1012 ab` and `1012AB` are the same.
pub fn normalise_postcode(raw: &str) -> Result<String, DomainError> {
    let value: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if value.is_empty() || value.len() > 12 || !value.chars().all(|c| c.is_ascii_alphanumeric()) {
        return Err(DomainError::invalid("postcode", "not a postcode"));
    }
    Ok(value)
}

/// An amount in normal form: a non-negative decimal with two places.
/// Accepts `59.95`, `59,95` (Dutch), `59`, `59.9`.
pub fn normalise_amount(field: &'static str, raw: &str) -> Result<String, DomainError> {
    cents(raw)
        .map(format_cents)
        .ok_or_else(|| DomainError::invalid(field, "must be an amount like 59.95"))
}

/// An amount in cents.
pub fn cents(raw: &str) -> Option<i64> {
    let value = raw.trim().replace(',', ".");
    let (whole, frac) = value.split_once('.').unwrap_or((&value, ""));
    if whole.is_empty()
        || whole.len() > 12
        || frac.len() > 2
        || !whole.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let whole: i64 = whole.parse().ok()?;
    let frac: i64 = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse().ok()?,
    };
    whole.checked_mul(100)?.checked_add(frac)
}

fn format_cents(c: i64) -> String {
    format!("{}.{:02}", c / 100, c % 100)
}

/// A calendar date in normal form, `YYYY-MM-DD` (a timestamp's date part
/// is accepted too).
pub fn normalise_date(field: &'static str, raw: &str) -> Result<String, DomainError> {
    let bad = || DomainError::invalid(field, "must be a date like 2026-11-24");
    let value = raw.trim();
    let date = value.get(..10).ok_or_else(bad)?;
    if value.len() > 10 && !value[10..].starts_with('T') && !value[10..].starts_with(' ') {
        return Err(bad());
    }
    let b = date.as_bytes();
    if b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |s: &str| -> Result<u32, DomainError> {
        if s.chars().all(|c| c.is_ascii_digit()) {
            s.parse().map_err(|_| bad())
        } else {
            Err(bad())
        }
    };
    let (y, m, d) = (num(&date[..4])?, num(&date[5..7])?, num(&date[8..10])?);
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(1970..=9999).contains(&y) || d == 0 || d > days {
        return Err(bad());
    }
    Ok(date.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_numbers() {
        assert_eq!(normalise_order_number(" #1001 ").unwrap(), "1001");
        assert_eq!(normalise_order_number("NL-2024.7").unwrap(), "NL-2024.7");
        for bad in ["", "#", "import", "10/01", "a b1", &"1".repeat(65)] {
            assert!(normalise_order_number(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn postcodes_and_amounts() {
        assert_eq!(normalise_postcode("1012 ab").unwrap(), "1012AB");
        assert_eq!(normalise_postcode(" 1000 ").unwrap(), "1000");
        assert!(normalise_postcode("10<12").is_err());
        assert!(normalise_postcode("  ").is_err());
        assert_eq!(normalise_amount("total", "59,9").unwrap(), "59.90");
        assert_eq!(normalise_amount("total", "5").unwrap(), "5.00");
        assert_eq!(normalise_amount("total", "0.05").unwrap(), "0.05");
        for bad in ["", "-1", "1.234", "abc", "1e3", ".5", "99999999999999"] {
            assert!(normalise_amount("total", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn dates_and_statuses() {
        assert_eq!(normalise_date("d", "2026-02-28").unwrap(), "2026-02-28");
        assert_eq!(
            normalise_date("d", "2026-02-28T10:00:00Z").unwrap(),
            "2026-02-28"
        );
        for bad in [
            "2026-02-30",
            "2026-13-01",
            "26-1-1",
            "2026/01/01",
            "2026-01-01x",
            "é",
        ] {
            assert!(normalise_date("d", bad).is_err(), "{bad:?}");
        }
        for s in OrderStatus::ALL {
            assert_eq!(s.as_str().parse::<OrderStatus>().unwrap(), *s);
            assert_eq!(
                serde_json::to_string(s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert_eq!(
            "Canceled".parse::<OrderStatus>().unwrap(),
            OrderStatus::Cancelled
        );
        assert!("lost".parse::<OrderStatus>().is_err());
    }
}
