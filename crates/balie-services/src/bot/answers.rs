//! Everything the bot says, in Dutch and English: the built-in texts, and
//! the shop's own versions that replace them (`/settings/bot/answers`).
//!
//! A text may hold `{placeholders}` that the bot fills in (`{number}`,
//! `{status}`...). A shop's version of a built-in text may use only the
//! placeholders of that text. Shop facts (delivery times, the return
//! period, payment methods) live in these texts, so a shop edits its facts
//! where it edits its answers. An intent a shop added itself is answered
//! with the text stored under the intent's name.

use std::collections::HashMap;

use balie_nlu::language::Language;

/// What an answer is for, to group them for the admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerGroup {
    /// The whole answer to one intent.
    Intent,
    /// Parts of the answers about one order.
    Orders,
    /// What the bot says when it hands over to a human.
    Handoff,
}

/// One built-in text.
#[derive(Debug, Clone, Copy)]
pub struct BuiltinAnswer {
    pub key: &'static str,
    pub group: AnswerGroup,
    pub nl: &'static str,
    pub en: &'static str,
}

const fn a(
    key: &'static str,
    group: AnswerGroup,
    nl: &'static str,
    en: &'static str,
) -> BuiltinAnswer {
    BuiltinAnswer { key, group, nl, en }
}

use AnswerGroup::{Handoff, Intent, Orders};

