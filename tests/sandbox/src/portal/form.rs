//! Form posts and what the portal refuses in them, each problem tied to the control it is about.

use std::collections::BTreeMap;

use domain::settings::{Problem, SettingsError};

use super::Page;

/// A form post (`application/x-www-form-urlencoded`), by key; a key sent twice keeps one value.
pub(crate) struct Form(BTreeMap<String, String>);

impl Form {
    /// Decodes a form body (percent-encoding, `+` as space; bytes that are not UTF-8 replaced).
    pub(crate) fn parse(body: &[u8]) -> Form {
        let text = String::from_utf8_lossy(body);
        Form(crate::zendesk::parse_query(&text).into_iter().collect())
    }

    /// The value sent for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    /// A checkbox: on when sent as `on` (or `true`, `1`), off when not sent (or sent as `off`,
    /// `false`, `0`, empty). A disabled checkbox is not sent; the portal disables a switch only
    /// while it is off (see [`super::html::Control::locked`]), so "not sent" also keeps a
    /// disabled switch's saved value.
    pub(crate) fn checkbox(&self, key: &str, field: &str) -> Result<bool, FormProblem> {
        match self.get(key).map(str::trim) {
            None | Some("" | "off" | "false" | "0") => Ok(false),
            Some("on" | "true" | "1") => Ok(true),
            Some(other) => Err(FormProblem::new(
                field,
                format!("{key}: \"{other}\" is not on or off"),
            )),
        }
    }

    /// A problem for every key `known` does not accept (SettingsError::UnknownKey).
    pub(crate) fn unknown_keys(&self, known: impl Fn(&str) -> bool) -> Vec<FormProblem> {
        self.0
            .keys()
            .filter(|k| !known(k))
            .map(|k| FormProblem::new(FORM, SettingsError::UnknownKey(k.clone()).to_string()))
            .collect()
    }
}

/// The field of a problem that is about the form as a whole (an unknown key): no control.
pub(crate) const FORM: &str = "form";

/// One value the portal refuses: the field (`section.key`, e.g.
/// `operation.allow_create_new_ticket`, `teams.3.required`) and the message shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct FormProblem {
    /// The field, as a path with dots.
    pub field: String,
    /// What is wrong, for the administrator.
    pub message: String,
}

impl FormProblem {
    /// A problem of `field`.
    pub(crate) fn new(field: &str, message: impl Into<String>) -> Self {
        Self {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// The id of the element that shows the message beside the control: `error-` and the field
    /// with its dots as dashes (`error-operation-allow_create_new_ticket`).
    pub(crate) fn error_id(field: &str) -> String {
        format!("error-{}", field.replace('.', "-"))
    }
}

impl From<Problem> for FormProblem {
    fn from(p: Problem) -> Self {
        FormProblem::new(p.field, p.error.to_string())
    }
}

/// The messages of the problems of `field`, one sentence after the other; None without any.
pub(crate) fn messages_of(field: &str, problems: &[FormProblem]) -> Option<String> {
    let found: Vec<&str> = problems
        .iter()
        .filter(|p| p.field == field)
        .map(|p| p.message.as_str())
        .collect();
    (!found.is_empty()).then(|| found.join(" "))
}

/// The form key and control id of each Developer Settings field.
pub(crate) const DEVELOPER_CONTROLS: [(&str, &str); 12] = [
    ("api_email", "dev-api-email"),
    ("api_token", "dev-api-token"),
    ("default_user", "dev-default-user"),
    ("default_crm_user_id", "dev-default-user-id"),
    ("batch_add_comment", "dev-batch-add-comment"),
    ("batch_ticket_update", "dev-batch-ticket-update"),
    ("batch_frequency_s", "dev-batch-frequency"),
    ("api_response_comment", "dev-api-response"),
    ("call_recording", "dev-call-recording"),
    ("field_mapping", "dev-field-mapping"),
    ("outbound_ticket_field", "dev-outbound-ticket-field"),
    (
        "outbound_ticket_phone_field",
        "dev-outbound-ticket-field-id",
    ),
];

/// The page and the control id of `field`; None for a problem with no control (an unknown key).
pub(crate) fn control_of(field: &str) -> Option<(Page, String)> {
    let parts: Vec<&str> = field.split('.').collect();
    match parts.as_slice() {
        ["operation", key] => Some((Page::Operation, format!("om-{key}"))),
        ["developer", key] => DEVELOPER_CONTROLS
            .iter()
            .find(|(name, _)| name == key)
            .map(|(_, id)| (Page::Developer, (*id).to_owned())),
        ["teams", team, key] => Some((Page::Teams, format!("team-{team}-{key}"))),
        ["queues", queue, "outbound_number"] => {
            Some((Page::Queue, format!("queue-{queue}-number")))
        }
        ["queues", queue, "instant_voice_call"] => {
            Some((Page::Queue, format!("queue-{queue}-instant")))
        }
        ["queues", queue, key] => Some((Page::Queue, format!("queue-{queue}-{key}"))),
        _ => None,
    }
}

/// A whole number in `field`, or the problem that names it.
pub(crate) fn number<T: std::str::FromStr>(
    text: &str,
    field: &str,
    what: &str,
) -> Result<T, FormProblem> {
    let text = text.trim();
    text.parse()
        .map_err(|_| FormProblem::new(field, format!("{what}: \"{text}\" is not a whole number")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_checkboxes_and_names_unknown_keys() {
        let form = Form::parse(b"do_not_append=on&ticket_title=A+%7Bchannel%7D&bogus=1");
        assert_eq!(
            form.checkbox("do_not_append", "operation.do_not_append"),
            Ok(true)
        );
        assert_eq!(form.checkbox("missing", "operation.missing"), Ok(false));
        assert_eq!(form.get("ticket_title"), Some("A {channel}"));
        let unknown = form.unknown_keys(|k| k != "bogus");
        assert_eq!(unknown.len(), 1);
        assert_eq!(unknown[0].message, "Unknown setting bogus");
        assert!(Form::parse(b"x=maybe").checkbox("x", "f").is_err());
    }

    #[test]
    fn maps_fields_to_controls() {
        assert_eq!(
            control_of("operation.allow_create_new_ticket"),
            Some((Page::Operation, "om-allow_create_new_ticket".into()))
        );
        assert_eq!(
            control_of("developer.batch_frequency_s"),
            Some((Page::Developer, "dev-batch-frequency".into()))
        );
        assert_eq!(
            control_of("developer.outbound_ticket_phone_field"),
            Some((Page::Developer, "dev-outbound-ticket-field-id".into()))
        );
        assert_eq!(
            control_of("teams.3.required"),
            Some((Page::Teams, "team-3-required".into()))
        );
        assert_eq!(control_of(FORM), None);
        assert_eq!(
            FormProblem::error_id("operation.allow_create_new_ticket"),
            "error-operation-allow_create_new_ticket"
        );
    }

    #[test]
    fn a_percent_before_a_multibyte_character_is_kept() {
        let form = Form::parse("t=%a\u{e9}".as_bytes());
        assert_eq!(form.get("t"), Some("%a\u{e9}"));
    }
}
