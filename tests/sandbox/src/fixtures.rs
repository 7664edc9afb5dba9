//! Named fixtures: the state the sandbox starts from and `POST /_sandbox/reset` returns to.
//!
//! - `default`: the MATRIX of the spec (a number on 0, 1 and 2 contacts × 0, 1 and 2 open tickets
//!   on each contact; every matrix contact also has a solved ticket), a closed ticket, a merged
//!   pair, a contact whose second number is an identity, three agents in teams with ticket ID
//!   entry off, optional and required, three outbound numbers in three languages (one IVR queue
//!   each, every team assigned), every flexible-outbound option on, and the platform
//!   administrator who signs in to the portal ([`ADMIN_EMAIL`]).
//! - `batching`: `default` with Add Comment and Ticket Update batched (10 s window).
//! - `empty`: the agents and nothing else.
//!
//! A JSON file (a serialised [`Fixture`]) can be loaded too: `--fixture path/to/file.json`.
//! Every id is above `u32::MAX`, as real Zendesk ids are, so a client storing ids in 32 bits fails
//! at once.

use domain::settings::{Settings, Team, TicketIdEntry};
use serde_json::json;

use crate::model::{
    Admin, Agent, Comment, Fixture, Identity, IvrQueue, OutboundNumber, Ticket, TicketField, User,
};

/// First id handed out; every id is above `u32::MAX`.
pub const FIRST_ID: u64 = 4_300_000_000;

/// Names of the built-in fixtures.
pub const NAMES: [&str; 3] = ["default", "batching", "empty"];

/// The MATRIX number for `contacts` contacts × `open` open tickets, e.g. `+15550101200`.
pub fn matrix_number(contacts: u8, open: u8) -> String {
    format!("+1555010{contacts}{open}00")
}

/// Password of every fixture agent and administrator.
pub const AGENT_PASSWORD: &str = "sandbox";

/// Email of the fixtures' platform administrator, who signs in to the portal (`/portal`).
pub const ADMIN_EMAIL: &str = "admin@sandbox.test";

/// The fixtures' platform administrator: [`ADMIN_EMAIL`], password [`AGENT_PASSWORD`].
pub fn default_admins() -> Vec<Admin> {
    vec![Admin {
        name: "Alex Admin".into(),
        email: ADMIN_EMAIL.into(),
        password: AGENT_PASSWORD.into(),
    }]
}

/// The built-in fixture called `name`, or a fixture read from the JSON file at that path.
pub fn load(name: &str) -> Result<Fixture, String> {
    match name {
        "default" => Ok(default()),
        "batching" => {
            let mut f = default();
            f.name = "batching".into();
            f.settings.developer.batch_add_comment = true;
            f.settings.developer.batch_ticket_update = true;
            f.settings.developer.batch_frequency_s = 10;
            Ok(f)
        }
        "empty" => {
            let mut f = default();
            f.name = "empty".into();
            f.users.retain(|u| u.role != "end-user");
            f.tickets.clear();
            Ok(f)
        }
        path if path.ends_with(".json") => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))
        }
        other => Err(format!(
            "unknown fixture {other:?}; built in: {} (or a .json file)",
            NAMES.join(", ")
        )),
    }
}

struct Ids(u64);

impl Ids {
    fn next(&mut self) -> u64 {
        self.0 += 1;
        self.0
    }
}

fn user(ids: &mut Ids, name: &str, phone: Option<&str>, role: &str, t: i64) -> User {
    let id = ids.next();
    let slug: String = name
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
        .collect();
    User {
        id,
        name: name.into(),
        email: Some(format!("{}@example.test", slug.trim_matches('.'))),
        phone: phone.map(Into::into),
        role: role.into(),
        external_id: None,
        tags: vec![],
        identities: vec![],
        shared_phone_number: false,
        locale: "en-US".into(),
        created_at: t,
        updated_at: t,
    }
}

