//! Agents, teams and inboxes.

use axum::extract::State;
use axum::http::StatusCode;
use balie_domain::{Agent, Channel, Inbox, Presence, Role, Team};
use balie_services::directory::{AgentInput, AgentPatch};
use serde::Deserialize;
use utoipa::ToSchema;

use super::{ListParams, PageOf};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{Json, Path, Query};
use crate::AppState;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAgentRequest {
    pub email: String,
    pub name: String,
    #[serde(default = "default_role")]
    pub role: Role,
    /// Lets the agent log in; at least 8 characters.
    pub password: Option<String>,
}

fn default_role() -> Role {
    Role::Agent
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AgentPatchRequest {
    pub name: Option<String>,
    pub role: Option<Role>,
    pub presence: Option<Presence>,
    pub active: Option<bool>,
    pub password: Option<String>,
}

/// Lists the account's agents, newest first.
#[utoipa::path(get, path = "/api/v1/agents", tag = "agents", params(ListParams),
    responses((status = 200, body = PageOf<Agent>), (status = 401, body = ErrorBody)))]
pub async fn list_agents(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Agent>>> {
    Ok(Json(
        s.services.list_agents(&auth.actor, p.page()?).await?.into(),
    ))
}

/// Adds an agent (admins only).
#[utoipa::path(post, path = "/api/v1/agents", tag = "agents", request_body = NewAgentRequest,
    responses((status = 201, body = Agent), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_agent(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewAgentRequest>,
) -> ApiResult<(StatusCode, Json<Agent>)> {
    let input = AgentInput {
        email: r.email,
        name: r.name,
        role: r.role,
        password: r.password,
    };
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_agent(&auth.actor, input).await?),
    ))
}

/// One agent.
#[utoipa::path(get, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = i64, Path)),
    responses((status = 200, body = Agent), (status = 404, body = ErrorBody)))]
pub async fn get_agent(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Agent>> {
    Ok(Json(s.services.get_agent(&auth.actor, id).await?))
}

/// Changes an agent. Admins change anyone; agents their own name, presence
/// and password.
#[utoipa::path(patch, path = "/api/v1/agents/{id}", tag = "agents", params(("id" = i64, Path)), request_body = AgentPatchRequest,
    responses((status = 200, body = Agent), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_agent(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<AgentPatchRequest>,
) -> ApiResult<Json<Agent>> {
    let patch = AgentPatch {
        name: r.name,
        role: r.role,
        presence: r.presence,
        active: r.active,
        password: r.password,
    };
    Ok(Json(s.services.update_agent(&auth.actor, id, patch).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTeamRequest {
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TeamPatchRequest {
    pub name: Option<String>,
    #[serde(default)]
    pub add_member_ids: Vec<i64>,
    #[serde(default)]
    pub remove_member_ids: Vec<i64>,
}

/// Lists teams.
#[utoipa::path(get, path = "/api/v1/teams", tag = "teams", params(ListParams),
    responses((status = 200, body = PageOf<Team>), (status = 401, body = ErrorBody)))]
pub async fn list_teams(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Team>>> {
    Ok(Json(
        s.services.list_teams(&auth.actor, p.page()?).await?.into(),
    ))
}

/// Creates a team (admins only).
#[utoipa::path(post, path = "/api/v1/teams", tag = "teams", request_body = NewTeamRequest,
    responses((status = 201, body = Team), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_team(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewTeamRequest>,
) -> ApiResult<(StatusCode, Json<Team>)> {
    Ok((
        StatusCode::CREATED,
        Json(s.services.create_team(&auth.actor, &r.name).await?),
    ))
}

/// One team with its members.
#[utoipa::path(get, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = i64, Path)),
    responses((status = 200, body = Team), (status = 404, body = ErrorBody)))]
pub async fn get_team(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Team>> {
    Ok(Json(s.services.get_team(&auth.actor, id).await?))
}

/// Renames a team or changes its members (admins only).
#[utoipa::path(patch, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = i64, Path)), request_body = TeamPatchRequest,
    responses((status = 200, body = Team), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_team(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<TeamPatchRequest>,
) -> ApiResult<Json<Team>> {
    let team = s
        .services
        .update_team(
            &auth.actor,
            id,
            r.name.as_deref(),
            &r.add_member_ids,
            &r.remove_member_ids,
        )
        .await?;
    Ok(Json(team))
}

/// Deletes a team; its conversations keep their assignee but lose the team.
#[utoipa::path(delete, path = "/api/v1/teams/{id}", tag = "teams", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn delete_team(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.services.delete_team(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInboxRequest {
    pub name: String,
    pub channel: Channel,
    #[serde(default = "empty_object")]
    #[schema(value_type = Object)]
    pub settings: serde_json::Value,
}

fn empty_object() -> serde_json::Value {
    serde_json::json!({})
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboxPatchRequest {
    pub name: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub settings: Option<serde_json::Value>,
}

/// Lists inboxes.
#[utoipa::path(get, path = "/api/v1/inboxes", tag = "inboxes", params(ListParams),
    responses((status = 200, body = PageOf<Inbox>), (status = 401, body = ErrorBody)))]
pub async fn list_inboxes(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<ListParams>,
) -> ApiResult<Json<PageOf<Inbox>>> {
    Ok(Json(
        s.services
            .list_inboxes(&auth.actor, p.page()?)
            .await?
            .into(),
    ))
}

/// Creates an inbox: one channel instance (admins only).
#[utoipa::path(post, path = "/api/v1/inboxes", tag = "inboxes", request_body = NewInboxRequest,
    responses((status = 201, body = Inbox), (status = 422, body = ErrorBody)))]
pub async fn create_inbox(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewInboxRequest>,
) -> ApiResult<(StatusCode, Json<Inbox>)> {
    Ok((
        StatusCode::CREATED,
        Json(
            s.services
                .create_inbox(&auth.actor, &r.name, r.channel, r.settings)
                .await?,
        ),
    ))
}

/// One inbox.
#[utoipa::path(get, path = "/api/v1/inboxes/{id}", tag = "inboxes", params(("id" = i64, Path)),
    responses((status = 200, body = Inbox), (status = 404, body = ErrorBody)))]
pub async fn get_inbox(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<Inbox>> {
    Ok(Json(s.services.get_inbox(&auth.actor, id).await?))
}

/// Renames an inbox or replaces its settings (admins only).
#[utoipa::path(patch, path = "/api/v1/inboxes/{id}", tag = "inboxes", params(("id" = i64, Path)), request_body = InboxPatchRequest,
    responses((status = 200, body = Inbox), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_inbox(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<InboxPatchRequest>,
) -> ApiResult<Json<Inbox>> {
    Ok(Json(
        s.services
            .update_inbox(&auth.actor, id, r.name.as_deref(), r.settings)
            .await?,
    ))
}
