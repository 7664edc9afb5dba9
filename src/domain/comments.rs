//! The exact plain text of every internal comment the integration writes.
//!
//! Each function returns the body of one comment (`public: false` is the writer's business,
//! Zendesk §5.3). The words come from the [`Catalogue`], so a translated catalogue translates the
//! comments; the data (ids, numbers, values) is never translated. Lines are `Key: value`, one per
//! line, under a heading line, so agents can read them and scripts can parse them.

use serde::{Deserialize, Serialize};

use crate::labels::{Catalogue, Label};
use crate::settings::ApiResponseComment;

/// Formats seconds as `m:ss` (or `h:mm:ss` from one hour), the form call durations are read in.
pub fn format_duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, (seconds / 60) % 60, seconds % 60);
    if h > 0 {
        format!("{h}:{m:02}:{s:02}")
    } else {
        format!("{m}:{s:02}")
    }
}

fn heading_and_lines(heading: &str, lines: &[(String, String)]) -> String {
    let mut out = heading.to_owned();
    for (k, v) in lines {
        out.push('\n');
        out.push_str(k);
        out.push_str(": ");
        out.push_str(v);
    }
    out
}

/// AGENT-6: the standard data written right after a ticket is created (or a session appended):
/// call ID (chat ID for chats), language and inbound menu selection.
pub fn standard_data(
    cat: &Catalogue,
    session_id: &str,
    is_chat: bool,
    language: &str,
    menu: &str,
) -> String {
    let (heading, id_label) = if is_chat {
        (Label::ChatStandardData, Label::ChatId)
    } else {
        (Label::StandardData, Label::CallId)
    };
    let mut lines = vec![
        (cat.get(id_label).to_owned(), session_id.to_owned()),
        (cat.get(Label::Language).to_owned(), language.to_owned()),
    ];
    if !menu.is_empty() {
        lines.push((cat.get(Label::MenuSelection).to_owned(), menu.to_owned()));
    }
    heading_and_lines(cat.get(heading), &lines)
}

/// AGENT-8: custom data sent by the SDK, one line per item, in the order received.
pub fn custom_data(cat: &Catalogue, items: &[(String, String)]) -> String {
    heading_and_lines(cat.get(Label::CustomData), items)
}

/// UPD-7, AGENT-7: a recording that arrived after the call's end was logged, as a comment.
pub fn recording(cat: &Catalogue, url: &str) -> String {
    format!("{}: {url}", cat.get(Label::Recording))
}

/// UPD-7, UPD-8, AGENT-7: the "call_finished" record, with the recording link when recorded.
pub fn call_finished(
    cat: &Catalogue,
    call_id: &str,
    duration_s: u64,
    recording_url: Option<&str>,
) -> String {
    let mut lines = vec![
        (cat.get(Label::CallId).to_owned(), call_id.to_owned()),
        (
            cat.get(Label::Duration).to_owned(),
            format_duration(duration_s),
        ),
    ];
    if let Some(url) = recording_url.filter(|u| !u.is_empty()) {
        lines.push((cat.get(Label::Recording).to_owned(), url.to_owned()));
    }
    heading_and_lines(cat.get(Label::CallFinished), &lines)
}

/// FLOW-10, SET-10, CONTACT-6: the number dialled with "Use entered number to make call",
/// recorded on the ticket because it is never written to the contact.
pub fn dialled_number(cat: &Catalogue, e164: &str, extension: Option<&str>) -> String {
    let mut out = format!("{}: {e164}", cat.get(Label::DialledNumber));
    if let Some(ext) = extension {
        out.push_str(&format!("\n{}: {ext}", cat.get(Label::Extension)));
    }
    out
}

/// UPD-10: a completed Smart Action: its results and the files shared.
pub fn smart_action_result(
    cat: &Catalogue,
    action: &str,
    results: &[(String, String)],
    files: &[String],
) -> String {
    let mut out = heading_and_lines(
        &format!("{}: {action}", cat.get(Label::SmartActionCompleted)),
        results,
    );
    if !files.is_empty() {
        out.push_str(&format!(
            "\n{}: {}",
            cat.get(Label::Files),
            files.join(", ")
        ));
    }
    out
}

