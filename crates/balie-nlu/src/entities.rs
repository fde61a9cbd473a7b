//! Entity extraction from customer messages: order numbers, track-and-trace
//! codes, postcodes, e-mail addresses, phone numbers, amounts and dates, in
//! Dutch, Flemish and English writing.
//!
//! Every entity carries its normalised `value`, the `text` as written and the
//! byte offsets `start..end` into the message. Entities never overlap: when
//! two candidates overlap, the more specific kind wins, then the longer
//! match, then the earlier one. From most to least specific: e-mail address,
//! alphanumeric tracking code, amount, phone number written with +31/+32,
//! date, relative date, numeric tracking code with a carrier word before it,
//! order number with an order word before it, other phone number, numeric
//! tracking code, postcode, other order number. So a 14-digit DPD code is
//! reported once, as a tracking code, not also as an order number.
//!
//! Rules worth knowing:
//! - **Order numbers** follow the shop's own pattern
//!   ([`EntityConfig::order_number_pattern`]). A number right after a word
//!   such as "bestelling", "bestelnr", "order" or "#" is taken as an order
//!   number even where it could also be a phone number or a DPD code.
//! - **Dutch postcodes** (`1234 AB`, `1234ab`) are normalised to `1234AB`;
//!   the first digit is 1-9 and SA, SD and SS are never issued. When the
//!   letters are lower case and written apart (`1000 ml`, `2023 en`) they are
//!   only accepted when the letters are not a common word or unit.
//! - **Belgian postcodes** are four bare digits, which are ambiguous (a year,
//!   an amount, a house number...). They are only reported with context: a
//!   `B-`/`BE-` prefix (`B-2000`), a following Belgian city or municipality
//!   (`9000 Gent`, `2000 Antwerpen`), or the word "postnummer" before them, or
//!   the word "postcode" before them in a message that mentions Belgium.
//! - **Phone numbers** are normalised to E.164. Ten-digit numbers starting
//!   with 046-049 are Belgian mobile numbers (+32); other ten-digit numbers
//!   starting with 0 are Dutch (+31); nine-digit numbers starting with 0 are
//!   Belgian landlines (+32).
//! - **Amounts** need a currency mark (`€`, `EUR`, `euro`) and are normalised
//!   to `12.50 EUR`. Both `1.250,00` and `1,250.00` are understood.
//! - **Dates**: `dd-mm-yyyy` (also `/` and `.`, two-digit years are 20yy),
//!   ISO `yyyy-mm-dd`, `12 maart [2026]`, `12th of March`, `March 12, 2026`
//!   are normalised to `yyyy-mm-dd`; a date without a year is `--mm-dd` (ISO
//!   8601) unless [`EntityConfig::today`] is set, in which case today's year
//!   is used. Relative dates ("vandaag", "morgen", "gisteren", "overmorgen",
//!   "eergisteren", "today", "tomorrow", "yesterday", "volgende maandag",
//!   "next monday", "vorige vrijdag", "last friday") become `today`,
//!   `tomorrow`, `yesterday`, `day_after_tomorrow`, `day_before_yesterday`,
//!   `next_monday`, `last_friday`, ... or, when `today` is set, the resolved
//!   ISO date. Nothing here reads the clock.

use regex_lite::Regex;
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// A parcel carrier, recognised from the shape of a tracking code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Carrier {
    /// PostNL (`3SABCD1234567`, international `RR123456789NL`).
    #[serde(rename = "postnl")]
    PostNl,
    /// DHL (`JVGL...`, `JJD...`, 10-digit Express numbers with "DHL" nearby,
    /// Deutsche Post `..DE` S10 codes).
    Dhl,
    /// DPD (14 digits).
    Dpd,
    /// UPS (`1Z` + 16 characters).
    Ups,
    /// bpost (24 digits starting with 32, international `..BE` codes).
    Bpost,
    /// GLS (11-12 digits with "GLS" nearby).
    Gls,
    /// Another national post (an S10 code of another country).
    Other,
}

/// Country of a postcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    /// The Netherlands.
    #[serde(rename = "NL")]
    Nl,
    /// Belgium.
    #[serde(rename = "BE")]
    Be,
}

/// What kind of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EntityKind {
    /// The shop's order number; value without `#` and spaces, letters upper case.
    OrderNumber,
    /// A parcel tracking code; value upper case without spaces.
    TrackingCode {
        /// The carrier the code belongs to.
        carrier: Carrier,
    },
    /// A postcode; value `1234AB` (NL) or `2000` (BE).
    Postcode {
        /// NL or BE.
        country: Country,
    },
    /// An e-mail address; value lower case.
    Email,
    /// A phone number; value in E.164 (`+31612345678`).
    Phone,
    /// An amount of money; value `12.50 EUR`.
    Amount,
    /// A date; value `yyyy-mm-dd`, `--mm-dd` or a relative word.
    Date,
}

impl EntityKind {
    /// The kind's name as serialised in `type` (`order_number`, `postcode`...).
    pub fn name(self) -> &'static str {
        match self {
            EntityKind::OrderNumber => "order_number",
            EntityKind::TrackingCode { .. } => "tracking_code",
            EntityKind::Postcode { .. } => "postcode",
            EntityKind::Email => "email",
            EntityKind::Phone => "phone",
            EntityKind::Amount => "amount",
            EntityKind::Date => "date",
        }
    }
}

/// One entity found in a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// What it is.
    pub kind: EntityKind,
    /// Normalised value (see [`EntityKind`]).
    pub value: String,
    /// The text as written in the message.
    pub text: String,
    /// Byte offset of the first byte in the message.
    pub start: usize,
    /// Byte offset one past the last byte in the message.
    pub end: usize,
}

/// The default order-number pattern: an optional `#`, an optional prefix of
/// one to three letters (with an optional hyphen), then 5 to 10 digits.
pub const DEFAULT_ORDER_NUMBER_PATTERN: &str = r"(?:#\s?)?\b(?:[A-Za-z]{1,3}-?)?\d{5,10}\b";

/// Shop-specific settings for entity extraction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntityConfig {
    /// Regular expression (regex-lite syntax) matching the shop's order numbers.
    pub order_number_pattern: String,
    /// Today's date `(year, month, day)`, to resolve relative dates and dates
    /// without a year. `None` keeps them relative.
    pub today: Option<(i32, u32, u32)>,
}

impl Default for EntityConfig {
    fn default() -> Self {
        EntityConfig {
            order_number_pattern: DEFAULT_ORDER_NUMBER_PATTERN.to_string(),
            today: None,
        }
    }
}

/// A compiled extractor: build it once per shop and reuse it.
#[derive(Debug, Clone)]
pub struct EntityExtractor {
    order_number: Option<Regex>,
    today: Option<(i32, u32, u32)>,
}

impl EntityExtractor {
    /// Compiles the configuration; fails when the order-number pattern is not
    /// a valid regular expression.
    pub fn new(config: &EntityConfig) -> Result<Self, String> {
        let order_number = Regex::new(&config.order_number_pattern)
            .map_err(|e| format!("invalid order_number_pattern: {e}"))?;
        Ok(EntityExtractor {
            order_number: Some(order_number),
            today: config.today,
        })
    }

