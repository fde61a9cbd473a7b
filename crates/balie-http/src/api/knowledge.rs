//! The knowledge base under /api/v1: admins write help articles in Dutch
//! and English, every agent reads them, and the search shows what the bot
//! would answer a customer with.

use axum::extract::State;
use axum::http::StatusCode;
use balie_domain::Timestamp;
use balie_nlu::language::{detect_language, Language};
use balie_services::knowledge::{KnowledgeInput, KnowledgePatch, KnowledgeQuery, MAX_SEARCH_HITS};
use balie_services::ServiceError;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{ListParams, PageOf};
use crate::auth::Auth;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{double_option, Json, Path, Query};
use crate::AppState;

/// Adds the knowledge-base endpoints to the API router.
pub fn register(router: OpenApiRouter<AppState>) -> OpenApiRouter<AppState> {
    router
        .routes(routes!(list_articles, create_article))
        .routes(routes!(get_article, update_article, delete_article))
        .routes(routes!(search))
}

/// A help article. A language is there when both its title and body are;
/// at least one language is.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeArticle {
    pub id: i64,
    pub account_id: i64,
    #[schema(example = "Verzending naar België")]
    pub title_nl: Option<String>,
    pub body_nl: Option<String>,
    #[schema(example = "Shipping to Belgium")]
    pub title_en: Option<String>,
    pub body_en: Option<String>,
    /// Free text both languages share: synonyms, other spellings.
    #[schema(example = "België Belgium bpost levertijd")]
    pub keywords: Option<String>,
    /// Only published articles are searched; drafts are not.
    pub published: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

impl From<balie_storage::knowledge::KnowledgeArticle> for KnowledgeArticle {
    fn from(a: balie_storage::knowledge::KnowledgeArticle) -> Self {
        KnowledgeArticle {
            id: a.id,
            account_id: a.account_id,
            title_nl: a.title_nl,
            body_nl: a.body_nl,
            title_en: a.title_en,
            body_en: a.body_en,
            keywords: a.keywords,
            published: a.published,
            created_at: a.created_at,
            updated_at: a.updated_at,
        }
    }
}

/// A new article: a title and a body in Dutch, English or both. Texts are
/// trimmed; an empty text counts as absent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewKnowledgeArticleRequest {
    /// At most 200 characters; required with `body_nl`.
    #[schema(example = "Verzending naar België")]
    pub title_nl: Option<String>,
    /// Plain text, at most 20,000 characters; required with `title_nl`.
    #[schema(example = "We bezorgen in heel België met bpost, binnen 1 tot 2 werkdagen.")]
    pub body_nl: Option<String>,
    /// At most 200 characters; required with `body_en`.
    pub title_en: Option<String>,
    /// Plain text, at most 20,000 characters; required with `title_en`.
    pub body_en: Option<String>,
    /// At most 1,000 characters.
    pub keywords: Option<String>,
    /// Default `false`: a draft.
    #[serde(default)]
    pub published: bool,
}

/// Changes to an article: a field left out is kept, `null` (or `""`)
/// clears it. The result must still have a complete language.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KnowledgeArticlePatchRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub title_nl: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub body_nl: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub title_en: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub body_en: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub keywords: Option<Option<String>>,
    pub published: Option<bool>,
}

/// Cursor pagination and a filter.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeListParams {
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// Page size, 1 to 1000 (default 50).
    pub limit: Option<i64>,
    /// `true`: only published articles; `false`: only drafts.
    pub published: Option<bool>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeSearchParams {
    /// The customer's question, at most 1,000 characters.
    #[param(example = "hoe lang duurt de levering naar België?")]
    pub q: String,
    /// `nl` or `en`: the customer's language. Default: detected from `q`
    /// (Dutch when unclear).
    pub lang: Option<String>,
    /// Hits to return, 1 to 20 (default 5).
    pub limit: Option<i64>,
}

/// An article that answers the question.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeHit {
    pub article_id: i64,
    /// The language of `title` and `answer`: the asked one, or the other one
    /// (ranked lower) when the article is not written in the asked language.
    #[schema(example = "nl")]
    pub language: String,
    pub title: String,
    /// The body, cut to about 600 characters at the end of a sentence.
    pub answer: String,
    /// Relevance from 0 to 1. At 0.6 or more the top hit answers the
    /// question; below 0.35 it hardly relates.
    #[schema(example = 0.82)]
    pub score: f32,
}

/// The hits of a search, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeSearchResult {
    /// The language searched in: `lang`, or the one detected in `q`.
    #[schema(example = "nl")]
    pub language: String,
    pub data: Vec<KnowledgeHit>,
}