/// The built-in texts. Intent answers carry the intent's name as key.
pub const BUILTIN_ANSWERS: &[BuiltinAnswer] = &[
    a("greeting", Intent,
      "Hoi! Ik ben de digitale assistent van de webshop. Waarmee kan ik je helpen? Je kunt me bijvoorbeeld vragen waar je bestelling is.",
      "Hi! I'm the webshop's digital assistant. How can I help? You can ask me where your order is, for example."),
    a("thanks", Intent,
      "Graag gedaan! Kan ik je nog ergens anders mee helpen?",
      "You're welcome! Is there anything else I can help you with?"),
    a("goodbye", Intent,
      "Fijne dag nog! Je kunt hier altijd weer een bericht sturen.",
      "Have a great day! You can always send us a message here."),
    a("delivery_period", Intent,
      "Zodra je bestelling verzonden is, heb je hem meestal binnen 1 à 2 werkdagen in huis. Je krijgt dan ook een e-mail met de track & trace-link. Wil je weten waar een bestelling nu is? Stuur me dan het bestelnummer.",
      "Once your order has shipped, it usually arrives within 1 to 2 working days, and you'll get an email with the track & trace link. Want to know where an order is right now? Just send me the order number."),
    a("delivery_options", Intent,
      "We bezorgen thuis of bij een afhaalpunt naar keuze. Je kiest de bezorgoptie bij het afrekenen.",
      "We deliver to your home or to a pick-up point of your choice. You choose the delivery option at checkout."),
    a("check_refund_policy", Intent,
      "Je kunt je bestelling binnen 30 dagen na ontvangst retourneren. Zodra we je retour hebben ontvangen, betalen we het bedrag binnen 14 dagen terug op de rekening waarmee je betaalde.",
      "You can return your order within 30 days of receiving it. Once we have received your return, we refund the amount within 14 days to the account you paid with."),
    a("get_refund", Intent,
      "Retourneren kan binnen 30 dagen na ontvangst. Meld je retour aan via 'Mijn account' > 'Bestellingen', print het retourlabel en lever het pakket in bij een PostNL-punt. Zodra we het binnen hebben, krijg je je geld binnen 14 dagen terug.",
      "You can return an order within 30 days of receiving it. Register the return under 'My account' > 'Orders', print the return label and drop the parcel at a PostNL point. Once we've received it, you'll get your money back within 14 days."),
    a("check_payment_methods", Intent,
      "Je kunt bij ons betalen met iDEAL, creditcard, PayPal en Bancontact.",
      "You can pay with iDEAL, credit card, PayPal and Bancontact."),
    a("payment_issue", Intent,
      "Vervelend dat het betalen niet lukt! Probeer het nog eens of kies een andere betaalmethode; je winkelmand blijft bewaard. Is er geld afgeschreven maar heb je geen bevestiging gekregen? Dat komt meestal binnen een uur goed. Typ 'medewerker' als je een collega wilt spreken.",
      "Sorry the payment didn't go through! Please try again or choose another payment method; your basket is kept. Was money taken but no confirmation received? That usually sorts itself out within the hour. Type 'agent' if you'd like to talk to a colleague."),
    a("check_invoice", Intent,
      "Je factuur vind je in 'Mijn account' > 'Bestellingen'. Hij zit ook als pdf bij de bevestigingsmail van je bestelling.",
      "You'll find your invoice under 'My account' > 'Orders'. It's also attached as a PDF to your order confirmation email."),
    a("get_invoice", Intent,
      "Je kunt je factuur downloaden in 'Mijn account' > 'Bestellingen'. Hij zit ook als pdf bij de bevestigingsmail van je bestelling.",
      "You can download your invoice under 'My account' > 'Orders'. It's also attached as a PDF to your order confirmation email."),
    a("check_cancellation_fee", Intent,
      "Annuleren is gratis zolang je bestelling nog niet verzonden is. Is hij al onderweg, dan kun je hem na ontvangst kosteloos retourneren.",
      "Cancelling is free as long as your order hasn't shipped. If it's already on its way, you can return it free of charge once it arrives."),
    a("place_order", Intent,
      "Bestellen doe je op de website: leg de artikelen in je winkelmand en klik op 'Afrekenen'. Een account is niet nodig.",
      "You can order on the website: put the items in your basket and click 'Checkout'. You don't need an account."),
    a("set_up_shipping_address", Intent,
      "Een bezorgadres stel je in bij 'Mijn account' > 'Adressen', of je vult het in bij het afrekenen.",
      "You can set up a delivery address under 'My account' > 'Addresses', or enter it at checkout."),
    a("review", Intent,
      "Wat fijn dat je je ervaring wilt delen! Je kunt een review schrijven op de productpagina of via de link in de e-mail die je na de bezorging krijgt.",
      "Thanks for wanting to share your experience! You can write a review on the product page or through the link in the email you get after delivery."),
    a("newsletter_subscription", Intent,
      "Je meldt je aan voor de nieuwsbrief onderaan elke pagina van de website. Afmelden kan met de link onderaan elke nieuwsbrief.",
      "You can sign up for the newsletter at the bottom of every page of the website. To unsubscribe, use the link at the bottom of any newsletter."),
    a("create_account", Intent,
      "Een account maak je aan via 'Inloggen' > 'Account aanmaken' op de website. Je kunt ook zonder account bestellen.",
      "You can create an account via 'Log in' > 'Create account' on the website. You can also order without an account."),
    a("edit_account", Intent,
      "Je gegevens wijzig je in 'Mijn account' > 'Gegevens'.",
      "You can change your details under 'My account' > 'Details'."),
    a("delete_account", Intent,
      "Je kunt je account verwijderen in 'Mijn account' > 'Gegevens' > 'Account verwijderen'. Je bestelgegevens bewaren we zolang de wet dat vraagt.",
      "You can delete your account under 'My account' > 'Details' > 'Delete account'. We keep your order records as long as the law requires."),
    a("recover_password", Intent,
      "Klik bij 'Inloggen' op 'Wachtwoord vergeten?' en vul je e-mailadres in. Je krijgt dan een link om een nieuw wachtwoord te kiezen; kijk ook even in je spam.",
      "Click 'Forgot password?' on the login page and enter your email address. You'll get a link to choose a new password; do check your spam folder too."),
    a("registration_problems", Intent,
      "Lukt registreren niet? Controleer of je e-mailadres klopt en of je al een account hebt (probeer dan 'Wachtwoord vergeten?'). Lukt het nog steeds niet, typ dan 'medewerker'.",
      "Can't register? Check that your email address is right and whether you already have an account (then try 'Forgot password?'). Still stuck? Type 'agent'."),
    a("switch_account", Intent,
      "Log uit via 'Mijn account' > 'Uitloggen' en log daarna in met het andere account.",
      "Log out via 'My account' > 'Log out', then log in with the other account."),
    a("contact_hours", Intent,
      "Je kunt ons hier in de chat bereiken. Onze collega's zijn er op: {hours}.",
      "You can reach us right here in the chat. Our colleagues are available: {hours}."),
    a("contact_always", Intent,
      "Je kunt ons hier in de chat bereiken; stel je vraag maar, dan help ik je of geef ik je door aan een collega.",
      "You can reach us right here in the chat; ask your question and I'll help you or pass you on to a colleague."),
    a("knowledge", Intent,
      "{answer}\n\n(Uit ons artikel \"{title}\".) Heb je hier genoeg aan? Anders typ je 'medewerker'.",
      "{answer}\n\n(From our article \"{title}\".) Does this help? If not, type 'agent'."),
    a("ask_order", Orders,
      "Ik zoek het graag voor je op! Wat is je bestelnummer? Stuur ook de postcode van het bezorgadres of het e-mailadres waarmee je bestelde, dan weet ik zeker dat het jouw bestelling is.",
      "I'd be happy to look that up! What's your order number? Please also send the delivery postcode or the email address you ordered with, so I know it's your order."),
    a("ask_proof", Orders,
      "Ik zoek bestelling {number} graag voor je op. Om zeker te weten dat het jouw bestelling is: wat is de postcode van het bezorgadres, of het e-mailadres waarmee je bestelde?",
      "I'll look up order {number} for you. To make sure it's yours: what's the delivery postcode, or the email address you ordered with?"),
    a("ask_number", Orders,
      "Dank je! Wat is het bestelnummer? Dat staat in je bevestigingsmail.",
      "Thanks! What's the order number? You'll find it in your confirmation email."),
    a("retry", Orders,
      "Hmm, die gegevens horen niet bij een bestelling die ik kan vinden. Wil je het bestelnummer en de postcode of het e-mailadres nog eens controleren?",
      "Hmm, I can't find an order with those details. Could you check the order number and the postcode or email address again?"),
    a("which_order", Orders,
      "Je hebt meerdere openstaande bestellingen: {numbers}. Over welke bestelling gaat het?",
      "You have several open orders: {numbers}. Which one is it about?"),
    a("status", Orders,
      "Je bestelling {number} is {status}.",
      "Your order {number} is {status}."),
    a("carrier", Orders,
      " Hij wordt bezorgd door {carrier}.",
      " It's being delivered by {carrier}."),
    a("tracking_url", Orders,
      " Volg je pakket hier: {url}",
      " Track your parcel here: {url}"),
    a("tracking_code", Orders,
      " Je track & trace-code is {code}.",
      " Your track & trace code is {code}."),
    a("expected", Orders,
      " De verwachte bezorgdatum is {date}.",
      " The expected delivery date is {date}."),
    a("cancel_shipped", Orders,
      "Bestelling {number} is al verzonden, dus annuleren kan helaas niet meer. Je kunt hem wel binnen 30 dagen na ontvangst retourneren; je krijgt dan je geld terug.",
      "Order {number} has already shipped, so it can't be cancelled anymore. You can return it within 30 days of receiving it, and you'll get your money back."),
    a("cancel_done", Orders,
      "Bestelling {number} is {status}; daar hoef je niets meer voor te doen.",
      "Order {number} is {status}; there's nothing more you need to do."),
    a("cancel_not_shipped", Orders,
      "Bestelling {number} is nog niet verzonden, dus annuleren kan nog. ",
      "Order {number} hasn't shipped yet, so it can still be cancelled. "),
    a("change_not_shipped", Orders,
      "Bestelling {number} is nog niet verzonden, dus we kunnen hem nog aanpassen. ",
      "Order {number} hasn't shipped yet, so we can still change it. "),
    a("change_shipped", Orders,
      "Bestelling {number} is al verzonden, dus aanpassen kan helaas niet meer. Je kunt hem na ontvangst binnen 30 dagen retourneren en opnieuw bestellen.",
      "Order {number} has already shipped, so it can't be changed anymore. You can return it within 30 days of receiving it and order again."),
    a("address_not_shipped", Orders,
      "Bestelling {number} is nog niet verzonden, dus het bezorgadres kan nog worden aangepast. ",
      "Order {number} hasn't shipped yet, so the delivery address can still be changed. "),
    a("address_shipped", Orders,
      "Bestelling {number} is al verzonden, dus het adres kan ik niet meer wijzigen. Via de track & trace van {carrier} kun je vaak nog een andere bezorgdag of een afhaalpunt kiezen.",
      "Order {number} has already shipped, so I can't change the address anymore. With {carrier}'s track & trace you can often still choose another delivery day or a pick-up point."),
    a("refund_done", Orders,
      "Het bedrag van bestelling {number} is terugbetaald. Het staat binnen een paar werkdagen op de rekening waarmee je betaalde.",
      "The amount for order {number} has been refunded. It will be in the account you paid with within a few working days."),
    a("refund_pending", Orders,
      "We hebben je retour van bestelling {number} ontvangen. Je krijgt het bedrag binnen 14 dagen terug op de rekening waarmee je betaalde.",
      "We've received your return of order {number}. You'll get the amount back within 14 days in the account you paid with."),
    a("refund_cancelled", Orders,
      "Bestelling {number} is geannuleerd. Had je al betaald, dan krijg je het bedrag binnen 5 werkdagen terug.",
      "Order {number} was cancelled. If you had already paid, you'll get the amount back within 5 working days."),
    a("refund_none", Orders,
      "Voor bestelling {number} ({status}) loopt nog geen terugbetaling. Wil je iets retourneren? Dat kan binnen 30 dagen na ontvangst via 'Mijn account' > 'Bestellingen'.",
      "There's no refund in progress for order {number} ({status}). Want to return something? You can do so within 30 days of receiving it under 'My account' > 'Orders'."),
    a("handoff_open", Handoff,
      "Ik geef je door aan een collega, die het gesprek zo van me overneemt.",
      "I'm passing you on to a colleague, who will take over from me shortly."),
    a("handoff_closed", Handoff,
      "Ik geef je door aan een collega. We zijn nu gesloten; je krijgt antwoord zodra we weer open zijn, {when}. Vertel gerust alvast alles wat we nodig hebben, zoals je bestelnummer.",
      "I'm passing you on to a colleague. We're closed right now; you'll get an answer as soon as we open again, {when}. Feel free to tell us everything we'll need in the meantime, such as your order number."),
    a("handoff_frustrated", Handoff,
      "Wat vervelend, sorry daarvoor! ",
      "I'm sorry about that! "),
];

