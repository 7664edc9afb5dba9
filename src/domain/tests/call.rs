//! The call model (`domain::call`): every phase change, what each asks to be done, the keys of
//! the jobs that log a call, and the regressions the browser fault suite found, each named by
//! the rule it proves.

use domain::call::*;
use domain::dial::{ContactPlan, DialPlan, EntryPoint, TicketPlan};

const NOW: i64 = 1_000_000;

fn plan(ticket: TicketPlan, extension: Option<&str>) -> DialPlan {
    DialPlan {
        to: "+14155550100".into(),
        extension: extension.map(str::to_owned),
        outbound_number: "+15550002".into(),
        language: "en".into(),
        contact: ContactPlan::None,
        ticket,
        entered_number: false,
        comments: Vec::new(),
    }
}

/// An outbound call numbered 7, in `phase`.
fn outbound(phase: CallPhase, ticket: TicketPlan) -> ActiveCall {
    let mut call = ActiveCall::placed(plan(ticket, None));
    call.numbered(7);
    call.phase = phase;
    call
}

/// An inbound call numbered 9, ringing.
fn inbound() -> ActiveCall {
    ActiveCall::offered(9, "+14155550100", "Sales".into(), "en".into())
}

#[test]
fn every_phase_change_of_the_platform() {
    use CallPhase as P;
    // (from, event, to): the platform's word is the phase shown, whatever was shown before.
    let table = [
        (P::Dialling, CallEvent::Ringing, P::Ringing),
        (P::Dialling, CallEvent::Connected, P::Connected),
        (P::Ringing, CallEvent::Connected, P::Connected),
        (P::Connected, CallEvent::Held, P::OnHold),
        (P::OnHold, CallEvent::Resumed, P::Connected),
        (P::Connected, CallEvent::Ended, P::Ended),
        (P::OnHold, CallEvent::Ended, P::Ended),
        (P::Dialling, CallEvent::Ended, P::Ended),
        (P::Ringing, CallEvent::Ended, P::Ended),
    ];
    for (from, event, to) in table {
        let mut call = outbound(from, TicketPlan::New);
        call.on_event(event, NOW);
        assert_eq!(call.phase, to, "{from:?} + {event:?}");
        assert_eq!(call.is_live(), to != CallPhase::Ended);
    }
}

#[test]
fn the_timer_starts_at_the_first_connect_and_the_end_is_stamped() {
    let mut call = outbound(CallPhase::Ringing, TicketPlan::New);
    call.on_event(CallEvent::Connected, NOW);
    call.on_event(CallEvent::Held, NOW + 5_000);
    call.on_event(CallEvent::Resumed, NOW + 9_000);
    assert_eq!(
        call.connected_at_ms,
        Some(NOW),
        "a resume does not restart the timer"
    );
    call.on_event(CallEvent::Ended, NOW + 20_000);
    assert_eq!(call.ended_at_ms, Some(NOW + 20_000));
}

#[test]
fn an_extension_is_dialled_once_when_the_customer_picks_up() {
    let mut call = ActiveCall::placed(plan(TicketPlan::New, Some("123")));
    call.numbered(7);
    assert_eq!(
        call.on_event(CallEvent::Connected, NOW),
        vec![CallEffect::Tones("123".into())]
    );
    call.on_event(CallEvent::Held, NOW);
    assert_eq!(call.on_event(CallEvent::Resumed, NOW), vec![]);
    assert_eq!(
        call.on_event(CallEvent::Connected, NOW),
        vec![],
        "not twice"
    );
}

#[test]
fn an_inbound_call_is_logged_once_the_agent_answered() {
    let mut call = inbound();
    assert_eq!(call.on_event(CallEvent::Ringing, NOW), vec![]);
    assert_eq!(
        call.on_event(CallEvent::Connected, NOW),
        vec![CallEffect::LogInbound]
    );
}

