//! Each rule against a deliberately broken copy of a valid package.
//!
//! The valid package is the repository's own `zendesk-app/` (manifest, translations, logos, icon)
//! with a stand-in build under `assets/` shaped like the one `scripts/package.sh` produces. Every
//! broken copy goes through a real zip round trip, and must fail with a message that names the
//! problem.

use serde_json::{json, Map, Value};

use crate::archive::{EntryKind, Package};
use crate::json::parse_strict;
use crate::rules::{check, png_size, sniff_forbidden, Expectations, Problem, Rule};

const APP_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../zendesk-app");
const CARGO_TOML: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml");

const INDEX_HTML: &str = r#"<!doctype html>
<html lang="en">
  <head>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="./app-1.css"/>
<script type="module">
import init, * as bindings from './agent-adapter-1.js';
const wasm = await init({ module_or_path: await fetch('./agent-adapter-1_bg.wasm').then((r) => r.arrayBuffer()) });
</script>
  <link rel="modulepreload" href="./agent-adapter-1.js"><link rel="preload" href="./agent-adapter-1_bg.wasm" as="fetch" type="application/wasm"></head>
  <body></body>
</html>
"#;

fn repo_file(path: &str) -> Vec<u8> {
    std::fs::read(format!("{APP_DIR}/{path}")).unwrap_or_else(|e| panic!("zendesk-app/{path}: {e}"))
}

/// The repository's package sources plus a stand-in build: passes every rule.
fn valid() -> Package {
    let mut p = Package::default();
    p.put("assets", EntryKind::Dir, Vec::new());
    p.put("translations", EntryKind::Dir, Vec::new());
    for path in [
        "manifest.json",
        "translations/en.json",
        "translations/it.json",
        "assets/logo.png",
        "assets/logo-small.png",
        "assets/icon_top_bar.svg",
    ] {
        p.put_file(path, repo_file(path));
    }
    p.put_file("assets/index.html", INDEX_HTML);
    p.put_file("assets/background.html", INDEX_HTML);
    p.put_file("assets/app-1.css", "body { margin: 0 }");
    p.put_file(
        "assets/agent-adapter-1.js",
        "export default async function init() {}",
    );
    p.put_file(
        "assets/agent-adapter-1_bg.wasm",
        b"\0asm\x01\0\0\0".to_vec(),
    );
    p
}

/// The problems found in `package` after a zip round trip, against the app crate's version.
fn problems(package: &Package) -> Vec<Problem> {
    let package = Package::read_zip(&package.write_zip()).expect("the zip reads back");
    check(
        &package,
        &Expectations {
            version: Some("1.4.0".to_owned()),
        },
    )
}

/// Fails unless `package` breaks `rule` with a message containing `needle`.
#[track_caller]
fn assert_broken(package: &Package, rule: Rule, needle: &str) {
    let found = problems(package);
    assert!(
        found
            .iter()
            .any(|p| p.rule == rule && p.message.contains(needle)),
        "expected a [{rule}] problem mentioning {needle:?}, found: {found:#?}"
    );
}

fn json_file(package: &Package, path: &str) -> Map<String, Value> {
    match parse_strict(package.file(path).expect("file present")) {
        Ok(Value::Object(map)) => map,
        other => panic!("{path} is not an object: {other:?}"),
    }
}

/// A valid package whose JSON file `path` was changed by `edit`.
fn edit_json(path: &str, edit: impl FnOnce(&mut Map<String, Value>)) -> Package {
    let mut p = valid();
    let mut map = json_file(&p, path);
    edit(&mut map);
    p.put_file(
        path,
        serde_json::to_vec_pretty(&Value::Object(map)).unwrap(),
    );
    p
}

fn edit_manifest(edit: impl FnOnce(&mut Map<String, Value>)) -> Package {
    edit_json("manifest.json", edit)
}

/// A valid package whose parameter list was changed by `edit`.
fn edit_parameters(edit: impl FnOnce(&mut Vec<Value>)) -> Package {
    edit_manifest(|m| {
        let params = m["parameters"].as_array_mut().unwrap();
        edit(params);
    })
}

fn edit_top_bar(edit: impl FnOnce(&mut Value)) -> Package {
    edit_manifest(|m| edit(&mut m["location"]["support"]["top_bar"]))
}

/// The start of a PNG whose IHDR says `width` x `height`.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