/// The built-in text with this key.
pub fn builtin(key: &str) -> Option<&'static BuiltinAnswer> {
    BUILTIN_ANSWERS.iter().find(|b| b.key == key)
}

/// The `{placeholders}` of a text, in order of appearance, without repeats.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find('{') {
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if !name.is_empty()
            && name.chars().all(|c| c.is_ascii_lowercase() || c == '_')
            && !out.iter().any(|p| p == name)
        {
            out.push(name.to_string());
        }
        rest = &after[end + 1..];
    }
    out
}

/// The texts one account's bot uses: the shop's own where it wrote one,
/// else the built-in one.
#[derive(Debug, Clone, Default)]
pub struct AnswerBook {
    own: HashMap<(String, Language), String>,
}

impl AnswerBook {
    pub fn new(own: impl IntoIterator<Item = (String, Language, String)>) -> AnswerBook {
        AnswerBook {
            own: own.into_iter().map(|(k, l, t)| ((k, l), t)).collect(),
        }
    }

    /// The raw text for `key` in `lang`: the shop's own, else built-in, else
    /// the shop's text in the other language (an own intent answered in
    /// one language only).
    pub fn raw(&self, lang: Language, key: &str) -> Option<String> {
        if let Some(own) = self.own.get(&(key.to_string(), lang)) {
            return Some(own.clone());
        }
        if let Some(b) = builtin(key) {
            return Some(
                match lang {
                    Language::Nl => b.nl,
                    Language::En => b.en,
                }
                .to_string(),
            );
        }
        let other = match lang {
            Language::Nl => Language::En,
            Language::En => Language::Nl,
        };
        self.own.get(&(key.to_string(), other)).cloned()
    }

