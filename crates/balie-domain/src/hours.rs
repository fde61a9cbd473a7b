//! Business hours: when humans answer. A weekly schedule in a shop's time
//! zone (Europe/Amsterdam and Europe/Brussels with EU summer time, or UTC),
//! asked with an injected instant, so the answer is testable.

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// A weekly schedule: for each day, opening spans like `"09:00-17:30"`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BusinessHours {
    /// `Europe/Amsterdam`, `Europe/Brussels` or `UTC`.
    pub timezone: String,
    /// Keys `mon` .. `sun`; a missing day is closed.
    pub week: std::collections::BTreeMap<String, Vec<String>>,
}

/// Whether humans answer now, and if not, when they next do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenStatus {
    pub open: bool,
    /// Milliseconds since the epoch of the next opening, when closed.
    pub next_open_ms: Option<i64>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_MS: i64 = 86_400_000;

fn parse_hhmm(s: &str) -> Option<i64> {
    let (h, m) = s.trim().split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
    ((0..=24).contains(&h) && (0..60).contains(&m) && h * 60 + m <= 24 * 60)
        .then_some((h * 60 + m) * 60_000)
}

/// Days since the epoch of the last Sunday of a month (for EU summer time).
fn last_sunday(year: i64, month: u32) -> i64 {
    let next_month_first = if month == 12 {
        days_from_civil(year + 1, 1, 1)
    } else {
        days_from_civil(year, month + 1, 1)
    };
    let last = next_month_first - 1;
    // 1970-01-01 was a Thursday; weekday 0 = Monday.
    let weekday = (last + 3).rem_euclid(7);
    last - (weekday - 6).rem_euclid(7)
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

impl BusinessHours {
    /// Checks the schedule; an error names what is wrong.
    pub fn validate(&self) -> Result<(), DomainError> {
        if !matches!(
            self.timezone.as_str(),
            "Europe/Amsterdam" | "Europe/Brussels" | "UTC"
        ) {
            return Err(DomainError::invalid(
                "timezone",
                "supported: Europe/Amsterdam, Europe/Brussels, UTC",
            ));
        }
        for (day, spans) in &self.week {
            if !DAYS.contains(&day.as_str()) {
                return Err(DomainError::invalid(
                    "week",
                    format!("unknown day {day:?}; use mon..sun"),
                ));
            }
            for span in spans {
                self.span(span).ok_or_else(|| {
                    DomainError::invalid("week", format!("bad span {span:?}; use HH:MM-HH:MM"))
                })?;
            }
        }
        Ok(())
    }

    fn span(&self, s: &str) -> Option<(i64, i64)> {
        let (a, b) = s.split_once('-')?;
        let (a, b) = (parse_hhmm(a)?, parse_hhmm(b)?);
        (a < b).then_some((a, b))
    }

    /// The zone's offset from UTC at an instant, in milliseconds.
    fn offset_ms(&self, utc_ms: i64) -> i64 {
        if self.timezone == "UTC" {
            return 0;
        }
        // CET +1, CEST +2 from the last Sunday of March 01:00 UTC to the
        // last Sunday of October 01:00 UTC.
        let year = {
            let days = utc_ms.div_euclid(DAY_MS);
            let mut y = 1970 + days / 366;
            while days_from_civil(y + 1, 1, 1) <= days {
                y += 1;
            }
            y
        };
        let start = last_sunday(year, 3) * DAY_MS + 3_600_000;
        let end = last_sunday(year, 10) * DAY_MS + 3_600_000;
        if utc_ms >= start && utc_ms < end {
            7_200_000
        } else {
            3_600_000
        }
    }

    /// Open now? If not, when next (searching two weeks ahead).
    pub fn status(&self, now_ms: i64) -> OpenStatus {
        let local = now_ms + self.offset_ms(now_ms);
        let day = local.div_euclid(DAY_MS);
        let in_day = local.rem_euclid(DAY_MS);
        let spans_of = |d: i64| -> Vec<(i64, i64)> {
            let name = DAYS[(d + 3).rem_euclid(7) as usize];
            self.week
                .get(name)
                .map(|v| v.iter().filter_map(|s| self.span(s)).collect())
                .unwrap_or_default()
        };
        if spans_of(day)
            .iter()
            .any(|(a, b)| (*a..*b).contains(&in_day))
        {
            return OpenStatus {
                open: true,
                next_open_ms: None,
            };
        }
        for ahead in 0..15 {
            let d = day + ahead;
            let mut starts: Vec<i64> = spans_of(d).into_iter().map(|(a, _)| a).collect();
            starts.sort_unstable();
            if let Some(start) = starts.into_iter().find(|a| ahead > 0 || *a > in_day) {
                let local_ms = d * DAY_MS + start;
                // Convert back with the offset at that moment (close enough
                // across a DST switch, which never happens during office hours).
                let utc = local_ms - self.offset_ms(local_ms - 3_600_000);
                return OpenStatus {
                    open: false,
                    next_open_ms: Some(utc),
                };
            }
        }
        OpenStatus {
            open: false,
            next_open_ms: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn office() -> BusinessHours {
        let mut week = std::collections::BTreeMap::new();
        for d in ["mon", "tue", "wed", "thu", "fri"] {
            week.insert(d.to_string(), vec!["09:00-17:30".to_string()]);
        }
        week.insert("sat".to_string(), vec!["10:00-14:00".to_string()]);
        BusinessHours {
            timezone: "Europe/Amsterdam".into(),
            week,
        }
    }

    fn utc(y: i64, m: u32, d: u32, h: i64, min: i64) -> i64 {
        days_from_civil(y, m, d) * DAY_MS + (h * 60 + min) * 60_000
    }

    #[test]
    fn open_in_office_hours_in_winter_and_summer_time() {
        let h = office();
        // Monday 23 November 2026, 08:30 UTC = 09:30 CET.
        assert!(h.status(utc(2026, 11, 23, 8, 30)).open);
        // 07:30 UTC = 08:30 CET: closed, opens 09:00 CET = 08:00 UTC.
        let s = h.status(utc(2026, 11, 23, 7, 30));
        assert_eq!(
            s,
            OpenStatus {
                open: false,
                next_open_ms: Some(utc(2026, 11, 23, 8, 0))
            }
        );
        // Monday 6 July 2026, 07:30 UTC = 09:30 CEST: open.
        assert!(h.status(utc(2026, 7, 6, 7, 30)).open);
        assert!(!h.status(utc(2026, 7, 6, 15, 31)).open);
    }

    #[test]
    fn closed_on_sunday_until_monday_morning() {
        let h = office();
        // Sunday 22 November 2026 12:00 UTC.
        let s = h.status(utc(2026, 11, 22, 12, 0));
        assert!(!s.open);
        assert_eq!(s.next_open_ms, Some(utc(2026, 11, 23, 8, 0)));
        // Saturday after closing: next is Monday.
        let s = h.status(utc(2026, 11, 21, 14, 0));
        assert_eq!(s.next_open_ms, Some(utc(2026, 11, 23, 8, 0)));
    }

    #[test]
    fn summer_time_switches_on_the_last_sundays() {
        assert_eq!(last_sunday(2026, 3), days_from_civil(2026, 3, 29));
        assert_eq!(last_sunday(2026, 10), days_from_civil(2026, 10, 25));
        let h = office();
        assert_eq!(h.offset_ms(utc(2026, 3, 29, 0, 59)), 3_600_000);
        assert_eq!(h.offset_ms(utc(2026, 3, 29, 1, 0)), 7_200_000);
        assert_eq!(h.offset_ms(utc(2026, 10, 25, 1, 0)), 3_600_000);
    }

    #[test]
    fn bad_schedules_are_refused() {
        let mut h = office();
        assert!(h.validate().is_ok());
        h.week.insert("maandag".into(), vec![]);
        assert!(h.validate().is_err());
        let mut h = office();
        h.week.insert("mon".into(), vec!["17:00-09:00".into()]);
        assert!(h.validate().is_err());
        let mut h = office();
        h.timezone = "Mars/Olympus".into();
        assert!(h.validate().is_err());
        assert!(BusinessHours {
            timezone: "UTC".into(),
            week: Default::default()
        }
        .status(0)
        .next_open_ms
        .is_none());
    }
}