/// Lists the account's articles, newest first. Every agent may read them,
/// drafts included.
#[utoipa::path(get, path = "/api/v1/knowledge/articles", tag = "knowledge", params(KnowledgeListParams),
    responses((status = 200, body = PageOf<KnowledgeArticle>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_articles(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<KnowledgeListParams>,
) -> ApiResult<Json<PageOf<KnowledgeArticle>>> {
    let page = ListParams {
        cursor: p.cursor,
        limit: p.limit,
    }
    .page()?;
    let query = KnowledgeQuery {
        published: p.published,
    };
    let page = s.services.list_knowledge(&auth.actor, query, page).await?;
    Ok(Json(PageOf {
        data: page.data.into_iter().map(Into::into).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Adds an article (admins only).
#[utoipa::path(post, path = "/api/v1/knowledge/articles", tag = "knowledge", request_body = NewKnowledgeArticleRequest,
    responses((status = 201, body = KnowledgeArticle), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_article(
    State(s): State<AppState>,
    auth: Auth,
    Json(r): Json<NewKnowledgeArticleRequest>,
) -> ApiResult<(StatusCode, Json<KnowledgeArticle>)> {
    let input = KnowledgeInput {
        title_nl: r.title_nl,
        body_nl: r.body_nl,
        title_en: r.title_en,
        body_en: r.body_en,
        keywords: r.keywords,
        published: r.published,
    };
    let article = s.services.create_knowledge(&auth.actor, input).await?;
    Ok((StatusCode::CREATED, Json(article.into())))
}

/// One article.
#[utoipa::path(get, path = "/api/v1/knowledge/articles/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 200, body = KnowledgeArticle), (status = 404, body = ErrorBody)))]
pub async fn get_article(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<Json<KnowledgeArticle>> {
    Ok(Json(
        s.services.get_knowledge(&auth.actor, id).await?.into(),
    ))
}

/// Changes an article (admins only).
#[utoipa::path(patch, path = "/api/v1/knowledge/articles/{id}", tag = "knowledge", params(("id" = i64, Path)), request_body = KnowledgeArticlePatchRequest,
    responses((status = 200, body = KnowledgeArticle), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_article(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
    Json(r): Json<KnowledgeArticlePatchRequest>,
) -> ApiResult<Json<KnowledgeArticle>> {
    let patch = KnowledgePatch {
        title_nl: r.title_nl,
        body_nl: r.body_nl,
        title_en: r.title_en,
        body_en: r.body_en,
        keywords: r.keywords,
        published: r.published,
    };
    Ok(Json(
        s.services
            .update_knowledge(&auth.actor, id, patch)
            .await?
            .into(),
    ))
}

/// Deletes an article (admins only).
#[utoipa::path(delete, path = "/api/v1/knowledge/articles/{id}", tag = "knowledge", params(("id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_article(
    State(s): State<AppState>,
    auth: Auth,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    s.services.delete_knowledge(&auth.actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the bot would find for a customer's question: the published
/// articles that answer it best, with a score from 0 to 1.
#[utoipa::path(get, path = "/api/v1/knowledge/search", tag = "knowledge", params(KnowledgeSearchParams),
    responses((status = 200, body = KnowledgeSearchResult), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(s): State<AppState>,
    auth: Auth,
    Query(p): Query<KnowledgeSearchParams>,
) -> ApiResult<Json<KnowledgeSearchResult>> {
    let (language, hits) = search_for(&s, auth.actor.account_id, &p).await?;
    Ok(Json(KnowledgeSearchResult {
        language: language.code().to_string(),
        data: hits
            .into_iter()
            .map(|h| KnowledgeHit {
                article_id: h.article_id,
                language: h.language.code().to_string(),
                title: h.title,
                answer: h.answer,
                score: h.score,
            })
            .collect(),
    }))
}

/// Checks the parameters of a search and runs it; shared with the settings
/// page.
pub async fn search_for(
    s: &AppState,
    account_id: i64,
    p: &KnowledgeSearchParams,
) -> Result<(Language, Vec<balie_services::knowledge::KnowledgeHit>), ServiceError> {
    if p.q.trim().is_empty() {
        return Err(ServiceError::invalid("q", "must not be empty"));
    }
    if p.q.chars().count() > 1000 {
        return Err(ServiceError::invalid("q", "at most 1000 characters"));
    }
    let language = match p.lang.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
        None => detect_language(&p.q, Language::Nl).language,
        Some(l) => match l.to_ascii_lowercase().as_str() {
            "nl" => Language::Nl,
            "en" => Language::En,
            _ => return Err(ServiceError::invalid("lang", "must be \"nl\" or \"en\"")),
        },
    };
    let limit = p.limit.unwrap_or(5);
    if !(1..=MAX_SEARCH_HITS as i64).contains(&limit) {
        return Err(ServiceError::invalid(
            "limit",
            format!("must be between 1 and {MAX_SEARCH_HITS}"),
        ));
    }
    let hits = s
        .services
        .search_knowledge(account_id, language, &p.q, limit as usize)
        .await?;
    Ok((language, hits))
}