#[test]
fn job_keys_keep_their_text_and_read_back() {
    let table = [
        (JobKey::first(41, false), "41.placed"),
        (JobKey::first(41, true), "41.assigned"),
        (JobKey::ended(41), "41.ended"),
        (JobKey::event(41, 7), "41.ev7"),
    ];
    for (key, text) in table {
        assert_eq!(key.to_string(), text);
        assert_eq!(JobKey::parse(text), Some(key));
    }
    assert!(JobKey::first(1, false).is_first() && !JobKey::ended(1).is_first());
    assert!(!JobKey::event(1, 2).is_first());
    // An operation's key (`{job}.{index}`), other jobs' keys and junk are not a call's job.
    for text in [
        "41.placed.0",
        "41.dialled",
        "x.placed",
        "+1.placed",
        ".ended",
        "41",
        "41.ev",
        "41.ev+7",
        "41.ev7x",
    ] {
        assert_eq!(JobKey::parse(text), None, "{text}");
    }
}

#[test]
fn the_end_of_a_call_with_a_known_ticket_goes_on_it() {
    let mut call = outbound(CallPhase::Connected, TicketPlan::Existing { id: 55 });
    assert_eq!(
        call.ticket_id,
        Some(55),
        "dialled on a ticket: known at once"
    );
    assert_eq!(
        call.on_event(CallEvent::Ended, NOW),
        vec![CallEffect::LogEnd(EndLog::Now(CallTicket::Known(55)))]
    );
}

// Fault suite: the end of a call whose ticket is still being created (a 429 held the first
// job) is queued at once on the ticket that job creates, not lost and not on ticket 0.
#[test]
fn regression_the_end_of_a_call_whose_ticket_is_being_created() {
    let mut call = outbound(CallPhase::Connected, TicketPlan::New);
    assert_eq!(
        call.on_event(CallEvent::Ended, NOW),
        vec![CallEffect::LogEnd(EndLog::Now(CallTicket::Pending(
            JobKey::first(7, false)
        )))]
    );
    // Inbound, logged: on the `assigned` job's ticket.
    let mut call = inbound();
    call.inbound.as_mut().unwrap().logged = true;
    assert_eq!(
        call.end_log(),
        EndLog::Now(CallTicket::Pending(JobKey::first(9, true)))
    );
}

#[test]
fn how_the_end_of_a_call_is_logged() {
    // OUT-10: "Do not create a ticket" logs nothing.
    assert_eq!(
        outbound(CallPhase::Connected, TicketPlan::None).end_log(),
        EndLog::NotLogged
    );
    // An inbound call whose ticket is being worked out (no choice to make, or the agent
    // picked): its end follows the ticket's job.
    assert_eq!(inbound().end_log(), EndLog::AfterCaller);
    let mut picked = inbound();
    let i = picked.inbound.as_mut().unwrap();
    i.candidates = vec![1, 2];
    i.picked = Some(2);
    assert_eq!(picked.end_log(), EndLog::AfterCaller);
    // TICKET-7: several contacts and no pick: the platform gives the call to the newest one.
    let mut unpicked = inbound();
    unpicked.inbound.as_mut().unwrap().candidates = vec![1, 2];
    assert_eq!(unpicked.end_log(), EndLog::NotLogged);
}

#[test]
fn routes_of_the_platforms_events() {
    let placed = ActiveCall::placed(plan(TicketPlan::New, None));
    let shown = outbound(CallPhase::Connected, TicketPlan::New);
    let ended = outbound(CallPhase::Ended, TicketPlan::New);
    let table: [(Option<&ActiveCall>, u64, CallEvent, bool, Route); 9] = [
        (Some(&shown), 3, CallEvent::Ringing, true, Route::Offer),
        (None, 3, CallEvent::Ringing, true, Route::Offer),
        (Some(&shown), 7, CallEvent::Held, false, Route::Apply),
        (Some(&ended), 7, CallEvent::Ended, false, Route::Apply),
        (Some(&shown), 8, CallEvent::Held, false, Route::Ignore),
        (None, 8, CallEvent::Connected, false, Route::Ignore),
        (None, 8, CallEvent::Ended, false, Route::ResumeOthers),
        (
            Some(&shown),
            8,
            CallEvent::Ended,
            false,
            Route::ResumeOthers,
        ),
        (Some(&placed), 8, CallEvent::Connected, false, Route::Early),
    ];
    for (screen, id, event, offer, to) in table {
        assert_eq!(route(screen, id, event, offer), to, "{id} {event:?}");
    }
}

