//! Knowledge-base search: ranks a shop's help articles against a customer's
//! question in Dutch or English. Pure code, no I/O: the caller hands over
//! the articles and gets back ids with a score.
//!
//! Text is lower-cased, accents are folded (`België` = `belgie`), Dutch or
//! English stopwords (and the question phrasing customers wrap around a
//! topic: "hoe lang duurt", "how long does it take") are dropped, and a light
//! suffix-stripping stemmer joins the forms of a word (`pakketje`/`pakket`,
//! `leveringen`/`levering`/`geleverd`, `shipping`/`ship`/`shipment`). A
//! word also matches, at half weight, the longer words it starts, because
//! Dutch writes compounds as one word (`ophalen` finds `ophaalpunt`,
//! `verzending` finds `verzendkosten`).
//!
//! Ranking is BM25F over three fields of the article in the asked language:
//! the title (weight 3), the keywords (2) and the body (1). An article without
//! text in the asked language is ranked on its other language's text, with
//! that language's analyser, and its score is multiplied by
//! [`FALLBACK_FACTOR`].
//!
//! The score is normalised to `[0, 1]`: each query word contributes its
//! inverse document frequency, times how strongly the article matches it
//! (BM25 saturation, capped at the strength of one occurrence in a title of
//! average length), divided by what all query words could contribute. A
//! word no article contains counts as a rare word that did not match, so a
//! question about a topic the shop never wrote about ("ship to Germany"
//! against an article about Belgium) stays at about half. In practice: `1.0`
//! is every word of the question in the title, about `0.65` is every word
//! once in the body, `0.5` or less means half of the question is not covered.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Bound;
use std::sync::OnceLock;

use crate::classifier::fold_accent;
use crate::language::Language;

/// An article's text in one language.
#[derive(Debug, Clone, Copy)]
pub struct ArticleText<'a> {
    pub title: &'a str,
    pub body: &'a str,
}

/// One article as the search sees it.
#[derive(Debug, Clone, Copy)]
pub struct Article<'a> {
    pub id: i64,
    pub nl: Option<ArticleText<'a>>,
    pub en: Option<ArticleText<'a>>,
    /// Free text, shared by both languages (may mix them).
    pub keywords: &'a str,
}

impl<'a> Article<'a> {
    fn text(&self, lang: Language) -> Option<ArticleText<'a>> {
        match lang {
            Language::Nl => self.nl,
            Language::En => self.en,
        }
    }
}

/// An article that matched.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchHit {
    pub id: i64,
    /// The language of the text that matched: the asked one, or the other
    /// when the article has no text in the asked language.
    pub language: Language,
    /// Relevance in `[0, 1]`; see the module documentation.
    pub score: f32,
}

/// A score is multiplied by this when the article lacks the asked language.
pub const FALLBACK_FACTOR: f32 = 0.8;

const TITLE: usize = 0;
const KEYWORDS: usize = 1;
const BODY: usize = 2;
const FIELD_WEIGHT: [f32; 3] = [3.0, 2.0, 1.0];
/// Length normalisation per field: keywords are a list, not prose.
const FIELD_B: [f32; 3] = [0.5, 0.3, 0.75];
const K1: f32 = 1.2;
/// A word once in a title of average length: the strongest match counted.
const FULL_MATCH: f32 = FIELD_WEIGHT[TITLE] / (K1 + FIELD_WEIGHT[TITLE]);

/// A word counts this much where it starts a longer one: Dutch writes
/// compounds as one word (`verzend` in `verzendkosten`, `ophaal` in
/// `ophaalpunt`).
const COMPOUND_WEIGHT: f32 = 0.5;
/// Only stems this long (in bytes) are looked for at the start of longer
/// words: `pak` would find too much.
const MIN_COMPOUND_PREFIX: usize = 4;

/// Questions longer than this are cut: nobody types an essay into a chat.
const MAX_QUERY_CHARS: usize = 500;

struct Doc {
    id: i64,
    language: Language,
    fallback: bool,
    /// Per term, its count in each field; sorted, to find the compounds a
    /// term starts.
    terms: BTreeMap<String, [f32; 3]>,
    len: [f32; 3],
}

