//! Which origins the adapter trusts, decided in one place:
//! - the page that frames it must be a Zendesk agent workspace (`https://<subdomain>.zendesk.com`),
//!   or a loopback origin (the sandbox, `zcli apps:server`): any other page could otherwise
//!   collect the agent's password through the sign-in form;
//! - the platform it sends credentials to (`platform_url`) must be `https:`, or `http:` on a
//!   loopback host (the sandbox).
//!
//! Pure functions over strings, tested natively; the browser side reads the page's URL and its
//! ancestors (`location.ancestorOrigins`, else `document.referrer`), takes the origin the ZAF
//! SDK will talk to from the URL as the SDK does ([`sdk_origin`]), and calls [`framing_host`].

/// Why an origin is not trusted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The framing page is not Zendesk (or says it is and is not).
    #[error("the adapter is framed by {0}, which is not Zendesk")]
    ForeignHost(String),
    /// The platform address is not `https:` (or is not a URL).
    #[error("the contact-centre address {0} is not https")]
    InsecurePlatform(String),
}

/// An origin taken apart: scheme, host (lower case, brackets kept for IPv6), port if given.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    /// `https`, `http`, `wss`, `ws`.
    pub scheme: String,
    /// The host name or address.
    pub host: String,
    /// The port, when the URL names one.
    pub port: Option<u16>,
}

impl Origin {
    /// The origin of an absolute URL (`scheme://host[:port]…`); None for anything else,
    /// including URLs with user info (`https://zendesk.com@evil.example`).
    pub fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.trim().split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme.is_empty()
            || !scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '+')
        {
            return None;
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.is_empty() || authority.contains('@') || authority.contains('\\') {
            return None;
        }
        let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
            let (addr, after) = v6.split_once(']')?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':')?.parse().ok()?),
            };
            (format!("[{addr}]"), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_owned(), Some(p.parse().ok()?)),
                None => (authority.to_owned(), None),
            }
        };
        let host = host.to_ascii_lowercase();
        let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '[' | ']' | ':');
        if host.is_empty() || !host.chars().all(valid) {
            return None;
        }
        Some(Origin { scheme, host, port })
    }

    /// `scheme://host[:port]`, as browsers print an origin.
    pub fn serialized(&self) -> String {
        match self.port {
            Some(p) => format!("{}://{}:{p}", self.scheme, self.host),
            None => format!("{}://{}", self.scheme, self.host),
        }
    }

    /// True for `localhost`, `127.x.x.x` and `[::1]`: only this machine can serve them.
    pub fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self.host == "[::1]"
            || self
                .host
                .strip_prefix("127.")
                .is_some_and(|r| r.split('.').count() == 3 && r.split('.').all(is_octet))
    }

    /// True for `https://<subdomain>.zendesk.com` (default port): an agent workspace.
    /// UNCONFIRMED: host-mapped accounts still serve the agent workspace, and so frame apps,
    /// from their `zendesk.com` subdomain (reference/zendesk.md §2).
    pub fn is_zendesk(&self) -> bool {
        self.scheme == "https"
            && self.port.is_none_or(|p| p == 443)
            && self.host.strip_suffix(".zendesk.com").is_some_and(|sub| {
                !sub.is_empty()
                    && !sub.contains('.')
                    && sub.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    }
}

fn is_octet(s: &str) -> bool {
    !s.is_empty() && s.len() <= 3 && s.parse::<u8>().is_ok()
}

/// The host that frames the adapter, checked: the `origin` the URL names must be a Zendesk
/// workspace or loopback, and, when the browser says who the parent really is (`ancestor`),
/// the same origin. Returns the origin to talk to.
pub fn framing_host(named: Option<&str>, ancestor: Option<&str>) -> Result<String, OriginError> {
    let refuse = |what: &str| OriginError::ForeignHost(what.to_owned());
    let named = named.ok_or_else(|| refuse("a page that names no origin"))?;
    let origin = Origin::parse(named).ok_or_else(|| refuse(named))?;
    if !(origin.is_zendesk() || origin.is_loopback() && matches!(&*origin.scheme, "http" | "https"))
    {
        return Err(refuse(named));
    }
    if let Some(ancestor) = ancestor.filter(|a| !a.is_empty()) {
        let real = Origin::parse(ancestor).ok_or_else(|| refuse(ancestor))?;
        if real.serialized() != origin.serialized() {
            return Err(refuse(ancestor));
        }
    }
    Ok(origin.serialized())
}

/// The origin the ZAF SDK takes from the page's URL, and so the only one it will talk to and
/// hear from: read as `ZAFClient.init` reads it (UNCONFIRMED beyond the SDK 2.0 sources): the
/// query's `origin`, else the fragment's when the query's is missing or empty; each `key=value`
/// pair split at `&` and `=`, key and value percent-decoded with `+` as a space, the last of a
/// key given twice winning. `search` and `hash` are `location.search` and `location.hash`.
///
/// None when no origin is named, or when the SDK would fail to read the URL (a malformed
/// escape): the SDK then starts no client. Checking any other reading of the URL (the first
/// `origin` only, the query only, undecoded keys) would let a page name a Zendesk workspace for
/// the check and itself for the SDK.
pub fn sdk_origin(search: &str, hash: &str) -> Option<String> {
    let read = |text: &str| -> Result<Option<String>, ()> {
        let mut found = None;
        if text.is_empty() {
            return Ok(None);
        }
        for pair in text.split('&') {
            let mut parts = pair.split('=');
            let key = percent_decode(parts.next().unwrap_or_default())?;
            let value = percent_decode(parts.next().unwrap_or_default())?;
            if key == "origin" {
                found = Some(value);
            }
        }
        Ok(found)
    };
    let query = read(search.strip_prefix('?').unwrap_or(search)).ok()?;
    let fragment = read(hash.strip_prefix('#').unwrap_or(hash));
    match query.filter(|o| !o.is_empty()) {
        // The SDK reads both before it chooses: a fragment it cannot read stops it too.
        Some(origin) => fragment.ok().map(|_| origin),
        None => fragment.ok().flatten().filter(|o| !o.is_empty()),
    }
}

/// `decodeURIComponent(text.replace(/\+/g, " "))`; Err where it throws (a `%` not followed by
/// two hex digits, or escapes that are not UTF-8).
fn percent_decode(text: &str) -> Result<String, ()> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let digit = |at: usize| {
                    bytes
                        .get(at)
                        .and_then(|b| char::from(*b).to_digit(16))
                        .ok_or(())
                };
                // Two hex digits (not a sign, which `from_str_radix` would take).
                out.push((digit(i + 1)? * 16 + digit(i + 2)?) as u8);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| ())
}

