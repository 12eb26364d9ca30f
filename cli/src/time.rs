//! Times for people: NumericDates in UTC and relative to now.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch now (0 before 1970).
pub(super) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// `2026-05-01 12:00:00 UTC`; years outside 0..=9999 are not dates a token means.
pub(super) fn utc(secs: i64) -> String {
    // 0000-01-01 and 9999-12-31T23:59:59.
    if !(-62_167_219_200..=253_402_300_799).contains(&secs) {
        return "(out of the range of dates)".into();
    }
    let days = secs.div_euclid(86_400);
    let of_day = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60
    )
}

/// `in 4m 59s`, `2h 3m ago`, `now`: the two largest units.
pub(super) fn relative(secs: i64, now: i64) -> String {
    let delta = i128::from(secs) - i128::from(now);
    if delta == 0 {
        return "now".into();
    }
    let span = span(delta.unsigned_abs());
    if delta > 0 {
        format!("in {span}")
    } else {
        format!("{span} ago")
    }
}

fn span(secs: u128) -> String {
    const UNITS: [(u128, &str); 4] = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let i = UNITS
        .iter()
        .position(|(size, _)| secs >= *size)
        .unwrap_or(UNITS.len() - 1);
    let (size, name) = UNITS[i];
    let mut text = format!("{}{name}", secs / size);
    if let Some((next, next_name)) = UNITS.get(i + 1) {
        let n = secs % size / next;
        if n > 0 {
            text.push_str(&format!(" {n}{next_name}"));
        }
    }
    text
}

/// Howard Hinnant's `civil_from_days`: (year, month, day) of a day count from 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(1_700_000_000), "2023-11-14 22:13:20 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(-1), "1969-12-31 23:59:59 UTC");
        assert_eq!(utc(253_402_300_799), "9999-12-31 23:59:59 UTC");
        assert_eq!(utc(i64::MAX), "(out of the range of dates)");
    }

    #[test]
    fn relative_times_use_two_units() {
        assert_eq!(relative(100, 100), "now");
        assert_eq!(relative(399, 100), "in 4m 59s");
        assert_eq!(relative(100, 7480), "2h 3m ago");
        assert_eq!(relative(3600, 0), "in 1h");
        assert_eq!(relative(0, 90_061), "1d 1h ago");
        assert_eq!(relative(86_405, 0), "in 1d");
        assert!(relative(i64::MAX, i64::MIN).starts_with("in "));
    }
}