/// UPD-11, OQ-34: a failed Smart Action with its error message, whatever the cause.
pub fn smart_action_failure(cat: &Catalogue, action: &str, message: &str) -> String {
    format!(
        "{}: {action}\n{}: {message}",
        cat.get(Label::SmartActionFailed),
        cat.get(Label::Error)
    )
}

/// UPD-14: the customer's rating of a mobile call or chat.
pub fn csat(cat: &Catalogue, score: u8, max: u8) -> String {
    format!(
        "{}\n{}: {score}/{max}",
        cat.get(Label::CustomerSatisfaction),
        cat.get(Label::Score)
    )
}

/// What an agent did with a voicemail (UPD-15).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicemailAction {
    /// Listened to / opened.
    Read,
    /// Closed.
    Closed,
    /// Called the customer back.
    CalledBack,
}

/// UPD-15: a voicemail read, closed or called back, with the agent's name.
pub fn voicemail(cat: &Catalogue, action: VoicemailAction, agent_name: &str) -> String {
    let label = match action {
        VoicemailAction::Read => Label::VoicemailRead,
        VoicemailAction::Closed => Label::VoicemailClosed,
        VoicemailAction::CalledBack => Label::VoicemailCalledBack,
    };
    format!(
        "{}\n{}: {agent_name}",
        cat.get(label),
        cat.get(Label::Agent)
    )
}

/// UPD-9: the session was transferred to another agent.
pub fn transferred(cat: &Catalogue, agent_name: &str) -> String {
    format!("{}: {agent_name}", cat.get(Label::TransferredTo))
}

/// UPD-16, OQ-31: an API response as key-value lines (nested keys joined with `.`, array items
/// by index) or as pretty-printed JSON. `Off` gives `None`: nothing is posted.
pub fn api_response(
    cat: &Catalogue,
    format: ApiResponseComment,
    source: &str,
    data: &serde_json::Value,
) -> Option<String> {
    let heading = format!("{}: {source}", cat.get(Label::ApiResponse));
    match format {
        ApiResponseComment::Off => None,
        ApiResponseComment::Json => {
            let json = serde_json::to_string_pretty(data).unwrap_or_else(|_| data.to_string());
            Some(format!("{heading}\n{json}"))
        }
        ApiResponseComment::KeyValue => {
            let mut lines = Vec::new();
            flatten("", data, &mut lines);
            Some(heading_and_lines(&heading, &lines))
        }
    }
}

fn flatten(prefix: &str, value: &serde_json::Value, out: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let join = |k: &str| {
        if prefix.is_empty() {
            k.to_owned()
        } else {
            format!("{prefix}.{k}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                flatten(&join(k), v, out);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, v) in items.iter().enumerate() {
                flatten(&join(&i.to_string()), v, out);
            }
        }
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
        other => out.push((prefix.to_owned(), other.to_string())),
    }
}

/// UPD-13: a data item arrived for which no Zendesk field is mapped.
pub fn no_designated_field(cat: &Catalogue, key: &str, value: &str) -> String {
    format!("{} \"{key}\": {value}", cat.get(Label::NoDesignatedField))
}

