//! Sentiment and frustration of customer messages, in Dutch (including
//! Flemish) and English.
//!
//! Lexicon based, so it is fast, explainable and needs no model:
//! - a polarity lexicon of words and phrases (-3..3) in both languages;
//! - negation ("niet", "geen", "nooit", "not", "never", "don't", ...) within
//!   three words before a lexicon word flips it (and softens it);
//! - intensifiers ("heel", "echt", "zwaar", "very", "so", ...) multiply the
//!   next lexicon word by 1.5;
//! - frustration signals: SHOUTING in capitals, `!!!`/`???`, swear words,
//!   threats to leave or to go to the Consumentenbond or a lawyer, repeated
//!   contact ("al 3 keer gebeld", "third time"), still waiting ("nog steeds
//!   niks", "still nothing", "al 2 weken"), strong words ("belachelijk",
//!   "schandalig", "waardeloos", "ridiculous", "worst service").
//!
//! A message is `frustrated` when its frustration signals weigh at least 2
//! and the overall score is negative; frustration raises a conversation's
//! priority and hands it to a human.

use serde::{Deserialize, Serialize};

/// The result of [`analyse_sentiment`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sentiment {
    /// -1 (very negative) ..= 1 (very positive); 0 is neutral.
    pub score: f32,
    /// True when the customer is clearly frustrated or angry.
    pub frustrated: bool,
    /// What was noticed, as `kind` or `kind:word` (e.g. `negative:belachelijk`,
    /// `all_caps`, `repeated_punctuation`, `swearing:kut`,
    /// `escalation_threat:consumentenbond`, `threat_to_leave`,
    /// `repeated_contact`, `still_waiting`, `negated:tevreden`).
    pub signals: Vec<String>,
}

