//! Contacts: identities, search by any identity, the cross-channel timeline,
//! merge and split.

use axum::extract::State;
use axum::http::StatusCode;
use balie_domain::{Contact, ContactMerge, IdentityKind, Message};
use balie_services::contacts::IdentityInput;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::{ListParams, PageOf};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{double_option, Json, Path, Query};
use crate::AppState;

/// An identity as sent by a client; it is stored in normal form.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityRequest {
    pub kind: IdentityKind,
    /// E.g. `06-12345678` for a phone (stored as `+31612345678`).
    pub value: String,
}

impl From<IdentityRequest> for IdentityInput {
    fn from(r: IdentityRequest) -> Self {
        IdentityInput {
            kind: r.kind,
            value: r.value,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewContactRequest {
    pub name: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
    #[serde(default)]
    pub identities: Vec<IdentityRequest>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactPatchRequest {
    /// `null` clears the name.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub name: Option<Option<String>>,
    #[schema(value_type = Option<Object>)]
    pub attributes: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactListParams {
    /// Any identity in any notation (`06-12345678`, `JAN@EXAMPLE.NL`), or
    /// part of a name or identity.
    pub q: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    /// The contact that is merged into this one.
    pub source_contact_id: i64,
}

/// Lists contacts, newest first; `q` searches by identity or name.
#[utoipa::path(get, path = "/api/v1/contacts", tag = "contacts", params(ContactListParams),
    responses((status = 200, body = PageOf<Contact>), (status = 400, body = ErrorBody)))]
pub async fn list_contacts(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ContactListParams>,
) -> ApiResult<Json<PageOf<Contact>>> {
    let page = ListParams {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page()?;
    Ok(Json(
        s.services
            .list_contacts(&auth.actor, p.q.as_deref(), page)
            .await?
            .into(),
    ))
}

/// Creates a contact with identities; each identity must be new.
#[utoipa::path(post, path = "/api/v1/contacts", tag = "contacts", request_body = NewContactRequest,
    responses((status = 201, body = Contact), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_contact(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewContactRequest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    let identities: Vec<IdentityInput> = r.identities.into_iter().map(Into::into).collect();
    let attributes = r.attributes.unwrap_or_else(|| serde_json::json!({}));
    let contact = s
        .services
        .create_contact(&auth.actor, r.name.as_deref(), attributes, &identities)
        .await?;
    Ok((StatusCode::CREATED, Json(contact)))
}

/// One contact with all identities.
#[utoipa::path(get, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)))]
pub async fn get_contact(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(s.services.get_contact(&auth.actor, id).await?))
}

/// Changes a contact's name or custom attributes.
#[utoipa::path(patch, path = "/api/v1/contacts/{id}", tag = "contacts", params(("id" = i64, Path)), request_body = ContactPatchRequest,
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_contact(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<ContactPatchRequest>,
) -> ApiResult<Json<Contact>> {
    let name = r.name.as_ref().map(|n| n.as_deref());
    Ok(Json(
        s.services
            .update_contact(&auth.actor, id, name, r.attributes)
            .await?,
    ))
}

/// Adds an identity; 409 if another contact has it (merge them instead).
#[utoipa::path(post, path = "/api/v1/contacts/{id}/identities", tag = "contacts", params(("id" = i64, Path)), request_body = IdentityRequest,
    responses((status = 201, body = Contact), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_identity(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<IdentityRequest>,
) -> ApiResult<(StatusCode, Json<Contact>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.add_identity(&auth.actor, id, &r.into()).await?),
    ))
}

/// Removes an identity from a contact.
#[utoipa::path(delete, path = "/api/v1/contacts/{id}/identities/{identity_id}", tag = "contacts",
    params(("id" = i64, Path), ("identity_id" = i64, Path)),
    responses((status = 200, body = Contact), (status = 404, body = ErrorBody)))]
pub async fn remove_identity(
    State(s): State<AppState>,
    auth: Auth,
    Path((id, identity_id)): Path<(i64, i64)>,
) -> ApiResult<Json<Contact>> {
    Ok(Json(
        s.services
            .remove_identity(&auth.actor, id, identity_id)
            .await?,
    ))
}

/// The contact's whole history: every message on every channel in every
/// conversation, oldest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/timeline", tag = "contacts", params(("id" = i64, Path), ListParams),
    responses((status = 200, body = PageOf<Message>), (status = 404, body = ErrorBody)))]
pub async fn timeline(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Message>>> {
    Ok(Json(
        s.services
            .contact_timeline(&auth.actor, id, p.page()?)
            .await?
            .into(),
    ))
}

/// Merges another contact into this one: its identities and conversations
/// move here. Audited; a split undoes it.
#[utoipa::path(post, path = "/api/v1/contacts/{id}/merges", tag = "contacts", params(("id" = i64, Path)), request_body = MergeRequest,
    responses((status = 201, body = ContactMerge), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn merge(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<MergeRequest>,
) -> ApiResult<(StatusCode, Json<ContactMerge>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.services
                .merge_contacts(&auth.actor, id, r.source_contact_id)
                .await?,
        ),
    ))
}

/// The merges this contact took part in, newest first.
#[utoipa::path(get, path = "/api/v1/contacts/{id}/merges", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ContactMerge>), (status = 404, body = ErrorBody)))]
pub async fn list_merges(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Vec<ContactMerge>>> {
    Ok(Json(s.services.merges_of_contact(&auth.actor, id).await?))
}

/// Undoes a merge: the source contact gets back what the merge moved.
#[utoipa::path(post, path = "/api/v1/contact-merges/{id}/split", tag = "contacts", params(("id" = i64, Path)),
    responses((status = 200, body = ContactMerge), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn split(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<ContactMerge>> {
    Ok(Json(s.services.split_merge(&auth.actor, id).await?))
}
