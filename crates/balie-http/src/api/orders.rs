//! Orders under /api/v1: the shop pushes its orders (one by one, by
//! webhook, or as a CSV file), agents and the bot read them, and an admin
//! connects Shopify or WooCommerce so Balie can fetch them itself.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use balie_domain::{Order, OrderStatus, Timestamp};
use balie_services::commerce::connector::{shopify_order, woocommerce_order};
use balie_services::commerce::{
    CommerceError, ConnectorInfo, ConnectorInput, ImportReport, OrderInput, OrderItemInput,
    OrderQuery, UpsertOutcome, Upserted,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, PageOf};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::AppState;

/// Adds the order endpoints to the API router.
pub fn register(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_orders))
        .routes(routes!(get_order, put_order))
        .routes(routes!(import_orders))
        .routes(routes!(webhook))
        .routes(routes!(verify_order))
        .routes(routes!(contact_orders))
        .routes(routes!(get_connector, put_connector, delete_connector))
        .routes(routes!(sync))
}

impl From<CommerceError> for ApiError {
    fn from(e: CommerceError) -> Self {
        match e {
            CommerceError::NotConfigured => {
                ApiError::new(StatusCode::CONFLICT, "not_configured", e.to_string())
            }
            CommerceError::Upstream(m) => {
                tracing::warn!(error = %m, "commerce connector failed");
                ApiError::new(
                    StatusCode::BAD_GATEWAY,
                    "upstream_failed",
                    format!("the shop's API failed: {m}"),
                )
            }
            CommerceError::Service(s) => s.into(),
        }
    }
}

/// One line of an order.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderItemRequest {
    pub name: String,
    #[schema(minimum = 1)]
    pub quantity: i64,
    /// Price of one item as a decimal string (`"59.95"`).
    pub price: Option<String>,
}

/// An order as the shop sends it. Every field is optional; a field left
/// out keeps its stored value, so a push of only `status` and the tracking
/// fields updates just those. Identities are stored in normal form
/// (`06-12345678` becomes `+31612345678`) and link the order to the
/// contact owning any of them.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// Required by the webhook; in `PUT /orders/{number}` it may be left
    /// out (if given, it must match the path).
    pub number: Option<String>,
    pub email: Option<String>,
    /// Any notation (`06-12345678`, `+31 6 1234 5678`).
    pub phone: Option<String>,
    /// The shop's own customer id.
    pub customer_id: Option<String>,
    /// Defaults to `pending` for a new order.
    pub status: Option<OrderStatus>,
    pub carrier: Option<String>,
    pub tracking_code: Option<String>,
    pub tracking_url: Option<String>,
    /// `YYYY-MM-DD`.
    pub expected_delivery: Option<String>,
    /// A decimal string (`"64.90"`; `"64,90"` is understood).
    pub total: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    pub currency: Option<String>,
    /// The delivery address's postcode (`1012 AB`), used to verify a
    /// customer who asks about the order.
    pub postcode: Option<String>,
    /// Replaces the stored items when given.
    pub items: Option<Vec<OrderItemRequest>>,
}

impl OrderRequest {
    fn into_input(self, number: String) -> OrderInput {
        OrderInput {
            number,
            email: self.email,
            phone: self.phone,
            customer_id: self.customer_id,
            status: self.status,
            carrier: self.carrier,
            tracking_code: self.tracking_code,
            tracking_url: self.tracking_url,
            expected_delivery: self.expected_delivery,
            total: self.total,
            currency: self.currency,
            postcode: self.postcode,
            items: self.items.map(|items| {
                items
                    .into_iter()
                    .map(|i| OrderItemInput {
                        name: i.name,
                        quantity: i.quantity,
                        price: i.price,
                    })
                    .collect()
            }),
        }
    }
}

