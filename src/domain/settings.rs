//! Settings: Operation Management, Developer Settings and team settings, with their defaults.
//!
//! Spec §0.2 and §3.1. Every field has a serde default so that a Portal that saved nothing, or an
//! older Portal that does not know a newer key, yields the defaults of §0.2 (PRE-4, OQ-1).
//! Values that the Portal must refuse (BATCH-3, BATCH-7, SET-15) are rejected by [`Settings::validate`].
//! SET-4 is not an error: "Create a new ticket" saved as on while the prompt is off is *treated* as
//! off ([`OperationManagement::create_new_ticket_offered`]), as the spec says.

use serde::{Deserialize, Serialize};

/// The smallest batch window the Portal accepts, in seconds (BATCH-3).
pub const MIN_BATCH_FREQUENCY_S: u32 = 1;
/// The largest batch window the Portal accepts, in seconds (BATCH-3).
pub const MAX_BATCH_FREQUENCY_S: u32 = 60;
/// The default and recommended batch window, in seconds (BATCH-3, OQ-1).
pub const DEFAULT_BATCH_FREQUENCY_S: u32 = 10;
/// Placeholders the ticket title template may use (SET-15).
pub const TITLE_PLACEHOLDERS: [&str; 3] = ["{channel}", "{menu_path}", "{contact_name}"];
/// The title used when the template is empty or renders to nothing (SET-15: non-empty fallback).
pub const DEFAULT_TICKET_TITLE: &str = "{channel} from {contact_name} via {menu_path}";

/// Everything the Portal saves that changes the adapter or the Platform's Zendesk writes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Settings > Operation Management.
    pub operation: OperationManagement,
    /// Settings > Developer Settings.
    pub developer: DeveloperSettings,
}

/// Settings > Operation Management (SET-1 … SET-17).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OperationManagement {
    /// "Do not append call or chat session to any existing open ticket" (SET-11, SET-12, OQ-7).
    pub do_not_append: bool,
    /// "Prompt agents to select open ticket from list (when applicable)" (SET-2, SET-3).
    pub prompt_select_open_ticket: bool,
    /// Allow agent to select "Create a new ticket" for outbound calls (SET-4 … SET-6).
    pub allow_create_new_ticket: bool,
    /// Allow agent to select "Do not create a ticket" for outbound calls (SET-7, SET-17).
    pub allow_do_not_create_ticket: bool,
    /// Allow "Use entered number to make call" (SET-9, SET-10).
    pub allow_use_entered_number: bool,
    /// Ticket for abandoned calls (SET-14, TICKET-9).
    pub abandoned_call_ticket: bool,
    /// Global switch of Team-based outbound call ticket entry (TEAM-3, OQ-17).
    pub team_ticket_entry: bool,
    /// Title template of tickets created for SDK chats (SET-15, TICKET-3).
    pub ticket_title: String,
}

impl Default for OperationManagement {
    fn default() -> Self {
        // OQ-1: flexible-outbound toggles off, appending on, abandoned-call tickets on.
        Self {
            do_not_append: false,
            prompt_select_open_ticket: false,
            allow_create_new_ticket: false,
            allow_do_not_create_ticket: false,
            allow_use_entered_number: false,
            abandoned_call_ticket: true,
            team_ticket_entry: false,
            ticket_title: DEFAULT_TICKET_TITLE.to_owned(),
        }
    }
}

impl OperationManagement {
    /// SET-4: "Create a new ticket" counts only while the prompt (SET-3) is on.
    pub fn create_new_ticket_offered(&self) -> bool {
        self.allow_create_new_ticket && self.prompt_select_open_ticket
    }

    /// UPD-1 applies unless SET-11 is on (SET-12, UPD-2, OQ-7: one switch).
    pub fn append_to_open_tickets(&self) -> bool {
        !self.do_not_append
    }
}