/// CONTACT-8: the temporary name of a contact created from a phone number.
pub fn caller_name(cat: &Catalogue, e164: &str) -> String {
    format!("{} {e164}", cat.get(Label::CallerNamePrefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn en() -> Catalogue {
        Catalogue::english()
    }

    // AGENT-6: call ID, language and menu selection.
    #[test]
    fn standard_data_text() {
        assert_eq!(
            standard_data(&en(), "C-42", false, "en", "Support > Billing"),
            "Call details\nCall ID: C-42\nLanguage: en\nMenu selection: Support > Billing"
        );
        assert_eq!(
            standard_data(&en(), "H-7", true, "it", ""),
            "Chat details\nChat ID: H-7\nLanguage: it"
        );
    }

    // AGENT-8: custom data as an internal comment.
    #[test]
    fn custom_data_text() {
        let items = vec![
            ("order".to_owned(), "A-1".to_owned()),
            ("tier".to_owned(), "gold".to_owned()),
        ];
        assert_eq!(
            custom_data(&en(), &items),
            "Custom data\norder: A-1\ntier: gold"
        );
    }

    // UPD-7, AGENT-7: call finished with the recording.
    #[test]
    fn call_finished_text() {
        assert_eq!(
            call_finished(&en(), "C-1", 75, Some("https://rec/1.mp3")),
            "Call finished\nCall ID: C-1\nDuration: 1:15\nRecording: https://rec/1.mp3"
        );
        assert_eq!(
            call_finished(&en(), "C-1", 3725, None),
            "Call finished\nCall ID: C-1\nDuration: 1:02:05"
        );
    }

    // FLOW-10: the dialled number is recorded on the ticket.
    #[test]
    fn dialled_number_text() {
        assert_eq!(
            dialled_number(&en(), "+14155552671", None),
            "Dialled number (not saved on the contact): +14155552671"
        );
        assert!(dialled_number(&en(), "+14155552671", Some("12")).ends_with("\nExtension: 12"));
    }

    // UPD-10, UPD-11, OQ-34.
    #[test]
    fn smart_action_texts() {
        let r = vec![("verified".to_owned(), "yes".to_owned())];
        assert_eq!(
            smart_action_result(&en(), "Verify", &r, &["id.png".into()]),
            "Smart Action completed: Verify\nverified: yes\nFiles: id.png"
        );
        assert_eq!(
            smart_action_failure(&en(), "Fingerprint", "fingerprint login not enabled"),
            "Smart Action failed: Fingerprint\nError: fingerprint login not enabled"
        );
    }

    // UPD-14, UPD-15, UPD-9.
    #[test]
    fn csat_voicemail_transfer_texts() {
        assert_eq!(
            csat(&en(), 4, 5),
            "Customer satisfaction rating\nScore: 4/5"
        );
        assert_eq!(
            voicemail(&en(), VoicemailAction::Read, "Ann"),
            "Voicemail read\nAgent: Ann"
        );
        assert_eq!(
            voicemail(&en(), VoicemailAction::Closed, "Ann"),
            "Voicemail closed\nAgent: Ann"
        );
        assert_eq!(
            voicemail(&en(), VoicemailAction::CalledBack, "Bo"),
            "Voicemail called back\nAgent: Bo"
        );
        assert_eq!(transferred(&en(), "Bo"), "Transferred to agent: Bo");
    }

    // UPD-16, OQ-31: key-value and JSON, off posts nothing.
    #[test]
    fn api_response_formats() {
        let data = json!({"order": {"id": 7, "items": ["a", "b"]}, "ok": true});
        assert_eq!(
            api_response(&en(), ApiResponseComment::Off, "crm", &data),
            None
        );
        assert_eq!(
            api_response(&en(), ApiResponseComment::KeyValue, "crm", &data).unwrap(),
            "API response: crm\nok: true\norder.id: 7\norder.items.0: a\norder.items.1: b"
        );
        let j = api_response(&en(), ApiResponseComment::Json, "crm", &data).unwrap();
        assert!(j.starts_with("API response: crm\n{"));
        let body: serde_json::Value = serde_json::from_str(j.split_once('\n').unwrap().1).unwrap();
        assert_eq!(body, data);
    }

    // UPD-16, OQ-31: an empty object or list in the response is still a line of its own, so the
    // agent sees the key came back empty rather than missing. Used to survive mutation testing:
    // either emptiness guard forced true, which dropped those keys.
    #[test]
    fn api_response_keeps_empty_values() {
        let data = json!({"tags": [], "extra": {}, "order": {"lines": [], "id": 7}});
        assert_eq!(
            api_response(&en(), ApiResponseComment::KeyValue, "crm", &data).unwrap(),
            "API response: crm\nextra: {}\norder.id: 7\norder.lines: []\ntags: []"
        );
    }

    // UPD-13: the comment names the data key.
    #[test]
    fn no_designated_field_text() {
        assert_eq!(
            no_designated_field(&en(), "loyalty", "gold"),
            "No designated field found for \"loyalty\": gold"
        );
    }

    // Words come from the catalogue: a translation changes them, data stays.
    #[test]
    fn translated_words() {
        let mut it = Catalogue {
            language: "it".into(),
            ..Default::default()
        };
        it.words
            .insert(Label::CallFinished, "Chiamata terminata".into());
        it.words.insert(Label::Duration, "Durata".into());
        assert_eq!(
            call_finished(&it, "C-1", 5, None),
            "Chiamata terminata\nCall ID: C-1\nDurata: 0:05"
        );
        assert_eq!(caller_name(&en(), "+15551234567"), "Caller +15551234567");
    }
}
