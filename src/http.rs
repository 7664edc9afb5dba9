//! HTTP requests and responses as plain data, shared by the ZAF proxy, the Zendesk client and
//! its fakes. No I/O here: a `Transport` (see `zendesk`) carries them.

use serde::{Deserialize, Serialize};

/// An HTTP method.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// PATCH
    Patch,
    /// DELETE
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Patch => "PATCH",
            Method::Delete => "DELETE",
        }
    }

    /// True for methods that change something (what the request counters call writes).
    pub fn is_write(self) -> bool {
        !matches!(self, Method::Get)
    }
}

/// The most body bytes requests that outlive the page may carry together: browsers refuse
/// `keepalive` requests beyond 64 KiB in flight for a page.
pub const OUTLIVING_BODY_MAX: usize = 60 * 1024;

/// A request: method, path (relative to the Zendesk account, e.g. `/api/v2/users.json`), an
/// optional JSON body and extra headers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// The method.
    pub method: Method,
    /// The path and query string.
    pub url: String,
    /// The JSON body, if any.
    pub body: Option<serde_json::Value>,
    /// Extra headers (name, value).
    #[serde(default)]
    pub headers: Vec<(String, String)>,
    /// True for a request that must outlive the page (sent as the page goes away: the
    /// browser's `keepalive`); its answer may never be read.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outlives_page: bool,
}

impl HttpRequest {
    /// A request without body.
    pub fn new(method: Method, url: impl Into<String>) -> Self {
        Self {
            method,
            url: url.into(),
            body: None,
            headers: Vec::new(),
            outlives_page: false,
        }
    }

    /// The same request, sent so that it outlives the page (see `outlives_page`).
    pub fn outliving_the_page(mut self) -> Self {
        self.outlives_page = true;
        self
    }

    /// The same request with a JSON body.
    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The same request with one more header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// A response: status, headers (names lower-cased) and the body text.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The HTTP status.
    pub status: u16,
    /// The headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body as text (JSON for the Zendesk API).
    pub body: String,
}

impl HttpResponse {
    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The `Retry-After` header in whole seconds (rounded up) and clamped to
    /// [`RETRY_AFTER_MIN_S`] … [`RETRY_AFTER_MAX_S`] (a 0 would retry at once, a huge value
    /// would stop the adapter for days), when it holds a number of seconds that is not
    /// negative; `None` when absent or unreadable (an HTTP date included: the APIs the adapter
    /// talks to send seconds).
    pub fn retry_after_s(&self) -> Option<u64> {
        self.header("retry-after")
            .and_then(|v| seconds_rounded_up(v.trim()))
            .map(|s| s.clamp(RETRY_AFTER_MIN_S, RETRY_AFTER_MAX_S))
    }
}

/// A number of seconds written as a decimal (`7`, `1.2`, `.5`, `1e3`, `+2`), rounded up and
/// saturating; `None` for anything else (a sign `-`, `NaN`, `inf`, a date). Read by hand rather
/// than as a float: the float parser would add about 6 KB to the session's wasm for this alone.
fn seconds_rounded_up(text: &str) -> Option<u64> {
    let (mantissa, exponent) = match text.find(['e', 'E']) {
        Some(at) => (&text[..at], text[at + 1..].parse::<i32>().ok()?),
        None => (text, 0),
    };
    let mantissa = mantissa.strip_prefix('+').unwrap_or(mantissa);
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || whole.bytes().chain(fraction.bytes());
    if whole.len() + fraction.len() == 0 || !digits().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // The digits before the point once the exponent has moved it.
    let point = i64::try_from(whole.len()).ok()? + i64::from(exponent);
    let mut seconds: u64 = 0;
    let mut rest = false;
    for (i, d) in (0_i64..).zip(digits()) {
        if i < point {
            seconds = seconds
                .saturating_mul(10)
                .saturating_add(u64::from(d - b'0'));
        } else {
            rest |= d != b'0';
        }
    }
    let len = i64::try_from(whole.len() + fraction.len()).ok()?;
    for _ in len..point.min(len + 20) {
        seconds = seconds.saturating_mul(10);
    }
    Some(seconds.saturating_add(u64::from(rest)))
}

/// The shortest wait a `Retry-After` can ask for, in seconds.
pub const RETRY_AFTER_MIN_S: u64 = 1;
/// The longest wait a `Retry-After` can ask for, in seconds (one hour).
pub const RETRY_AFTER_MAX_S: u64 = 3_600;

/// Percent-encodes a path segment or a query-string value: everything but the unreserved
/// characters of RFC 3986 (letters, digits, `-`, `_`, `.`, `~`) is escaped.
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Carries requests and brings back any HTTP answer; only a failure to get an answer at all
/// (network down, host gone) is an `Err`.
#[allow(async_fn_in_trait)]
pub trait Transport {
    /// Sends one request.
    async fn send(&self, request: HttpRequest) -> Result<HttpResponse, String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_retry_after(value: &str) -> HttpResponse {
        HttpResponse {
            status: 429,
            headers: vec![("Retry-After".into(), value.into())],
            body: String::new(),
        }
    }

    #[test]
    fn retry_after_is_read_once_for_the_crate() {
        let table = [
            ("7", Some(7)),
            (" 1.2 ", Some(2)),
            ("0", Some(1)),
            ("86400", Some(3_600)),
            ("1e30", Some(3_600)),
            ("1e99999", Some(3_600)),
            ("1.5e1", Some(15)),
            ("25E-1", Some(3)),
            ("3e-99999", Some(1)),
            (".5", Some(1)),
            ("5.", Some(5)),
            ("+2", Some(2)),
            ("120.000", Some(120)),
            ("-3", None),
            ("-0", None),
            (".", None),
            ("1e", None),
            ("1.2.3", None),
            ("", None),
            ("NaN", None),
            ("inf", None),
            ("Wed, 21 Oct 2015 07:28:00 GMT", None),
        ];
        for (value, seconds) in table {
            assert_eq!(with_retry_after(value).retry_after_s(), seconds, "{value}");
        }
        assert_eq!(HttpResponse::default().retry_after_s(), None);
    }

    #[test]
    fn percent_encoding_keeps_only_unreserved_characters() {
        assert_eq!(percent_encode("job-1_a.b~c"), "job-1_a.b~c");
        assert_eq!(percent_encode("phone:+1 415/x"), "phone%3A%2B1%20415%2Fx");
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
