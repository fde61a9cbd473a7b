//! The knowledge base: help articles admins write in Dutch, English or both,
//! and the search the self-service bot answers customers with.
//!
//! Every agent reads articles (drafts too); only admins write them, and each
//! change is an event. Search ([`Services::search_knowledge`]) looks only at
//! published articles; the ranking itself is the pure
//! [`balie_nlu::search`] module.
//!
//! Search keeps an index per account in memory ([`KnowledgeCache`]) and
//! checks it against the database on every question with one aggregate
//! query (the [`KnowledgeStamp`]: count, highest id, sum of `updated_at`),
//! so a change made on any node is seen by the next question. Measured
//! (`search_cost` in `balie_nlu::search`, on a busy 2-core machine, articles
//! of 1,500 characters): building an index takes 7 ms for 50 articles,
//! 16 ms for 200 and 45 ms for 500, while a question on a built index takes
//! 0.02–0.15 ms. Rebuilding per question would add the former to every
//! customer message; with the cache a question costs the stamp query and a
//! fraction of a millisecond, and an index is rebuilt only after a change.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use balie_domain::EventKind;
use balie_nlu::language::Language;
use balie_nlu::search::{excerpt, Article, ArticleText, KnowledgeIndex};
use balie_storage::knowledge::{self as store, KnowledgeArticle, KnowledgeFields, KnowledgeStamp};
use serde::Serialize;
use serde_json::json;

use crate::directory::required_text;
use crate::{agent_event, Actor, Page, PageRequest, Pending, Result, ServiceError, Services};

/// An account holds at most this many articles.
pub const MAX_ARTICLES: i64 = 1000;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_BODY_CHARS: usize = 20_000;
pub const MAX_KEYWORDS_CHARS: usize = 1_000;
/// A hit's answer is the body cut to about this many characters, at the end
/// of a sentence.
pub const ANSWER_CHARS: usize = 600;
/// A search returns at most this many hits.
pub const MAX_SEARCH_HITS: usize = 20;
/// A top hit scoring at least this answers the question (see
/// [`Services::search_knowledge`]).
pub const CONFIDENT_SCORE: f32 = 0.6;
/// A hit scoring at least this (and below [`CONFIDENT_SCORE`]) is worth
/// offering as a suggestion, not as the answer.
pub const SUGGEST_SCORE: f32 = 0.35;

/// What an admin fills in for a new article. Empty texts count as absent.
#[derive(Debug, Clone, Default)]
pub struct KnowledgeInput {
    pub title_nl: Option<String>,
    pub body_nl: Option<String>,
    pub title_en: Option<String>,
    pub body_en: Option<String>,
    pub keywords: Option<String>,
    pub published: bool,
}

/// Changes to an article: `None` keeps a field, `Some(None)` (or an empty
/// text) clears it.
#[derive(Debug, Clone, Default)]
pub struct KnowledgePatch {
    pub title_nl: Option<Option<String>>,
    pub body_nl: Option<Option<String>>,
    pub title_en: Option<Option<String>>,
    pub body_en: Option<Option<String>>,
    pub keywords: Option<Option<String>>,
    pub published: Option<bool>,
}

/// Which articles to list.
#[derive(Debug, Clone, Copy, Default)]
pub struct KnowledgeQuery {
    /// Only published articles (`true`) or only drafts (`false`).
    pub published: Option<bool>,
}

/// An article that answers a question.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnowledgeHit {
    pub article_id: i64,
    /// The language of `title` and `answer`: the one asked for, or the other
    /// one when the article is not written in the asked language.
    pub language: Language,
    pub title: String,
    /// The body, cut to about [`ANSWER_CHARS`] characters at the end of a
    /// sentence. Plain text.
    pub answer: String,
    /// Relevance in `[0, 1]`, rounded to three decimals.
    pub score: f32,
}

fn optional_text(field: &str, value: Option<&str>, max_chars: usize) -> Result<Option<String>> {
    match value.map(|v| v.replace("\r\n", "\n")) {
        Some(v) if !v.trim().is_empty() => Ok(Some(required_text(field, &v, max_chars)?)),
        _ => Ok(None),
    }
}

