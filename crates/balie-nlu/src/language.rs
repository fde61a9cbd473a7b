//! Dutch/English language detection for short customer messages.
//!
//! Chat messages are short ("hoi", "ok thanks", "waar is mn pakketje"), so
//! general-purpose detectors guess badly. This detector combines two small
//! models, both compiled into the binary:
//!
//! 1. a hand-written list of frequent words that are (almost) only Dutch or
//!    only English, each with a weight (chat spellings such as `mn`, `ff`,
//!    `ni`, `thx` included);
//! 2. character-trigram log-likelihood ratios learnt, on first use, from the
//!    bot's own training data (`data/nl.tsv` and `data/en.tsv`, embedded with
//!    `include_str!`).
//!
//! Digits, order numbers, e-mail addresses and links carry no signal; when a
//! message has no (or too little) signal the caller's fallback is returned.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::OnceLock;

/// A language the bot understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// Dutch (Netherlands and Flanders).
    Nl,
    /// English.
    En,
}

impl Language {
    /// ISO 639-1 code: `"nl"` or `"en"`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Nl => "nl",
            Language::En => "en",
        }
    }

    /// Parses `"nl"`/`"en"` (case-insensitive, also `"nl-BE"`, `"en_GB"`, ...).
    pub fn from_code(code: &str) -> Option<Language> {
        let lower = code.trim().to_ascii_lowercase();
        let primary = lower.split(['-', '_']).next().unwrap_or("");
        match primary {
            "nl" | "dutch" | "nederlands" | "vlaams" => Some(Language::Nl),
            "en" | "english" | "engels" => Some(Language::En),
            _ => None,
        }
    }
}

/// The detector's verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LanguageGuess {
    /// The detected language, or the fallback when there was no signal.
    pub language: Language,
    /// Estimated probability (0.5..=1.0) that `language` is right; exactly
    /// 0.5 when the fallback was used because the text carried no signal.
    pub confidence: f32,
}

impl LanguageGuess {
    /// True when the guess is based on the text rather than on the fallback.
    pub fn is_reliable(&self) -> bool {
        self.confidence >= 0.75
    }
}

