//! `--zcli URL`: the workspace frames the app that Zendesk's `zcli apps:server` serves (from its
//! `/app.json`, reference/zendesk.md §3.3) instead of the built files under `/app/`.
//!
//! The description is read once, at start, with a plain HTTP/1.1 GET (zcli serves plain HTTP on
//! the local machine). The workspace page reads it from `/_sandbox/zcli`.

use std::time::Duration;

use serde_json::{json, Map, Value};
use tokio::net::TcpStream;

/// The app zcli serves: where its locations are and the installation's settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ZcliApp {
    /// zcli's base URL, as given (`http://localhost:4567`).
    pub base: String,
    /// The origin the app's pages run on (scheme, host and port of `asset_url_prefix`).
    pub origin: String,
    /// `asset_url_prefix` of the first app (`http://localhost:4567/1/assets/`).
    pub asset_url_prefix: String,
    pub name: String,
    pub version: String,
    /// Absolute URL of the `top_bar` location's page.
    pub top_bar: String,
    /// Absolute URL of the `background` location's page, if the app has one.
    pub background: Option<String>,
    /// The first installation's settings, as one object (zcli sends single-key objects).
    pub settings: Map<String, Value>,
}

impl ZcliApp {
    /// What `/_sandbox/zcli` answers.
    pub fn to_json(&self) -> Value {
        json!({
            "base": self.base,
            "origin": self.origin,
            "asset_url_prefix": self.asset_url_prefix,
            "name": self.name,
            "version": self.version,
            "locations": {"top_bar": self.top_bar, "background": self.background},
            "settings": self.settings,
        })
    }
}

/// Reads `base/app.json`, retrying for `wait` while zcli is not answering yet.
pub async fn fetch(base: &str, wait: Duration) -> Result<ZcliApp, String> {
    let base = base.trim_end_matches('/').to_string();
    let url = format!("{base}/app.json");
    let deadline = tokio::time::Instant::now() + wait;
    let body = loop {
        match get(&url).await {
            Ok((200, body)) => break body,
            Ok((status, _)) => return Err(format!("{url}: HTTP {status}")),
            Err(e) if tokio::time::Instant::now() >= deadline => {
                return Err(format!("{url}: {e} (is `zcli apps:server` running?)"))
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    };
    let doc: Value = serde_json::from_slice(&body).map_err(|e| format!("{url}: not JSON ({e})"))?;
    parse(&base, &doc).map_err(|e| format!("{url}: {e}"))
}

/// Reads zcli's `/app.json` document: the first app and the first installation.
pub fn parse(base: &str, doc: &Value) -> Result<ZcliApp, String> {
    let app = doc.pointer("/apps/0").ok_or("no app in \"apps\"")?;
    let prefix = app
        .get("asset_url_prefix")
        .and_then(Value::as_str)
        .ok_or("the app has no asset_url_prefix")?
        .to_string();
    let origin = origin_of(&prefix).ok_or_else(|| format!("asset_url_prefix {prefix:?}"))?;
    let location = |name: &str| -> Option<String> {
        let loc = app.pointer(&format!("/locations/support/{name}"))?;
        let url = loc.as_str().or_else(|| loc.get("url")?.as_str())?;
        Some(resolve(&prefix, url))
    };
    let top_bar = location("top_bar").ok_or("the app has no support top_bar location")?;
    let mut settings = Map::new();
    if let Some(list) = doc
        .pointer("/installations/0/settings")
        .and_then(Value::as_array)
    {
        for one in list {
            if let Some(obj) = one.as_object() {
                settings.extend(obj.clone());
            }
        }
    }
    let text = |key: &str| {
        app.get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    Ok(ZcliApp {
        base: base.trim_end_matches('/').to_string(),
        origin,
        name: text("name"),
        version: text("version"),
        top_bar,
        background: location("background"),
        asset_url_prefix: prefix,
        settings,
    })
}

/// A location URL as Zendesk resolves it: absolute URLs as they are, `assets/x.html` against the
/// app's asset prefix (which already ends in `assets/`).
fn resolve(prefix: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        return url.to_string();
    }
    let path = url.trim_start_matches("./");
    let path = path.strip_prefix("assets/").unwrap_or(path);
    format!("{}/{path}", prefix.trim_end_matches('/'))
}

/// `http://host:port` of a URL.
fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split('/').next()?;
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}"))
}

/// A minimal HTTP/1.1 GET of an `http://` URL: status and body.
pub async fn get(url: &str) -> Result<(u16, Vec<u8>), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or("only http:// URLs are supported")?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !p.contains(']') => (h, p.parse().map_err(|_| "bad port")?),
        _ => (authority, 80u16),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let io = async {
        let stream = TcpStream::connect((host, port))
            .await
            .map_err(|e| e.to_string())?;
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {authority}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        );
        write_all(&stream, request.as_bytes()).await?;
        read_to_end(&stream).await
    };
    let raw = tokio::time::timeout(Duration::from_secs(5), io)
        .await
        .map_err(|_| "timed out".to_string())??;
    parse_response(&raw)
}