#[test]
fn the_repository_package_passes_every_rule() {
    assert_eq!(problems(&valid()), Vec::new());
}

#[test]
fn manifest_version_equals_the_app_crate_version() {
    let cargo = std::fs::read_to_string(CARGO_TOML).unwrap();
    let crate_version = cargo
        .split("[package]")
        .nth(1)
        .and_then(|s| s.lines().find(|l| l.starts_with("version")))
        .and_then(|l| l.split('"').nth(1))
        .expect("Cargo.toml has a [package] version");
    let manifest = json_file(&valid(), "manifest.json");
    assert_eq!(manifest["version"], json!(crate_version));
}

// required-files

#[test]
fn each_required_file_is_required() {
    for path in [
        "manifest.json",
        "assets/logo.png",
        "assets/logo-small.png",
        "assets/icon_top_bar.svg",
        "translations/en.json",
    ] {
        let mut p = valid();
        assert!(p.remove(path));
        assert_broken(
            &p,
            Rule::RequiredFiles,
            &format!("{path} is missing from the package"),
        );
    }
}

#[test]
fn the_default_locale_needs_its_translation_file() {
    let mut p = edit_manifest(|m| m["defaultLocale"] = json!("it"));
    p.remove("translations/it.json");
    assert_broken(&p, Rule::RequiredFiles, "translations/it.json is missing");
}

// manifest

#[test]
fn manifest_must_be_valid_json_without_duplicate_keys() {
    let mut p = valid();
    p.put_file("manifest.json", "{\"author\": ");
    assert_broken(&p, Rule::Manifest, "manifest.json is not valid JSON");

    let mut p = valid();
    let text = String::from_utf8(p.file("manifest.json").unwrap().to_vec()).unwrap();
    let doubled = text.replacen(
        "\"private\": true,",
        "\"private\": true, \"private\": true,",
        1,
    );
    assert_ne!(doubled, text);
    p.put_file("manifest.json", doubled);
    assert_broken(&p, Rule::Manifest, "duplicate key \"private\"");

    let mut p = valid();
    p.put_file("manifest.json", "[]");
    assert_broken(&p, Rule::Manifest, "must be a JSON object, found an array");
}

#[test]
fn manifest_required_fields() {
    for field in ["author", "defaultLocale", "location", "frameworkVersion"] {
        let p = edit_manifest(|m| {
            m.remove(field);
        });
        assert_broken(&p, Rule::Manifest, &format!("has no \"{field}\""));
    }
}

#[test]
fn manifest_field_types() {
    let p = edit_manifest(|m| m["private"] = json!("true"));
    assert_broken(
        &p,
        Rule::Manifest,
        "\"private\" must be a boolean, found a string",
    );
    let p = edit_manifest(|m| {
        m.insert("singleInstall".into(), json!(1));
    });
    assert_broken(&p, Rule::Manifest, "\"singleInstall\" must be a boolean");
    let p = edit_manifest(|m| m["defaultLocale"] = json!(["en"]));
    assert_broken(
        &p,
        Rule::Manifest,
        "\"defaultLocale\" must be a string, found an array",
    );
    let p = edit_manifest(|m| m["frameworkVersion"] = json!("1.0"));
    assert_broken(&p, Rule::Manifest, "\"frameworkVersion\" must be \"2.0\"");
    let p = edit_manifest(|m| m["private"] = json!(false));
    assert_broken(&p, Rule::Manifest, "\"private\" must be true");
}

#[test]
fn manifest_author() {
    let p = edit_manifest(|m| m["author"] = json!("Agent adapter"));
    assert_broken(&p, Rule::Manifest, "\"author\" must be an object");
    let p = edit_manifest(|m| m["author"]["url"] = json!("ftp://example.com"));
    assert_broken(&p, Rule::Manifest, "author.url must be an http(s) URL");
    let p = edit_manifest(|m| m["author"]["email"] = json!("nobody"));
    assert_broken(
        &p,
        Rule::Manifest,
        "author.email \"nobody\" is not an email address",
    );
    let p = edit_manifest(|m| {
        m["author"].as_object_mut().unwrap().remove("name");
    });
    assert_broken(&p, Rule::Manifest, "author.name is missing or empty");
}

// version