/// Frequent (chat) words that are (almost) only Dutch, with a weight.
/// Words common to both languages (`is`, `in`, `me`, `was`, `ok`, `hey`, ...)
/// are left out of both lists on purpose.
const DUTCH_WORDS: &[(&str, f32)] = &[
    // Dutch: function words
    ("ik", 3.0),
    ("je", 2.5),
    ("jij", 3.0),
    ("jou", 2.5),
    ("jullie", 3.0),
    ("u", 1.5),
    ("uw", 3.0),
    ("mijn", 3.0),
    ("mn", 2.5),
    ("m'n", 3.0),
    ("zijn", 2.0),
    ("het", 2.5),
    ("de", 2.0),
    ("een", 2.5),
    ("en", 1.5),
    ("van", 2.0),
    ("niet", 3.0),
    ("ni", 2.0),
    ("nie", 2.0),
    ("nog", 3.0),
    ("wel", 2.0),
    ("al", 1.0),
    ("op", 2.0),
    ("met", 2.0),
    ("voor", 2.5),
    ("naar", 2.5),
    ("bij", 2.5),
    ("wat", 3.0),
    ("waar", 3.0),
    ("wanneer", 3.0),
    ("hoe", 3.0),
    ("waarom", 3.0),
    ("welke", 3.0),
    ("kan", 2.0),
    ("kun", 3.0),
    ("kunt", 3.0),
    ("kunnen", 3.0),
    ("wil", 2.0),
    ("graag", 3.0),
    ("heb", 3.0),
    ("hebt", 3.0),
    ("heeft", 3.0),
    ("hebben", 3.0),
    ("ben", 1.5),
    ("bent", 3.0),
    ("dat", 2.0),
    ("dit", 2.5),
    ("deze", 3.0),
    ("die", 1.5),
    ("er", 1.5),
    ("maar", 3.0),
    ("ook", 3.0),
    ("aan", 2.0),
    ("om", 1.5),
    ("te", 2.0),
    ("geen", 3.0),
    ("niks", 3.0),
    ("niets", 3.0),
    ("moet", 3.0),
    ("mag", 2.0),
    ("zou", 3.0),
    ("gaat", 3.0),
    ("wordt", 3.0),
    ("worden", 3.0),
    ("krijg", 3.0),
    ("krijgen", 3.0),
    ("ontvangen", 3.0),
    ("nou", 2.0),
    ("even", 1.0),
    ("ff", 2.5),
    ("aub", 3.0),
    ("a.u.b", 3.0),
    ("alsjeblieft", 3.0),
    ("alstublieft", 3.0),
    ("gij", 3.0),
    ("ge", 2.0),
    ("da", 1.5),
    ("zo", 1.5),
    ("nu", 2.0),
    ("hier", 1.0),
    ("iets", 3.0),
    ("iemand", 3.0),
    ("alles", 2.5),
    ("meer", 2.0),
    ("wij", 3.0),
    ("ons", 2.0),
    ("onze", 3.0),
    ("hun", 2.0),
    ("zij", 2.0),
    ("ze", 1.5),
    ("hij", 3.0),
    ("mij", 3.0),
    ("jouw", 3.0),
    ("dus", 3.0),
    ("want", 1.0),
    ("omdat", 3.0),
    ("als", 2.0),
    ("toch", 3.0),
    ("gewoon", 3.0),
    ("echt", 2.5),
    ("heel", 2.0),
    ("erg", 2.0),
    ("weer", 2.5),
    ("vandaag", 3.0),
    ("morgen", 3.0),
    ("gisteren", 3.0),
    ("dag", 1.5),
    ("ja", 1.5),
    ("nee", 3.0),
    ("neen", 3.0),
    ("oké", 1.0),
    ("oke", 1.0),
    ("okee", 2.0),
    // Dutch: greetings and thanks
    ("hoi", 3.5),
    ("hallo", 2.0),
    ("hai", 1.5),
    ("hee", 2.0),
    ("heej", 2.5),
    ("goedemorgen", 4.0),
    ("goedemiddag", 4.0),
    ("goedenavond", 4.0),
    ("goeiemorgen", 4.0),
    ("goeiedag", 4.0),
    ("goedendag", 4.0),
    ("dank", 3.5),
    ("dankje", 4.0),
    ("dankjewel", 4.0),
    ("dankuwel", 4.0),
    ("bedankt", 4.0),
    ("merci", 1.5),
    ("doei", 4.0),
    ("tot", 2.0),
    ("ziens", 4.0),
    ("groetjes", 4.0),
    ("groeten", 3.0),
    ("fijne", 3.0),
    ("mvg", 3.0),
    // Dutch: webshop vocabulary
    ("pakket", 3.5),
    ("pakketje", 4.0),
    ("pakje", 3.5),
    ("pakske", 4.0),
    ("bestelling", 4.0),
    ("besteld", 4.0),
    ("bestellen", 4.0),
    ("bestelnummer", 4.0),
    ("bestelnr", 4.0),
    ("ordernummer", 4.0),
    ("levering", 3.5),
    ("geleverd", 3.5),
    ("leveren", 3.5),
    ("bezorgd", 4.0),
    ("bezorger", 4.0),
    ("bezorging", 4.0),
    ("verzonden", 4.0),
    ("verzending", 4.0),
    ("retour", 2.0),
    ("retourneren", 4.0),
    ("terugsturen", 4.0),
    ("terugbetaling", 4.0),
    ("geld", 3.0),
    ("terug", 3.0),
    ("factuur", 4.0),
    ("betaling", 4.0),
    ("betalen", 4.0),
    ("betaald", 4.0),
    ("annuleren", 4.0),
    ("wijzigen", 4.0),
    ("adres", 2.5),
    ("klacht", 4.0),
    ("medewerker", 4.0),
    ("klantenservice", 3.5),
    ("wachtwoord", 4.0),
    ("inloggen", 4.0),
    ("nieuwsbrief", 4.0),
    ("maat", 2.5),
    ("voorraad", 4.0),
    ("afhaalpunt", 4.0),
    ("vraag", 3.0),
    ("vraagje", 4.0),
    ("helpen", 3.0),
    ("spreken", 3.0),
    ("mens", 2.5),
    ("kapot", 3.0),
    ("belachelijk", 4.0),
    ("schandalig", 4.0),
];