// With tokio's `net` feature only (no `io-util`): readiness plus non-blocking reads and writes.
async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> Result<(), String> {
    while !bytes.is_empty() {
        stream.writable().await.map_err(|e| e.to_string())?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    Ok(())
}

async fn read_to_end(stream: &TcpStream) -> Result<Vec<u8>, String> {
    let mut raw = Vec::new();
    let mut buf = [0u8; 16 * 1024];
    loop {
        stream.readable().await.map_err(|e| e.to_string())?;
        match stream.try_read(&mut buf) {
            Ok(0) => return Ok(raw),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e.to_string()),
        }
    }
}

fn parse_response(raw: &[u8]) -> Result<(u16, Vec<u8>), String> {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("incomplete HTTP response")?;
    let head = String::from_utf8_lossy(&raw[..end]);
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or("bad HTTP status line")?;
    let chunked = lines.any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    let body = &raw[end + 4..];
    Ok((
        status,
        if chunked {
            dechunk(body)?
        } else {
            body.to_vec()
        },
    ))
}

fn dechunk(mut body: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let line_end = body
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("bad chunked body")?;
        let size_text = String::from_utf8_lossy(&body[..line_end]);
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| "bad chunk size")?;
        body = &body[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if body.len() < size {
            return Err("truncated chunk".into());
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or_default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_zcli_app_json() {
        let doc = json!({
            "apps": [{"name": "Agent adapter", "id": "1", "version": "1.4.0",
                "asset_url_prefix": "http://localhost:4567/1/assets/",
                "locations": {"support": {
                    "top_bar": {"url": "assets/index.html", "size": {"width": "360px", "height": "510px"}},
                    "background": {"url": "assets/background.html"}}}}],
            "installations": [{"app_id": "1", "settings": [
                {"title": "Agent adapter"}, {"platform_url": "http://127.0.0.1:8080/platform"}]}]
        });
        let app = parse("http://localhost:4567/", &doc).unwrap();
        assert_eq!(app.base, "http://localhost:4567");
        assert_eq!(app.origin, "http://localhost:4567");
        assert_eq!(app.top_bar, "http://localhost:4567/1/assets/index.html");
        assert_eq!(
            app.background.as_deref(),
            Some("http://localhost:4567/1/assets/background.html")
        );
        assert_eq!(
            app.settings["platform_url"],
            "http://127.0.0.1:8080/platform"
        );
        assert_eq!(app.settings["title"], "Agent adapter");
        assert_eq!(app.version, "1.4.0");
    }

    #[test]
    fn an_app_without_a_top_bar_is_refused() {
        let doc = json!({"apps": [{"asset_url_prefix": "http://localhost:1/1/assets/",
            "locations": {"support": {"background": "assets/b.html"}}}]});
        assert!(parse("http://localhost:1", &doc).is_err());
        assert!(parse("http://localhost:1", &json!({"apps": []})).is_err());
    }

    #[test]
    fn absolute_location_urls_stay() {
        assert_eq!(
            resolve("http://a:1/1/assets/", "https://b.example/x.html"),
            "https://b.example/x.html"
        );
        assert_eq!(
            resolve("http://a:1/1/assets/", "x.html"),
            "http://a:1/1/assets/x.html"
        );
    }

    #[test]
    fn reads_plain_and_chunked_responses() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
        assert_eq!(parse_response(plain).unwrap(), (200, b"{}".to_vec()));
        let chunked =
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\n";
        assert_eq!(
            parse_response(chunked).unwrap(),
            (200, b"{\"a\":1}".to_vec())
        );
    }

    #[tokio::test]
    async fn fetches_app_json_over_http() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            let (s, _) = listener.accept().await.unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.ends_with(b"\r\n\r\n") {
                s.readable().await.unwrap();
                match s.try_read(&mut buf) {
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => panic!("{e}"),
                }
            }
            assert!(String::from_utf8_lossy(&request).starts_with("GET /app.json HTTP/1.1\r\n"));
            let body =
                json!({"apps": [{"asset_url_prefix": format!("http://localhost:{port}/0/assets/"),
                "locations": {"support": {"top_bar": {"url": "assets/index.html"}}}}],
                "installations": [{"settings": [{"platform_url": "https://x.example"}]}]})
                .to_string();
            let r = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            write_all(&s, r.as_bytes()).await.unwrap();
        });
        let app = fetch(&format!("http://127.0.0.1:{port}"), Duration::from_secs(2))
            .await
            .unwrap();
        assert_eq!(
            app.top_bar,
            format!("http://localhost:{port}/0/assets/index.html")
        );
        assert_eq!(app.background, None);
        assert_eq!(app.settings["platform_url"], "https://x.example");
    }
}
