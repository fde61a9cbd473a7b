//! Customer identities and their normal forms. Two spellings of the same
//! email address or phone number must land on the same contact (R2), so every
//! identity is stored only in its normal form.

use crate::DomainError;

macro_rules! identity_kinds {
    ($($variant:ident => $text:literal),+ $(,)?) => {
        /// The kind of handle a customer is known by.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum IdentityKind { $(#[serde(rename = $text)] $variant),+ }

        impl IdentityKind {
            pub const ALL: &'static [IdentityKind] = &[$(IdentityKind::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $(IdentityKind::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for IdentityKind {
            type Err = DomainError;
            fn from_str(s: &str) -> Result<Self, DomainError> {
                match s {
                    $($text => Ok(IdentityKind::$variant),)+
                    other => Err(DomainError::invalid("kind", format!(
                        "unknown identity kind {other:?}; expected one of: {}", [$($text),+].join(", ")))),
                }
            }
        }
    };
}

identity_kinds! {
    Email => "email",
    Phone => "phone",
    ShopCustomerId => "shop_customer_id",
    WebVisitor => "web_visitor",
    Messenger => "messenger",
    Instagram => "instagram",
    Telegram => "telegram",
}

/// Normalises a raw identity value of the given kind: emails lower-cased,
/// phone numbers in E.164, other ids trimmed.
pub fn normalise_identity(kind: IdentityKind, raw: &str) -> Result<String, DomainError> {
    match kind {
        IdentityKind::Email => EmailAddress::parse(raw).map(EmailAddress::into_string),
        IdentityKind::Phone => PhoneE164::parse(raw).map(PhoneE164::into_string),
        _ => {
            let value = raw.trim();
            if value.is_empty() {
                return Err(DomainError::invalid("value", "must not be empty"));
            }
            if value.len() > 200 {
                return Err(DomainError::invalid("value", "at most 200 characters"));
            }
            if value.chars().any(char::is_control) {
                return Err(DomainError::invalid(
                    "value",
                    "must not contain control characters",
                ));
            }
            Ok(value.to_string())
        }
    }
}

