//! Calendar arithmetic for the UTC timestamps Zendesk and the platform exchange. Time is always
//! an input here (unix seconds); nothing reads the clock.

/// Days since 1970-01-01 of a proleptic Gregorian date.
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The proleptic Gregorian date (year, month, day) of a day number since 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// A unix time in Zendesk's ISO-8601 UTC form, `2024-05-01T10:00:00Z`.
pub fn iso8601(unix_s: i64) -> String {
    let (y, m, d) = civil_from_days(unix_s.div_euclid(86_400));
    let s = unix_s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3_600,
        s % 3_600 / 60,
        s % 60
    )
}

/// A unix time as a short UTC day and minute, `2024-05-01 10:00` (the choosers' "last update").
pub fn short_utc(unix_s: i64) -> String {
    let (y, m, d) = civil_from_days(unix_s.div_euclid(86_400));
    let s = unix_s.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}",
        s / 3_600,
        s % 3_600 / 60
    )
}

/// Parses an ISO-8601 timestamp (`2024-05-01T10:00:00Z`, fractions and offsets allowed) into
/// unix seconds.
pub fn parse_iso8601(text: &str) -> Option<i64> {
    let text = text.trim();
    let (date, rest) = text.split_once('T')?;
    let mut ymd = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (ymd.next()??, ymd.next()??, ymd.next()??);
    let (time, offset_s) = if let Some(t) = rest.strip_suffix('Z') {
        (t, 0)
    } else if let Some(pos) = rest.rfind(['+', '-']) {
        let (t, off) = rest.split_at(pos);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let mut hm = off[1..].split(':').map(|p| p.parse::<i64>().ok());
        let (oh, om) = (hm.next()??, hm.next().flatten().unwrap_or(0));
        (t, sign * (oh * 3600 + om * 60))
    } else {
        (rest, 0)
    };
    let time = time.split('.').next()?;
    let mut hms = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, mi, s) = (
        hms.next()??,
        hms.next()??,
        hms.next().flatten().unwrap_or(0),
    );
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    Some(days_from_civil(y, m, d) * 86_400 + h * 3600 + mi * 60 + s - offset_s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for t in [
            0,
            951_782_400,
            1_714_557_600,
            1_705_516_278,
            -86_400,
            4_102_444_800,
        ] {
            assert_eq!(parse_iso8601(&iso8601(t)), Some(t), "{t}");
        }
        for days in -1_000..1_000 {
            let (y, m, d) = civil_from_days(days * 37);
            assert_eq!(days_from_civil(y, m, d), days * 37);
        }
    }

    #[test]
    fn formats_and_parses() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(short_utc(1_714_557_600), "2024-05-01 10:00");
        assert_eq!(short_utc(951_782_400 + 3_661), "2000-02-29 01:01");
        assert_eq!(
            parse_iso8601("2024-01-17T18:31:18.123Z"),
            Some(1_705_516_278)
        );
        assert_eq!(
            parse_iso8601("2024-05-01T12:00:00+02:00"),
            Some(1_714_557_600)
        );
        assert_eq!(parse_iso8601("yesterday"), None);
        assert_eq!(parse_iso8601("2024-13-01T00:00:00Z"), None);
    }
}
