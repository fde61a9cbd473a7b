//! Orders under /api/v1 (being written).

use utoipa_axum::router::OpenApiRouter;

use crate::AppState;

/// Adds the order endpoints to the API router.
pub fn register(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
}
