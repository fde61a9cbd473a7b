//! Every string of the agent UI in Dutch and English, in one table, and the
//! choice of language: `?lang=`, then the `balie_lang` cookie, then
//! `Accept-Language`, else Dutch.

use axum::http::{header, HeaderMap};

/// The cookie that remembers an explicit language choice.
pub const LANG_COOKIE: &str = "balie_lang";

/// A language of the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s.trim().to_ascii_lowercase().as_str() {
            "nl" => Some(Lang::Nl),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The other language, for the switch link.
    pub fn other(self) -> Lang {
        match self {
            Lang::Nl => Lang::En,
            Lang::En => Lang::Nl,
        }
    }

    /// Picks the language of a request; `explicit` is `?lang=`.
    pub fn pick(explicit: Option<&str>, headers: &HeaderMap) -> Lang {
        if let Some(l) = explicit.and_then(Lang::parse) {
            return l;
        }
        let cookie = headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == LANG_COOKIE)
            .and_then(|(_, v)| Lang::parse(v));
        if let Some(l) = cookie {
            return l;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        // Browsers list languages in order of preference.
        for part in accept.split(',') {
            let tag = part.split(';').next().unwrap_or("").trim();
            let primary = tag.split('-').next().unwrap_or("");
            if let Some(l) = Lang::parse(primary) {
                return l;
            }
        }
        Lang::Nl
    }

    /// The text of `key` in this language; the key itself if it is missing
    /// (a test checks that every key used is in the table).
    pub fn t(self, key: &str) -> &'static str {
        match STRINGS.iter().find(|(k, _, _)| *k == key) {
            Some((_, nl, en)) => match self {
                Lang::Nl => nl,
                Lang::En => en,
            },
            None => {
                debug_assert!(false, "missing UI string {key:?}");
                "?"
            }
        }
    }
}

