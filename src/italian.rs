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

    /// The `{name}`s of a text, in order.
    fn names(text: &str) -> Vec<&str> {
        text.split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect()
    }

    // A sentence with blanks has the same blanks in Italian: one left out would show the
    // agent a sentence without its ticket number; one misspelt, "{id}" itself.
    #[test]
    fn every_italian_sentence_has_the_english_ones_blanks() {
        let it = catalogue();
        for &label in Label::ALL {
            let mut english = names(label.english());
            let mut italian = names(it.get(label));
            english.sort_unstable();
            italian.sort_unstable();
            assert_eq!(italian, english, "{label:?}: {:?}", it.get(label));
        }
        assert_eq!(
            it.fill(Label::ErrTicketNotFound, &[("id", &15)]),
            "Ticket #15 non trovato."
        );
        assert_eq!(it.seconds(1), "1 secondo");
        assert_eq!(it.seconds(4), "4 secondi");
    }
}
