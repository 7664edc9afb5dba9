//! What the agent reads when something fails: every error of Zendesk, the platform or ZAF is
//! mapped to a catalogue text in the agent's language. The raw detail (a server's own words,
//! an HTTP status) may follow on a smaller line; it is never the only thing said. The adapter's
//! own words about an error (a network failure, an answer it could not read, a collision) are
//! never a detail: they would be English under an Italian text, and say nothing the text does
//! not.

use crate::{platform::PlatformError, zaf::ZafError, zendesk::ZendeskError};
use domain::labels::{Catalogue, Label};

/// A message for the banner: the catalogue's text, and the detail behind it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The text in the agent's language.
    pub text: String,
    /// What the server said, as it said it (shown smaller), when it adds something.
    pub detail: Option<String>,
}

impl Message {
    /// The text with its detail in it, as one line says them: the detail in brackets before the
    /// first sentence's full stop ("Zendesk answered with an error (HTTP 500)."), not after it.
    pub fn sentence(&self) -> String {
        let Some(detail) = &self.detail else {
            return self.text.clone();
        };
        let detail = detail.trim().trim_end_matches('.');
        let stop = self
            .text
            .char_indices()
            .find(|&(at, c)| {
                c == '.'
                    && self.text[at + 1..]
                        .chars()
                        .next()
                        .is_none_or(char::is_whitespace)
            })
            .map(|(at, _)| at);
        match stop {
            Some(at) => format!("{} ({detail}){}", &self.text[..at], &self.text[at..]),
            None => format!("{} ({detail})", self.text),
        }
    }

    fn of(cat: &Catalogue, label: Label, detail: Option<String>) -> Self {
        Self {
            text: cat.get(label).to_owned(),
            detail: detail.filter(|d| !d.trim().is_empty()),
        }
    }
}

/// A platform error, in the agent's words.
pub fn platform(error: &PlatformError, cat: &Catalogue) -> Message {
    match error {
        PlatformError::BadCredentials => Message::of(cat, Label::ErrBadCredentials, None),
        PlatformError::SignedOut => Message::of(cat, Label::ErrSessionEnded, None),
        PlatformError::Refused(why) | PlatformError::Forbidden(why) => {
            Message::of(cat, Label::ErrPlatformRefused, Some(why.clone()))
        }
        PlatformError::Unreachable(_) => Message::of(cat, Label::ErrPlatformUnreachable, None),
        // Too many requests: busy, which the agent may wait out, not an error of the platform.
        PlatformError::Server(429) => {
            Message::of(cat, Label::ErrPlatformBusy, Some("HTTP 429".into()))
        }
        PlatformError::Server(status) => Message::of(
            cat,
            Label::ErrPlatformServer,
            Some(format!("HTTP {status}")),
        ),
        PlatformError::Decode(_) => Message::of(cat, Label::ErrPlatformUnexpected, None),
    }
}

/// A Zendesk error, in the agent's words.
pub fn zendesk(error: &ZendeskError, cat: &Catalogue) -> Message {
    match error {
        ZendeskError::NotFound => Message::of(cat, Label::ErrZendeskNotFound, None),
        ZendeskError::Invalid { description, .. } => {
            Message::of(cat, Label::ErrZendeskRefused, Some(description.clone()))
        }
        ZendeskError::Closed => Message::of(cat, Label::ErrTicketClosedWrite, None),
        ZendeskError::Conflict => Message::of(cat, Label::ErrZendeskRefused, None),
        ZendeskError::RateLimited { .. } => Message::of(cat, Label::ErrZendeskBusy, None),
        ZendeskError::Unauthorized => Message::of(cat, Label::ErrZendeskDenied, None),
        ZendeskError::Forbidden => Message::of(cat, Label::ErrZendeskForbidden, None),
        ZendeskError::Transport(_) => Message::of(cat, Label::ErrZendeskUnreachable, None),
        ZendeskError::Server(status) => {
            Message::of(cat, Label::ErrZendeskServer, Some(format!("HTTP {status}")))
        }
        ZendeskError::Decode(_) => Message::of(cat, Label::ErrZendeskUnexpected, None),
    }
}

/// Why the adapter cannot start in this page (the screen that says it shows the text alone).
pub fn zaf(error: &ZafError, cat: &Catalogue) -> Message {
    let label = match error {
        ZafError::ForeignHost(_) => Label::ErrForeignHost,
        _ => Label::ErrZafUnavailable,
    };
    Message::of(cat, label, None)
}