/// Frequent (chat) words that are (almost) only English, with a weight.
const ENGLISH_WORDS: &[(&str, f32)] = &[
    // English: function words
    ("i", 2.0),
    ("i'm", 3.5),
    ("im", 1.5),
    ("i've", 3.5),
    ("i'd", 3.5),
    ("you", 3.0),
    ("your", 3.5),
    ("you're", 3.5),
    ("my", 3.0),
    ("the", 3.5),
    ("a", 1.5),
    ("an", 1.5),
    ("and", 3.0),
    ("of", 1.0),
    ("to", 3.0),
    ("it", 2.0),
    ("it's", 3.5),
    ("this", 3.0),
    ("that", 3.0),
    ("what", 3.0),
    ("what's", 3.5),
    ("where", 3.5),
    ("where's", 3.5),
    ("when", 3.0),
    ("how", 3.0),
    ("why", 3.0),
    ("which", 3.0),
    ("who", 2.5),
    ("can", 2.5),
    ("can't", 3.5),
    ("cant", 2.5),
    ("could", 3.0),
    ("would", 3.0),
    ("should", 3.0),
    ("will", 2.0),
    ("won't", 3.5),
    ("do", 2.0),
    ("does", 3.0),
    ("did", 3.0),
    ("didn't", 3.5),
    ("didnt", 3.0),
    ("don't", 3.5),
    ("dont", 3.0),
    ("doesn't", 3.5),
    ("haven't", 3.5),
    ("hasn't", 3.5),
    ("isn't", 3.5),
    ("not", 3.0),
    ("no", 1.0),
    ("yet", 3.0),
    ("still", 3.0),
    ("have", 3.0),
    ("has", 2.5),
    ("am", 2.0),
    ("are", 3.0),
    ("be", 2.0),
    ("been", 3.0),
    ("with", 3.0),
    ("for", 2.5),
    ("from", 3.0),
    ("on", 2.0),
    ("at", 2.0),
    ("about", 3.0),
    ("please", 3.5),
    ("pls", 1.0),
    ("plz", 1.5),
    ("want", 2.5),
    ("need", 3.0),
    ("get", 2.5),
    ("got", 2.5),
    ("just", 2.0),
    ("any", 3.0),
    ("some", 3.0),
    ("there", 2.5),
    ("here", 1.5),
    ("yes", 3.0),
    ("yeah", 3.0),
    ("they", 3.0),
    ("we", 0.5),
    ("our", 3.0),
    ("someone", 3.5),
    ("something", 3.5),
    ("nothing", 3.5),
    ("today", 3.5),
    ("tomorrow", 3.5),
    ("yesterday", 3.5),
    ("again", 3.0),
    ("really", 3.0),
    ("very", 3.0),
    ("too", 2.0),
    ("if", 2.5),
    ("but", 3.0),
    ("or", 2.5),
    ("so", 1.0),
    ("since", 3.0),
    ("ago", 3.5),
    // English: greetings and thanks
    ("hi", 2.5),
    ("hello", 3.5),
    ("hiya", 3.5),
    ("morning", 3.0),
    ("afternoon", 3.5),
    ("evening", 3.5),
    ("thanks", 4.0),
    ("thank", 4.0),
    ("thx", 3.0),
    ("ty", 2.0),
    ("cheers", 3.0),
    ("bye", 2.0),
    ("goodbye", 4.0),
    ("regards", 3.5),
    ("great", 2.5),
    ("okay", 1.5),
    // English: webshop vocabulary
    ("parcel", 4.0),
    ("package", 3.5),
    ("order", 1.0),
    ("ordered", 3.5),
    ("delivery", 4.0),
    ("delivered", 4.0),
    ("deliver", 4.0),
    ("shipping", 3.5),
    ("shipped", 4.0),
    ("arrived", 4.0),
    ("arrive", 4.0),
    ("received", 4.0),
    ("refund", 2.0),
    ("money", 4.0),
    ("back", 2.0),
    ("return", 3.0),
    ("invoice", 3.5),
    ("payment", 4.0),
    ("pay", 3.5),
    ("paid", 4.0),
    ("cancel", 2.0),
    ("change", 3.0),
    ("address", 3.5),
    ("complaint", 4.0),
    ("agent", 1.0),
    ("human", 2.0),
    ("person", 2.0),
    ("speak", 3.5),
    ("talk", 3.5),
    ("password", 3.5),
    ("account", 1.0),
    ("newsletter", 3.5),
    ("size", 3.0),
    ("stock", 2.5),
    ("help", 2.0),
    ("question", 3.0),
    ("ridiculous", 4.0),
    ("worst", 4.0),
];

