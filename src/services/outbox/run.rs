//! The outbox's run: the first due job's next write, one after another, with its retries,
//! merges followed, and the wait for the platform's queue where a ticket's order needs it.

use super::*;
use crate::zendesk::{TicketChange, Transport, Zendesk};
use serde_json::Value;

/// How often a direct write asks whether the queue has written what it holds for the ticket.
const QUEUE_POLL_MS: i64 = 1_000;
/// How long (in polls) a direct write waits for the queue before it goes anyway: a queue that
/// does not move must not hold up every later write (the order of that ticket may then differ).
const QUEUE_WAIT_LIMIT: u32 = 120;

/// True when nothing is left to send.
fn is_empty(change: &TicketChange) -> bool {
    change.to_json().as_object().is_none_or(|o| o.is_empty())
}

/// How many collisions a guarded write meets, the ticket read still open each time, before it
/// is written without the check.
const MAX_QUICK_COLLISIONS: u32 = 3;

/// How many merges a write follows before it gives up (merges chain rarely; a loop must end).
const MAX_MERGE_HOPS: u32 = 5;

impl<S: Store> Outbox<S> {
    /// Sends what is due, in order, until done or blocked; every write goes directly.
    pub async fn run<T: Transport>(&self, zendesk: &Zendesk<T>, now_ms: i64) -> RunReport {
        self.run_with(zendesk, &NoQueue, Batching::default(), now_ms)
            .await
    }