// Fault suite: events that overtake `POST /calls`'s answer (ringing, connected, even the end)
// wait for the call's id and are replayed in order, so the call is logged and its end too.
#[test]
fn regression_events_that_overtake_post_calls() {
    let mut call = ActiveCall::placed(plan(TicketPlan::New, Some("9")));
    let mut early = EarlyEvents::default();
    for event in [CallEvent::Ringing, CallEvent::Connected, CallEvent::Ended] {
        assert_eq!(route(Some(&call), 7, event, false), Route::Early);
        assert!(early.push(event));
    }
    call.numbered(7);
    let mut effects = Vec::new();
    for event in early.take() {
        assert_eq!(route(Some(&call), 7, event, false), Route::Apply);
        effects.extend(call.on_event(event, NOW));
    }
    assert_eq!(call.phase, CallPhase::Ended);
    assert_eq!(
        effects,
        vec![
            CallEffect::Tones("9".into()),
            CallEffect::LogEnd(EndLog::Now(CallTicket::Pending(JobKey::first(7, false)))),
        ]
    );
    assert!(early.take().is_empty(), "replayed once");
}

#[test]
fn the_early_buffer_is_bounded_and_cleared_when_the_call_fails() {
    let mut early = EarlyEvents::default();
    for i in 0..EARLY_EVENTS {
        assert!(early.push(i));
    }
    assert!(!early.push(99), "a flood is not kept");
    early.clear();
    assert!(early.take().is_empty());
}

fn listed(phase: CallPhase, inbound: bool, ticket_id: Option<u64>) -> Listed {
    Listed {
        id: 7,
        inbound,
        phase,
        customer_number: "+14155550100".into(),
        lang: "en".into(),
        menu: "Sales".into(),
        ticket_id,
        talked_s: 30,
    }
}

// Fault suite: a reload mid-call brings the call back on screen, with its timer and ticket.
#[test]
fn regression_a_reload_mid_call() {
    let l = listed(CallPhase::Connected, false, None);
    let knows = |k: &JobKey| *k == JobKey::first(7, false);
    assert_eq!(resume(&l, knows, Some(70), false), Resume::Show);
    assert_eq!(resume(&l, knows, Some(70), true), Resume::Leave);
    let call = ActiveCall::resumed(&l, Some(70), NOW);
    assert_eq!(
        (call.id, call.phase, call.ticket_id),
        (Some(7), CallPhase::Connected, Some(70))
    );
    assert_eq!(call.connected_at_ms, Some(NOW - 30_000));
    // Inbound: already logged (its `assigned` job is known), so not logged again.
    let call = ActiveCall::resumed(&listed(CallPhase::OnHold, true, Some(5)), None, NOW);
    assert!(call.is_logged() && call.inbound.is_some());
    assert_eq!(call.end_log(), EndLog::Now(CallTicket::Known(5)));
}

// Fault suite at 150 ms of stream routing: a call placed just after sign-in was answered before
// the platform routed the adapter's event stream; the list read once it was routed shows it
// connected, and the screen, still ringing, takes the answer it missed (and a hold). Never
// backwards: a list older than what the screen took changes nothing.
#[test]
fn regression_an_answer_missed_before_the_stream_was_routed() {
    use CallPhase::*;
    assert_eq!(
        missed_answer(Dialling, Connected),
        vec![CallEvent::Connected]
    );
    assert_eq!(
        missed_answer(Ringing, Connected),
        vec![CallEvent::Connected]
    );
    assert_eq!(
        missed_answer(Ringing, OnHold),
        vec![CallEvent::Connected, CallEvent::Held]
    );
    // Ringing missed: it showed "Dialling…" while the customer's phone rang.
    assert_eq!(missed_answer(Dialling, Ringing), vec![CallEvent::Ringing]);
    for (shown, listed) in [
        (Connected, Ringing),
        (Connected, OnHold),
        (OnHold, Connected),
        (Ringing, Ringing),
        (Ringing, Ended),
        (Ended, Connected),
    ] {
        assert!(
            missed_answer(shown, listed).is_empty(),
            "{shown:?} listed {listed:?}"
        );
    }
    // Taken as the events would have been: an outbound call on ringing, connected, sends its
    // extension then.
    let mut call = ActiveCall::placed(plan(TicketPlan::New, Some("12")));
    call.id = Some(7);
    call.phase = Ringing;
    let effects: Vec<_> = missed_answer(call.phase, OnHold)
        .into_iter()
        .flat_map(|e| call.on_event(e, NOW))
        .collect();
    assert_eq!(effects, vec![CallEffect::Tones("12".into())]);
    assert_eq!((call.phase, call.held), (OnHold, true));
}

