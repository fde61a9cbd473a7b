//! The CSV import format of orders.
//!
//! The first line is a header naming the columns, in any order; only
//! `order_number` is required:
//!
//! ```text
//! order_number,email,phone,customer_id,status,carrier,tracking_code,tracking_url,expected_delivery,total,currency,postcode,items
//! 1045873,emma@example.nl,06-12345678,C-1001,shipped,PostNL,3SABCD1234567,https://...,2026-11-25,64.90,EUR,1012 AB,"Regenjas geel:1:59.95|Sokken:2:2.48"
//! ```
//!
//! Fields may be quoted with `"` (a quote inside is doubled, and a quoted
//! field may span lines); a file exported by Dutch spreadsheets with `;`
//! between fields is understood too. `items` is a `|`-separated list of
//! `name:quantity:price` (price optional), or a JSON array of
//! `{"name","quantity","price"}`. An empty cell leaves the stored value as
//! it is.

use balie_domain::OrderStatus;

use super::{OrderInput, OrderItemInput};
use crate::{Result, ServiceError};

/// The columns the import knows.
pub const COLUMNS: &[&str] = &[
    "order_number",
    "email",
    "phone",
    "customer_id",
    "status",
    "carrier",
    "tracking_code",
    "tracking_url",
    "expected_delivery",
    "total",
    "currency",
    "postcode",
    "items",
];

/// One record: the line it starts on and its fields, or why it could not
/// be read.
pub type Record = (usize, std::result::Result<Vec<String>, String>);

/// Splits CSV text into records; never fails as a whole, a broken record
/// is reported on its own line.
pub fn records(text: &str, delimiter: char) -> Vec<Record> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start = line;
        let mut fields = Vec::new();
        let mut field = String::new();
        let mut error = None;
        let mut quoted = false;
        let mut at_field_start = true;
        let mut ended = false;
        while let Some(c) = chars.next() {
            if quoted {
                match c {
                    '"' if chars.peek() == Some(&'"') => {
                        chars.next();
                        field.push('"');
                    }
                    '"' => {
                        quoted = false;
                        // Only a delimiter or the end of the line may follow.
                        match chars.peek() {
                            None | Some('\n') | Some('\r') => {}
                            Some(c) if *c == delimiter => {}
                            Some(_) => {
                                error.get_or_insert_with(|| {
                                    "a closing quote must end the field".to_string()
                                });
                            }
                        }
                    }
                    '\n' => {
                        line += 1;
                        field.push(c);
                    }
                    _ => field.push(c),
                }
                continue;
            }
            match c {
                '"' if at_field_start => {
                    quoted = true;
                    at_field_start = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' | '\r' => {
                    line += 1;
                    ended = true;
                    break;
                }
                c if c == delimiter => {
                    fields.push(std::mem::take(&mut field));
                    at_field_start = true;
                }
                c => {
                    field.push(c);
                    at_field_start = false;
                }
            }
        }
        if quoted {
            error = Some("a quoted field is not closed".to_string());
        }
        fields.push(field);
        let blank = fields.len() == 1 && fields[0].trim().is_empty();
        if !blank || error.is_some() {
            out.push((start, error.map_or(Ok(fields), Err)));
        }
        if !ended && chars.peek().is_none() {
            break;
        }
    }
    out
}

fn parse_items(cell: &str) -> std::result::Result<Vec<OrderItemInput>, String> {
    let cell = cell.trim();
    if cell.starts_with('[') {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Item {
            name: String,
            quantity: i64,
            price: Option<serde_json::Value>,
        }
        let items: Vec<Item> = serde_json::from_str(cell)
            .map_err(|e| format!("items: not a JSON list of items: {e}"))?;
        return items
            .into_iter()
            .map(|i| {
                let price = match i.price {
                    None | Some(serde_json::Value::Null) => None,
                    Some(serde_json::Value::String(s)) => Some(s),
                    Some(serde_json::Value::Number(n)) => Some(n.to_string()),
                    Some(_) => return Err("items: price must be a number or a string".into()),
                };
                Ok(OrderItemInput {
                    name: i.name,
                    quantity: i.quantity,
                    price,
                })
            })
            .collect();
    }
    cell.split('|')
        .filter(|part| !part.trim().is_empty())
        .map(|part| {
            let bad = || format!("items: {part:?} is not name:quantity:price");
            let mut pieces = part.rsplitn(3, ':').collect::<Vec<_>>();
            pieces.reverse();
            // name:quantity:price, or name:quantity.
            let (name, quantity, price) = match pieces.as_slice() {
                [name, quantity, price] if quantity.trim().parse::<i64>().is_ok() => (
                    name.to_string(),
                    quantity.trim(),
                    Some(price.trim().to_string()),
                ),
                [name, quantity, price] if price.trim().parse::<i64>().is_ok() => {
                    (format!("{name}:{quantity}"), price.trim(), None)
                }
                [name, quantity] => (name.to_string(), quantity.trim(), None),
                _ => return Err(bad()),
            };
            let quantity = quantity.parse::<i64>().map_err(|_| bad())?;
            Ok(OrderItemInput {
                name,
                quantity,
                price: price.filter(|p| !p.is_empty()),
            })
        })
        .collect()
}