/// Words with a polarity; phrases (with spaces) are matched on word
/// boundaries before single words.
const LEXICON: &[(&str, f32)] = &[
    // ---- Dutch, positive
    ("bedankt", 1.5),
    ("dank", 1.5),
    ("dankje", 1.5),
    ("dankjewel", 1.5),
    ("dankuwel", 1.5),
    ("merci", 1.5),
    ("top", 2.0),
    ("topper", 2.5),
    ("super", 2.0),
    ("geweldig", 2.5),
    ("fantastisch", 2.5),
    ("perfect", 2.5),
    ("prima", 1.5),
    ("goed", 1.5),
    ("fijn", 1.5),
    ("blij", 2.0),
    ("tevreden", 2.0),
    ("snel", 1.0),
    ("vriendelijk", 1.5),
    ("behulpzaam", 2.0),
    ("netjes", 1.5),
    ("mooi", 1.5),
    ("prachtig", 2.5),
    ("handig", 1.0),
    ("duidelijk", 1.0),
    ("aanrader", 2.5),
    ("compliment", 2.0),
    ("complimenten", 2.0),
    ("keurig", 1.5),
    ("lief", 1.5),
    ("heerlijk", 2.0),
    ("opgelost", 1.5),
    ("toppie", 2.0),
    ("chill", 1.0),
    ("tof", 2.0),
    ("content", 1.5),
    ("geholpen", 1.0),
    // ---- Dutch, negative
    ("slecht", -2.0),
    ("slechte", -2.0),
    ("slechter", -2.0),
    ("slechtste", -3.0),
    ("belachelijk", -3.0),
    ("schandalig", -3.0),
    ("schande", -3.0),
    ("waardeloos", -3.0),
    ("waardeloze", -3.0),
    ("bagger", -3.0),
    ("onacceptabel", -3.0),
    ("onaanvaardbaar", -3.0),
    ("onbeschoft", -2.5),
    ("onvriendelijk", -2.0),
    ("boos", -2.5),
    ("woedend", -3.0),
    ("kwaad", -2.5),
    ("razend", -3.0),
    ("pissig", -2.5),
    ("ontevreden", -2.5),
    ("teleurgesteld", -2.5),
    ("teleurstellend", -2.5),
    ("balen", -1.5),
    ("jammer", -1.0),
    ("vervelend", -1.5),
    ("irritant", -2.0),
    ("frustrerend", -2.5),
    ("gefrustreerd", -2.5),
    ("klacht", -1.5),
    ("probleem", -1.0),
    ("problemen", -1.0),
    ("kapot", -1.5),
    ("stuk", -1.0),
    ("beschadigd", -1.5),
    ("fout", -1.0),
    ("verkeerd", -1.0),
    ("verkeerde", -1.0),
    ("kwijt", -1.0),
    ("zoek", -0.5),
    ("traag", -1.5),
    ("laat", -0.5),
    ("nooit", -0.5),
    ("ramp", -2.5),
    ("rampzalig", -3.0),
    ("verschrikkelijk", -3.0),
    ("vreselijk", -3.0),
    ("afschuwelijk", -3.0),
    ("triest", -2.0),
    ("zielig", -2.0),
    ("oplichting", -3.0),
    ("oplichterij", -3.0),
    ("oplichters", -3.0),
    ("opgelicht", -3.0),
    ("diefstal", -3.0),
    ("dieven", -3.0),
    ("prutsers", -3.0),
    ("amateurs", -2.5),
    ("amateuristisch", -2.5),
    ("zat", -1.0),
    ("beu", -2.0),
    ("lachertje", -2.5),
    ("bedroevend", -2.5),
    ("ondermaats", -2.5),
    ("nutteloos", -2.5),
    ("helpt niet", -1.5),
    ("werkt niet", -1.5),
    ("doet het niet", -1.5),
    ("geen antwoord", -2.0),
    ("geen reactie", -2.0),
    ("van het kastje naar de muur", -3.0),
    ("klaar mee", -2.5),
    ("het zat", -2.5),
    ("niet normaal", -2.5),
    ("ni normaal", -2.5),
    ("nie normaal", -2.5),
    ("ik ben het zat", -3.0),
    ("slaat nergens op", -2.5),
    ("te gek voor woorden", -3.0),
    ("om te janken", -2.5),
    // ---- English, positive
    ("thanks", 1.5),
    ("thank", 1.5),
    ("cheers", 1.0),
    ("great", 2.0),
    ("excellent", 2.5),
    ("amazing", 2.5),
    ("awesome", 2.5),
    ("brilliant", 2.5),
    ("fantastic", 2.5),
    ("wonderful", 2.5),
    ("lovely", 2.0),
    ("good", 1.5),
    ("nice", 1.5),
    ("happy", 2.0),
    ("pleased", 2.0),
    ("satisfied", 2.0),
    ("helpful", 2.0),
    ("friendly", 1.5),
    ("quick", 1.0),
    ("fast", 1.0),
    ("love", 2.0),
    ("appreciate", 1.5),
    ("appreciated", 1.5),
    ("recommend", 2.0),
    ("solved", 1.5),
    ("fab", 2.0),
    ("glad", 1.5),
    // ---- English, negative
    ("bad", -2.0),
    ("worse", -2.0),
    ("worst", -3.0),
    ("terrible", -3.0),
    ("awful", -3.0),
    ("horrible", -3.0),
    ("dreadful", -3.0),
    ("appalling", -3.0),
    ("disgusting", -3.0),
    ("disgusted", -3.0),
    ("disgrace", -3.0),
    ("disgraceful", -3.0),
    ("shameful", -3.0),
    ("ridiculous", -3.0),
    ("unacceptable", -3.0),
    ("outrageous", -3.0),
    ("pathetic", -3.0),
    ("useless", -3.0),
    ("rubbish", -2.5),
    ("garbage", -2.5),
    ("joke", -1.5),
    ("rude", -2.5),
    ("angry", -2.5),
    ("furious", -3.0),
    ("livid", -3.0),
    ("annoyed", -2.0),
    ("annoying", -2.0),
    ("frustrated", -2.5),
    ("frustrating", -2.5),
    ("fed up", -3.0),
    ("sick of", -3.0),
    ("tired of", -2.5),
    ("unhappy", -2.5),
    ("disappointed", -2.5),
    ("disappointing", -2.5),
    ("complaint", -1.5),
    ("problem", -1.0),
    ("issue", -0.5),
    ("broken", -1.5),
    ("damaged", -1.5),
    ("wrong", -1.0),
    ("missing", -1.0),
    ("lost", -1.0),
    ("late", -1.0),
    ("slow", -1.5),
    ("never", -0.5),
    ("scam", -3.0),
    ("scammers", -3.0),
    ("fraud", -3.0),
    ("thieves", -3.0),
    ("incompetent", -3.0),
    ("clowns", -2.5),
    ("nightmare", -3.0),
    ("hopeless", -2.5),
    ("doesn't work", -1.5),
    ("does not work", -1.5),
    ("not working", -1.5),
    ("no answer", -2.0),
    ("no reply", -2.0),
    ("no response", -2.0),
    ("waste of time", -3.0),
    ("waste of money", -3.0),
];