// Fault suite: an end missed while the page was away (or the socket down) is logged when the
// calls are listed again, on the ticket created meanwhile or the one still being created.
#[test]
fn regression_a_missed_end() {
    let l = listed(CallPhase::Ended, false, None);
    let first = JobKey::first(7, false);
    let knows = |k: &JobKey| *k == first;
    assert_eq!(
        resume(&l, knows, Some(70), false),
        Resume::LogEnd(CallTicket::Known(70))
    );
    assert_eq!(
        resume(&l, knows, None, true),
        Resume::LogEnd(CallTicket::Pending(first))
    );
    // The platform lists the ticket the call was placed on (5); the outbox logged the call on
    // another (70: the collision check found 5 solved): the end goes where the call was logged.
    let placed_on = listed(CallPhase::Ended, false, Some(5));
    assert_eq!(
        resume(&placed_on, knows, Some(70), false),
        Resume::LogEnd(CallTicket::Known(70))
    );
    assert_eq!(
        ActiveCall::resumed(&placed_on, Some(70), NOW).ticket_id,
        Some(70)
    );
    // Logged once: an end already queued is not queued again.
    let both = |k: &JobKey| *k == first || *k == JobKey::ended(7);
    assert_eq!(resume(&l, both, Some(70), false), Resume::Skip);
    // On screen as live: it shows ended (once; a later listing keeps the first end time).
    let mut shown = outbound(CallPhase::Connected, TicketPlan::New);
    shown.end_missed(NOW);
    shown.end_missed(NOW + 1);
    assert_eq!(
        (shown.phase, shown.ended_at_ms),
        (CallPhase::Ended, Some(NOW))
    );
    // Not this adapter's call: left to the page that placed it.
    assert_eq!(resume(&l, |_| false, None, false), Resume::Skip);
}

#[test]
fn a_refused_hold_puts_the_phase_back() {
    // The press shows at once (the phase is the press's); the answer decides.
    let table = [
        (true, Ok(Some(true)), CallPhase::OnHold),
        (false, Ok(Some(false)), CallPhase::Connected),
        (true, Err(()), CallPhase::Connected),
        (false, Err(()), CallPhase::OnHold),
    ];
    for (on, answer, to) in table {
        let mut call = outbound(CallPhase::Connected, TicketPlan::New);
        call.on_event(
            if on {
                CallEvent::Resumed
            } else {
                CallEvent::Held
            },
            NOW,
        );
        call.phase = if on {
            CallPhase::OnHold
        } else {
            CallPhase::Connected
        };
        call.after_hold(answer);
        assert_eq!(call.phase, to, "{on} {answer:?}");
    }
    let mut ended = outbound(CallPhase::Ended, TicketPlan::New);
    ended.after_hold(Err(()));
    assert_eq!(ended.phase, CallPhase::Ended, "an ended call stays ended");
}

#[test]
fn a_refusal_after_quick_presses_shows_what_the_platform_said_last() {
    // Hold, then Resume at once: the Hold's answer comes after the Resume was pressed (not
    // taken: the services drop it); the Resume's refusal shows what the platform said last,
    // its events included.
    let pressed_twice = |held_on_the_platform: bool| {
        let mut call = outbound(CallPhase::Connected, TicketPlan::New);
        call.on_event(CallEvent::Connected, NOW);
        call.phase = CallPhase::OnHold; // Hold pressed
        if held_on_the_platform {
            call.on_event(CallEvent::Held, NOW); // the platform's event for it
        }
        call.phase = CallPhase::Connected; // Resume pressed
        call.after_hold(Err(()));
        call.phase
    };
    assert_eq!(
        pressed_twice(false),
        CallPhase::Connected,
        "Hold refused, Resume refused: never on hold"
    );
    assert_eq!(
        pressed_twice(true),
        CallPhase::OnHold,
        "Hold done, Resume refused: on hold"
    );
    // An event says so too: held by the platform, then Resume refused.
    let mut call = outbound(CallPhase::Connected, TicketPlan::New);
    call.on_event(CallEvent::Held, NOW);
    call.phase = CallPhase::Connected;
    call.after_hold(Err(()));
    assert_eq!(call.phase, CallPhase::OnHold);
    // A call resumed after a reload while on hold.
    let resumed = ActiveCall::resumed(&listed(CallPhase::OnHold, true, Some(5)), None, NOW);
    assert!(resumed.held);
}

