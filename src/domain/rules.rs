//! Ticket, update and contact rules: event + CRM state + settings -> ordered actions.
//!
//! The adapter (agent sessions) and the sandbox's platform (no-agent cases: abandoned calls,
//! voicemail, new IVR callers) both run [`decide`], so they write the same things. Actions refer to
//! records created earlier in the same list through [`UserRef::Created`] / [`TicketRef::Created`]
//! (the index of the creating action), so the executor applies them in order.

use serde::{Deserialize, Serialize};

use crate::comments;
use crate::crm::{
    newest_contact_first, Channel, Contact, CrmState, SessionPlatform, TicketOrigin, TicketStatus,
};
use crate::dial::{ContactPlan, DialPlan, TicketPlan};
use crate::fields::{self, FieldIds, SessionFacts};
use crate::labels::{Catalogue, Label};
use crate::settings::Settings;
use crate::voice::{CallLine, VoiceComment};

/// Zendesk `via_id` for a voicemail ticket (TICKET-13).
pub const VIA_VOICEMAIL: u16 = 44;
/// Zendesk `via_id` for an inbound call (TICKET-13).
pub const VIA_INBOUND_CALL: u16 = 45;
/// Zendesk `via_id` for an outbound call (TICKET-13).
pub const VIA_OUTBOUND_CALL: u16 = 46;

/// A user, existing or created by an earlier action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum UserRef {
    /// Existing user id.
    Existing(u64),
    /// The user created by the action at this index.
    Created(usize),
}

/// A ticket, existing or created by an earlier action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum TicketRef {
    /// Existing ticket id.
    Existing(u64),
    /// The ticket created by the action at this index.
    Created(usize),
}

/// One write (or UI effect) to perform, in list order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Create an end-user (CONTACT-*).
    CreateUser {
        /// Name.
        name: String,
        /// E.164 phone.
        phone: Option<String>,
        /// Email.
        email: Option<String>,
        /// SDK identifier.
        external_id: Option<String>,
    },
    /// Create a ticket; `description` is its first, internal comment.
    CreateTicket {
        /// Subject.
        subject: String,
        /// Requester.
        requester: UserRef,
        /// Assignee; `None` = unassigned (OQ-27).
        assignee_id: Option<u64>,
        /// Via id (TICKET-13), `None` for chats.
        via_id: Option<u16>,
        /// Origin tags (see [`TicketOrigin::tags`]).
        tags: Vec<String>,
        /// Custom field values.
        custom_fields: Vec<(u64, serde_json::Value)>,
        /// Internal first comment.
        description: String,
        /// Voicemail recording (TICKET-10).
        recording_url: Option<String>,
    },
    /// Set the ticket's status.
    SetStatus {
        /// Ticket.
        ticket: TicketRef,
        /// Status.
        status: TicketStatus,
    },
    /// Assign the ticket.
    Assign {
        /// Ticket.
        ticket: TicketRef,
        /// Agent.
        agent_id: u64,
    },
    /// Internal comment.
    AddComment {
        /// Ticket.
        ticket: TicketRef,
        /// Body.
        body: String,
    },
    /// Voice comment with the recording (UPD-7, OQ-36): numbers, start, duration, link.
    AddRecording {
        /// Ticket.
        ticket: TicketRef,
        /// The voice comment (never empty: [`VoiceComment::new`]).
        voice: VoiceComment,
    },
    /// Custom field values.
    SetCustomFields {
        /// Ticket.
        ticket: TicketRef,
        /// Values.
        fields: Vec<(u64, serde_json::Value)>,
    },
    /// Open the ticket in the agent's browser (AGENT-2).
    ScreenPop {
        /// Ticket.
        ticket: TicketRef,
        /// Agent.
        agent_id: u64,
    },
    /// TICKET-6: ask the agent to pick among these contacts (newest first).
    AskContact {
        /// Candidates.
        contact_ids: Vec<u64>,
    },
}

