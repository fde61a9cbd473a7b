//! Knowing the orders: the shop pushes orders (PUT, webhook, CSV), they link
//! to the contact owning any of their identities, the bot verifies a
//! customer by order number and postcode or email, and connectors fetch
//! orders from Shopify and WooCommerce (replayed by a local server).

use std::sync::{Arc, Mutex};

use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::{assert_error, TestApp};

fn emma_order() -> Value {
    json!({
        "email": "Emma.deJong@Example.NL",
        "phone": "06-12345678",
        "customer_id": " C-1001 ",
        "status": "shipped",
        "carrier": "PostNL",
        "tracking_code": "3SABCD1234567",
        "tracking_url": "https://jouw.postnl.nl/track-and-trace/3SABCD1234567-NL-1012AB",
        "expected_delivery": "2026-11-25",
        "total": "64,9",
        "currency": "eur",
        "postcode": "1012 ab",
        "items": [
            { "name": "Regenjas geel", "quantity": 1, "price": "59.95" },
            { "name": "Sokken", "quantity": 2, "price": "2.475" }
        ]
    })
}

async fn csv(app: &TestApp, token: &str, content_type: &str, body: &[u8]) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/orders/import"))
        .bearer_auth(token)
        .header("content-type", content_type)
        .body(body.to_vec())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn orders_upsert_get_list_and_events() {
    let app = TestApp::spawn().await;
    // Bad price (three decimals) is refused with the JSON error shape.
    assert_error(
        &app.call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(emma_order()),
        )
        .await,
        422,
        "validation_failed",
    );
    let mut body = emma_order();
    body["items"][1]["price"] = json!("2.48");
    let (status, order) = app
        .call("PUT", "/api/v1/orders/%231045873", &app.token, Some(body))
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["number"], "1045873");
    assert_eq!(order["email"], "emma.dejong@example.nl");
    assert_eq!(order["phone"], "+31612345678");
    assert_eq!(order["customer_id"], "C-1001");
    assert_eq!(order["postcode"], "1012AB");
    assert_eq!(order["total"], "64.90");
    assert_eq!(order["currency"], "EUR");
    assert_eq!(order["items"][1]["price"], "2.48");
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["source"], "api");
    assert_eq!(order["contact_id"], Value::Null);

    // A push of only the status changes only the status.
    let (status, updated) = app
        .call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(json!({ "status": "delivered" })),
        )
        .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["status"], "delivered");
    assert_eq!(updated["tracking_code"], "3SABCD1234567");
    assert_eq!(updated["items"].as_array().unwrap().len(), 2);
    assert_eq!(updated["id"], order["id"]);
    // The same push again changes nothing and appends no event.
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(json!({ "status": "delivered" })),
        )
        .await;
    assert_eq!(status, 200);
    let (_, got) = app.get("/api/v1/orders/1045873").await;
    assert_eq!(got["status"], "delivered");
    let (_, events) = app.get("/api/v1/events?after=0&limit=1000").await;
    let kinds: Vec<&str> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .filter(|k| k.starts_with("order."))
        .collect();
    assert_eq!(kinds, ["order.created", "order.updated"]);
    let last = events["data"].as_array().unwrap().last().unwrap();
    assert_eq!(last["payload"]["previous_status"], "shipped");
    assert_eq!(last["payload"]["changed"], json!(["status"]));

    // The body's number must match the path.
    assert_error(
        &app.call(
            "PUT",
            "/api/v1/orders/1045873",
            &app.token,
            Some(json!({ "number": "999" })),
        )
        .await,
        422,
        "validation_failed",
    );

    // Listing, newest first, with cursor pagination and a status filter.
    for n in ["2001", "2002", "2003"] {
        let (status, _) = app
            .call(
                "PUT",
                &format!("/api/v1/orders/{n}"),
                &app.token,
                Some(json!({})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let (_, page) = app.get("/api/v1/orders?limit=2").await;
    let numbers = |p: &Value| -> Vec<String> {
        p["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["number"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(numbers(&page), ["2003", "2002"]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page2) = app
        .get(&format!("/api/v1/orders?limit=2&cursor={cursor}"))
        .await;
    assert_eq!(numbers(&page2), ["2001", "1045873"]);
    assert_eq!(page2["next_cursor"], Value::Null);
    let (_, pending) = app.get("/api/v1/orders?status=pending").await;
    assert_eq!(pending["data"].as_array().unwrap().len(), 3);
    let (_, by_email) = app
        .get("/api/v1/orders?email=EMMA.DEJONG%40example.nl")
        .await;
    assert_eq!(numbers(&by_email), ["1045873"]);
}

#[tokio::test]
async fn orders_link_to_the_contact_owning_any_identity() {
    let app = TestApp::spawn().await;
    // The orders arrive before the customer is known.
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/orders/5001",
            &app.token,
            Some(json!({ "phone": "06-12345678", "status": "paid" })),
        )
        .await;
    assert_eq!(status, 201);
    app.call(
        "PUT",
        "/api/v1/orders/5002",
        &app.token,
        Some(json!({ "customer_id": "C-77" })),
    )
    .await;
    app.call(
        "PUT",
        "/api/v1/orders/5003",
        &app.token,
        Some(json!({ "email": "someone.else@example.nl" })),
    )
    .await;
    let (_, c) = app
        .post(
            "/api/v1/contacts",
            json!({ "name": "Emma", "identities": [
                { "kind": "phone", "value": "+31612345678" },
                { "kind": "shop_customer_id", "value": "C-77" }
            ] }),
        )
        .await;
    let contact = c["id"].as_i64().unwrap();
    let (_, order) = app.get("/api/v1/orders/5001").await;
    assert_eq!(order["contact_id"], contact);
    let (status, mine) = app.get(&format!("/api/v1/contacts/{contact}/orders")).await;
    assert_eq!(status, 200);
    let numbers: Vec<&str> = mine["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["5002", "5001"]);
    let (_, filtered) = app
        .get(&format!("/api/v1/orders?contact_id={contact}"))
        .await;
    assert_eq!(filtered["data"].as_array().unwrap().len(), 2);
    // A new identity links the third order too.
    app.post(
        &format!("/api/v1/contacts/{contact}/identities"),
        json!({ "kind": "email", "value": "Someone.Else@example.nl" }),
    )
    .await;
    let (_, mine) = app.get(&format!("/api/v1/contacts/{contact}/orders")).await;
    assert_eq!(mine["data"].as_array().unwrap().len(), 3);
    // The contact's events show the order change.
    app.call(
        "PUT",
        "/api/v1/orders/5001",
        &app.token,
        Some(json!({ "status": "shipped" })),
    )
    .await;
    let (_, events) = app
        .get(&format!("/api/v1/events?after=0&contact_id={contact}"))
        .await;
    assert!(
        events["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "order.updated"),
        "{events}"
    );
    assert_error(
        &app.get("/api/v1/contacts/999999/orders").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn orders_csv_import_takes_good_lines_and_reports_bad_ones() {
    let app = TestApp::spawn().await;
    let file = "\u{feff}order_number,email,phone,customer_id,status,carrier,tracking_code,tracking_url,expected_delivery,total,currency,postcode,items\r\n\
1045873,emma@example.nl,06-12345678,C-1001,shipped,PostNL,3SABCD1234567,https://jouw.postnl.nl/x,2026-11-25,64.90,EUR,1012 AB,\"Regenjas geel:1:59.95|Sokken, wol:2:2.48\"\r\n\
1045901,lucas@example.com,,,cancelled,,,,,19.95,EUR,3511 AA,\"[{\"\"name\"\":\"\"Pet\"\",\"\"quantity\"\":1,\"\"price\"\":19.95}]\"\r\n\
1045902,not-an-email,,,paid,,,,,,,,\r\n\
1045903,,,,lost,,,,,,,,\r\n\
1045904,,,,paid,,,,2026-02-30,,,,\r\n\
\r\n\
1045905,,,,paid,,,,,,,\"9999\n ZZ\",Boek:1:10\r\n\
1045906,too,few\r\n\
,,,,paid,,,,,,,,\r\n\
1045907,,0612,,,,,,,,,,\r\n\
1045908,,,,,,,,,12.345,,,\r\n\
1045909,,,,,,,,,,,,Jas:twee\r\n";
    let (status, report) = csv(&app, &app.token, "text/csv; charset=utf-8", file.as_bytes()).await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["records"], 11, "{report}");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(report["failed"], 8, "{report}");
    let lines: Vec<i64> = report["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_i64().unwrap())
        .collect();
    // Line 8 is a quoted field spanning two lines, so the next record is 10.
    assert_eq!(lines, [4, 5, 6, 10, 11, 12, 13, 14], "{report}");
    let message = |line: i64| {
        report["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["line"] == line)
            .unwrap()["message"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert!(message(4).contains("email"), "{report}");
    assert!(message(5).contains("lost"), "{report}");
    assert!(message(10).contains("fields"), "{report}");
    let (_, o) = app.get("/api/v1/orders/1045873").await;
    assert_eq!(o["source"], "csv");
    assert_eq!(o["items"][1]["name"], "Sokken, wol");
    assert_eq!(o["phone"], "+31612345678");
    let (_, o) = app.get("/api/v1/orders/1045901").await;
    assert_eq!(o["items"][0]["price"], "19.95");
    assert_eq!(o["status"], "cancelled");
    let (_, o) = app.get("/api/v1/orders/1045905").await;
    assert_eq!(o["postcode"], "9999ZZ");

    // Importing again: an empty cell keeps what is stored.
    let again = "order_number;status\n1045873;delivered\n1045901;cancelled\n";
    let (status, report) = csv(&app, &app.token, "text/csv", again.as_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(
        (report["updated"].as_i64(), report["unchanged"].as_i64()),
        (Some(1), Some(1)),
        "{report}"
    );
    let (_, o) = app.get("/api/v1/orders/1045873").await;
    assert_eq!(o["status"], "delivered");
    assert_eq!(o["tracking_code"], "3SABCD1234567");

    // Files that cannot be read at all.
    for (body, code) in [
        ("", "validation_failed"),
        ("number,status\n1,paid\n", "validation_failed"),
        ("order_number,\"open\n1\n", "validation_failed"),
    ] {
        let (status, err) = csv(&app, &app.token, "text/csv", body.as_bytes()).await;
        assert_eq!(
            (status, err["error"].as_str()),
            (422, Some(code)),
            "{body:?}: {err}"
        );
    }
    let (status, err) = csv(&app, &app.token, "text/csv", b"order_number\n\xff\xfe\n").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (422, Some("validation_failed"))
    );
    let (status, err) = csv(&app, &app.token, "application/json", b"{}").await;
    assert_eq!(
        (status, err["error"].as_str()),
        (415, Some("unsupported_media_type"))
    );
    let (status, _) = csv(&app, "bad-token", "text/csv", b"order_number\n1\n").await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn orders_verification_needs_number_and_postcode_or_email() {
    let app = TestApp::spawn().await;
    let mut body = emma_order();
    body["items"] = json!([]);
    app.call("PUT", "/api/v1/orders/1045873", &app.token, Some(body))
        .await;
    app.call(
        "PUT",
        "/api/v1/orders/1045874",
        &app.token,
        Some(json!({ "status": "paid" })),
    )
    .await;
    let verify = |number: &str, proof: &str| {
        app.post(
            "/api/v1/orders/verify",
            json!({ "number": number, "postcode_or_email": proof }),
        )
    };
    for proof in ["1012AB", "1012 ab", " 1012-AB ", "EMMA.DEJONG@example.nl"] {
        let (status, order) = verify("1045873", proof).await;
        assert_eq!(status, 200, "{proof}: {order}");
        assert_eq!(order["tracking_code"], "3SABCD1234567");
    }
    let (status, _) = verify("#1045873", "1012AB").await;
    assert_eq!(status, 200);
    for (number, proof) in [
        ("1045873", "1012AC"),
        ("1045873", "emma@example.nl"),
        ("1045873", ""),
        ("1045873", "@"),
        ("1045999", "1012AB"),
        ("1045874", "1012AB"),
        ("1045874", "emma.dejong@example.nl"),
        ("../etc", "1012AB"),
    ] {
        let got = verify(number, proof).await;
        assert_error(&got, 404, "not_found");
        assert!(!got.1.to_string().contains("3SABCD"), "{}", got.1);
    }
    // Directly through the service, as the bot will call it.
    let account = app
        .services
        .get_order(&admin(&app).await, "1045873")
        .await
        .unwrap()
        .account_id;
    assert!(app
        .services
        .find_order_for_verification(account, "1045873", "1012 AB")
        .await
        .unwrap()
        .is_some());
    assert!(app
        .services
        .find_order_for_verification(account + 1000, "1045873", "1012 AB")
        .await
        .unwrap()
        .is_none());
}

async fn admin(app: &TestApp) -> balie_services::Actor {
    let (_, me) = app.get("/api/v1/me").await;
    balie_services::Actor {
        account_id: me["agent"]["account_id"]
            .as_i64()
            .or_else(|| me["account"]["id"].as_i64())
            .unwrap(),
        agent_id: app.admin_id,
        role: balie_domain::Role::Admin,
    }
}

#[tokio::test]
async fn orders_bad_input_gets_json_errors() {
    let app = TestApp::spawn().await;
    assert_error(&app.get("/api/v1/orders/404404").await, 404, "not_found");
    assert_error(
        &app.get("/api/v1/orders/geen-nummer").await,
        404,
        "not_found",
    );
    for body in [
        json!({ "status": "lost" }),
        json!({ "phone": "12" }),
        json!({ "email": "jan@" }),
        json!({ "total": 12.5 }),
        json!({ "items": [{ "name": "Jas", "quantity": "two" }] }),
        json!({ "items": [{ "name": "Jas", "quantity": 0 }] }),
        json!({ "items": [{ "name": " ", "quantity": 1 }] }),
        json!({ "tracking_url": "javascript:alert(1)" }),
        json!({ "expected_delivery": "morgen" }),
        json!({ "currency": "euro" }),
        json!({ "colour": "red" }),
    ] {
        let got = app
            .call("PUT", "/api/v1/orders/7001", &app.token, Some(body.clone()))
            .await;
        assert_error(&got, 422, "validation_failed");
    }
    let got = app
        .call(
            "PUT",
            "/api/v1/orders/bad%20number",
            &app.token,
            Some(json!({})),
        )
        .await;
    assert_error(&got, 422, "validation_failed");
    let res = app
        .client
        .put(app.url("/api/v1/orders/7001"))
        .bearer_auth(&app.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(res.json::<Value>().await.unwrap()["error"], "invalid_json");
    assert_error(
        &app.get("/api/v1/orders?limit=0").await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.get("/api/v1/orders?contact_id=abc").await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.get("/api/v1/orders?status=lost").await,
        400,
        "invalid_query",
    );
    assert_error(
        &app.post("/api/v1/orders/webhook", json!({ "status": "paid" }))
            .await,
        422,
        "validation_failed",
    );
    assert_error(
        &app.post(
            "/api/v1/orders/webhook?format=magento",
            json!({ "number": "1" }),
        )
        .await,
        400,
        "invalid_query",
    );
    let (_, none) = app.get("/api/v1/orders").await;
    assert!(none["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn orders_of_one_account_are_invisible_to_another() {
    let app = TestApp::spawn().await;
    let mut body = emma_order();
    body["items"] = json!([]);
    app.call("PUT", "/api/v1/orders/1045873", &app.token, Some(body))
        .await;
    let (_, c) = app
        .post(
            "/api/v1/contacts",
            json!({ "identities": [{ "kind": "email", "value": "emma.dejong@example.nl" }] }),
        )
        .await;
    let contact = c["id"].as_i64().unwrap();
    let (b, _) = app.other_account().await;
    assert_error(
        &app.call("GET", "/api/v1/orders/1045873", &b, None).await,
        404,
        "not_found",
    );
    assert_error(
        &app.call(
            "GET",
            &format!("/api/v1/contacts/{contact}/orders"),
            &b,
            None,
        )
        .await,
        404,
        "not_found",
    );
    for path in [
        "/api/v1/orders".to_string(),
        format!("/api/v1/orders?contact_id={contact}"),
        "/api/v1/orders?email=emma.dejong%40example.nl".to_string(),
    ] {
        let (status, page) = app.call("GET", &path, &b, None).await;
        assert_eq!(status, 200);
        assert!(
            page["data"].as_array().unwrap().is_empty(),
            "{path}: {page}"
        );
    }
    assert_error(
        &app.call(
            "POST",
            "/api/v1/orders/verify",
            &b,
            Some(json!({ "number": "1045873", "postcode_or_email": "1012AB" })),
        )
        .await,
        404,
        "not_found",
    );
    // B's own order with the same number is B's, and A's stays as it was.
    let (status, b_order) = app
        .call(
            "PUT",
            "/api/v1/orders/1045873",
            &b,
            Some(json!({ "status": "cancelled", "email": "emma.dejong@example.nl" })),
        )
        .await;
    assert_eq!(status, 201);
    assert_eq!(b_order["contact_id"], Value::Null);
    let (_, report) = csv(
        &app,
        &b,
        "text/csv",
        b"order_number,status\n1045873,refunded\n",
    )
    .await;
    assert_eq!(report["updated"], 1);
    let (_, a_order) = app.get("/api/v1/orders/1045873").await;
    assert_eq!(a_order["status"], "shipped");
    assert_eq!(a_order["contact_id"], contact);
    let (_, b_events) = app
        .call("GET", "/api/v1/events?after=0&limit=1000", &b, None)
        .await;
    assert!(!b_events
        .to_string()
        .contains(&format!("\"order_id\":{}", a_order["id"])));
}

/// A stand-in for the shop's API on 127.0.0.1: answers each request with
/// what `reply` says for its method, path and query, and logs requests.
struct FakeShop {
    base: String,
    log: Arc<Mutex<Vec<Logged>>>,
}

/// A request's target (decoded) and its headers.
type Logged = (String, Vec<(String, String)>);

type Reply = fn(&str, &[(String, String)]) -> (u16, String);

impl FakeShop {
    async fn start(reply: Reply) -> FakeShop {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        tokio::spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let seen = seen.clone();
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 4096];
                    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                        match sock.read(&mut chunk).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => buf.extend_from_slice(&chunk[..n]),
                        }
                    }
                    let head = String::from_utf8_lossy(&buf).to_string();
                    let mut lines = head.lines();
                    let target = lines
                        .next()
                        .and_then(|l| l.split(' ').nth(1))
                        .unwrap_or("/")
                        .to_string();
                    let headers: Vec<(String, String)> = lines
                        .take_while(|l| !l.is_empty())
                        .filter_map(|l| l.split_once(':'))
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                        .collect();
                    let target = percent_decode(&target);
                    seen.lock().unwrap().push((target.clone(), headers.clone()));
                    let (status, body) = reply(&target, &headers);
                    let res = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = sock.write_all(res.as_bytes()).await;
                    let _ = sock.shutdown().await;
                });
            }
        });
        FakeShop { base, log }
    }

    fn requests(&self) -> Vec<String> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.replace('+', " ").into_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(
                std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("zz"),
                16,
            ) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// An order as Shopify's Admin REST API (2024-10) shows it.
const SHOPIFY_ORDER: &str = r##"{
  "id": 5512345678901, "name": "#1001", "order_number": 1001,
  "email": "Emma.deJong@example.nl", "phone": null, "contact_email": "Emma.deJong@example.nl",
  "created_at": "2026-11-20T10:15:00+01:00", "updated_at": "2026-11-22T09:00:00+01:00",
  "cancelled_at": null, "currency": "EUR", "total_price": "64.90",
  "financial_status": "paid", "fulfillment_status": "fulfilled",
  "customer": { "id": 7011223344, "email": "emma.dejong@example.nl", "phone": "+31612345678", "first_name": "Emma", "last_name": "de Jong" },
  "shipping_address": { "first_name": "Emma", "address1": "Damrak 1", "city": "Amsterdam", "zip": "1012 AB", "country_code": "NL", "phone": "06-12345678" },
  "billing_address": { "zip": "1012 AB" },
  "line_items": [
    { "id": 1, "title": "Regenjas", "name": "Regenjas - Geel / M", "quantity": 1, "price": "59.95", "sku": "RJ-GM" },
    { "id": 2, "title": "Sokken", "name": "Sokken", "quantity": 2, "price": "2.48" }
  ],
  "fulfillments": [
    { "id": 1, "status": "cancelled", "tracking_company": "DHL", "tracking_number": "OLD123", "tracking_url": "https://dhl.example/OLD123" },
    { "id": 2, "status": "success", "shipment_status": "in_transit", "tracking_company": "PostNL",
      "tracking_number": "3SABCD1234567", "tracking_numbers": ["3SABCD1234567"],
      "tracking_url": "https://jouw.postnl.nl/track-and-trace/3SABCD1234567-NL-1012AB",
      "tracking_urls": ["https://jouw.postnl.nl/track-and-trace/3SABCD1234567-NL-1012AB"] }
  ]
}"##;

fn shopify(target: &str, headers: &[(String, String)]) -> (u16, String) {
    if header(headers, "x-shopify-access-token") != Some("shpat_test") {
        return (
            401,
            r#"{"errors":"[API] Invalid API key or access token"}"#.into(),
        );
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/admin/api/2024-10/orders.json" if query.contains("name=#1001") => {
            (200, format!(r#"{{"orders":[{SHOPIFY_ORDER}]}}"#))
        }
        "/admin/api/2024-10/orders.json" if query.contains("name=#500") => {
            (500, r#"{"errors":"Internal Server Error"}"#.into())
        }
        "/admin/api/2024-10/orders.json" => (200, r#"{"orders":[]}"#.into()),
        "/admin/api/2024-10/customers/search.json"
            if query.contains("email:emma.dejong@example.nl") =>
        {
            (
                200,
                r#"{"customers":[{"id":7011223344,"email":"emma.dejong@example.nl"}]}"#.into(),
            )
        }
        "/admin/api/2024-10/customers/search.json" => (200, r#"{"customers":[]}"#.into()),
        "/admin/api/2024-10/customers/7011223344/orders.json" => {
            let refunded = SHOPIFY_ORDER.replace("\"#1001\"", "\"#1002\"").replace(
                "\"financial_status\": \"paid\"",
                "\"financial_status\": \"refunded\"",
            );
            (200, format!(r#"{{"orders":[{refunded},{SHOPIFY_ORDER}]}}"#))
        }
        _ => (404, r#"{"errors":"Not Found"}"#.into()),
    }
}

/// An order as WooCommerce's REST API v3 shows it, with the Shipment
/// Tracking extension's meta data.
const WOO_ORDER: &str = r#"{
  "id": 727, "parent_id": 0, "number": "727", "status": "completed", "currency": "EUR",
  "date_created": "2026-11-20T10:15:00", "total": "29.35", "customer_id": 12,
  "billing": { "first_name": "Lucas", "last_name": "Bakker", "email": "lucas.bakker@example.com", "phone": "0687654321", "postcode": "3511AA", "country": "NL" },
  "shipping": { "first_name": "Lucas", "last_name": "Bakker", "postcode": "3511 AB", "country": "NL" },
  "line_items": [ { "id": 315, "name": "Woo Single #1", "product_id": 93, "quantity": 2, "subtotal": "6.00", "total": "6.00", "price": 3 },
                  { "id": 316, "name": "Ship Your Idea", "quantity": 1, "total": "12.00", "price": 12.5 } ],
  "meta_data": [
    { "id": 13106, "key": "_download_permissions_granted", "value": "yes" },
    { "id": 13107, "key": "_wc_shipment_tracking_items", "value": [
      { "tracking_provider": "dhl-parcel-nl", "custom_tracking_provider": "DHL Parcel", "custom_tracking_link": "https://my.dhlparcel.nl/home/tracktrace/JVGL0123456789",
        "tracking_number": "JVGL0123456789", "date_shipped": "1763600000", "tracking_id": "abc123" } ] }
  ]
}"#;

fn woocommerce(target: &str, headers: &[(String, String)]) -> (u16, String) {
    // Basic base64("ck_test:cs_test")
    if header(headers, "authorization") != Some("Basic Y2tfdGVzdDpjc190ZXN0") {
        return (401, r#"{"code":"woocommerce_rest_cannot_view","message":"Sorry, you cannot list resources.","data":{"status":401}}"#.into());
    }
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match path {
        "/wp-json/wc/v3/orders/727" => (200, WOO_ORDER.into()),
        "/wp-json/wc/v3/orders" if query.contains("search=NL-88") => {
            (200, format!("[{}]", WOO_ORDER.replace(r#""number": "727""#, r#""number": "NL-88""#)))
        }
        "/wp-json/wc/v3/orders" if query.contains("search=lucas.bakker@example.com") => {
            (200, format!("[{WOO_ORDER}]"))
        }
        "/wp-json/wc/v3/orders" => (200, "[]".into()),
        _ => (
            404,
            r#"{"code":"woocommerce_rest_shop_order_invalid_id","message":"Invalid ID.","data":{"status":404}}"#.into(),
        ),
    }
}

#[tokio::test]
async fn orders_shopify_connector_fetches_and_maps_orders() {
    let app = TestApp::spawn().await;
    let shop = FakeShop::start(shopify).await;
    // Without a connector there is nothing to sync from.
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({ "number": "1001" }))
            .await,
        409,
        "not_configured",
    );
    assert_error(
        &app.get("/api/v1/commerce/connector").await,
        404,
        "not_found",
    );
    let (status, set) = app
        .call(
            "PUT",
            "/api/v1/commerce/connector",
            &app.token,
            Some(json!({ "kind": "shopify", "base_url": format!("{}/", shop.base), "access_token": "shpat_test" })),
        )
        .await;
    assert_eq!(status, 200, "{set}");
    let (_, got) = app.get("/api/v1/commerce/connector").await;
    assert_eq!(got["kind"], "shopify");
    assert_eq!(got["base_url"], shop.base);
    assert!(!got.to_string().contains("shpat_test"), "{got}");

    let (status, synced) = app
        .post("/api/v1/commerce/sync", json!({ "number": "#1001" }))
        .await;
    assert_eq!(status, 200, "{synced}");
    let order = &synced["data"][0];
    assert_eq!(order["number"], "1001");
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["carrier"], "PostNL");
    assert_eq!(order["tracking_code"], "3SABCD1234567");
    assert_eq!(order["postcode"], "1012AB");
    assert_eq!(order["email"], "emma.dejong@example.nl");
    assert_eq!(order["customer_id"], "7011223344");
    assert_eq!(order["phone"], "+31612345678");
    assert_eq!(order["total"], "64.90");
    assert_eq!(order["items"][0]["name"], "Regenjas - Geel / M");
    assert_eq!(order["source"], "shopify");
    assert!(
        shop.requests()
            .iter()
            .any(|r| r.contains("orders.json?name=#1001&status=any")),
        "{:?}",
        shop.requests()
    );

    // Unknown at the shop, a failing shop, a customer's orders by email.
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({ "number": "4242" }))
            .await,
        404,
        "not_found",
    );
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({ "number": "500" }))
            .await,
        502,
        "upstream_failed",
    );
    let (status, synced) = app
        .post(
            "/api/v1/commerce/sync",
            json!({ "email": "Emma.deJong@example.nl" }),
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    let statuses: Vec<&str> = synced["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["refunded", "shipped"]);
    // A wrong token is the shop's refusal, reported as such.
    app.call(
        "PUT",
        "/api/v1/commerce/connector",
        &app.token,
        Some(json!({ "kind": "shopify", "base_url": shop.base, "access_token": "shpat_wrong" })),
    )
    .await;
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({ "number": "1001" }))
            .await,
        502,
        "upstream_failed",
    );

    // The shop's own webhook body works too.
    let mut webhook: Value = serde_json::from_str(SHOPIFY_ORDER).unwrap();
    webhook["name"] = json!("#1003");
    webhook["fulfillments"][1]["shipment_status"] = json!("delivered");
    webhook["shipping_address"]["zip"] = json!("not a <postcode>");
    let (status, order) = app
        .post("/api/v1/orders/webhook?format=shopify", webhook)
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "delivered");
    assert_eq!(order["postcode"], Value::Null);
    assert_eq!(order["tracking_code"], "3SABCD1234567");

    // Setting a connector is for admins, and checked.
    for bad in [
        json!({ "kind": "magento", "base_url": shop.base, "access_token": "x" }),
        json!({ "kind": "shopify", "base_url": "ftp://shop", "access_token": "x" }),
        json!({ "kind": "shopify", "base_url": shop.base }),
        json!({ "kind": "woocommerce", "base_url": shop.base, "consumer_key": "ck" }),
    ] {
        assert_error(
            &app.call("PUT", "/api/v1/commerce/connector", &app.token, Some(bad))
                .await,
            422,
            "validation_failed",
        );
    }
    let mut agent = admin(&app).await;
    agent.role = balie_domain::Role::Agent;
    let input = balie_services::commerce::ConnectorInput {
        kind: "shopify".into(),
        base_url: shop.base.clone(),
        access_token: Some("x".into()),
        consumer_key: None,
        consumer_secret: None,
    };
    assert!(matches!(
        app.services.set_commerce_connector(&agent, &input).await,
        Err(balie_services::ServiceError::Forbidden(_))
    ));
    let (status, _) = app.delete("/api/v1/commerce/connector").await;
    assert_eq!(status, 204);
    assert_error(
        &app.get("/api/v1/commerce/connector").await,
        404,
        "not_found",
    );
}

#[tokio::test]
async fn orders_woocommerce_connector_fetches_and_maps_orders() {
    let app = TestApp::spawn().await;
    let shop = FakeShop::start(woocommerce).await;
    let (status, _) = app
        .call(
            "PUT",
            "/api/v1/commerce/connector",
            &app.token,
            Some(json!({ "kind": "woocommerce", "base_url": shop.base, "consumer_key": "ck_test", "consumer_secret": "cs_test" })),
        )
        .await;
    assert_eq!(status, 200);
    let (status, synced) = app
        .post("/api/v1/commerce/sync", json!({ "number": "727" }))
        .await;
    assert_eq!(status, 200, "{synced}");
    let order = &synced["data"][0];
    assert_eq!(order["number"], "727");
    assert_eq!(order["status"], "shipped");
    assert_eq!(order["carrier"], "DHL Parcel");
    assert_eq!(order["tracking_code"], "JVGL0123456789");
    assert_eq!(
        order["tracking_url"],
        "https://my.dhlparcel.nl/home/tracktrace/JVGL0123456789"
    );
    assert_eq!(order["postcode"], "3511AB");
    assert_eq!(order["phone"], "+31687654321");
    assert_eq!(order["customer_id"], "12");
    assert_eq!(order["items"][0]["price"], "3.00");
    assert_eq!(order["items"][1]["price"], "12.50");
    assert_eq!(order["source"], "woocommerce");
    // A custom order number is found by search.
    let (status, synced) = app
        .post("/api/v1/commerce/sync", json!({ "number": "NL-88" }))
        .await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(synced["data"][0]["number"], "NL-88");
    assert!(shop.requests().iter().any(|r| r.contains("search=NL-88")));
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({ "number": "9999" }))
            .await,
        404,
        "not_found",
    );
    let (status, synced) = app
        .post(
            "/api/v1/commerce/sync",
            json!({ "email": "lucas.bakker@example.com" }),
        )
        .await;
    assert_eq!(status, 200, "{synced}");
    assert_eq!(synced["data"].as_array().unwrap().len(), 1);
    assert_error(
        &app.post("/api/v1/commerce/sync", json!({})).await,
        422,
        "validation_failed",
    );
    // Verification works on a synced order.
    let (status, _) = app
        .post(
            "/api/v1/orders/verify",
            json!({ "number": "727", "postcode_or_email": "3511 ab" }),
        )
        .await;
    assert_eq!(status, 200);
    // A WooCommerce webhook body.
    let mut body: Value = serde_json::from_str(WOO_ORDER).unwrap();
    body["number"] = json!("728");
    body["status"] = json!("refunded");
    let (status, order) = app
        .post("/api/v1/orders/webhook?format=woocommerce", body)
        .await;
    assert_eq!(status, 201, "{order}");
    assert_eq!(order["status"], "refunded");
    // Balie's own webhook format, redelivered.
    for expected in [201, 200] {
        let (status, order) = app
            .post(
                "/api/v1/orders/webhook",
                json!({ "number": "9001", "status": "processing", "email": "x@example.nl" }),
            )
            .await;
        assert_eq!(status, expected, "{order}");
        assert_eq!(order["source"], "webhook");
    }
}

#[tokio::test]
async fn orders_demo_shop_has_orders_linked_to_its_customers() {
    let app = TestApp::spawn().await;
    let demo = app.services.seed_demo().await.unwrap();
    let token = demo.bootstrapped.api_token.clone();
    let (status, order) = app
        .call("GET", "/api/v1/orders/1045873", &token, None)
        .await;
    assert_eq!(status, 200, "{order}");
    assert_eq!(order["carrier"], "PostNL");
    assert_eq!(order["tracking_code"], "3SABCD1234567");
    assert_eq!(order["postcode"], "1012AB");
    let (_, emma) = app
        .call(
            "GET",
            "/api/v1/contacts?q=emma.dejong%40example.nl",
            &token,
            None,
        )
        .await;
    let emma = emma["data"][0]["id"].as_i64().unwrap();
    assert_eq!(order["contact_id"], emma);
    let (_, all) = app.call("GET", "/api/v1/orders", &token, None).await;
    let orders = all["data"].as_array().unwrap();
    assert_eq!(orders.len(), 7);
    assert!(orders.iter().all(|o| o["contact_id"].is_i64()), "{all}");
    // The test account sees none of the demo shop's orders.
    let (_, mine) = app.get("/api/v1/orders").await;
    assert!(mine["data"].as_array().unwrap().is_empty());
}