fn ticket(ids: &mut Ids, subject: &str, status: &str, requester: u64, t: i64) -> Ticket {
    let id = ids.next();
    let first = Comment {
        id: ids.next(),
        kind: "Comment".into(),
        body: subject.into(),
        public: true,
        author_id: requester,
        audit_id: ids.next(),
        data: None,
        created_at: t,
    };
    Ticket {
        id,
        subject: subject.into(),
        description: subject.into(),
        status: status.into(),
        requester_id: requester,
        submitter_id: Some(requester),
        assignee_id: None,
        tags: vec![],
        custom_fields: vec![],
        via_id: 0,
        comments: vec![first],
        audits: vec![],
        merged_into: None,
        created_at: t,
        updated_at: t,
    }
}

const FIRST_NAMES: [&str; 12] = [
    "Anna", "Bruno", "Carla", "Dario", "Elena", "Fabio", "Greta", "Hugo", "Irene", "Jonas", "Kira",
    "Luca",
];

/// The `default` fixture.
pub fn default() -> Fixture {
    let mut ids = Ids(FIRST_ID);
    // Fixed times (2024-05-01 onwards) so that "most recent" orderings are reproducible.
    let mut t = 1_714_557_600_i64;
    let mut clock = || {
        t += 3_600;
        t
    };
    let teams = vec![
        Team {
            id: 1,
            name: "Support".into(),
            ticket_id_entry: TicketIdEntry::default(),
        },
        Team {
            id: 2,
            name: "Billing".into(),
            ticket_id_entry: TicketIdEntry {
                enabled: true,
                required: false,
            },
        },
        Team {
            id: 3,
            name: "Escalations".into(),
            ticket_id_entry: TicketIdEntry {
                enabled: true,
                required: true,
            },
        },
    ];
    let mut users = Vec::new();
    let mut agents = Vec::new();
    for (i, (name, email, team)) in [
        ("Ada Agent", "ada@sandbox.test", 1),
        ("Ben Billing", "ben@sandbox.test", 2),
        ("Cleo Escalations", "cleo@sandbox.test", 3),
    ]
    .into_iter()
    .enumerate()
    {
        let mut u = user(&mut ids, name, None, "agent", clock());
        u.email = Some(email.into());
        agents.push(Agent {
            id: 501 + i as u64,
            name: name.into(),
            email: email.into(),
            password: AGENT_PASSWORD.into(),
            team_id: team,
            zendesk_user_id: u.id,
        });
        users.push(u);
    }

    let mut tickets = Vec::new();
    let mut names = FIRST_NAMES.iter();
    for contacts in 1..=2u8 {
        for open in 0..=2u8 {
            let number = matrix_number(contacts, open);
            for k in 0..contacts {
                let first = names.next().copied().unwrap_or("Extra");
                let name = format!("{first} Matrix{contacts}{open}");
                let u = user(&mut ids, &name, Some(&number), "end-user", clock());
                for n in 0..open {
                    let status = ["open", "new", "pending"][usize::from((n + k) % 3)];
                    let subject = format!("{first}: open question {}", n + 1);
                    tickets.push(ticket(&mut ids, &subject, status, u.id, clock()));
                }
                let subject = format!("{first}: solved earlier");
                tickets.push(ticket(&mut ids, &subject, "solved", u.id, clock()));
                users.push(u);
            }
        }
    }
    // A contact with a second number as an identity, one with a closed ticket, a merged pair.
    let mut olga = user(
        &mut ids,
        "Olga Twophones",
        Some("+15550109901"),
        "end-user",
        clock(),
    );
    olga.identities.push(Identity {
        id: ids.next(),
        kind: "phone_number".into(),
        value: "+15550109902".into(),
        primary: false,
    });
    tickets.push(ticket(
        &mut ids,
        "Olga: line check",
        "hold",
        olga.id,
        clock(),
    ));
    let pia = user(
        &mut ids,
        "Pia Closed",
        Some("+15550109911"),
        "end-user",
        clock(),
    );
    tickets.push(ticket(
        &mut ids,
        "Pia: old order",
        "closed",
        pia.id,
        clock(),
    ));
    let mario = user(
        &mut ids,
        "Mario Merged",
        Some("+15550109921"),
        "end-user",
        clock(),
    );
    let target = ticket(&mut ids, "Mario: delivery", "open", mario.id, clock());
    let mut source = ticket(
        &mut ids,
        "Mario: delivery (again)",
        "closed",
        mario.id,
        clock(),
    );
    source.merged_into = Some(target.id);
    source.tags.push("closed_by_merge".into());
    tickets.push(target);
    tickets.push(source);
    let noel = user(&mut ids, "Noel Nophone", None, "end-user", clock());
    users.extend([olga, pia, mario, noel]);

    let ticket_fields = vec![
        TicketField {
            id: ids.next(),
            kind: "text".into(),
            title: "Number to dial".into(),
            description: "Outbound Ticket Settings: the number the Call button offers".into(),
            active: true,
            custom_field_options: vec![],
            created_at: clock(),
        },
        TicketField {
            id: ids.next(),
            kind: "tagger".into(),
            title: "Call direction".into(),
            description: String::new(),
            active: true,
            custom_field_options: vec![
                json!({"id": ids.next(), "name": "Inbound", "raw_name": "Inbound", "value": "inbound", "default": false}),
                json!({"id": ids.next(), "name": "Outbound", "raw_name": "Outbound", "value": "outbound", "default": false}),
            ],
            created_at: clock(),
        },
    ];

    let mut settings = Settings::default();
    settings.operation.prompt_select_open_ticket = true;
    settings.operation.allow_create_new_ticket = true;
    settings.operation.allow_do_not_create_ticket = true;
    settings.operation.allow_use_entered_number = true;
    settings.operation.team_ticket_entry = true;
    settings.developer.api_token_configured = true;
    settings.developer.default_crm_user_id = Some(agents[0].zendesk_user_id);

    let numbers = vec![
        OutboundNumber {
            number: "+15550199001".into(),
            label: "Support US".into(),
            queue_id: 1,
            lang: "en-US".into(),
            default: true,
        },
        OutboundNumber {
            number: "+390299990001".into(),
            label: "Supporto Italia".into(),
            queue_id: 2,
            lang: "it-IT".into(),
            default: false,
        },
        OutboundNumber {
            number: "+34919990001".into(),
            label: "Soporte España".into(),
            queue_id: 3,
            lang: "es-ES".into(),
            default: false,
        },
    ];
    let team_ids: Vec<u64> = teams.iter().map(|t| t.id).collect();
    let queues = IvrQueue::from_numbers(&numbers, &team_ids);

    Fixture {
        name: "default".into(),
        users,
        tickets,
        ticket_fields,
        agents,
        teams,
        settings,
        languages: vec![
            "en-US".into(),
            "it-IT".into(),
            "es-ES".into(),
            "de-DE".into(),
        ],
        numbers,
        auto_answer_ms: Some(2_000),
        admins: default_admins(),
        queues,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matrix_cells_exist() {
        let f = default();
        for contacts in 1..=2u8 {
            for open in 0..=2u8 {
                let n = matrix_number(contacts, open);
                let on: Vec<_> = f
                    .users
                    .iter()
                    .filter(|u| u.phone.as_deref() == Some(&n))
                    .collect();
                assert_eq!(on.len(), usize::from(contacts), "{n}");
                for u in on {
                    let open_count = f
                        .tickets
                        .iter()
                        .filter(|t| t.requester_id == u.id)
                        .filter(|t| ["new", "open", "pending", "hold"].contains(&t.status.as_str()))
                        .count();
                    assert_eq!(open_count, usize::from(open), "{n}");
                }
            }
        }
        assert!(f.users.iter().all(|u| u.id > u64::from(u32::MAX)));
    }

    #[test]
    fn teams_cover_entry_modes() {
        let f = default();
        let modes: Vec<_> = f
            .teams
            .iter()
            .map(|t| (t.ticket_id_entry.enabled, t.ticket_id_entry.required))
            .collect();
        assert_eq!(modes, [(false, false), (true, false), (true, true)]);
        assert!(f.settings.validate().is_ok());
    }
}
