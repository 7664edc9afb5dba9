//! Property tests: phone normalisation, and the batcher under any interleaving of enqueue,
//! flush, failure, 429, partial failure and crash/restart.

use std::collections::BTreeMap;

use domain::batch::*;
use domain::phone;
use proptest::prelude::*;

proptest! {
    // UI-7: normalisation is idempotent and the E.164 output parses back to itself.
    #[test]
    fn phone_normalisation_idempotent(
        region in prop::sample::select(vec!["US", "GB", "FR", "DE", "IT", "ES", "BR", "JP", "AU", "IN"]),
        digits in "[0-9]{4,14}",
        plus in any::<bool>(),
        sep in prop::sample::select(vec!["", " ", "-", ".", "(", ")"]),
    ) {
        let mut input = if plus { String::from("+") } else { String::new() };
        for (i, c) in digits.chars().enumerate() {
            if i % 3 == 2 { input.push_str(sep); }
            input.push(c);
        }
        if let Ok(p) = phone::parse(&input, region) {
            prop_assert!(p.e164.starts_with('+'));
            let again = phone::normalize(&p.e164, region).expect("E.164 output parses");
            prop_assert_eq!(&again, &p.e164);
            // From any other region too: E.164 carries its country.
            prop_assert_eq!(phone::normalize(&p.e164, "JP").unwrap(), p.e164.clone());
            prop_assert_eq!(phone::normalize(&p.international, region).unwrap(), p.e164.clone());
        }
    }
}

#[derive(Clone, Debug)]
enum Step {
    Enqueue {
        ticket: u64,
        comment: bool,
        replay_old: bool,
    },
    Advance(i64),
    Exec(Exec),
    Restart,
}

#[derive(Clone, Copy, Debug)]
enum Exec {
    Done,
    Failed,
    RateLimited(u64),
    PartialRetry,
    CrashAfterApply,
    CrashBeforeApply,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => (0u64..5, any::<bool>(), prop::bool::weighted(0.15))
            .prop_map(|(ticket, comment, replay_old)| Step::Enqueue { ticket, comment, replay_old }),
        2 => (0i64..15_000).prop_map(Step::Advance),
        5 => prop_oneof![
            4 => Just(Exec::Done),
            1 => Just(Exec::Failed),
            1 => (1u64..5).prop_map(Exec::RateLimited),
            1 => Just(Exec::PartialRetry),
            1 => Just(Exec::CrashAfterApply),
            1 => Just(Exec::CrashBeforeApply),
        ].prop_map(Step::Exec),
        1 => Just(Step::Restart),
    ]
}

/// A fake Zendesk: the keys applied to each ticket, in order.
#[derive(Default)]
struct Store {
    applied: BTreeMap<u64, Vec<String>>,
}

impl Store {
    fn apply(&mut self, r: &Request) {
        for t in &r.tickets {
            self.applied
                .entry(t.ticket_id)
                .or_default()
                .extend(t.keys.iter().cloned());
        }
    }
    fn has(&self, t: &TicketUpdate) -> bool {
        self.applied
            .get(&t.ticket_id)
            .is_some_and(|v| v.contains(&t.keys[0]))
    }
}

fn restart(persisted: &str) -> Batcher {
    let mut b: Batcher = serde_json::from_str(persisted).expect("state restores");
    b.recover();
    b
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    // BATCH-10, BATCH-11, OQ-25: nothing lost, nothing written twice, per-ticket order kept.
    #[test]
    fn batcher_loses_nothing_duplicates_nothing(
        steps in prop::collection::vec(step(), 1..120),
        frequency_s in 1u32..=60,
        batch_comment in any::<bool>(),
        batch_update in any::<bool>(),
    ) {
        let config = BatchConfig { frequency_s, batch_add_comment: batch_comment, batch_ticket_update: batch_update };
        let mut b = Batcher::new(config);
        let mut persisted = serde_json::to_string(&b).unwrap();
        let mut store = Store::default();
        let mut now: i64 = 0;
        let mut next_key = 0u32;
        let mut expected: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        let mut all_keys: Vec<(u64, String)> = Vec::new();
        let mut outstanding: Vec<Work> = Vec::new();

        for s in steps {
            match s {
                Step::Enqueue { ticket, comment, replay_old } => {
                    if replay_old && !all_keys.is_empty() {
                        // A replay of an old key (e.g. the outbox after a reload) is ignored.
                        let (t, k) = all_keys[next_key as usize % all_keys.len()].clone();
                        prop_assert_eq!(b.enqueue(Op::comment(k, t, "again"), now), Enqueued::Duplicate);
                    } else {
                        let key = format!("k{next_key}");
                        next_key += 1;
                        let op = if comment { Op::comment(key.clone(), ticket, "c") } else { Op::update(key.clone(), ticket, None, Some(1)) };
                        prop_assert_eq!(b.enqueue(op, now), Enqueued::Accepted);
                        expected.entry(ticket).or_default().push(key.clone());
                        all_keys.push((ticket, key));
                    }
                }
                Step::Advance(ms) => now += ms,
                Step::Restart => {
                    b = restart(&persisted);
                    outstanding.clear();
                }
                Step::Exec(e) => {
                    if outstanding.is_empty() {
                        if let Some(w) = b.next_work(now) {
                            outstanding.push(w);
                            // Write-ahead: the state is persisted before the request is sent.
                            persisted = serde_json::to_string(&b).unwrap();
                        }
                    }
                    if let Some(w) = outstanding.pop() {
                        match w {
                            Work::Verify(r) => {
                                let applied = r.tickets.iter().filter(|t| store.has(t)).map(|t| t.ticket_id).collect();
                                b.complete(r.id, Outcome::Verified { applied }, now);
                            }
                            Work::Send(r) => match e {
                                Exec::Done => { store.apply(&r); b.complete(r.id, Outcome::Done, now); }
                                Exec::Failed => b.complete(r.id, Outcome::Failed, now),
                                Exec::RateLimited(s) => b.complete(r.id, Outcome::RateLimited { retry_after_s: s }, now),
                                Exec::PartialRetry => {
                                    let failed = vec![(r.tickets[0].ticket_id, TicketError::Retryable)];
                                    let rest = Request { id: r.id, tickets: r.tickets[1..].to_vec() };
                                    store.apply(&rest);
                                    b.complete(r.id, Outcome::Partial { failed }, now);
                                }
                                Exec::CrashAfterApply => {
                                    store.apply(&r);
                                    b = restart(&persisted);
                                    outstanding.clear();
                                }
                                Exec::CrashBeforeApply => {
                                    b = restart(&persisted);
                                    outstanding.clear();
                                }
                            },
                        }
                    }
                }
            }
            persisted = serde_json::to_string(&b).unwrap();
        }

        // Drain: time passes, everything succeeds.
        for _ in 0..10_000 {
            now += 1_000;
            match b.next_work(now) {
                Some(Work::Send(r)) => { store.apply(&r); b.complete(r.id, Outcome::Done, now); }
                Some(Work::Verify(r)) => {
                    let applied = r.tickets.iter().filter(|t| store.has(t)).map(|t| t.ticket_id).collect();
                    b.complete(r.id, Outcome::Verified { applied }, now);
                }
                None if b.is_idle() => break,
                None => {}
            }
        }
        prop_assert!(b.is_idle());
        prop_assert_eq!(b.pending(), 0);
        prop_assert!(b.take_reports().is_empty());
        // Exactly the enqueued keys, each once, in enqueue order per ticket.
        prop_assert_eq!(store.applied, expected);
    }
}