/// Words used the same way in both languages: no evidence at all, not even
/// from their letters.
const NEUTRAL_WORDS: &[&str] = &[
    "ok", "okay", "k", "hey", "hé", "he", "yo", "top", "super", "sorry", "lol", "xd", "hmm", "hm",
    "oh", "ah", "eh", "haha", "hahaha", "pff", "nice", "cool", "perfect", "info", "test", "email",
    "e-mail", "mail", "app", "web", "shop", "online", "sms", "whatsapp", "ideal", "paypal",
    "klarna", "postnl", "dhl", "dpd", "ups", "bpost", "gls",
];

struct Model {
    words: HashMap<&'static str, f32>,
    /// Log-likelihood ratio ln P(trigram|nl) - ln P(trigram|en).
    trigrams: HashMap<[char; 3], f32>,
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(build_model)
}

fn build_model() -> Model {
    // Positive evidence means Dutch, negative means English.
    let mut words: HashMap<&'static str, f32> = HashMap::new();
    for &(word, weight) in DUTCH_WORDS {
        *words.entry(word).or_insert(0.0) += weight;
    }
    for &(word, weight) in ENGLISH_WORDS {
        *words.entry(word).or_insert(0.0) -= weight;
    }
    let nl = trigram_counts(include_str!("../data/nl.tsv"));
    let en = trigram_counts(include_str!("../data/en.tsv"));
    let total_nl: f64 = nl.values().sum::<u32>() as f64;
    let total_en: f64 = en.values().sum::<u32>() as f64;
    let vocabulary = {
        let mut keys: Vec<&[char; 3]> = nl.keys().chain(en.keys()).collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() as f64
    };
    let mut trigrams = HashMap::new();
    for key in nl.keys().chain(en.keys()) {
        if trigrams.contains_key(key) {
            continue;
        }
        let a = f64::from(*nl.get(key).unwrap_or(&0));
        let b = f64::from(*en.get(key).unwrap_or(&0));
        // Add-one smoothing; ignore trigrams seen only once overall.
        if a + b < 2.0 {
            continue;
        }
        let p_nl = (a + 1.0) / (total_nl + vocabulary);
        let p_en = (b + 1.0) / (total_en + vocabulary);
        trigrams.insert(*key, (p_nl.ln() - p_en.ln()) as f32);
    }
    Model { words, trigrams }
}

/// Counts the character trigrams of the text column of a training TSV.
fn trigram_counts(tsv: &str) -> HashMap<[char; 3], u32> {
    let mut counts = HashMap::new();
    for line in tsv.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((_, text)) = line.split_once('\t') else {
            continue;
        };
        for token in tokens(text) {
            for_each_trigram(&token, |t| *counts.entry(t).or_insert(0) += 1);
        }
    }
    counts
}

/// Lower-cased word tokens; numbers, e-mail addresses and links are dropped.
fn tokens(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        if raw.contains('@') || raw.contains("://") || raw.starts_with("www.") {
            continue;
        }
        // Internal apostrophes (m'n, don't) and dots (a.u.b.) are kept.
        let word: String = raw
            .trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase();
        if word.is_empty() || !word.chars().any(char::is_alphabetic) {
            continue;
        }
        // Codes like 3SABCD1234567 or 1045873b are not words.
        if word.chars().filter(char::is_ascii_digit).count() > 1 {
            continue;
        }
        out.push(word);
    }
    out
}

fn for_each_trigram(word: &str, mut f: impl FnMut([char; 3])) {
    let chars: Vec<char> = std::iter::once(' ')
        .chain(word.chars().filter(|c| c.is_alphabetic() || *c == '\''))
        .chain(std::iter::once(' '))
        .collect();
    for window in chars.windows(3) {
        f([window[0], window[1], window[2]]);
    }
}

