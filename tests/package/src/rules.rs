//! The package rules: each [`Rule`] is one group of checks, [`check`] runs them all.
//!
//! Zendesk's rules come from `zendesk_apps_support` (manifest, locations, parameters,
//! translations, forbidden files) and Zendesk's docs (logo sizes), as summarised in
//! `reference/zendesk.md` §3. Where Zendesk only warns (a secret-looking parameter that is not
//! secure, a default on a secure parameter) this check fails: the project ships no such thing.
//! Project rules are marked as such in [`Rule::describe`].

use std::collections::BTreeSet;
use std::fmt;

use serde_json::{Map, Value};

use crate::archive::{EntryKind, Package};
use crate::json::parse_strict;

/// A group of checks; every [`Problem`] names the rule it breaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    /// The files Zendesk requires are present.
    RequiredFiles,
    /// `manifest.json` is a JSON object with the required fields of the right types.
    Manifest,
    /// `version` is x.y.z, at least 1.4.0, and equals the app crate's version.
    Version,
    /// Locations are known, well formed and point at files in the package.
    Locations,
    /// Parameters follow Zendesk's rules and include the one the adapter needs.
    Parameters,
    /// Translation files are named by locale, parse, and hold every required text.
    Translations,
    /// No file is of a type Zendesk rejects, and nothing that must stay local is packaged.
    FileTypes,
    /// No symbolic links.
    Symlinks,
    /// The logos are PNGs of the documented sizes; the top-bar icon is an SVG.
    Logos,
    /// HTML pages reference only files in the package, by relative URL, and load the wasm by bytes.
    Assets,
}

impl Rule {
    /// Every rule, in the order [`check`] runs them.
    pub const ALL: [Rule; 10] = [
        Rule::RequiredFiles,
        Rule::Manifest,
        Rule::Version,
        Rule::Locations,
        Rule::Parameters,
        Rule::Translations,
        Rule::FileTypes,
        Rule::Symlinks,
        Rule::Logos,
        Rule::Assets,
    ];

    /// The rule's short name, as printed in front of each problem.
    pub fn name(self) -> &'static str {
        match self {
            Rule::RequiredFiles => "required-files",
            Rule::Manifest => "manifest",
            Rule::Version => "version",
            Rule::Locations => "locations",
            Rule::Parameters => "parameters",
            Rule::Translations => "translations",
            Rule::FileTypes => "file-types",
            Rule::Symlinks => "symlinks",
            Rule::Logos => "logos",
            Rule::Assets => "assets",
        }
    }

    /// One line on what the rule checks.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::RequiredFiles => "manifest.json, assets/logo.png, assets/logo-small.png, translations/en.json, translations/<defaultLocale>.json, and (project) assets/icon_top_bar.svg",
            Rule::Manifest => "valid JSON without duplicate keys; author{name,email,url http(s)}, defaultLocale, location, frameworkVersion \"2.0\"; boolean and string field types; (project) private true",
            Rule::Version => "version is x.y.z, >= 1.4.0 (PRE-2), and equals the app crate's Cargo.toml version",
            Rule::Locations => "known hosts and locations, known location keys and types, https or relative assets/ URLs that exist in the package; (project) support top_bar and background",
            Rule::Parameters => "array of objects, unique names, name \"name\" forbidden, known types, boolean required/secure, hidden not required, one oauth at most and not secure, scopes only on secure and from the allowed list, secret-looking names secure, no default on secure/hidden; (project) platform_url of type url, required",
            Rule::Translations => "translations/<locale>.json names, JSON objects, app.name and the descriptions in en.json, a label for every parameter; (project) every locale has en.json's keys",
            Rule::FileTypes => "no zip/rar/gzip/bzip2/7z/pdf/Office/OpenDocument/jar/avi/mpeg/mp3/executable/shell file, by magic bytes and by extension; nothing under tmp/; (project) no zcli.apps.config.json",
            Rule::Symlinks => "no symbolic links",
            Rule::Logos => "assets/logo.png 320x320 and assets/logo-small.png 128x128 PNG (IHDR), assets/banner.png 830x200 or 1660x400 if present, assets/icon_top_bar.svg an SVG",
            Rule::Assets => "(project) HTML src/href and module URLs are relative and exist in the package, no http:// URL, the wasm is fetched as bytes (works without application/wasm)",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One broken rule, with a message that names the file and field at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The rule broken.
    pub rule: Rule,
    /// What is wrong, and where.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "[{}] {}", self.rule, self.message)
    }
}

