//! The Italian catalogue shipped with the app (`assets/i18n/it.json`) is complete: every label
//! has Italian text, no key is unknown, and nothing was left in English by mistake.

use std::collections::BTreeMap;

use domain::labels::{language_for_locale, Catalogue, Label};

/// The file the UI embeds; from `src/domain/tests/` the repository root is three levels up.
const IT_JSON: &str = include_str!("../../../assets/i18n/it.json");

/// Labels whose Italian text is rightly the same as the English, each with its reason.
const SAME_AS_ENGLISH: &[(Label, &str)] = &[
    // An example number, not words: the seed's Italian text shows the same placeholder.
    (Label::NumberPlaceholder, "(415) 123-4567"),
    // Italian uses the loanword: Zendesk's Italian UI and the seed both say "chat".
    (Label::ChannelChat, "Chat"),
    // An acronym, kept as is in Italian ("chiamate IVR" in the seed).
    (Label::PlatformIvr, "IVR"),
    // A loanword Italian uses unchanged ("SDK web" in the seed).
    (Label::PlatformWeb, "Web"),
    // Loanwords Zendesk's Italian sign-in page uses unchanged.
    (Label::Email, "Email"),
    (Label::Password, "Password"),
    // A caption over the call's ticket link ("Ticket #15"): Zendesk's Italian UI says "ticket".
    (Label::TicketNumbered, "Ticket"),
];

fn italian() -> Catalogue {
    serde_json::from_str(IT_JSON).expect("it.json is a catalogue")
}

#[test]
fn italian_catalogue_is_italian() {
    assert_eq!(italian().language, "it");
    assert_eq!(language_for_locale("it-IT"), italian().language);
}

#[test]
fn every_label_has_italian_text() {
    let it = italian();
    let missing: Vec<Label> = Label::ALL
        .iter()
        .copied()
        .filter(|l| it.words.get(l).is_none_or(|t| t.trim().is_empty()))
        .collect();
    assert!(missing.is_empty(), "no Italian text for {missing:?}");
    assert_eq!(it.words.len(), Label::ALL.len());
}

#[test]
fn nothing_left_in_english_by_mistake() {
    let it = italian();
    for &label in Label::ALL {
        let text = it.get(label);
        match SAME_AS_ENGLISH.iter().find(|(l, _)| *l == label) {
            Some((_, same)) => {
                assert_eq!(text, *same, "{label:?}: allow-list out of date");
                assert_eq!(label.english(), *same, "{label:?}: allow-list out of date");
            }
            None => assert_ne!(text, label.english(), "{label:?} is still in English"),
        }
    }
}

#[test]
fn no_unknown_keys() {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Raw {
        #[allow(dead_code)]
        language: String,
        words: BTreeMap<String, String>,
    }
    let raw: Raw = serde_json::from_str(IT_JSON).expect("it.json has only language and words");
    let known: BTreeMap<String, Label> = Label::ALL
        .iter()
        .map(|&l| {
            (
                serde_json::to_value(l)
                    .unwrap()
                    .as_str()
                    .unwrap()
                    .to_owned(),
                l,
            )
        })
        .collect();
    let unknown: Vec<&String> = raw
        .words
        .keys()
        .filter(|k| !known.contains_key(*k))
        .collect();
    assert!(unknown.is_empty(), "unknown keys {unknown:?}");
    assert_eq!(raw.words.len(), Label::ALL.len());
}

/// Texts the code completes with data keep the shape the English has: no trailing colon or
/// space where the code adds `": "` or `" "`, no stray whitespace, and sentences end like the
/// English ones.
#[test]
fn texts_fit_the_code_that_joins_them() {
    let it = italian();
    for &label in Label::ALL {
        let (en, text) = (label.english(), it.get(label));
        assert_eq!(text, text.trim(), "{label:?} has surrounding whitespace");
        assert!(!text.ends_with(':'), "{label:?} ends with a colon");
        assert_eq!(
            en.ends_with('.'),
            text.ends_with('.'),
            "{label:?}: sentence ending differs from English"
        );
        assert_eq!(
            en.matches('"').count(),
            text.matches('"').count(),
            "{label:?}: quoted names differ from English"
        );
    }
}