/// Raw evidence: positive for Dutch, negative for English, 0 for none.
/// Also returns whether any word token was seen at all.
fn evidence(text: &str) -> (f32, bool) {
    let model = model();
    let words = tokens(text);
    if words.is_empty() {
        return (0.0, false);
    }
    let mut word_score = 0.0f32;
    let mut trigram_score = 0.0f32;
    let mut trigram_n = 0usize;
    for word in &words {
        if NEUTRAL_WORDS.contains(&word.as_str()) {
            continue;
        }
        if let Some(w) = model.words.get(word.as_str()) {
            word_score += *w;
        }
        for_each_trigram(word, |t| {
            if let Some(llr) = model.trigrams.get(&t) {
                trigram_score += *llr;
                trigram_n += 1;
            }
        });
    }
    // The trigram evidence is averaged per trigram and scaled by a slowly
    // growing function of the text length, so a long text cannot drown the
    // word evidence, but a word unknown to the list still counts.
    let trigram_part = if trigram_n == 0 {
        0.0
    } else {
        let mean = trigram_score / trigram_n as f32;
        mean * (trigram_n as f32).sqrt() * 1.2
    };
    (word_score + trigram_part, true)
}

/// Minimum absolute evidence needed to overrule the fallback.
const MIN_EVIDENCE: f32 = 1.0;

/// Detects whether `text` is Dutch or English.
///
/// Returns `fallback` with confidence 0.5 when the text carries no usable
/// signal (only digits, codes, punctuation, emoji, or words that are the same
/// in both languages such as "ok" or "hey").
pub fn detect_language(text: &str, fallback: Language) -> LanguageGuess {
    let (score, any_words) = evidence(text);
    if !any_words || score.abs() < MIN_EVIDENCE {
        return LanguageGuess {
            language: fallback,
            confidence: 0.5,
        };
    }
    let language = if score > 0.0 {
        Language::Nl
    } else {
        Language::En
    };
    // Logistic squash of the evidence; 1.0 -> 0.62, 3.0 -> 0.82, 6.0 -> 0.95.
    let confidence = 1.0 / (1.0 + (-0.5 * score.abs()).exp());
    LanguageGuess {
        language,
        confidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nl(text: &str) {
        let g = detect_language(text, Language::En);
        assert_eq!(g.language, Language::Nl, "{text:?} -> {g:?}");
        assert!(g.confidence > 0.5, "{text:?} -> {g:?}");
    }

    fn en(text: &str) {
        let g = detect_language(text, Language::Nl);
        assert_eq!(g.language, Language::En, "{text:?} -> {g:?}");
        assert!(g.confidence > 0.5, "{text:?} -> {g:?}");
    }

    #[test]
    fn short_dutch_messages() {
        for text in [
            "hoi",
            "hallo",
            "goedemorgen",
            "dank je",
            "dankjewel",
            "bedankt!",
            "doei",
            "tot ziens",
            "waar is mn pakketje",
            "waar is mijn bestelling",
            "ik heb nog steeds niks ontvangen",
            "ik heb mijn pakske nog niet",
            "bestelling is nog ni toegekomen",
            "annuleren aub",
            "medewerker",
            "wachtwoord vergeten",
            "ff vragen",
            "kan ik met ideal betalen?",
            "mijn factuur klopt niet",
            "belachelijk dit",
            "oke bedankt",
            "nog niks gehad",
            "geld terug!!",
            "pakket kwijt",
            "is het op voorraad in maat M?",
            "gij zijt te laat",
            "waar blijft het",
            "retourneren",
            "ik wil een mens spreken",
            "heb je dit ook in het zwart",
            "bestelnr 1045873 nog niet binnen",
            "Goedemiddag, ik heb een vraag over mijn bestelling 20231187",
        ] {
            nl(text);
        }
    }

    #[test]
    fn short_english_messages() {
        for text in [
            "hi",
            "hello",
            "where is my order",
            "where's my parcel?",
            "ok thanks",
            "thank you",
            "thanks!",
            "bye",
            "good morning",
            "cancel my order please",
            "I want a refund",
            "I still haven't received my package",
            "my payment failed",
            "can I speak to a human",
            "forgot my password",
            "this is ridiculous",
            "worst service ever",
            "do you ship to Belgium?",
            "is it in stock",
            "order 1045873 hasn't arrived yet",
            "Hello, I have a question about invoice 2024-0533",
            "what are your opening hours",
        ] {
            en(text);
        }
    }

    #[test]
    fn no_signal_uses_the_fallback() {
        for text in [
            "",
            "   ",
            "1045873",
            "#20231187",
            "3SABCD1234567",
            "???",
            "!!!",
            "ok",
            "hey",
            "👍",
            "info@example.com",
            "https://example.com/x",
        ] {
            for fallback in [Language::Nl, Language::En] {
                let g = detect_language(text, fallback);
                assert_eq!(g.language, fallback, "{text:?} -> {g:?}");
                assert_eq!(g.confidence, 0.5, "{text:?} -> {g:?}");
                assert!(!g.is_reliable());
            }
        }
    }

    #[test]
    fn confidence_grows_with_evidence() {
        let short = detect_language("bedankt", Language::En);
        let long = detect_language(
            "ik heb mijn bestelling nog steeds niet ontvangen en ik wil nu graag weten waar het pakket is",
            Language::En,
        );
        assert_eq!(long.language, Language::Nl);
        assert!(long.confidence > short.confidence);
        assert!(long.confidence > 0.95);
        assert!(long.is_reliable());
    }

    #[test]
    fn codes_and_serde() {
        assert_eq!(Language::Nl.code(), "nl");
        assert_eq!(Language::from_code("nl-BE"), Some(Language::Nl));
        assert_eq!(Language::from_code("en_GB"), Some(Language::En));
        assert_eq!(Language::from_code("fr"), None);
        assert_eq!(serde_json::to_string(&Language::Nl).unwrap(), "\"nl\"");
        assert_eq!(
            serde_json::from_str::<Language>("\"en\"").unwrap(),
            Language::En
        );
    }

    fn test_file_rate(tsv: &str, expected: Language) -> (usize, usize, Vec<String>) {
        let fallback = match expected {
            Language::Nl => Language::En,
            Language::En => Language::Nl,
        };
        let mut total = 0;
        let mut right = 0;
        let mut wrong = Vec::new();
        for line in tsv.lines() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (_, text) = line.split_once('\t').expect("tab");
            total += 1;
            // Fallback is the *other* language, so no-signal counts as wrong.
            if detect_language(text, fallback).language == expected {
                right += 1;
            } else {
                wrong.push(text.to_string());
            }
        }
        (right, total, wrong)
    }

    #[test]
    fn held_out_dutch_test_set_is_detected_as_dutch() {
        let (right, total, wrong) =
            test_file_rate(include_str!("../data/nl-webshop-test.tsv"), Language::Nl);
        assert!(total >= 300);
        let rate = right as f64 / total as f64;
        assert!(rate >= 0.97, "{right}/{total}; wrong: {wrong:?}");
    }

    #[test]
    fn held_out_english_test_set_is_detected_as_english() {
        let (right, total, wrong) =
            test_file_rate(include_str!("../data/en-webshop-test.tsv"), Language::En);
        assert!(total >= 200);
        let rate = right as f64 / total as f64;
        assert!(rate >= 0.97, "{right}/{total}; wrong: {wrong:?}");
    }
}