fn stored(done: Upserted) -> (StatusCode, Json<Order>) {
    let status = match done.outcome {
        UpsertOutcome::Created => StatusCode::CREATED,
        _ => StatusCode::OK,
    };
    (status, Json(done.order))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderListParams {
    /// Only the orders of this contact (through any of its identities).
    pub contact_id: Option<i64>,
    /// Only orders placed with this email address (any notation).
    pub email: Option<String>,
    pub status: Option<OrderStatus>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

/// Lists orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", params(OrderListParams),
    responses((status = 200, body = PageOf<Order>), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_orders(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<OrderListParams>,
) -> ApiResult<Json<PageOf<Order>>> {
    let page = ListParams {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page()?;
    let query = OrderQuery {
        contact_id: p.contact_id,
        email: p.email,
        status: p.status,
    };
    Ok(Json(
        s.services
            .list_orders(&auth.actor, &query, page)
            .await?
            .into(),
    ))
}

/// One order by its number (`1001` and `#1001` are the same).
#[utoipa::path(get, path = "/api/v1/orders/{number}", tag = "orders", params(("number" = String, Path)),
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn get_order(
    State(s): State<AppState>,
    auth: Auth,
    Path(number): Path<String>,
) -> ApiResult<Json<Order>> {
    Ok(Json(s.services.get_order(&auth.actor, &number).await?))
}

/// Creates or updates the order with this number (201 when created, 200
/// otherwise). Appends `order.created` or `order.updated` to the event log
/// when something changed.
#[utoipa::path(put, path = "/api/v1/orders/{number}", tag = "orders", params(("number" = String, Path)), request_body = OrderRequest,
    responses((status = 200, body = Order), (status = 201, body = Order), (status = 422, body = ErrorBody)))]
pub async fn put_order(
    State(s): State<AppState>,
    auth: Auth,
    Path(number): Path<String>,
    Json(r): Json<OrderRequest>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    if let Some(body_number) = &r.number {
        let same = balie_domain::normalise_order_number(body_number).ok()
            == balie_domain::normalise_order_number(&number).ok();
        if !same {
            return Err(ApiError::validation(
                "number: differs from the order number in the path",
            ));
        }
    }
    let input = r.into_input(number);
    Ok(stored(
        s.services
            .upsert_order((&auth.actor).into(), &input, "api")
            .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WebhookParams {
    /// The body's format: `balie` (an `OrderRequest` with `number`, the
    /// default), `shopify` (a Shopify order as in `orders/create` and
    /// `orders/updated` webhooks) or `woocommerce` (a WooCommerce order).
    pub format: Option<String>,
}

/// Webhook for the shop's order system: send every new or changed order
/// here, authenticated with an API token (`Authorization: Bearer ...`).
/// The body is an order in Balie's format with its `number`, or the shop's
/// own order JSON with `?format=shopify` or `?format=woocommerce`.
/// Redelivery is harmless: an unchanged order appends no event.
#[utoipa::path(post, path = "/api/v1/orders/webhook", tag = "orders", params(WebhookParams), request_body = OrderRequest,
    responses((status = 200, body = Order), (status = 201, body = Order), (status = 422, body = ErrorBody)))]
pub async fn webhook(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<WebhookParams>,
    Json(body): Json<serde_json::Value>,
) -> ApiResult<(StatusCode, Json<Order>)> {
    let not_an_order =
        |fmt: &str| ApiError::validation(format!("the body is not a {fmt} order with a number"));
    let done = match p.format.as_deref().unwrap_or("balie") {
        "balie" => {
            let r: OrderRequest = serde_json::from_value(body)
                .map_err(|e| ApiError::validation(format!("not an order: {e}")))?;
            let number = r
                .number
                .clone()
                .ok_or_else(|| ApiError::validation("number: required"))?;
            s.services
                .upsert_order((&auth.actor).into(), &r.into_input(number), "webhook")
                .await?
        }
        "shopify" => {
            let input = shopify_order(&body).ok_or_else(|| not_an_order("Shopify"))?;
            s.services
                .upsert_fetched(&auth.actor, &input, "shopify")
                .await?
        }
        "woocommerce" => {
            let input = woocommerce_order(&body).ok_or_else(|| not_an_order("WooCommerce"))?;
            s.services
                .upsert_fetched(&auth.actor, &input, "woocommerce")
                .await?
        }
        _ => {
            return Err(ApiError::bad_request(
                "invalid_query",
                "format must be balie, shopify or woocommerce",
            ))
        }
    };
    Ok(stored(done))
}

/// One line an import could not take.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportLineError {
    /// The line of the file where the record starts; the header is line 1.
    pub line: usize,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportResponse {
    /// Records read, without the header.
    pub records: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub failed: usize,
    pub errors: Vec<ImportLineError>,
}

impl From<ImportReport> for ImportResponse {
    fn from(r: ImportReport) -> Self {
        ImportResponse {
            records: r.records,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            failed: r.failed,
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportLineError {
                    line: e.line,
                    message: e.message,
                })
                .collect(),
        }
    }
}

/// Imports orders from a CSV file (`Content-Type: text/csv`, UTF-8, at most
/// 1 MiB). The header names the columns, in any order:
/// `order_number,email,phone,customer_id,status,carrier,tracking_code,tracking_url,expected_delivery,total,currency,postcode,items`
/// (only `order_number` is required; `;` as separator works too). `items`
/// is `name:quantity:price|name:quantity:price` or a JSON array. Good
/// lines are imported, bad lines are reported with their line number; an
/// empty cell keeps the stored value. A file with an unusable header is
/// refused whole (422).
#[utoipa::path(post, path = "/api/v1/orders/import", tag = "orders",
    request_body(content = String, content_type = "text/csv"),
    responses((status = 200, body = ImportResponse), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn import_orders(
    State(s): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<Json<ImportResponse>> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !matches!(mime, "text/csv" | "text/plain" | "application/csv") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the file as text/csv",
        ));
    }
    let body = body.map_err(|r| {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(status, "payload_too_large", "the file is larger than 1 MiB")
        } else {
            ApiError::bad_request("invalid_body", r.body_text())
        }
    })?;
    let text = std::str::from_utf8(&body)
        .map_err(|_| ApiError::validation("csv: the file is not UTF-8 text"))?;
    Ok(Json(
        s.services
            .import_orders_csv(&auth.actor, text)
            .await?
            .into(),
    ))
}