/// A Platform session (call or chat).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Platform id.
    pub id: String,
    /// Call or chat.
    pub channel: Option<Channel>,
    /// IVR, web, mobile, outbound.
    pub platform: Option<SessionPlatform>,
    /// Menu selection (queue path).
    pub menu: String,
    /// Language.
    pub language: String,
    /// Customer's number (E.164), for calls.
    pub customer_number: Option<String>,
    /// SDK contact parameters: email.
    pub email: Option<String>,
    /// SDK contact parameters: identifier.
    pub external_id: Option<String>,
    /// SDK contact parameters: name.
    pub name: Option<String>,
    /// SDK custom data.
    pub custom_data: Vec<(String, String)>,
    /// Field facts.
    pub facts: SessionFacts,
}

impl Session {
    /// An IVR call from `from` (E.164) that came in through menu `menu` in language `lang`: the
    /// session the platform and the adapter both apply the inbound rules to.
    pub fn ivr(call_id: u64, from: &str, menu: &str, lang: &str) -> Session {
        Session {
            id: call_id.to_string(),
            channel: Some(Channel::Call),
            platform: Some(SessionPlatform::Ivr),
            menu: menu.to_owned(),
            language: lang.to_owned(),
            customer_number: Some(from.to_owned()),
            ..Session::default()
        }
    }

    fn channel(&self) -> Channel {
        self.channel.unwrap_or(Channel::Call)
    }
    fn is_chat(&self) -> bool {
        self.channel() == Channel::Chat
    }
}

/// Something that happened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// An inbound IVR call or an SDK call/chat was assigned to an agent.
    Assigned {
        /// Session.
        session: Session,
        /// Agent.
        agent_id: u64,
        /// TICKET-6: the contact the agent picked, when several matched.
        chosen_contact: Option<u64>,
    },
    /// TICKET-7: a call ended without a ticket (the agent picked no contact).
    EndedWithoutTicket {
        /// Session.
        session: Session,
        /// Agent.
        agent_id: u64,
    },
    /// An outbound call placed from the dial screen.
    OutboundPlaced {
        /// Session.
        session: Session,
        /// The plan.
        plan: DialPlan,
        /// Agent.
        agent_id: u64,
    },
    /// An outbound call with no dial-screen resolution (callback, API; UPD-3, UPD-5, UPD-6).
    OutboundUnresolved {
        /// Session.
        session: Session,
        /// The contact called.
        contact_id: u64,
        /// The ticket of the call just ended ("Hang up and call back", "Callback"), OQ-29.
        previous_ticket: Option<u64>,
        /// Agent.
        agent_id: u64,
    },
    /// TICKET-9: the caller hung up before reaching an agent.
    Abandoned {
        /// Session.
        session: Session,
    },
    /// TICKET-10: a voicemail was left.
    Voicemail {
        /// Session.
        session: Session,
        /// Recording link.
        recording_url: String,
        /// Length, seconds.
        duration_s: u64,
    },
    /// The session ended (UPD-7, UPD-8, FIELD-6 …).
    Ended {
        /// Session.
        session: Session,
        /// Its ticket.
        ticket_id: u64,
        /// Recording link.
        recording_url: Option<String>,
        /// Duration, seconds.
        duration_s: u64,
        /// Which way the call went, the platform's number on it and its start: what the voice
        /// comment with the recording needs besides the customer's number.
        #[serde(default)]
        call: CallLine,
    },
    /// A chat ended: its transcript (one comment, [`crate::chat::transcript`]), then the
    /// session fields filled at the end (FIELD-6 …).
    ChatEnded {
        /// Session.
        session: Session,
        /// Its ticket.
        ticket_id: u64,
        /// The transcript comment.
        transcript: String,
    },
    /// UPD-9.
    Transferred {
        /// Ticket.
        ticket_id: u64,
        /// New agent.
        agent_id: u64,
        /// Their name.
        agent_name: String,
    },
    /// UPD-10.
    SmartActionCompleted {
        /// Ticket.
        ticket_id: u64,
        /// Action name.
        action: String,
        /// Results.
        results: Vec<(String, String)>,
        /// Files shared.
        files: Vec<String>,
    },
    /// UPD-11.
    SmartActionFailed {
        /// Ticket.
        ticket_id: u64,
        /// Action name.
        action: String,
        /// Error.
        message: String,
    },
    /// UPD-14.
    CsatRated {
        /// Ticket.
        ticket_id: u64,
        /// Score 1–5.
        score: u8,
    },
    /// UPD-15.
    VoicemailHandled {
        /// Ticket.
        ticket_id: u64,
        /// What was done.
        action: comments::VoicemailAction,
        /// Agent name.
        agent_name: String,
    },
    /// UPD-12, UPD-13, AGENT-8, AGENT-9: custom data during a session.
    CustomData {
        /// Ticket.
        ticket_id: u64,
        /// Items.
        items: Vec<(String, String)>,
        /// Field mapping: data key -> ticket field id (the Portal's mapping, resolved to the
        /// fields that exist: [`crate::fields::mapping_ids`]).
        mapping: Vec<(String, u64)>,
        /// A mapping is configured in the Portal, even if none of its fields exists in Zendesk
        /// (then every item is named as having no designated field, UPD-13).
        #[serde(default)]
        mapping_configured: bool,
    },
    /// UPD-7, AGENT-7: a call's recording that became available after the call had ended (and
    /// its end was logged without it).
    RecordingReady {
        /// Ticket.
        ticket_id: u64,
        /// Recording link.
        recording_url: String,
        /// The call's length, seconds.
        duration_s: u64,
        /// The customer's number, when known.
        customer_number: Option<String>,
        /// Direction, line and start, for the voice comment.
        #[serde(default)]
        call: CallLine,
    },
    /// UPD-16.
    ApiResponse {
        /// Ticket.
        ticket_id: u64,
        /// The access point.
        source: String,
        /// The data.
        data: serde_json::Value,
    },
}

