//! The Italian catalogue, built into the app: the table build.rs makes of
//! `assets/i18n/it.json` (`ITALIAN_LANGUAGE`, `ITALIAN_WORDS`), so that the sign-in screen's
//! code neither carries the file's keys nor parses them.

use domain::labels::Catalogue;

include!(concat!(env!("OUT_DIR"), "/italian.rs"));

/// The Italian catalogue.
pub fn catalogue() -> Catalogue {
    Catalogue::from_words(ITALIAN_LANGUAGE, ITALIAN_WORDS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::labels::Label;

    // The table build.rs makes of it.json is the catalogue the file says, word for word: the
    // Italian agent gets every translation, and English for none.
    #[test]
    fn the_built_in_italian_is_the_catalogue_of_it_json() {
        let file: Catalogue = serde_json::from_str(include_str!("../assets/i18n/it.json")).unwrap();
        let built = catalogue();
        assert_eq!(built, file);
        assert_eq!(built.language, "it");
        assert_eq!(
            built.words.len(),
            Label::ALL.len(),
            "every label translated"
        );
        assert_eq!(built.get(Label::Call), "Chiama");
        assert_eq!(
            built.get(Label::OutcomeAbandoned),
            "Persa: il chiamante ha riagganciato"
        );
    }
}