/// The platform's base URL, checked: `https:`, or `http:` on a loopback host. Returns it
/// without a trailing slash.
pub fn platform_base(url: &str) -> Result<String, OriginError> {
    let refuse = || OriginError::InsecurePlatform(url.to_owned());
    let origin = Origin::parse(url).ok_or_else(refuse)?;
    match &*origin.scheme {
        "https" => {}
        "http" if origin.is_loopback() => {}
        _ => return Err(refuse()),
    }
    // Rebuilt from its parts: the scheme and host as a browser prints them, then the path.
    let after_scheme = url.trim().split_once("://").map_or("", |(_, rest)| rest);
    let path = after_scheme
        .find(['/', '?', '#'])
        .map_or("", |i| &after_scheme[i..]);
    Ok(format!(
        "{}{}",
        origin.serialized(),
        path.trim_end_matches('/')
    ))
}

/// The host to show the agent on the sign-in form (`platform.example.com`, with its port if any).
pub fn display_host(url: &str) -> Option<String> {
    let o = Origin::parse(url)?;
    Some(match o.port {
        Some(p) => format!("{}:{p}", o.host),
        None => o.host,
    })
}

/// The narrower connect policy the page adds once it knows the platform (scripts/csp.mjs gives
/// the wide one): the app's own files, the platform's https and wss origin, nothing else (Zendesk
/// is reached through the ZAF host, not by the page).
pub fn connect_policy(platform_url: &str) -> Option<String> {
    let o = Origin::parse(platform_url)?;
    let socket = Origin {
        scheme: if o.scheme == "https" { "wss" } else { "ws" }.into(),
        ..o.clone()
    };
    Some(format!(
        "connect-src 'self' {} {}",
        o.serialized(),
        socket.serialized()
    ))
}