/// Reads an order CSV into one input per record; the header must name
/// known columns and include `order_number`.
pub fn parse_orders(text: &str) -> Result<Vec<(usize, std::result::Result<OrderInput, String>)>> {
    let first_line = text.lines().next().unwrap_or("");
    let delimiter = if first_line.contains(';') && !first_line.contains(',') {
        ';'
    } else {
        ','
    };
    let mut records = records(text, delimiter).into_iter();
    let header = match records.next() {
        None => return Err(ServiceError::invalid("csv", "the file is empty")),
        Some((_, Err(e))) => return Err(ServiceError::invalid("csv", format!("header: {e}"))),
        Some((_, Ok(h))) => h,
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    for (i, name) in header.iter().enumerate() {
        if !COLUMNS.contains(&name.as_str()) {
            return Err(ServiceError::invalid(
                "csv",
                format!(
                    "unknown column {:?} in the header; known columns: {}",
                    name.chars().take(40).collect::<String>(),
                    COLUMNS.join(",")
                ),
            ));
        }
        if header[..i].contains(name) {
            return Err(ServiceError::invalid(
                "csv",
                format!("column {name:?} appears twice"),
            ));
        }
    }
    if !header.iter().any(|h| h == "order_number") {
        return Err(ServiceError::invalid(
            "csv",
            "the header must include order_number",
        ));
    }
    Ok(records
        .map(|(line, record)| {
            let input = record.and_then(|fields| {
                if fields.len() != header.len() {
                    return Err(format!(
                        "expected {} fields, found {}",
                        header.len(),
                        fields.len()
                    ));
                }
                let mut input = OrderInput::default();
                for (name, value) in header.iter().zip(fields) {
                    let v = value.trim();
                    let set = (!v.is_empty()).then(|| v.to_string());
                    match name.as_str() {
                        "order_number" => input.number = v.to_string(),
                        "email" => input.email = set,
                        "phone" => input.phone = set,
                        "customer_id" => input.customer_id = set,
                        "status" => {
                            input.status = set
                                .map(|s| s.parse::<OrderStatus>())
                                .transpose()
                                .map_err(|e| e.to_string())?
                        }
                        "carrier" => input.carrier = set,
                        "tracking_code" => input.tracking_code = set,
                        "tracking_url" => input.tracking_url = set,
                        "expected_delivery" => input.expected_delivery = set,
                        "total" => input.total = set,
                        "currency" => input.currency = set,
                        "postcode" => input.postcode = set,
                        "items" => input.items = set.map(|s| parse_items(&s)).transpose()?,
                        _ => {}
                    }
                }
                Ok(input)
            });
            (line, input)
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_span_lines_and_keep_line_numbers() {
        let got = records(
            "a,b\r\n\"x, \"\"y\"\"\",\"two\nlines\"\n\n3,4\n\"open,5\n",
            ',',
        );
        assert_eq!(got[0], (1, Ok(vec!["a".into(), "b".into()])));
        assert_eq!(
            got[1],
            (2, Ok(vec!["x, \"y\"".into(), "two\nlines".into()]))
        );
        assert_eq!(got[2], (5, Ok(vec!["3".into(), "4".into()])));
        assert_eq!(got[3].0, 6);
        assert!(got[3].1.is_err());
        assert_eq!(got.len(), 4);
    }

    #[test]
    fn items_in_both_notations() {
        let items = parse_items("Regenjas geel:1:59.95|Sokken: 2 |Kabel 2:1 m:1:3").unwrap();
        assert_eq!(items[0].name, "Regenjas geel");
        assert_eq!(items[0].price.as_deref(), Some("59.95"));
        assert_eq!((items[1].name.as_str(), items[1].quantity), ("Sokken", 2));
        assert_eq!(items[1].price, None);
        assert_eq!(items[2].name, "Kabel 2:1 m");
        let json = parse_items(r#"[{"name":"Jas","quantity":1,"price":59.95}]"#).unwrap();
        assert_eq!(json[0].price.as_deref(), Some("59.95"));
        assert!(parse_items("Jas").is_err());
        assert!(parse_items("Jas:veel").is_err());
        assert!(parse_items("[{\"name\":1}]").is_err());
    }

    #[test]
    fn semicolons_and_header_rules() {
        let got = parse_orders("order_number;status\n1001;shipped\n").unwrap();
        assert_eq!(
            got[0].1.as_ref().unwrap().status,
            Some(OrderStatus::Shipped)
        );
        assert!(parse_orders("").is_err());
        assert!(parse_orders("status\nshipped\n").is_err());
        assert!(parse_orders("order_number,colour\n1,red\n").is_err());
        assert!(parse_orders("order_number,order_number\n1,1\n").is_err());
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A small deterministic fuzz over the characters that matter.
        let alphabet: Vec<char> = "ab1:|,;\"\n\r [{}]é\u{feff}".chars().collect();
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..3000 {
            let mut s = String::new();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            for i in 0..(state % 60) {
                let r = state.rotate_left(i as u32 * 5);
                s.push(alphabet[(r % alphabet.len() as u64) as usize]);
            }
            let _ = parse_orders(&format!("order_number,items\n{s}"));
            let _ = parse_orders(&s);
            let _ = records(&s, ';');
            let _ = parse_items(&s);
        }
    }
}
