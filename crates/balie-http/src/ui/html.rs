//! Small pieces for writing HTML by hand: one escaping function used for
//! every value that is not a literal of this crate, and the page shell.

use std::fmt::Write as _;

use balie_domain::{Channel, ConversationStatus, Priority};

use super::i18n::Lang;

/// Escapes text for use in HTML content and in double- or single-quoted
/// attribute values.
pub fn escape_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Percent-encodes a query-string component.
pub fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// The channel's name as agents know it.
pub fn channel_name(c: Channel, lang: Lang) -> &'static str {
    match c {
        Channel::WebChat => "Webchat",
        Channel::Email => match lang {
            Lang::Nl => "E-mail",
            Lang::En => "Email",
        },
        Channel::WhatsApp => "WhatsApp",
        Channel::Messenger => "Messenger",
        Channel::Instagram => "Instagram",
        Channel::Telegram => "Telegram",
        Channel::Sms => "SMS",
        Channel::Phone => match lang {
            Lang::Nl => "Telefoon",
            Lang::En => "Phone",
        },
        Channel::Video => "Video",
        Channel::Api => "API",
    }
}

pub fn status_name(s: ConversationStatus, lang: Lang) -> &'static str {
    lang.t(s.as_str())
}

pub fn priority_name(p: Priority, lang: Lang) -> &'static str {
    lang.t(p.as_str())
}

/// `<option>` with `selected` when it matches.
pub fn option(value: &str, text: &str, selected: bool) -> String {
    format!(
        "<option value=\"{}\"{}>{}</option>",
        escape_html(value),
        if selected { " selected" } else { "" },
        escape_html(text)
    )
}

/// A `<time>` element; the script shows it in the agent's local time.
pub fn time(ms: i64) -> String {
    let iso = balie_domain::format_rfc3339(ms);
    // Until the script runs: "2026-11-23 14:05 UTC".
    let short = format!(
        "{} {} UTC",
        iso.get(..10).unwrap_or(""),
        iso.get(11..16).unwrap_or("")
    );
    format!(
        "<time datetime=\"{}\">{}</time>",
        escape_html(&iso),
        escape_html(&short)
    )
}

/// Everything around a page's content.
pub struct Shell<'a> {
    pub lang: Lang,
    pub title: &'a str,
    /// Extra attributes on `<body>`, already escaped.
    pub body_attrs: String,
    pub csrf: Option<&'a str>,
    /// The top bar, already HTML.
    pub top: String,
    pub main: String,
}

impl Shell<'_> {
    pub fn render(&self) -> String {
        let mut s = String::with_capacity(self.main.len() + 4096);
        let _ = write!(
            s,
            "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} · Balie</title>\n",
            lang = self.lang.code(),
            title = escape_html(self.title),
        );
        if let Some(csrf) = self.csrf {
            let _ = writeln!(
                s,
                "<meta name=\"csrf-token\" content=\"{}\">",
                escape_html(csrf)
            );
        }
        let _ = write!(
            s,
            "<link rel=\"stylesheet\" href=\"/assets/inbox.css\">\n\
             <script type=\"module\" src=\"/assets/inbox.js\"></script>\n</head>\n\
             <body{attrs}>\n<a class=\"skip\" href=\"#main\">{skip}</a>\n{top}\n\
             <div id=\"main\" class=\"main\">\n{main}\n</div>\n</body>\n</html>\n",
            attrs = self.body_attrs,
            skip = escape_html(self.lang.t("skip")),
            top = self.top,
            main = self.main,
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_special_character() {
        assert_eq!(
            escape_html(r#"<a href="x" onclick='y'>&</a>"#),
            "&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;"
        );
        assert_eq!(escape_html("gewoon tekst"), "gewoon tekst");
    }

    #[test]
    fn url_encoding_keeps_only_unreserved() {
        assert_eq!(url_encode("/inbox?a=b c&d"), "%2Finbox%3Fa%3Db%20c%26d");
    }
}