/// Words that flip the polarity of a lexicon word up to three words later.
const NEGATORS: &[&str] = &[
    "niet",
    "ni",
    "nie",
    "geen",
    "nooit",
    "niks",
    "niets",
    "not",
    "no",
    "never",
    "don't",
    "dont",
    "doesn't",
    "doesnt",
    "didn't",
    "didnt",
    "isn't",
    "isnt",
    "wasn't",
    "wasnt",
    "aren't",
    "won't",
    "can't",
    "cant",
    "cannot",
    "nothing",
    "hardly",
    "nauwelijks",
    "allesbehalve",
];

/// Words that strengthen the next lexicon word.
const INTENSIFIERS: &[&str] = &[
    "heel",
    "erg",
    "zeer",
    "echt",
    "super",
    "ontzettend",
    "enorm",
    "zwaar",
    "mega",
    "hartstikke",
    "ongelooflijk",
    "ongelofelijk",
    "bijzonder",
    "totaal",
    "compleet",
    "volledig",
    "zo",
    "zó",
    "te",
    "bar",
    "bere",
    "kei",
    "very",
    "really",
    "so",
    "extremely",
    "totally",
    "absolutely",
    "completely",
    "utterly",
    "incredibly",
    "truly",
    "too",
    "most",
    "soooo",
    "sooo",
    "zooo",
    "heeeel",
];

/// Swear words and insults (matched as whole words, or as word prefixes
/// where marked with a trailing `*`).
const SWEARING: &[&str] = &[
    "kut*",
    "klote*",
    "kanker*",
    "tering*",
    "tyfus*",
    "godverdomme",
    "godver",
    "verdomme",
    "verdomd",
    "gvd",
    "jezus",
    "shit",
    "fuck*",
    "fck*",
    "f*ck",
    "wtf",
    "damn",
    "dammit",
    "goddamn*",
    "bullshit",
    "crap",
    "crappy",
    "bloody",
    "idioot",
    "idioten",
    "debiel*",
    "mongool",
    "sukkels",
    "klootzak*",
    "eikels",
    "lul",
    "zakkenwassers",
    "stelletje",
    "klojo*",
    "hufters",
    "asshole*",
    "morons",
    "idiots",
    "sod",
    "bollocks",
    "piss*",
];

/// Threats to escalate outside the shop.
const ESCALATION: &[&str] = &[
    "consumentenbond",
    "geschillencommissie",
    "advocaat",
    "rechtsbijstand",
    "juridische stappen",
    "rechter",
    "rechtbank",
    "politie",
    "aangifte",
    "ombudsman",
    "acm",
    "test-aankoop",
    "testaankoop",
    "radar",
    "kassa",
    "trustpilot",
    "slechte review",
    "slechte recensie",
    "negatieve review",
    "social media",
    "sociale media",
    "lawyer",
    "solicitor",
    "legal action",
    "court",
    "sue",
    "trading standards",
    "bad review",
    "negative review",
    "chargeback",
    "report you",
];