    /// Extracts all entities, without overlaps, ordered by position.
    pub fn extract(&self, text: &str) -> Vec<Entity> {
        let mut candidates = Vec::new();
        let lower = text.to_lowercase();
        // `to_lowercase` can change byte lengths for some scripts; only use the
        // lower-cased copy for keyword checks when the offsets still agree.
        let lower = if lower.len() == text.len() {
            lower
        } else {
            text.to_ascii_lowercase()
        };
        find_emails(text, &mut candidates);
        find_tracking_codes(text, &lower, &mut candidates);
        find_amounts(text, &mut candidates);
        find_dates(text, self.today, &mut candidates);
        find_phones(text, &mut candidates);
        find_postcodes(text, &lower, &mut candidates);
        self.find_order_numbers(text, &lower, &mut candidates);
        resolve_overlaps(candidates)
    }

    fn find_order_numbers(&self, text: &str, lower: &str, out: &mut Vec<Candidate>) {
        let Some(re) = &self.order_number else {
            return;
        };
        for m in re.find_iter(text) {
            if m.as_str().is_empty() {
                continue;
            }
            let value: String = m
                .as_str()
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '#')
                .collect::<String>()
                .to_uppercase();
            if value.is_empty() {
                continue;
            }
            let has_context = m.as_str().starts_with('#')
                || has_keyword_before(lower, m.start(), ORDER_KEYWORDS, 30);
            let priority = if has_context {
                Priority::OrderNumberInContext
            } else {
                Priority::OrderNumber
            };
            out.push(Candidate::new(
                priority,
                EntityKind::OrderNumber,
                value,
                text,
                m.start(),
                m.end(),
            ));
        }
    }
}

/// Extracts entities with a one-off extractor built from `config`. When the
/// order-number pattern is invalid, order numbers are skipped. Prefer
/// [`EntityExtractor`] in hot paths: it compiles the pattern once.
pub fn extract_entities(text: &str, config: &EntityConfig) -> Vec<Entity> {
    match EntityExtractor::new(config) {
        Ok(extractor) => extractor.extract(text),
        Err(_) => EntityExtractor {
            order_number: None,
            today: config.today,
        }
        .extract(text),
    }
}

/// How specific a candidate is; higher wins an overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Priority {
    OrderNumber = 10,
    Postcode = 20,
    NumericTrackingCode = 30,
    Phone = 40,
    OrderNumberInContext = 50,
    NumericTrackingCodeInContext = 55,
    RelativeDate = 60,
    Date = 65,
    InternationalPhone = 70,
    Amount = 75,
    TrackingCode = 80,
    Email = 90,
}

#[derive(Debug)]
struct Candidate {
    priority: Priority,
    entity: Entity,
}

impl Candidate {
    fn new(
        priority: Priority,
        kind: EntityKind,
        value: String,
        text: &str,
        start: usize,
        end: usize,
    ) -> Candidate {
        Candidate {
            priority,
            entity: Entity {
                kind,
                value,
                text: text[start..end].to_string(),
                start,
                end,
            },
        }
    }
}

fn resolve_overlaps(mut candidates: Vec<Candidate>) -> Vec<Entity> {
    candidates.sort_by(|a, b| {
        b.priority
            .cmp(&a.priority)
            .then((b.entity.end - b.entity.start).cmp(&(a.entity.end - a.entity.start)))
            .then(a.entity.start.cmp(&b.entity.start))
    });
    let mut kept: Vec<Entity> = Vec::new();
    for c in candidates {
        let e = c.entity;
        if kept.iter().all(|k| e.end <= k.start || e.start >= k.end) {
            kept.push(e);
        }
    }
    kept.sort_by_key(|e| e.start);
    kept
}

const ORDER_KEYWORDS: &[&str] = &[
    "bestelling",
    "bestelnummer",
    "bestelnr",
    "bestel nr",
    "ordernummer",
    "ordernr",
    "order nr",
    "order",
    "bestel",
    "purchase",
    "referentie",
    "ref",
];

const TRACKING_KEYWORDS: &[&str] = &[
    "track",
    "trace",
    "tracking",
    "zending",
    "zendingnummer",
    "barcode",
    "pakket",
    "parcel",
    "dpd",
    "dhl",
    "gls",
    "bpost",
    "postnl",
    "ups",
];

/// True when one of `keywords` ends within `window` bytes before `pos`
/// (only separators such as spaces, `:`, `#`, `.` and `-` may follow it).
fn has_keyword_before(lower: &str, pos: usize, keywords: &[&str], window: usize) -> bool {
    let from = floor_char_boundary(lower, pos.saturating_sub(window));
    let before = &lower[from..pos];
    let trimmed =
        before.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ':' | '#' | '.' | '-'));
    // Allow a few short words in between ("bestelling met nummer 123", "order is 123").
    let words: Vec<&str> = trimmed
        .split(|c: char| !c.is_alphanumeric() && c != '.')
        .filter(|w| !w.is_empty())
        .collect();
    words
        .iter()
        .rev()
        .take(3)
        .any(|w| keywords.iter().any(|k| !k.contains(' ') && w == k))
        || keywords
            .iter()
            .filter(|k| k.contains(' '))
            .any(|k| trimmed.ends_with(k))
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn contains_word(lower: &str, word: &str) -> bool {
    lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| w == word)
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("static entity regex"))
}

// ---------------------------------------------------------------- e-mail

fn find_emails(text: &str, out: &mut Vec<Candidate>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    );
    for m in re.find_iter(text) {
        let s = m.as_str().trim_start_matches('.');
        let start = m.end() - s.len();
        out.push(Candidate::new(
            Priority::Email,
            EntityKind::Email,
            s.to_lowercase(),
            text,
            start,
            m.end(),
        ));
    }
}

// ---------------------------------------------------------------- tracking