/// Inputs besides the event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RuleContext {
    /// Settings.
    pub settings: Settings,
    /// SDK field ids (FIELD-13).
    pub field_ids: FieldIds,
    /// Default region for stored numbers.
    pub region: String,
}

/// Applies the rules: the ordered actions for `event`.
pub fn decide(event: &Event, crm: &CrmState, ctx: &RuleContext, cat: &Catalogue) -> Vec<Action> {
    let mut out = Vec::new();
    match event {
        Event::Assigned {
            session,
            agent_id,
            chosen_contact,
        } => assigned(&mut out, session, *agent_id, *chosen_contact, crm, ctx, cat),
        Event::EndedWithoutTicket { session, agent_id } => {
            // TICKET-7, CONTACT-5: the most recently created contact with the number.
            let matches = matching(session, crm, ctx);
            if let Some(c) = matches.first() {
                new_ticket(
                    &mut out,
                    session,
                    UserRef::Existing(c.id),
                    Some(*agent_id),
                    Kind::Inbound,
                    ctx,
                    cat,
                    None,
                );
            }
        }
        Event::OutboundPlaced {
            session,
            plan,
            agent_id,
        } => outbound(&mut out, session, plan, *agent_id, ctx, cat),
        Event::OutboundUnresolved {
            session,
            contact_id,
            previous_ticket,
            agent_id,
        } => {
            // UPD-5, UPD-6, OQ-29: the ticket of the call just ended when still open; else UPD-3:
            // the newest open ticket created by a Platform call; else TEAM-1/TICKET-8: new.
            let previous = previous_ticket
                .and_then(|id| crm.ticket(id))
                .filter(|t| t.status.is_open_set());
            let platform = || {
                crm.open_tickets_of(*contact_id).into_iter().find(|t| {
                    t.origin
                        .as_ref()
                        .is_some_and(|o| o.channel == Channel::Call)
                })
            };
            match previous
                .or_else(platform)
                .filter(|_| ctx.settings.operation.append_to_open_tickets())
            {
                Some(t) => append(&mut out, TicketRef::Existing(t.id), session, *agent_id, cat),
                None => {
                    new_ticket(
                        &mut out,
                        session,
                        UserRef::Existing(*contact_id),
                        Some(*agent_id),
                        Kind::Outbound,
                        ctx,
                        cat,
                        None,
                    );
                }
            }
        }
        Event::Abandoned { session } => {
            // TICKET-9, SET-14, OQ-26, OQ-27: owned by the default CRM user, else unassigned.
            if ctx.settings.operation.abandoned_call_ticket {
                let user = user_for_caller(&mut out, session, crm, ctx, cat);
                let owner = ctx.settings.developer.default_crm_user_id;
                new_ticket(
                    &mut out,
                    session,
                    user,
                    owner,
                    Kind::Abandoned,
                    ctx,
                    cat,
                    None,
                );
            }
        }
        Event::Voicemail {
            session,
            recording_url,
            ..
        } => {
            // TICKET-10: always a new voicemail ticket, even with an open one.
            let user = user_for_caller(&mut out, session, crm, ctx, cat);
            let owner = ctx.settings.developer.default_crm_user_id;
            new_ticket(
                &mut out,
                session,
                user,
                owner,
                Kind::Voicemail,
                ctx,
                cat,
                Some(recording_url.clone()),
            );
        }
        Event::Ended {
            session,
            ticket_id,
            recording_url,
            duration_s,
            call,
        } => {
            // UPD-8, OQ-30: the surviving ticket of a merge.
            let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
            // UPD-7, AGENT-7, OQ-36.
            let recording = recording_url
                .as_deref()
                .filter(|_| ctx.settings.developer.call_recording);
            if !session.is_chat() {
                out.push(Action::AddComment {
                    ticket: t,
                    body: comments::call_finished(cat, &session.id, *duration_s, recording),
                });
                // The voice comment needs the call's numbers and start; a call that lacks them
                // gets none (an empty From/To/Started block is worse than none), and the
                // "Call finished" comment above still carries the duration and the link.
                let voice = recording.map(|url| {
                    VoiceComment::for_call(call, session.customer_number.as_deref(), *duration_s)
                        .map(|v| v.with_recording(url))
                });
                if let Some(Ok(voice)) = voice {
                    out.push(Action::AddRecording { ticket: t, voice });
                }
            }
            // FIELD-1, FIELD-3, FIELD-6 … FIELD-12.
            if ctx.settings.developer.custom_fields_created {
                let f = fields::end_fields(&session.facts, &ctx.field_ids);
                if !f.is_empty() {
                    out.push(Action::SetCustomFields {
                        ticket: t,
                        fields: f,
                    });
                }
            }
        }
        Event::ChatEnded {
            session,
            ticket_id,
            transcript,
        } => {
            let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
            out.push(Action::AddComment {
                ticket: t,
                body: transcript.clone(),
            });
            if ctx.settings.developer.custom_fields_created {
                let f = fields::end_fields(&session.facts, &ctx.field_ids);
                if !f.is_empty() {
                    out.push(Action::SetCustomFields {
                        ticket: t,
                        fields: f,
                    });
                }
            }
        }
        Event::Transferred {
            ticket_id,
            agent_id,
            agent_name,
        } => {
            let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
            out.push(Action::Assign {
                ticket: t,
                agent_id: *agent_id,
            });
            out.push(Action::AddComment {
                ticket: t,
                body: comments::transferred(cat, agent_name),
            });
        }
        Event::SmartActionCompleted {
            ticket_id,
            action,
            results,
            files,
        } => out.push(Action::AddComment {
            ticket: TicketRef::Existing(crm.surviving_ticket(*ticket_id)),
            body: comments::smart_action_result(cat, action, results, files),
        }),
        Event::SmartActionFailed {
            ticket_id,
            action,
            message,
        } => out.push(Action::AddComment {
            ticket: TicketRef::Existing(crm.surviving_ticket(*ticket_id)),
            body: comments::smart_action_failure(cat, action, message),
        }),
        Event::CsatRated { ticket_id, score } => {
            let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
            out.push(Action::AddComment {
                ticket: t,
                body: comments::csat(cat, *score, 5),
            });
            if let (true, Some(id)) = (
                ctx.settings.developer.custom_fields_created,
                ctx.field_ids.get(&fields::SessionField::Csat),
            ) {
                out.push(Action::SetCustomFields {
                    ticket: t,
                    fields: vec![(*id, serde_json::json!(score))],
                });
            }
        }
        Event::VoicemailHandled {
            ticket_id,
            action,
            agent_name,
        } => out.push(Action::AddComment {
            ticket: TicketRef::Existing(crm.surviving_ticket(*ticket_id)),
            body: comments::voicemail(cat, *action, agent_name),
        }),
        Event::CustomData {
            ticket_id,
            items,
            mapping,
            mapping_configured,
        } => {
            let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
            // AGENT-8: the data as an internal comment; UPD-13: each key with no designated
            // field named in it, so that the event is one comment (and, with the mapped fields,
            // one update).
            let mut body = comments::custom_data(cat, items);
            // UPD-12, AGENT-9: mapped keys to their fields.
            let mut mapped = Vec::new();
            for (k, v) in items {
                match mapping.iter().find(|(mk, _)| mk == k) {
                    Some((_, id)) => mapped.push((*id, serde_json::json!(v))),
                    None if *mapping_configured || !mapping.is_empty() => {
                        body.push('\n');
                        body.push_str(&comments::no_designated_field(cat, k, v));
                    }
                    None => {}
                }
            }
            out.push(Action::AddComment { ticket: t, body });
            if !mapped.is_empty() {
                out.push(Action::SetCustomFields {
                    ticket: t,
                    fields: mapped,
                });
            }
        }
        Event::RecordingReady {
            ticket_id,
            recording_url,
            duration_s,
            customer_number,
            call,
        } => {
            if ctx.settings.developer.call_recording {
                let t = TicketRef::Existing(crm.surviving_ticket(*ticket_id));
                // One write: the voice comment that plays it, or, for a call that lacks its
                // numbers or start, the link as an internal comment.
                match VoiceComment::for_call(call, customer_number.as_deref(), *duration_s) {
                    Ok(voice) => out.push(Action::AddRecording {
                        ticket: t,
                        voice: voice.with_recording(recording_url),
                    }),
                    Err(_) => out.push(Action::AddComment {
                        ticket: t,
                        body: comments::recording(cat, recording_url),
                    }),
                }
            }
        }
        Event::ApiResponse {
            ticket_id,
            source,
            data,
        } => {
            if let Some(body) = comments::api_response(
                cat,
                ctx.settings.developer.api_response_comment,
                source,
                data,
            ) {
                out.push(Action::AddComment {
                    ticket: TicketRef::Existing(crm.surviving_ticket(*ticket_id)),
                    body,
                });
            }
        }
    }
    out
}