/// Adds [`connect_policy`] to the page as a second Content-Security-Policy: from then on the page
/// can reach the platform and its own files only, whatever the first policy allows.
#[cfg(target_arch = "wasm32")]
pub fn narrow_connect_policy(platform_url: &str) {
    let Some(policy) = connect_policy(platform_url) else {
        return;
    };
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let (Some(head), Ok(meta)) = (document.head(), document.create_element("meta")) else {
        return;
    };
    let _ = meta.set_attribute("http-equiv", "Content-Security-Policy");
    let _ = meta.set_attribute("content", &policy);
    let _ = head.append_child(&meta);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zendesk_workspaces_and_loopback_may_frame_the_adapter() {
        for ok in [
            "https://acme.zendesk.com",
            "https://ACME-support.zendesk.com",
            "https://acme.zendesk.com:443",
            "http://127.0.0.1:8080",
            "http://localhost:4567",
            "http://[::1]:3000",
        ] {
            assert!(framing_host(Some(ok), None).is_ok(), "{ok}");
        }
    }

    #[test]
    fn any_other_page_is_refused() {
        for bad in [
            "https://evil.example",
            "http://acme.zendesk.com",
            "https://zendesk.com",
            "https://acme.zendesk.com.evil.example",
            "https://evil.example/acme.zendesk.com",
            "https://a.b.zendesk.com",
            "https://acme.zendesk.com:8443",
            "https://acme.zendesk.com@evil.example",
            "https://evilzendesk.com",
            "http://127.0.0.1.evil.example",
            "http://127.0.0.256:80",
            "ws://127.0.0.1:80",
            "javascript:alert(1)",
            "null",
            "",
        ] {
            assert!(framing_host(Some(bad), None).is_err(), "{bad}");
        }
        assert!(framing_host(None, None).is_err(), "no origin named");
    }

    #[test]
    fn the_parent_must_be_the_origin_the_url_names() {
        let named = Some("https://acme.zendesk.com");
        assert_eq!(
            framing_host(named, Some("https://acme.zendesk.com")).as_deref(),
            Ok("https://acme.zendesk.com")
        );
        assert!(framing_host(named, Some("https://evil.example")).is_err());
        assert!(framing_host(named, Some("http://127.0.0.1:8080")).is_err());
        assert!(
            framing_host(named, Some("")).is_ok(),
            "unknown parent: the name decides"
        );
    }

    // The origin checked is the one the SDK will use, however the URL names it: a page that
    // names a Zendesk workspace for one reading and itself for the SDK's is checked as itself.
    #[test]
    fn the_origin_checked_is_the_one_the_sdk_reads() {
        let acme = Some("https://acme.zendesk.com".to_owned());
        let evil = Some("https://evil.example".to_owned());
        let q = "?origin=https%3A%2F%2Facme.zendesk.com&app_guid=g";
        assert_eq!(sdk_origin(q, ""), acme);
        // In the fragment only (the query has none, or an empty one).
        assert_eq!(
            sdk_origin("?app_guid=g", "#origin=https://evil.example&app_guid=g"),
            evil
        );
        assert_eq!(
            sdk_origin("?origin=&app_guid=g", "#origin=https://evil.example"),
            evil
        );
        // The query's wins over the fragment's.
        assert_eq!(sdk_origin(q, "#origin=https://evil.example"), acme);
        // An encoded key is the same key.
        assert_eq!(
            sdk_origin("?%6Frigin=https://evil.example&app_guid=g", ""),
            evil
        );
        // Of a key given twice, the last.
        assert_eq!(
            sdk_origin(
                "?origin=https://acme.zendesk.com&origin=https://evil.example",
                ""
            ),
            evil
        );
        // `+` is a space, and a value stops at its second `=`.
        assert_eq!(sdk_origin("?origin=a+b%20c", ""), Some("a b c".to_owned()));
        assert_eq!(sdk_origin("?origin=https://evil.example=x", ""), evil);
        // None named, or a URL the SDK could not read (it throws, so it starts no client).
        assert_eq!(sdk_origin("", ""), None);
        assert_eq!(sdk_origin("?app_guid=g", "#x=1"), None);
        assert_eq!(sdk_origin("?origin=", ""), None);
        assert_eq!(
            sdk_origin("?origin=https://acme.zendesk.com", "#a=%zz"),
            None
        );
        assert_eq!(sdk_origin("?origin=%E0%A4", ""), None);
        assert_eq!(sdk_origin("?x=%", "#origin=https://evil.example"), None);
        assert_eq!(
            sdk_origin("?x=%+1&origin=https://acme.zendesk.com", ""),
            None
        );
        // What the check then decides: each of these names the foreign page to the SDK.
        for (search, hash) in [
            ("?app_guid=g", "#origin=https://evil.example&app_guid=g"),
            ("?%6Frigin=https://evil.example&app_guid=g", ""),
            (
                "?origin=https://acme.zendesk.com&origin=https://evil.example",
                "",
            ),
        ] {
            let named = sdk_origin(search, hash);
            assert!(
                framing_host(named.as_deref(), None).is_err(),
                "{search}{hash}"
            );
        }
    }

    #[test]
    fn credentials_go_over_https_or_to_this_machine_only() {
        assert_eq!(
            platform_base("https://cc.example.com/api/"),
            Ok("https://cc.example.com/api".to_owned())
        );
        assert_eq!(
            platform_base("HTTP://LocalHost:8080/platform").as_deref(),
            Ok("http://localhost:8080/platform"),
            "scheme and host as browsers print them (found by fuzzing)"
        );
        assert!(platform_base("http://127.0.0.1:8080/platform").is_ok());
        assert!(platform_base("http://localhost:9/p").is_ok());
        for bad in [
            "http://cc.example.com",
            "ftp://cc.example.com",
            "//cc.example.com",
            "cc.example.com",
            "https://user:pw@cc.example.com",
            "http://127.0.0.1.nip.io",
            "",
        ] {
            assert!(platform_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn once_the_platform_is_known_the_page_connects_to_it_only() {
        assert_eq!(
            connect_policy("https://cc.example.com/api").as_deref(),
            Some("connect-src 'self' https://cc.example.com wss://cc.example.com")
        );
        assert_eq!(
            connect_policy("http://127.0.0.1:8080/platform").as_deref(),
            Some("connect-src 'self' http://127.0.0.1:8080 ws://127.0.0.1:8080")
        );
    }

    #[test]
    fn the_sign_in_form_names_the_platform_host() {
        assert_eq!(
            display_host("https://cc.example.com/api").as_deref(),
            Some("cc.example.com")
        );
        assert_eq!(
            display_host("http://127.0.0.1:8080/platform").as_deref(),
            Some("127.0.0.1:8080")
        );
    }
}
