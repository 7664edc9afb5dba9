//! What the agent reads when something fails: every error of Zendesk, the platform or ZAF is
//! mapped to a catalogue text in the agent's language. The raw detail (a server's own words,
//! an HTTP status) may follow on a smaller line; it is never the only thing said.

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
        PlatformError::Unreachable(why) => {
            Message::of(cat, Label::ErrPlatformUnreachable, Some(why.clone()))
        }
        PlatformError::Server(status) => Message::of(
            cat,
            Label::ErrPlatformServer,
            Some(format!("HTTP {status}")),
        ),
        PlatformError::Decode(why) => {
            Message::of(cat, Label::ErrPlatformUnexpected, Some(why.clone()))
        }
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
        ZendeskError::Conflict => {
            Message::of(cat, Label::ErrZendeskRefused, Some(error.to_string()))
        }
        ZendeskError::RateLimited { .. } => Message::of(cat, Label::ErrZendeskBusy, None),
        ZendeskError::Unauthorized => Message::of(cat, Label::ErrZendeskDenied, None),
        ZendeskError::Forbidden => Message::of(cat, Label::ErrZendeskForbidden, None),
        ZendeskError::Transport(why) => {
            Message::of(cat, Label::ErrZendeskUnreachable, Some(why.clone()))
        }
        ZendeskError::Server(status) => {
            Message::of(cat, Label::ErrZendeskServer, Some(format!("HTTP {status}")))
        }
        ZendeskError::Decode(why) => {
            Message::of(cat, Label::ErrZendeskUnexpected, Some(why.clone()))
        }
    }
}

/// Why the adapter cannot start in this page.
pub fn zaf(error: &ZafError, cat: &Catalogue) -> Message {
    match error {
        ZafError::ForeignHost(why) => Message::of(cat, Label::ErrForeignHost, Some(why.clone())),
        _ => Message::of(cat, Label::ErrZafUnavailable, Some(error.to_string())),
    }
}

/// Why the adapter will not send the agent's password to the configured platform.
pub fn origin(error: &crate::origins::OriginError, cat: &Catalogue) -> Message {
    match error {
        crate::origins::OriginError::ForeignHost(why) => {
            Message::of(cat, Label::ErrForeignHost, Some(why.clone()))
        }
        crate::origins::OriginError::InsecurePlatform(why) => {
            Message::of(cat, Label::ErrInsecurePlatform, Some(why.clone()))
        }
    }
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
        let m = zendesk(&ZendeskError::Transport("HTTP 503".into()), &it);
        assert_eq!(m.text, "Zendesk non è raggiungibile.");
        assert_eq!(m.detail.as_deref(), Some("HTTP 503"));
        let m = platform(&PlatformError::Server(503), &it);
        assert_eq!(
            m.text,
            "Il contact center ha risposto con un errore. Riprova tra poco."
        );
        assert_eq!(m.detail.as_deref(), Some("HTTP 503"));
        // Reached, and it failed: not said to be unreachable.
        let m = zendesk(&ZendeskError::Server(500), &it);
        assert_eq!(m.text, "Zendesk ha risposto con un errore.");
        assert_eq!(m.detail.as_deref(), Some("HTTP 500"));
    }
}
