//! What the dial screen tests share: the outbound options and the context a screen opens with.

use domain::dial::{DialContext, OutboundNumber, OutboundOptions};
use domain::settings::{Settings, Team};

/// Two outbound numbers (Support is the default) and two languages.
pub fn options() -> OutboundOptions {
    OutboundOptions {
        languages: vec!["en".into(), "it".into()],
        numbers: vec![
            OutboundNumber {
                number: "+15550001".into(),
                label: "Sales".into(),
                queue_id: 1,
                lang: "en".into(),
                default: false,
            },
            OutboundNumber {
                number: "+15550002".into(),
                label: "Support".into(),
                queue_id: 1,
                lang: "en".into(),
                default: true,
            },
        ],
    }
}

/// The context of a screen opened by a US agent speaking English.
pub fn ctx(settings: Settings, team: Option<Team>) -> DialContext {
    DialContext {
        settings,
        team,
        region: "US".into(),
        agent_language: "en".into(),
        options: options(),
        remembered: Default::default(),
    }
}