fn matching<'a>(session: &Session, crm: &'a CrmState, ctx: &RuleContext) -> Vec<&'a Contact> {
    match &session.customer_number {
        Some(n) => crm.contacts_with_number(n, region(ctx)),
        None => vec![],
    }
}

fn region(ctx: &RuleContext) -> &str {
    if ctx.region.is_empty() {
        crate::phone::DEFAULT_REGION
    } else {
        &ctx.region
    }
}

/// CONTACT-1, CONTACT-8: the caller's newest contact, or a new one named after the number.
fn user_for_caller(
    out: &mut Vec<Action>,
    session: &Session,
    crm: &CrmState,
    ctx: &RuleContext,
    cat: &Catalogue,
) -> UserRef {
    if let Some(c) = matching(session, crm, ctx).first() {
        return UserRef::Existing(c.id);
    }
    let phone = session.customer_number.clone();
    let name = phone
        .as_deref()
        .map(|p| comments::caller_name(cat, p))
        .unwrap_or_else(|| cat.get(Label::CallerNamePrefix).to_owned());
    out.push(Action::CreateUser {
        name,
        phone,
        email: None,
        external_id: None,
    });
    UserRef::Created(out.len() - 1)
}

/// How a visitor who gave no name is called: by the app they wrote from.
fn visitor(session: &Session) -> Label {
    match session.platform {
        Some(SessionPlatform::Mobile) => Label::MobileVisitor,
        _ => Label::WebVisitor,
    }
}