/// What the package must match beyond Zendesk's rules.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    /// The app crate's version; the manifest `version` must equal it when given.
    pub version: Option<String>,
}

/// The lowest manifest version that ships flexible outbound calling (PRE-2).
pub const MIN_VERSION: (u64, u64, u64) = (1, 4, 0);

const SUPPORT_LOCATIONS: [&str; 11] = [
    "top_bar",
    "nav_bar",
    "ticket_sidebar",
    "new_ticket_sidebar",
    "user_sidebar",
    "organization_sidebar",
    "background",
    "modal",
    "ticket_editor",
    "system_top_bar",
    "custom_object_record_sidebar",
];
const HOSTS: [&str; 4] = ["support", "zendesk", "chat", "sell"];
const LOCATION_KEYS: [&str; 8] = [
    "url",
    "size",
    "autoLoad",
    "autoHide",
    "flexible",
    "signed",
    "legacy",
    "objectTypes",
];
const PARAMETER_TYPES: [&str; 7] = [
    "text",
    "checkbox",
    "url",
    "number",
    "multiline",
    "hidden",
    "oauth",
];
const SCOPES: [&str; 7] = [
    "header",
    "body",
    "url",
    "jwt_secret_key",
    "jwt_claim",
    "basic_auth_username",
    "basic_auth_password",
];
const SECRET_WORDS: [&str; 6] = ["token", "key", "pwd", "password", "secret", "pass"];
const BOOLEAN_FIELDS: [&str; 5] = [
    "private",
    "requirementsOnly",
    "marketingOnly",
    "singleInstall",
    "signedUrls",
];
const STRING_FIELDS: [&str; 6] = [
    "defaultLocale",
    "version",
    "frameworkVersion",
    "remoteInstallationURL",
    "termsConditionsURL",
    "gaID",
];
const DESCRIPTION_KEYS: [&str; 3] = [
    "short_description",
    "long_description",
    "installation_instructions",
];

/// Runs every rule; an empty list means the package passes.
pub fn check(package: &Package, expect: &Expectations) -> Vec<Problem> {
    let mut out = Problems::default();
    let manifest = manifest(package, &mut out);
    required_files(package, manifest.as_ref(), &mut out);
    if let Some(manifest) = &manifest {
        manifest_fields(manifest, &mut out);
        version(manifest, expect, &mut out);
        locations(package, manifest, &mut out);
        parameters(manifest, &mut out);
    }
    translations(package, manifest.as_ref(), &mut out);
    file_types(package, &mut out);
    symlinks(package, &mut out);
    logos(package, &mut out);
    assets(package, &mut out);
    out.0.sort_by_key(|p| p.rule);
    out.0
}

#[derive(Default)]
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, rule: Rule, message: impl Into<String>) {
        self.0.push(Problem {
            rule,
            message: message.into(),
        });
    }
}

fn manifest(package: &Package, out: &mut Problems) -> Option<Map<String, Value>> {
    let bytes = package.file("manifest.json")?;
    match parse_strict(bytes) {
        Ok(Value::Object(map)) => Some(map),
        Ok(other) => {
            out.add(
                Rule::Manifest,
                format!(
                    "manifest.json must be a JSON object, found {}",
                    kind_of(&other)
                ),
            );
            None
        }
        Err(e) => {
            out.add(
                Rule::Manifest,
                format!("manifest.json is not valid JSON: {e}"),
            );
            None
        }
    }
}

