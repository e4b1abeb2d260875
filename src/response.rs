//! Reading a response head: is it an event stream, and how long does a
//! `Retry-After` ask to wait. Pure functions over header values.

use std::time::{Duration, SystemTime};

use crate::backoff::MAX_SERVER_DELAY;
use crate::error::Error;

/// The response must say `text/event-stream` (any case, parameters ignored).
/// `found` is the raw Content-Type value, if the response had one.
pub(crate) fn check_content_type(found: Option<&[u8]>) -> Result<(), Error> {
    let found = found.map(|v| String::from_utf8_lossy(v).into_owned());
    let essence = found
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(str::trim);
    match essence {
        Some(essence) if essence.eq_ignore_ascii_case("text/event-stream") => Ok(()),
        _ => Err(Error::ContentType { found }),
    }
}

/// A response's headers as (lowercase name, value) pairs, in order; values
/// that are not UTF-8 are decoded lossily.
pub(crate) fn header_pairs(headers: &ureq::http::HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_string(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// `Retry-After` as delay-seconds or an HTTP date, relative to `now`, clamped
/// to [`MAX_SERVER_DELAY`]. `None` when the value is neither.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    let delay = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX))
    } else {
        let at = parse_http_date(value)?;
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Duration::from_secs(at.saturating_sub(now))
    };
    Some(delay.min(MAX_SERVER_DELAY))
}

/// An IMF-fixdate, such as `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110
/// 5.6.7), as seconds since the Unix epoch. Dates too far in the future for
/// a `u64` saturate; nothing overflows.
pub(crate) fn parse_http_date(value: &str) -> Option<u64> {
    let mut parts = value.split_ascii_whitespace();
    let _weekday = parts.next()?.strip_suffix(',')?;
    let day: u64 = parts.next()?.parse().ok()?;
    let month_name = parts.next()?;
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| *m == month_name)? as u64
        + 1;
    let year: u64 = parts.next()?.parse().ok()?;
    let mut clock = parts.next()?.split(':').map(|p| p.parse::<u64>().ok());
    let (h, m, s) = (clock.next()??, clock.next()??, clock.next()??);
    if parts.next()? != "GMT"
        || parts.next().is_some()
        || !(1..=31).contains(&day)
        || h > 23
        || m > 59
        || s > 60
        || year < 1970
    {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm), then seconds,
    // saturating for absurd years.
    let (y, mo) = if month <= 2 {
        (year - 1, month + 9)
    } else {
        (year, month - 3)
    };
    let era = y / 400;
    let yoe = y - era * 400;
    let doy = (153 * mo + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era
        .saturating_mul(146_097)
        .saturating_add(doe)
        .saturating_sub(719_468);
    Some(
        days.saturating_mul(86_400)
            .saturating_add(h * 3600 + m * 60 + s),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    fn at(epoch_secs: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + S(epoch_secs)
    }

    #[test]
    fn content_type_essence_any_case_parameters_ignored() {
        for ok in [
            &b"text/event-stream"[..],
            b"Text/Event-Stream; charset=latin1",
            b" text/event-stream ;x=y",
        ] {
            assert!(check_content_type(Some(ok)).is_ok(), "{ok:?}");
        }
        for bad in [&b"text/plain"[..], b"text/event-streams", b"", b"\xff"] {
            assert!(check_content_type(Some(bad)).is_err(), "{bad:?}");
        }
        assert_eq!(
            check_content_type(None),
            Err(Error::ContentType { found: None })
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = at(784_111_777);
        assert_eq!(parse_retry_after("7", now), Some(S(7)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(MAX_SERVER_DELAY)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("", now), None);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now + S(5)),
            Some(Duration::ZERO),
            "past dates mean now"
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:50:37 GMT", now),
            Some(S(60))
        );
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"), None);
        assert_eq!(parse_http_date("Sun, 32 Nov 1994 08:49:37 GMT"), None);
        assert_eq!(parse_http_date("Sun, 06 Nov 1969 08:49:37 GMT"), None);
    }

    #[test]
    fn far_future_dates_clamp_to_the_cap_without_overflow() {
        let now = SystemTime::now();
        for year in [
            "9999",
            "400000000000",
            "18446744073709551615",
            "99999999999999999",
        ] {
            let value = format!("Sun, 06 Nov {year} 08:49:37 GMT");
            assert_eq!(
                parse_retry_after(&value, now),
                Some(MAX_SERVER_DELAY),
                "{value}"
            );
        }
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 184467440737095516150 08:49:37 GMT", now),
            None,
            "a year that is not a number"
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 2000 99:00:00 GMT", now),
            None
        );
    }
}
