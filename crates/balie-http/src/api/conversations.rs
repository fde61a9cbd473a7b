//! Conversations, their messages, inbound customer messages from any
//! channel, and the event log.

use axum::extract::State;
use axum::http::StatusCode;
use balie_domain::{
    Channel, Conversation, ConversationStatus, Direction, Event, Message, Priority,
};
use balie_services::conversations::{ConversationPatch, InboundMessage, ReplyInput};
use balie_storage::conversations::ConversationFilter;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::contacts::IdentityRequest;
use super::{ListParams, PageOf};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{double_option, Json, Path, Query};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ConversationListParams {
    pub status: Option<ConversationStatus>,
    /// An agent id, `me`, or `none` for unassigned.
    pub assignee: Option<String>,
    pub team_id: Option<i64>,
    pub inbox_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// Conversations with at least one message on this channel.
    pub channel: Option<Channel>,
    pub label: Option<String>,
    pub cursor: Option<String>,
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewConversationRequest {
    pub contact_id: i64,
    pub inbox_id: Option<i64>,
    pub subject: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatchRequest {
    pub status: Option<ConversationStatus>,
    pub priority: Option<Priority>,
    /// `null` unassigns.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub assignee_id: Option<Option<i64>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub team_id: Option<Option<i64>>,
    pub labels: Option<Vec<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub subject: Option<Option<String>>,
    /// Milliseconds since the epoch; needed with status `snoozed`.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>)]
    pub snoozed_until: Option<Option<i64>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewMessageRequest {
    pub text: String,
    /// Defaults to the channel the customer used last.
    pub channel: Option<Channel>,
    /// A private note, seen only by agents.
    #[serde(default)]
    pub private: bool,
    /// `out` (default) for a reply; `in` to log what the customer said on
    /// another channel, such as a phone call.
    #[serde(default = "outbound")]
    pub direction: Direction,
}

fn outbound() -> Direction {
    Direction::Outbound
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundRequest {
    pub channel: Channel,
    pub inbox_id: Option<i64>,
    /// How the sender is known on this channel; at least one.
    pub from: Vec<IdentityRequest>,
    /// The sender's display name, if the channel gives one.
    pub name: Option<String>,
    pub text: String,
    /// The channel's id of this message; a redelivery is stored once.
    pub external_id: Option<String>,
    pub conversation_id: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboundResponse {
    pub message: Message,
    pub conversation: Conversation,
    pub contact_id: i64,
    pub created_contact: bool,
    pub created_conversation: bool,
    pub duplicate: bool,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventParams {
    /// Return events with a larger id (0 for the first).
    #[serde(default)]
    pub after: i64,
    pub conversation_id: Option<i64>,
    pub contact_id: Option<i64>,
    /// 1 to 1000, default 100.
    pub limit: Option<i64>,
}

/// Lists conversations, newest first, with filters.
#[utoipa::path(get, path = "/api/v1/conversations", tag = "conversations", params(ConversationListParams),
    responses((status = 200, body = PageOf<Conversation>), (status = 400, body = ErrorBody)))]
pub async fn list_conversations(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ConversationListParams>,
) -> ApiResult<Json<PageOf<Conversation>>> {
    let mut filter = ConversationFilter {
        status: p.status,
        team_id: p.team_id,
        inbox_id: p.inbox_id,
        contact_id: p.contact_id,
        channel: p.channel,
        label: p.label.map(|l| l.trim().to_lowercase()),
        ..Default::default()
    };
    match p.assignee.as_deref() {
        None | Some("") => {}
        Some("me") => filter.assignee_id = Some(auth.actor.agent_id),
        Some("none") => filter.unassigned = true,
        Some(other) => {
            filter.assignee_id = Some(other.parse().map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    "assignee must be an agent id, `me` or `none`",
                )
            })?)
        }
    }
    let page = ListParams {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page()?;
    Ok(Json(
        s.services
            .list_conversations(&auth.actor, &filter, page)
            .await?
            .into(),
    ))
}

/// Opens a conversation with a contact.
#[utoipa::path(post, path = "/api/v1/conversations", tag = "conversations", request_body = NewConversationRequest,
    responses((status = 201, body = Conversation), (status = 422, body = ErrorBody)))]