/// The validated fields of an article.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Checked {
    title_nl: Option<String>,
    body_nl: Option<String>,
    title_en: Option<String>,
    body_en: Option<String>,
    keywords: Option<String>,
}

impl Checked {
    fn fields(&self, published: bool) -> KnowledgeFields<'_> {
        KnowledgeFields {
            title_nl: self.title_nl.as_deref(),
            body_nl: self.body_nl.as_deref(),
            title_en: self.title_en.as_deref(),
            body_en: self.body_en.as_deref(),
            keywords: self.keywords.as_deref(),
            published,
        }
    }
}

/// Checks lengths and characters, and that each language has both a title
/// and a body or neither, and at least one language has both.
fn check(
    title_nl: Option<&str>,
    body_nl: Option<&str>,
    title_en: Option<&str>,
    body_en: Option<&str>,
    keywords: Option<&str>,
) -> Result<Checked> {
    let checked = Checked {
        title_nl: optional_text("title_nl", title_nl, MAX_TITLE_CHARS)?,
        body_nl: optional_text("body_nl", body_nl, MAX_BODY_CHARS)?,
        title_en: optional_text("title_en", title_en, MAX_TITLE_CHARS)?,
        body_en: optional_text("body_en", body_en, MAX_BODY_CHARS)?,
        keywords: optional_text("keywords", keywords, MAX_KEYWORDS_CHARS)?,
    };
    for (lang, title, body) in [
        ("nl", &checked.title_nl, &checked.body_nl),
        ("en", &checked.title_en, &checked.body_en),
    ] {
        match (title, body) {
            (Some(_), None) => {
                return Err(ServiceError::invalid(
                    &format!("body_{lang}"),
                    format!("must not be empty when title_{lang} is given"),
                ))
            }
            (None, Some(_)) => {
                return Err(ServiceError::invalid(
                    &format!("title_{lang}"),
                    format!("must not be empty when body_{lang} is given"),
                ))
            }
            _ => {}
        }
    }
    if checked.title_nl.is_none() && checked.title_en.is_none() {
        return Err(ServiceError::invalid(
            "title_nl",
            "an article needs a title and a body in Dutch (title_nl, body_nl), English (title_en, body_en) or both",
        ));
    }
    Ok(checked)
}

/// An article's title in `lang`, else in the other language.
pub fn title_in(article: &KnowledgeArticle, lang: Language) -> &str {
    let (own, other) = match lang {
        Language::Nl => (&article.title_nl, &article.title_en),
        Language::En => (&article.title_en, &article.title_nl),
    };
    own.as_deref().or(other.as_deref()).unwrap_or("")
}

fn text_in(article: &KnowledgeArticle, lang: Language) -> Option<ArticleText<'_>> {
    let (title, body) = match lang {
        Language::Nl => (&article.title_nl, &article.body_nl),
        Language::En => (&article.title_en, &article.body_en),
    };
    Some(ArticleText {
        title: title.as_deref()?,
        body: body.as_deref()?,
    })
}

/// One account's published articles with their search indexes, built on
/// first use per language.
struct CachedIndex {
    stamp: KnowledgeStamp,
    articles: Vec<KnowledgeArticle>,
    nl: OnceLock<KnowledgeIndex>,
    en: OnceLock<KnowledgeIndex>,
}

impl CachedIndex {
    fn index(&self, lang: Language) -> &KnowledgeIndex {
        let cell = match lang {
            Language::Nl => &self.nl,
            Language::En => &self.en,
        };
        cell.get_or_init(|| {
            let articles: Vec<Article<'_>> = self
                .articles
                .iter()
                .map(|a| Article {
                    id: a.id,
                    nl: text_in(a, Language::Nl),
                    en: text_in(a, Language::En),
                    keywords: a.keywords.as_deref().unwrap_or(""),
                })
                .collect();
            KnowledgeIndex::new(&articles, lang)
        })
    }
}

/// Search indexes of the accounts searched last, each valid for one
/// [`KnowledgeStamp`].
#[derive(Default)]
pub struct KnowledgeCache {
    entries: Mutex<CacheEntries>,
}