impl Doc {
    /// The count of `term` in each field, plus [`COMPOUND_WEIGHT`] for each
    /// longer word it starts (`verzend` in `verzendkost`).
    fn tf(&self, term: &str) -> [f32; 3] {
        let mut tf = self.terms.get(term).copied().unwrap_or_default();
        if term.len() >= MIN_COMPOUND_PREFIX {
            let longer = self
                .terms
                .range::<str, _>((Bound::Excluded(term), Bound::Unbounded))
                .take_while(|(t, _)| t.starts_with(term));
            for (_, counts) in longer {
                for f in 0..3 {
                    tf[f] += COMPOUND_WEIGHT * counts[f];
                }
            }
        }
        tf
    }
}

/// The articles of one shop, analysed for questions in one language.
/// Cheap to build for the tens to hundreds of articles a shop has.
pub struct KnowledgeIndex {
    lang: Language,
    docs: Vec<Doc>,
    avg_len: [f32; 3],
}

impl KnowledgeIndex {
    /// Analyses `articles` for questions in `lang`. An article with no text
    /// in either language is left out.
    pub fn new(articles: &[Article<'_>], lang: Language) -> KnowledgeIndex {
        let mut docs = Vec::with_capacity(articles.len());
        let mut total = [0f32; 3];
        for a in articles {
            let (text, language, fallback) = match (a.text(lang), a.text(other(lang))) {
                (Some(t), _) => (t, lang, false),
                (None, Some(t)) => (t, other(lang), true),
                (None, None) => continue,
            };
            let mut terms: BTreeMap<String, [f32; 3]> = BTreeMap::new();
            let mut len = [0f32; 3];
            for (field, source) in [
                (TITLE, text.title),
                (KEYWORDS, a.keywords),
                (BODY, text.body),
            ] {
                for term in analyse(source, language) {
                    terms.entry(term).or_default()[field] += 1.0;
                    len[field] += 1.0;
                }
            }
            for f in 0..3 {
                total[f] += len[f];
            }
            docs.push(Doc {
                id: a.id,
                language,
                fallback,
                terms,
                len,
            });
        }
        let n = docs.len().max(1) as f32;
        KnowledgeIndex {
            lang,
            docs,
            avg_len: total.map(|t| (t / n).max(1.0)),
        }
    }

    /// How strongly a document with these field counts matches, in `[0, 1]`.
    fn strength(&self, doc: &Doc, tf: &[f32; 3]) -> f32 {
        let mut weighted = 0.0;
        for f in 0..3 {
            let norm = 1.0 - FIELD_B[f] + FIELD_B[f] * doc.len[f] / self.avg_len[f];
            weighted += FIELD_WEIGHT[f] * tf[f] / norm;
        }
        let saturated = weighted / (K1 + weighted);
        (saturated / FULL_MATCH).min(1.0)
    }

    /// The best `limit` articles for `query`, best first; only articles that
    /// share at least one word with the question.
    pub fn search(&self, query: &str, limit: usize) -> Vec<SearchHit> {
        let query: String = query.chars().take(MAX_QUERY_CHARS).collect();
        let own = unique(analyse(&query, self.lang));
        let fallback = unique(analyse(&query, other(self.lang)));
        // Each article's counts of each query word, and in how many
        // articles each word occurs (compounds included).
        let mut df: HashMap<&str, f32> = HashMap::new();
        let counts: Vec<Vec<[f32; 3]>> = self
            .docs
            .iter()
            .map(|doc| {
                let terms = if doc.language == self.lang {
                    &own
                } else {
                    &fallback
                };
                terms
                    .iter()
                    .map(|term| {
                        let tf = doc.tf(term);
                        if tf.iter().any(|&c| c > 0.0) {
                            *df.entry(term.as_str()).or_default() += 1.0;
                        }
                        tf
                    })
                    .collect()
            })
            .collect();
        let n = self.docs.len() as f32;
        // A word no article has counts as one that a single article has.
        let idf = |term: &str| {
            let df = df.get(term).copied().unwrap_or(0.0).max(1.0);
            (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
        };
        let mut hits = Vec::new();
        for (doc, tfs) in self.docs.iter().zip(&counts) {
            let terms = if doc.language == self.lang {
                &own
            } else {
                &fallback
            };
            let (mut got, mut possible) = (0.0f32, 0.0f32);
            for (term, tf) in terms.iter().zip(tfs) {
                let idf = idf(term);
                possible += idf;
                got += idf * self.strength(doc, tf);
            }
            if got <= 0.0 || possible <= 0.0 {
                continue;
            }
            let mut score = (got / possible).clamp(0.0, 1.0);
            if doc.fallback {
                score *= FALLBACK_FACTOR;
            }
            hits.push(SearchHit {
                id: doc.id,
                language: doc.language,
                score,
            });
        }
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(limit);
        hits
    }
}

/// Ranks `articles` for a question in `lang`: [`KnowledgeIndex::new`] then
/// [`KnowledgeIndex::search`].
pub fn search(
    articles: &[Article<'_>],
    lang: Language,
    query: &str,
    limit: usize,
) -> Vec<SearchHit> {
    KnowledgeIndex::new(articles, lang).search(query, limit)
}

fn other(lang: Language) -> Language {
    match lang {
        Language::Nl => Language::En,
        Language::En => Language::Nl,
    }
}

fn unique(terms: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    terms
        .into_iter()
        .filter(|t| seen.insert(t.clone()))
        .collect()
}

// ---------------------------------------------------------------------------
// Analysis: words, stopwords, stems

/// The search terms of `text` in `lang`: folded words without stopwords,
/// stemmed.
pub fn analyse(text: &str, lang: Language) -> Vec<String> {
    static STOP: OnceLock<[HashSet<&'static str>; 2]> = OnceLock::new();
    let [dutch, english] = STOP.get_or_init(|| {
        [
            DUTCH_STOPWORDS.iter().copied().collect(),
            ENGLISH_STOPWORDS.iter().copied().collect(),
        ]
    });
    let stop = match lang {
        Language::Nl => dutch,
        Language::En => english,
    };
    words(text)
        .into_iter()
        .filter(|w| w.len() > 1 && !stop.contains(w.as_str()))
        .map(|w| match lang {
            Language::Nl => stem_dutch(&w),
            Language::En => stem_english(&w),
        })
        .collect()
}

/// Lower-cased, accent-folded words. Apostrophes join (`auto's` →
/// `autos`); a hyphenated word gives its parts and the joined form
/// (`pick-up` → `pick`, `up`, `pickup`), so either spelling finds it.
fn words(text: &str) -> Vec<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            folded.push(c.to_ascii_lowercase());
            continue;
        }
        for lc in c.to_lowercase() {
            match fold_accent(lc) {
                Some(s) => folded.push_str(s),
                None => folded.push(lc),
            }
        }
    }
    let mut out = Vec::new();
    let mut parts: Vec<String> = Vec::new();
    let mut current = String::new();
    let flush = |parts: &mut Vec<String>, current: &mut String, out: &mut Vec<String>| {
        if !current.is_empty() {
            parts.push(std::mem::take(current));
        }
        if parts.len() > 1 && parts.iter().all(|p| p.chars().any(char::is_alphabetic)) {
            let joined = parts.concat();
            out.append(parts);
            out.push(joined);
        } else {
            out.append(parts);
        }
    };
    for c in folded.chars() {
        if c.is_alphanumeric() {
            current.push(c);
        } else if matches!(c, '\'' | '\u{2019}' | '\u{2018}' | '`' | '\u{b4}') {
            // joined: "auto's" -> "autos"
        } else if matches!(c, '-' | '\u{2010}' | '\u{2011}') && !current.is_empty() {
            parts.push(std::mem::take(&mut current));
        } else {
            flush(&mut parts, &mut current, &mut out);
        }
    }
    flush(&mut parts, &mut current, &mut out);
    out
}

fn is_vowel(b: u8) -> bool {
    matches!(b, b'a' | b'e' | b'i' | b'o' | b'u' | b'y')
}

/// Drops the last letter of a doubled final consonant: `pakkett` → `pakket`.
fn undouble(s: &mut String) {
    let b = s.as_bytes();
    let n = b.len();
    if n >= 4 && b[n - 1] == b[n - 2] && !is_vowel(b[n - 1]) && b[n - 1].is_ascii_alphabetic() {
        s.pop();
    }
}

/// A light Dutch stemmer: diminutives (`pakketje` → `pakket`), plurals
/// (`leveringen`, `prijzen`, `retours`), inflected adjectives (`snelle`),
/// `-ing` nouns (`levering` → `lever`), past participles (`geleverd` →
/// `lever`); then doubled consonants at the end and doubled vowels are
/// made single (`maat`, `maten` → `mat`), so open and closed syllables
/// agree.
pub fn stem_dutch(word: &str) -> String {
    if !word.is_ascii() || word.len() <= 3 {
        return word.to_string();
    }
    let mut s = word.to_string();
    if s.len() >= 7 && s.starts_with("ge") && (s.ends_with('d') || s.ends_with('t')) {
        s = s[2..s.len() - 1].to_string();
    } else if s.len() >= 5 && (s.ends_with("jes") || s.ends_with("je")) {
        s.truncate(s.len() - if s.ends_with('s') { 3 } else { 2 });
        let b = s.as_bytes();
        let n = b.len();
        // cadeautje -> cadeau, autootje -> autoo; bloempje -> bloem
        let vowel_t = n >= 3 && b[n - 1] == b't' && is_vowel(b[n - 2]) && is_vowel(b[n - 3]);
        if vowel_t || s.ends_with("mp") {
            s.pop();
        }
    } else {
        if s.len() >= 5 && s.ends_with("en") {
            s.truncate(s.len() - 2);
        } else if s.len() >= 5 && s.ends_with('s') {
            let prev = s.as_bytes()[s.len() - 2];
            if is_vowel(prev) || matches!(prev, b'l' | b'r' | b'n' | b'm') {
                s.pop();
            }
        }
        if s.len() >= 5 && s.ends_with('e') {
            s.pop();
        }
        if s.len() >= 7 && s.ends_with("ing") {
            s.truncate(s.len() - 3);
        }
        // brieven -> brief, prijzen -> prijs
        if s.ends_with('v') {
            s.pop();
            s.push('f');
        } else if s.ends_with('z') {
            s.pop();
            s.push('s');
        }
    }
    undouble(&mut s);
    for (double, single) in [("aa", "a"), ("ee", "e"), ("oo", "o"), ("uu", "u")] {
        if s.contains(double) {
            s = s.replace(double, single);
        }
    }
    s
}

/// A light English stemmer: plurals (`deliveries`, `boxes`, `points`),
/// `-ment`, `-ing`, `-ed`, `-ly`, a final `-y` (`delivery` → `deliver`,
/// `Germany` → `german`) and `-e` (`size`/`sizing` → `siz`), then a doubled
/// final consonant (`shipping` → `shipp` → `ship`).
pub fn stem_english(word: &str) -> String {
    if !word.is_ascii() || word.len() <= 3 {
        return word.to_string();
    }
    let has_vowel = |s: &str| s.bytes().any(is_vowel);
    let mut s = word.to_string();
    if s.len() >= 5 && s.ends_with("ies") {
        s.truncate(s.len() - 3);
        s.push('y');
    } else if s.ends_with("sses")
        || s.ends_with("xes")
        || s.ends_with("ches")
        || s.ends_with("shes")
        || s.ends_with("zes")
    {
        s.truncate(s.len() - 2);
    } else if s.ends_with('s') && !s.ends_with("ss") && !s.ends_with("us") && !s.ends_with("is") {
        s.pop();
    }
    let n = s.len();
    if n >= 7 && s.ends_with("ment") {
        s.truncate(n - 4);
    } else if n >= 6 && s.ends_with("ing") && has_vowel(&s[..n - 3]) {
        s.truncate(n - 3);
    } else if (n >= 5 && s.ends_with("ed") && has_vowel(&s[..n - 2]))
        || (n >= 6 && s.ends_with("ly"))
    {
        s.truncate(n - 2);
    }
    if s.len() >= 6 && s.ends_with('y') {
        s.pop();
    }
    if s.len() >= 4 && s.ends_with('e') {
        s.pop();
    }
    undouble(&mut s);
    s
}

/// Dutch words that carry no topic, including the question phrasing around
/// one ("hoe lang duurt", "kan ik", "graag"). Checked before stemming, so
/// `lang` goes but `lange` (a long coat) stays.
#[rustfmt::skip]
const DUTCH_STOPWORDS: &[&str] = &[
    "aan", "af", "al", "alle", "alles", "als", "alsjeblieft", "alstublieft", "ander", "andere",
    "aub", "bedankt", "ben", "bent", "bij", "daar", "dan", "dank", "dankje", "dankjewel", "dat",
    "de", "deze", "die", "dit", "doe", "doen", "doet", "door", "duren", "duurt", "een", "eens",
    "en", "er", "erg", "ergens", "even", "ff", "gaan", "gaat", "geen", "goed", "graag", "had",
    "hallo", "heb", "hebben", "hebt", "heeft", "hem", "het", "hey", "hi", "hier", "hij", "hoe",
    "hoelang", "hoeveel", "hoi", "hun", "iets", "ik", "in", "is", "ja", "je", "jij", "jou",
    "jouw", "jullie", "kan", "kun", "kunnen", "kunt", "lang", "maar", "mag", "me", "mee", "men",
    "met", "mij", "mijn", "mn", "moet", "moeten", "mogelijk", "mogen", "na", "naar", "nee",
    "neem", "nemen", "niet", "nog", "nu", "of", "ok", "oke", "om", "onder", "ons", "onze",
    "ook", "op", "over", "te", "toch", "tot", "u", "uit", "uw", "van", "veel", "voor", "vraag",
    "vraagje", "waar", "waarom", "wanneer", "wat", "we", "wel", "welk", "welke", "werd",
    "weten", "wie", "wij", "wil", "willen", "wilt", "worden", "wordt", "ze", "zij", "zijn",
    "zo", "zou", "zouden",
];

/// English words that carry no topic, including the question phrasing
/// around one ("how long does it take", "can I", "please").
#[rustfmt::skip]
const ENGLISH_STOPWORDS: &[&str] = &[
    "a", "about", "all", "also", "am", "an", "and", "any", "anything", "anywhere", "are", "as",
    "at", "be", "been", "being", "but", "by", "can", "cant", "could", "dear", "did", "do",
    "does", "doing", "dont", "for", "from", "get", "got", "had", "has", "have", "having", "he",
    "hello", "her", "here", "hey", "hi", "him", "his", "how", "i", "if", "im", "in", "into",
    "is", "it", "its", "just", "know", "like", "long", "may", "me", "might", "more", "much",
    "must", "my", "no", "not", "of", "ok", "okay", "on", "or", "our", "please", "possible",
    "question", "she", "should", "so", "some", "something", "somewhere", "take", "takes",
    "than", "thank", "thanks", "that", "the", "their", "them", "then", "there", "these", "they",
    "this", "those", "to", "too", "up", "us", "very", "want", "was", "we", "were", "what",
    "when", "where", "which", "who", "why", "will", "with", "would", "yes", "you", "your",
];

/// The start of `body` as an answer: whole sentences up to `max_chars`
/// characters. When even the first sentence is longer (or the sentences
/// that fit are very short), it is cut at a word and ends with `…`.
pub fn excerpt(body: &str, max_chars: usize) -> String {
    let body = body.trim();
    if body.chars().count() <= max_chars {
        return body.to_string();
    }
    // Byte index just past the last character that fits.
    let limit = body
        .char_indices()
        .nth(max_chars)
        .map(|(i, _)| i)
        .unwrap_or(body.len());
    let head = &body[..limit];
    let chars: Vec<(usize, char)> = head.char_indices().collect();
    let mut cut = None;
    for (k, &(i, c)) in chars.iter().enumerate() {
        let next = chars
            .get(k + 1)
            .map(|&(_, n)| n)
            .or_else(|| body[limit..].chars().next());
        let end_of_sentence =
            matches!(c, '.' | '!' | '?' | '…') && next.is_none_or(char::is_whitespace);
        if end_of_sentence || c == '\n' {
            cut = Some(i + c.len_utf8());
        }
    }
    match cut {
        Some(i) if head[..i].trim().chars().count() >= max_chars / 3 => {
            head[..i].trim().to_string()
        }
        _ => {
            let word_end = head
                .rfind(char::is_whitespace)
                .filter(|&i| i > 0)
                .unwrap_or(head.len());
            let mut s = head[..word_end].trim_end().to_string();
            // Make room for the ellipsis.
            if s.chars().count() >= max_chars {
                s = s.chars().take(max_chars.saturating_sub(1)).collect();
            }
            s.push('…');
            s
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nl(s: &str) -> Vec<String> {
        analyse(s, Language::Nl)
    }

    fn en(s: &str) -> Vec<String> {
        analyse(s, Language::En)
    }

    #[test]
    fn dutch_forms_of_a_word_share_a_stem() {
        for group in [
            &["pakketje", "pakket", "pakketten", "pakketjes"][..],
            &["leveringen", "levering", "leveren", "geleverd"],
            &["bestelling", "bestellingen", "bestellen"],
            &["maat", "maten"],
            &["prijs", "prijzen"],
            &["garantie", "garanties"],
            &["cadeautje", "cadeau", "cadeaus"],
            &["werkdag", "werkdagen"],
            &["afhaalpunt", "afhaalpunten"],
            &["snel", "snelle"],
        ] {
            let stems: HashSet<String> = group.iter().map(|w| stem_dutch(w)).collect();
            assert_eq!(stems.len(), 1, "{group:?} -> {stems:?}");
        }
        assert_ne!(stem_dutch("pakket"), stem_dutch("betaling"));
    }

    #[test]
    fn english_forms_of_a_word_share_a_stem() {
        for group in [
            &["shipping", "ship", "shipped", "ships", "shipment"][..],
            &[
                "delivery",
                "deliveries",
                "delivered",
                "deliver",
                "delivering",
            ],
            &["size", "sizes", "sizing"],
            &["wrap", "wrapping", "wrapped"],
            &["return", "returns", "returned"],
            &["germany", "german"],
            &["point", "points"],
            &["warranty", "warranties"],
            &["box", "boxes"],
        ] {
            let stems: HashSet<String> = group.iter().map(|w| stem_english(w)).collect();
            assert_eq!(stems.len(), 1, "{group:?} -> {stems:?}");
        }
        assert_eq!(stem_english("fee"), "fee");
        assert_eq!(stem_english("need"), "need");
    }

    #[test]
    fn analysis_folds_accents_and_drops_stopwords_and_question_phrasing() {
        assert_eq!(
            nl("Hoe lang duurt de levering naar België?"),
            ["lever", "belgi"]
        );
        assert_eq!(nl("belgie"), nl("BELGIË"));
        assert_eq!(
            en("How long does it take to ship to Germany?"),
            ["ship", "german"]
        );
        // Question words go, a long coat stays.
        assert_eq!(nl("lange jas"), ["lang", "jas"]);
        assert!(nl("hoi, kan ik even iets vragen?")
            .iter()
            .all(|t| t != "hoi"));
    }

    #[test]
    fn hyphens_give_parts_and_the_joined_word_and_apostrophes_join() {
        assert_eq!(words("Pick-up punt"), ["pick", "up", "pickup", "punt"]);
        assert_eq!(words("auto's, e-mail!"), ["autos", "e", "mail", "email"]);
        assert_eq!(words("2-3 werkdagen"), ["2", "3", "werkdagen"]);
        assert_eq!(words("  "), Vec::<String>::new());
    }

    /// (title, body) in one language.
    type Text = Option<(&'static str, &'static str)>;

    struct Fixture {
        /// (id, Dutch, English, keywords).
        texts: Vec<(i64, Text, Text, &'static str)>,
    }

    impl Fixture {
        fn shop() -> Fixture {
            Fixture {
                texts: vec![
                    (
                        1,
                        Some(("Verzending naar België", "We verzenden naar heel België. Een pakket is binnen 2 tot 3 werkdagen bij je. De verzendkosten zijn 5,95 euro; boven 75 euro is de levering gratis.")),
                        Some(("Shipping to Belgium", "We ship all over Belgium. A parcel arrives within 2 to 3 working days. Shipping costs 5.95 euros, free above 75 euros.")),
                        "belgie belgium verzendkosten",
                    ),
                    (
                        2,
                        Some(("Verzending naar Duitsland", "Naar Duitsland verzenden we met DHL. Reken op 3 tot 5 werkdagen. De verzendkosten zijn 7,95 euro.")),
                        Some(("Shipping to Germany", "We ship to Germany with DHL. Allow 3 to 5 working days. Shipping costs 7.95 euros.")),
                        "duitsland germany dhl",
                    ),
                    (
                        3,
                        Some(("Cadeauverpakking", "Wil je een cadeautje versturen? Kies bij het afrekenen voor cadeauverpakking. We pakken het in met een kaartje en laten de prijs weg.")),
                        Some(("Gift wrapping", "Sending a present? Choose gift wrapping at checkout. We wrap it with a card and leave the price off.")),
                        "cadeau gift inpakken",
                    ),
                    (
                        4,
                        Some(("Maattabel", "Twijfel je over je maat? Bekijk de maattabel bij elk artikel. Valt het toch te klein, dan ruil je het gratis.")),
                        None,
                        "maat size",
                    ),
                    (
                        5,
                        None,
                        Some(("Warranty", "All our products come with a two-year warranty. Contact us with your order number and a photo of the defect.")),
                        "",
                    ),
                ],
            }
        }

        fn articles(&self) -> Vec<Article<'_>> {
            self.texts
                .iter()
                .map(|(id, nl, en, keywords)| Article {
                    id: *id,
                    nl: nl.map(|(title, body)| ArticleText { title, body }),
                    en: en.map(|(title, body)| ArticleText { title, body }),
                    keywords,
                })
                .collect()
        }
    }

    fn top(lang: Language, q: &str) -> Vec<SearchHit> {
        search(&Fixture::shop().articles(), lang, q, 5)
    }

    #[test]
    fn finds_the_article_a_question_is_about() {
        let hits = top(Language::Nl, "hoe lang duurt de levering naar België?");
        assert_eq!(hits[0].id, 1, "{hits:?}");
        assert!(hits[0].score >= 0.6, "{hits:?}");
        assert!(
            hits.iter().skip(1).all(|h| h.score < hits[0].score - 0.2),
            "{hits:?}"
        );

        let hits = top(Language::En, "do you ship to Germany?");
        assert_eq!(hits[0].id, 2, "{hits:?}");
        assert_eq!(hits[0].language, Language::En);
        assert!(hits[0].score >= 0.9, "{hits:?}");

        // Stemmed forms: "pakketje" finds "pakket", "wrapped" finds "wrapping".
        let hits = top(Language::Nl, "wanneer is mijn pakketje in belgie");
        assert_eq!(hits[0].id, 1, "{hits:?}");
        let hits = top(Language::En, "can my present be wrapped?");
        assert_eq!(hits[0].id, 3, "{hits:?}");
    }

    #[test]
    fn a_missing_language_falls_back_ranked_lower() {
        let hits = top(
            Language::Nl,
            "hoeveel garantie zit er op de producten? warranty",
        );
        assert_eq!(hits[0].id, 5, "{hits:?}");
        assert_eq!(hits[0].language, Language::En);
        assert!(hits[0].score <= FALLBACK_FACTOR);
        // The same words score higher in the article's own language.
        let own = top(Language::En, "warranty on products");
        let fallback = top(Language::Nl, "warranty on products");
        assert_eq!(own[0].id, 5);
        assert_eq!(fallback[0].id, 5);
        assert!(fallback[0].score < own[0].score, "{own:?} {fallback:?}");
    }

    #[test]
    fn a_topic_no_article_covers_scores_low() {
        // Shipping is covered, Sweden is not: at most half.
        let hits = top(Language::En, "do you ship to Sweden?");
        assert!(hits.iter().all(|h| h.score <= 0.5), "{hits:?}");
        assert!(top(Language::Nl, "mijn kat is ziek").is_empty());
        assert!(top(Language::Nl, "").is_empty());
        assert!(top(Language::Nl, "hoe lang duurt het?").is_empty());
    }

    #[test]
    fn scores_are_normalised_and_sorted_and_limited() {
        for q in [
            "verzending",
            "gratis verzending naar duitsland",
            "size",
            "ship costs euros",
        ] {
            for lang in [Language::Nl, Language::En] {
                let hits = top(lang, q);
                for pair in hits.windows(2) {
                    assert!(pair[0].score >= pair[1].score, "{q}: {hits:?}");
                }
                assert!(
                    hits.iter().all(|h| (0.0..=1.0).contains(&h.score)),
                    "{q}: {hits:?}"
                );
            }
        }
        assert_eq!(
            search(&Fixture::shop().articles(), Language::Nl, "verzending", 1).len(),
            1
        );
    }

    #[test]
    fn a_title_match_outranks_a_body_match() {
        let articles = [
            Article {
                id: 1,
                nl: Some(ArticleText {
                    title: "Betalen",
                    body: "Je kunt betalen met iDEAL of creditcard, ook bij retourneren.",
                }),
                en: None,
                keywords: "",
            },
            Article {
                id: 2,
                nl: Some(ArticleText {
                    title: "Retourneren",
                    body: "Stuur het artikel binnen 30 dagen terug.",
                }),
                en: None,
                keywords: "",
            },
        ];
        let hits = search(&articles, Language::Nl, "retourneren", 5);
        assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [2, 1]);
        assert!(hits[0].score > 0.95 && hits[1].score < 0.9, "{hits:?}");
    }

    #[test]
    fn a_word_finds_the_compounds_it_starts_at_lower_weight() {
        let articles = [
            Article {
                id: 1,
                nl: Some(ArticleText {
                    title: "Niet thuis?",
                    body: "Kies een ophaalpunt bij jou in de buurt.",
                }),
                en: None,
                keywords: "",
            },
            Article {
                id: 2,
                nl: Some(ArticleText {
                    title: "Retourneren",
                    body: "Stuur het pakket binnen 30 dagen terug.",
                }),
                en: None,
                keywords: "",
            },
        ];
        let compound = search(&articles, Language::Nl, "waar kan ik het ophalen", 5);
        assert_eq!(compound.len(), 1, "{compound:?}");
        assert_eq!(compound[0].id, 1);
        let exact = search(&articles, Language::Nl, "waar is het ophaalpunt", 5);
        assert_eq!(exact[0].id, 1, "{exact:?}");
        assert!(exact[0].score > compound[0].score, "{exact:?} {compound:?}");
        // Short stems do not go looking inside other words.
        assert!(search(&articles, Language::Nl, "pak", 5).is_empty());
    }

    #[test]
    fn excerpts_end_at_a_sentence() {
        assert_eq!(excerpt("  Kort.  ", 600), "Kort.");
        let body = "Eerste zin van het antwoord. Tweede zin, iets langer dan de eerste. Derde zin die niet past.";
        assert_eq!(
            excerpt(body, 70),
            "Eerste zin van het antwoord. Tweede zin, iets langer dan de eerste."
        );
        // "2.5" is not the end of a sentence.
        assert_eq!(
            excerpt("Kost 2.5 euro per stuk en meer. Rest", 34),
            "Kost 2.5 euro per stuk en meer."
        );
        // One long sentence: cut at a word, with an ellipsis, within the limit.
        let long = "woord ".repeat(200);
        let cut = excerpt(&long, 600);
        assert!(
            cut.ends_with("woord…") && cut.chars().count() <= 600,
            "{cut}"
        );
        // Multi-byte text is cut on character boundaries.
        let accents = "é".repeat(700);
        assert_eq!(excerpt(&accents, 600).chars().count(), 600);
        // A paragraph break is a boundary too.
        let paragraphs = format!("{}\n{}", "a ".repeat(200), "b ".repeat(200));
        assert_eq!(excerpt(&paragraphs, 600), "a ".repeat(200).trim());
    }

    /// Cost of building the index per question: run with
    /// `cargo test -p balie-nlu --release search_cost -- --ignored --nocapture`.
    #[test]
    #[ignore]
    fn search_cost() {
        let body_nl = "Wij verzenden pakketten met PostNL en DHL naar Nederland, België en Duitsland. Bestellingen die op werkdagen voor 22:00 uur binnen zijn, worden de volgende werkdag bezorgd. Je krijgt een track-and-trace-code per e-mail zodra je pakket onderweg is. ".repeat(6);
        let body_en = "We ship parcels with PostNL and DHL to the Netherlands, Belgium and Germany. Orders placed on working days before 10 pm are delivered the next working day. You receive a tracking code by email as soon as your parcel ships. ".repeat(6);
        let titles: Vec<String> = (0..500)
            .map(|i| format!("Artikel {i} over verzending"))
            .collect();
        for n in [50usize, 200, 500] {
            let articles: Vec<Article<'_>> = titles[..n]
                .iter()
                .enumerate()
                .map(|(i, t)| Article {
                    id: i as i64,
                    nl: Some(ArticleText {
                        title: t,
                        body: &body_nl,
                    }),
                    en: Some(ArticleText {
                        title: t,
                        body: &body_en,
                    }),
                    keywords: "verzending shipping",
                })
                .collect();
            let rounds = 20;
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                let index = KnowledgeIndex::new(&articles, Language::Nl);
                assert!(!index.docs.is_empty());
            }
            let build = start.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
            let index = KnowledgeIndex::new(&articles, Language::Nl);
            let start = std::time::Instant::now();
            for _ in 0..rounds {
                let hits = index.search("hoe lang duurt de levering naar België?", 3);
                assert!(!hits.is_empty());
            }
            let search = start.elapsed().as_secs_f64() * 1000.0 / rounds as f64;
            println!(
                "{n} articles of {} chars: building the index {build:.2} ms, a question on a built index {search:.2} ms",
                body_nl.len(),
            );
        }
    }
}
