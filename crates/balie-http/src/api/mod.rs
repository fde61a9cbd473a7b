//! The JSON API under `/api/v1`. Each handler carries its OpenAPI
//! description; [`routes`] collects them, so the document cannot miss a
//! route.

pub(crate) mod bot;
mod canned;
mod contacts;
mod conversations;
mod directory;
pub(crate) mod knowledge;
mod orders;
mod session;

use balie_services::{Page, PageRequest};
use serde::{Deserialize, Serialize};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiResult, ErrorBody};
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "Balie API", description = "Omnichannel customer service for webshops: agents, teams, inboxes, contacts with all their identities, conversations across channels, and the event log.", license(name = "AGPL-3.0-or-later")),
    modifiers(&SecurityAddon),
    security(("bearer" = []), ("session" = [])),
    components(schemas(ErrorBody)),
    tags(
        (name = "auth", description = "Login sessions and API tokens"),
        (name = "agents"), (name = "teams"), (name = "inboxes"),
        (name = "contacts", description = "One customer, one history"),
        (name = "conversations", description = "Threads across channels"),
        (name = "events", description = "Everything that happened, in order"),
        (name = "canned-responses", description = "Ready-made replies with variables"),
        (name = "bot", description = "The self-service bot: examples, answers, retraining, the automation report"),
        (name = "knowledge", description = "Help articles in Dutch and English that the bot searches"),
    )
)]
struct ApiDoc;

struct SecurityAddon;

impl Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// Every API route with its documentation.
pub fn routes() -> OpenApiRouter<AppState> {
    let router = OpenApiRouter::with_openapi(ApiDoc::openapi());
    let router = bot::register(router);
    let router = knowledge::register(orders::register(router));
    router
        .routes(routes!(session::login))
        .routes(routes!(session::logout))
        .routes(routes!(session::me))
        .routes(routes!(session::create_api_token))
        .routes(routes!(directory::list_agents, directory::create_agent))
        .routes(routes!(directory::get_agent, directory::update_agent))
        .routes(routes!(directory::list_teams, directory::create_team))
        .routes(routes!(
            directory::get_team,
            directory::update_team,
            directory::delete_team
        ))
        .routes(routes!(directory::list_inboxes, directory::create_inbox))
        .routes(routes!(directory::get_inbox, directory::update_inbox))
        .routes(routes!(contacts::list_contacts, contacts::create_contact))
        .routes(routes!(contacts::get_contact, contacts::update_contact))
        .routes(routes!(contacts::add_identity))
        .routes(routes!(contacts::remove_identity))
        .routes(routes!(contacts::timeline))
        .routes(routes!(contacts::merge, contacts::list_merges))
        .routes(routes!(contacts::split))
        .routes(routes!(
            conversations::list_conversations,
            conversations::create_conversation
        ))
        .routes(routes!(
            conversations::get_conversation,
            conversations::update_conversation
        ))
        .routes(routes!(
            conversations::list_messages,
            conversations::add_message
        ))
        .routes(routes!(conversations::inbound))
        .routes(routes!(conversations::attachment))
        .routes(routes!(conversations::events))
        .routes(routes!(canned::list_canned, canned::create_canned))
        .routes(routes!(
            canned::get_canned,
            canned::update_canned,
            canned::delete_canned
        ))
        .routes(routes!(canned::render_canned))
}

/// One page of results.
#[derive(Debug, Serialize, ToSchema)]
pub struct PageOf<T> {
    pub data: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

impl<T> From<Page<T>> for PageOf<T> {
    fn from(p: Page<T>) -> Self {
        PageOf {
            data: p.data,
            next_cursor: p.next_cursor,
        }
    }
}

/// Cursor pagination.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<i64>,
}

impl ListParams {
    pub fn page(&self) -> ApiResult<PageRequest> {
        Ok(PageRequest::new(self.cursor.as_deref(), self.limit)?)
    }
}