/// How API response data is posted as a comment (UPD-16).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiResponseComment {
    /// Not posted (default, OQ-1).
    #[default]
    Off,
    /// One `key: value` line per leaf value.
    KeyValue,
    /// The response as pretty-printed JSON.
    Json,
}

/// Settings > Developer Settings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeveloperSettings {
    /// Whether a Zendesk API token is saved (BATCH-7). The token itself never leaves the Platform.
    pub api_token_configured: bool,
    /// "Batch Frequency"† in whole seconds, 1–60 (BATCH-3).
    pub batch_frequency_s: u32,
    /// "Add Comment"† requests are batched (BATCH-2, BATCH-5).
    pub batch_add_comment: bool,
    /// "Assignment / Ticket Update"† requests are batched (BATCH-2, BATCH-5).
    pub batch_ticket_update: bool,
    /// "Outbound Ticket Settings": the ticket field holding the number to dial; `None` = the
    /// requester's default phone (TEAM-19, OQ-20).
    pub outbound_ticket_phone_field: Option<u64>,
    /// The SDK session ticket fields have been created with "Create" (FIELD-13).
    pub custom_fields_created: bool,
    /// API response data as comment (UPD-16).
    pub api_response_comment: ApiResponseComment,
    /// The default CRM user that owns records no agent owns (TICKET-11, OQ-26, OQ-27).
    pub default_crm_user_id: Option<u64>,
    /// Whether calls are recorded, so that call end writes the recording (UPD-7).
    pub call_recording: bool,
    /// Custom field mapping (UPD-12, AGENT-9): which Zendesk ticket field each SDK custom data
    /// key is written to, the field named by its title or its id. Empty: no mapping in use.
    pub field_mapping: Vec<FieldMapping>,
}

/// One custom data key and the Zendesk ticket field it is written to (UPD-12).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldMapping {
    /// The custom data key the SDK sends.
    pub key: String,
    /// The ticket field: its title (case and surrounding spaces ignored) or its id.
    pub field: String,
}

impl Default for DeveloperSettings {
    fn default() -> Self {
        Self {
            api_token_configured: false,
            batch_frequency_s: DEFAULT_BATCH_FREQUENCY_S,
            batch_add_comment: false,
            batch_ticket_update: false,
            outbound_ticket_phone_field: None,
            custom_fields_created: false,
            api_response_comment: ApiResponseComment::Off,
            default_crm_user_id: None,
            call_recording: true,
            field_mapping: Vec::new(),
        }
    }
}

impl DeveloperSettings {
    /// True when any service is batched (BATCH-5).
    pub fn batching_enabled(&self) -> bool {
        self.batch_add_comment || self.batch_ticket_update
    }
}

/// Per-team "Enable Ticket ID"† / "Required"† (TEAM-5, TEAM-12).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TicketIdEntry {
    /// "Enable Ticket ID"†.
    pub enabled: bool,
    /// "Required"†: Call stays disabled until a usable Ticket ID is entered.
    pub required: bool,
}

/// The agent's team as the Platform reports it at sign-in.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Team {
    /// Platform team id.
    pub id: u64,
    /// Team name, for display.
    pub name: String,
    /// Team-based outbound ticket entry settings.
    pub ticket_id_entry: TicketIdEntry,
}

/// OQ-17: team-based ticket entry applies only when the global switch AND the team's
/// "Enable Ticket ID"† are both on (TEAM-3).
pub fn team_entry_applies(settings: &Settings, team: Option<&Team>) -> bool {
    settings.operation.team_ticket_entry && team.is_some_and(|t| t.ticket_id_entry.enabled)
}