/// TICKET-1, CONTACT-2, CONTACT-3, CONTACT-4: SDK contact search by identifier or email.
fn user_for_sdk(
    out: &mut Vec<Action>,
    session: &Session,
    crm: &CrmState,
    cat: &Catalogue,
) -> UserRef {
    // The identifier (the app's own account) decides first; an email (which an unauthenticated
    // visitor may type) only when no contact has the identifier. Emails match whatever their
    // case, as Zendesk matches them.
    let by_id: Vec<&Contact> = crm
        .contacts
        .iter()
        .filter(|c| session.external_id.is_some() && c.external_id == session.external_id)
        .collect();
    let same_email = |c: &&Contact| match (&session.email, &c.email) {
        (Some(a), Some(b)) => a.trim().eq_ignore_ascii_case(b.trim()),
        _ => false,
    };
    let mut found: Vec<&Contact> = if by_id.is_empty() {
        crm.contacts.iter().filter(same_email).collect()
    } else {
        by_id
    };
    found.sort_by(|a, b| newest_contact_first(a, b));
    if let Some(c) = found.first() {
        return UserRef::Existing(c.id);
    }
    let name = session
        .name
        .clone()
        .or_else(|| session.email.clone())
        .unwrap_or_else(|| format!("{} {}", cat.get(visitor(session)), session.id));
    out.push(Action::CreateUser {
        name,
        phone: None,
        email: session.email.clone(),
        external_id: session.external_id.clone(),
    });
    UserRef::Created(out.len() - 1)
}