/// Threats to leave.
const LEAVING: &[&str] = &[
    "nooit meer",
    "never again",
    "laatste keer",
    "last time i",
    "last time ever",
    "ik stap over",
    "ga ik ergens anders",
    "bestel ik ergens anders",
    "ergens anders bestellen",
    "elders bestellen",
    "ga naar de concurrent",
    "bij de concurrent",
    "klant af",
    "geen klant meer",
    "somewhere else",
    "elsewhere",
    "take my business",
    "lost a customer",
    "no longer a customer",
    "won't be ordering",
    "will not be ordering",
    "not ordering again",
];

/// Acronyms that are written in capitals without shouting.
const ACRONYMS: &[&str] = &[
    "DHL", "DPD", "UPS", "GLS", "BTW", "VAT", "IBAN", "EUR", "AUB", "NL", "BE", "OK", "OKE", "PDF",
    "KVK", "BV", "NV", "AVG", "GDPR", "ASAP", "PIN", "SMS", "XL", "XXL", "USB", "TV", "LED", "ID",
    "BPOST", "POSTNL", "KBC", "ING", "ABN", "AMRO", "SNS", "ASN", "FAQ", "CEO", "WTF", "OMG",
    "LOL", "TNT", "KPN", "HEMA", "IKEA", "USA", "UK", "EU", "APP",
];

const POSITIVE_EMOJI: &[char] = &[
    '😀', '😃', '😄', '😁', '😊', '🙂', '😍', '🥰', '😘', '👍', '👌', '🙏', '❤', '💕', '💯', '🎉',
    '🤩', '😎', '☺',
];
const NEGATIVE_EMOJI: &[char] = &[
    '😞', '😟', '😢', '😭', '🙁', '☹', '😕', '👎', '💩', '😒', '😩', '😫',
];
const ANGRY_EMOJI: &[char] = &['😡', '😠', '🤬', '💢', '🤯', '😤'];

fn normalise_word(w: &str) -> String {
    w.trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase()
        .replace('’', "'")
}

/// Lower-case words with punctuation stripped, apostrophes kept.
fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | '.' | '!' | '?' | ';' | ':' | '(' | ')' | '"')
    })
    .map(normalise_word)
    .filter(|w| !w.is_empty())
    .collect()
}

/// True when `phrase` (lower case, words separated by single spaces) occurs
/// in `padded` (` word word ... `) on word boundaries.
fn has_phrase(padded: &str, phrase: &str) -> bool {
    padded.contains(&format!(" {phrase} "))
}