#[derive(Default)]
struct CacheEntries {
    tick: u64,
    /// Account id → (last use, index).
    map: HashMap<i64, (u64, Arc<CachedIndex>)>,
}

impl KnowledgeCache {
    /// Indexes of at most this many accounts are kept; the least recently
    /// used goes first.
    pub const ACCOUNTS: usize = 256;

    fn get(&self, account_id: i64, stamp: KnowledgeStamp) -> Option<Arc<CachedIndex>> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.tick += 1;
        let tick = entries.tick;
        match entries.map.get_mut(&account_id) {
            Some((used, entry)) if entry.stamp == stamp => {
                *used = tick;
                Some(entry.clone())
            }
            _ => None,
        }
    }

    fn put(
        &self,
        account_id: i64,
        stamp: KnowledgeStamp,
        articles: Vec<KnowledgeArticle>,
    ) -> Arc<CachedIndex> {
        let entry = Arc::new(CachedIndex {
            stamp,
            articles,
            nl: OnceLock::new(),
            en: OnceLock::new(),
        });
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.tick += 1;
        let tick = entries.tick;
        if !entries.map.contains_key(&account_id) && entries.map.len() >= Self::ACCOUNTS {
            let oldest = entries
                .map
                .iter()
                .min_by_key(|(_, (used, _))| *used)
                .map(|(id, _)| *id);
            if let Some(id) = oldest {
                entries.map.remove(&id);
            }
        }
        entries.map.insert(account_id, (tick, entry.clone()));
        entry
    }

    /// Forgets an account's index (after a change made here, to free it
    /// early; the stamp would catch the change anyway).
    fn forget(&self, account_id: i64) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.map.remove(&account_id);
    }
}

impl Services {
    /// The account's articles, newest first. Every agent may read them,
    /// drafts included.
    pub async fn list_knowledge(
        &self,
        actor: &Actor,
        query: KnowledgeQuery,
        page: PageRequest,
    ) -> Result<Page<KnowledgeArticle>> {
        let mut conn = self.store.read().await?;
        let rows = store::list_articles(
            &mut conn,
            actor.account_id,
            query.published,
            page.cursor,
            page.fetch(),
        )
        .await?;
        Ok(Page::from_rows(rows, page.limit, |a| a.id))
    }

    pub async fn get_knowledge(&self, actor: &Actor, id: i64) -> Result<KnowledgeArticle> {
        let mut conn = self.store.read().await?;
        Ok(store::get_article(&mut conn, actor.account_id, id).await?)
    }

    /// Adds an article (admins only).
    pub async fn create_knowledge(
        &self,
        actor: &Actor,
        input: KnowledgeInput,
    ) -> Result<KnowledgeArticle> {
        actor.require_admin()?;
        let checked = check(
            input.title_nl.as_deref(),
            input.body_nl.as_deref(),
            input.title_en.as_deref(),
            input.body_en.as_deref(),
            input.keywords.as_deref(),
        )?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        if store::count_articles(tx.conn(), actor.account_id).await? >= MAX_ARTICLES {
            return Err(ServiceError::Conflict(format!(
                "an account has at most {MAX_ARTICLES} knowledge articles"
            )));
        }
        let article = store::create_article(
            tx.conn(),
            actor.account_id,
            &checked.fields(input.published),
            now,
        )
        .await?;
        self.commit_knowledge_event(tx, actor, EventKind::KnowledgeArticleCreated, &article, now)
            .await?;
        Ok(article)
    }

    /// Changes an article (admins only). The result must still have a
    /// complete language.
    pub async fn update_knowledge(
        &self,
        actor: &Actor,
        id: i64,
        patch: KnowledgePatch,
    ) -> Result<KnowledgeArticle> {
        // 404 before 403: another account's id must not be confirmed.
        let old = self.get_knowledge(actor, id).await?;
        actor.require_admin()?;
        let pick = |new: &Option<Option<String>>, old: &Option<String>| -> Option<String> {
            match new {
                Some(v) => v.clone(),
                None => old.clone(),
            }
        };
        let checked = check(
            pick(&patch.title_nl, &old.title_nl).as_deref(),
            pick(&patch.body_nl, &old.body_nl).as_deref(),
            pick(&patch.title_en, &old.title_en).as_deref(),
            pick(&patch.body_en, &old.body_en).as_deref(),
            pick(&patch.keywords, &old.keywords).as_deref(),
        )?;
        let published = patch.published.unwrap_or(old.published);
        let now = self.now();
        let mut tx = self.store.begin().await?;
        let article = store::update_article(
            tx.conn(),
            actor.account_id,
            id,
            &checked.fields(published),
            now,
        )
        .await?;
        self.commit_knowledge_event(tx, actor, EventKind::KnowledgeArticleUpdated, &article, now)
            .await?;
        Ok(article)
    }