#[allow(clippy::too_many_arguments)]
fn assigned(
    out: &mut Vec<Action>,
    session: &Session,
    agent_id: u64,
    chosen: Option<u64>,
    crm: &CrmState,
    ctx: &RuleContext,
    cat: &Catalogue,
) {
    let sdk = session.platform.is_some_and(SessionPlatform::is_sdk);
    // A chat is always an SDK contact's: one who gave neither email nor identifier is a new
    // contact named as they said (CONTACT-3), never a "Caller" with no number.
    let user =
        if sdk && (session.email.is_some() || session.external_id.is_some() || session.is_chat()) {
            user_for_sdk(out, session, crm, cat)
        } else {
            let matches = matching(session, crm, ctx);
            match (matches.len(), chosen) {
                (_, Some(id)) => UserRef::Existing(id),
                (0, None) => user_for_caller(out, session, crm, ctx, cat),
                (1, None) => UserRef::Existing(matches[0].id),
                // TICKET-6: several contacts: the agent picks; no ticket until then (TICKET-7).
                (_, None) => {
                    out.push(Action::AskContact {
                        contact_ids: matches.iter().map(|c| c.id).collect(),
                    });
                    return;
                }
            }
        };
    // UPD-1, UPD-2, OQ-7, OQ-28: same customer, same menu, same channel, open set.
    let target = match (user, ctx.settings.operation.append_to_open_tickets()) {
        (UserRef::Existing(id), true) => crm.open_tickets_of(id).into_iter().find(|t| {
            t.origin
                .as_ref()
                .is_some_and(|o| o.channel == session.channel() && o.same_menu(&session.menu))
        }),
        _ => None,
    };
    let ticket = match target {
        Some(t) => {
            append(out, TicketRef::Existing(t.id), session, agent_id, cat);
            TicketRef::Existing(t.id)
        }
        None => {
            let kind = if session.is_chat() {
                Kind::Chat
            } else {
                Kind::Inbound
            };
            new_ticket(out, session, user, Some(agent_id), kind, ctx, cat, None)
        }
    };
    // FIELD-4, FIELD-5, OQ-24: start fields.
    if ctx.settings.developer.custom_fields_created {
        let f = fields::start_fields(&session.facts, &ctx.field_ids);
        if !f.is_empty() {
            out.push(Action::SetCustomFields { ticket, fields: f });
        }
    }
}