fn find_tracking_codes(text: &str, lower: &str, out: &mut Vec<Candidate>) {
    static POSTNL: OnceLock<Regex> = OnceLock::new();
    static S10: OnceLock<Regex> = OnceLock::new();
    static UPS: OnceLock<Regex> = OnceLock::new();
    static DHL: OnceLock<Regex> = OnceLock::new();
    static DIGITS: OnceLock<Regex> = OnceLock::new();

    let mut push = |priority, carrier, start: usize, end: usize| {
        let value: String = text[start..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        out.push(Candidate::new(
            priority,
            EntityKind::TrackingCode { carrier },
            value,
            text,
            start,
            end,
        ));
    };

    for m in regex(&POSTNL, r"(?i)\b3S[A-Z]{4}\d{7,9}\b").find_iter(text) {
        push(Priority::TrackingCode, Carrier::PostNl, m.start(), m.end());
    }
    for c in regex(&S10, r"(?i)\b([A-Z]{2})(\d{8})(\d)([A-Z]{2})\b").captures_iter(text) {
        let m = c.get(0).expect("match");
        let serial = &c[2];
        let check: u32 = c[3].parse().unwrap_or(99);
        if s10_check_digit(serial) != Some(check) {
            continue;
        }
        let carrier = match c[4].to_ascii_uppercase().as_str() {
            "NL" => Carrier::PostNl,
            "BE" => Carrier::Bpost,
            "DE" => Carrier::Dhl,
            _ => Carrier::Other,
        };
        push(Priority::TrackingCode, carrier, m.start(), m.end());
    }
    for m in regex(&UPS, r"(?i)\b1Z[0-9A-Z]{16}\b").find_iter(text) {
        push(Priority::TrackingCode, Carrier::Ups, m.start(), m.end());
    }
    for m in regex(&DHL, r"(?i)\b(?:JVGL\d{8,22}|JJD\d{10,22}|JD\d{18})\b").find_iter(text) {
        push(Priority::TrackingCode, Carrier::Dhl, m.start(), m.end());
    }
    let mentions = |w: &str| contains_word(lower, w);
    for m in regex(&DIGITS, r"\b\d{10,24}\b").find_iter(text) {
        let n = m.as_str().len();
        let in_context = has_keyword_before(lower, m.start(), TRACKING_KEYWORDS, 40);
        let numeric = if in_context {
            Priority::NumericTrackingCodeInContext
        } else {
            Priority::NumericTrackingCode
        };
        let carrier = if n == 14 {
            Some(Carrier::Dpd)
        } else if n == 24 && m.as_str().starts_with("32") {
            Some(Carrier::Bpost)
        } else if (n == 10 || n == 12 || n == 20) && mentions("dhl") {
            Some(Carrier::Dhl)
        } else if (n == 11 || n == 12) && mentions("gls") {
            Some(Carrier::Gls)
        } else {
            None
        };
        // A ten-digit number starting with 0 is a phone number unless the
        // customer says it is a DHL code right before it.
        if let Some(carrier) = carrier {
            if n == 10 && m.as_str().starts_with('0') && !in_context {
                continue;
            }
            push(numeric, carrier, m.start(), m.end());
        }
    }
}

/// UPU S10 check digit for the 8-digit serial number.
fn s10_check_digit(serial: &str) -> Option<u32> {
    const WEIGHTS: [u32; 8] = [8, 6, 4, 2, 3, 5, 9, 7];
    if serial.len() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in serial.chars().zip(WEIGHTS) {
        sum += c.to_digit(10)? * w;
    }
    Some(match 11 - sum % 11 {
        10 => 0,
        11 => 5,
        d => d,
    })
}

// ---------------------------------------------------------------- postcodes

/// Letter pairs that are never issued as Dutch postcode letters.
const FORBIDDEN_NL_LETTERS: &[&str] = &["SA", "SD", "SS"];

/// Lower-case two-letter words and units that follow a number far more often
/// than postcode letters do ("1000 ml", "2023 en", "1500 km").
const NOT_POSTCODE_LETTERS: &[&str] = &[
    "en", "de", "op", "in", "is", "te", "om", "al", "nu", "of", "ik", "je", "ze", "we", "me", "er",
    "na", "zo", "da", "ge", "an", "at", "be", "by", "do", "go", "he", "if", "it", "my", "no", "on",
    "or", "so", "to", "up", "us", "ml", "cl", "dl", "cm", "mm", "km", "kg", "gr", "mg", "kb", "mb",
    "gb", "tb", "mp", "hz", "st", "nd", "rd", "th", "pk", "kw", "eu", "uu", "am", "pm", "ct",
];

/// Belgian cities and large municipalities accepted after four digits.
const BELGIAN_PLACES: &[&str] = &[
    "brussel",
    "bruxelles",
    "brussels",
    "antwerpen",
    "anvers",
    "gent",
    "gand",
    "brugge",
    "bruges",
    "leuven",
    "louvain",
    "mechelen",
    "hasselt",
    "genk",
    "kortrijk",
    "oostende",
    "aalst",
    "sint-niklaas",
    "roeselare",
    "turnhout",
    "lier",
    "dendermonde",
    "beveren",
    "geel",
    "mol",
    "herentals",
    "ieper",
    "tienen",
    "vilvoorde",
    "zaventem",
    "halle",
    "waregem",
    "lokeren",
    "ninove",
    "deinze",
    "eeklo",
    "knokke",
    "knokke-heist",
    "tongeren",
    "sint-truiden",
    "lommel",
    "maasmechelen",
    "beringen",
    "heusden-zolder",
    "diest",
    "aarschot",
    "schoten",
    "brasschaat",
    "kapellen",
    "mortsel",
    "edegem",
    "kontich",
    "boom",
    "wilrijk",
    "deurne",
    "berchem",
    "merksem",
    "hoboken",
    "ekeren",
    "zele",
    "wetteren",
    "oudenaarde",
    "ronse",
    "geraardsbergen",
    "zottegem",
    "torhout",
    "tielt",
    "izegem",
    "menen",
    "wevelgem",
    "poperinge",
    "diksmuide",
    "nieuwpoort",
    "blankenberge",
    "liège",
    "luik",
    "liege",
    "namur",
    "namen",
    "charleroi",
    "mons",
    "bergen",
    "tournai",
    "doornik",
    "wavre",
    "waver",
    "arlon",
    "aarlen",
    "verviers",
    "eupen",
    "ottignies",
    "louvain-la-neuve",
    "mouscron",
    "moeskroen",
    "nivelles",
    "nijvel",
    "waterloo",
    "ukkel",
    "uccle",
    "elsene",
    "ixelles",
    "schaarbeek",
    "schaerbeek",
    "anderlecht",
    "etterbeek",
    "jette",
    "evere",
    "vorst",
    "forest",
    "molenbeek",
    "sint-gillis",
    "oudergem",
    "auderghem",
    "bornem",
    "puurs",
    "willebroek",
    "keerbergen",
    "overijse",
];

fn find_postcodes(text: &str, lower: &str, out: &mut Vec<Candidate>) {
    static NL: OnceLock<Regex> = OnceLock::new();
    static BE_PREFIX: OnceLock<Regex> = OnceLock::new();
    static BE_PLACE: OnceLock<Regex> = OnceLock::new();
    static BE_KEYWORD: OnceLock<Regex> = OnceLock::new();

    for c in regex(&NL, r"\b([1-9]\d{3})(\s?)([A-Za-z]{2})\b").captures_iter(text) {
        let m = c.get(0).expect("match");
        let letters = &c[3];
        let upper = letters.to_ascii_uppercase();
        if FORBIDDEN_NL_LETTERS.contains(&upper.as_str()) {
            continue;
        }
        let all_lower = letters.chars().all(|ch| ch.is_ascii_lowercase());
        if all_lower && NOT_POSTCODE_LETTERS.contains(&letters) {
            continue;
        }
        out.push(Candidate::new(
            Priority::Postcode,
            EntityKind::Postcode {
                country: Country::Nl,
            },
            format!("{}{}", &c[1], upper),
            text,
            m.start(),
            m.end(),
        ));
    }

    let mut push_be = |start: usize, end: usize, digits: &str| {
        out.push(Candidate::new(
            Priority::Postcode,
            EntityKind::Postcode {
                country: Country::Be,
            },
            digits.to_string(),
            text,
            start,
            end,
        ));
    };
    for c in regex(&BE_PREFIX, r"(?i)\bBE?-\s?([1-9]\d{3})\b").captures_iter(text) {
        let m = c.get(0).expect("match");
        push_be(m.start(), m.end(), &c[1]);
    }
    for c in regex(&BE_PLACE, r"\b([1-9]\d{3})\s+([A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-]+)").captures_iter(text)
    {
        let place = c[2].to_lowercase();
        if BELGIAN_PLACES.contains(&place.as_str()) {
            let m = c.get(1).expect("digits");
            push_be(m.start(), m.end(), m.as_str());
        }
    }
    let mentions_belgium = ["belgië", "belgie", "belgium", "belgique", "belgien"]
        .iter()
        .any(|w| lower.contains(w));
    for c in regex(
        &BE_KEYWORD,
        r"(?i)\b(postnummer|postcode)(?:\s+is)?\s*:?\s*([1-9]\d{3})\b",
    )
    .captures_iter(text)
    {
        let keyword = c[1].to_lowercase();
        if keyword == "postnummer" || mentions_belgium {
            let m = c.get(2).expect("digits");
            push_be(m.start(), m.end(), m.as_str());
        }
    }
}

// ---------------------------------------------------------------- phones

fn find_phones(text: &str, out: &mut Vec<Candidate>) {
    static INTL: OnceLock<Regex> = OnceLock::new();
    static NATIONAL: OnceLock<Regex> = OnceLock::new();
    let intl = regex(
        &INTL,
        r"(?:\+|\b00)\s?(31|32)[\s.\-]?(?:\(0\)[\s.\-]?)?\d(?:[\s.\-/]?\d){7,9}\b",
    );
    for c in intl.captures_iter(text) {
        let m = c.get(0).expect("match");
        let country = &c[1];
        let digits: String = m.as_str().chars().filter(char::is_ascii_digit).collect();
        let prefix_len = if m.as_str().starts_with('+') { 2 } else { 4 };
        let mut national = digits[prefix_len..].to_string();
        if national.starts_with('0') {
            // "+31 (0)6 ..." or "+31 06 ..."
            national.remove(0);
        }
        let valid = match country {
            "31" => national.len() == 9,
            _ => national.len() == 8 || (national.len() == 9 && national.starts_with('4')),
        };
        if valid {
            out.push(Candidate::new(
                Priority::InternationalPhone,
                EntityKind::Phone,
                format!("+{country}{national}"),
                text,
                m.start(),
                m.end(),
            ));
        }
    }
    let national = regex(&NATIONAL, r"\b0\d(?:[\s.\-/]?\d){7,8}\b");
    for m in national.find_iter(text) {
        let s = m.as_str();
        let digits: String = s.chars().filter(char::is_ascii_digit).collect();
        // Skip dates written with separators such as 01-02-2026 or 06.12.25.
        if looks_like_date(s) {
            continue;
        }
        // Don't take half of an international number ("+31 06 ...").
        let before = text[..m.start()].trim_end();
        if before.ends_with("+31") || before.ends_with("+32") {
            continue;
        }
        let value = match digits.len() {
            10 if digits[1..].starts_with('4')
                && matches!(&digits[2..3], "6" | "7" | "8" | "9") =>
            {
                format!("+32{}", &digits[1..])
            }
            10 => format!("+31{}", &digits[1..]),
            9 => format!("+32{}", &digits[1..]),
            _ => continue,
        };
        out.push(Candidate::new(
            Priority::Phone,
            EntityKind::Phone,
            value,
            text,
            m.start(),
            m.end(),
        ));
    }
}

fn looks_like_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split(['-', '/', '.']).collect();
    parts.len() == 3
        && parts[0].len() <= 2
        && parts[1].len() <= 2
        && (parts[2].len() == 2 || parts[2].len() == 4)
}