/// An email address in normal form (trimmed, lower-case).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidEmail(raw.chars().take(100).collect());
        let value = raw.trim();
        let value = value
            .strip_prefix("mailto:")
            .unwrap_or(value)
            .to_lowercase();
        if value.len() > 254 {
            return Err(bad());
        }
        let (local, domain) = value.split_once('@').ok_or_else(bad)?;
        if local.is_empty() || local.len() > 64 || domain.contains('@') {
            return Err(bad());
        }
        let local_ok = local
            .chars()
            .all(|c| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(bad());
        }
        Ok(EmailAddress(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// A phone number in E.164 (`+31612345678`). National Dutch notation is
/// understood (`06-12345678`, `+31 (0)6 1234 5678`, `0031612345678`), as are
/// bare international digits as WhatsApp sends them (`31612345678`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PhoneE164(String);

impl PhoneE164 {
    /// Parses with the Netherlands as the default country.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        Self::parse_with_country(raw, "31")
    }

    /// Parses; numbers in national notation (leading `0`) get `country_code`.
    pub fn parse_with_country(raw: &str, country_code: &str) -> Result<Self, DomainError> {
        let bad = || DomainError::InvalidPhone(raw.chars().take(100).collect());
        let trimmed = raw.trim();
        let trimmed = trimmed.strip_prefix("tel:").unwrap_or(trimmed);
        // "+31 (0)6 ..." writes the trunk prefix that must be dropped.
        let without_trunk = trimmed.replace("(0)", "");
        let mut digits = String::with_capacity(16);
        let mut plus = false;
        for (i, c) in without_trunk.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                '+' if i == 0 => plus = true,
                ' ' | '-' | '.' | '/' | '(' | ')' | '\u{a0}' => {}
                _ => return Err(bad()),
            }
        }
        let international = if plus {
            digits
        } else if let Some(rest) = digits.strip_prefix("00") {
            rest.to_string()
        } else if let Some(rest) = digits.strip_prefix('0') {
            format!("{country_code}{rest}")
        } else if digits.len() >= 10 {
            digits
        } else {
            return Err(bad());
        };
        if international.starts_with('0') || !(8..=15).contains(&international.len()) {
            return Err(bad());
        }
        // Country-specific lengths where we know them, so a digit too many or
        // too few is caught rather than creating a second contact.
        let national_len = |cc: &str| international.len() - cc.len();
        let ok = if international.starts_with("31") {
            national_len("31") == 9
        } else if international.starts_with("32") {
            (8..=9).contains(&national_len("32"))
        } else {
            true
        };
        if !ok {
            return Err(bad());
        }
        Ok(PhoneE164(format!("+{international}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dutch_notations_resolve_to_one_number() {
        for raw in [
            "06-12345678",
            "0612345678",
            "06 1234 5678",
            "+31 6 1234 5678",
            "+31612345678",
            "0031612345678",
            "0031 6 12345678",
            "+31 (0)6 12345678",
            "31612345678",
            "tel:+31-6-12345678",
        ] {
            assert_eq!(
                PhoneE164::parse(raw).unwrap().as_str(),
                "+31612345678",
                "{raw}"
            );
        }
        assert_eq!(
            PhoneE164::parse("020-1234567").unwrap().as_str(),
            "+31201234567"
        );
        assert_eq!(
            PhoneE164::parse("+32 470 12 34 56").unwrap().as_str(),
            "+32470123456"
        );
    }

    #[test]
    fn rejects_what_is_not_a_phone_number() {
        for raw in [
            "",
            "06-1234567",
            "06-123456789",
            "hello",
            "+31 6 1234 567a",
            "12345",
            "+0612345678",
            "06+12345678",
        ] {
            assert!(PhoneE164::parse(raw).is_err(), "{raw:?} should be rejected");
        }
    }

    #[test]
    fn emails_are_lower_cased_and_validated() {
        assert_eq!(
            EmailAddress::parse("  Jan.Jansen@Example.NL ")
                .unwrap()
                .as_str(),
            "jan.jansen@example.nl"
        );
        assert_eq!(
            EmailAddress::parse("mailto:a+b@x.co").unwrap().as_str(),
            "a+b@x.co"
        );
        for raw in [
            "", "jan", "jan@", "@x.nl", "a@b", "a@@b.nl", "a b@x.nl", "a@x..nl", ".a@x.nl",
            "a@-x.nl",
        ] {
            assert!(
                EmailAddress::parse(raw).is_err(),
                "{raw:?} should be rejected"
            );
        }
    }

    #[test]
    fn other_identities_are_trimmed_and_bounded() {
        assert_eq!(
            normalise_identity(IdentityKind::ShopCustomerId, "  C-42 ").unwrap(),
            "C-42"
        );
        assert!(normalise_identity(IdentityKind::Telegram, "   ").is_err());
        assert!(normalise_identity(IdentityKind::Messenger, "a\u{0}b").is_err());
        assert!(normalise_identity(IdentityKind::WebVisitor, &"x".repeat(201)).is_err());
    }

    /// Writes the national significant number `6xxxxxxxx` in one of the ways
    /// people type it.
    fn notation(nsn: &str, style: u8) -> String {
        let (a, b) = nsn.split_at(1);
        let (b1, b2) = b.split_at(4);
        match style % 8 {
            0 => format!("0{nsn}"),
            1 => format!("0{a}-{b}"),
            2 => format!("+31 {a} {b1} {b2}"),
            3 => format!("0031{nsn}"),
            4 => format!("+31 (0){a} {b}"),
            5 => format!("31{nsn}"),
            6 => format!("(0{a}) {b1}.{b2}"),
            _ => format!(" +31{nsn} "),
        }
    }

    proptest! {
        #[test]
        fn every_notation_of_a_dutch_mobile_is_the_same_identity(n in 0u32..100_000_000, s1: u8, s2: u8) {
            let nsn = format!("6{n:08}");
            let a = normalise_identity(IdentityKind::Phone, &notation(&nsn, s1)).unwrap();
            let b = normalise_identity(IdentityKind::Phone, &notation(&nsn, s2)).unwrap();
            prop_assert_eq!(&a, &b);
            prop_assert_eq!(a, format!("+31{nsn}"));
        }

        #[test]
        fn normalising_is_idempotent(n in 0u32..100_000_000, s: u8) {
            let once = PhoneE164::parse(&notation(&format!("6{n:08}"), s)).unwrap();
            let twice = PhoneE164::parse(once.as_str()).unwrap();
            prop_assert_eq!(once, twice);
        }

        #[test]
        fn email_case_and_padding_do_not_matter(local in "[a-z][a-z0-9._+-]{0,20}[a-z0-9]", domain in "[a-z][a-z0-9-]{0,10}[a-z0-9]\\.(nl|be|com)") {
            prop_assume!(!local.contains(".."));
            let plain = format!("{local}@{domain}");
            let shouted = format!("  {}  ", plain.to_uppercase());
            prop_assert_eq!(EmailAddress::parse(&plain).unwrap(), EmailAddress::parse(&shouted).unwrap());
        }

        #[test]
        fn arbitrary_input_never_panics(s in "\\PC{0,40}") {
            let _ = PhoneE164::parse(&s);
            let _ = EmailAddress::parse(&s);
            for kind in IdentityKind::ALL {
                let _ = normalise_identity(*kind, &s);
            }
        }
    }
}