    /// Sends what is due, with the batched services going to the platform's queue.
    /// Jobs queued during the run are sent in the same run. A run started while another is
    /// sending returns an empty report at once: the one sending goes on to the new jobs.
    pub async fn run_with<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        now_ms: i64,
    ) -> RunReport {
        self.run_clocked(zendesk, queue, batching, &|| now_ms).await
    }

    /// [`Outbox::run_with`], reading the time from `clock` at each step: a run that waits on the
    /// network for seconds still honours `Retry-After` from when the answer came.
    pub async fn run_clocked<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        clock: &dyn Fn() -> i64,
    ) -> RunReport {
        let mut report = RunReport::default();
        if self.closed.get() || self.running.replace(true) {
            return report;
        }
        report.expired = self.expire_jobs(envelope::wall_clock_ms());
        self.releasing.set(false);
        loop {
            if self.closed.get() {
                break;
            }
            let job = match self.next_job(clock()) {
                Next::Job(job) => *job,
                Next::At(at) => {
                    report.wake_at_ms = Some(at);
                    break;
                }
                Next::Nothing => break,
            };
            match self
                .step(zendesk, queue, batching, job, clock, &mut report)
                .await
            {
                Step::Continue => {}
                Step::Wait(at) => {
                    report.wake_at_ms = Some(at);
                    break;
                }
            }
        }
        // The word that updates wait for access goes only once none waits any more (one job
        // written, another still refused and told before: it still waits).
        report.access_back &= !self.state.borrow().jobs.iter().any(|j| j.denied_told);
        report.refused_calls = refused_calls(&self.state.borrow().jobs);
        self.running.set(false);
        report
    }

    /// The job to work on next: the first, in order, unless jobs Zendesk refused with 403 come
    /// first. Those wait aside, with every later job that depends on one of them (see
    /// [`Job::depends_on`]); the first other job goes, or waits for its time, holding all after
    /// it as before. Of the refused jobs before it, one may go once their shared pause is over
    /// ([`Outbox::note_refusal`]): the one due longest, so that each has its turn. Nothing due:
    /// when to look again.
    fn next_job(&self, now: i64) -> Next {
        let paused = self.rate_limited_until.get();
        if paused > now {
            // Zendesk's limit is the account's: every job waits it out.
            return Next::At(paused);
        }
        let state = self.state.borrow();
        let of_earlier_job = |job: &Job| job.ticket_of.as_deref().and_then(|k| self.created_by(k));
        let refused_until = self.refused_until.get();
        let mut aside: Vec<&Job> = Vec::new();
        let mut wake: Option<i64> = None;
        let mut probe: Option<&Job> = None;
        for job in &state.jobs {
            if aside
                .iter()
                .any(|earlier| job.depends_on(earlier, &of_earlier_job))
            {
                aside.push(job);
                continue;
            }
            if job.refused {
                let due = job.not_before_ms.max(refused_until);
                if due > now {
                    wake = Some(wake.map_or(due, |w| w.min(due)));
                } else if probe.is_none_or(|p| job.not_before_ms < p.not_before_ms) {
                    probe = Some(job);
                }
                aside.push(job);
                continue;
            }
            if probe.is_none() && job.not_before_ms > now {
                return Next::At(wake.map_or(job.not_before_ms, |w| w.min(job.not_before_ms)));
            }
            return Next::Job(Box::new(probe.unwrap_or(job).clone()));
        }
        match probe {
            Some(job) => Next::Job(Box::new(job.clone())),
            None => wake.map_or(Next::Nothing, Next::At),
        }
    }

    /// Zendesk refused a job with 403: the refused jobs' shared pause starts again, longer with
    /// each refusal met since access was last given (30 s, then doubling to five minutes).
    /// Returns its end.
    fn note_refusal(&self, now: i64) -> i64 {
        let refusals = self.refusals.get() + 1;
        self.refusals.set(refusals);
        let until = now + domain::batch::retry_delay_ms(refusals).max(DENIED_PAUSE_MS);
        if !self.releasing.get() {
            self.refused_until.set(until);
        }
        until
    }

    /// Zendesk took a write of a job it had refused: access is back, so the other refused jobs
    /// are tried now, each once in this run (one refused again waits its own pause).
    fn access_given(&self, now: i64) {
        self.refusals.set(0);
        self.refused_until.set(0);
        self.releasing.set(true);
        let mut state = self.state.borrow_mut();
        for job in state.jobs.iter_mut().filter(|j| j.refused) {
            job.not_before_ms = job.not_before_ms.min(now);
        }
    }

    /// Performs the next write of `job`.
    async fn step<T: Transport, Q: CrmQueue>(
        &self,
        zendesk: &Zendesk<T>,
        queue: &Q,
        batching: Batching,
        mut job: Job,
        clock: &dyn Fn() -> i64,
        report: &mut RunReport,
    ) -> Step {
        if job.recording_withheld {
            // Read back from storage, which keeps no recording link: the platform has it.
            let call = domain::call::JobKey::parse(&job.key).map(|k| k.call);
            let url = match call {
                Some(call) => queue.recording_of(call).await,
                None => Ok(None),
            };
            match url {
                Ok(url) => {
                    // A call the platform no longer knows leaves the link out, not the writes.
                    job = job.with_recording(url.as_deref().unwrap_or_default());
                    self.replace_job(job.clone());
                }
                Err(_) => {
                    job.attempts += 1;
                    let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                    job.not_before_ms = at;
                    self.replace_job(job);
                    return Step::Wait(at);
                }
            }
        }
        let index = job.done;
        let recovering = job.in_flight;
        if recovering
            && job.creation_sent_ms.is_none()
            && matches!(&job.writes[index], Write::CreateUser(u) if !u.is_sdk())
        {
            // A creation cut short, stored by a version that kept no time (before an upgrade):
            // the search's time counts from now.
            job.creation_sent_ms = Some(clock());
        }
        // When the contact creation under way was sent, before this step: a creation sent again
        // and refused (429, 401) landed nothing, and the wait for one cut short counts from it.
        let creation_sent_before = job.creation_sent_ms;
        let op_key = format!("{}.{index}", job.key);
        let earlier = job.ticket_of.as_deref().map(|k| self.created_by(k));
        let resolve = |r: Ref, job: &Job| match (r, earlier) {
            (Ref::Existing(TICKET_OF_EARLIER_JOB), Some(created)) => created,
            (Ref::Existing(id), _) => Some(id),
            (Ref::Created(i), _) => job.ids.get(i).copied().flatten(),
        };
        // Known to have ended: not queued (here), and among the jobs finished.
        let earlier_ended = || {
            job.ticket_of.as_deref().is_some_and(|k| {
                let state = self.state.borrow();
                !state.jobs.iter().any(|j| j.key == k) && state.finished.iter().any(|f| f == k)
            })
        };
        let on_earlier = matches!(
            job.writes[index],
            Write::UpdateTicket {
                ticket: Ref::Existing(TICKET_OF_EARLIER_JOB),
                ..
            } | Write::ScreenPop {
                ticket: Ref::Existing(TICKET_OF_EARLIER_JOB)
            }
        );
        if on_earlier && earlier == Some(None) && earlier_ended() {
            // The job it follows (held before it, see `Job::depends_on`) ended with no ticket:
            // it failed, and the agent heard why. Nothing of this one can land; it ends
            // without a second message ("unexpected answer") over the one that said why.
            self.finish_job(&job.key);
            report.dropped.push(job.key);
            return Step::Continue;
        }
        let batching = *job.batching.get_or_insert(batching);
        if !recovering && matches!(job.writes[index], Write::CreateUser(_)) {
            job.creation_sent_ms = Some(clock());
        }
        job.in_flight = true;
        self.replace_job(job.clone());
        // What a reload needs (this job, marked in flight) is kept before the request leaves.
        self.store.flush().await;
        let result: Result<Option<u64>, ZendeskError> = match job.writes[index].clone() {
            Write::CreateUser(user) => {
                // A creation cut short by a reload may have landed: look for it first (an SDK
                // contact's creation is an upsert by its email or identifier: no need).
                let searched = recovering && !user.is_sdk() && !user.phone.is_empty();
                let existing = if searched {
                    zendesk
                        .users_by_phone(&user.phone)
                        .await
                        .map(|m| m.contacts.into_iter().find(|c| c.name == user.name))
                } else {
                    Ok(None)
                };
                let sent = job.creation_sent_ms.filter(|_| searched);
                match existing {
                    Ok(Some(contact)) => Ok(Some(contact.id)),
                    // Not in the search, which may not show it yet: asked again a little later,
                    // the creation still counted as under way, until the index has had its time.
                    Ok(None) if sent.is_some_and(|at| clock() < at + CREATION_INDEX_LAG_MS) => {
                        let until = sent.unwrap_or_default() + CREATION_INDEX_LAG_MS;
                        let at = (clock() + CREATION_RECHECK_MS).min(until);
                        job.not_before_ms = at;
                        self.replace_job(job);
                        return Step::Wait(at);
                    }
                    Ok(None) => {
                        if recovering {
                            // Sent again: a reload during this one waits from now.
                            job.creation_sent_ms = Some(clock());
                            self.replace_job(job.clone());
                            self.store.flush().await;
                        }
                        match zendesk.create_user(&user).await {
                            Ok(created) => {
                                // The directory knows contacts by number: one made with
                                // none (a web chat's visitor) is not its.
                                if !user.phone.is_empty() {
                                    queue.contact_created(&user.phone, created.id).await;
                                }
                                Ok(Some(created.id))
                            }
                            Err(e) => Err(e),
                        }
                    }
                    Err(e) => Err(e),
                }
            }
            Write::CreateTicket {
                mut ticket,
                requester,
            } => match resolve(requester, &job) {
                Some(requester_id) => {
                    ticket.requester_id = requester_id;
                    ticket.idempotency_key = Some(op_key.clone());
                    zendesk.create_ticket(&ticket).await.map(|t| {
                        report.created_tickets.push((job.key.clone(), t.id));
                        let mut state = self.state.borrow_mut();
                        state.created.push((job.key.clone(), t.id));
                        let excess = state.created.len().saturating_sub(FINISHED_MEMORY);
                        state.created.drain(..excess);
                        Some(t.id)
                    })
                }
                None => Err(ZendeskError::Decode("the requester was not created".into())),
            },
            Write::UpdateTicket { ticket, change } => match resolve(ticket, &job) {
                Some(id) => {
                    // A request cut short (a reload) may have landed, whichever way it went:
                    // the ticket's audits say. Batching may have been switched on meanwhile,
                    // and the queue only knows repeats of its own keys.
                    let landed = if recovering {
                        zendesk.update_applied(id, &op_key).await
                    } else {
                        Ok(false)
                    };
                    // The collision check needs Zendesk's own answer: a guarded write goes
                    // directly, whatever the batching.
                    let seen = job
                        .guard
                        .as_ref()
                        .filter(|g| g.ticket == id && index == 0)
                        .map(|g| g.seen_updated_at);
                    let (ops, change) = match seen {
                        Some(_) => (Vec::new(), change.clone()),
                        None => batching.split(id, &op_key, &change),
                    };
                    let earlier = if landed == Ok(false)
                        && !is_empty(&change)
                        && job.queue_waits < QUEUE_WAIT_LIMIT
                    {
                        self.queue_holds(queue, id).await
                    } else {
                        Ok(false)
                    };
                    match (landed, earlier) {
                        (Ok(true), _) => Ok(None),
                        (Err(e), _) => Err(e),
                        (_, Err(e)) => Err(ZendeskError::Transport(e)),
                        (Ok(false), Ok(true)) => {
                            // The queue still holds earlier writes to this ticket: wait for them.
                            job.in_flight = recovering;
                            job.queue_waits += 1;
                            let at = clock() + QUEUE_POLL_MS;
                            job.not_before_ms = at;
                            self.replace_job(job);
                            return Step::Wait(at);
                        }
                        (Ok(false), Ok(false)) => {
                            // The queue ignores a key it has seen: queueing again is safe.
                            let queued = if ops.is_empty() {
                                Ok(())
                            } else {
                                match queue.queue(&ops).await {
                                    Ok(()) => {
                                        self.handed_to_queue(id, &ops);
                                        Ok(())
                                    }
                                    Err(QueueError::Refused(_)) => {
                                        // The platform will not write this ticket for the
                                        // agent and queued nothing: the whole write goes
                                        // directly, under the agent's own Zendesk rights, and
                                        // stays direct on a retry or a resume.
                                        job.batching = Some(Batching::default());
                                        job.in_flight = recovering;
                                        self.replace_job(job);
                                        return Step::Continue;
                                    }
                                    Err(QueueError::Unavailable(e)) => {
                                        Err(ZendeskError::Transport(e))
                                    }
                                }
                            };
                            match queued {
                                Ok(()) if is_empty(&change) => Ok(None),
                                Ok(()) => zendesk
                                    .update_ticket_if_unchanged(id, &change, Some(&op_key), seen)
                                    .await
                                    .map(|_| None),
                                Err(e) => Err(e),
                            }
                        }
                    }
                }
                None => Err(ZendeskError::Decode("the ticket was not created".into())),
            },
            Write::ScreenPop { ticket } => {
                if let Some(id) = resolve(ticket, &job) {
                    report.screen_pops.push(id);
                }
                Ok(None)
            }
        };
        if job.refused && !matches!(result, Err(ZendeskError::Forbidden)) {
            // No longer refused access: whatever came instead (a 429, a failure) is handled as
            // for any job, its backoff starting afresh.
            job.refused = false;
            job.attempts = 0;
        }
        match result {
            Ok(id) => {
                if index == 0 {
                    // Written: the rest of the job is this call's own. A guarded append landed
                    // (with its check, or without it after collisions): the call's ticket is
                    // settled, the one written to (a merge's survivor, if one was followed).
                    let guarded =
                        job.guard.take().is_some() || job.collisions >= MAX_QUICK_COLLISIONS;
                    if let (true, Write::UpdateTicket { ticket: Ref::Existing(t), .. }) =
                        (guarded, &job.writes[0])
                    {
                        report.created_tickets.push((job.key.clone(), *t));
                    }
                    job.redecided = false;
                }
                job.ids[index] = id;
                job.done += 1;
                job.in_flight = false;
                job.batching = None;
                job.queue_waits = 0;
                job.attempts = 0;
                // Access is back: a refusal after this is news again, the word that the
                // updates wait is over, and the other refused jobs are tried now (whatever came
                // between the refusal and this: a 429, a failure).
                if std::mem::take(&mut job.denied_told) {
                    report.access_back = true;
                    self.access_given(clock());
                }
                if job.done == job.writes.len() {
                    // A job that wrote to an existing ticket: jobs queued on it find it too.
                    if let Some(ticket) = ticket_of_job(&job) {
                        let mut state = self.state.borrow_mut();
                        if !state.created.iter().any(|(k, _)| *k == job.key) {
                            state.created.push((job.key.clone(), ticket));
                            let excess = state.created.len().saturating_sub(FINISHED_MEMORY);
                            state.created.drain(..excess);
                        }
                    }
                    self.finish_job(&job.key);
                    report.completed.push(job.key);
                } else {
                    self.replace_job(job);
                }
                Step::Continue
            }
            Err(ZendeskError::RateLimited { retry_after_s }) => {
                let at = clock() + (retry_after_s as i64) * 1000;
                // The account's limit: no job goes before then, not even one set aside.
                self.rate_limited_until.set(at);
                // This request was refused, but an earlier one cut short may still have landed
                // (the 429 may have answered the check): keep what was known before it.
                job.in_flight = recovering;
                job.creation_sent_ms = creation_sent_before;
                job.not_before_ms = at;
                self.replace_job(job);
                Step::Wait(at)
            }
            Err(e) if e.is_retryable() => {
                // The request may or may not have landed: keep `in_flight` so the retry checks.
                job.attempts += 1;
                let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                job.not_before_ms = at;
                self.replace_job(job);
                Step::Wait(at)
            }
            Err(ZendeskError::Conflict) => match job.guard.clone().filter(|_| index == 0) {
                Some(guard) => self.decide_again(zendesk, job, guard, clock, report).await,
                None => {
                    // Two updates of one ticket collided: nothing landed; try again shortly.
                    job.attempts += 1;
                    job.in_flight = recovering;
                    let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                    job.not_before_ms = at;
                    self.replace_job(job);
                    Step::Wait(at)
                }
            },
            Err(ZendeskError::Closed) if job.merge_hops < MAX_MERGE_HOPS => {
                // UPD-8: a ticket closed by a merge lives on in its target: write there.
                let target = match &job.writes[index] {
                    Write::UpdateTicket { ticket, .. } => resolve(*ticket, &job),
                    _ => None,
                };
                let followed = match target {
                    Some(id) => zendesk.merge_target(id).await,
                    None => Ok(None),
                };
                match followed {
                    Ok(Some(survivor)) => {
                        if let Write::UpdateTicket { ticket, .. } = &mut job.writes[index] {
                            *ticket = Ref::Existing(survivor);
                        }
                        job.merge_hops += 1;
                        job.in_flight = false;
                        self.replace_job(job);
                        Step::Continue
                    }
                    Ok(None) => {
                        self.finish_job(&job.key);
                        report.failed.push((job.key, ZendeskError::Closed));
                        Step::Continue
                    }
                    Err(_) => {
                        // The write was refused, nothing landed: look again later.
                        job.attempts += 1;
                        let at = clock() + domain::batch::retry_delay_ms(job.attempts);
                        job.not_before_ms = at;
                        job.in_flight = false;
                        self.replace_job(job);
                        Step::Wait(at)
                    }
                }
            }
            Err(e)
                if index == 0
                    && e.refuses_requester()
                    && job.if_requester_gone.as_ref().is_some_and(|g| {
                        matches!(
                            &job.writes[0],
                            Write::CreateTicket { requester: Ref::Existing(id), .. } if *id == g.requester
                        )
                    }) =>
            {
                // The refused write wrote nothing. The writes for the number with no contact take
                // its place only when the contact is gone (a read by id: 404, or soft-deleted)
                // and the number has no contact now (a merge target or another contact holding
                // it is not replaced by a new one): otherwise the job ends, said, as before.
                let Some(gone) = job.if_requester_gone.clone() else {
                    return Step::Continue;
                };
                match self.requester_gone(zendesk, &gone).await {
                    Ok(true) => {
                        job.if_requester_gone = None;
                        report.requester_gone.push((job.key.clone(), gone.requester));
                        self.start_over(job, gone.instead, report)
                    }
                    Ok(false) => {
                        self.finish_job(&job.key);
                        report.failed.push((job.key, e));
                        Step::Continue
                    }
                    Err(read) => {
                        // Not known yet: the refused write is tried again later.
                        job.in_flight = false;
                        self.wait_to_decide(job, &read, clock, report)
                    }
                }
            }
            Err(e @ (ZendeskError::Unauthorized | ZendeskError::Forbidden)) => {
                // Zendesk refused access: nothing of this request landed, and nothing is lost.
                // The job waits and is tried again after a pause; the agent hears it once. The
                // agent's Zendesk session ended (401): every job waits behind it. This job's
                // record is not the agent's to write (403): it waits aside, and later jobs that
                // do not depend on it go on.
                tell_denied_once(&mut job, &e, report);
                job.attempts += 1;
                job.in_flight = recovering;
                job.creation_sent_ms = creation_sent_before;
                job.refused = e == ZendeskError::Forbidden;
                let mut at = clock() + domain::batch::retry_delay_ms(job.attempts).max(DENIED_PAUSE_MS);
                if job.refused {
                    at = at.max(self.note_refusal(clock()));
                }
                job.not_before_ms = at;
                self.wait(job, at)
            }
            Err(e) => {
                self.finish_job(&job.key);
                report.failed.push((job.key, e));
                Step::Continue
            }
        }
    }

    /// The ticket a guarded job appends to changed since it was read (see [`Guard`]): read it
    /// again; still open (or chosen as it was) and still its requester's, the append goes ahead
    /// against what was read now; no longer open, given to another requester (the call's
    /// customer is not theirs), or gone, the job's writes become the guard's `instead`. The refused
    /// request wrote nothing, and a request cut short before it was looked for in the audits
    /// just before it was sent, so the job starts afresh either way.
    async fn decide_again<T: Transport>(
        &self,
        zendesk: &Zendesk<T>,
        mut job: Job,
        guard: Guard,
        clock: &dyn Fn() -> i64,
        report: &mut RunReport,
    ) -> Step {
        job.in_flight = false;
        match zendesk.ticket(guard.ticket).await {
            Ok(now)
                if (now.status.is_open_set() || !guard.open_when_read)
                    && guard.requester.is_none_or(|r| r == now.requester_id) =>
            {
                job.collisions += 1;
                job.guard = if job.collisions >= MAX_QUICK_COLLISIONS {
                    // A busy ticket (other agents, the platform's queue) changed again at each
                    // try, and was just read still open: the rules still pick it, so the append
                    // goes without the check rather than waiting behind a growing backoff.
                    None
                } else {
                    Some(Guard {
                        seen_updated_at: now.updated_at,
                        ..guard
                    })
                };
                self.replace_job(job);
                Step::Continue
            }
            Ok(_) | Err(ZendeskError::NotFound) => {
                job.guard = None;
                // Its ticket is still to come: later jobs of the call keep following it.
                job.redecided = true;
                report.redecided.push((job.key.clone(), guard.ticket));
                self.start_over(job, guard.instead, report)
            }
            Err(read) => self.wait_to_decide(job, &read, clock, report),
        }
    }

    /// True when Zendesk no longer has the contact `gone` names and nobody else has the number
    /// the writes instead would make a contact for.
    async fn requester_gone<T: Transport>(
        &self,
        zendesk: &Zendesk<T>,
        gone: &RequesterGone,
    ) -> Result<bool, ZendeskError> {
        match zendesk.user(gone.requester).await {
            Err(ZendeskError::NotFound) => {}
            Ok(_) => return Ok(false),
            Err(e) => return Err(e),
        }
        let phone = gone.instead.iter().find_map(|w| match w {
            Write::CreateUser(user) if !user.phone.is_empty() => Some(user.phone.clone()),
            _ => None,
        });
        match phone {
            // The contact itself, still in a lagging search, does not count: it was read gone.
            Some(phone) => Ok(zendesk
                .users_by_phone(&phone)
                .await?
                .contacts
                .iter()
                .all(|c| c.id == gone.requester)),
            None => Ok(false),
        }
    }

    /// The job's writes decided again: `writes` take their place, none of them done (the
    /// refused write wrote nothing); none at all ends the job.
    fn start_over(&self, mut job: Job, writes: Vec<Write>, report: &mut RunReport) -> Step {
        job.ids = vec![None; writes.len()];
        job.writes = writes;
        job.done = 0;
        job.in_flight = false;
        job.attempts = 0;
        job.batching = None;
        if job.writes.is_empty() {
            self.finish_job(&job.key);
            report.completed.push(job.key);
        } else {
            self.replace_job(job);
        }
        Step::Continue
    }

    /// What decides the job could not be read: it waits and tries later.
    fn wait_to_decide(
        &self,
        mut job: Job,
        read: &ZendeskError,
        clock: &dyn Fn() -> i64,
        report: &mut RunReport,
    ) -> Step {
        let at = match read {
            // Zendesk said when to ask again: not before (a backoff shorter than Retry-After
            // would only meet another 429).
            ZendeskError::RateLimited { retry_after_s } => {
                let at = clock() + (*retry_after_s as i64) * 1000;
                self.rate_limited_until.set(at);
                job.refused = false;
                at
            }
            // Access refused (the agent's Zendesk session ended): a pause, the agent told once,
            // as for a write refused so.
            ZendeskError::Unauthorized | ZendeskError::Forbidden => {
                tell_denied_once(&mut job, read, report);
                job.attempts += 1;
                job.refused = *read == ZendeskError::Forbidden;
                let at = clock() + domain::batch::retry_delay_ms(job.attempts).max(DENIED_PAUSE_MS);
                if job.refused {
                    at.max(self.note_refusal(clock()))
                } else {
                    at
                }
            }
            _ => {
                if std::mem::take(&mut job.refused) {
                    job.attempts = 0;
                }
                job.attempts += 1;
                clock() + domain::batch::retry_delay_ms(job.attempts)
            }
        };
        job.not_before_ms = at;
        self.wait(job, at)
    }

    /// Stores `job`, waiting till `at`: the run stops there, unless Zendesk refused the job
    /// access with 403 (it waits aside, and the jobs that do not depend on it go on).
    fn wait(&self, job: Job, at: i64) -> Step {
        let refused = job.refused;
        self.replace_job(job);
        if refused {
            Step::Continue
        } else {
            Step::Wait(at)
        }
    }

    /// True while the platform's queue holds operations handed to it for `ticket`; forgets those
    /// it has written.
    async fn queue_holds<Q: CrmQueue>(&self, queue: &Q, ticket: u64) -> Result<bool, String> {
        let keys: Vec<String> = self
            .state
            .borrow()
            .handed
            .iter()
            .filter(|(t, _)| *t == ticket)
            .map(|(_, k)| k.clone())
            .collect();
        for key in keys {
            if !queue.settled(&key).await? {
                return Ok(true);
            }
            self.state.borrow_mut().handed.retain(|(_, k)| *k != key);
            self.persist();
        }
        Ok(false)
    }

    fn handed_to_queue(&self, ticket: u64, ops: &[Value]) {
        {
            let mut state = self.state.borrow_mut();
            for key in ops.iter().filter_map(|op| op["key"].as_str()) {
                if !state.handed.iter().any(|(_, k)| k == key) {
                    state.handed.push((ticket, key.to_owned()));
                }
            }
            let excess = state.handed.len().saturating_sub(FINISHED_MEMORY);
            state.handed.drain(..excess);
        }
        self.persist();
    }

    fn replace_job(&self, job: Job) {
        if let Some(queued) = self
            .state
            .borrow_mut()
            .jobs
            .iter_mut()
            .find(|j| j.key == job.key)
        {
            *queued = job;
        }
        self.persist();
    }

    fn finish_job(&self, key: &str) {
        {
            let mut state = self.state.borrow_mut();
            state.jobs.retain(|j| j.key != key);
            state.remember_finished(key);
        }
        self.persist();
    }
}

enum Step {
    Continue,
    Wait(i64),
}

/// What the run does next (see [`Outbox::next_job`]).
enum Next {
    Job(Box<Job>),
    At(i64),
    Nothing,
}

/// How many calls (or chats) have a job Zendesk refuses with 403: one is a ticket moved where
/// the agent may not edit it; several are likely the agent's role or groups changed.
fn refused_calls(jobs: &[Job]) -> usize {
    let mut calls: Vec<&str> = jobs
        .iter()
        .filter(|j| j.refused)
        .map(|j| {
            j.key
                .split_once('.')
                .map_or(j.key.as_str(), |(call, _)| call)
        })
        .collect();
    calls.sort_unstable();
    calls.dedup();
    calls.len()
}

/// Zendesk refused `job` access: the agent hears it once per refusal (not at every retry, and
/// whatever failed before it).
fn tell_denied_once(job: &mut Job, error: &ZendeskError, report: &mut RunReport) {
    if !std::mem::replace(&mut job.denied_told, true) {
        report.paused.push((job.key.clone(), error.clone()));
    }
}