fn outbound(
    out: &mut Vec<Action>,
    session: &Session,
    plan: &DialPlan,
    agent_id: u64,
    ctx: &RuleContext,
    cat: &Catalogue,
) {
    // OUT-10: "Do not create a ticket" stores nothing.
    if plan.ticket == TicketPlan::None {
        return;
    }
    // A call on a ticket needs no contact (a callback of a call whose contact was not known,
    // UPD-5, UPD-6): the ticket's requester is the contact.
    if let (ContactPlan::None, TicketPlan::Existing { id }) = (&plan.contact, &plan.ticket) {
        let ticket = TicketRef::Existing(*id);
        append(out, ticket, session, agent_id, cat);
        for body in &plan.comments {
            out.push(Action::AddComment {
                ticket,
                body: body.clone(),
            });
        }
        return;
    }
    let user = match &plan.contact {
        ContactPlan::Existing { id } => UserRef::Existing(*id),
        ContactPlan::New { phone, name } => {
            // CONTACT-7, CONTACT-8.
            out.push(Action::CreateUser {
                name: name.clone(),
                phone: Some(phone.clone()),
                email: None,
                external_id: None,
            });
            UserRef::Created(out.len() - 1)
        }
        ContactPlan::None => return,
    };
    let ticket = match plan.ticket {
        TicketPlan::Existing { id } => {
            // UPD-3, OQ-11, OQ-12: the dial screen's ticket, set Open.
            append(out, TicketRef::Existing(id), session, agent_id, cat);
            TicketRef::Existing(id)
        }
        _ => new_ticket(
            out,
            session,
            user,
            Some(agent_id),
            Kind::Outbound,
            ctx,
            cat,
            None,
        ),
    };
    // FLOW-10, CONTACT-6: the dialled number goes to the ticket, never to the contact.
    for body in &plan.comments {
        out.push(Action::AddComment {
            ticket,
            body: body.clone(),
        });
    }
}

/// UPD-1, OQ-11, AGENT-5, AGENT-6, AGENT-2: append = Open, assign, standard data, screen pop.
fn append(
    out: &mut Vec<Action>,
    ticket: TicketRef,
    session: &Session,
    agent_id: u64,
    cat: &Catalogue,
) {
    out.push(Action::SetStatus {
        ticket,
        status: TicketStatus::Open,
    });
    out.push(Action::Assign { ticket, agent_id });
    out.push(Action::AddComment {
        ticket,
        body: comments::standard_data(
            cat,
            &session.id,
            session.is_chat(),
            &session.language,
            &session.menu,
        ),
    });
    out.push(Action::ScreenPop { ticket, agent_id });
}

#[allow(clippy::too_many_arguments)]
/// What a new ticket is for: its channel (`via_id`) and its subject.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// An SDK chat (no voice channel).
    Chat,
    /// An inbound call an agent took (or the TICKET-7 fallback).
    Inbound,
    /// An inbound call no agent took (TICKET-9).
    Abandoned,
    /// An outbound call.
    Outbound,
    /// A voicemail (TICKET-10).
    Voicemail,
}