// PRE-2: flexible outbound needs the app package at version 1.4 or later.
#[test]
fn version_must_be_at_least_1_4_0() {
    let p = edit_manifest(|m| m["version"] = json!("1.3.9"));
    assert_broken(&p, Rule::Version, "1.3.9 is below 1.4.0");
    let p = edit_manifest(|m| m["version"] = json!("1.4"));
    assert_broken(&p, Rule::Version, "\"1.4\" is not of the form x.y.z");
    let p = edit_manifest(|m| {
        m.remove("version");
    });
    assert_broken(&p, Rule::Version, "has no string \"version\"");
}

#[test]
fn version_compares_numerically_and_must_equal_the_crate_version() {
    let p = edit_manifest(|m| m["version"] = json!("1.10.0"));
    let found = problems(&p);
    assert!(
        !found.iter().any(|p| p.message.contains("below")),
        "1.10.0 is above 1.4.0: {found:#?}"
    );
    assert_broken(
        &p,
        Rule::Version,
        "differs from the app crate's version 1.4.0",
    );
}

// locations

#[test]
fn location_urls_must_exist_in_the_package() {
    let mut p = valid();
    p.remove("assets/background.html");
    assert_broken(
        &p,
        Rule::Locations,
        "location.support.background url \"assets/background.html\" points at assets/background.html, which is not in the package",
    );
    let p = edit_top_bar(|t| t["url"] = json!("index.html"));
    assert_broken(
        &p,
        Rule::Locations,
        "must be https or a relative URL starting with assets/",
    );
    let p = edit_top_bar(|t| t["url"] = json!("http://cc.example.com/app"));
    assert_broken(&p, Rule::Locations, "must use https");
}

#[test]
fn setting_templated_and_https_location_urls_are_not_looked_up() {
    let p = edit_top_bar(|t| t["url"] = json!("{{setting.platform_url}}/app"));
    assert_eq!(problems(&p), Vec::new());
    let p = edit_top_bar(|t| t["url"] = json!("https://cc.example.com/app"));
    assert_eq!(problems(&p), Vec::new());
}

#[test]
fn locations_must_be_known_and_well_formed() {
    let p = edit_manifest(|m| m["location"]["support"]["side_panel"] = json!("assets/index.html"));
    assert_broken(
        &p,
        Rule::Locations,
        "location.support.side_panel is not a Support location",
    );
    let p = edit_manifest(|m| m["location"]["guide"] = json!({}));
    assert_broken(&p, Rule::Locations, "location host \"guide\" is not one of");
    let p = edit_manifest(|m| m["location"] = json!("assets/index.html"));
    assert_broken(&p, Rule::Locations, "\"location\" must be an object");
    let p = edit_top_bar(|t| t["autoLoad"] = json!("yes"));
    assert_broken(
        &p,
        Rule::Locations,
        "location.support.top_bar.autoLoad has the wrong type",
    );
    let p = edit_top_bar(|t| t["colour"] = json!("blue"));
    assert_broken(&p, Rule::Locations, "has an unknown key \"colour\"");
    let p = edit_top_bar(|t| t["size"] = json!("360x510"));
    assert_broken(
        &p,
        Rule::Locations,
        "size must be an object with width and height",
    );
    let p = edit_top_bar(|t| {
        t.as_object_mut().unwrap().remove("url");
    });
    assert_broken(&p, Rule::Locations, "top_bar has no url");
    let p = edit_top_bar(|t| *t = json!(42));
    assert_broken(
        &p,
        Rule::Locations,
        "must be a URL string or an object, found a number",
    );
}

#[test]
fn the_adapter_needs_top_bar_and_background() {
    for place in ["top_bar", "background"] {
        let p = edit_manifest(|m| {
            m["location"]["support"]
                .as_object_mut()
                .unwrap()
                .remove(place);
        });
        assert_broken(
            &p,
            Rule::Locations,
            &format!("location.support.{place} is missing"),
        );
    }
}

// parameters

#[test]
fn parameters_must_be_an_array_of_named_objects() {
    let p = edit_manifest(|m| m["parameters"] = json!({"platform_url": "url"}));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"parameters\" must be an array, found an object",
    );
    let p = edit_parameters(|ps| ps.push(json!("token")));
    assert_broken(&p, Rule::Parameters, "parameters[1] must be an object");
    let p = edit_parameters(|ps| ps.push(json!({"type": "text"})));
    assert_broken(&p, Rule::Parameters, "parameters[1] has no name string");
}