/// A value the Portal must refuse, with the message it shows.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// BATCH-3.
    #[error("Batch Frequency must be a whole number of seconds from 1 to 60 (got {0})")]
    BatchFrequencyOutOfRange(u32),
    /// BATCH-7.
    #[error("API batching needs a Zendesk API token: enter the token before enabling batching")]
    BatchingWithoutToken,
    /// SET-15: the title template names a placeholder that does not exist.
    #[error("Ticket title uses an unknown placeholder {0}; use {{channel}}, {{menu_path}} or {{contact_name}}")]
    UnknownTitlePlaceholder(String),
    /// TEAM-12: "Required"† makes sense only with "Enable Ticket ID"†.
    #[error("Team {0}: \"Required\" needs \"Enable Ticket ID\"")]
    RequiredWithoutEnabled(u64),
    /// The saved JSON is not a settings object.
    #[error("Settings are not valid JSON: {0}")]
    Malformed(String),
    /// SET-4: "Create a new ticket" can be switched on only while the prompt (SET-3) is on.
    #[error("\"Create a new ticket\" can be allowed only while \"Prompt agents to select open ticket from list\" is on")]
    CreateNewTicketNeedsPrompt,
    /// SET-11: with "Do not append" on, every call gets a new ticket: the ticket choices
    /// (prompt, "Create a new ticket") are locked.
    #[error("\"Do not append call or chat session to any existing open ticket\" is on: every call gets a new ticket, so the ticket choices cannot be switched on")]
    TicketChoicesLockedByDoNotAppend,
    /// A key the Portal does not know.
    #[error("Unknown setting {0}")]
    UnknownKey(String),
}

/// One value the Portal refuses: which field (its path in the settings, e.g.
/// `operation.allow_create_new_ticket`) and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The field, as `section.key`.
    pub field: &'static str,
    /// Why it is refused.
    pub error: SettingsError,
}

impl Settings {
    /// Checks every value against what the Portal accepts; the first problem wins.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let dev = &self.developer;
        if !(MIN_BATCH_FREQUENCY_S..=MAX_BATCH_FREQUENCY_S).contains(&dev.batch_frequency_s) {
            return Err(SettingsError::BatchFrequencyOutOfRange(
                dev.batch_frequency_s,
            ));
        }
        if dev.batching_enabled() && !dev.api_token_configured {
            return Err(SettingsError::BatchingWithoutToken);
        }
        if let Some(bad) = unknown_placeholder(&self.operation.ticket_title) {
            return Err(SettingsError::UnknownTitlePlaceholder(bad));
        }
        Ok(())
    }

    /// Everything the Portal refuses in these settings, field by field: the values
    /// ([`Settings::validate`]'s checks) and the dependencies between switches (SET-4: "Create a
    /// new ticket" needs the prompt; SET-11: "Do not append" locks the ticket choices). Empty
    /// when the Portal may save them. The control API of the sandbox checks the values only, so
    /// tests can still reach what the adapter does with a combination the Portal refuses (SET-4:
    /// treated as off).
    pub fn problems(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        let dev = &self.developer;
        let op = &self.operation;
        if !(MIN_BATCH_FREQUENCY_S..=MAX_BATCH_FREQUENCY_S).contains(&dev.batch_frequency_s) {
            out.push(Problem {
                field: "developer.batch_frequency_s",
                error: SettingsError::BatchFrequencyOutOfRange(dev.batch_frequency_s),
            });
        }
        if dev.batching_enabled() && !dev.api_token_configured {
            let field = if dev.batch_add_comment {
                "developer.batch_add_comment"
            } else {
                "developer.batch_ticket_update"
            };
            out.push(Problem {
                field,
                error: SettingsError::BatchingWithoutToken,
            });
        }
        if let Some(bad) = unknown_placeholder(&op.ticket_title) {
            out.push(Problem {
                field: "operation.ticket_title",
                error: SettingsError::UnknownTitlePlaceholder(bad),
            });
        }
        if op.do_not_append && (op.prompt_select_open_ticket || op.allow_create_new_ticket) {
            let field = if op.prompt_select_open_ticket {
                "operation.prompt_select_open_ticket"
            } else {
                "operation.allow_create_new_ticket"
            };
            out.push(Problem {
                field,
                error: SettingsError::TicketChoicesLockedByDoNotAppend,
            });
        } else if op.allow_create_new_ticket && !op.prompt_select_open_ticket {
            out.push(Problem {
                field: "operation.allow_create_new_ticket",
                error: SettingsError::CreateNewTicketNeedsPrompt,
            });
        }
        out
    }

    /// Settings as the adapter applies them when the platform sends values the Portal would
    /// have refused (an older Portal, a hand edit): each bad value is replaced by the safe one
    /// (batch window clamped to 1-60 s, batching without a token off, a title with an unknown
    /// placeholder back to the default), the rest kept; returns what was replaced.
    pub fn sanitized(mut self) -> (Settings, Vec<SettingsError>) {
        let mut fixed = Vec::new();
        let dev = &mut self.developer;
        if !(MIN_BATCH_FREQUENCY_S..=MAX_BATCH_FREQUENCY_S).contains(&dev.batch_frequency_s) {
            fixed.push(SettingsError::BatchFrequencyOutOfRange(
                dev.batch_frequency_s,
            ));
            dev.batch_frequency_s = dev
                .batch_frequency_s
                .clamp(MIN_BATCH_FREQUENCY_S, MAX_BATCH_FREQUENCY_S);
        }
        if dev.batching_enabled() && !dev.api_token_configured {
            fixed.push(SettingsError::BatchingWithoutToken);
            dev.batch_add_comment = false;
            dev.batch_ticket_update = false;
        }
        if let Some(bad) = unknown_placeholder(&self.operation.ticket_title) {
            fixed.push(SettingsError::UnknownTitlePlaceholder(bad));
            self.operation.ticket_title = DEFAULT_TICKET_TITLE.to_owned();
        }
        debug_assert!(self.validate().is_ok());
        (self, fixed)
    }

    /// Parses saved settings; missing keys take their defaults (PRE-4), then validates.
    pub fn from_json(json: &str) -> Result<Self, SettingsError> {
        let settings: Settings = if json.trim().is_empty() {
            Settings::default()
        } else {
            serde_json::from_str(json).map_err(|e| SettingsError::Malformed(e.to_string()))?
        };
        settings.validate()?;
        Ok(settings)
    }
}