fn swear_match<'a>(word: &str, list: &'a [&'a str]) -> Option<&'a str> {
    list.iter().copied().find(|entry| {
        if let Some(prefix) = entry.strip_suffix('*') {
            word.starts_with(prefix)
        } else {
            word == *entry
        }
    })
}

/// Scores the sentiment of a message and detects frustration.
pub fn analyse_sentiment(text: &str) -> Sentiment {
    let mut signals: Vec<String> = Vec::new();
    let words = words_of(text);
    let padded = format!(" {} ", words.join(" "));
    let mut raw = 0.0f32;
    let mut points = 0.0f32;

    // Phrases first; the words they cover are not scored again.
    let mut covered = vec![false; words.len()];
    for &(entry, polarity) in LEXICON.iter().filter(|(e, _)| e.contains(' ')) {
        if has_phrase(&padded, entry) {
            let n = entry.split(' ').count();
            let first = entry.split(' ').next().unwrap_or("");
            for i in 0..words.len() {
                if words[i] == first && i + n <= words.len() && words[i..i + n].join(" ") == entry {
                    covered[i..i + n].iter_mut().for_each(|c| *c = true);
                }
            }
            raw += polarity;
            signals.push(format!(
                "{}:{entry}",
                if polarity < 0.0 {
                    "negative"
                } else {
                    "positive"
                }
            ));
            if polarity <= -2.5 {
                points += 1.5;
            }
        }
    }

    for (i, word) in words.iter().enumerate() {
        if covered[i] {
            continue;
        }
        let Some(&(_, polarity)) = LEXICON.iter().find(|(e, _)| *e == word.as_str()) else {
            continue;
        };
        // An intensifier that is itself in the lexicon ("super", "echt")
        // only counts as intensifier when a lexicon word follows.
        if INTENSIFIERS.contains(&word.as_str())
            && words
                .get(i + 1)
                .is_some_and(|next| LEXICON.iter().any(|(e, _)| e == next))
        {
            continue;
        }
        let mut value = polarity;
        let window = &words[i.saturating_sub(3)..i];
        if window.iter().any(|w| INTENSIFIERS.contains(&w.as_str())) {
            value *= 1.5;
        }
        // "nog steeds niks" and "nooit meer" are handled as signals below;
        // a negator only flips words, not other negators.
        let negated = window.iter().any(|w| NEGATORS.contains(&w.as_str()))
            && !NEGATORS.contains(&word.as_str());
        if negated {
            // "niet goed" is clearly negative; "not bad" is only mildly positive.
            value = if value > 0.0 {
                -value * 0.8
            } else {
                -value * 0.4
            };
            signals.push(format!("negated:{word}"));
        } else if value <= -2.5 {
            points += 1.5;
            signals.push(format!("negative:{word}"));
        } else if value < 0.0 {
            signals.push(format!("negative:{word}"));
        } else {
            signals.push(format!("positive:{word}"));
        }
        raw += value;
    }

    // Swearing.
    for word in &words {
        if let Some(entry) = swear_match(word, SWEARING) {
            signals.push(format!("swearing:{}", entry.trim_end_matches('*')));
            raw -= 2.0;
            points += 2.0;
        }
    }
    // Escalation threats.
    for entry in ESCALATION {
        if has_phrase(&padded, entry) {
            signals.push(format!("escalation_threat:{entry}"));
            raw -= 2.0;
            points += 2.0;
        }
    }
    // Threats to leave.
    if LEAVING.iter().any(|entry| has_phrase(&padded, entry)) {
        signals.push("threat_to_leave".to_string());
        raw -= 2.0;
        points += 2.0;
    }
    // Repeated contact and still waiting.
    if repeated_contact(&words, &padded) {
        signals.push("repeated_contact".to_string());
        raw -= 1.5;
        points += 2.0;
    }
    if still_waiting(&words, &padded) {
        signals.push("still_waiting".to_string());
        raw -= 1.0;
        points += 1.0;
    }
    // Emoji.
    for ch in text.chars() {
        if POSITIVE_EMOJI.contains(&ch) {
            raw += 1.5;
            signals.push(format!("positive:{ch}"));
        } else if NEGATIVE_EMOJI.contains(&ch) {
            raw -= 1.5;
            signals.push(format!("negative:{ch}"));
        } else if ANGRY_EMOJI.contains(&ch) {
            raw -= 2.5;
            points += 2.0;
            signals.push(format!("angry:{ch}"));
        }
    }
    // Shouting and repeated punctuation amplify what is there; on their own
    // they lean negative.
    if let Some(level) = shouting(text) {
        signals.push("all_caps".to_string());
        points += level;
        raw = if raw > 0.0 {
            raw * 1.3
        } else {
            raw * 1.3 - 0.75
        };
    }
    if let Some(run) = longest_punctuation_run(text) {
        signals.push("repeated_punctuation".to_string());
        points += if run >= 3 { 1.5 } else { 1.0 };
        raw = if raw > 0.0 {
            raw * 1.2
        } else {
            raw * 1.2 - 0.5
        };
    }

    let score = (raw / 3.0).tanh();
    let score = (score * 1000.0).round() / 1000.0;
    // A clearly negative message needs only one more signal.
    if score <= -0.6 {
        points += 1.0;
    }
    let frustrated = points >= 2.0 && score < 0.0;
    Sentiment {
        score,
        frustrated,
        signals,
    }
}

const NUMBER_WORDS: &[&str] = &[
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "tien",
    "meerdere",
    "verschillende",
    "zoveel",
    "zo veel",
    "ettelijke",
    "talloze",
    "two",
    "three",
    "four",
    "five",
    "several",
    "many",
    "multiple",
    "countless",
    "numerous",
];

fn is_count(word: &str) -> bool {
    word.parse::<u32>().is_ok_and(|n| n >= 2)
        || NUMBER_WORDS.contains(&word)
        || word.ends_with('x') && word[..word.len() - 1].parse::<u32>().is_ok_and(|n| n >= 2)
}

/// "al 3 keer gebeld", "voor de derde keer", "keer op keer", "third time",
/// "called 4 times", "again and again", "for the 2nd time".
fn repeated_contact(words: &[String], padded: &str) -> bool {
    const ORDINALS: &[&str] = &[
        "tweede",
        "derde",
        "vierde",
        "vijfde",
        "zoveelste",
        "2e",
        "3e",
        "4e",
        "5e",
        "second",
        "third",
        "fourth",
        "fifth",
        "2nd",
        "3rd",
        "4th",
        "5th",
        "umpteenth",
        "nth",
    ];
    const CONTACT: &[&str] = &[
        "gebeld",
        "bellen",
        "gemaild",
        "mailen",
        "gemaild",
        "geschreven",
        "gevraagd",
        "gechat",
        "contact",
        "geprobeerd",
        "gereageerd",
        "called",
        "emailed",
        "mailed",
        "written",
        "wrote",
        "asked",
        "contacted",
        "tried",
        "chatted",
        "messaged",
        "rang",
    ];
    for phrase in [
        "keer op keer",
        "telkens weer",
        "steeds weer",
        "elke keer weer",
        "again and again",
        "over and over",
        "time and again",
        "every single time",
    ] {
        if has_phrase(padded, phrase) {
            return true;
        }
    }
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        // "derde keer", "third time"
        if ORDINALS.contains(&w.as_str()) && matches!(next, "keer" | "time" | "maal") {
            return true;
        }
        // "3 keer gebeld", "4 times called", "called 3 times", "3x gebeld"
        if is_count(w) && matches!(next, "keer" | "times" | "maal" | "x") {
            let around = &words[i.saturating_sub(3)..(i + 5).min(words.len())];
            if around.iter().any(|a| CONTACT.contains(&a.as_str())) {
                return true;
            }
        }
        if w.ends_with('x') && is_count(w) {
            let around = &words[i.saturating_sub(3)..(i + 4).min(words.len())];
            if around.iter().any(|a| CONTACT.contains(&a.as_str())) {
                return true;
            }
        }
    }
    false
}