    /// Whether the bot has something to say for `key`.
    pub fn has(&self, key: &str) -> bool {
        builtin(key).is_some() || self.own.keys().any(|(k, _)| k == key)
    }

    /// The text for `key` in `lang` with its placeholders filled in; empty
    /// for a key that has no text at all.
    pub fn text(&self, lang: Language, key: &str, vars: &[(&str, &str)]) -> String {
        let mut out = self.raw(lang, key).unwrap_or_default();
        for (name, value) in vars {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_text_has_both_languages_with_the_same_placeholders() {
        for b in BUILTIN_ANSWERS {
            assert!(
                !b.nl.trim().is_empty() && !b.en.trim().is_empty(),
                "{}",
                b.key
            );
            let (mut nl, mut en) = (placeholders(b.nl), placeholders(b.en));
            nl.sort();
            en.sort();
            assert_eq!(nl, en, "{}", b.key);
        }
        let keys: std::collections::HashSet<_> = BUILTIN_ANSWERS.iter().map(|b| b.key).collect();
        assert_eq!(keys.len(), BUILTIN_ANSWERS.len(), "keys are unique");
    }

    #[test]
    fn own_texts_replace_builtin_ones_per_language() {
        let book = AnswerBook::new([
            (
                "thanks".to_string(),
                Language::Nl,
                "Top, {name}!".to_string(),
            ),
            (
                "gift_wrap".to_string(),
                Language::En,
                "We wrap for free.".to_string(),
            ),
        ]);
        assert_eq!(
            book.text(Language::Nl, "thanks", &[("name", "Emma")]),
            "Top, Emma!"
        );
        assert!(book
            .text(Language::En, "thanks", &[])
            .starts_with("You're welcome"));
        // An own intent answered in English only is told to Dutch customers too.
        assert_eq!(
            book.text(Language::Nl, "gift_wrap", &[]),
            "We wrap for free."
        );
        assert!(book.has("gift_wrap") && book.has("greeting") && !book.has("nope"));
        assert_eq!(book.text(Language::Nl, "nope", &[]), "");
    }

    #[test]
    fn placeholders_are_lowercase_names_in_braces() {
        assert_eq!(
            placeholders("{number} is {status}, {number}"),
            ["number", "status"]
        );
        assert!(placeholders("{ not one } {} {Number}").is_empty());
    }
}