#[test]
fn parameter_names_are_unique_and_not_name() {
    let p = edit_parameters(|ps| ps.push(ps[0].clone()));
    assert_broken(&p, Rule::Parameters, "\"platform_url\" is declared twice");
    let p = edit_parameters(|ps| ps.push(json!({"name": "name"})));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"name\" is a reserved parameter name",
    );
}

#[test]
fn parameter_types_and_flags() {
    let p = edit_parameters(|ps| ps.push(json!({"name": "queue", "type": "list"})));
    assert_broken(
        &p,
        Rule::Parameters,
        "parameter \"queue\" has type \"list\", which is not one of",
    );
    let p = edit_parameters(|ps| ps.push(json!({"name": "queue", "required": "yes"})));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"required\" must be a boolean, found a string",
    );
    let p = edit_parameters(|ps| ps.push(json!({"name": "queue", "secure": 1})));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"secure\" must be a boolean, found a number",
    );
    let p = edit_parameters(|ps| {
        ps.push(json!({"name": "tenant", "type": "hidden", "required": true}))
    });
    assert_broken(
        &p,
        Rule::Parameters,
        "a hidden parameter cannot be required",
    );
}

#[test]
fn oauth_parameters() {
    let p = edit_parameters(|ps| {
        ps.push(json!({"name": "sign_in", "type": "oauth"}));
        ps.push(json!({"name": "sign_in_2", "type": "oauth"}));
    });
    assert_broken(
        &p,
        Rule::Parameters,
        "2 oauth parameters; at most one is allowed",
    );
    let p =
        edit_parameters(|ps| ps.push(json!({"name": "sign_in", "type": "oauth", "secure": true})));
    assert_broken(&p, Rule::Parameters, "an oauth parameter cannot be secure");
}

#[test]
fn scopes_only_on_secure_parameters_and_from_the_list() {
    let p = edit_parameters(|ps| ps.push(json!({"name": "region", "scopes": ["header"]})));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"region\" has scopes but is not secure",
    );
    let p = edit_parameters(|ps| {
        ps.push(json!({"name": "api_token", "secure": true, "scopes": ["cookie"]}))
    });
    assert_broken(
        &p,
        Rule::Parameters,
        "has scope \"cookie\", which is not one of",
    );
    let p =
        edit_parameters(|ps| ps.push(json!({"name": "api_token", "secure": true, "scopes": []})));
    assert_broken(&p, Rule::Parameters, "scopes must be a non-empty array");
}

#[test]
fn secrets_must_be_secure_without_defaults() {
    let p = edit_parameters(|ps| ps.push(json!({"name": "api_token", "type": "text"})));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"api_token\" looks like a secret but is not secure",
    );
    let p = edit_parameters(|ps| {
        ps.push(json!({"name": "api_token", "secure": true, "scopes": ["header"], "default": "x"}))
    });
    assert_broken(
        &p,
        Rule::Parameters,
        "a secure or hidden parameter must not have a default",
    );
}

#[test]
fn platform_url_is_a_required_url_parameter() {
    let p = edit_parameters(|ps| ps.clear());
    assert_broken(
        &p,
        Rule::Parameters,
        "parameter \"platform_url\" is missing",
    );
    let p = edit_parameters(|ps| ps[0]["type"] = json!("text"));
    assert_broken(
        &p,
        Rule::Parameters,
        "\"platform_url\" must have type \"url\"",
    );
    let p = edit_parameters(|ps| ps[0]["required"] = json!(false));
    assert_broken(&p, Rule::Parameters, "\"platform_url\" must be required");
}

// translations

#[test]
fn english_needs_the_name_and_descriptions() {
    for key in [
        "name",
        "short_description",
        "long_description",
        "installation_instructions",
    ] {
        let p = edit_json("translations/en.json", |t| {
            t["app"].as_object_mut().unwrap().remove(key);
        });
        assert_broken(
            &p,
            Rule::Translations,
            &format!("translations/en.json has no text at app.{key}"),
        );
    }
}

#[test]
fn every_parameter_needs_a_label_in_every_locale() {
    let p = edit_json("translations/it.json", |t| {
        t["app"]["parameters"]["platform_url"]
            .as_object_mut()
            .unwrap()
            .remove("label");
    });
    assert_broken(
        &p,
        Rule::Translations,
        "translations/it.json has no label for parameter \"platform_url\"",
    );
    let p = edit_json("translations/en.json", |t| {
        t["app"]["parameters"]["platform_url"]["label"] = json!("");
    });
    assert_broken(
        &p,
        Rule::Translations,
        "translations/en.json has no label for parameter",
    );
}