/// Sanity checks of the bot's data files in `data/` (they are owned together
/// with this module, which learns its trigram profiles from them).
#[cfg(test)]
mod data_file_tests {
    use std::collections::{HashMap, HashSet};

    const NL_TRAIN: &str = include_str!("../data/nl.tsv");
    const EN_TRAIN: &str = include_str!("../data/en.tsv");
    const NL_TEST: &str = include_str!("../data/nl-webshop-test.tsv");
    const EN_TEST: &str = include_str!("../data/en-webshop-test.tsv");

    const INTENTS: &[&str] = &[
        "track_order",
        "cancel_order",
        "change_order",
        "place_order",
        "get_refund",
        "track_refund",
        "check_refund_policy",
        "change_shipping_address",
        "set_up_shipping_address",
        "delivery_options",
        "delivery_period",
        "check_invoice",
        "get_invoice",
        "check_payment_methods",
        "payment_issue",
        "check_cancellation_fee",
        "complaint",
        "review",
        "contact_customer_service",
        "contact_human_agent",
        "create_account",
        "delete_account",
        "edit_account",
        "recover_password",
        "registration_problems",
        "switch_account",
        "newsletter_subscription",
        "greeting",
        "thanks",
        "goodbye",
        "product_question",
        "out_of_scope",
    ];