impl Kind {
    /// AGENT-2: an agent handles the session (their own call or chat), so its ticket pops for
    /// them; abandoned calls and voicemails have no agent (their owner, the default CRM user
    /// when there is one, only stands in for one: TICKET-11).
    fn has_agent(self) -> bool {
        match self {
            Kind::Chat | Kind::Inbound | Kind::Outbound => true,
            Kind::Abandoned | Kind::Voicemail => false,
        }
    }

    fn via(self) -> Option<u16> {
        match self {
            Kind::Chat => None,
            Kind::Inbound | Kind::Abandoned => Some(VIA_INBOUND_CALL),
            Kind::Outbound => Some(VIA_OUTBOUND_CALL),
            Kind::Voicemail => Some(VIA_VOICEMAIL),
        }
    }
}

/// TICKET-2 … TICKET-5, TICKET-13, AGENT-5, AGENT-6, AGENT-2.
#[allow(clippy::too_many_arguments)]
fn new_ticket(
    out: &mut Vec<Action>,
    session: &Session,
    user: UserRef,
    assignee: Option<u64>,
    kind: Kind,
    ctx: &RuleContext,
    cat: &Catalogue,
    recording: Option<String>,
) -> TicketRef {
    let via = kind.via();
    let who = session
        .customer_number
        .clone()
        .or_else(|| session.name.clone())
        .or_else(|| session.email.clone())
        .unwrap_or_default();
    let subject = match kind {
        Kind::Chat => {
            // SET-15: the admin's title; left as it came (or blank), in the agent's language.
            let template = &ctx.settings.operation.ticket_title;
            let template = if template.trim().is_empty()
                || template == crate::settings::DEFAULT_TICKET_TITLE
            {
                cat.get(Label::ChatTicketTitle)
            } else {
                template
            };
            // A visitor who gave no name, email or number, as the adapter names them.
            let who = if who.trim().is_empty() {
                cat.get(visitor(session)).to_owned()
            } else {
                who.clone()
            };
            crate::settings::render_ticket_title(
                template,
                cat.get(Label::ChannelChat),
                &session.menu,
                &who,
            )
        }
        Kind::Voicemail => format!("{} {who}", cat.get(Label::SubjectVoicemail)),
        Kind::Outbound => format!("{} {who}", cat.get(Label::SubjectOutboundCall)),
        Kind::Abandoned => format!("{} {who}", cat.get(Label::SubjectAbandonedCall)),
        Kind::Inbound => format!("{} {who}", cat.get(Label::SubjectInboundCall)),
    };
    // TICKET-5: standard data, then everything else known about the session.
    let mut description = comments::standard_data(
        cat,
        &session.id,
        session.is_chat(),
        &session.language,
        &session.menu,
    );
    if !session.custom_data.is_empty() {
        description.push_str("\n\n");
        description.push_str(&comments::custom_data(cat, &session.custom_data));
    }
    let origin = TicketOrigin {
        channel: if kind == Kind::Voicemail {
            Channel::Call
        } else {
            session.channel()
        },
        menu: session.menu.clone(),
    };
    out.push(Action::CreateTicket {
        subject: subject.trim().to_owned(),
        requester: user,
        assignee_id: assignee,
        via_id: via,
        tags: origin.tags(),
        custom_fields: vec![],
        description,
        recording_url: recording,
    });
    let t = TicketRef::Created(out.len() - 1);
    // AGENT-2: only when an agent handles the session, whoever else they are: an agent who is
    // also the account's default CRM user still sees the ticket of their own call or chat.
    if let Some(agent) = assignee.filter(|_| kind.has_agent()) {
        out.push(Action::ScreenPop {
            ticket: t,
            agent_id: agent,
        });
    }
    t
}
