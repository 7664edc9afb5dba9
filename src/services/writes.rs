//! Folds the domain's ordered actions into the fewest Zendesk writes.
//!
//! A ticket creation absorbs the status, assignee and field values aimed at the new ticket;
//! consecutive changes to one existing ticket become one update, with at most one comment each
//! (Zendesk takes one comment per update). Screen pops are not Zendesk requests: the adapter
//! routes the agent's own browser through ZAF.

use crate::zendesk::{NewTicket, NewUser, TicketChange};
use domain::rules::{Action, TicketRef, UserRef};
use serde::{Deserialize, Serialize};

/// A user reference once writes are folded: `Created(i)` is the write at index `i`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Ref {
    /// An existing record.
    Existing(u64),
    /// The record created by the write at this index.
    Created(usize),
}

/// One Zendesk write (or a screen pop).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Write {
    /// Create an end-user.
    CreateUser(NewUser),
    /// Create a ticket; `requester` may be a user created earlier.
    CreateTicket {
        /// The ticket (its `requester_id` is filled from `requester` when sent).
        ticket: NewTicket,
        /// The requester.
        requester: Ref,
    },
    /// Update a ticket.
    UpdateTicket {
        /// The ticket.
        ticket: Ref,
        /// The changes.
        change: TicketChange,
    },
    /// Show the ticket to the agent.
    ScreenPop {
        /// The ticket.
        ticket: Ref,
    },
}

/// Folds `actions` (in order) into writes (in order).
pub fn fold(actions: &[Action]) -> Vec<Write> {
    let mut writes: Vec<Write> = Vec::new();
    // Index of the write that created the record made by action i.
    let mut created: Vec<Option<usize>> = vec![None; actions.len()];
    let user_ref = |r: &UserRef, created: &[Option<usize>]| match r {
        UserRef::Existing(id) => Ref::Existing(*id),
        UserRef::Created(i) => Ref::Created(created.get(*i).copied().flatten().unwrap_or(*i)),
    };
    let ticket_ref = |r: &TicketRef, created: &[Option<usize>]| match r {
        TicketRef::Existing(id) => Ref::Existing(*id),
        TicketRef::Created(i) => Ref::Created(created.get(*i).copied().flatten().unwrap_or(*i)),
    };
    for (i, action) in actions.iter().enumerate() {
        match action {
            Action::CreateUser {
                name,
                phone,
                email,
                external_id,
            } => {
                created[i] = Some(writes.len());
                writes.push(Write::CreateUser(NewUser {
                    name: name.clone(),
                    phone: phone.clone().unwrap_or_default(),
                    email: email.clone(),
                    external_id: external_id.clone(),
                }));
            }
            Action::CreateTicket {
                subject,
                requester,
                assignee_id,
                via_id,
                tags,
                custom_fields,
                description,
                ..
            } => {
                created[i] = Some(writes.len());
                writes.push(Write::CreateTicket {
                    ticket: NewTicket {
                        subject: subject.clone(),
                        requester_id: 0,
                        assignee_id: *assignee_id,
                        comment: description.clone(),
                        via_id: via_id.map(u64::from),
                        tags: tags.clone(),
                        custom_fields: custom_fields.clone(),
                        idempotency_key: None,
                    },
                    requester: user_ref(requester, &created),
                });
            }
            Action::ScreenPop { ticket, .. } => writes.push(Write::ScreenPop {
                ticket: ticket_ref(ticket, &created),
            }),
            Action::AskContact { .. } => {}
            Action::SetStatus { ticket, .. }
            | Action::Assign { ticket, .. }
            | Action::AddComment { ticket, .. }
            | Action::AddRecording { ticket, .. }
            | Action::SetCustomFields { ticket, .. } => {
                let target = ticket_ref(ticket, &created);
                if let Some(last) = absorbing(&mut writes, target, action) {
                    apply(last, action);
                } else {
                    let mut change = TicketChange::default();
                    apply_change(&mut change, action);
                    writes.push(Write::UpdateTicket {
                        ticket: target,
                        change,
                    });
                }
            }
        }
    }
    writes
}

/// The write that can take `action` for `target`: the last write, when it is the creation of
/// that ticket (not for comments: the description is its one comment) or an update of it with
/// room for one more comment.
fn absorbing<'a>(writes: &'a mut [Write], target: Ref, action: &Action) -> Option<&'a mut Write> {
    let is_comment = matches!(action, Action::AddComment { .. });
    let last = writes.len().checked_sub(1)?;
    let fits = match &writes[last] {
        Write::CreateTicket { .. } => {
            target == Ref::Created(last)
                && matches!(
                    action,
                    Action::SetStatus { .. }
                        | Action::Assign { .. }
                        | Action::SetCustomFields { .. }
                )
        }
        Write::UpdateTicket { ticket, change } => {
            *ticket == target && !(is_comment && change.comment.is_some())
        }
        _ => false,
    };
    fits.then(|| &mut writes[last])
}