    /// The intents customers ask about most; the Dutch data has 60+ each.
    const FREQUENT: &[&str] = &[
        "track_order",
        "cancel_order",
        "get_refund",
        "contact_human_agent",
        "complaint",
        "delivery_period",
        "change_shipping_address",
        "payment_issue",
    ];

    /// Parses a data file strictly; panics with the line number on errors.
    fn parse(name: &str, tsv: &str) -> Vec<(String, String)> {
        let mut rows = Vec::new();
        for (i, line) in tsv.lines().enumerate() {
            let n = i + 1;
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (intent, text) = line
                .split_once('\t')
                .unwrap_or_else(|| panic!("{name}:{n}: no tab: {line:?}"));
            assert!(!text.contains('\t'), "{name}:{n}: more than one tab");
            assert!(
                INTENTS.contains(&intent),
                "{name}:{n}: unknown intent {intent:?}"
            );
            assert!(!text.trim().is_empty(), "{name}:{n}: empty text");
            assert_eq!(text, text.trim(), "{name}:{n}: surrounding whitespace");
            assert!(
                !text.contains("{{") && !text.contains("}}"),
                "{name}:{n}: template placeholder left in {text:?}"
            );
            rows.push((intent.to_string(), text.to_string()));
        }
        rows
    }

    fn normalise(text: &str) -> String {
        text.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    }

    fn counts(rows: &[(String, String)]) -> HashMap<&str, usize> {
        let mut counts = HashMap::new();
        for (intent, _) in rows {
            *counts.entry(intent.as_str()).or_insert(0) += 1;
        }
        counts
    }

    #[test]
    fn training_files_have_enough_examples_per_intent() {
        for (name, tsv, min) in [("nl.tsv", NL_TRAIN, 40), ("en.tsv", EN_TRAIN, 40)] {
            let rows = parse(name, tsv);
            let counts = counts(&rows);
            for intent in INTENTS {
                let n = counts.get(intent).copied().unwrap_or(0);
                assert!(n >= min, "{name}: {intent} has {n} examples, want {min}+");
            }
        }
        let nl = parse("nl.tsv", NL_TRAIN);
        let counts = counts(&nl);
        for intent in FREQUENT {
            assert!(
                counts[intent] >= 60,
                "nl.tsv: {intent} has {}",
                counts[intent]
            );
        }
        assert!(nl.len() >= 1800, "nl.tsv has {} examples", nl.len());
    }

    #[test]
    fn training_files_have_no_conflicting_duplicates() {
        for (name, tsv) in [("nl.tsv", NL_TRAIN), ("en.tsv", EN_TRAIN)] {
            let mut seen: HashMap<String, String> = HashMap::new();
            for (intent, text) in parse(name, tsv) {
                if let Some(previous) = seen.insert(normalise(&text), intent.clone()) {
                    panic!("{name}: {text:?} appears twice ({previous} and {intent})");
                }
            }
        }
    }

    #[test]
    fn test_files_cover_every_intent() {
        for (name, tsv, min_total, min_oos) in [
            ("nl-webshop-test.tsv", NL_TEST, 300, 25),
            ("en-webshop-test.tsv", EN_TEST, 200, 15),
        ] {
            let rows = parse(name, tsv);
            assert!(rows.len() >= min_total, "{name}: {} lines", rows.len());
            let counts = counts(&rows);
            for intent in INTENTS {
                assert!(
                    counts.get(intent).copied().unwrap_or(0) >= 3,
                    "{name}: too few {intent}"
                );
            }
            assert!(counts["out_of_scope"] >= min_oos, "{name}: out_of_scope");
        }
    }

    #[test]
    fn no_test_sentence_appears_in_training() {
        let training: HashSet<String> = parse("nl.tsv", NL_TRAIN)
            .into_iter()
            .chain(parse("en.tsv", EN_TRAIN))
            .map(|(_, text)| normalise(&text))
            .collect();
        for (name, tsv) in [
            ("nl-webshop-test.tsv", NL_TEST),
            ("en-webshop-test.tsv", EN_TEST),
        ] {
            let mut seen = HashSet::new();
            for (_, text) in parse(name, tsv) {
                let key = normalise(&text);
                assert!(
                    !training.contains(&key),
                    "{name}: {text:?} is in training data"
                );
                assert!(seen.insert(key), "{name}: {text:?} appears twice");
            }
        }
    }
}