    /// Deletes an article (admins only).
    pub async fn delete_knowledge(&self, actor: &Actor, id: i64) -> Result<()> {
        let old = self.get_knowledge(actor, id).await?;
        actor.require_admin()?;
        let now = self.now();
        let mut tx = self.store.begin().await?;
        store::delete_article(tx.conn(), actor.account_id, id).await?;
        self.commit_knowledge_event(tx, actor, EventKind::KnowledgeArticleDeleted, &old, now)
            .await
    }

    async fn commit_knowledge_event(
        &self,
        mut tx: balie_storage::WriteTx,
        actor: &Actor,
        kind: EventKind,
        article: &KnowledgeArticle,
        now: i64,
    ) -> Result<()> {
        let mut pending = Pending::new(actor.account_id);
        pending
            .append(
                &mut tx,
                agent_event(
                    actor,
                    kind,
                    json!({
                        "knowledge_article_id": article.id,
                        "title": title_in(article, Language::Nl),
                        "published": article.published,
                    }),
                ),
                now,
            )
            .await?;
        pending.commit(tx, self).await?;
        self.knowledge_cache.forget(actor.account_id);
        Ok(())
    }

    /// The published articles of an account that best answer `query`, best
    /// first, at most `limit` (and at most [`MAX_SEARCH_HITS`]).
    ///
    /// `lang` is the customer's language: titles and answers are in it, or
    /// in the other language (ranked lower) for an article not written in
    /// it. The score is in `[0, 1]` (see [`balie_nlu::search`]): `1.0` when
    /// every topic word of the question is in the title, about `0.65` when
    /// each is once in the body, `0.5` or less when half of the question is
    /// about something no article mentions.
    ///
    /// **Threshold.** Answer with the top hit when its score is at least
    /// [`CONFIDENT_SCORE`] (0.6) and at least 0.15 above the runner-up. On
    /// the demo articles and in the tests, right answers score 0.75–1.0
    /// ("hoe lang duurt de levering naar België?" 0.93, "do you ship to
    /// Germany?" 1.0, "Bezorgen jullie ook in Duitsland?" 0.87, "waar kan
    /// ik mijn pakketje ophalen" 0.75), the runners-up 0.4 or less, and a
    /// question on a topic no article covers stays at or below 0.5 ("do you
    /// ship to Sweden?" next to Belgium and Germany: 0.40 for both). Two
    /// articles close together (a bare "verzendkosten": 1.0 and 0.97) mean
    /// the question is ambiguous: offer both titles. From
    /// [`SUGGEST_SCORE`] (0.35) to 0.6, offer the title as a suggestion
    /// ("bedoel je…?") rather than as the answer; below that, hand off.
    ///
    /// Meant for the bot, so it takes the account id rather than an agent.
    pub async fn search_knowledge(
        &self,
        account_id: i64,
        lang: Language,
        query: &str,
        limit: usize,
    ) -> Result<Vec<KnowledgeHit>> {
        let limit = limit.min(MAX_SEARCH_HITS);
        if limit == 0 || query.trim().is_empty() {
            return Ok(Vec::new());
        }
        let entry = {
            let mut conn = self.store.read().await?;
            let stamp = store::knowledge_stamp(&mut conn, account_id).await?;
            match self.knowledge_cache.get(account_id, stamp) {
                Some(entry) => entry,
                None => {
                    let articles =
                        store::list_articles(&mut conn, account_id, Some(true), None, MAX_ARTICLES)
                            .await?;
                    self.knowledge_cache.put(account_id, stamp, articles)
                }
            }
        };
        if entry.articles.is_empty() {
            return Ok(Vec::new());
        }
        // Building an index is CPU work of milliseconds: off the async
        // workers.
        let query = query.to_string();
        let hits = tokio::task::spawn_blocking(move || {
            let hits = entry.index(lang).search(&query, limit);
            hits.into_iter()
                .filter_map(|hit| {
                    let article = entry.articles.iter().find(|a| a.id == hit.id)?;
                    let text = text_in(article, hit.language)?;
                    Some(KnowledgeHit {
                        article_id: article.id,
                        language: hit.language,
                        title: text.title.to_string(),
                        answer: excerpt(text.body, ANSWER_CHARS),
                        score: (hit.score * 1000.0).round() / 1000.0,
                    })
                })
                .collect::<Vec<_>>()
        })
        .await;
        match hits {
            Ok(hits) => Ok(hits),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // Cancelled: the runtime is shutting down.
            Err(_) => Ok(Vec::new()),
        }
    }