// ---------------------------------------------------------------- amounts

fn find_amounts(text: &str, out: &mut Vec<Candidate>) {
    static PREFIX: OnceLock<Regex> = OnceLock::new();
    static SUFFIX: OnceLock<Regex> = OnceLock::new();
    const NUMBER: &str =
        r"(\d{1,3}(?:[.,]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?:[.,]-{1,2})?";
    let prefix = regex(&PREFIX, &format!(r"(?i)(?:€|\beur(?:os?)?\b)\s?{NUMBER}"));
    let suffix = regex(&SUFFIX, &format!(r"(?i)\b{NUMBER}\s?(?:€|eur(?:os?)?\b)"));
    for re in [prefix, suffix] {
        for c in re.captures_iter(text) {
            let m = c.get(0).expect("match");
            if let Some(value) = normalise_amount(&c[1]) {
                out.push(Candidate::new(
                    Priority::Amount,
                    EntityKind::Amount,
                    value,
                    text,
                    m.start(),
                    m.end(),
                ));
            }
        }
    }
}

/// `1.250,5` -> `1250.50 EUR`; `12` -> `12.00 EUR`.
fn normalise_amount(number: &str) -> Option<String> {
    let number = number.trim();
    // The decimal separator is the last `.` or `,` followed by 1-2 digits.
    let mut integer = String::new();
    let mut cents = String::from("00");
    let last_sep = number.rfind(['.', ',']);
    let (int_part, frac_part) = match last_sep {
        Some(i) if (1..=2).contains(&(number.len() - i - 1)) => (&number[..i], &number[i + 1..]),
        _ => (number, ""),
    };
    for ch in int_part.chars() {
        if ch.is_ascii_digit() {
            integer.push(ch);
        }
    }
    if !frac_part.is_empty() {
        cents = format!("{frac_part:0<2}");
    }
    let integer = integer.trim_start_matches('0');
    let integer = if integer.is_empty() { "0" } else { integer };
    if integer.len() > 12 {
        return None;
    }
    Some(format!("{integer}.{cents} EUR"))
}

// ---------------------------------------------------------------- dates

const MONTHS: &[(&str, u32)] = &[
    ("januari", 1),
    ("january", 1),
    ("jan", 1),
    ("februari", 2),
    ("february", 2),
    ("feb", 2),
    ("maart", 3),
    ("march", 3),
    ("mrt", 3),
    ("mar", 3),
    ("april", 4),
    ("apr", 4),
    ("mei", 5),
    ("may", 5),
    ("juni", 6),
    ("june", 6),
    ("jun", 6),
    ("juli", 7),
    ("july", 7),
    ("jul", 7),
    ("augustus", 8),
    ("august", 8),
    ("aug", 8),
    ("september", 9),
    ("sept", 9),
    ("sep", 9),
    ("oktober", 10),
    ("october", 10),
    ("okt", 10),
    ("oct", 10),
    ("november", 11),
    ("nov", 11),
    ("december", 12),
    ("dec", 12),
];

const MONTH_ALTERNATION: &str = "januari|january|jan|februari|february|feb|maart|march|mrt|mar|april|apr|mei|may|juni|june|jun|juli|july|jul|augustus|august|aug|september|sept|sep|oktober|october|okt|oct|november|nov|december|dec";