fn required_files(package: &Package, manifest: Option<&Map<String, Value>>, out: &mut Problems) {
    let mut required = vec![
        "manifest.json".to_owned(),
        "assets/logo.png".to_owned(),
        "assets/logo-small.png".to_owned(),
        "assets/icon_top_bar.svg".to_owned(),
        "translations/en.json".to_owned(),
    ];
    if let Some(locale) = manifest
        .and_then(|m| m.get("defaultLocale"))
        .and_then(Value::as_str)
    {
        let path = format!("translations/{locale}.json");
        if !required.contains(&path) {
            required.push(path);
        }
    }
    for path in required {
        if package.file(&path).is_none() {
            out.add(
                Rule::RequiredFiles,
                format!("{path} is missing from the package"),
            );
        }
    }
}

fn manifest_fields(m: &Map<String, Value>, out: &mut Problems) {
    let rule = Rule::Manifest;
    for field in ["author", "defaultLocale", "location", "frameworkVersion"] {
        if !m.contains_key(field) {
            out.add(rule, format!("manifest.json has no \"{field}\""));
        }
    }
    for field in BOOLEAN_FIELDS {
        if let Some(v) = m.get(field).filter(|v| !v.is_boolean()) {
            out.add(
                rule,
                format!(
                    "manifest.json \"{field}\" must be a boolean, found {}",
                    kind_of(v)
                ),
            );
        }
    }
    for field in STRING_FIELDS {
        if let Some(v) = m.get(field).filter(|v| !v.is_string()) {
            out.add(
                rule,
                format!(
                    "manifest.json \"{field}\" must be a string, found {}",
                    kind_of(v)
                ),
            );
        }
    }
    if let Some(v) = m.get("frameworkVersion").and_then(Value::as_str) {
        if v != "2.0" {
            out.add(
                rule,
                format!("manifest.json \"frameworkVersion\" must be \"2.0\", found {v:?}"),
            );
        }
    }
    if m.get("private") != Some(&Value::Bool(true)) {
        out.add(
            rule,
            "manifest.json \"private\" must be true: the adapter is uploaded as a private app",
        );
    }
    for field in ["termsConditionsURL"] {
        if let Some(url) = m.get(field).and_then(Value::as_str) {
            if !is_http_url(url) {
                out.add(
                    rule,
                    format!("manifest.json \"{field}\" must be an http(s) URL, found {url:?}"),
                );
            }
        }
    }
    match m.get("author") {
        None => {}
        Some(Value::Object(author)) => {
            for key in ["name", "email", "url"] {
                match author.get(key) {
                    Some(Value::String(s)) if !s.trim().is_empty() => {}
                    Some(Value::String(_)) | None => out.add(
                        rule,
                        format!("manifest.json author.{key} is missing or empty"),
                    ),
                    Some(v) => out.add(
                        rule,
                        format!(
                            "manifest.json author.{key} must be a string, found {}",
                            kind_of(v)
                        ),
                    ),
                }
            }
            if let Some(email) = author.get("email").and_then(Value::as_str) {
                if !email.contains('@') {
                    out.add(
                        rule,
                        format!("manifest.json author.email {email:?} is not an email address"),
                    );
                }
            }
            if let Some(url) = author.get("url").and_then(Value::as_str) {
                if !is_http_url(url) {
                    out.add(
                        rule,
                        format!("manifest.json author.url must be an http(s) URL with a host, found {url:?}"),
                    );
                }
            }
        }
        Some(v) => out.add(
            rule,
            format!(
                "manifest.json \"author\" must be an object, found {}",
                kind_of(v)
            ),
        ),
    }
}

fn version(m: &Map<String, Value>, expect: &Expectations, out: &mut Problems) {
    let rule = Rule::Version;
    let Some(version) = m.get("version").and_then(Value::as_str) else {
        out.add(
            rule,
            "manifest.json has no string \"version\" (PRE-2 needs one >= 1.4.0)",
        );
        return;
    };
    match parse_version(version) {
        None => out.add(
            rule,
            format!("manifest.json version {version:?} is not of the form x.y.z"),
        ),
        Some(v) if v < MIN_VERSION => out.add(
            rule,
            format!("manifest.json version {version} is below 1.4.0, the minimum for flexible outbound calling (PRE-2)"),
        ),
        Some(_) => {}
    }
    if let Some(expected) = &expect.version {
        if version != expected {
            out.add(
                rule,
                format!("manifest.json version {version} differs from the app crate's version {expected} in Cargo.toml"),
            );
        }
    }
}

fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let mut parts = text.split('.').map(|p| {
        (!p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<u64>().ok())
            .flatten()
    });
    let v = (parts.next()??, parts.next()??, parts.next()??);
    parts.next().is_none().then_some(v)
}

fn locations(package: &Package, m: &Map<String, Value>, out: &mut Problems) {
    let rule = Rule::Locations;
    let Some(location) = m.get("location") else {
        return;
    };
    let Some(hosts) = location.as_object() else {
        out.add(
            rule,
            format!(
                "manifest.json \"location\" must be an object, found {}",
                kind_of(location)
            ),
        );
        return;
    };
    for (host, places) in hosts {
        if !HOSTS.contains(&host.as_str()) {
            out.add(
                rule,
                format!("location host {host:?} is not one of {HOSTS:?}"),
            );
            continue;
        }
        let Some(places) = places.as_object() else {
            out.add(
                rule,
                format!(
                    "location.{host} must be an object, found {}",
                    kind_of(places)
                ),
            );
            continue;
        };
        for (place, value) in places {
            let at = format!("location.{host}.{place}");
            if matches!(host.as_str(), "support" | "zendesk")
                && !SUPPORT_LOCATIONS.contains(&place.as_str())
            {
                out.add(rule, format!("{at} is not a Support location"));
            }
            location_value(package, &at, value, out);
        }
    }
    let support = hosts.get("support").and_then(Value::as_object);
    for place in ["top_bar", "background"] {
        if support.is_none_or(|s| !s.contains_key(place)) {
            out.add(
                rule,
                format!("location.support.{place} is missing: the adapter needs the top bar and the background location"),
            );
        }
    }
}

fn location_value(package: &Package, at: &str, value: &Value, out: &mut Problems) {
    let rule = Rule::Locations;
    let url = match value {
        Value::String(url) => Some(url.as_str()),
        Value::Object(fields) => {
            for (key, v) in fields {
                if !LOCATION_KEYS.contains(&key.as_str()) {
                    out.add(rule, format!("{at} has an unknown key {key:?}"));
                }
                let wrong_type = match key.as_str() {
                    "url" => !v.is_string(),
                    "autoLoad" | "autoHide" | "flexible" | "signed" | "legacy" => !v.is_boolean(),
                    "objectTypes" => !v.is_array(),
                    _ => false,
                };
                if wrong_type {
                    out.add(
                        rule,
                        format!("{at}.{key} has the wrong type ({})", kind_of(v)),
                    );
                }
            }
            if let Some(size) = fields.get("size") {
                let ok = size.as_object().is_some_and(|s| {
                    s.keys().all(|k| k == "width" || k == "height")
                        && s.values().all(|v| v.is_string() || v.is_number())
                });
                if !ok {
                    out.add(
                        rule,
                        format!("{at}.size must be an object with width and height (CSS strings)"),
                    );
                }
            }
            let auto_load = fields
                .get("autoLoad")
                .and_then(Value::as_bool)
                .unwrap_or(true);
            if auto_load && !fields.contains_key("url") {
                out.add(
                    rule,
                    format!("{at} has no url (it is required unless autoLoad is false)"),
                );
            }
            fields.get("url").and_then(Value::as_str)
        }
        other => {
            out.add(
                rule,
                format!(
                    "{at} must be a URL string or an object, found {}",
                    kind_of(other)
                ),
            );
            None
        }
    };
    let Some(url) = url else { return };
    if url.contains("{{setting.") {
        return;
    }
    if let Some(rest) = url.strip_prefix("https://").or(url.strip_prefix("http://")) {
        let host = rest.split(['/', ':', '?', '#']).next().unwrap_or("");
        if url.starts_with("http://") && host != "localhost" {
            out.add(
                rule,
                format!("{at} url {url:?} must use https (http only for localhost)"),
            );
        }
        if host.is_empty() {
            out.add(rule, format!("{at} url {url:?} has no host"));
        }
        return;
    }
    if !url.starts_with("assets/") {
        out.add(
            rule,
            format!("{at} url {url:?} must be https or a relative URL starting with assets/"),
        );
        return;
    }
    let path = url.split(['?', '#']).next().unwrap_or(url);
    if package.file(path).is_none() {
        out.add(
            rule,
            format!("{at} url {url:?} points at {path}, which is not in the package"),
        );
    }
}