#[test]
fn every_locale_has_the_english_keys() {
    let p = edit_json("translations/it.json", |t| {
        t["app"]["parameters"]["platform_url"]
            .as_object_mut()
            .unwrap()
            .remove("helpText");
    });
    assert_broken(
        &p,
        Rule::Translations,
        "translations/it.json lacks app.parameters.platform_url.helpText",
    );
}

#[test]
fn translation_files_are_named_by_locale_and_parse() {
    let mut p = valid();
    p.put_file("translations/English.json", "{}");
    assert_broken(
        &p,
        Rule::Translations,
        "translations/English.json: translation files must be named",
    );
    let mut p = valid();
    p.put_file("translations/it.json", "{\"app\": {\"name\": }");
    assert_broken(
        &p,
        Rule::Translations,
        "translations/it.json is not valid JSON",
    );
    let mut p = valid();
    p.put_file("translations/pt-br.json", "[]");
    assert_broken(
        &p,
        Rule::Translations,
        "translations/pt-br.json must be a JSON object",
    );
}

#[test]
fn title_value_translations_count_as_text() {
    let p = edit_json("translations/en.json", |t| {
        t["app"]["name"] = json!({"title": "App name", "value": "Agent adapter for Zendesk"});
    });
    assert_eq!(problems(&p), Vec::new());
}

// file-types