/// "nog steeds niks", "nog altijd niet", "still nothing", "al 2 weken",
/// "weeks ago", "waiting for weeks".
fn still_waiting(words: &[String], padded: &str) -> bool {
    for phrase in [
        "nog steeds niks",
        "nog steeds niets",
        "nog steeds geen",
        "nog steeds niet",
        "nog altijd niks",
        "nog altijd niets",
        "nog altijd geen",
        "nog altijd niet",
        "nog altijd ni",
        "nog steeds ni",
        "wacht nog steeds",
        "nog steeds aan het wachten",
        "nog altijd aan het wachten",
        "nog steeds in afwachting",
        "still nothing",
        "still no",
        "still not",
        "still haven't",
        "still havent",
        "still waiting",
        "still hasn't",
        "still hasnt",
        "still didn't",
        "still didnt",
        "still don't",
        "waiting for weeks",
        "waiting for ages",
        "weeks ago",
        "months ago",
        "for weeks",
        "for ages",
        "wachten al weken",
        "al weken",
        "al maanden",
        "weken geleden",
        "maanden geleden",
    ] {
        if has_phrase(padded, phrase) {
            return true;
        }
    }
    // "al 2 weken", "al 10 dagen", "waiting 3 weeks", "for 2 weeks"
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        let prev = if i > 0 { words[i - 1].as_str() } else { "" };
        let spelled = match w.as_str() {
            "twee" | "two" => Some(2),
            "drie" | "three" => Some(3),
            "vier" | "four" => Some(4),
            "vijf" | "five" => Some(5),
            "tien" | "ten" => Some(10),
            _ => None,
        };
        let n = w.parse::<u32>().ok().or(spelled);
        let Some(n) = n else { continue };
        let long = match next {
            "weken" | "week" | "weeks" | "maand" | "maanden" | "month" | "months" => true,
            "dagen" | "days" | "werkdagen" => n >= 5,
            _ => false,
        };
        if long
            && matches!(
                prev,
                "al" | "sinds" | "for" | "waiting" | "wachten" | "wacht" | "over"
            )
        {
            return true;
        }
    }
    false
}