impl Team {
    /// Checks the team's entry switches (TEAM-12).
    pub fn validate(&self) -> Result<(), SettingsError> {
        if self.ticket_id_entry.required && !self.ticket_id_entry.enabled {
            return Err(SettingsError::RequiredWithoutEnabled(self.id));
        }
        Ok(())
    }
}

fn unknown_placeholder(template: &str) -> Option<String> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let after = &rest[start..];
        let end = after.find('}')?;
        let name = &after[..=end];
        if !TITLE_PLACEHOLDERS.contains(&name) {
            return Some(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    None
}

/// Renders the SDK chat ticket title (SET-15, TICKET-3). An empty template, or one that renders
/// to blanks only, falls back to [`DEFAULT_TICKET_TITLE`] so a ticket never has an empty subject.
pub fn render_ticket_title(
    template: &str,
    channel: &str,
    menu_path: &str,
    contact_name: &str,
) -> String {
    let fill = |t: &str| {
        t.replace("{channel}", channel)
            .replace("{menu_path}", menu_path)
            .replace("{contact_name}", contact_name)
            .trim()
            .to_owned()
    };
    let rendered = fill(template);
    if rendered.is_empty() {
        fill(DEFAULT_TICKET_TITLE)
    } else {
        rendered
    }
}

#[cfg(test)]
mod tests {
    // The Portal's checks, field by field: SET-4 and SET-11 dependencies, BATCH-3 range, BATCH-7
    // (BATCH-6: batching is the admin's, saved only through these checks), SET-15 placeholders.
    #[test]
    fn portal_problems_name_the_field() {
        use super::*;
        let ok = Settings::default();
        assert!(ok.problems().is_empty());
        let mut s = Settings::default();
        s.operation.allow_create_new_ticket = true;
        assert_eq!(
            s.problems(),
            vec![Problem {
                field: "operation.allow_create_new_ticket",
                error: SettingsError::CreateNewTicketNeedsPrompt
            }]
        );
        s.operation.prompt_select_open_ticket = true;
        assert!(s.problems().is_empty(), "SET-4 with the prompt on");
        s.operation.do_not_append = true;
        assert_eq!(
            s.problems()[0].field,
            "operation.prompt_select_open_ticket",
            "SET-11 locks the choices"
        );
        let mut s = Settings::default();
        s.operation.do_not_append = true;
        s.operation.allow_do_not_create_ticket = true;
        assert!(s.problems().is_empty(), "SET-11 keeps \"Do not create\"");
        let mut s = Settings::default();
        s.developer.batch_frequency_s = 61;
        s.developer.batch_ticket_update = true;
        s.operation.ticket_title = "{nope}".into();
        let fields: Vec<_> = s.problems().iter().map(|p| p.field).collect();
        assert_eq!(
            fields,
            vec![
                "developer.batch_frequency_s",
                "developer.batch_ticket_update",
                "operation.ticket_title"
            ]
        );
    }

    use super::*;

    // PRE-4, OQ-1: no saved configuration = the defaults of §0.2.
    #[test]
    fn empty_config_gives_defaults() {
        let s = Settings::from_json("{}").unwrap();
        assert_eq!(s, Settings::default());
        assert_eq!(Settings::from_json("").unwrap(), Settings::default());
        let op = &s.operation;
        assert!(!op.do_not_append && op.append_to_open_tickets());
        assert!(!op.prompt_select_open_ticket);
        assert!(!op.allow_create_new_ticket && !op.allow_do_not_create_ticket);
        assert!(!op.allow_use_entered_number && !op.team_ticket_entry);
        assert!(op.abandoned_call_ticket);
        let dev = &s.developer;
        assert_eq!(dev.batch_frequency_s, 10);
        assert!(!dev.batch_add_comment && !dev.batch_ticket_update);
        assert_eq!(dev.outbound_ticket_phone_field, None);
        assert_eq!(dev.api_response_comment, ApiResponseComment::Off);
    }

    // PRE-4: a partial config keeps defaults for the keys it does not name.
    #[test]
    fn partial_config_keeps_other_defaults() {
        let s = Settings::from_json(r#"{"operation":{"prompt_select_open_ticket":true}}"#).unwrap();
        assert!(s.operation.prompt_select_open_ticket);
        assert!(s.operation.abandoned_call_ticket);
        assert_eq!(s.developer.batch_frequency_s, 10);
    }

    // BATCH-3: 1..=60 accepted, anything else refused with a clear message.
    #[test]
    fn batch_frequency_range() {
        for ok in [1, 10, 60] {
            let mut s = Settings::default();
            s.developer.batch_frequency_s = ok;
            assert_eq!(s.validate(), Ok(()));
        }
        for bad in [0, 61, 1000] {
            let mut s = Settings::default();
            s.developer.batch_frequency_s = bad;
            let err = s.validate().unwrap_err();
            assert_eq!(err, SettingsError::BatchFrequencyOutOfRange(bad));
            assert!(err.to_string().contains("1 to 60"));
        }
        let err = Settings::from_json(r#"{"developer":{"batch_frequency_s":2.5}}"#).unwrap_err();
        assert!(
            matches!(err, SettingsError::Malformed(_)),
            "whole seconds only"
        );
    }

    // BATCH-7, BATCH-8: batching cannot be saved as enabled without an API token.
    #[test]
    fn batching_needs_token() {
        let mut s = Settings::default();
        s.developer.batch_add_comment = true;
        assert_eq!(s.validate(), Err(SettingsError::BatchingWithoutToken));
        s.developer.api_token_configured = true;
        assert_eq!(s.validate(), Ok(()));
    }

    // SET-4: "Create a new ticket" is treated as off while the prompt is off.
    #[test]
    fn create_new_needs_prompt() {
        let mut op = OperationManagement {
            allow_create_new_ticket: true,
            ..Default::default()
        };
        assert!(!op.create_new_ticket_offered());
        op.prompt_select_open_ticket = true;
        assert!(op.create_new_ticket_offered());
    }

    // TEAM-3, OQ-17: the global switch AND the team's switch.
    #[test]
    fn team_entry_needs_both_switches() {
        let mut s = Settings::default();
        let mut team = Team {
            id: 7,
            ..Default::default()
        };
        assert!(!team_entry_applies(&s, Some(&team)));
        team.ticket_id_entry.enabled = true;
        assert!(!team_entry_applies(&s, Some(&team)));
        s.operation.team_ticket_entry = true;
        assert!(team_entry_applies(&s, Some(&team)));
        assert!(!team_entry_applies(&s, None));
        team.ticket_id_entry.enabled = false;
        assert!(!team_entry_applies(&s, Some(&team)));
    }

    // TEAM-12: "Required" needs "Enable Ticket ID".
    #[test]
    fn team_required_needs_enabled() {
        let mut team = Team {
            id: 3,
            ..Default::default()
        };
        team.ticket_id_entry.required = true;
        assert_eq!(
            team.validate(),
            Err(SettingsError::RequiredWithoutEnabled(3))
        );
        team.ticket_id_entry.enabled = true;
        assert_eq!(team.validate(), Ok(()));
    }

    // SET-15: placeholders, unknown ones refused, non-empty fallback.
    #[test]
    fn ticket_title_template() {
        assert_eq!(
            render_ticket_title(
                "Chat: {contact_name} ({menu_path})",
                "Chat",
                "Sales > EU",
                "Ann"
            ),
            "Chat: Ann (Sales > EU)"
        );
        assert_eq!(
            render_ticket_title("   ", "Chat", "Sales", "Ann"),
            "Chat from Ann via Sales"
        );
        let mut s = Settings::default();
        s.operation.ticket_title = "Hi {name}".into();
        assert_eq!(
            s.validate(),
            Err(SettingsError::UnknownTitlePlaceholder("{name}".into()))
        );
    }

    // Serialisation round trip: the platform and the sandbox exchange these as JSON.
    #[test]
    fn round_trip() {
        let mut s = Settings::default();
        s.developer.api_response_comment = ApiResponseComment::KeyValue;
        s.developer.outbound_ticket_phone_field = Some(360_001_234_567_890);
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"key_value\""));
        assert_eq!(serde_json::from_str::<Settings>(&json).unwrap(), s);
    }

    // "Trust and failure": settings are checked on receipt; what the Portal would have refused
    // is replaced by its safe value, the rest kept.
    #[test]
    fn sanitized_replaces_each_refused_value_and_keeps_the_rest() {
        let mut bad = Settings::default();
        bad.operation.prompt_select_open_ticket = true;
        bad.developer.batch_frequency_s = 0;
        bad.developer.batch_add_comment = true;
        bad.operation.ticket_title = "{channel} for {who}".into();
        let (s, fixed) = bad.clone().sanitized();
        assert!(s.validate().is_ok());
        assert_eq!(s.developer.batch_frequency_s, MIN_BATCH_FREQUENCY_S);
        assert!(
            !s.developer.batching_enabled(),
            "BATCH-7: no token, no batching"
        );
        assert_eq!(s.operation.ticket_title, DEFAULT_TICKET_TITLE);
        assert!(s.operation.prompt_select_open_ticket, "valid values kept");
        assert_eq!(
            fixed,
            vec![
                SettingsError::BatchFrequencyOutOfRange(0),
                SettingsError::BatchingWithoutToken,
                SettingsError::UnknownTitlePlaceholder("{who}".into()),
            ]
        );
        bad.developer.batch_frequency_s = 600;
        assert_eq!(
            bad.sanitized().0.developer.batch_frequency_s,
            MAX_BATCH_FREQUENCY_S
        );
        let good = Settings::default();
        assert_eq!(good.clone().sanitized(), (good, vec![]));
    }
}