    /// Every article of the account, newest first, for the settings page.
    pub async fn all_knowledge(&self, actor: &Actor) -> Result<Vec<KnowledgeArticle>> {
        let page = PageRequest {
            cursor: None,
            limit: MAX_ARTICLES,
        };
        Ok(self
            .list_knowledge(actor, KnowledgeQuery::default(), page)
            .await?
            .data)
    }

    /// Seeds the demo shop's help articles, in Dutch and English.
    pub(crate) async fn seed_demo_knowledge(&self, admin: &Actor) -> Result<()> {
        for (title_nl, body_nl, title_en, body_en, keywords) in DEMO_ARTICLES {
            self.create_knowledge(
                admin,
                KnowledgeInput {
                    title_nl: Some(title_nl.to_string()),
                    body_nl: Some(body_nl.to_string()),
                    title_en: Some(title_en.to_string()),
                    body_en: Some(body_en.to_string()),
                    keywords: Some(keywords.to_string()),
                    published: true,
                },
            )
            .await?;
        }
        Ok(())
    }
}

/// (title nl, body nl, title en, body en, keywords).
const DEMO_ARTICLES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "Verzending naar België",
        "We bezorgen in heel België met bpost. Bestel je op een werkdag voor 22:00 uur, dan is je pakket binnen 1 tot 2 werkdagen bij je. De verzendkosten naar België zijn € 4,95; vanaf € 50 is de levering gratis. Je krijgt een track-and-trace-code per e-mail zodra je pakket onderweg is.",
        "Shipping to Belgium",
        "We deliver all over Belgium with bpost. Order on a working day before 10 pm and your parcel arrives within 1 to 2 working days. Shipping to Belgium costs € 4.95 and is free from € 50. You will receive a tracking code by email as soon as your parcel is on its way.",
        "België Belgium Vlaanderen Brussel bpost levertijd verzendkosten",
    ),
    (
        "Verzending naar Duitsland",
        "Naar Duitsland verzenden we met DHL. Reken op 2 tot 4 werkdagen. De verzendkosten zijn € 6,95; vanaf € 75 verzenden we gratis. Bezorging op een DHL Packstation kan ook: vul dan je Postnummer in bij het adres.",
        "Shipping to Germany",
        "We ship to Germany with DHL. Allow 2 to 4 working days. Shipping costs € 6.95 and is free from € 75. Delivery to a DHL Packstation is possible too: enter your Postnummer with the address.",
        "Duitsland Germany Deutschland DHL Packstation levertijd verzendkosten",
    ),
    (
        "Cadeauverpakking",
        "Geef je iets cadeau? Vink bij het afrekenen 'cadeauverpakking' aan. Voor € 2,50 pakken we je bestelling in met cadeaupapier en een kaartje met jouw tekst. Op de pakbon staan dan geen prijzen.",
        "Gift wrapping",
        "Giving a present? Tick 'gift wrapping' at checkout. For € 2.50 we wrap your order in gift paper with a card carrying your message. The packing slip then shows no prices.",
        "cadeau kado inpakken gift present wrap kaartje",
    ),
    (
        "Maattabel: welke maat past mij?",
        "Bij elk kledingstuk staat een maattabel met de borstomvang, taille en lengte in centimeters. Meet een kledingstuk dat goed past en vergelijk het met de tabel. Twijfel je tussen twee maten, kies dan de grootste: omruilen is gratis binnen 30 dagen.",
        "Size guide: which size fits me?",
        "Every garment has a size chart with chest, waist and length in centimetres. Measure a garment that fits you well and compare it with the chart. In doubt between two sizes, pick the larger one: exchanges are free within 30 days.",
        "maat maten maattabel size sizes fit passen",
    ),
    (
        "Garantie",
        "Op al onze producten zit 2 jaar garantie. Is er iets kapot gegaan? Stuur ons je bestelnummer en een foto van het defect, dan sturen we een nieuw exemplaar of krijg je je geld terug. Schade door verkeerd gebruik valt niet onder de garantie.",
        "Warranty",
        "All our products come with a 2-year warranty. Has something broken? Send us your order number and a photo of the defect and we will send a replacement or refund you. Damage from misuse is not covered by the warranty.",
        "garantie kapot defect stuk warranty broken guarantee",
    ),
    (
        "Afhalen bij een afhaalpunt",
        "Niet thuis? Kies bij het afrekenen een PostNL- of bpost-afhaalpunt bij jou in de buurt. Je krijgt een e-mail zodra je pakket klaarligt; je hebt dan 7 dagen om het op te halen met een geldig legitimatiebewijs.",
        "Collecting at a pick-up point",
        "Not at home? Choose a PostNL or bpost pick-up point near you at checkout. You will get an email as soon as your parcel is ready; you then have 7 days to collect it with valid ID.",
        "afhaalpunt ophaalpunt servicepunt pakketpunt pickup collect",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<&str> {
        Some(v)
    }

    #[test]
    fn a_language_needs_title_and_body_and_one_language_is_needed() {
        let ok = check(s(" Titel "), s("Tekst\r\nregel 2"), None, None, s("  ")).unwrap();
        assert_eq!(ok.title_nl.as_deref(), Some("Titel"));
        assert_eq!(ok.body_nl.as_deref(), Some("Tekst\nregel 2"));
        assert_eq!(ok.keywords, None);
        assert!(check(None, None, s("Title"), s("Body"), None).is_ok());

        let field = |r: Result<Checked>| match r {
            Err(ServiceError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(check(None, None, None, None, s("kw"))), "title_nl");
        assert_eq!(field(check(s(" "), s(""), None, None, None)), "title_nl");
        assert_eq!(
            field(check(s("Titel"), None, s("T"), s("B"), None)),
            "body_nl"
        );
        assert_eq!(field(check(None, None, None, s("Body"), None)), "title_en");
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(field(check(s(&long), s("b"), None, None, None)), "title_nl");
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(field(check(None, None, s("t"), s(&long), None)), "body_en");
        let long = "x".repeat(MAX_KEYWORDS_CHARS + 1);
        assert_eq!(
            field(check(s("t"), s("b"), None, None, s(&long))),
            "keywords"
        );
        assert_eq!(
            field(check(s("t\u{7}"), s("b"), None, None, None)),
            "title_nl"
        );
    }

    #[test]
    fn titles_fall_back_to_the_other_language() {
        let a = KnowledgeArticle {
            id: 1,
            account_id: 1,
            title_nl: None,
            body_nl: None,
            title_en: Some("Warranty".into()),
            body_en: Some("Two years.".into()),
            keywords: None,
            published: true,
            created_at: balie_domain::Timestamp(0),
            updated_at: balie_domain::Timestamp(0),
        };
        assert_eq!(title_in(&a, Language::Nl), "Warranty");
        assert!(text_in(&a, Language::Nl).is_none());
        assert_eq!(text_in(&a, Language::En).unwrap().body, "Two years.");
    }

    #[test]
    fn demo_articles_are_valid_and_bilingual() {
        for (tn, bn, te, be, k) in DEMO_ARTICLES {
            let c = check(s(tn), s(bn), s(te), s(be), s(k)).unwrap();
            assert!(c.title_nl.is_some() && c.title_en.is_some());
        }
    }
}
