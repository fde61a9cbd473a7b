//! "Try a sentence": an admin types what a customer might write and sees
//! what the bot understands — intent and confidence (with the runners-up),
//! language, entities and sentiment — before customers do.

use std::fmt::Write as _;

use axum::extract::Query;
use axum::http::StatusCode;
use axum::response::Response;
use balie_nlu::entities::{extract_entities, EntityConfig};
use balie_nlu::language::{detect_language, Language};
use serde::Deserialize;

use super::html::{escape_html as e, Shell};
use super::pages::top_bar;
use super::{html_response, remember_lang, AgentPage};

#[derive(Debug, Default, Deserialize)]
pub struct TryQuery {
    #[serde(default)]
    text: String,
}

/// `GET /settings/bot?text=...`: the form, and the analysis when given text.
pub async fn try_sentence(page: AgentPage, Query(q): Query<TryQuery>) -> Response {
    let lang = page.lang;
    let text: String = q.text.chars().take(1000).collect();
    let mut result = String::new();
    if !text.trim().is_empty() {
        // The model trains on first use; keep that off the async workers.
        let input = text.clone();
        let analysis = tokio::task::spawn_blocking(move || {
            let model = balie_nlu::classifier::builtin_model();
            (
                model.predict(&input),
                detect_language(&input, Language::Nl),
                extract_entities(&input, &EntityConfig::default()),
                balie_nlu::sentiment::analyse_sentiment(&input),
            )
        })
        .await;
        match analysis {
            Ok((prediction, language, entities, sentiment)) => {
                let _ = write!(
                    result,
                    "<section class=\"card try-result\" aria-live=\"polite\">\n<h2>{h}</h2>\n<dl class=\"attributes\">\n\
                     <dt>{intent_l}</dt><dd><code class=\"intent\">{intent}</code> ({conf:.0}%)</dd>\n\
                     <dt>{alt_l}</dt><dd>{alts}</dd>\n\
                     <dt>{lang_l}</dt><dd>{language} ({lconf:.0}%)</dd>\n\
                     <dt>{sent_l}</dt><dd>{score:+.2}{frustrated}</dd>\n</dl>\n",
                    h = e(lang.t("bot_result")),
                    intent_l = e(lang.t("bot_intent")),
                    intent = e(&prediction.intent),
                    conf = prediction.confidence * 100.0,
                    alt_l = e(lang.t("bot_alternatives")),
                    alts = prediction
                        .alternatives
                        .iter()
                        .map(|(i, c)| format!("<code>{}</code> {:.0}%", e(i), c * 100.0))
                        .collect::<Vec<_>>()
                        .join(", "),
                    lang_l = e(lang.t("bot_language")),
                    language = e(language.language.code()),
                    lconf = language.confidence * 100.0,
                    sent_l = e(lang.t("bot_sentiment")),
                    score = sentiment.score,
                    frustrated = if sentiment.frustrated {
                        format!(" — <strong>{}</strong>", e(lang.t("bot_frustrated")))
                    } else {
                        String::new()
                    },
                );
                let _ = write!(
                    result,
                    "<h3>{}</h3>\n<ul class=\"entities\">\n",
                    e(lang.t("bot_entities"))
                );
                if entities.is_empty() {
                    let _ = writeln!(
                        result,
                        "<li class=\"muted\">{}</li>",
                        e(lang.t("bot_no_entities"))
                    );
                }
                for entity in &entities {
                    let kind = serde_json::to_value(entity.kind)
                        .ok()
                        .and_then(|v| v.get("type").and_then(|t| t.as_str()).map(str::to_string))
                        .unwrap_or_default();
                    let _ = writeln!(
                        result,
                        "<li><code>{}</code> “{}” → <strong>{}</strong></li>",
                        e(&kind),
                        e(&entity.text),
                        e(&entity.value)
                    );
                }
                result.push_str("</ul>\n</section>\n");
            }
            Err(_) => {
                let _ = writeln!(
                    result,
                    "<p class=\"form-error\" role=\"alert\">{}</p>",
                    e(lang.t("bot_failed"))
                );
            }
        }
    }
    let main = format!(
        "<main class=\"card settings\">\n<h1>{h1}</h1>\n<p>{intro}</p>\n\
         <form method=\"get\" action=\"/settings/bot\" class=\"stack\">\n\
         <label>{label}<textarea name=\"text\" rows=\"3\" maxlength=\"1000\" required>{text}</textarea></label>\n\
         <button type=\"submit\" class=\"primary\">{go}</button>\n</form>\n{result}</main>",
        h1 = e(lang.t("bot_try")),
        intro = e(lang.t("bot_try_intro")),
        label = e(lang.t("bot_sentence")),
        text = e(&text),
        go = e(lang.t("bot_analyse")),
    );
    let body = Shell {
        lang,
        title: lang.t("bot_try"),
        body_attrs: format!(
            " class=\"page-settings\" data-page=\"settings\" data-lang=\"{}\"",
            lang.code()
        ),
        csrf: Some(page.csrf()),
        top: top_bar(&page, "/settings/bot"),
        main,
    }
    .render();
    remember_lang(html_response(StatusCode::OK, body), page.chosen_lang)
}