/// At least two shouted words (3+ letters, all capitals, not an acronym)
/// that make up at least half of the words with letters. Returns the
/// frustration weight: 2 when the whole message (3+ words) is in capitals,
/// 1.5 otherwise.
fn shouting(text: &str) -> Option<f32> {
    let mut lettered = 0;
    let mut shouted = 0;
    let mut all_upper = true;
    for raw in text.split_whitespace() {
        let word: String = raw.chars().filter(|c| c.is_alphabetic()).collect();
        if word.is_empty() {
            continue;
        }
        lettered += 1;
        all_upper &= word.chars().all(|c| c.is_uppercase());
        if word.chars().count() >= 3
            && word.chars().all(|c| c.is_uppercase())
            && !ACRONYMS.contains(&word.as_str())
        {
            shouted += 1;
        }
    }
    if shouted >= 2 && lettered >= 3 && all_upper {
        Some(2.0)
    } else if shouted >= 2 && shouted * 2 >= lettered {
        Some(1.5)
    } else {
        None
    }
}

/// Length of the longest run of `!`/`?` when it is at least two.
fn longest_punctuation_run(text: &str) -> Option<usize> {
    let mut best = 0;
    let mut run = 0;
    for ch in text.chars() {
        if matches!(ch, '!' | '?' | '¡' | '¿') {
            run += 1;
            best = best.max(run);
        } else if !ch.is_whitespace() {
            run = 0;
        }
    }
    (best >= 2).then_some(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frustrated_dutch() {
        for text in [
            "dit is echt belachelijk",
            "schandalig hoe jullie met klanten omgaan",
            "wat een waardeloze service",
            "ik heb al 3 keer gebeld en nog steeds niks",
            "WAAR IS MIJN PAKKET",
            "ik heb nog steeds niks ontvangen!!!",
            "ik ga naar de consumentenbond",
            "als dit niet opgelost wordt stap ik naar de geschillencommissie",
            "dit is de laatste keer dat ik bij jullie bestel",
            "nooit meer bestel ik hier",
            "kut bedrijf",
            "wat een klotezooi",
            "ik word van het kastje naar de muur gestuurd",
            "al 2 weken wachten en geen antwoord",
            "ik ben het zat, echt onacceptabel",
            "voor de derde keer: waar blijft mijn geld???",
            "ik ben zwaar teleurgesteld 😡",
            "da's toch ni normaal, al 5 keer gemaild",
            "jullie zijn gewoon oplichters",
            "ik heb 3x gebeld en niemand helpt me, belachelijk",
        ] {
            let s = analyse_sentiment(text);
            assert!(s.frustrated, "{text:?} -> {s:?}");
            assert!(s.score < -0.2, "{text:?} -> {s:?}");
        }
    }

    #[test]
    fn frustrated_english() {
        for text in [
            "this is ridiculous",
            "worst service ever",
            "this is the third time I'm contacting you",
            "I have called 4 times and still nothing",
            "WHERE IS MY ORDER",
            "where is my parcel??? ordered it weeks ago",
            "I'm going to report you to trading standards",
            "never again will I order from you",
            "fucking useless company",
            "absolutely disgusting customer service",
            "I've been waiting for weeks, this is unacceptable",
            "I'm fed up with this",
            "i will leave a bad review",
        ] {
            let s = analyse_sentiment(text);
            assert!(s.frustrated, "{text:?} -> {s:?}");
            assert!(s.score < -0.2, "{text:?} -> {s:?}");
        }
    }

    #[test]
    fn positive_messages() {
        for text in [
            "dank je wel, super geholpen!",
            "top service, heel tevreden",
            "bedankt!!!",
            "geweldig, het pakket is al binnen 😊",
            "thanks a lot, great service",
            "very happy with my order",
            "excellent, thank you!!",
            "THANK YOU SO MUCH",
            "niet slecht",
            "not bad at all",
            "helemaal perfect 👍",
        ] {
            let s = analyse_sentiment(text);
            assert!(s.score > 0.1, "{text:?} -> {s:?}");
            assert!(!s.frustrated, "{text:?} -> {s:?}");
        }
    }

    #[test]
    fn negative_but_not_frustrated() {
        for text in [
            "ik ben niet tevreden over de kwaliteit",
            "jammer dat het kapot is",
            "the item arrived damaged",
            "I'm not happy with the colour",
            "de jas is te klein, balen",
            "waar is mijn pakket??",
        ] {
            let s = analyse_sentiment(text);
            assert!(s.score < 0.0, "{text:?} -> {s:?}");
            assert!(!s.frustrated, "{text:?} -> {s:?}");
        }
    }

    #[test]
    fn neutral_messages() {
        for text in [
            "waar is mijn pakket",
            "hoi",
            "ik wil mijn adres wijzigen",
            "kan ik met ideal betalen?",
            "bestelling 1045873",
            "where is my order",
            "what are your opening hours?",
            "can I pay with PayPal",
            "ik heb een vraag over DHL en BTW",
            "",
        ] {
            let s = analyse_sentiment(text);
            assert!(s.score.abs() < 0.2, "{text:?} -> {s:?}");
            assert!(!s.frustrated, "{text:?} -> {s:?}");
        }
    }

    #[test]
    fn negation_flips() {
        let plain = analyse_sentiment("ik ben tevreden");
        let negated = analyse_sentiment("ik ben niet tevreden");
        assert!(plain.score > 0.0 && negated.score < 0.0);
        assert!(negated.signals.iter().any(|s| s == "negated:tevreden"));
        let happy = analyse_sentiment("I am happy");
        let unhappy = analyse_sentiment("I am not happy");
        assert!(happy.score > 0.0 && unhappy.score < 0.0);
        // "geen probleem" is not negative.
        assert!(analyse_sentiment("geen probleem").score >= 0.0);
    }

    #[test]
    fn intensifiers_strengthen() {
        let plain = analyse_sentiment("slecht");
        let strong = analyse_sentiment("heel erg slecht");
        assert!(strong.score < plain.score, "{plain:?} {strong:?}");
        let good = analyse_sentiment("good");
        let very = analyse_sentiment("very good");
        assert!(very.score > good.score);
    }

    #[test]
    fn signals_are_reported() {
        let s = analyse_sentiment("BELACHELIJK!!! al 3 keer gebeld, ik ga naar de consumentenbond");
        for expected in [
            "negative:belachelijk",
            "repeated_punctuation",
            "repeated_contact",
            "escalation_threat:consumentenbond",
        ] {
            assert!(s.signals.iter().any(|x| x == expected), "{expected}: {s:?}");
        }
        assert!(s.score <= -0.9);
        // Acronyms are not shouting.
        assert!(!analyse_sentiment("DHL of DPD aub")
            .signals
            .contains(&"all_caps".to_string()));
        assert!(analyse_sentiment("IK WIL MIJN GELD TERUG")
            .signals
            .contains(&"all_caps".to_string()));
    }

    #[test]
    fn score_is_bounded_and_serialisable() {
        let s = analyse_sentiment(
            "kut kut kut belachelijk schandalig waardeloos consumentenbond advocaat!!!!!! 🤬🤬",
        );
        assert!(s.score >= -1.0 && s.score <= -0.99, "{s:?}");
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["frustrated"], true);
        let p = analyse_sentiment("super super super top geweldig fantastisch perfect 😊😊😊");
        assert!(p.score <= 1.0 && p.score > 0.9);
    }
}