#[test]
fn forbidden_types_are_found_by_content_whatever_the_name() {
    let samples: [(&[u8], &str); 12] = [
        (b"PK\x03\x04rest", "zip"),
        (b"Rar!\x1a\x07\x00", "rar"),
        (b"\x1f\x8b\x08\x00", "gzip"),
        (b"BZh91AY", "bzip2"),
        (b"7z\xbc\xaf\x27\x1c\x00", "7z"),
        (b"%PDF-1.7", "pdf"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc/xls/ppt"),
        (b"RIFF\x00\x00\x00\x00AVI LIST", "avi"),
        (b"\x00\x00\x01\xba\x44", "mpeg"),
        (b"ID3\x03\x00", "mp3"),
        (b"\x7fELF\x02\x01", "executable"),
        (b"#!/bin/sh\necho hi\n", "shell script"),
    ];
    for (bytes, kind) in samples {
        let mut p = valid();
        p.put_file("assets/vendor.js", bytes.to_vec());
        assert_broken(
            &p,
            Rule::FileTypes,
            &format!("assets/vendor.js is a {kind}"),
        );
    }
}

#[test]
fn forbidden_types_are_found_by_extension() {
    let mut p = valid();
    p.put_file("assets/install.sh", "echo hi\n");
    assert_broken(
        &p,
        Rule::FileTypes,
        "assets/install.sh has the extension .sh",
    );
}

#[test]
fn the_project_files_are_not_mistaken_for_forbidden_types() {
    let p = valid();
    for (path, entry) in p.entries() {
        assert_eq!(sniff_forbidden(&entry.data), None, "{path}");
    }
    assert_eq!(
        sniff_forbidden(b"\xff\xd8\xff\xe0JFIF"),
        None,
        "a JPEG is allowed"
    );
}

#[test]
fn local_files_are_not_packaged() {
    let mut p = valid();
    p.put_file("tmp/app-20260101.zip", "x");
    assert_broken(&p, Rule::FileTypes, "tmp/ is for zcli's scratch files");
    let mut p = valid();
    p.put_file("zcli.apps.config.json", "{\"parameters\": {}}");
    assert_broken(
        &p,
        Rule::FileTypes,
        "zcli.apps.config.json holds local zcli parameter values",
    );
}

// symlinks

#[test]
fn symlinks_are_rejected() {
    let mut p = valid();
    p.put(
        "assets/shared.js",
        EntryKind::Symlink,
        b"../../secrets.js".to_vec(),
    );
    assert_broken(
        &p,
        Rule::Symlinks,
        "assets/shared.js is a symbolic link (to ../../secrets.js)",
    );
}

// logos

#[test]
fn logos_have_the_documented_sizes() {
    let mut p = valid();
    p.put_file("assets/logo.png", png(64, 64));
    assert_broken(
        &p,
        Rule::Logos,
        "assets/logo.png is 64x64; it must be 320x320",
    );
    let mut p = valid();
    p.put_file("assets/logo-small.png", png(320, 320));
    assert_broken(
        &p,
        Rule::Logos,
        "assets/logo-small.png is 320x320; it must be 128x128",
    );
    let mut p = valid();
    p.put_file("assets/logo.png", b"GIF89a".to_vec());
    assert_broken(&p, Rule::Logos, "assets/logo.png is not a PNG file");
    let mut p = valid();
    p.put_file("assets/banner.png", png(800, 200));
    assert_broken(
        &p,
        Rule::Logos,
        "assets/banner.png is 800x200; it must be 830x200 or 1660x400",
    );
    let mut p = valid();
    p.put_file("assets/banner.png", png(1660, 400));
    assert_eq!(problems(&p), Vec::new());
}

#[test]
fn png_size_reads_the_ihdr() {
    assert_eq!(png_size(&png(320, 128)), Some((320, 128)));
    assert_eq!(png_size(&repo_file("assets/logo.png")), Some((320, 320)));
    assert_eq!(png_size(b"\x89PNG"), None);
}

#[test]
fn the_top_bar_icon_is_an_svg() {
    let mut p = valid();
    p.put_file("assets/icon_top_bar.svg", png(18, 18));
    assert_broken(
        &p,
        Rule::Logos,
        "assets/icon_top_bar.svg is not an SVG document",
    );
    let mut p = valid();
    p.put_file(
        "assets/icon_top_bar.svg",
        "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>",
    );
    assert_eq!(problems(&p), Vec::new());
}

// assets

#[test]
fn html_references_must_exist_and_be_relative() {
    let mut p = valid();
    p.remove("assets/agent-adapter-1.js");
    assert_broken(
        &p,
        Rule::Assets,
        "assets/index.html references \"./agent-adapter-1.js\", which is not in the package",
    );
    let mut p = valid();
    p.put_file(
        "assets/index.html",
        INDEX_HTML.replace("./app-1.css", "/app-1.css"),
    );
    assert_broken(
        &p,
        Rule::Assets,
        "references \"/app-1.css\" by an absolute path",
    );
    let mut p = valid();
    p.put_file(
        "assets/index.html",
        INDEX_HTML.replace("./app-1.css", "http://cdn.example.com/app.css"),
    );
    assert_broken(&p, Rule::Assets, "over http");
    let mut p = valid();
    p.put_file(
        "assets/index.html",
        INDEX_HTML.replace("./app-1.css", "../../app-1.css"),
    );
    assert_broken(
        &p,
        Rule::Assets,
        "\"../../app-1.css\", which is not in the package",
    );
}

#[test]
fn the_wasm_is_loaded_as_bytes() {
    let trunk_default = "const wasm = await init({ module_or_path: './agent-adapter-1_bg.wasm' });";
    let html = INDEX_HTML
        .lines()
        .map(|l| {
            if l.contains("module_or_path") {
                trunk_default
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut p = valid();
    p.put_file("assets/background.html", html);
    assert_broken(
        &p,
        Rule::Assets,
        "assets/background.html passes the wasm URL to wasm-bindgen's init",
    );
}

// archive and JSON

#[test]
fn unreadable_or_escaping_archives_are_reported() {
    let err = Package::read_zip(b"not a zip at all").unwrap_err();
    assert!(err.contains("not a readable zip"), "{err}");

    let mut p = Package::default();
    p.put_file("../manifest.json", "{}");
    let err = Package::read_zip(&p.write_zip()).unwrap_err();
    assert!(err.contains("is not a plain relative path"), "{err}");
}

#[test]
fn strict_json_rejects_nested_duplicate_keys() {
    let err = parse_strict(br#"{"app": {"name": "a", "name": "b"}}"#).unwrap_err();
    assert!(err.contains("duplicate key \"name\""), "{err}");
    assert_eq!(
        parse_strict(br#"{"a": [1, 2.5, null, true]}"#).unwrap(),
        json!({"a": [1, 2.5, null, true]})
    );
}

#[test]
fn every_rule_has_a_name_and_a_description() {
    for rule in Rule::ALL {
        assert!(!rule.name().is_empty() && !rule.describe().is_empty());
    }
}
