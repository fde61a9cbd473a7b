//! Canned responses under /api/v1: admins manage them, agents list them and
//! have one filled in for a conversation.

use axum::extract::State;
use axum::http::StatusCode;
use balie_domain::Timestamp;
use balie_services::canned::{CannedInput, CannedPatch, CannedQuery};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::PageOf;
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{double_option, Json, Path, Query};
use crate::AppState;

/// A ready-made reply. `text` may hold variables: `{{contact.first_name}}`,
/// `{{contact.name}}`, `{{agent.first_name}}`, `{{agent.name}}`,
/// `{{conversation.id}}`; unknown ones are left as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct CannedResponse {
    pub id: i64,
    pub account_id: i64,
    /// Short name agents type after `/`: `a-z`, `0-9`, `-`, `_`; unique in
    /// the account.
    #[schema(example = "levertijd")]
    pub code: String,
    pub title: String,
    pub text: String,
    /// `nl`, `en`, or null for any language.
    #[schema(example = "nl")]
    pub language: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<balie_storage::canned::CannedResponse> for CannedResponse {
    fn from(c: balie_storage::canned::CannedResponse) -> Self {
        CannedResponse {
            id: c.id,
            account_id: c.account_id,
            code: c.code,
            title: c.title,
            text: c.text,
            language: c.language,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCannedRequest {
    /// 1 to 40 of `a-z`, `0-9`, `-`, `_` (trimmed and lowercased).
    #[schema(example = "levertijd")]
    pub code: String,
    /// At most 100 characters.
    pub title: String,
    /// At most 5,000 characters, with variables.
    #[schema(example = "Hoi {{contact.first_name}}, je pakket komt morgen.")]
    pub text: String,
    /// `nl`, `en`, or null/absent for any language.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CannedPatchRequest {
    pub code: Option<String>,
    pub title: Option<String>,
    pub text: Option<String>,
    /// `nl`, `en`, or null for any language; absent keeps it.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub language: Option<Option<String>>,
}

/// Filters of the list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CannedListParams {
    /// Part of the code or title, in any case.
    pub q: Option<String>,
    /// `nl` or `en`: only canned responses in that language or in any.
    pub language: Option<String>,
}

/// A canned response filled in for one conversation.
#[derive(Debug, Serialize, ToSchema)]
pub struct RenderedCanned {
    /// Plain text (not HTML), ready for the reply box.
    #[schema(example = "Hoi Emma, je pakket komt morgen.")]
    pub text: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RenderParams {
    /// `nl` or `en`: the word for a customer without a name ("klant" or
    /// "customer") when the canned response fits any language. Default `nl`.
    pub lang: Option<String>,
}

/// Lists the account's canned responses by code (all of them: an account
/// has at most 500). Every agent may read them.
#[utoipa::path(get, path = "/api/v1/canned-responses", tag = "canned-responses", params(CannedListParams),
    responses((status = 200, body = PageOf<CannedResponse>), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_canned(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<CannedListParams>,
) -> ApiResult<Json<PageOf<CannedResponse>>> {
    let query = CannedQuery {
        q: p.q,
        language: p.language,
    };
    let data = s.services.list_canned(&auth.actor, &query).await?;
    Ok(Json(PageOf {
        data: data.into_iter().map(Into::into).collect(),
        next_cursor: None,
    }))
}

/// Adds a canned response (admins only).
#[utoipa::path(post, path = "/api/v1/canned-responses", tag = "canned-responses", request_body = NewCannedRequest,
    responses((status = 201, body = CannedResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_canned(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewCannedRequest>,
) -> ApiResult<(StatusCode, Json<CannedResponse>)> {
    let input = CannedInput {
        code: r.code,
        title: r.title,
        text: r.text,
        language: r.language,
    };
    let canned = s.services.create_canned(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(canned.into())))
}

/// One canned response.
#[utoipa::path(get, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = i64, Path)),
    responses((status = 200, body = CannedResponse), (status = 404, body = ErrorBody)))]
pub async fn get_canned(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<CannedResponse>> {
    Ok(Json(s.services.get_canned(&auth.actor, id).await?.into()))
}

/// Changes a canned response (admins only).
#[utoipa::path(patch, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = i64, Path)), request_body = CannedPatchRequest,
    responses((status = 200, body = CannedResponse), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_canned(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<CannedPatchRequest>,
) -> ApiResult<Json<CannedResponse>> {
    let patch = CannedPatch {
        code: r.code,
        title: r.title,
        text: r.text,
        language: r.language,
    };
    Ok(Json(
        s.services
            .update_canned(&auth.actor, id, patch)
            .await?
            .into(),
    ))
}

/// Deletes a canned response (admins only).
#[utoipa::path(delete, path = "/api/v1/canned-responses/{id}", tag = "canned-responses", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_canned(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.services.delete_canned(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Fills in a canned response for a conversation: its contact and the
/// calling agent. Nothing is sent; the text is for the reply box.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/canned-responses/{canned_id}/render", tag = "canned-responses",
    params(("id" = i64, Path), ("canned_id" = i64, Path), RenderParams),
    responses((status = 200, body = RenderedCanned), (status = 404, body = ErrorBody)))]
pub async fn render_canned(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, canned_id)): Path<(i64, i64)>,
    Query(p): Query<RenderParams>,
) -> ApiResult<Json<RenderedCanned>> {
    let canned = s.services.get_canned(&auth.actor, canned_id).await?;
    let lang = p.lang.as_deref().filter(|l| *l == "en" || *l == "nl");
    let text = s
        .services
        .render_canned(&auth.actor, id, &canned, lang)
        .await?;
    Ok(Json(RenderedCanned { text }))
}