/// (key, Dutch, English).
pub const STRINGS: &[(&str, &str, &str)] = &[
    ("app_name", "Balie", "Balie"),
    ("login_title", "Inloggen", "Log in"),
    (
        "login_intro",
        "Log in met je account van Balie.",
        "Log in with your Balie account.",
    ),
    ("email", "E-mailadres", "Email address"),
    ("password", "Wachtwoord", "Password"),
    ("login_button", "Inloggen", "Log in"),
    (
        "login_failed",
        "E-mailadres of wachtwoord klopt niet.",
        "Wrong email address or password.",
    ),
    (
        "rate_limited",
        "Te veel pogingen. Probeer het over {n} seconden opnieuw.",
        "Too many attempts. Try again in {n} seconds.",
    ),
    (
        "bad_origin",
        "Dit formulier kwam van een andere site en is genegeerd.",
        "This form came from another site and was ignored.",
    ),
    (
        "csrf_failed",
        "Je sessie is verlopen of het formulier is oud. Herlaad de pagina en probeer het opnieuw.",
        "Your session expired or the form is stale. Reload the page and try again.",
    ),
    ("logout", "Uitloggen", "Log out"),
    ("logged_out", "Je bent uitgelogd.", "You are logged out."),
    ("inbox", "Inbox", "Inbox"),
    ("conversations", "Gesprekken", "Conversations"),
    (
        "no_conversations",
        "Geen gesprekken met deze filters.",
        "No conversations match these filters.",
    ),
    ("filters", "Filters", "Filters"),
    ("apply", "Toepassen", "Apply"),
    ("status", "Status", "Status"),
    ("all", "Alle", "All"),
    ("open", "Open", "Open"),
    ("pending", "Wacht op klant", "Pending"),
    ("snoozed", "Gesnoozed", "Snoozed"),
    ("resolved", "Opgelost", "Resolved"),
    ("assignee", "Toegewezen aan", "Assignee"),
    ("anyone", "Iedereen", "Anyone"),
    ("me", "Mij", "Me"),
    ("unassigned", "Niet toegewezen", "Unassigned"),
    ("channel", "Kanaal", "Channel"),
    ("any_channel", "Elk kanaal", "Any channel"),
    ("label", "Label", "Label"),
    ("labels", "Labels", "Labels"),
    (
        "labels_hint",
        "Gescheiden door komma's",
        "Separated by commas",
    ),
    ("team", "Team", "Team"),
    ("any_team", "Elk team", "Any team"),
    ("no_team", "Geen team", "No team"),
    ("inbox_filter", "Kanaalinbox", "Channel inbox"),
    ("any_inbox", "Elke inbox", "Any inbox"),
    ("priority", "Prioriteit", "Priority"),
    ("low", "Laag", "Low"),
    ("normal", "Normaal", "Normal"),
    ("high", "Hoog", "High"),
    ("urgent", "Urgent", "Urgent"),
    ("unknown_contact", "Onbekende klant", "Unknown customer"),
    ("conversation", "Gesprek", "Conversation"),
    ("back_to_list", "Terug naar de lijst", "Back to the list"),
    (
        "history",
        "Hele geschiedenis, alle kanalen",
        "Whole history, every channel",
    ),
    ("other_conversation", "ander gesprek", "other conversation"),
    ("no_messages", "Nog geen berichten.", "No messages yet."),
    ("reply", "Antwoord", "Reply"),
    ("note", "Interne notitie", "Private note"),
    ("note_short", "Notitie", "Note"),
    (
        "reply_placeholder",
        "Typ je antwoord… (Ctrl+Enter verstuurt)",
        "Type your reply… (Ctrl+Enter sends)",
    ),
    (
        "note_placeholder",
        "Notitie voor collega's, de klant ziet dit niet",
        "Note for colleagues; the customer does not see it",
    ),
    ("send", "Versturen", "Send"),
    ("save_note", "Notitie opslaan", "Save note"),
    ("send_via", "Versturen via", "Send via"),
    (
        "last_channel",
        "laatste kanaal van de klant",
        "customer's last channel",
    ),
    ("canned", "Standaardantwoord", "Canned response"),
    (
        "canned_pick",
        "Zoek op code of titel…",
        "Search by code or title…",
    ),
    ("assign", "Toewijzen", "Assign"),
    ("assign_me", "Aan mij", "To me"),
    ("resolve", "Oplossen", "Resolve"),
    ("reopen", "Heropenen", "Reopen"),
    ("snooze", "Snoozen", "Snooze"),
    ("snooze_1h", "1 uur", "1 hour"),
    ("snooze_4h", "4 uur", "4 hours"),
    ("snooze_1d", "1 dag", "1 day"),
    ("snooze_1w", "1 week", "1 week"),
    ("snoozed_until", "Gesnoozed tot", "Snoozed until"),
    ("save", "Opslaan", "Save"),
    ("contact", "Klant", "Customer"),
    ("identities", "Identiteiten", "Identities"),
    ("attributes", "Gegevens", "Details"),
    ("customer_since", "Klant sinds", "Customer since"),
    (
        "contact_conversations",
        "Gesprekken van deze klant",
        "This customer's conversations",
    ),
    ("orders", "Bestellingen", "Orders"),
    ("inbox_settings", "Inboxen", "Inboxes"),
    ("inbox_settings_intro", "Elke inbox is een kanaal. Zet de chat op je webshop met het fragment hieronder.", "Each inbox is a channel. Put the chat on your shop with the snippet below."),
    ("inbox_saved", "Opgeslagen.", "Saved."),
    ("inbox_name", "Naam", "Name"),
    ("greeting_nl", "Begroeting (Nederlands)", "Greeting (Dutch)"),
    ("greeting_en", "Begroeting (Engels)", "Greeting (English)"),
    ("offline_nl", "Bericht buiten openingstijden (Nederlands)", "Message outside business hours (Dutch)"),
    ("offline_en", "Bericht buiten openingstijden (Engels)", "Message outside business hours (English)"),
    ("bot_answers", "De bot beantwoordt berichten eerst", "The bot answers messages first"),
    ("allowed_origins", "Websites die de chat mogen tonen (één per regel; leeg = alle)", "Websites that may show the chat (one per line; empty = any)"),
    ("business_hours", "Openingstijden", "Business hours"),
    ("timezone", "Tijdzone", "Time zone"),
    ("always_open", "Altijd open", "Always open"),
    ("identity_secret", "Geheim voor ondertekende klant-id's (HMAC-SHA256)", "Secret for signed customer ids (HMAC-SHA256)"),
    ("mon", "Maandag", "Monday"),
    ("tue", "Dinsdag", "Tuesday"),
    ("wed", "Woensdag", "Wednesday"),
    ("thu", "Donderdag", "Thursday"),
    ("fri", "Vrijdag", "Friday"),
    ("sat", "Zaterdag", "Saturday"),
    ("sun", "Zondag", "Sunday"),
    ("bot_try", "Probeer een zin", "Try a sentence"),
    ("bot_try_intro", "Typ wat een klant zou kunnen schrijven en zie wat de bot ervan begrijpt.", "Type what a customer might write and see what the bot understands."),
    ("bot_sentence", "Zin", "Sentence"),
    ("bot_analyse", "Analyseren", "Analyse"),
    ("bot_result", "Wat de bot begrijpt", "What the bot understands"),
    ("bot_intent", "Bedoeling", "Intent"),
    ("bot_alternatives", "Andere kandidaten", "Runners-up"),
    ("bot_language", "Taal", "Language"),
    ("bot_sentiment", "Sentiment", "Sentiment"),
    ("bot_frustrated", "gefrustreerd", "frustrated"),
    ("bot_entities", "Gevonden gegevens", "Entities found"),
    ("bot_no_entities", "Geen.", "None."),
    ("bot_failed", "Analyseren lukte niet.", "The analysis failed."),
    ("bot_settings", "Bot", "Bot"),
    ("reason", "Reden", "Reason"),
    ("reason_asked_for_human", "klant vroeg om een medewerker", "customer asked for a person"),
    ("reason_frustrated", "klant was gefrustreerd", "customer was frustrated"),
    ("reason_not_understood", "bot begreep de vraag niet", "bot did not understand"),
    ("reason_not_handled", "vraag die de bot niet afhandelt", "question the bot does not handle"),
    ("reason_failed_verification", "bestelling niet geverifieerd", "order not verified"),
    ("reason_cancel_order", "annulering (nog niet verzonden)", "cancellation (not shipped yet)"),
    ("reason_change_order", "wijziging (nog niet verzonden)", "order change (not shipped yet)"),
    ("reason_change_shipping_address", "adreswijziging (nog niet verzonden)", "address change (not shipped yet)"),
    ("reason_complaint", "klacht", "complaint"),
    ("bot_would", "Wat de bot zou doen", "What the bot would do"),
    ("bot_would_order", "Zoekt de bestelling op: meteen voor een klant die de bestelling heeft, anders eerst na bestelnummer en postcode of e-mailadres.", "Looks up the order: at once for a customer who owns it, otherwise after the order number and postcode or email."),
    ("bot_would_article", "Antwoordt met het artikel", "Answers with the article"),
    ("bot_would_handoff", "Geeft het gesprek aan een collega; reden:", "Hands the conversation to a colleague; reason:"),
    ("bot_nav_intents", "Bedoelingen en voorbeelden", "Intents and examples"),
    ("bot_nav_answers", "Antwoorden", "Answers"),
    ("bot_pattern", "Bestelnummers", "Order numbers"),
    ("bot_pattern_intro", "Hoe zien de bestelnummers van je winkel eruit? Een reguliere expressie; leeg = standaard (optioneel #, tot drie letters, 5 tot 10 cijfers).", "What do your shop's order numbers look like? A regular expression; empty = default (optional #, up to three letters, 5 to 10 digits)."),
    ("bot_pattern_label", "Patroon", "Pattern"),
    ("bot_pattern_saved", "Patroon opgeslagen.", "Pattern saved."),
    ("bot_model", "Model", "Model"),
    ("bot_model_builtin", "De bot gebruikt het ingebouwde model (Nederlands en Engels).", "The bot uses the built-in model (Dutch and English)."),
    ("bot_model_version", "Versie {version}, getraind op {when}.", "Version {version}, trained on {when}."),
    ("bot_needs_retrain", "Er zijn voorbeelden gewijzigd sinds de laatste training: train opnieuw om ze te gebruiken.", "Examples changed since the last training: retrain to use them."),
    ("bot_retrain", "Opnieuw trainen", "Retrain"),
    ("bot_retrained", "Getraind: versie {version}, {examples} voorbeelden, {intents} bedoelingen, in {ms} ms.", "Trained: version {version}, {examples} examples, {intents} intents, in {ms} ms."),
    ("bot_add_example", "Voorbeeld toevoegen", "Add an example"),
    ("bot_example_intro", "Leer de bot hoe jouw klanten iets vragen. Een nieuwe bedoeling (bijv. cadeau_inpakken) krijgt een antwoord op de pagina Antwoorden. Wijzigingen tellen na opnieuw trainen.", "Teach the bot how your customers ask things. A new intent (e.g. gift_wrapping) gets its answer on the Answers page. Changes count after retraining."),
    ("bot_example_text", "Zoals een klant het schrijft", "As a customer writes it"),
    ("bot_example_added", "Voorbeeld toegevoegd; train opnieuw om het te gebruiken.", "Example added; retrain to use it."),
    ("bot_example_deleted", "Voorbeeld verwijderd; train opnieuw om het te vergeten.", "Example deleted; retrain to forget it."),
    ("bot_own_examples", "Eigen voorbeelden", "Own examples"),
    ("bot_edit_example", "Voorbeeld bewerken", "Edit example"),
    ("bot_import", "Voorbeelden importeren (TSV)", "Import examples (TSV)"),
    ("bot_import_intro", "Eén voorbeeld per regel: bedoeling, tab, tekst. Regels met # worden overgeslagen. Alles of niets: bij een fout wordt niets toegevoegd.", "One example a line: intent, tab, text. Lines starting with # are skipped. All or nothing: on an error nothing is added."),
    ("bot_import_go", "Importeren", "Import"),
    ("bot_imported", "{added} voorbeelden toegevoegd, {skipped} stonden er al; train opnieuw om ze te gebruiken.", "{added} examples added, {skipped} were there already; retrain to use them."),
    ("bot_example_saved", "Voorbeeld opgeslagen; train opnieuw om het te gebruiken.", "Example saved; retrain to use it."),
    ("bot_no_examples", "Nog geen eigen voorbeelden.", "No own examples yet."),
    ("bot_intents", "Bedoelingen", "Intents"),
    ("bot_builtin_examples", "Ingebouwd", "Built-in"),
    ("bot_answered", "Beantwoord", "Answered"),
    ("bot_handoff_only", "Overdracht", "Handoff"),
    ("bot_answers_intro", "Alles wat de bot zegt, in het Nederlands en Engels. Pas de tekst aan met de feiten van je winkel; {woorden} tussen accolades vult de bot zelf in. Leeg = standaardtekst.", "Everything the bot says, in Dutch and English. Adjust the text to your shop's facts; the bot fills in {words} in braces itself. Empty = default text."),
    ("bot_group_intent", "Antwoorden op vragen", "Answers to questions"),
    ("bot_group_orders", "Over bestellingen", "About orders"),
    ("bot_group_handoff", "Bij overdracht aan een collega", "When handing over to a colleague"),
    ("bot_answer_nl", "Nederlands", "Dutch"),
    ("bot_answer_en", "Engels", "English"),
    ("bot_answer_own", "aangepast", "customised"),
    ("bot_answer_saved", "Antwoord opgeslagen.", "Answer saved."),
    ("bot_answer_reset", "Standaardtekst", "Default text"),
    ("bot_placeholders", "Invulwoorden", "Placeholders"),
    ("bot_custom_answer", "eigen bedoeling", "own intent"),
    ("report_bot", "Rapport bot", "Bot report"),
    ("report_intro", "Gesprekken waarin de bot meedeed: hoeveel hij zelf afhandelde en hoeveel hij aan een collega overdroeg.", "Conversations the bot took part in: how many it resolved itself and how many it handed to a colleague."),
    ("report_period", "Periode", "Period"),
    ("report_days", "laatste {n} dagen", "last {n} days"),
    ("report_day", "laatste 24 uur", "last 24 hours"),
    ("report_conversations", "Gesprekken", "Conversations"),
    ("report_resolved", "Door de bot afgehandeld", "Resolved by the bot"),
    ("report_handed_off", "Overgedragen", "Handed off"),
    ("report_rate", "Automatiseringsgraad", "Automation rate"),
    ("report_answers", "Antwoorden van de bot", "Bot answers"),
    ("report_reasons", "Redenen van overdracht", "Handoff reasons"),
    ("report_none", "Geen botgesprekken in deze periode.", "No bot conversations in this period."),
    ("report_count", "Aantal", "Count"),
    ("resume_bot", "Terug naar de bot", "Back to the bot"),
    ("resume_bot_tip", "De bot beantwoordt het volgende bericht van de klant weer.", "The bot answers the customer's next message again."),
    ("yes", "ja", "yes"),
    ("no", "nee", "no"),
    ("no_orders", "Geen bestellingen bekend.", "No known orders."),
    ("track_and_trace", "Track & trace", "Track & trace"),
    ("expected", "verwacht", "expected"),
    ("presence", "Status", "Presence"),
    ("online", "Online", "Online"),
    ("away", "Afwezig", "Away"),
    ("offline", "Offline", "Offline"),
    ("agents", "Collega's", "Colleagues"),
    ("typing", "{name} typt…", "{name} is typing…"),
    (
        "viewing",
        "{name} bekijkt dit gesprek",
        "{name} is viewing this conversation",
    ),
    ("customer", "Klant", "Customer"),
    ("bot", "Bot", "Bot"),
    ("system", "Systeem", "System"),
    ("agent", "Medewerker", "Agent"),
    ("live_connected", "Live", "Live"),
    (
        "live_offline",
        "Geen verbinding – opnieuw verbinden…",
        "Offline – reconnecting…",
    ),
    (
        "network_error",
        "Geen verbinding met de server. Je tekst is bewaard; probeer het opnieuw.",
        "Could not reach the server. Your text is kept; try again.",
    ),
    ("saved", "Opgeslagen", "Saved"),
    (
        "not_found",
        "Dit bestaat niet (meer) in dit account.",
        "This does not exist (any more) in this account.",
    ),
    ("forbidden", "Dat mag je niet doen", "You may not do that"),
    ("conflict", "Dat kan nu niet", "That is not possible now"),
    ("invalid", "Ongeldige invoer", "Invalid input"),
    (
        "server_error",
        "Er ging iets mis aan onze kant. Probeer het later opnieuw.",
        "Something went wrong on our side. Try again later.",
    ),
    (
        "empty_text",
        "Typ eerst een bericht.",
        "Type a message first.",
    ),
    ("unknown_action", "Onbekende actie.", "Unknown action."),
    ("bad_value", "Ongeldige waarde", "Invalid value"),
    ("shortcuts", "Sneltoetsen", "Keyboard shortcuts"),
    (
        "shortcuts_help",
        "j/k: volgende/vorige gesprek · r: antwoorden · n: notitie · e: oplossen · a: aan mij toewijzen · /: filters · /code + Tab: standaardantwoord · Ctrl+Enter: versturen · Esc: sluiten",
        "j/k: next/previous conversation · r: reply · n: note · e: resolve · a: assign to me · /: filters · /code + Tab: canned response · Ctrl+Enter: send · Esc: close",
    ),
    ("notify_on", "Meldingen aanzetten", "Turn on notifications"),
    ("new_message", "Nieuw bericht", "New message"),
    ("unread", "ongelezen", "unread"),
    ("language", "Language: English", "Taal: Nederlands"),
    ("skip", "Naar de inhoud", "Skip to content"),
    ("more", "Meer laden", "Load more"),
    (
        "more_actions",
        "Team, prioriteit, labels",
        "Team, priority, labels",
    ),
    ("settings", "Instellingen", "Settings"),
    ("canned_settings", "Standaardantwoorden", "Canned responses"),
    (
        "canned_intro",
        "Teksten die iedere collega in een antwoord invoegt: kies ze in het antwoordvak of typ / en de code, gevolgd door Tab. Variabelen worden ingevuld voor het gesprek; een onbekende blijft staan zodat je hem ziet.",
        "Texts every colleague can insert in a reply: pick one in the reply box, or type / and the code, then Tab. Variables are filled in for the conversation; an unknown one stays visible so you notice it.",
    ),
    ("canned_variables", "Variabelen", "Variables"),
    ("canned_code", "Code", "Code"),
    (
        "canned_code_hint",
        "kleine letters, cijfers, - en _ (max. 40)",
        "lowercase letters, digits, - and _ (max. 40)",
    ),
    ("canned_title", "Titel", "Title"),
    ("canned_text", "Tekst", "Text"),
    ("canned_language", "Taal", "Language"),
    ("lang_any", "Elke taal", "Any language"),
    ("lang_nl", "Nederlands", "Dutch"),
    ("lang_en", "Engels", "English"),
    ("canned_add", "Standaardantwoord toevoegen", "Add a canned response"),
    ("canned_edit", "Standaardantwoord bewerken", "Edit canned response"),
    ("edit", "Bewerken", "Edit"),
    ("delete", "Verwijderen", "Delete"),
    ("cancel", "Annuleren", "Cancel"),
    ("canned_insert", "Invoegen", "Insert"),
    (
        "canned_none",
        "Nog geen standaardantwoorden.",
        "No canned responses yet.",
    ),
    ("canned_saved", "Standaardantwoord opgeslagen.", "Canned response saved."),
    (
        "canned_deleted",
        "Standaardantwoord verwijderd.",
        "Canned response deleted.",
    ),
    (
        "canned_unknown_code",
        "Er is geen standaardantwoord met code {code}.",
        "There is no canned response with code {code}.",
    ),
    ("kb_settings", "Kennisbank", "Knowledge base"),
    (
        "kb_intro",
        "Artikelen waarmee de bot klanten zelf helpt, zoals levertijden, verzending naar het buitenland of garantie. Schrijf ze in het Nederlands, het Engels of allebei; de bot doorzoekt alleen gepubliceerde artikelen.",
        "Articles the bot uses to help customers itself, such as delivery times, shipping abroad or the warranty. Write them in Dutch, English or both; the bot searches published articles only.",
    ),
    ("kb_new", "Nieuw artikel", "New article"),
    ("kb_edit", "Artikel bewerken", "Edit article"),
    ("kb_none", "Nog geen artikelen.", "No articles yet."),
    ("kb_title", "Titel", "Title"),
    ("kb_body", "Tekst", "Text"),
    (
        "kb_one_language",
        "Vul voor minstens één taal zowel de titel als de tekst in. Een taal die je leeg laat, vult de bot aan met de andere taal.",
        "Fill in both the title and the text for at least one language. For a language left empty, the bot falls back on the other one.",
    ),
    ("kb_keywords", "Trefwoorden", "Keywords"),
    (
        "kb_keywords_hint",
        "andere woorden waarmee klanten ernaar vragen, in beide talen",
        "other words customers use for it, in either language",
    ),
    (
        "kb_publish",
        "Gepubliceerd: de bot mag dit artikel gebruiken",
        "Published: the bot may use this article",
    ),
    ("kb_published", "Gepubliceerd", "Published"),
    ("kb_draft", "Concept", "Draft"),
    ("kb_languages", "Talen", "Languages"),
    ("kb_updated", "Gewijzigd", "Updated"),
    ("kb_saved", "Artikel opgeslagen.", "Article saved."),
    ("kb_deleted", "Artikel verwijderd.", "Article deleted."),
    ("kb_delete_confirm", "Artikel verwijderen?", "Delete this article?"),
    (
        "kb_delete_question",
        "Weet je zeker dat je “{title}” wilt verwijderen? Dit kan niet ongedaan worden gemaakt.",
        "Are you sure you want to delete “{title}”? This cannot be undone.",
    ),
    ("kb_try", "Wat vindt de bot?", "What would the bot find?"),
    (
        "kb_try_intro",
        "Typ een vraag zoals een klant die stelt en zie welke gepubliceerde artikelen de bot vindt, met hun score van 0 tot 1.",
        "Type a question as a customer would ask it and see which published articles the bot finds, with their score from 0 to 1.",
    ),
    ("kb_question", "Vraag", "Question"),
    ("kb_customer_lang", "Taal van de klant", "Customer's language"),
    ("kb_lang_detect", "Herkennen", "Detect"),
    ("kb_search_button", "Zoeken", "Search"),
    ("kb_searched_in", "Gezocht in", "Searched in"),
    (
        "kb_no_hits",
        "Geen artikel gevonden: de bot geeft deze vraag door aan een collega.",
        "No article found: the bot hands this question to a colleague.",
    ),
    ("kb_score", "score", "score"),
    ("kb_verdict_answer", "de bot antwoordt hiermee", "the bot answers with this"),
    ("kb_verdict_suggest", "alleen als suggestie", "only as a suggestion"),
    ("kb_verdict_weak", "te zwak", "too weak"),
    (
        "admins_only",
        "Alleen beheerders kunnen dit beheren.",
        "Only admins can manage this.",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_translated() {
        for (i, (k, nl, en)) in STRINGS.iter().enumerate() {
            assert!(!nl.is_empty() && !en.is_empty(), "{k}");
            assert!(
                STRINGS[i + 1..].iter().all(|(other, _, _)| other != k),
                "duplicate {k}"
            );
        }
    }

    #[test]
    fn language_comes_from_query_cookie_then_header() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::pick(None, &h), Lang::Nl);
        h.insert(header::ACCEPT_LANGUAGE, "en-GB,en;q=0.9".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::En);
        h.insert(header::COOKIE, "a=b; balie_lang=nl".parse().unwrap());
        assert_eq!(Lang::pick(None, &h), Lang::Nl);
        assert_eq!(Lang::pick(Some("en"), &h), Lang::En);
        assert_eq!(Lang::pick(Some("xx"), &h), Lang::Nl);
    }
}