/// Why the adapter will not send the agent's password to the configured platform.
pub fn origin(error: &crate::origins::OriginError, cat: &Catalogue) -> Message {
    let label = match error {
        crate::origins::OriginError::ForeignHost(_) => Label::ErrForeignHost,
        crate::origins::OriginError::InsecurePlatform(_) => Label::ErrInsecurePlatform,
    };
    Message::of(cat, label, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn italian() -> Catalogue {
        serde_json::from_str(include_str!("../../assets/i18n/it.json")).unwrap()
    }

    // Item 7 ("An agent's first hour"): errors reached the Italian banner in English
    // ("The email or password is not correct.", "Zendesk could not be reached: HTTP 503").
    #[test]
    fn every_error_speaks_the_agents_language() {
        let it = italian();
        let platform_errors = [
            PlatformError::BadCredentials,
            PlatformError::SignedOut,
            PlatformError::Refused("no such call".into()),
            PlatformError::Forbidden("not a ticket of the agent's calls".into()),
            PlatformError::Unreachable("network error".into()),
            PlatformError::Server(503),
            PlatformError::Decode("x".into()),
        ];
        let zendesk_errors = [
            ZendeskError::NotFound,
            ZendeskError::Invalid {
                description: "Record validation errors".into(),
                details: serde_json::Value::Null,
            },
            ZendeskError::Closed,
            ZendeskError::RateLimited { retry_after_s: 3 },
            ZendeskError::Unauthorized,
            ZendeskError::Transport("HTTP 503".into()),
            ZendeskError::Server(500),
            ZendeskError::Decode("x".into()),
        ];
        let texts = platform_errors
            .iter()
            .map(|e| (platform(e, &it), e.to_string()))
            .chain(
                zendesk_errors
                    .iter()
                    .map(|e| (zendesk(e, &it), e.to_string())),
            )
            .chain([(zaf(&ZafError::NotInZendesk, &it), String::new())]);
        for (message, english) in texts {
            let english_label = Label::ALL
                .iter()
                .find(|l| it.get(**l) == message.text)
                .map(|l| l.english())
                .expect("a catalogue text");
            assert_ne!(message.text, english_label, "left in English");
            assert_ne!(message.text, english);
        }
        assert_eq!(
            platform(&PlatformError::BadCredentials, &it).text,
            "L'email o la password non sono corrette."
        );
        let m = zendesk(&ZendeskError::Transport("network error: x".into()), &it);
        assert_eq!(m.text, "Zendesk non è raggiungibile.");
        assert_eq!(m.detail, None, "the adapter's own English is no detail");
        let m = platform(&PlatformError::Server(503), &it);
        assert_eq!(
            m.text,
            "Il contact center ha risposto con un errore. Riprova tra poco."
        );
        assert_eq!(m.detail.as_deref(), Some("HTTP 503"));
        // Under an Italian text, a detail is only what a server said, or its status: never
        // the adapter's English ("network error: …", "the ticket was changed by someone else
        // meanwhile", a parser's "missing field").
        let own_words = [
            platform(
                &PlatformError::Unreachable("TypeError: Failed to fetch".into()),
                &it,
            ),
            platform(&PlatformError::Decode("missing field `id`".into()), &it),
            zendesk(&ZendeskError::Conflict, &it),
            zendesk(&ZendeskError::Decode("missing field `user`".into()), &it),
            zendesk(
                &ZendeskError::Transport("network error: timeout".into()),
                &it,
            ),
        ];
        for m in own_words {
            assert_eq!(m.detail, None, "{}", m.text);
        }
        let m = platform(&PlatformError::Refused("nessuna chiamata".into()), &it);
        assert_eq!(
            m.detail.as_deref(),
            Some("nessuna chiamata"),
            "the platform's own words"
        );
        // Reached, and it failed: not said to be unreachable.
        let m = zendesk(&ZendeskError::Server(500), &it);
        assert_eq!(m.text, "Zendesk ha risposto con un errore.");
        assert_eq!(m.detail.as_deref(), Some("HTTP 500"));
    }

    // A line that says the text and its detail together puts the detail inside the sentence:
    // "… con un errore (HTTP 500).", not "… con un errore. (HTTP 500)".
    #[test]
    fn a_detail_said_in_the_sentence_goes_before_its_full_stop() {
        let it = italian();
        let m = zendesk(&ZendeskError::Server(500), &it);
        assert_eq!(
            m.sentence(),
            "Zendesk ha risposto con un errore (HTTP 500)."
        );
        let m = platform(&PlatformError::Server(429), &it);
        assert_eq!(
            m.sentence(),
            "Il contact center è occupato: troppe richieste (HTTP 429). Riprova tra poco."
        );
        let m = platform(&PlatformError::Server(503), &it);
        assert_eq!(
            m.sentence(),
            "Il contact center ha risposto con un errore (HTTP 503). Riprova tra poco."
        );
        let m = platform(
            &PlatformError::Refused("No such call.".into()),
            &Catalogue::default(),
        );
        assert!(
            m.sentence().ends_with(" (No such call)."),
            "{}",
            m.sentence()
        );
        let m = zendesk(&ZendeskError::Unauthorized, &it);
        assert_eq!(m.sentence(), m.text, "no detail: the text as it is");
        let m = Message {
            text: "No stop".into(),
            detail: Some("HTTP 502".into()),
        };
        assert_eq!(m.sentence(), "No stop (HTTP 502)");
        let m = Message {
            text: "Version 1.2 failed.".into(),
            detail: Some("x".into()),
        };
        assert_eq!(
            m.sentence(),
            "Version 1.2 failed (x).",
            "a point inside a word is no stop"
        );
    }
}