const WEEKDAYS: &[(&str, u32)] = &[
    ("maandag", 0),
    ("monday", 0),
    ("dinsdag", 1),
    ("tuesday", 1),
    ("woensdag", 2),
    ("wednesday", 2),
    ("donderdag", 3),
    ("thursday", 3),
    ("vrijdag", 4),
    ("friday", 4),
    ("zaterdag", 5),
    ("saturday", 5),
    ("zondag", 6),
    ("sunday", 6),
];

const WEEKDAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

fn month_number(name: &str) -> Option<u32> {
    let name = name.to_lowercase();
    let name = name.trim_end_matches('.');
    MONTHS.iter().find(|(n, _)| *n == name).map(|(_, m)| *m)
}

fn find_dates(text: &str, today: Option<(i32, u32, u32)>, out: &mut Vec<Candidate>) {
    static NUMERIC: OnceLock<Regex> = OnceLock::new();
    static ISO: OnceLock<Regex> = OnceLock::new();
    static DAY_MONTH: OnceLock<Regex> = OnceLock::new();
    static MONTH_DAY: OnceLock<Regex> = OnceLock::new();
    static RELATIVE: OnceLock<Regex> = OnceLock::new();
    static WEEKDAY: OnceLock<Regex> = OnceLock::new();

    let mut push = |priority, value: String, start: usize, end: usize| {
        out.push(Candidate::new(
            priority,
            EntityKind::Date,
            value,
            text,
            start,
            end,
        ));
    };
    let numeric = regex(
        &NUMERIC,
        r"\b(\d{1,2})([\-/.])(\d{1,2})([\-/.])(\d{4}|\d{2})\b",
    );
    for c in numeric.captures_iter(text) {
        if c[2] != c[4] {
            continue;
        }
        let m = c.get(0).expect("match");
        let mut year: i32 = c[5].parse().unwrap_or(0);
        if c[5].len() == 2 {
            year += 2000;
        }
        let (day, month) = (c[1].parse().unwrap_or(0), c[3].parse().unwrap_or(0));
        if let Some(iso) = iso_date(year, month, day) {
            push(Priority::Date, iso, m.start(), m.end());
        }
    }
    for c in regex(&ISO, r"\b(\d{4})-(\d{2})-(\d{2})\b").captures_iter(text) {
        let m = c.get(0).expect("match");
        let (year, month, day) = (
            c[1].parse().unwrap_or(0),
            c[2].parse().unwrap_or(0),
            c[3].parse().unwrap_or(0),
        );
        if let Some(iso) = iso_date(year, month, day) {
            push(Priority::Date, iso, m.start(), m.end());
        }
    }
    let day_month = regex(
        &DAY_MONTH,
        &format!(
            r"(?i)\b(\d{{1,2}})(?:e|ste|de|st|nd|rd|th)?\s+(?:of\s+)?({MONTH_ALTERNATION})\b\.?(?:\s+(\d{{4}})\b)?"
        ),
    );
    for c in day_month.captures_iter(text) {
        let m = c.get(0).expect("match");
        let day: u32 = c[1].parse().unwrap_or(0);
        let Some(month) = month_number(&c[2]) else {
            continue;
        };
        let year = c.get(3).and_then(|y| y.as_str().parse().ok());
        if let Some(value) = date_value(year, month, day, today) {
            push(Priority::Date, value, m.start(), m.end());
        }
    }
    let month_day = regex(
        &MONTH_DAY,
        &format!(
            r"(?i)\b({MONTH_ALTERNATION})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+(\d{{4}})\b)?"
        ),
    );
    for c in month_day.captures_iter(text) {
        let m = c.get(0).expect("match");
        // "3 mei 12:00" is day-month, handled above.
        if text[..m.start()]
            .trim_end()
            .ends_with(|ch: char| ch.is_ascii_digit())
        {
            continue;
        }
        let Some(month) = month_number(&c[1]) else {
            continue;
        };
        let day: u32 = c[2].parse().unwrap_or(0);
        // "mei 2026" alone is not a day; "may 12" is, "jan 5" too.
        let year = c.get(3).and_then(|y| y.as_str().parse().ok());
        if let Some(value) = date_value(year, month, day, today) {
            push(Priority::Date, value, m.start(), m.end());
        }
    }

    let relative = regex(
        &RELATIVE,
        r"(?i)\b(vandaag|morgen|gisteren|overmorgen|eergisteren|today|tomorrow|yesterday|the day after tomorrow|day after tomorrow|the day before yesterday|day before yesterday)\b",
    );
    for c in relative.captures_iter(text) {
        let m = c.get(0).expect("match");
        let word = c[1].to_lowercase();
        let (name, offset) = match word.as_str() {
            "vandaag" | "today" => ("today", 0),
            "morgen" | "tomorrow" => ("tomorrow", 1),
            "gisteren" | "yesterday" => ("yesterday", -1),
            "overmorgen" | "the day after tomorrow" | "day after tomorrow" => {
                ("day_after_tomorrow", 2)
            }
            _ => ("day_before_yesterday", -2),
        };
        // "morgen" alone as a greeting ("morgen!", "morgen allemaal").
        if word == "morgen" && is_greeting_morgen(text, m.start(), m.end()) {
            continue;
        }
        let value = match today {
            Some(t) => add_days(t, offset),
            None => name.to_string(),
        };
        push(Priority::RelativeDate, value, m.start(), m.end());
    }
    let weekday = regex(
        &WEEKDAY,
        r"(?i)\b(volgende|komende|aanstaande|next|this coming|vorige|afgelopen|last)\s+(maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b",
    );
    for c in weekday.captures_iter(text) {
        let m = c.get(0).expect("match");
        let direction = c[1].to_lowercase();
        let future = !matches!(direction.as_str(), "vorige" | "afgelopen" | "last");
        let wd = WEEKDAYS
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(&c[2]))
            .map(|(_, d)| *d)
            .unwrap_or(0);
        let value = match today {
            Some(t) => {
                let current = weekday_of(t);
                let offset = if future {
                    let d = (wd + 7 - current) % 7;
                    if d == 0 {
                        7
                    } else {
                        d as i64
                    }
                } else {
                    let d = (current + 7 - wd) % 7;
                    if d == 0 {
                        -7
                    } else {
                        -(d as i64)
                    }
                };
                add_days(t, offset)
            }
            None => format!(
                "{}_{}",
                if future { "next" } else { "last" },
                WEEKDAY_NAMES[wd as usize]
            ),
        };
        push(Priority::Date, value, m.start(), m.end());
    }
}

fn is_greeting_morgen(text: &str, start: usize, end: usize) -> bool {
    let before = text[..start].trim();
    let after = text[end..].trim_start();
    let after_word: String = after
        .chars()
        .take_while(|c| c.is_alphabetic())
        .collect::<String>()
        .to_lowercase();
    before.is_empty()
        && (after.starts_with(['!', ',', '.'])
            || matches!(after_word.as_str(), "allemaal" | "iedereen" | "team"))
}

fn date_value(
    year: Option<i32>,
    month: u32,
    day: u32,
    today: Option<(i32, u32, u32)>,
) -> Option<String> {
    match (year, today) {
        (Some(y), _) => iso_date(y, month, day),
        (None, Some((y, _, _))) => iso_date(y, month, day),
        (None, None) => {
            // Validate against a leap year so 29 February is allowed.
            iso_date(2000, month, day)?;
            Some(format!("--{month:02}-{day:02}"))
        }
    }
}