fn parameters(m: &Map<String, Value>, out: &mut Problems) {
    let rule = Rule::Parameters;
    let params = match m.get("parameters") {
        None => {
            out.add(
                rule,
                "manifest.json has no \"parameters\": the adapter needs platform_url",
            );
            return;
        }
        Some(Value::Array(params)) => params,
        Some(v) => {
            out.add(
                rule,
                format!(
                    "manifest.json \"parameters\" must be an array, found {}",
                    kind_of(v)
                ),
            );
            return;
        }
    };
    let mut names = BTreeSet::new();
    let mut oauth = 0;
    for (index, param) in params.iter().enumerate() {
        let Some(p) = param.as_object() else {
            out.add(
                rule,
                format!(
                    "parameters[{index}] must be an object, found {}",
                    kind_of(param)
                ),
            );
            continue;
        };
        let name = match p.get("name") {
            Some(Value::String(name)) if !name.is_empty() => name.clone(),
            _ => {
                out.add(rule, format!("parameters[{index}] has no name string"));
                continue;
            }
        };
        let at = format!("parameter {name:?}");
        if name == "name" {
            out.add(rule, format!("{at}: \"name\" is a reserved parameter name"));
        }
        if !names.insert(name.clone()) {
            out.add(
                rule,
                format!("{at} is declared twice; parameter names must be unique"),
            );
        }
        let kind = match p.get("type") {
            None => "text",
            Some(Value::String(t)) if PARAMETER_TYPES.contains(&t.as_str()) => t.as_str(),
            Some(t) => {
                out.add(
                    rule,
                    format!("{at} has type {t}, which is not one of {PARAMETER_TYPES:?}"),
                );
                ""
            }
        };
        for flag in ["required", "secure"] {
            if let Some(v) = p.get(flag).filter(|v| !v.is_boolean()) {
                out.add(
                    rule,
                    format!("{at}: \"{flag}\" must be a boolean, found {}", kind_of(v)),
                );
            }
        }
        let required = p.get("required") == Some(&Value::Bool(true));
        let secure = p.get("secure") == Some(&Value::Bool(true));
        if kind == "hidden" && required {
            out.add(rule, format!("{at}: a hidden parameter cannot be required"));
        }
        if kind == "oauth" {
            oauth += 1;
            if secure {
                out.add(rule, format!("{at}: an oauth parameter cannot be secure"));
            }
        }
        match p.get("scopes") {
            None => {}
            Some(_) if !secure => out.add(
                rule,
                format!("{at} has scopes but is not secure; scopes are only for secure parameters"),
            ),
            Some(Value::Array(scopes)) if !scopes.is_empty() => {
                for scope in scopes {
                    if !scope.as_str().is_some_and(|s| SCOPES.contains(&s)) {
                        out.add(
                            rule,
                            format!("{at} has scope {scope}, which is not one of {SCOPES:?}"),
                        );
                    }
                }
            }
            Some(_) => out.add(rule, format!("{at}: scopes must be a non-empty array")),
        }
        let lower = name.to_ascii_lowercase();
        if !secure
            && matches!(kind, "text" | "multiline")
            && SECRET_WORDS.iter().any(|w| lower.contains(w))
        {
            out.add(
                rule,
                format!("{at} looks like a secret but is not secure; make it \"secure\": true with scopes"),
            );
        }
        if (secure || kind == "hidden") && p.contains_key("default") {
            out.add(
                rule,
                format!("{at}: a secure or hidden parameter must not have a default"),
            );
        }
    }
    if oauth > 1 {
        out.add(
            rule,
            format!("{oauth} oauth parameters; at most one is allowed"),
        );
    }
    let platform = params
        .iter()
        .filter_map(Value::as_object)
        .find(|p| p.get("name").and_then(Value::as_str) == Some("platform_url"));
    match platform {
        None => out.add(
            rule,
            "parameter \"platform_url\" is missing: the adapter reads the platform address from it",
        ),
        Some(p) => {
            if p.get("type").and_then(Value::as_str) != Some("url") {
                out.add(rule, "parameter \"platform_url\" must have type \"url\"");
            }
            if p.get("required") != Some(&Value::Bool(true)) {
                out.add(rule, "parameter \"platform_url\" must be required");
            }
        }
    }
}