pub async fn create_conversation(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewConversationRequest>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    let c = s
        .services
        .create_conversation(&auth.actor, r.contact_id, r.inbox_id, r.subject.as_deref())
        .await?;
    Ok((StatusCode::CREATED, Json(c)))
}

/// One conversation.
#[utoipa::path(get, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, body = Conversation), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Conversation>> {
    Ok(Json(s.services.get_conversation(&auth.actor, id).await?))
}

/// Resolves, snoozes, reopens, assigns, transfers to a team, labels or
/// reprioritises a conversation.
#[utoipa::path(patch, path = "/api/v1/conversations/{id}", tag = "conversations", params(("id" = i64, Path)),
    request_body = ConversationPatchRequest,
    responses((status = 200, body = Conversation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_conversation(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<ConversationPatchRequest>,
) -> ApiResult<Json<Conversation>> {
    let patch = ConversationPatch {
        status: r.status,
        priority: r.priority,
        assignee_id: r.assignee_id,
        team_id: r.team_id,
        labels: r.labels,
        subject: r.subject,
        snoozed_until: r.snoozed_until,
    };
    Ok(Json(
        s.services
            .update_conversation(&auth.actor, id, patch)
            .await?,
    ))
}

/// Messages of a conversation, oldest first, on every channel.
#[utoipa::path(get, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = i64, Path), ListParams),
    responses((status = 200, body = PageOf<Message>), (status = 404, body = ErrorBody)))]
pub async fn list_messages(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Message>>> {
    Ok(Json(
        s.services
            .list_messages(&auth.actor, id, p.page()?)
            .await?
            .into(),
    ))
}

/// Writes in a conversation as the calling agent: a reply, a private note,
/// or a logged call.
#[utoipa::path(post, path = "/api/v1/conversations/{id}/messages", tag = "conversations", params(("id" = i64, Path)),
    request_body = NewMessageRequest,
    responses((status = 201, body = Message), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_message(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<NewMessageRequest>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let input = ReplyInput {
        text: r.text,
        channel: r.channel,
        private: r.private,
        direction: r.direction,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.services.add_message(&auth.actor, id, input).await?),
    ))
}

/// Takes in a customer's message from any channel: finds the contact by any
/// identity (or creates one), continues their open conversation whatever
/// the channel, and stores the message durably before answering.
#[utoipa::path(post, path = "/api/v1/messages/inbound", tag = "conversations", request_body = InboundRequest,
    responses((status = 201, body = InboundResponse), (status = 200, description = "Seen before (same external_id)", body = InboundResponse),
        (status = 422, body = ErrorBody)))]
pub async fn inbound(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<InboundRequest>,
) -> ApiResult<(StatusCode, Json<InboundResponse>)> {
    let input = InboundMessage {
        inbox_id: r.inbox_id,
        channel: r.channel,
        from: r.from.into_iter().map(Into::into).collect(),
        name: r.name,
        text: r.text,
        external_id: r.external_id,
        conversation_id: r.conversation_id,
        attachments: Vec::new(),
        known_contact_id: None,
    };
    let got = s.services.ingest(auth.actor.account_id, input).await?;
    let status = if got.duplicate {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((
        status,
        Json(InboundResponse {
            message: got.message,
            conversation: got.conversation,
            contact_id: got.contact_id,
            created_contact: got.created_contact,
            created_conversation: got.created_conversation,
            duplicate: got.duplicate,
        }),
    ))
}

/// The bytes of a file a customer sent (images inline, others as download).
#[utoipa::path(get, path = "/api/v1/attachments/{id}", tag = "conversations", params(("id" = i64, Path)),
    responses((status = 200, description = "The file", content_type = "application/octet-stream"), (status = 404, body = ErrorBody)))]
pub async fn attachment(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<axum::response::Response> {
    let (meta, data) = s
        .services
        .attachment(auth.actor.account_id, id, None)
        .await?;
    Ok(crate::widget::attachment_response(&meta, data))
}

/// Events after a given id, oldest first: resume from the last id you saw.
#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(EventParams),
    responses((status = 200, body = PageOf<Event>), (status = 400, body = ErrorBody)))]
pub async fn events(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<EventParams>,
) -> ApiResult<Json<PageOf<Event>>> {
    let page = s
        .services
        .events_after(
            &auth.actor,
            p.after,
            p.conversation_id,
            p.contact_id,
            p.limit.unwrap_or(100),
        )
        .await?;
    Ok(Json(page.into()))
}