#[test]
fn touch_tones_go_in_order_one_request_at_a_time() {
    let mut q = ToneQueue::default();
    assert!(q.press('1'), "the first key starts a sender");
    assert!(!q.press('2'), "a sender runs");
    assert_eq!(q.next(true).as_deref(), Some("12"));
    assert!(!q.press('3'));
    assert_eq!(q.next(true).as_deref(), Some("3"));
    assert_eq!(q.next(true), None, "nothing waits: the sender stops");
    assert!(q.press('4'), "and the next key starts one");
    assert_eq!(q.next(false), None, "not sent on another call");
    assert!(q.press('5'));
}

#[test]
fn click_to_call_entry_points() {
    let n = || Some("+14155550100".to_owned());
    let table = [
        (
            n(),
            Some(1),
            Some(2),
            Dialout::Open(EntryPoint::Ticket {
                number: n().unwrap(),
                user_id: 1,
                ticket_id: 2,
            }),
        ),
        (
            n(),
            Some(1),
            None,
            Dialout::Open(EntryPoint::Contact {
                number: n().unwrap(),
                user_id: 1,
            }),
        ),
        (
            None,
            Some(1),
            Some(2),
            Dialout::Open(EntryPoint::TicketNewNumber { ticket_id: 2 }),
        ),
        (
            Some(String::new()),
            None,
            Some(2),
            Dialout::Open(EntryPoint::TicketNewNumber { ticket_id: 2 }),
        ),
        (n(), None, None, Dialout::Typed(n())),
        (n(), None, Some(2), Dialout::Typed(n())),
        (None, Some(1), None, Dialout::Typed(None)),
    ];
    for (number, user, ticket, to) in table {
        assert_eq!(dialout(number.clone(), user, ticket), to, "{number:?}");
    }
}