fn translations(package: &Package, manifest: Option<&Map<String, Value>>, out: &mut Problems) {
    let rule = Rule::Translations;
    let params: Vec<&str> = manifest
        .and_then(|m| m.get("parameters"))
        .and_then(Value::as_array)
        .map(|ps| {
            ps.iter()
                .filter_map(|p| p.get("name").and_then(Value::as_str))
                .collect()
        })
        .unwrap_or_default();
    let mut parsed = Vec::new();
    for (path, entry) in package.entries() {
        let Some(file) = path.strip_prefix("translations/") else {
            continue;
        };
        if entry.kind != EntryKind::File {
            continue;
        }
        let locale = file.strip_suffix(".json").unwrap_or("");
        if !is_locale(locale) {
            out.add(
                rule,
                format!("{path}: translation files must be named <locale>.json, e.g. en.json or pt-br.json"),
            );
            continue;
        }
        match parse_strict(&entry.data) {
            Ok(Value::Object(map)) => parsed.push((path.to_owned(), map)),
            Ok(other) => out.add(
                rule,
                format!("{path} must be a JSON object, found {}", kind_of(&other)),
            ),
            Err(e) => out.add(rule, format!("{path} is not valid JSON: {e}")),
        }
    }
    let english = parsed
        .iter()
        .find(|(path, _)| path == "translations/en.json")
        .map(|(_, map)| leaf_keys(map));
    for (path, map) in &parsed {
        let app = map.get("app").and_then(Value::as_object);
        let text = |key: &str| app.and_then(|a| a.get(key)).and_then(text_of);
        let mut needed = vec!["name"];
        if path == "translations/en.json" {
            needed.extend(DESCRIPTION_KEYS);
        }
        for key in needed {
            if text(key).is_none_or(|t| t.trim().is_empty()) {
                out.add(rule, format!("{path} has no text at app.{key}"));
            }
        }
        let labels = app
            .and_then(|a| a.get("parameters"))
            .and_then(Value::as_object);
        for name in &params {
            let label = labels
                .and_then(|l| l.get(*name))
                .and_then(|p| p.get("label"))
                .and_then(text_of);
            if label.is_none_or(|t| t.trim().is_empty()) {
                out.add(
                    rule,
                    format!(
                        "{path} has no label for parameter {name:?} (app.parameters.{name}.label)"
                    ),
                );
            }
        }
        if let Some(labels) = labels {
            for (name, entry) in labels {
                if entry.get("label").and_then(text_of).is_none() {
                    out.add(rule, format!("{path}: app.parameters.{name} has no label"));
                }
            }
        }
        if let Some(english) = &english {
            let keys = leaf_keys(map);
            for key in english.difference(&keys) {
                out.add(
                    rule,
                    format!("{path} lacks {key}, which en.json has: every locale is complete"),
                );
            }
        }
    }
}

/// A translation value: a plain string or `{"title": .., "value": ".."}`.
fn text_of(v: &Value) -> Option<&str> {
    v.as_str()
        .or_else(|| v.get("value").and_then(Value::as_str))
}

/// The dotted paths of a translation file's texts (a `{title, value}` object counts as one).
fn leaf_keys(map: &Map<String, Value>) -> BTreeSet<String> {
    fn walk(prefix: &str, map: &Map<String, Value>, keys: &mut BTreeSet<String>) {
        for (k, v) in map {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                Value::Object(inner) if !inner.contains_key("value") => walk(&path, inner, keys),
                _ => {
                    keys.insert(path);
                }
            }
        }
    }
    let mut keys = BTreeSet::new();
    walk("", map, &mut keys);
    keys
}