fn apply(write: &mut Write, action: &Action) {
    match write {
        Write::CreateTicket { ticket, .. } => match action {
            Action::Assign { agent_id, .. } => ticket.assignee_id = Some(*agent_id),
            Action::SetCustomFields { fields, .. } => {
                merge_fields(&mut ticket.custom_fields, fields)
            }
            // A new ticket's status is set by Zendesk from its assignee; an explicit Open is
            // what the create already means.
            _ => {}
        },
        Write::UpdateTicket { change, .. } => apply_change(change, action),
        _ => {}
    }
}

fn merge_fields(into: &mut Vec<(u64, serde_json::Value)>, fields: &[(u64, serde_json::Value)]) {
    for (id, value) in fields {
        // FIELD: the last value written wins.
        into.retain(|(existing, _)| existing != id);
        into.push((*id, value.clone()));
    }
}

fn apply_change(change: &mut TicketChange, action: &Action) {
    match action {
        Action::SetStatus { status, .. } => change.status = Some(*status),
        Action::Assign { agent_id, .. } => change.assignee_id = Some(*agent_id),
        Action::AddComment { body, .. } => change.comment = Some(body.clone()),
        Action::AddRecording { voice, .. } => change.voice_comment = Some(voice.clone()),
        Action::SetCustomFields { fields, .. } => merge_fields(&mut change.custom_fields, fields),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::crm::TicketStatus;
    use serde_json::json;

    fn create_ticket() -> Action {
        Action::CreateTicket {
            subject: "Outbound call to +14155550100".into(),
            requester: UserRef::Existing(7),
            assignee_id: Some(3),
            via_id: Some(46),
            tags: vec!["ccaip".into()],
            custom_fields: vec![],
            description: "Call details".into(),
            recording_url: None,
        }
    }

    #[test]
    fn a_new_ticket_absorbs_its_fields_and_assignee() {
        let actions = vec![
            create_ticket(),
            Action::SetCustomFields {
                ticket: TicketRef::Created(0),
                fields: vec![(1, json!("x"))],
            },
            Action::Assign {
                ticket: TicketRef::Created(0),
                agent_id: 9,
            },
            Action::ScreenPop {
                ticket: TicketRef::Created(0),
                agent_id: 9,
            },
        ];
        let writes = fold(&actions);
        assert_eq!(writes.len(), 2, "{writes:?}");
        match &writes[0] {
            Write::CreateTicket { ticket, requester } => {
                assert_eq!(*requester, Ref::Existing(7));
                assert_eq!(ticket.assignee_id, Some(9));
                assert_eq!(ticket.custom_fields, vec![(1, json!("x"))]);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            writes[1],
            Write::ScreenPop {
                ticket: Ref::Created(0)
            }
        );
    }

    // UPD-7 + FIELD end values: the end of a call is one update.
    #[test]
    fn call_end_is_one_update() {
        let t = TicketRef::Existing(40);
        let actions = vec![
            Action::AddComment {
                ticket: t,
                body: "Call finished".into(),
            },
            Action::AddRecording {
                ticket: t,
                voice: domain::voice::VoiceComment::new(
                    "+15550002",
                    "+14155550100",
                    "2024-05-01T10:00:00Z",
                    30,
                )
                .unwrap()
                .with_recording("https://r/1.mp3"),
            },
            Action::SetCustomFields {
                ticket: t,
                fields: vec![(2, json!(30))],
            },
        ];
        let writes = fold(&actions);
        assert_eq!(writes.len(), 1);
        let Write::UpdateTicket { ticket, change } = &writes[0] else {
            panic!()
        };
        assert_eq!(*ticket, Ref::Existing(40));
        assert_eq!(change.comment.as_deref(), Some("Call finished"));
        assert_eq!(change.voice_comment.as_ref().unwrap().call_duration(), 30);
        assert_eq!(change.custom_fields, vec![(2, json!(30))]);
    }

    // Zendesk takes one comment per update: a second comment starts a second update.
    #[test]
    fn two_comments_make_two_updates() {
        let t = TicketRef::Existing(40);
        let actions = vec![
            Action::SetStatus {
                ticket: t,
                status: TicketStatus::Open,
            },
            Action::AddComment {
                ticket: t,
                body: "a".into(),
            },
            Action::AddComment {
                ticket: t,
                body: "b".into(),
            },
        ];
        let writes = fold(&actions);
        assert_eq!(writes.len(), 2);
        let Write::UpdateTicket { change, .. } = &writes[0] else {
            panic!()
        };
        assert_eq!(change.status, Some(TicketStatus::Open));
        assert_eq!(
            change.to_json()["status"],
            "open",
            "sent as Zendesk spells it"
        );
        assert_eq!(change.comment.as_deref(), Some("a"));
    }

    // CONTACT-7: a created contact becomes the new ticket's requester.
    #[test]
    fn created_user_is_the_requester() {
        let mut create = create_ticket();
        if let Action::CreateTicket { requester, .. } = &mut create {
            *requester = UserRef::Created(0);
        }
        let actions = vec![
            Action::CreateUser {
                name: "Caller +14155550100".into(),
                phone: Some("+14155550100".into()),
                email: None,
                external_id: None,
            },
            create,
        ];
        let writes = fold(&actions);
        assert!(matches!(
            writes[1],
            Write::CreateTicket {
                requester: Ref::Created(0),
                ..
            }
        ));
    }
}