#[test]
fn who_the_caller_is_and_which_ticket() {
    use domain::crm::{Contact, CrmState};
    let person = |id, name: &str| Contact {
        id,
        name: name.into(),
        phone: Some("+14155550100".into()),
        created_at: id as i64,
        ..Default::default()
    };
    let one = CrmState {
        contacts: vec![person(1, "Ann")],
        tickets: vec![],
        gone: Vec::new(),
    };
    let two = CrmState {
        contacts: vec![person(1, "Ann"), person(2, "Bob")],
        tickets: vec![],
        gone: Vec::new(),
    };
    // Inbound: the single contact with the number; several: none until the agent picks.
    let mut call = inbound();
    assert_eq!(call.caller_name(&one, "US").as_deref(), Some("Ann"));
    assert_eq!(call.caller_name(&two, "US"), None);
    call.inbound.as_mut().unwrap().candidates = vec![2, 1];
    assert!(call.must_pick());
    call.inbound.as_mut().unwrap().picked = Some(2);
    assert!(!call.must_pick());
    assert_eq!(call.caller_name(&two, "US").as_deref(), Some("Bob"));
    // Outbound: the contact the dial screen resolved, or the new contact's name.
    let mut out = outbound(CallPhase::Connected, TicketPlan::Existing { id: 5 });
    out.plan.contact = ContactPlan::Existing { id: 2 };
    assert_eq!(out.caller_name(&two, "US").as_deref(), Some("Bob"));
    out.plan.contact = ContactPlan::New {
        name: "Caller +1".into(),
        phone: "+14155550100".into(),
    };
    assert_eq!(
        out.caller_name(&CrmState::default(), "US").as_deref(),
        Some("Caller +1")
    );
    // The ticket: dialled on, or created (known once its job ran).
    assert_eq!(out.ticket(), Some(5));
    let mut new = outbound(CallPhase::Connected, TicketPlan::New);
    assert_eq!(new.ticket(), None);
    new.ticket_id = Some(8);
    assert_eq!(new.ticket(), Some(8));
    // Found again after a reload, the call knows its ticket, not its contact: the ticket's
    // requester, once the ticket and the contact are read. (The name was gone for good.)
    let listed = Listed {
        id: 41,
        inbound: false,
        phase: CallPhase::Connected,
        customer_number: "+15550101000".into(),
        lang: "en".into(),
        menu: String::new(),
        ticket_id: Some(8),
        talked_s: 12,
    };
    let found = ActiveCall::resumed(&listed, None, 100_000);
    assert_eq!(
        found.caller_name(&two, "US"),
        None,
        "the ticket not read yet"
    );
    let read = CrmState {
        tickets: vec![domain::crm::Ticket::new(
            8,
            domain::crm::TicketStatus::Open,
            2,
            0,
        )],
        ..two.clone()
    };
    assert_eq!(found.caller_name(&read, "US").as_deref(), Some("Bob"));
    let mut inbound_found = ActiveCall::resumed(
        &Listed {
            inbound: true,
            ..listed
        },
        None,
        100_000,
    );
    assert_eq!(
        inbound_found.caller_name(&read, "US").as_deref(),
        Some("Bob"),
        "the number is Ann's and Bob's: the ticket decides"
    );
    inbound_found.inbound.as_mut().unwrap().picked = Some(1);
    assert_eq!(
        inbound_found.caller_name(&read, "US").as_deref(),
        Some("Ann"),
        "whom the agent picked first"
    );
}

#[test]
fn the_status_line_of_each_phase() {
    use domain::labels::Label;
    let table = [
        (CallPhase::Dialling, false, Label::CallDialling),
        (CallPhase::Ringing, false, Label::CallRinging),
        (CallPhase::Ringing, true, Label::IncomingCall),
        (CallPhase::Connected, true, Label::CallConnected),
        (CallPhase::OnHold, false, Label::CallOnHold),
        (CallPhase::Ended, true, Label::CallEnded),
    ];
    for (phase, is_inbound, label) in table {
        let mut call = if is_inbound {
            inbound()
        } else {
            outbound(phase, TicketPlan::New)
        };
        call.phase = phase;
        assert_eq!(call.status_label(), label, "{phase:?}");
    }
}

// A customer's call that ends while it rings for the agent (the caller hung up first, the agent
// had even pressed Answer) says so: "Missed call", not "Call ended" as for a call they talked
// on. An outbound call the other end ends while it dials or rings says "No answer", as Recent
// names it (it said "Call ended" there and "No answer" in Recent); one the agent hung up before
// an answer, and one answered then ended, stay "Call ended"; so does a call found ended after a
// reload (this page did not see it ring).
#[test]
fn a_call_that_ends_while_it_rings_for_the_agent_is_missed() {
    use domain::labels::Label;
    let mut missed = inbound();
    missed.on_event(CallEvent::Ended, 1_000);
    assert!(missed.missed);
    assert_eq!(missed.status_label(), Label::CallMissed);

    let mut answering = inbound();
    answering.inbound.as_mut().unwrap().answering = true;
    answering.on_event(CallEvent::Ended, 1_000);
    assert_eq!(answering.status_label(), Label::CallMissed);

    let mut talked = inbound();
    talked.on_event(CallEvent::Connected, 1_000);
    talked.on_event(CallEvent::Ended, 2_000);
    assert!(!talked.missed);
    assert_eq!(talked.status_label(), Label::CallEnded);

    for phase in [CallPhase::Dialling, CallPhase::Ringing] {
        let mut unanswered = outbound(phase, TicketPlan::New);
        unanswered.on_event(CallEvent::Ended, 1_000);
        assert!(unanswered.unanswered && !unanswered.missed, "{phase:?}");
        assert_eq!(
            unanswered.status_label(),
            Label::OutcomeNoAnswer,
            "{phase:?}"
        );
    }
    let mut cancelled = outbound(CallPhase::Ringing, TicketPlan::New);
    cancelled.hanging_up = true;
    cancelled.on_event(CallEvent::Ended, 1_000);
    assert!(!cancelled.unanswered);
    assert_eq!(cancelled.status_label(), Label::CallEnded);
    let mut answered = outbound(CallPhase::Ringing, TicketPlan::New);
    answered.on_event(CallEvent::Connected, 1_000);
    answered.on_event(CallEvent::Ended, 2_000);
    assert!(!answered.unanswered);
    assert_eq!(answered.status_label(), Label::CallEnded);
    let mut held = outbound(CallPhase::Connected, TicketPlan::New);
    held.connected_at_ms = Some(500);
    held.on_event(CallEvent::Held, 1_000);
    held.on_event(CallEvent::Ended, 2_000);
    assert_eq!(held.status_label(), Label::CallEnded);

    let mut found = inbound();
    found.end_missed(1_000);
    assert_eq!(found.status_label(), Label::CallEnded);
}