/// `^[a-z]{2,3}(-\w{2,3})?$`, Zendesk's translation file name rule.
fn is_locale(name: &str) -> bool {
    let (lang, region) = match name.split_once('-') {
        Some((lang, region)) => (lang, Some(region)),
        None => (name, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region.is_none_or(|r| {
        (2..=3).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    });
    lang_ok && region_ok
}

/// The forbidden type a file's first bytes reveal, if any.
pub fn sniff_forbidden(data: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| data.starts_with(magic);
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") || starts(b"PK\x07\x08") {
        Some("zip (or docx/xlsx/pptx/odt/jar)")
    } else if starts(b"Rar!\x1a\x07") {
        Some("rar")
    } else if starts(b"\x1f\x8b") {
        Some("gzip")
    } else if starts(b"BZh") {
        Some("bzip2")
    } else if starts(b"7z\xbc\xaf\x27\x1c") {
        Some("7z")
    } else if starts(b"%PDF") {
        Some("pdf")
    } else if starts(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") {
        Some("doc/xls/ppt (OLE)")
    } else if data.len() >= 12 && &data[..4] == b"RIFF" && &data[8..12] == b"AVI " {
        Some("avi")
    } else if starts(b"\x00\x00\x01\xba") || starts(b"\x00\x00\x01\xb3") {
        Some("mpeg")
    } else if starts(b"ID3") || (data.len() >= 2 && data[0] == 0xff && data[1] & 0xe0 == 0xe0) {
        Some("mp3")
    } else if starts(b"\x7fELF") || starts(b"MZ") || starts(b"\xcf\xfa\xed\xfe") {
        Some("executable binary")
    } else if starts(b"#!") {
        Some("shell script")
    } else {
        None
    }
}

const FORBIDDEN_EXTENSIONS: [&str; 26] = [
    "zip", "rar", "gz", "tgz", "pdf", "doc", "docx", "avi", "bin", "bz", "bz2", "csh", "sh", "jar",
    "mp3", "mpeg", "mpg", "odt", "ppt", "pptx", "xls", "xlsx", "7z", "exe", "dll", "so",
];

fn file_types(package: &Package, out: &mut Problems) {
    let rule = Rule::FileTypes;
    for (path, entry) in package.entries() {
        if path == "tmp" || path.starts_with("tmp/") {
            out.add(
                rule,
                format!("{path}: tmp/ is for zcli's scratch files and must not be packaged"),
            );
            continue;
        }
        if path.rsplit('/').next() == Some("zcli.apps.config.json") {
            out.add(
                rule,
                format!("{path} holds local zcli parameter values and must not be packaged"),
            );
        }
        if entry.kind != EntryKind::File {
            continue;
        }
        if let Some(kind) = sniff_forbidden(&entry.data) {
            out.add(
                rule,
                format!("{path} is a {kind} file by its content; Zendesk rejects that file type"),
            );
            continue;
        }
        let extension = path
            .rsplit('/')
            .next()
            .and_then(|f| f.rsplit_once('.'))
            .map(|(_, ext)| ext.to_ascii_lowercase());
        if let Some(ext) = extension.filter(|e| FORBIDDEN_EXTENSIONS.contains(&e.as_str())) {
            out.add(
                rule,
                format!("{path} has the extension .{ext}; Zendesk rejects that file type"),
            );
        }
    }
}

fn symlinks(package: &Package, out: &mut Problems) {
    for (path, entry) in package.entries() {
        if entry.kind == EntryKind::Symlink {
            out.add(
                Rule::Symlinks,
                format!(
                    "{path} is a symbolic link (to {}); packages must not contain symlinks",
                    String::from_utf8_lossy(&entry.data)
                ),
            );
        }
    }
}

/// Width and height from a PNG's IHDR chunk, or `None` if the bytes are not a PNG.
pub fn png_size(data: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if data.len() < 24 || !data.starts_with(SIGNATURE) || &data[12..16] != b"IHDR" {
        return None;
    }
    let be = |at: usize| u32::from_be_bytes([data[at], data[at + 1], data[at + 2], data[at + 3]]);
    Some((be(16), be(20)))
}

fn logos(package: &Package, out: &mut Problems) {
    let rule = Rule::Logos;
    let sizes: [(&str, &[(u32, u32)]); 3] = [
        ("assets/logo.png", &[(320, 320)]),
        ("assets/logo-small.png", &[(128, 128)]),
        ("assets/banner.png", &[(830, 200), (1660, 400)]),
    ];
    for (path, allowed) in sizes {
        let Some(data) = package.file(path) else {
            continue;
        };
        let wanted = allowed
            .iter()
            .map(|(w, h)| format!("{w}x{h}"))
            .collect::<Vec<_>>()
            .join(" or ");
        match png_size(data) {
            None => out.add(
                rule,
                format!("{path} is not a PNG file; it must be a {wanted} PNG"),
            ),
            Some(size) if !allowed.contains(&size) => out.add(
                rule,
                format!("{path} is {}x{}; it must be {wanted}", size.0, size.1),
            ),
            Some(_) => {}
        }
    }
    if let Some(svg) = package.file("assets/icon_top_bar.svg") {
        let text = String::from_utf8_lossy(svg);
        let body = text.trim_start_matches('\u{feff}').trim_start();
        let body = match body.strip_prefix("<?xml") {
            Some(rest) => rest.split_once("?>").map_or("", |(_, r)| r).trim_start(),
            None => body,
        };
        if !body.starts_with("<svg") || !text.contains("</svg>") {
            out.add(rule, "assets/icon_top_bar.svg is not an SVG document");
        }
    }
}

fn assets(package: &Package, out: &mut Problems) {
    let rule = Rule::Assets;
    for (path, entry) in package.entries() {
        if entry.kind != EntryKind::File || !path.ends_with(".html") {
            continue;
        }
        let html = String::from_utf8_lossy(&entry.data);
        let dir = path.rsplit_once('/').map_or("", |(dir, _)| dir);
        for reference in references(&html) {
            let target = reference.split(['?', '#']).next().unwrap_or("");
            if target.is_empty()
                || target.starts_with("data:")
                || target.starts_with("https://")
                || target.starts_with("mailto:")
            {
                continue;
            }
            if target.starts_with("http://") {
                out.add(
                    rule,
                    format!(
                        "{path} references {reference:?} over http; Zendesk serves apps over https"
                    ),
                );
            } else if target.starts_with('/') {
                out.add(
                    rule,
                    format!("{path} references {reference:?} by an absolute path; it must be relative, as Zendesk serves assets under its own path"),
                );
            } else {
                match resolve(dir, target) {
                    Some(file) if package.file(&file).is_some() => {}
                    _ => out.add(
                        rule,
                        format!("{path} references {reference:?}, which is not in the package"),
                    ),
                }
            }
        }
        if passes_wasm_url(&html) {
            out.add(
                rule,
                format!("{path} passes the wasm URL to wasm-bindgen's init, which fails when the host does not serve application/wasm; pass the fetched bytes (scripts/package.sh does)"),
            );
        }
    }
}

/// `src`/`href` attribute values and quoted `./` or `../` module paths in an HTML page.
fn references(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attr in ["src=", "href="] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            if let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
                if let Some(end) = rest[1..].find(quote) {
                    found.push(rest[1..1 + end].to_owned());
                }
            }
        }
    }
    for quote in ['\'', '"'] {
        for prefix in ["./", "../"] {
            let opener = format!("{quote}{prefix}");
            let mut rest = html;
            while let Some(at) = rest.find(&opener) {
                rest = &rest[at + 1..];
                if let Some(end) = rest.find(quote) {
                    found.push(rest[..end].to_owned());
                }
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

/// `target` resolved against the directory `dir`, or `None` if it climbs out of the package.
fn resolve(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// Whether the page hands wasm-bindgen's init a URL string (`module_or_path: './x.wasm'`).
fn passes_wasm_url(html: &str) -> bool {
    html.match_indices("module_or_path").any(|(at, key)| {
        let after = html[at + key.len()..].trim_start();
        after
            .strip_prefix(':')
            .map(str::trim_start)
            .is_some_and(|v| v.starts_with(['\'', '"', '`']))
    })
}

fn is_http_url(url: &str) -> bool {
    url.strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .and_then(|rest| rest.split(['/', ':', '?', '#']).next())
        .is_some_and(|host| !host.is_empty())
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