fn iso_date(year: i32, month: u32, day: u32) -> Option<String> {
    if !(1900..=2200).contains(&year) || !(1..=12).contains(&month) || day == 0 {
        return None;
    }
    if day > days_in_month(year, month) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}"))
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 (proleptic Gregorian calendar).
fn days_from_civil((y, m, d): (i32, u32, u32)) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

/// 0 = Monday .. 6 = Sunday.
fn weekday_of(date: (i32, u32, u32)) -> u32 {
    // 1970-01-01 was a Thursday (3).
    ((days_from_civil(date) + 3).rem_euclid(7)) as u32
}

fn add_days(date: (i32, u32, u32), days: i64) -> String {
    let (y, m, d) = civil_from_days(days_from_civil(date) + days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Resolves a relative date value produced by [`extract_entities`] without
/// `today` (`"tomorrow"`, `"next_monday"`, `"--03-12"`, ...) against `today`.
/// Absolute ISO dates are returned unchanged; unknown values give `None`.
pub fn resolve_date(value: &str, today: (i32, u32, u32)) -> Option<String> {
    let offset = match value {
        "today" => Some(0),
        "tomorrow" => Some(1),
        "yesterday" => Some(-1),
        "day_after_tomorrow" => Some(2),
        "day_before_yesterday" => Some(-2),
        _ => None,
    };
    if let Some(offset) = offset {
        return Some(add_days(today, offset));
    }
    if let Some(rest) = value.strip_prefix("--") {
        let (m, d) = rest.split_once('-')?;
        return iso_date(today.0, m.parse().ok()?, d.parse().ok()?);
    }
    if let Some((direction, day)) = value.split_once('_') {
        let wd = WEEKDAY_NAMES.iter().position(|n| *n == day)? as u32;
        let current = weekday_of(today);
        let offset = match direction {
            "next" => {
                let d = (wd + 7 - current) % 7;
                if d == 0 {
                    7
                } else {
                    i64::from(d)
                }
            }
            "last" => {
                let d = (current + 7 - wd) % 7;
                if d == 0 {
                    -7
                } else {
                    -i64::from(d)
                }
            }
            _ => return None,
        };
        return Some(add_days(today, offset));
    }
    let parts: Vec<&str> = value.split('-').collect();
    if parts.len() == 3 && parts[0].len() == 4 {
        return iso_date(
            parts[0].parse().ok()?,
            parts[1].parse().ok()?,
            parts[2].parse().ok()?,
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ents(text: &str) -> Vec<Entity> {
        extract_entities(text, &EntityConfig::default())
    }

    #[test]
    fn kind_names_are_the_serialised_type() {
        for kind in [
            EntityKind::OrderNumber,
            EntityKind::TrackingCode {
                carrier: Carrier::Dpd,
            },
            EntityKind::Postcode {
                country: Country::Be,
            },
            EntityKind::Email,
            EntityKind::Phone,
            EntityKind::Amount,
            EntityKind::Date,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap()["type"], kind.name());
        }
    }

    fn of_kind(text: &str, pred: impl Fn(&EntityKind) -> bool) -> Vec<String> {
        ents(text)
            .into_iter()
            .filter(|e| pred(&e.kind))
            .map(|e| e.value)
            .collect()
    }

    fn orders(text: &str) -> Vec<String> {
        of_kind(text, |k| *k == EntityKind::OrderNumber)
    }

    fn tracking(text: &str) -> Vec<(String, Carrier)> {
        ents(text)
            .into_iter()
            .filter_map(|e| match e.kind {
                EntityKind::TrackingCode { carrier } => Some((e.value, carrier)),
                _ => None,
            })
            .collect()
    }

    fn postcodes(text: &str) -> Vec<(String, Country)> {
        ents(text)
            .into_iter()
            .filter_map(|e| match e.kind {
                EntityKind::Postcode { country } => Some((e.value, country)),
                _ => None,
            })
            .collect()
    }

    fn phones(text: &str) -> Vec<String> {
        of_kind(text, |k| *k == EntityKind::Phone)
    }

    fn amounts(text: &str) -> Vec<String> {
        of_kind(text, |k| *k == EntityKind::Amount)
    }

    fn dates_with(text: &str, today: Option<(i32, u32, u32)>) -> Vec<String> {
        let config = EntityConfig {
            today,
            ..EntityConfig::default()
        };
        extract_entities(text, &config)
            .into_iter()
            .filter(|e| e.kind == EntityKind::Date)
            .map(|e| e.value)
            .collect()
    }

    fn dates(text: &str) -> Vec<String> {
        dates_with(text, None)
    }

    #[test]
    fn order_numbers() {
        let cases: &[(&str, &[&str])] = &[
            ("waar is mijn bestelling 1045873?", &["1045873"]),
            ("bestelnr 20231187 nog niet binnen", &["20231187"]),
            ("hoi, order #558201 is kapot", &["558201"]),
            ("ordernummer: 66120934", &["66120934"]),
            ("bestelling BE-10293 annuleren", &["BE-10293"]),
            ("where is order 00123842", &["00123842"]),
            (
                "ik heb 2 bestellingen: 1045873 en 1045874",
                &["1045873", "1045874"],
            ),
            ("#20231187", &["20231187"]),
            ("1045873", &["1045873"]),
            ("bestelling met nummer 7781221 klopt niet", &["7781221"]),
        ];
        for (text, expected) in cases {
            assert_eq!(orders(text), *expected, "{text}");
        }
        for text in [
            "waar is mijn pakketje",
            "ik heb 3 artikelen besteld voor 45 euro",
            "maat 42",
            "ik wacht al 1234 dagen",
            "bel me op 0612345678",
            "mijn postcode is 1234 AB",
            "3SABCD1234567",
        ] {
            assert!(orders(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn custom_order_number_pattern() {
        let config = EntityConfig {
            order_number_pattern: r"\bWS-\d{6}\b".to_string(),
            today: None,
        };
        let found = extract_entities("bestelling WS-123456 en 7654321", &config);
        let values: Vec<&str> = found
            .iter()
            .filter(|e| e.kind == EntityKind::OrderNumber)
            .map(|e| e.value.as_str())
            .collect();
        assert_eq!(values, ["WS-123456"]);
        // An invalid pattern skips order numbers but still finds the rest.
        let bad = EntityConfig {
            order_number_pattern: "(".to_string(),
            today: None,
        };
        assert!(EntityExtractor::new(&bad).is_err());
        let found = extract_entities("bestelling 1234567, mail a@b.nl", &bad);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].kind, EntityKind::Email);
    }

    #[test]
    fn tracking_codes() {
        let cases: &[(&str, &str, Carrier)] = &[
            (
                "mijn track en trace is 3SABCD1234567",
                "3SABCD1234567",
                Carrier::PostNl,
            ),
            (
                "code 3sxyzw123456789 werkt niet",
                "3SXYZW123456789",
                Carrier::PostNl,
            ),
            ("RR123456785NL", "RR123456785NL", Carrier::PostNl),
            (
                "zending CD123456785BE via bpost",
                "CD123456785BE",
                Carrier::Bpost,
            ),
            ("LX123456785DE", "LX123456785DE", Carrier::Dhl),
            (
                "tracking JVGL0123456789012345",
                "JVGL0123456789012345",
                Carrier::Dhl,
            ),
            ("JJD00012345678901234", "JJD00012345678901234", Carrier::Dhl),
            ("dhl express 1234567890", "1234567890", Carrier::Dhl),
            (
                "DPD 05212345678901 niet ontvangen",
                "05212345678901",
                Carrier::Dpd,
            ),
            ("12345678901234", "12345678901234", Carrier::Dpd),
            ("UPS 1Z999AA10123456784", "1Z999AA10123456784", Carrier::Ups),
            (
                "bpost 323212345678901234567890",
                "323212345678901234567890",
                Carrier::Bpost,
            ),
            ("GLS pakket 12345678901", "12345678901", Carrier::Gls),
        ];
        for (text, value, carrier) in cases {
            assert_eq!(
                tracking(text),
                vec![(value.to_string(), *carrier)],
                "{text}: {:?}",
                ents(text)
            );
        }
        for text in [
            "RR123456789NL",   // wrong S10 check digit
            "3SAB1234567",     // too few letters
            "1Z12345",         // too short
            "1234567890",      // ten digits without DHL
            "bel 0612345678",  // phone
            "123456789012345", // 15 digits: no known format
        ] {
            assert!(tracking(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn dpd_code_is_not_also_an_order_number() {
        let config = EntityConfig {
            order_number_pattern: r"\b\d{5,14}\b".to_string(),
            today: None,
        };
        let found = extract_entities("DPD code 05212345678901 en bestelling 1045873", &config);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(
            found[0].kind,
            EntityKind::TrackingCode {
                carrier: Carrier::Dpd
            }
        );
        assert_eq!(found[1].kind, EntityKind::OrderNumber);
        // No two entities ever overlap.
        for text in [
            "bestelling 1045873, 3SABCD1234567, €12,50, 12-03-2026, 06-12345678, 1234 AB, a@b.nl",
            "order 05212345678901 or 1Z999AA10123456784 on 12 march 2026 for EUR 1.250,00",
        ] {
            let found = extract_entities(text, &config);
            for pair in found.windows(2) {
                assert!(pair[0].end <= pair[1].start, "{pair:?}");
            }
        }
    }

    #[test]
    fn offsets_and_text_as_written() {
        let text = "Hé, bestelling #1045873 naar 1234 ab aub";
        let found = ents(text);
        assert_eq!(found.len(), 2, "{found:?}");
        for e in &found {
            assert_eq!(&text[e.start..e.end], e.text);
        }
        assert_eq!(found[0].text, "#1045873");
        assert_eq!(found[0].value, "1045873");
        assert_eq!(found[1].text, "1234 ab");
        assert_eq!(found[1].value, "1234AB");
    }

    #[test]
    fn dutch_postcodes() {
        let cases: &[(&str, &str)] = &[
            ("mijn postcode is 1234 AB", "1234AB"),
            ("3511AB Utrecht", "3511AB"),
            ("verzend naar 9721 cd groningen", "9721CD"),
            ("Kerkstraat 12, 2611ab Delft", "2611AB"),
            ("postcode 1011 ac", "1011AC"),
        ];
        for (text, value) in cases {
            assert_eq!(
                postcodes(text),
                vec![(value.to_string(), Country::Nl)],
                "{text}"
            );
        }
        for text in [
            "0123 AB",            // first digit 0
            "1234 SA",            // never issued
            "1234SS",             // never issued
            "1234 SD",            // never issued
            "ik heb 1000 ml",     // unit
            "in 2023 en 2024",    // year + word
            "12345 AB",           // five digits
            "maat 1234",          // no letters
            "het kost 1500 euro", // amount
        ] {
            assert!(postcodes(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn belgian_postcodes_need_context() {
        let cases: &[(&str, &str)] = &[
            ("B-2000 Antwerpen", "2000"),
            ("adres: Kerkstraat 1, 9000 Gent", "9000"),
            ("mijn postnummer is 3000", "3000"),
            ("postcode 8000, België", "8000"),
            ("1000 Brussel", "1000"),
            ("be-3500 Hasselt", "3500"),
        ];
        for (text, value) in cases {
            assert_eq!(
                postcodes(text),
                vec![(value.to_string(), Country::Be)],
                "{text}: {:?}",
                ents(text)
            );
        }
        for text in [
            "ik heb 2000 punten",
            "in 2024 besteld",
            "postcode 3000",
            "huisnummer 1234",
        ] {
            assert!(postcodes(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn emails() {
        let cases: &[(&str, &str)] = &[
            (
                "mail naar Jan.Jansen@Example.NL aub",
                "jan.jansen@example.nl",
            ),
            ("my email is sarah+shop@gmail.com.", "sarah+shop@gmail.com"),
            ("info@webshop.be", "info@webshop.be"),
            ("stuur naar finance@bedrijf.co.uk", "finance@bedrijf.co.uk"),
        ];
        for (text, value) in cases {
            assert_eq!(
                of_kind(text, |k| *k == EntityKind::Email),
                [*value],
                "{text}"
            );
        }
        for text in ["@jan", "jan@", "jan at gmail dot com", "a@b"] {
            assert!(
                of_kind(text, |k| *k == EntityKind::Email).is_empty(),
                "{text}"
            );
        }
        // The digits in an e-mail address are not an order number.
        assert_eq!(ents("klant1045873@example.nl").len(), 1);
    }

    #[test]
    fn phone_numbers() {
        let cases: &[(&str, &str)] = &[
            ("bel me op 0612345678", "+31612345678"),
            ("06-12345678", "+31612345678"),
            ("06 12 34 56 78", "+31612345678"),
            ("+31 6 12345678", "+31612345678"),
            ("+31612345678", "+31612345678"),
            ("0031 6 1234 5678", "+31612345678"),
            ("+31 (0)6 12345678", "+31612345678"),
            ("020-1234567", "+31201234567"),
            ("010 123 4567", "+31101234567"),
            ("mijn gsm is 0470 12 34 56", "+32470123456"),
            ("0470/12.34.56", "+32470123456"),
            ("+32 470 12 34 56", "+32470123456"),
            ("02 123 45 67", "+3221234567"),
            ("09/123.45.67", "+3291234567"),
            ("+32 2 123 45 67", "+3221234567"),
        ];
        for (text, value) in cases {
            assert_eq!(phones(text), [*value], "{text}: {:?}", ents(text));
        }
        for text in [
            "12-03-2026",
            "1045873",
            "bestelling 20231187",
            "06-12-2025",
            "+44 20 7946 0958",
            "0612",
        ] {
            assert!(phones(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn amounts_in_euros() {
        let cases: &[(&str, &str)] = &[
            ("€ 12,50", "12.50 EUR"),
            ("€12,50", "12.50 EUR"),
            ("12.50 euro", "12.50 EUR"),
            ("EUR 12", "12.00 EUR"),
            ("ik heb 49,95 betaald, terug aub: 49,95€", "49.95 EUR"),
            ("het kost 1.250,00 euro", "1250.00 EUR"),
            ("refund of EUR 1,250.00", "1250.00 EUR"),
            ("€ 25,-", "25.00 EUR"),
            ("12,5 eur", "12.50 EUR"),
            ("100 euros", "100.00 EUR"),
            ("€1.250", "1250.00 EUR"),
        ];
        for (text, value) in cases {
            assert_eq!(amounts(text), [*value], "{text}: {:?}", ents(text));
        }
        for text in ["12,50", "1045873", "maat 42", "3 stuks", "$ 12"] {
            assert!(amounts(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn absolute_dates() {
        let cases: &[(&str, &str)] = &[
            ("besteld op 12-03-2026", "2026-03-12"),
            ("12/03/2026", "2026-03-12"),
            ("1.4.2026", "2026-04-01"),
            ("levering 05-06-26", "2026-06-05"),
            ("2026-03-12", "2026-03-12"),
            ("op 12 maart 2026 besteld", "2026-03-12"),
            ("3 mei 2025", "2025-05-03"),
            ("ordered on 12 March 2026", "2026-03-12"),
            ("on the 3rd of may 2026", "2026-05-03"),
            ("March 12, 2026", "2026-03-12"),
            ("1 okt. 2025", "2025-10-01"),
            ("29-02-2028", "2028-02-29"),
        ];
        for (text, value) in cases {
            assert_eq!(dates(text), [*value], "{text}: {:?}", ents(text));
        }
        for text in [
            "31-02-2026",
            "13-13-2026",
            "29-02-2026",
            "in mei",
            "maat 42",
            "versie 1.2.3",
            "12-03/2026",
        ] {
            assert!(dates(text).is_empty(), "{text}: {:?}", ents(text));
        }
    }

    #[test]
    fn dates_without_year() {
        assert_eq!(dates("besteld op 12 maart"), ["--03-12"]);
        assert_eq!(dates("since march 3rd"), ["--03-03"]);
        assert_eq!(
            dates_with("besteld op 12 maart", Some((2026, 5, 1))),
            ["2026-03-12"]
        );
        assert!(dates("30 februari").is_empty());
    }

    #[test]
    fn relative_dates() {
        let cases: &[(&str, &str)] = &[
            ("kan het morgen geleverd worden?", "tomorrow"),
            ("ik heb gisteren besteld", "yesterday"),
            ("vandaag nog?", "today"),
            ("will it arrive tomorrow", "tomorrow"),
            ("I ordered yesterday", "yesterday"),
            ("overmorgen", "day_after_tomorrow"),
            ("volgende maandag", "next_monday"),
            ("next friday please", "next_friday"),
            ("vorige week woensdag", "--"),
            ("afgelopen zaterdag besteld", "last_saturday"),
        ];
        for (text, value) in cases {
            let found = dates(text);
            if *value == "--" {
                assert!(found.is_empty(), "{text}: {found:?}");
            } else {
                assert_eq!(found, [*value], "{text}");
            }
        }
        // "morgen" as a greeting is not a date.
        assert!(dates("morgen!").is_empty());
        assert!(dates("goedemorgen, waar is mijn pakket").is_empty());
        // Resolved against today (Thursday 2026-03-12).
        let today = Some((2026, 3, 12));
        assert_eq!(dates_with("morgen", today), ["2026-03-13"]);
        assert_eq!(dates_with("gisteren", today), ["2026-03-11"]);
        assert_eq!(dates_with("volgende maandag", today), ["2026-03-16"]);
        assert_eq!(dates_with("next thursday", today), ["2026-03-19"]);
        assert_eq!(dates_with("last friday", today), ["2026-03-06"]);
        assert_eq!(dates_with("tomorrow", Some((2026, 12, 31))), ["2027-01-01"]);
        assert_eq!(dates_with("yesterday", Some((2028, 3, 1))), ["2028-02-29"]);
    }

    #[test]
    fn resolving_date_values() {
        let today = (2026, 3, 12);
        assert_eq!(resolve_date("today", today).as_deref(), Some("2026-03-12"));
        assert_eq!(
            resolve_date("day_after_tomorrow", today).as_deref(),
            Some("2026-03-14")
        );
        assert_eq!(
            resolve_date("next_monday", today).as_deref(),
            Some("2026-03-16")
        );
        assert_eq!(
            resolve_date("last_thursday", today).as_deref(),
            Some("2026-03-05")
        );
        assert_eq!(
            resolve_date("--02-28", today).as_deref(),
            Some("2026-02-28")
        );
        assert_eq!(resolve_date("--02-29", today), None);
        assert_eq!(
            resolve_date("2025-01-02", today).as_deref(),
            Some("2025-01-02")
        );
        assert_eq!(resolve_date("someday", today), None);
        assert_eq!(weekday_of((2026, 3, 12)), 3);
        assert_eq!(weekday_of((2000, 1, 1)), 5);
        for days in [-800_000i64, -1, 0, 1, 59, 365, 20_000, 800_000] {
            assert_eq!(days_from_civil(civil_from_days(days)), days);
        }
    }

    #[test]
    fn a_realistic_message_with_many_entities() {
        let text = "Goedemiddag, bestelling #20231187 (€ 59,95) is op 12-03-2026 verstuurd met \
                    PostNL 3SABCD1234567 naar 3511 AB maar nooit aangekomen. \
                    Bel me op 06-12345678 of mail jan@example.nl";
        let kinds: Vec<(EntityKind, String)> =
            ents(text).into_iter().map(|e| (e.kind, e.value)).collect();
        assert_eq!(
            kinds,
            vec![
                (EntityKind::OrderNumber, "20231187".to_string()),
                (EntityKind::Amount, "59.95 EUR".to_string()),
                (EntityKind::Date, "2026-03-12".to_string()),
                (
                    EntityKind::TrackingCode {
                        carrier: Carrier::PostNl
                    },
                    "3SABCD1234567".to_string()
                ),
                (
                    EntityKind::Postcode {
                        country: Country::Nl
                    },
                    "3511AB".to_string()
                ),
                (EntityKind::Phone, "+31612345678".to_string()),
                (EntityKind::Email, "jan@example.nl".to_string()),
            ]
        );
    }

    #[test]
    fn serde_shape() {
        let e = Entity {
            kind: EntityKind::TrackingCode {
                carrier: Carrier::PostNl,
            },
            value: "3SABCD1234567".into(),
            text: "3SABCD1234567".into(),
            start: 0,
            end: 13,
        };
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(json["kind"]["type"], "tracking_code");
        assert_eq!(json["kind"]["carrier"], "postnl");
        let pc = serde_json::to_value(EntityKind::Postcode {
            country: Country::Be,
        })
        .unwrap();
        assert_eq!(pc, serde_json::json!({"type": "postcode", "country": "BE"}));
        assert_eq!(
            serde_json::to_value(EntityKind::OrderNumber).unwrap(),
            serde_json::json!({"type": "order_number"})
        );
        let back: Entity = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        let config: EntityConfig = serde_json::from_str("{}").unwrap();
        assert_eq!(config, EntityConfig::default());
    }
}