// Hang up pressed, the platform not answered yet: the screen says so while the call is live;
// once it ended, it says how it ended.
#[test]
fn a_call_being_hung_up_says_so_until_it_ends() {
    use domain::labels::Label;
    let mut call = outbound(CallPhase::Connected, TicketPlan::New);
    call.hanging_up = true;
    assert_eq!(call.status_label(), Label::CallHangingUp);
    call.on_event(CallEvent::Ended, 1_000);
    assert_eq!(call.status_label(), Label::CallEnded);
}

#[test]
fn what_the_in_call_screen_says_of_the_ticket() {
    // OUT-10 "Do not create a ticket": not logged as the agent chose, whatever happens (not
    // said as a failure is).
    assert_eq!(
        outbound(CallPhase::Connected, TicketPlan::None).ticket_line(),
        TicketLine::NotLoggedAsChosen
    );
    let mut chosen = outbound(CallPhase::Ended, TicketPlan::None);
    chosen.logging = Logging::Failed;
    assert_eq!(chosen.ticket_line(), TicketLine::NotLoggedAsChosen);
    // Dialled on a ticket: that ticket, from the first moment.
    let on = ActiveCall::placed(plan(TicketPlan::Existing { id: 42 }, None));
    assert_eq!(on.ticket_line(), TicketLine::On(42));
    // A new ticket: nothing until `POST /calls` answered (no job yet), then being logged
    // until the job reports the ticket it created.
    let placed = ActiveCall::placed(plan(TicketPlan::New, None));
    assert_eq!(placed.ticket_line(), TicketLine::Nothing);
    let mut made = outbound(CallPhase::Connected, TicketPlan::New);
    assert_eq!(made.ticket_line(), TicketLine::Logging);
    made.ticket_id = Some(43);
    assert_eq!(made.ticket_line(), TicketLine::On(43));
    // Its first job refused for good: not logged (the agent was told why).
    let mut refused = outbound(CallPhase::Ended, TicketPlan::New);
    refused.logging = Logging::Failed;
    assert_eq!(refused.ticket_line(), TicketLine::NotLogged);

    // Inbound: nothing while it rings (nothing is worked out before the answer).
    let mut call = inbound();
    assert_eq!(call.ticket_line(), TicketLine::Nothing);
    // Answered: being logged while its reads run (or wait out a rate limit).
    call.phase = CallPhase::Connected;
    call.logging = Logging::Working;
    assert_eq!(call.ticket_line(), TicketLine::Logging);
    // Several contacts share the number: the picker asks, the line says nothing.
    call.inbound.as_mut().unwrap().candidates = vec![1, 2];
    assert_eq!(call.ticket_line(), TicketLine::Nothing);
    call.inbound.as_mut().unwrap().picked = Some(2);
    assert_eq!(call.ticket_line(), TicketLine::Logging);
    // Its reads failed for good: not logged.
    call.logging = Logging::Failed;
    assert_eq!(call.ticket_line(), TicketLine::NotLogged);

    // Found again after a reload with no ticket known: this page does not know whether its
    // first job is still to write, and does not say it is being logged.
    let resumed = ActiveCall::resumed(&listed(CallPhase::Connected, true, None), None, NOW);
    assert_eq!(resumed.ticket_line(), TicketLine::Nothing);
}