/// A customer's proof that they placed an order.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    pub number: String,
    /// The delivery postcode (any notation) or the order's email address.
    pub postcode_or_email: String,
}

/// Checks an unverified customer's claim to an order (what the bot asks:
/// order number plus postcode or email). The order when both match; 404
/// for anything wrong, so a guess learns nothing.
#[utoipa::path(post, path = "/api/v1/orders/verify", tag = "orders", request_body = VerifyRequest,
    responses((status = 200, body = Order), (status = 404, body = ErrorBody)))]
pub async fn verify_order(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<VerifyRequest>,
) -> ApiResult<Json<Order>> {
    s.services
        .find_order_for_verification(auth.actor.account_id, &r.number, &r.postcode_or_email)
        .await?
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

/// The contact's orders, newest first: every order carrying one of its
/// identities (email, phone, shop customer id).
#[utoipa::path(get, path = "/api/v1/contacts/{id}/orders", tag = "contacts", params(("id" = i64, Path), ListParams),
    responses((status = 200, body = PageOf<Order>), (status = 404, body = ErrorBody)))]
pub async fn contact_orders(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Order>>> {
    Ok(Json(
        s.services
            .contact_orders(&auth.actor, id, p.page()?)
            .await?
            .into(),
    ))
}

/// The connector to the shop's order system, as an admin sets it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRequest {
    /// `shopify` or `woocommerce`.
    pub kind: String,
    /// The shop's address: `https://mijnshop.myshopify.com` or the
    /// WordPress site `https://mijnshop.nl`.
    pub base_url: String,
    /// Shopify: an Admin API access token with `read_orders` and
    /// `read_customers`.
    pub access_token: Option<String>,
    /// WooCommerce: a REST API key with read access.
    pub consumer_key: Option<String>,
    pub consumer_secret: Option<String>,
}

/// The configured connector; its credentials are never shown.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectorResponse {
    pub kind: String,
    pub base_url: String,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<ConnectorInfo> for ConnectorResponse {
    fn from(c: ConnectorInfo) -> Self {
        ConnectorResponse {
            kind: c.kind,
            base_url: c.base_url,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

/// The account's connector to Shopify or WooCommerce (404 if none).
#[utoipa::path(get, path = "/api/v1/commerce/connector", tag = "commerce",
    responses((status = 200, body = ConnectorResponse), (status = 404, body = ErrorBody)))]
pub async fn get_connector(
    State(s): State<AppState>,
    auth: Auth,
) -> ApiResult<Json<ConnectorResponse>> {
    Ok(Json(
        s.services
            .commerce_connector_info(&auth.actor)
            .await?
            .into(),
    ))
}

/// Sets the account's connector (admins only), replacing any earlier one.
#[utoipa::path(put, path = "/api/v1/commerce/connector", tag = "commerce", request_body = ConnectorRequest,
    responses((status = 200, body = ConnectorResponse), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_connector(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<ConnectorRequest>,
) -> ApiResult<Json<ConnectorResponse>> {
    let input = ConnectorInput {
        kind: r.kind,
        base_url: r.base_url,
        access_token: r.access_token,
        consumer_key: r.consumer_key,
        consumer_secret: r.consumer_secret,
    };
    Ok(Json(
        s.services
            .set_commerce_connector(&auth.actor, &input)
            .await?
            .into(),
    ))
}

/// Removes the account's connector (admins only).
#[utoipa::path(delete, path = "/api/v1/commerce/connector", tag = "commerce",
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_connector(State(s): State<AppState>, auth: Auth) -> ApiResult<StatusCode> {
    s.services.delete_commerce_connector(&auth.actor).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What to fetch from the shop: one order, or a customer's orders.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncRequest {
    pub number: Option<String>,
    pub email: Option<String>,
}

/// The orders fetched and stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    pub data: Vec<Order>,
}

/// Fetches an order (by `number`) or a customer's orders (by `email`) from
/// the connected shop and stores them. 404 if the shop does not know the
/// order, 409 `not_configured` without a connector, 502 `upstream_failed`
/// when the shop's API fails.
#[utoipa::path(post, path = "/api/v1/commerce/sync", tag = "commerce", request_body = SyncRequest,
    responses((status = 200, body = SyncResponse), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn sync(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<SyncRequest>,
) -> ApiResult<Json<SyncResponse>> {
    let data = match (r.number, r.email) {
        (Some(number), None) => vec![s.services.sync_order(&auth.actor, &number).await?.order],
        (None, Some(email)) => s
            .services
            .sync_orders_for_email(&auth.actor, &email)
            .await?
            .into_iter()
            .map(|u| u.order)
            .collect(),
        _ => return Err(ApiError::validation("give either number or email")),
    };
    Ok(Json(SyncResponse { data }))
}