// An intent whose call the platform's recent calls no longer hold (older than the list reaches,
// or gone to another agent) can never be worked out: it was handed over at each sign-out and
// taken back at each sign-in, for good, and the sign-out said writes were kept. Only inbound
// first jobs go, and not those this page still works out.
#[test]
fn intents_whose_call_is_no_longer_listed_are_dropped() {
    let intents: Vec<String> = [
        "9.assigned",
        "10.assigned",
        "11.assigned",
        "12.chat",
        "13.vm-read",
        "14.placed",
        "garbage",
    ]
    .map(String::from)
    .to_vec();
    let on_screen = |call: u64| call == 11;
    assert_eq!(unlisted_intents(&intents, &[10], on_screen), ["9.assigned"]);
    assert_eq!(
        unlisted_intents(&intents, &[9, 10], |_| false),
        ["11.assigned"],
        "not on screen: 11 goes too"
    );
    // Nothing listed at all (no call in the last hour): every inbound intent goes, but for one
    // kept.
    assert_eq!(
        unlisted_intents(&intents, &[], on_screen),
        ["9.assigned", "10.assigned"]
    );
}

// A reload while an answered inbound call's first job waited on its reads (a rate limit): the
// job was never queued, so the resume skipped the call (gone from the screen mid-conversation,
// logged nowhere). Kept as intended, it is worked out again.
#[test]
fn regression_a_reload_while_an_inbound_calls_first_job_was_worked_out() {
    let live = listed(CallPhase::Connected, true, None);
    let nothing = |_: &JobKey| false;
    // Plain resume: not this adapter's.
    assert_eq!(resume(&live, nothing, None, false), Resume::Skip);
    // Intended for the picked contact 5: back on screen, worked out again for 5.
    assert_eq!(
        resume_unqueued(&live, Some(Some(5)), nothing, false),
        Some(Unqueued::Show { picked: Some(5) })
    );
    // Another live call on screen: left for a later resume.
    assert_eq!(resume_unqueued(&live, Some(Some(5)), nothing, true), None);
    // Ended meanwhile: its first job and then its end.
    let ended = listed(CallPhase::Ended, true, None);
    assert_eq!(
        resume_unqueued(&ended, Some(None), nothing, false),
        Some(Unqueued::LogEnded { picked: None })
    );
    // Not intended, or queued after all (the intent outlived it), or its end queued: nothing.
    assert_eq!(resume_unqueued(&live, None, nothing, false), None);
    let first = |k: &JobKey| *k == JobKey::first(7, true);
    assert_eq!(resume_unqueued(&live, Some(Some(5)), first, false), None);
    let end = |k: &JobKey| *k == JobKey::ended(7);
    assert_eq!(resume_unqueued(&ended, Some(Some(5)), end, false), None);
    // Outbound calls queue their first job at once: never intended.
    let outbound = listed(CallPhase::Connected, false, None);
    assert_eq!(resume_unqueued(&outbound, Some(None), nothing, false), None);

    // The call on screen: the caller as picked, not logged yet, being logged; its end waits
    // for the caller's job.
    let call = ActiveCall::resumed_unqueued(&live, Some(5), NOW);
    let inbound = call.inbound.as_ref().unwrap();
    assert_eq!((inbound.picked, inbound.logged), (Some(5), false));
    assert_eq!(call.ticket_line(), TicketLine::Logging);
    assert_eq!(call.end_log(), EndLog::AfterCaller);
    assert_eq!(call.connected_at_ms, Some(NOW - 30_000));
}

#[test]
fn a_customers_call_is_offered_to_the_agent_only_while_it_rings() {
    let mut call = inbound();
    assert!(call.offered_to_agent());
    call.on_event(CallEvent::Connected, NOW);
    assert!(!call.offered_to_agent(), "answered");
    let mut missed = inbound();
    missed.on_event(CallEvent::Ended, NOW);
    assert!(!missed.offered_to_agent(), "the caller hung up first");
    // An outbound call ringing at the customer's is not offered to anyone.
    assert!(!outbound(CallPhase::Ringing, TicketPlan::New).offered_to_agent());
}
