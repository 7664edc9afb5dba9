// End-to-end tests: the released adapter in the sandbox's emulated Zendesk workspace, driven in
// headless Chromium as an agent would drive it, then checked against what the emulated Zendesk
// holds (/_sandbox/state) and the requests the adapter made (/_sandbox/requests). FLOW-1: the four
// ways to start a call each have a test here (a contact, a ticket, the keypad, "Enter new number").
//
// Needs `dist/` (trunk build --release) and the sandbox binary (cargo build -p sandbox); the test
// command builds both first. SANDBOX_BIN overrides the binary's path.

import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import {
  startSandbox, signedInPage, signedInPageIn, settings as applySettings, adapterFrame as frameOf, retry,
  callFromTicketMenu, callFromProfile, openUserPage, dialAndConnect,
} from './support.mjs';

let env;
let page;

const api = (...args) => env.api(...args);
const state = () => api('GET', '/_sandbox/state');
const appRequests = async () =>
  (await api('GET', '/_sandbox/requests')).requests.filter((r) => r.source === 'app');
const settings = (operation) => applySettings(env, operation);
const adapterFrame = () => frameOf(page);

before(async () => {
  env = await startSandbox();
});

after(async () => {
  await env?.stop();
});

/** A fresh fixture, a fresh workspace page, the adapter signed in as `email`. */
async function signedIn(email = 'ada@sandbox.test', operation = {}) {
  const opened = await signedInPage(env, operation, { email });
  page = opened.page;
  return opened.app;
}

const userByPhone = (s, phone) => s.users.find((u) => u.phone === phone);
const ticketsOf = (s, userId) => s.tickets.filter((t) => t.requester_id === userId);
/** The app's writes since request `after`, ids replaced by N: `PUT /api/v2/tickets/N.json`. */
const appWritesSince = async (after) =>
  (await appRequests()).slice(after).filter((r) => r.method !== 'GET')
    .map((r) => `${r.method} ${r.path.replace(/\d{6,}/g, 'N')}`);
/** The catalogue's English texts the agent sees (src/domain/labels.rs). */
const TEXT = {
  ErrTeamEnterNewNumber: '"Enter new number" cannot be used while Ticket ID entry is on for your team.',
  ErrTeamClickToCall: "Calling from a contact's phone number cannot be used while Ticket ID entry is on for your team. Enter a Ticket ID instead.",
  ErrUnsavedNumberDisabled: "Calling numbers not saved on the contact is not enabled. Pick one of the contact's numbers or cancel.",
  ErrTicketNotFound: (id) => `Ticket #${id} not found.`,
  NoteTicketNumberReplacesTyped: "The ticket's number is called instead of the one you typed. Clear the Ticket ID to call yours.",
};
/** The internal text comments (voice comments are counted apart). */
const internal = (t) => t.comments.filter((c) => c.public === false && c.type === 'Comment');
const voice = (t) => t.comments.filter((c) => c.type !== 'Comment');

/**
 * "Enter new number" from the Call menu of Bruno's open ticket (FLOW-9): the keypad opens, the
 * agent types `number` and moves on to the choices. The state before, Bruno and the ticket.
 */
async function enterNewNumberOnBrunosTicket(app, number) {
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => t.status !== 'solved' && t.status !== 'closed');
  await callFromTicketMenu(page, open.id, 'new');
  await app.locator('[data-testid=keypad-next]').waitFor();
  // The keypad says who and which ticket the number is for (before, it said neither, and the
  // agent typed a number with no sign of the ticket it would go on).
  await eventually(async () => {
    const context = await app.locator('[data-testid=keypad-context]').innerText({ timeout: 1_000 });
    assert.match(context, new RegExp(`Contact ID: ${bruno.name}`));
    assert.match(context, new RegExp(`Ticket ID: #${open.id}\\b`));
  }, 'the keypad names the contact and the ticket');
  // FLOW-9 (4, 5): the agent clicks into the adapter's number and types (focus was on the
  // workspace's menu).
  await app.locator('[data-testid=dial-number]').click();
  await page.keyboard.type(number);
  await app.locator('[data-testid=keypad-next]').click();
  return { s, bruno, open };
}

async function callAndHangUp(app, { minimise = false } = {}) {
  const before = (await state()).platform_calls.length;
  await app.locator('[data-testid=call-button]').click();
  await app.locator('[data-testid=hangup-button]').waitFor();
  if (minimise) {
    // AGENT-3: minimising the adapter during the call does not affect it.
    await page.locator('[data-testid=app-icon]').click();
    await new Promise((r) => setTimeout(r, 500));
    await page.locator('[data-testid=app-icon]').click();
  }
  // The customer answers (auto_answer_ms), the agent talks, then hangs up.
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  const s = await state();
  assert.equal(s.platform_calls.length, before + 1, 'one call placed');
}

/** Waits until the field's value matches (CRM lookups finish after the screen opens). */
async function valueOf(app, testId, expected) {
  const field = app.locator(`[data-testid=${testId}]`);
  await eventually(async () => {
    const v = await field.inputValue({ timeout: 1_000 });
    if (expected instanceof RegExp) assert.match(v, expected);
    else assert.equal(v, expected);
  }, `${testId} shows ${expected}`);
}

/** Retries `check` for up to about 10 s (the adapter writes after the screen changes). */
const eventually = (check, what) => retry(check, what, env);

beforeEach(() => {
  env.output = '';
});

// FLOW-2, FLOW-3, MATRIX-1.0: click-to-call from a user profile; a known contact without open
// tickets gets a new ticket, assigned to the agent, with the call's data as internal comments;
// the whole call costs 2 reads (at the same time) and 2 writes.
test('click-to-call from a user profile creates the call ticket', async () => {
  const app = await signedIn();
  let s = await state();
  const anna = userByPhone(s, '+15550101000');
  const ticketsBefore = ticketsOf(s, anna.id).length;
  const requestsBefore = (await appRequests()).length;
  await callFromProfile(page, anna.id);
  await valueOf(app, 'contact-id', anna.name); // FLOW-3
  await valueOf(app, 'ticket-id', 'New ticket');
  await callAndHangUp(app, { minimise: true });
  const ticket = await eventually(async () => {
    s = await state();
    const mine = ticketsOf(s, anna.id);
    assert.equal(mine.length, ticketsBefore + 1, 'one new ticket');
    const t = mine.at(-1);
    assert.equal(internal(t).length, 2, 'call details, then call finished');
    assert.equal(voice(t).length, 1, `UPD-7: one voice comment with the recording: ${JSON.stringify(t.comments.map((c) => c.type))}`);
    return t;
  }, 'the call ticket');
  // AGENT-5: assigned to the agent who called (this used to fall back to the ticket's own
  // assignee, so it could not fail).
  const ada = s.agents.find((a) => a.email === 'ada@sandbox.test');
  assert.ok(ada?.zendesk_user_id, 'the agent is a Zendesk user');
  assert.equal(ticket.assignee_id, ada.zendesk_user_id);
  const callId = s.platform_calls.at(-1).id;
  assert.match(internal(ticket)[0].body, new RegExp(`^Call details\nCall ID: ${callId}\n`));
  assert.match(internal(ticket)[1].body, new RegExp(`^Call finished\nCall ID: ${callId}\n[\\s\\S]*Recording`));
  // Issue 11, item 4: the voice comment's From/To/Started block is filled: from the outbound
  // number, to Anna, started at the call's start (RFC 3339).
  const data = voice(ticket)[0].data ?? {};
  const placed = s.platform_calls.at(-1);
  assert.deepEqual({ from: data.from, to: data.to, started_at: data.started_at },
    { from: placed.line, to: '+15550101000', started_at: placed.started_at }, JSON.stringify(data));
  assert.match(data.from ?? '', /^\+[1-9]\d{1,14}$/);
  assert.match(data.started_at ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  // AGENT-2, issue 11 item 5: ada is the account's default CRM user (the fixture's first agent);
  // her own call still pops its new ticket (a routeTo from the adapter).
  const invokes = await page.evaluate(() => window.sandbox.invokes);
  assert.ok(invokes.some((i) => i.name === 'routeTo' && i.args[0] === 'ticket' && Number(i.args[1]) === ticket.id),
    `AGENT-2: the new ticket #${ticket.id} pops: ${JSON.stringify(invokes.map((i) => [i.name, ...i.args]))}`);
  const made = (await appRequests()).slice(requestsBefore);
  const reads = made.filter((r) => r.method === 'GET').length;
  const writes = made.length - reads;
  console.log(`requests for one click-to-call (known contact, new ticket, recording on): ${reads} read(s), ${writes} write(s)`);
  // The reads: the number's search and the contact's tickets, at the same time (Zendesk's
  // open_ticket_count counts tickets assigned to a user, so it cannot spare the ticket read).
  assert.ok(writes === 2 && reads <= 2, `at most 2 reads and 2 writes: ${JSON.stringify(made.map((r) => `${r.method} ${r.path}`))}`);
});

// Issue 21, lookups never stale: click-to-call a contact, Cancel; meanwhile, in Zendesk, their
// open ticket is solved and a new one opened. The next click-to-call reads again (it once sent no
// request and offered the solved ticket), offers the new ticket, and the call is logged there:
// the solved ticket is not reopened and gets nothing.
test('a second click-to-call reads again: a ticket solved meanwhile is not offered or reopened', async () => {
  const app = await signedIn();
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  assert.equal(open.length, 1, 'Bruno has one open ticket');
  const [old] = open;
  await callFromProfile(page, bruno.id);
  await valueOf(app, 'ticket-id', new RegExp(`#${old.id}\\b`));
  await app.locator('[data-testid=cancel-button]').click();

  // Another agent solves it and opens a new one for Bruno.
  await api('PUT', `/api/v2/tickets/${old.id}.json`, { ticket: { status: 'solved' } });
  const created = await api('POST', '/api/v2/tickets.json',
    { ticket: { subject: 'Opened meanwhile', requester_id: bruno.id, comment: { body: 'new', public: false } } });
  const fresh = created.ticket.id;
  const oldComments = (await state()).tickets.find((t) => t.id === old.id).comments.length;

  const requestsBefore = (await appRequests()).length;
  await callFromProfile(page, bruno.id);
  await valueOf(app, 'ticket-id', new RegExp(`#${fresh}\\b`));
  const reads = (await appRequests()).slice(requestsBefore).filter((r) => r.method === 'GET');
  assert.ok(reads.some((r) => r.path.includes(`/users/${bruno.id}/tickets/requested`)), `read again: ${JSON.stringify(reads.map((r) => r.path))}`);
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === fresh);
    const logged = internal(t).filter((c) => /^Call (details|finished)\n/.test(c.body ?? ''));
    assert.equal(logged.length, 2, 'the call is logged on the new ticket');
  }, 'the call on the new ticket');
  const solved = s.tickets.find((t) => t.id === old.id);
  assert.equal(solved.status, 'solved', 'the solved ticket is not reopened');
  assert.equal(solved.comments.length, oldComments, 'and gets nothing');
});

// #21, fresh enough to decide: a known contact's record is read again for each dial screen and
// Call waits for it. With the number's search (which brings the record) slow and the tickets
// fast, Call used to be enabled once the tickets answered, on the record an earlier screen had
// read: a contact renamed meanwhile showed, and was called under, the old name. Also when the
// tickets read fails once and its retry answers before the search (a retried read of the
// tickets alone released the contact).
test("a click-to-call waits for the contact's record read for this screen, not one read before", async () => {
  const app = await signedIn();
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  await callFromProfile(page, bruno.id);
  await valueOf(app, 'contact-id', bruno.name);
  await app.locator('[data-testid=cancel-button]').click();
  const slowSearch = { path_prefix: '/api/v2/users/search', latency_ms: 2500 };
  const ticketsFailOnce = { path_prefix: `/api/v2/users/${bruno.id}/tickets`, status: 500, count: 1 };
  try {
    const cases = [
      ['the search slow', [slowSearch], 'Renamed'],
      ['the tickets failing once', [slowSearch, ticketsFailOnce], 'Renamed again'],
    ];
    for (const [what, faults, suffix] of cases) {
      const renamed = `${bruno.name} ${suffix}`;
      await api('PUT', `/api/v2/users/${bruno.id}.json`, { user: { name: renamed } });
      await api('POST', '/_sandbox/faults', faults);
      await callFromProfile(page, bruno.id);
      await app.locator('[data-testid=dial-number]').waitFor();
      // The contact named in the frame in which Call is first enabled.
      const named = await app.evaluate(() => new Promise((resolve) => {
        const check = () => {
          const button = document.querySelector('[data-testid=call-button]');
          if (button && !button.disabled) resolve(document.querySelector('[data-testid=contact-id]')?.value);
          else requestAnimationFrame(check);
        };
        check();
      }));
      assert.equal(named, renamed, `${what}: Call waits for the record read for this screen`);
      await api('DELETE', '/_sandbox/faults');
      await app.locator('[data-testid=cancel-button]').click();
    }
  } finally {
    await api('DELETE', '/_sandbox/faults');
    await api('PUT', `/api/v2/users/${bruno.id}.json`, { user: { name: bruno.name } });
  }
});

// A click-to-call made again while the first one's read of the contact's tickets waits to be
// tried again: the first's retry, when it wakes, leaves the second's alone. Before, it took the
// second screen's own retry off the books: with that screen's tickets read paused by a 429 and
// the number's search answering meanwhile, Call was enabled with none of the contact's tickets
// read, offering a new ticket beside his open one (a duplicate ticket for the next call).
test("a click-to-call made again during a retry's wait still waits for its own tickets", async () => {
  const app = await signedIn();
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const dialout = () => page.evaluate((x) => window.sandbox.dialout(x), { number: '+15550101100', userId: bruno.id, ticketId: null });
  const tickets = `/api/v2/users/${bruno.id}/tickets`;
  try {
    await api('POST', '/_sandbox/faults', [
      { path_prefix: tickets, status: 503, count: 1 },
      { path_prefix: tickets, status: 429, retry_after: 4, count: 1 },
      { path_prefix: '/api/v2/users/search', latency_ms: 2_000 },
    ]);
    await dialout();
    // The first screen's tickets read failed: its retry waits about a second.
    await app.locator('[data-testid=error-banner]', { hasText: 'The lookup in Zendesk failed. Trying again in' }).waitFor();
    const again = Date.now();
    await dialout();
    // The ticket shown in the frame in which Call is first enabled.
    const shown = await app.evaluate(() => new Promise((resolve) => {
      const check = () => {
        const button = document.querySelector('[data-testid=call-button]');
        if (button && !button.disabled) resolve(document.querySelector('[data-testid=ticket-id]')?.value ?? '');
        else requestAnimationFrame(check);
      };
      check();
    }));
    assert.match(shown, new RegExp(`^#${open.id}\\b`), 'Call waits for his tickets, read for this screen');
    assert.ok(Date.now() - again >= 3_000, "after the 429's pause");
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// Team ticket entry: the ticket decides the number (TEAM-6: its requester's). A click-to-call
// from a ticket for someone other than its requester (a CC, say): the ticket answers at once,
// the other person's reads take 2 s, and the requester's number was changed in Zendesk after an
// earlier screen read it (the ticket opened since). Call is first enabled with the
// number read for this screen: the requester is read as soon as the ticket names them. Before,
// the requester was read only once the whole first pass had answered, and for those 2 s Call
// was enabled on the old number.
test("team ticket entry: a ticket's requester is read for this screen as soon as the ticket answers", async () => {
  const app = await signedIn('ben@sandbox.test', { team_ticket_entry: true });
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const anna = userByPhone(s, '+15550101000');
  const changed = '+15550103333';
  assert.ok(!s.users.some((u) => u.phone === changed), 'a number nobody has');
  const dialout = (d) => page.evaluate((x) => window.sandbox.dialout(x), d);
  const digits = (v) => v.replace(/\D/g, '');
  /** The number shown in the first display frame in which Call is enabled. */
  const numberWhenCallable = () => app.evaluate(() => new Promise((resolve) => {
    const check = () => {
      const button = document.querySelector('[data-testid=call-button]');
      if (button && !button.disabled) resolve(document.querySelector('[data-testid=dial-number]')?.value ?? '');
      else requestAnimationFrame(check);
    };
    check();
  }));
  // An earlier screen reads Bruno's record (his number typed), not the ticket.
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.type(bruno.phone);
  await page.keyboard.press('Enter'); // Next
  await valueOf(app, 'contact-id', bruno.name);
  await app.locator('[data-testid=cancel-button]').click();
  await app.locator('[data-testid=keypad-next]').waitFor();
  // Since then: a ticket opened for Bruno, and his number changed.
  const ticket = (await api('POST', '/api/v2/tickets.json',
    { ticket: { subject: 'Opened since', requester_id: bruno.id, comment: { body: 'new', public: false } } })).ticket;
  await api('PUT', `/api/v2/users/${bruno.id}.json`, { user: { phone: changed } });
  await api('POST', '/_sandbox/faults', [
    { path_prefix: `/api/v2/users/${anna.id}.json`, latency_ms: 2_000 },
    { path_prefix: `/api/v2/users/${anna.id}/`, latency_ms: 2_000 },
  ]);
  try {
    await dialout({ number: anna.phone, userId: anna.id, ticketId: ticket.id });
    assert.equal(digits(await numberWhenCallable()), digits(changed),
      "Call waits for the requester's record read for this screen");
    // The requester's pass has ended, Anna's reads are still out: the screen still says so.
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await app.locator('[data-testid=call-status]').innerText(), 'Looking up contacts and tickets…');
  } finally {
    await api('DELETE', '/_sandbox/faults');
    await api('PUT', `/api/v2/users/${bruno.id}.json`, { user: { phone: bruno.phone } });
  }
  await app.locator('[data-testid=cancel-button]').click();
});

// UI-9, UI-10: a lookup's answers change what Contact ID and Ticket ID say, not the fields
// themselves: the element the agent (or a screen reader) is on stays, and keeps the focus. The
// fields used to be drawn anew with each answer, and the focus fell to the page.
test("the lookup's answers leave the fields in place, and the focus where the agent put it", async () => {
  const app = await signedIn();
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const [open] = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  await openUserPage(page, bruno.id);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/', latency_ms: 1_500 });
  try {
    await page.locator('[data-testid=user-phone-0]').click();
    const ticket = app.locator('[data-testid=ticket-id][aria-busy=true]');
    await ticket.waitFor();
    // The screen puts the keyboard where it waits for the reads (the number) in its next
    // display frame; the agent moves it after that (moved before, it was put back there, and
    // taken on to Call with the answers: a race of the test, not an agent's).
    await eventually(async () => assert.equal(await app.evaluate(() => document.activeElement?.dataset?.testid), 'dial-number'), 'the keyboard waits in the number');
    await app.evaluate(() => {
      for (const id of ['contact-id', 'ticket-id']) document.querySelector(`[data-testid=${id}]`).__before = true;
    });
    await ticket.focus();
    await valueOf(app, 'contact-id', bruno.name);
    await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
    const kept = await app.evaluate(() => ({
      contact: document.querySelector('[data-testid=contact-id]').__before === true,
      ticket: document.querySelector('[data-testid=ticket-id]').__before === true,
      focus: document.activeElement?.dataset?.testid ?? document.activeElement?.tagName,
    }));
    assert.deepEqual(kept, { contact: true, ticket: true, focus: 'ticket-id' });
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
  // UI-12: Escape cancels from a read-only field too (a text field's keys used to be all its
  // own, Escape included). A select keeps its own Escape (its list may be open).
  await app.locator('[data-testid=language]').focus();
  await page.keyboard.press('Escape');
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(await app.evaluate(() => document.activeElement?.dataset?.testid), 'language', 'the key reached the select');
  assert.equal(await app.locator('[data-testid=ticket-id]').count(), 1, 'Escape on a select: the screen stays');
  await app.locator('[data-testid=ticket-id]').focus();
  await page.keyboard.press('Escape');
  await eventually(async () => assert.equal(await app.locator('[data-testid=ticket-id]').count(), 0), 'cancelled from Ticket ID');
  // A digit typed with the focus on a read-only field goes to the number (it was lost).
  await page.locator('[data-testid=user-phone-0]').click();
  await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
  await app.locator('[data-testid=ticket-id]').focus();
  const before = await app.locator('[data-testid=dial-number]').inputValue();
  await page.keyboard.press('5');
  await eventually(async () => assert.notEqual(await app.locator('[data-testid=dial-number]').inputValue(), before), 'the digit typed into the number');
  await app.locator('[data-testid=cancel-button]').click();
});

// The popover is 510px high: a number's warning (two lines) and the lookups' status line leave
// the keypad less than its rows would take. The rows shrink to what is left, and a short key
// drops its letters: no key covers the status line or Call, no key's digit is cut, in either
// language.
test('the keypad squeezed by a warning covers neither the status line nor Call, in English and Italian', async () => {
  for (const locale of ['en-US', 'it-IT']) {
    const opened = await signedInPageIn(env, locale);
    page = opened.page;
    const { app } = opened;
    /** Where the keys are, against the status line and Call; the keys whose shown text does
     * not fit in them; how many show their letters. */
    const measure = () => app.evaluate(() => {
      const box = (e) => e.getBoundingClientRect();
      const keys = [...document.querySelectorAll('[data-testid^=keypad-key-], [data-testid=keypad-paste], [data-testid=keypad-backspace]')];
      const warning = document.querySelector('[data-testid=number-warning]');
      const shown = (e) => getComputedStyle(e).display !== 'none';
      return {
        warningLines: warning ? Math.round(box(warning).height / parseFloat(getComputedStyle(warning).lineHeight || '16')) : 0,
        keys: keys.length,
        lowestKey: Math.max(...keys.map((k) => box(k).bottom)),
        status: box(document.querySelector('[data-testid=call-status]')).top,
        call: box(document.querySelector('[data-testid=call-button]')).top,
        withLetters: keys.filter((k) => [...k.querySelectorAll('span')].filter(shown).length > 1).length,
        textCut: keys.filter((k) => [...k.querySelectorAll('span')].filter(shown)
          .some((d) => box(d).top < box(k).top - 0.5 || box(d).bottom > box(k).bottom + 0.5))
          .map((k) => k.dataset.testid),
      };
    });
    // At rest: every key with letters shows them whole.
    const rest = await measure();
    assert.ok(rest.withLetters >= 8, `${locale}: the letters show at rest: ${JSON.stringify(rest)}`);
    assert.deepEqual(rest.textCut, [], `${locale}: every key's text shows whole at rest`);
    // The lookups wait, so the status line says so; the fixture's number is not a valid one
    // (written in full: in Italy its national digits would read as an Italian number).
    await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/', latency_ms: 5_000 });
    await app.locator('[data-testid=dial-number]').pressSequentially('+15550101100');
    await app.locator('[data-testid=call-status]').filter({ hasText: /\S/ }).waitFor();
    const layout = await measure();
    await page.locator('[data-testid=popover]').screenshot({ path: `target/keypad-squeezed-${locale}.png` });
    await api('DELETE', '/_sandbox/faults');
    assert.ok(layout.keys >= 12 && layout.warningLines >= 1, `${locale}: the keypad and the warning show: ${JSON.stringify(layout)}`);
    assert.ok(layout.lowestKey <= layout.status + 0.5, `${locale}: no key covers the status line: ${JSON.stringify(layout)}`);
    assert.ok(layout.lowestKey <= layout.call + 0.5, `${locale}: no key covers Call: ${JSON.stringify(layout)}`);
    assert.deepEqual(layout.textCut, [], `${locale}: every key's digit shows whole: ${JSON.stringify(layout)}`);
  }
});

// Issue 21, FLOW-2: a click-to-call on a user Zendesk no longer has (deleted, or merged into
// another user, since the agent's page showed the profile). Every read of them answers 404: the
// dial screen leaves the contact to the number, as from the keypad (here the user who holds it
// now), and the call is logged there. It used to say "looking up" for good, Call disabled, and
// read the deleted user's tickets again and again.
test('a click-to-call on a user deleted meanwhile is served by the number, and the deleted user is not read again', async () => {
  const app = await signedIn();
  const number = '+15550104242';
  const { user: kept } = await api('POST', '/api/v2/users.json', { user: { name: 'Kept Holder', phone: number, role: 'end-user' } });
  const { user: gone } = await api('POST', '/api/v2/users.json', { user: { name: 'Gone Duplicate', phone: number, role: 'end-user' } });
  await openUserPage(page, gone.id);
  await api('DELETE', `/api/v2/users/${gone.id}.json`);
  const requestsBefore = (await appRequests()).length;
  await page.locator('[data-testid=user-phone-0]').click();
  await valueOf(app, 'contact-id', kept.name);
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  // The agent is told why another contact shows.
  await app.locator('[data-testid=contact-notice]', { hasText: `The contact clicked, #${gone.id}, is no longer in Zendesk (deleted or merged): the contact is taken from the number.` }).waitFor();
  // Its 404s are answers: nothing about the deleted user is asked again.
  await new Promise((r) => setTimeout(r, 2_500));
  const reads = (await appRequests()).slice(requestsBefore).filter((r) => r.method === 'GET');
  const ofGone = reads.filter((r) => r.path.includes(`/users/${gone.id}`));
  assert.ok(ofGone.length >= 1 && ofGone.length <= 2, `the deleted user read once (record and tickets): ${JSON.stringify(reads.map((r) => r.path))}`);
  await callAndHangUp(app);
  await eventually(async () => {
    const s = await state();
    const logged = ticketsOf(s, kept.id).flatMap(internal).filter((c) => /^Call (details|finished)\n/.test(c.body ?? ''));
    assert.equal(logged.length, 2, 'the call is logged on a ticket of the user who holds the number');
    assert.equal(ticketsOf(s, gone.id).length, 0, 'nothing for the deleted user');
  }, 'the call on the kept user');
});

// Issue 21, UPD-3: the ticket the dial screen picked is solved by someone else after it was read
// and before Call: the append carries Zendesk's collision check (safe_update with the stamp read),
// Zendesk refuses it (409), the adapter reads the ticket again and decides again: the call is
// logged on a new ticket, the solved one is not reopened, and the agent is told why.
test('a ticket solved between the lookup and Call is caught by the collision check and not reopened', async () => {
  const app = await signedIn();
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const [picked] = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const known = new Set(s.tickets.map((t) => t.id));
  await callFromProfile(page, bruno.id);
  await valueOf(app, 'ticket-id', new RegExp(`#${picked.id}\\b`));
  // The stamp counts whole seconds: the other agent's change lands in a later second.
  await new Promise((r) => setTimeout(r, 1_100));
  await api('PUT', `/api/v2/tickets/${picked.id}.json`, { ticket: { status: 'solved' } });
  const commentsBefore = (await state()).tickets.find((t) => t.id === picked.id).comments.length;
  const requestsBefore = (await appRequests()).length;
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const made = s.tickets.filter((t) => !known.has(t.id) && t.requester_id === bruno.id);
    assert.equal(made.length, 1, 'one new ticket for Bruno');
    const logged = internal(made[0]).filter((c) => /^Call (details|finished)\n/.test(c.body ?? ''));
    assert.equal(logged.length, 2, 'the call is logged on the new ticket');
  }, 'the call on a new ticket');
  const solved = s.tickets.find((t) => t.id === picked.id);
  assert.equal(solved.status, 'solved', 'not reopened');
  assert.equal(solved.comments.length, commentsBefore, 'nothing appended');
  const writes = (await appRequests()).slice(requestsBefore);
  const refused = writes.filter((r) => r.method === 'PUT' && r.path.includes(`/tickets/${picked.id}.json`));
  assert.equal(refused.length, 1, 'one append tried');
  assert.equal(refused[0].status, 409, 'refused by the collision check');
  assert.equal(refused[0].body.ticket.safe_update, true);
  assert.match(refused[0].body.ticket.updated_stamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  await app.locator('[data-testid=error-banner]', { hasText: `Ticket #${picked.id} was solved, closed or given to another customer` }).waitFor();
});

// Bruno's open ticket is given to Anna in Zendesk. The agent had dialled Bruno's number earlier
// in the session: the next dial of it reads his tickets again, and the ticket is no longer
// offered as his (before, the read was added to what was known, and the ticket stayed his: the
// call went on Anna's ticket). Then the same change between the lookup and Call: the collision
// check finds the ticket another customer's, and the call goes on a new ticket of Bruno's.
test("a ticket given to another customer is neither offered nor appended to for the first one's call", async () => {
  const app = await signedIn();
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const anna = userByPhone(s, '+15550101000');
  const [picked] = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/', latency_ms: 300 }]);
  const dialBruno = async () => {
    await app.locator('[data-testid=dial-number]').fill(bruno.phone);
    await app.locator('[data-testid=keypad-next]').click();
  };
  const commentsOf = async (id) => (await state()).tickets.find((t) => t.id === id).comments.length;
  /** Calls Bruno on the screen shown; the new ticket of his that holds the call. */
  const callMakesTicket = async () => {
    const known = new Set((await state()).tickets.map((t) => t.id));
    await callAndHangUp(app);
    return eventually(async () => {
      s = await state();
      const made = s.tickets.filter((t) => !known.has(t.id) && t.requester_id === bruno.id);
      assert.equal(made.length, 1, 'a new ticket for Bruno');
      assert.equal(internal(made[0]).filter((c) => /^Call (details|finished)\n/.test(c.body ?? '')).length, 2);
      return made[0];
    }, 'the call on a new ticket of Bruno');
  };
  await dialBruno();
  await valueOf(app, 'ticket-id', new RegExp(`#${picked.id}\\b`));
  await app.locator('[data-testid=cancel-button]').click();
  await api('PUT', `/api/v2/tickets/${picked.id}.json`, { ticket: { requester_id: anna.id } });
  await dialBruno();
  await valueOf(app, 'ticket-id', 'New ticket');
  const annaBefore = await commentsOf(picked.id);
  const fresh = await callMakesTicket();
  assert.equal(await commentsOf(picked.id), annaBefore, "nothing on Anna's ticket");

  // Bruno's new ticket, read for the next screen, is given to Anna before Call.
  await app.locator('[data-testid=new-call-button]').click();
  await dialBruno();
  await valueOf(app, 'ticket-id', new RegExp(`#${fresh.id}\\b`));
  await new Promise((r) => setTimeout(r, 1_100)); // the stamp counts whole seconds
  await api('PUT', `/api/v2/tickets/${fresh.id}.json`, { ticket: { requester_id: anna.id } });
  const freshBefore = await commentsOf(fresh.id);
  await callMakesTicket();
  assert.equal(await commentsOf(fresh.id), freshBefore, "nothing on the ticket now Anna's");
  await app.locator('[data-testid=error-banner]', { hasText: `Ticket #${fresh.id} was solved, closed or given to another customer` }).waitFor();
});

// A ticket moved to a group the agent may not edit: Zendesk refuses its updates with 403. The
// agent is told, and that call's writes wait, tried again after a pause. The next call, on
// another contact's ticket, is logged at once. Before, every later write waited behind the
// refused one (tried again for up to three days): the next call was not logged either.
test('a ticket Zendesk refuses with 403 holds its own call\'s writes, not the next call\'s', async () => {
  const app = await signedIn();
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const [moved] = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const anna = userByPhone(s, '+15550101000');
  const logged = (s) => ticketsOf(s, anna.id).flatMap(internal).filter((c) => /^Call (details|finished)\n/.test(c.body ?? '')).length;
  const annaBefore = logged(s);
  await api('POST', '/_sandbox/faults', [
    { path_prefix: `/api/v2/tickets/${moved.id}.json`, method: 'PUT', status: 403 },
    { path_prefix: '/api/v2/', latency_ms: 150 },
  ]);
  try {
    const commentsBefore = moved.comments.length;
    const seq = Math.max(0, ...(await appRequests()).map((r) => r.seq));
    const started = Date.now();
    await callFromProfile(page, bruno.id);
    await valueOf(app, 'ticket-id', new RegExp(`#${moved.id}\\b`));
    await callAndHangUp(app);
    await app.locator('[data-testid=error-banner]', { hasText: 'Zendesk refused access to a ticket or contact' }).waitFor();
    await app.locator('[data-testid=error-banner]', { hasText: 'your other calls are logged meanwhile' }).waitFor();
    // The ended call says it is not logged yet, not "Logged on ticket".
    await app.locator('[data-testid=call-waiting]', { hasText: 'Not logged yet: waiting for Zendesk access.' }).waitFor();
    await app.locator('[data-testid=call-ticket-link]', { hasText: `#${moved.id}` }).waitFor();
    assert.equal(await app.getByText('Logged on ticket').count(), 0);
    await callFromProfile(page, anna.id);
    await valueOf(app, 'dial-number', /\d/);
    await callAndHangUp(app);
    await eventually(async () => {
      s = await state();
      assert.equal(logged(s), annaBefore + 2, 'Anna\'s call is logged, its start and its end');
    }, 'the next call logged');
    const refused = (await appRequests()).filter((r) => r.seq > seq && r.method === 'PUT' && r.path.includes(`/tickets/${moved.id}.json`));
    // Tried again after a pause of 30 s at least: once, unless this test took that long.
    assert.ok(refused.length >= 1 && refused.length <= 1 + Math.floor((Date.now() - started) / 30_000),
      `the refused update is not sent again at once: ${refused.length}`);
    assert.equal(s.tickets.find((t) => t.id === moved.id).comments.length, commentsBefore, 'nothing landed on it');
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// The ticket given back (its group's permission restored): the held writes land at the next try
// (the pause is 30 s), and the banner that said they wait goes, with the call's "Not logged
// yet". Before, the banner stayed over a call logged since.
test('a ticket refused with 403 then given back: its writes land and the waiting banner goes', async () => {
  const app = await signedIn();
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const [moved] = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  await api('POST', '/_sandbox/faults', [{ path_prefix: `/api/v2/tickets/${moved.id}.json`, method: 'PUT', status: 403 }]);
  try {
    await callFromProfile(page, bruno.id);
    await valueOf(app, 'ticket-id', new RegExp(`#${moved.id}\\b`));
    await callAndHangUp(app);
    const banner = app.locator('[data-testid=error-banner]', { hasText: 'Zendesk refused access to a ticket or contact' });
    await banner.waitFor();
    await app.locator('[data-testid=call-waiting]').waitFor();
    await api('DELETE', '/_sandbox/faults');
    await retry(async () => {
      const now = (await state()).tickets.find((t) => t.id === moved.id);
      assert.ok(now.comments.length >= moved.comments.length + 2, 'its start and its end');
    }, 'the held writes landed', env, 450);
    await banner.waitFor({ state: 'detached', timeout: 5_000 });
    await app.locator('[data-testid=call-waiting]').waitFor({ state: 'detached', timeout: 5_000 });
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// A permission withdrawn (the agent's role, or their groups): Zendesk refuses every call's
// updates. From the second call refused, the banner says so, and where to ask; it no longer says
// the other calls are logged meanwhile (they are not). Given back, every held write lands and
// the banner goes.
test('every call refused with 403: the banner says how many and to ask the admin, and goes once they land', async () => {
  const app = await signedIn();
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const anna = userByPhone(s, '+15550101000');
  const comments = (s) => s.tickets.filter((t) => [bruno.id, anna.id].includes(t.requester_id))
    .reduce((n, t) => n + t.comments.length, 0);
  const before = comments(s);
  await api('POST', '/_sandbox/faults', ['PUT', 'POST'].map((method) => ({ path_prefix: '/api/v2/tickets', method, status: 403 })));
  try {
    await callFromProfile(page, bruno.id);
    await valueOf(app, 'ticket-id', /\d/);
    await callAndHangUp(app);
    await app.locator('[data-testid=error-banner]', { hasText: 'your other calls are logged meanwhile' }).waitFor();
    await callFromProfile(page, anna.id);
    await valueOf(app, 'dial-number', /\d/);
    await callAndHangUp(app);
    const banner = app.locator('[data-testid=error-banner]', { hasText: 'Zendesk is refusing the updates of 2 calls or chats: your role or groups may have changed. Ask your Zendesk admin' });
    await banner.waitFor();
    assert.equal(await app.getByText('your other calls are logged meanwhile').count(), 0);
    assert.equal(comments(await state()), before, 'nothing landed');
    await api('DELETE', '/_sandbox/faults');
    await retry(async () => {
      assert.ok(comments(await state()) >= before + 4, 'both calls: their start and their end');
    }, 'the held writes landed', env, 450);
    await banner.waitFor({ state: 'detached', timeout: 5_000 });
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// A contact deleted in Zendesk between the lookup and Call: Zendesk refuses a ticket for them
// (422 naming the requester). Before, the call was logged nowhere ("Zendesk sent an unexpected
// answer. the ticket was not created"); now the rules' writes for the number with no contact
// take the place of the refused ones: a contact made for the number (CONTACT-7), the call's
// ticket theirs with both of its comments, and the agent told why.
test('a contact deleted between the lookup and Call: the call is logged on a contact made for the number', async () => {
  const app = await signedIn();
  let s = await state();
  const count = new Map();
  for (const u of s.users) if (u.phone) count.set(u.phone, (count.get(u.phone) ?? 0) + 1);
  const open = (u) => ticketsOf(s, u.id).some((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const gone = s.users.find((u) => u.role === 'end-user' && u.phone && count.get(u.phone) === 1 && !open(u));
  const known = new Set(s.tickets.map((t) => t.id));
  await callFromProfile(page, gone.id);
  await valueOf(app, 'contact-id', gone.name);
  await valueOf(app, 'ticket-id', 'New ticket');
  await api('DELETE', `/api/v2/users/${gone.id}.json`);
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const made = s.tickets.filter((t) => !known.has(t.id));
    assert.equal(made.length, 1, 'one new ticket');
    const caller = s.users.find((u) => u.id === made[0].requester_id);
    assert.ok(caller && caller.id !== gone.id && caller.phone === gone.phone, `a contact made for the number: ${JSON.stringify(caller)}`);
    const logged = internal(made[0]).filter((c) => /^Call (details|finished)\n/.test(c.body ?? ''));
    assert.equal(logged.length, 2, 'the call is logged on it');
  }, 'the call on a new contact');
  await app.locator('[data-testid=error-banner]', { hasText: `${gone.name}: contact deleted in Zendesk during the call: the call is logged on a new contact made for the number.` }).waitFor();
  // The ended call names the contact it is logged on, not the deleted one.
  await app.locator('[data-testid=call-caller]', { hasText: `Caller ${gone.phone}` }).waitFor();
});

// FLOW-4, FLOW-5, MATRIX-3: the Call menu on a ticket (the requester's number) appends the call to
// that open ticket: its two comments there, set Open, and no other ticket. (This test used to
// compare the state with itself for "no other ticket", and fired the dial-out itself instead of
// clicking the menu.)
test('the Call button on a ticket logs the call on that ticket', async () => {
  const app = await signedIn();
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const ticketsBefore = s.tickets.length;
  const requestsBefore = (await appRequests()).length;
  await callFromTicketMenu(page, open.id, 0);
  await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
  await valueOf(app, 'contact-id', bruno.name);
  const commentsBefore = internal(open).length;
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === open.id);
    assert.equal(internal(t).length, commentsBefore + 2, 'call details and call finished');
    assert.match(internal(t).at(-2).body, /^Call details/);
    assert.match(internal(t).at(-1).body, /^Call finished/);
    assert.equal(t.status, 'open', 'UPD-3: set Open');
  }, 'comments on the ticket');
  assert.equal(s.tickets.length, ticketsBefore, 'no other ticket');
  assert.deepEqual(await appWritesSince(requestsBefore),
    ['PUT /api/v2/tickets/N.json', 'PUT /api/v2/tickets/N.json'], 'the ticket updated twice, nothing else written');
});

// FLOW-6, FLOW-7, MATRIX-0.0, CONTACT-7: the keypad, an unknown number: a new contact with the
// E.164 number, and a new ticket for it.
test('manual dial of an unknown number creates the contact and the ticket', async () => {
  const app = await signedIn();
  await app.locator('[data-testid=dial-number]').click();
  for (const key of ['plus', '1', '2', '1', '2', '5', '5', '5', '0', '1', '4']) {
    await app.locator(`[data-testid=keypad-key-${key}]`).click();
  }
  await page.keyboard.type('3');
  await app.locator('[data-testid=keypad-next]').click();
  await valueOf(app, 'contact-id', 'New contact');
  await callAndHangUp(app);
  await eventually(async () => {
    const s = await state();
    const created = userByPhone(s, '+12125550143');
    assert.ok(created, `CONTACT-7: a contact with the E.164 number: ${s.users.map((u) => u.phone)}`);
    assert.equal(created.role, 'end-user');
    const t = ticketsOf(s, created.id);
    assert.equal(t.length, 1);
    assert.equal(internal(t[0]).length, 2);
  }, 'new contact and ticket');
});

// FLOW-8, FLOW-9, FLOW-10, SET-10: "Enter new number" on a ticket: the checkbox is ticked, the keypad is
// open; the typed number is written in the ticket's comments and never on the contact.
test('Enter new number writes the dialled number to the ticket only', async () => {
  const app = await signedIn('ada@sandbox.test', { allow_use_entered_number: true });
  const requestsBefore = (await appRequests()).length;
  let { s, bruno, open } = await enterNewNumberOnBrunosTicket(app, '+12125550199');
  assert.equal(await app.locator('[data-testid=use-entered-number]').isChecked(), true);
  await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
  // The ticket's requester is read once: the typed number's searches (which cannot return
  // Bruno) do not read him by id again.
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  const reads = (await appRequests()).slice(requestsBefore).filter((r) => r.method === 'GET')
    .map((r) => r.path.split('?')[0]);
  assert.equal(reads.filter((p) => p === `/api/v2/users/${bruno.id}.json`).length, 1, `Bruno read once: ${reads}`);
  await callAndHangUp(app);
  assert.equal((await state()).platform_calls.at(-1).customer_number, '+12125550199', 'the typed number is called');
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === open.id);
    assert.ok(internal(t).some((c) => c.body.includes('+12125550199')), 'FLOW-10: number in the comments');
    assert.match(internal(t).at(-1).body, /^Call finished/);
  }, 'dialled number on the ticket');
  const b = s.users.find((u) => u.id === bruno.id);
  assert.equal(b.phone, '+15550101100', 'the contact keeps its number');
  assert.equal(s.users.filter((u) => u.phone === '+12125550199').length, 0, 'no contact has the typed number');
  // CONTACT-6: every write is an update of that ticket (the call's details, the dialled number,
  // the end of the call); no user or identity is written.
  const writes = (await appRequests()).slice(requestsBefore).filter((r) => r.method !== 'GET');
  assert.deepEqual(writes.map((r) => `${r.method} ${r.path}`),
    Array(3).fill(`PUT /api/v2/tickets/${open.id}.json`), 'the ticket only');
  // The dialled-number comment says it once; the voice comment's To names it too (UPD-7).
  const comments = writes.map((r) => r.body?.ticket?.comment?.body ?? '');
  assert.equal(comments.filter((c) => c.includes('+12125550199')).length, 1, 'the number written once as a comment');
});

// SET-10, MATRIX-0.0, CONTACT-6: on the keypad, a number no contact has is called for a
// contact the agent names by its Contact ID, by keyboard: the call goes on that contact's open
// ticket with the number in its comments, and no contact is made for the number nor is it
// stored on the contact. Before, the Contact ID could not be typed in: the call made a new
// contact "Caller +1…" and a new ticket, and the contact's ticket got nothing. An id Zendesk
// does not have is refused, not taken as "New contact".
test('a Contact ID typed on the keypad names the contact of a number not saved on it', async () => {
  const app = await signedIn('ada@sandbox.test', { allow_use_entered_number: true });
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/', latency_ms: 300 }]);
  const typed = '+12125550188';
  let s = await state();
  assert.equal(s.users.filter((u) => u.phone === typed).length, 0, 'no contact has the number');
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  const ticketsBefore = s.tickets.length;
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.type(typed);
  await page.keyboard.press('Enter'); // Next
  await valueOf(app, 'contact-id', 'New contact');
  // The box ticked first: an Enter that went on from the Contact ID would call at once.
  await app.locator('[data-testid=use-entered-number]').check();
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  const noCallYet = async (what) => {
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(await app.locator('[data-testid=hangup-button]').count(), 0, what);
    assert.equal((await state()).platform_calls.length, s.platform_calls.length, what);
  };
  // Something that is no id names nobody: "New contact" again, and that Enter does not call.
  await app.locator('[data-testid=contact-id]').focus();
  await page.keyboard.type('abc');
  await page.keyboard.press('Enter');
  await valueOf(app, 'contact-id', 'New contact');
  await noCallYet('the Enter on "abc" placed no call');
  // An id Zendesk does not have names nobody: Call refused with the id, which stays typed; an
  // Enter then places no call (before, it made a new contact from the number).
  await page.keyboard.type('987654');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=call-status]', { hasText: 'Contact #987654 not found.' }).waitFor();
  await valueOf(app, 'contact-id', '#987654');
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true, 'Call refused');
  assert.equal(await app.locator('[data-testid=contact-notice]').count(), 0, 'said once');
  await page.keyboard.press('Enter');
  await noCallYet('the Enter on an unknown id placed no call');
  const focused = () => app.evaluate(() => document.activeElement?.dataset.testid);
  assert.equal(await focused(), 'contact-id', 'the keyboard stays in the refused id');
  assert.equal(await app.locator('[data-testid=contact-id]').getAttribute('aria-invalid'), 'true');
  // Bruno's id: his name and his open ticket; the Enter that named him does not call, and the
  // keyboard goes on to Call once he is read (it stayed in the Contact ID, where the next
  // Enter called on whatever the screen had then).
  await page.keyboard.type(String(bruno.id));
  await page.keyboard.press('Enter');
  await valueOf(app, 'contact-id', bruno.name);
  await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
  await noCallYet('the Enter that named him placed no call');
  await eventually(async () => assert.equal(await focused(), 'call-button'), 'the keyboard on Call');
  assert.equal(await app.locator('[data-testid=contact-id]').getAttribute('aria-invalid'), 'false');
  await callAndHangUp(app);
  assert.equal((await state()).platform_calls.at(-1).customer_number, typed, 'the typed number is called');
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === open.id);
    assert.ok(internal(t).some((c) => c.body.includes(`Dialled number (not saved on the contact): ${typed}`)), 'FLOW-10: the number in its comments');
    assert.match(internal(t).at(-1).body, /^Call finished/);
  }, "the call on Bruno's ticket");
  assert.equal(s.tickets.length, ticketsBefore, 'no new ticket');
  assert.equal(s.users.filter((u) => u.phone === typed).length, 0, 'no contact made for the number');
  assert.equal(s.users.find((u) => u.id === bruno.id).phone, '+15550101100', 'his number unchanged');
});

// OUT-10, SET-7: "Do not create a ticket" writes nothing to Zendesk.
test('Do not create a ticket writes nothing', async () => {
  const app = await signedIn('ada@sandbox.test', { allow_do_not_create_ticket: true });
  const before = await state();
  const anna = userByPhone(before, '+15550101000');
  const requestsBefore = (await appRequests()).length;
  await callFromProfile(page, anna.id);
  await app.locator('[data-testid=ticket-option-none]').waitFor();
  await app.locator('[data-testid=ticket-option-none]').click();
  await callAndHangUp(app);
  // The call screen says it is not logged as the agent chose, not as a failure would be.
  await app.locator('[data-testid=call-not-logged-chosen]', { hasText: 'Not logged in Zendesk, as you chose' }).waitFor();
  assert.equal(await app.locator('[data-testid=call-not-logged]').count(), 0, 'not said as a failure');
  // A call's writes start when it is placed and end right after the hang-up: give them time.
  await new Promise((r) => setTimeout(r, 1_500));
  const after = await state();
  assert.equal(after.tickets.length, before.tickets.length);
  assert.equal(after.users.length, before.users.length);
  assert.deepEqual(await appWritesSince(requestsBefore), [], 'no write');
  // OUT-10 on the platform's side: the call was placed as "none", and it keeps no recording.
  const call = after.platform_calls.at(-1);
  assert.deepEqual([call.status, call.ticket, call.ticket_id, call.recording_url], ['ended', 'none', null, null]);
});

// TEAM-4, TEAM-17: Recent's Call back of a call logged on no ticket, once the admin has switched
// Ticket ID entry on for the agent's team: the keypad with the number, where the Ticket ID is
// asked (optional here: blank, a new ticket), and a call. Before, it opened the contact's screen,
// which team entry refuses as a click-to-call from Zendesk ("Calling from a contact's phone
// number cannot be used…"), with Call disabled and no way on but Cancel and typing the number.
test("Recent's Call back with no ticket under team Ticket ID entry asks for the Ticket ID and calls", async () => {
  const app = await signedIn('ada@sandbox.test', { allow_do_not_create_ticket: true, team_ticket_entry: true });
  const anna = userByPhone(await state(), '+15550101000');
  await callFromProfile(page, anna.id);
  await app.locator('[data-testid=ticket-option-none]').click();
  await callAndHangUp(app);
  // Ada's team, Support, had entry off; the admin switches it on, and the adapter reads it.
  const { teams } = await api('GET', '/_sandbox/settings');
  const reads = async () => (await api('GET', '/_sandbox/info')).settings_reads;
  const read = await reads();
  await api('PUT', '/_sandbox/settings', {
    teams: teams.map((t) => (t.name === 'Support' ? { ...t, ticket_id_entry: { enabled: true, required: false } } : t)),
  });
  await eventually(async () => assert.ok((await reads()) > read), 'the adapter read the saved settings');
  await new Promise((r) => setTimeout(r, 500)); // and took them in
  await app.locator('[data-testid=new-call-button]').click();
  await app.locator('[data-testid=home-recent]').click();
  const row = app.locator('[data-testid=recent-call-back]').first();
  await row.waitFor();
  await row.click();
  const number = app.locator('[data-testid=dial-number]');
  await number.waitFor();
  assert.match((await number.inputValue()).replace(/\D/g, ''), /5550101000$/, "Anna's number on the keypad");
  // As if typed, with the choices in view.
  const ticketId = app.locator('[data-testid=ticket-id]');
  await ticketId.waitFor();
  assert.equal(await ticketId.getAttribute('readonly'), null, 'the Ticket ID asked (TEAM-4)');
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  assert.equal(await app.getByText("Calling from a contact's phone number cannot be used").count(), 0, 'no dead end');
  const placed = (await state()).platform_calls.length;
  await app.locator('[data-testid=call-button]').click();
  await app.locator('[data-testid=hangup-button]').waitFor();
  const calls = (await state()).platform_calls;
  assert.equal(calls.length, placed + 1, 'one call placed');
  assert.equal(calls.at(-1).customer_number, '+15550101000', 'Anna called back');
  await app.locator('[data-testid=hangup-button]').click();
  await api('PUT', '/_sandbox/settings', { teams });
});

// TEAM-4, TEAM-5, TEAM-6, TEAM-16: team ticket entry (required): Call waits for a Ticket ID, and
// the Ticket ID decides: the call goes to that ticket's requester and is logged on that ticket.
// "Enter new number" from the ticket's Call menu is refused with the TEAM-16 text and places no
// call. (This test used to accept any banner text, and placed no call at all.)
test('team ticket entry: required Ticket ID, Enter new number refused', async () => {
  const app = await signedIn('cleo@sandbox.test', { team_ticket_entry: true });
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => t.status === 'open' || t.status === 'new');
  const ticketsBefore = s.tickets.length;
  await page.keyboard.type('+15550101100');
  await app.locator('[data-testid=keypad-next]').click();
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true, 'TEAM-5 required');
  await app.locator('[data-testid=ticket-id]').fill(String(open.id));
  await eventually(async () => {
    assert.equal(await app.locator('[data-testid=call-button]').isDisabled({ timeout: 1_000 }), false);
  }, 'a usable Ticket ID enables Call');
  const commentsBefore = internal(open).length;
  await callAndHangUp(app);
  assert.equal((await state()).platform_calls.at(-1).customer_number, '+15550101100', "TEAM-6: the ticket's requester");
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === open.id);
    assert.equal(internal(t).length, commentsBefore + 2, 'the call on the entered ticket');
  }, 'the call on the entered ticket');
  assert.equal(s.tickets.length, ticketsBefore, 'no other ticket');

  await app.locator('[data-testid=new-call-button]').click();
  const callsBefore = s.platform_calls.length;
  await callFromTicketMenu(page, open.id, 'new');
  await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTeamEnterNewNumber }).waitFor();
  assert.equal(await app.locator('[data-testid=error-banner] span').innerText(), TEXT.ErrTeamEnterNewNumber);
  const call = app.locator('[data-testid=call-button]');
  if (await call.count()) assert.equal(await call.isDisabled(), true, 'TEAM-16: Call stays disabled');
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await state()).platform_calls.length, callsBefore, 'TEAM-16: no call placed');
});

// Team ticket entry, by keyboard, on a slow link: Next puts the focus in the empty Ticket ID
// entry while the number's search is out, and the agent types the ticket's number there. When the
// lookups answer, the focus stays in the entry: the digits after go on into it, not into the
// phone number (a focus move that waited for the lookups took it from there).
test('team ticket entry: a Ticket ID typed while the lookups answer keeps the focus', async () => {
  const { app, id } = await atTicketIdEntry([
    { path_prefix: '/api/v2/users/', latency_ms: 1_200 },
    { path_prefix: '/api/v2/tickets/', latency_ms: 1_200 },
  ]);
  try {
    const number = await app.locator('[data-testid=dial-number]').inputValue();
    await page.keyboard.type(id.slice(0, 4));
    // The lookups answer meanwhile: the search, and the read of ticket 4300 the digits asked for.
    await eventually(async () => {
      const paths = (await appRequests()).map((r) => r.path);
      assert.ok(paths.some((p) => p.startsWith('/api/v2/tickets/4300.json')), 'ticket 4300 read');
      assert.ok(paths.some((p) => p.startsWith('/api/v2/users/search')), 'the number searched');
    }, 'the lookups answered');
    await new Promise((r) => setTimeout(r, 200)); // and the screen drew them
    await page.keyboard.type(id.slice(4));
    await keptWholeThenCalled(app, id, number);
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// TEAM-4: the focus move the lookups' answer asks for is made at the screen's next frame; a key
// typed before that frame is the agent's choice of where to type. Seen on this machine under
// load: the first digit of a Ticket ID typed as the number's lookups answered, then the focus
// moved to the number (the entry was no longer empty, Call not yet enabled), and the other
// digits were lost, the ticket never read. The frames are made late here, as on a busy laptop.
test('team ticket entry: a Ticket ID typed just as the lookups answer keeps every digit', async () => {
  const { app, id } = await atTicketIdEntry([{ path_prefix: '/api/v2/users/', latency_ms: 1_200 }]);
  try {
    const number = await app.locator('[data-testid=dial-number]').inputValue();
    // Each frame 300 ms late; the test types as soon as the screen asks for one (the
    // lookups' answer drawn, the focus move it asks for on its way).
    await app.evaluate(() => {
      const frame = window.requestAnimationFrame.bind(window);
      window.frameAsked = new Promise((asked) => {
        window.requestAnimationFrame = (f) => {
          asked();
          return setTimeout(() => frame(f), 300);
        };
      });
    });
    await app.evaluate(() => window.frameAsked);
    await page.keyboard.type(id, { delay: 60 });
    await keptWholeThenCalled(app, id, number);
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// TEAM-6, OQ-19: a Ticket ID over a typed number calls the ticket's requester. The screen says
// so, and the typed number comes back when the Ticket ID is cleared (the ticket's number took its
// place without a word). Zendesk is slow, as on a shared office link.
test('team ticket entry: a Ticket ID over a typed number says the ticket\'s number is called, and clearing it brings the typed one back', async () => {
  const typed = '+12015550143';
  const { app, id } = await atTicketIdEntry([{ path_prefix: '/api/v2/', latency_ms: 300 }], typed);
  try {
    const number = app.locator('[data-testid=dial-number]');
    const warning = app.locator('[data-testid=number-warning]');
    const typedShown = await number.inputValue();
    assert.equal(await warning.count(), 0, 'nothing said before a Ticket ID');
    await page.keyboard.type(id, { delay: 60 });
    await warning.filter({ hasText: TEXT.NoteTicketNumberReplacesTyped }).waitFor();
    assert.notEqual(await number.inputValue(), typedShown, "the ticket's number shown");
    assert.equal(await number.getAttribute('readonly'), '', 'and not editable');
    // Cleared: the typed number is back, and the note goes.
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await eventually(async () => {
      assert.equal(await number.inputValue(), typedShown);
      assert.equal(await warning.count(), 0);
    }, 'the typed number back');
    // Typed again, and called: the ticket's requester is called.
    await page.keyboard.type(id, { delay: 60 });
    await warning.filter({ hasText: TEXT.NoteTicketNumberReplacesTyped }).waitFor();
    await callByEnterThenHangUp(app);
    assert.equal((await state()).platform_calls.at(-1).customer_number, '+15550101100', "Bruno's number called");
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

/**
 * Ben (his team's Ticket ID entry on) types `typed` (Bruno's number unless said) and Next, with
 * `faults` in force: the focus is in the Ticket ID entry. Returns the frame and the id of Bruno's
 * open ticket.
 */
async function atTicketIdEntry(faults, typed = '+15550101100') {
  const app = await signedIn('ben@sandbox.test', { team_ticket_entry: true });
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => t.status === 'open' || t.status === 'new');
  await api('POST', '/_sandbox/faults', faults);
  await page.keyboard.type(typed);
  await page.keyboard.press('Enter'); // Next
  await eventually(async () => assert.equal(
    await app.evaluate(() => document.activeElement?.dataset?.testid), 'ticket-id'), 'the focus in Ticket ID');
  return { app, id: String(open.id) };
}

/**
 * Every digit of Ticket ID `id` is in its entry, none in the number (still `number`), the keyboard
 * still in the entry; then Enter calls from there (UI-11), once the ticket is read.
 */
async function keptWholeThenCalled(app, id, number) {
  assert.equal(await app.locator('[data-testid=ticket-id]').inputValue(), id, 'every digit in Ticket ID');
  assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), number, 'none in the number');
  assert.equal(await app.evaluate(() => document.activeElement?.dataset?.testid), 'ticket-id');
  await callByEnterThenHangUp(app);
}

/** Enter calls, once Call is enabled; the call connects and is hung up. */
async function callByEnterThenHangUp(app) {
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=hangup-button]').waitFor();
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
}

// TEAM-4, TEAM-10: a Ticket ID is read once the agent pauses in it, not at every digit. Seen in a
// by-hand drive (Italian, 300 ms on Zendesk): every prefix of the id was read (ten reads for a
// ten-digit id), the prefixes an earlier id had read already were refused at once, each with a
// red Zendesk notification ("Ticket not found: #4", "#43"…), and the last of them stayed in the
// banner over the right ticket with Call enabled.
test('team ticket entry: a Ticket ID is read once typed, with no "not found" for its digits on the way', async () => {
  const { app, id } = await atTicketIdEntry([{ path_prefix: '/api/v2/', latency_ms: 300 }]);
  const wrong = `${id.slice(0, -2)}99`; // the same first digits, no such ticket
  try {
    const seq = Math.max(0, ...(await appRequests()).map((r) => r.seq));
    // A typist's pace: a key every 60 ms.
    await page.keyboard.type(wrong, { delay: 60 });
    await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTicketNotFound(wrong) }).waitFor();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(id, { delay: 60 });
    await app.locator('[data-testid=call-button]:not([disabled])').waitFor({ timeout: 10_000 });
    // The banner's "not found" went with the id it was about.
    assert.equal(await app.locator('[data-testid=error-banner]').count(), 0, 'no banner over the right ticket');
    const read = (await appRequests()).filter((r) => r.seq > seq && r.path.startsWith('/api/v2/tickets/'))
      .map((r) => r.path.replace(/^\/api\/v2\/tickets\/|\.json.*$/g, ''));
    assert.deepEqual([...new Set(read)].sort(), [id, wrong].sort(), `one read per id typed: ${read.join(', ')}`);
    const told = await page.evaluate(() => window.sandbox.notifications.map((n) => n.message));
    const notFound = told.filter((m) => /^Ticket #\d+ not found\.$/.test(m));
    assert.deepEqual(notFound, [TEXT.ErrTicketNotFound(wrong)], 'one notification, for the wrong id');
    await callByEnterThenHangUp(app);
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// TEAM-10: a Ticket ID of a ticket the agent may not see (a restricted agent, another group's
// ticket): Zendesk answers 403. The agent reads "Ticket not found", once, and no call can be
// placed on it; the right id then calls. Before, the 403 was taken for a read to try again:
// "Looking up…" with an access banner, read again and again, for as long as the id stayed.
test('team ticket entry: a ticket the agent may not see is "not found", read once', async () => {
  const s = await state();
  const hidden = s.tickets.find((t) => t.status === 'open' && t.requester_id !== userByPhone(s, '+15550101100').id);
  const { app, id } = await atTicketIdEntry([
    { path_prefix: `/api/v2/tickets/${hidden.id}`, method: 'GET', status: 403 },
    { path_prefix: '/api/v2/', latency_ms: 100 },
  ]);
  try {
    const seq = Math.max(0, ...(await appRequests()).map((r) => r.seq));
    await page.keyboard.type(String(hidden.id), { delay: 60 });
    await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTicketNotFound(hidden.id) }).waitFor();
    // Time for a read tried again (the first retry comes after 1 s, the next 2 s later).
    await new Promise((r) => setTimeout(r, 4_000));
    const reads = (await appRequests()).filter((r) => r.seq > seq && r.path.startsWith(`/api/v2/tickets/${hidden.id}`));
    assert.equal(reads.length, 1, `read once: ${reads.map((r) => r.path).join(', ')}`);
    assert.ok(await app.locator('[data-testid=call-button]').isDisabled(), 'no call on it');
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.keyboard.type(id, { delay: 60 });
    await callByEnterThenHangUp(app);
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// TEAM-10: a ticket read on an earlier screen, then moved where the agent may not see it (403),
// or deleted (404): typed again on a new screen, it is "not found" and no call can be placed on
// it. Before, the re-read's refusal left the earlier copy in the adapter's memory, and the call
// went out on it, its writes then refused.
test('team ticket entry: a ticket read earlier and refused now is "not found"', async () => {
  const { app } = await atTicketIdEntry([]);
  // Another customer's open ticket (a Ticket ID decides whose number is called, TEAM-6): the
  // screens typed on are Bruno's, whose reads (his tickets) would bring back one of his own.
  const s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const phoned = new Set(s.users.filter((u) => u.phone).map((u) => u.id));
  const id = String(s.tickets.find((t) => t.status === 'open' && t.requester_id !== bruno.id && phoned.has(t.requester_id)).id);
  /** A new screen: Bruno's number, Next, then the Ticket ID typed. */
  const typedOnNewScreen = async () => {
    await app.locator('[data-testid=cancel-button]').click();
    await app.locator('[data-testid=keypad-next]').waitFor();
    await app.locator('[data-testid=dial-number]').focus();
    await page.keyboard.type('+15550101100');
    await page.keyboard.press('Enter'); // Next
    await eventually(async () => assert.equal(
      await app.evaluate(() => document.activeElement?.dataset?.testid), 'ticket-id'), 'the focus in Ticket ID');
    await page.keyboard.type(id, { delay: 60 });
  };
  await page.keyboard.type(id, { delay: 60 });
  for (const status of [403, 404]) {
    // Read as it is (Call possible), then refused on the next screen.
    await app.locator('[data-testid=call-button]:not([disabled])').waitFor({ timeout: 20_000 });
    // The refusal comes after the requester's ticket list, which the sandbox (unlike Zendesk,
    // which lists no ticket the agent may not see, nor one deleted) still answers with it.
    await api('POST', '/_sandbox/faults', { path_prefix: `/api/v2/tickets/${id}`, method: 'GET', status, latency_ms: 1_500 });
    try {
      await typedOnNewScreen();
      await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTicketNotFound(id) }).waitFor();
      const placed = (await state()).platform_calls.length;
      await page.keyboard.press('Enter');
      await new Promise((r) => setTimeout(r, 500));
      assert.ok(await app.locator('[data-testid=call-button]').isDisabled(), `no call on it (${status})`);
      assert.equal((await state()).platform_calls.length, placed, `nothing placed (${status})`);
    } finally {
      await api('DELETE', '/_sandbox/faults');
    }
    await typedOnNewScreen();
  }
});

// TEAM-17: under team ticket entry, click-to-call on a contact's phone number is refused with the
// catalogue's text and places no call.
test("team ticket entry: a profile's phone link is refused", async () => {
  const app = await signedIn('cleo@sandbox.test', { team_ticket_entry: true });
  const s = await state();
  const anna = userByPhone(s, '+15550101000');
  await callFromProfile(page, anna.id);
  await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTeamClickToCall }).waitFor();
  assert.equal(await app.locator('[data-testid=error-banner] span').innerText(), TEXT.ErrTeamClickToCall);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal((await state()).platform_calls.length, s.platform_calls.length, 'no call placed');
  // "Enter a Ticket ID instead": one entered on this screen calls by it, the number the
  // ticket's (TEAM-6). Before, the field took the id and nothing read it: Call stayed off.
  const bruno = userByPhone(s, '+15550101100');
  const open = ticketsOf(s, bruno.id).find((t) => t.status === 'open' || t.status === 'new');
  await app.locator('[data-testid=ticket-id]').focus();
  await page.keyboard.type(String(open.id), { delay: 60 });
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor({ timeout: 10_000 });
  await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrTeamClickToCall }).waitFor({ state: 'detached' });
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=hangup-button]').waitFor();
  const call = (await state()).platform_calls.at(-1);
  assert.equal(call.customer_number, '+15550101100', "Bruno's, the ticket's requester");
  assert.equal(call.ticket_id, open.id);
  await app.locator('[data-testid=hangup-button]').click();
});

// The background location preloads the top bar: click-to-call reaches the adapter before the
// agent has ever opened it; the popover opens and asks the agent to sign in first.
test('click-to-call before the adapter was opened', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings();
  await page?.close();
  page = await env.browser.newPage({ viewport: { width: 1200, height: 760 } });
  env.page = page;
  await page.goto(`${env.base}/`);
  await page.evaluate(() => window.sandbox.ready);
  // Only the background location is loaded by the workspace; it preloads the top bar.
  const app = await adapterFrame();
  await eventually(async () => {
    const invokes = await page.evaluate(() => window.sandbox.invokes);
    assert.ok(invokes.some((i) => i.name === 'preloadPane'), JSON.stringify(invokes));
  }, 'the background location asked for preloadPane');
  assert.equal(await page.locator('#popover').isHidden(), true, 'preloaded, not shown');
  await app.locator('[data-testid=sign-in-email]').waitFor({ state: 'attached' });
  const anna = userByPhone(await state(), '+15550101000');
  await callFromProfile(page, anna.id);
  await page.locator('#popover').waitFor({ state: 'visible' });
  assert.deepEqual(await page.evaluate(() => window.sandbox.frames().filter((f) => f.location === 'top_bar').length), 1,
    'the preloaded top bar, not a second one');
  await app.locator('[data-testid=error-banner]', { hasText: 'Sign in' }).waitFor();
});

// FLOW-11, SET-9: "Enter new number" while calling unsaved numbers is off: the typed number is
// refused with a message, and the contact's stored numbers are offered instead.
test('Enter new number with unsaved numbers disallowed offers the stored numbers', async () => {
  const app = await signedIn('ada@sandbox.test', { allow_use_entered_number: false });
  let { s, bruno, open } = await enterNewNumberOnBrunosTicket(app, '+12125550199');
  assert.equal(await app.locator('[data-testid=use-entered-number]').count(), 0, 'SET-9: no checkbox');
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true);
  await app.locator('[data-testid=error-banner]', { hasText: TEXT.ErrUnsavedNumberDisabled }).waitFor();
  assert.equal(await app.locator('[data-testid=error-banner] span').innerText(), TEXT.ErrUnsavedNumberDisabled);
  // By keyboard: the number picked, the keyboard goes on to Call (the buttons go with the
  // refusal; it fell to the page body, from where the next Tab left the adapter).
  await app.locator('[data-testid=stored-number-0]').focus();
  await page.keyboard.press('Enter');
  await valueOf(app, 'ticket-id', new RegExp(`#${open.id}\\b`));
  await eventually(async () => assert.equal(await app.evaluate(() => document.activeElement?.dataset?.testid), 'call-button'), 'Call has the keyboard');
  const commentsBefore = internal(open).length;
  await callAndHangUp(app);
  assert.equal((await state()).platform_calls.at(-1).customer_number, bruno.phone, 'the stored number is called');
  await eventually(async () => {
    s = await state();
    const t = s.tickets.find((x) => x.id === open.id);
    assert.equal(internal(t).length, commentsBefore + 2);
    assert.ok(!internal(t).some((c) => c.body.includes('+12125550199')), 'the refused number is nowhere');
  }, 'the call on the ticket, to the stored number');
});

// SET-3, SET-5: the ticket chooser with "Create a new ticket": the call gets a new ticket even
// though the contact has open ones.
test('Create a new ticket from the chooser', async () => {
  const app = await signedIn('ada@sandbox.test', { prompt_select_open_ticket: true, allow_create_new_ticket: true });
  let s = await state();
  const bruno = userByPhone(s, '+15550101100');
  const before = ticketsOf(s, bruno.id).length;
  const openBefore = ticketsOf(s, bruno.id).filter((t) => ['new', 'open', 'pending', 'hold'].includes(t.status));
  assert.ok(openBefore.length > 0, 'the fixture: Bruno has open tickets');
  await callFromProfile(page, bruno.id);
  await app.locator('[data-testid=ticket-option-new]').waitFor();
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true, 'SET-3: nothing preselected');
  await app.locator('[data-testid=ticket-option-new]').click();
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const mine = ticketsOf(s, bruno.id);
    assert.equal(mine.length, before + 1, 'a new ticket');
    assert.equal(internal(mine.at(-1)).length, 2);
  }, 'the new ticket');
  for (const t of openBefore) {
    const now = s.tickets.find((x) => x.id === t.id);
    assert.equal(now.comments.length, t.comments.length, `open ticket #${t.id} untouched`);
  }
});

// A 429 holds up the ticket's creation until after the call has ended: the end of the call is
// written once the ticket exists, after Retry-After; nothing is lost (BATCH-5's wait, UPD-7).
test('the end of a call waits for a rate-limited ticket creation', async () => {
  const app = await signedIn();
  let s = await state();
  const anna = userByPhone(s, '+15550101000');
  const before = ticketsOf(s, anna.id).length;
  await api('POST', '/_sandbox/faults', {
    path_prefix: '/api/v2/tickets.json', status: 429, retry_after: 2, count: 1,
  });
  await callFromProfile(page, anna.id);
  await valueOf(app, 'contact-id', anna.name);
  await callAndHangUp(app);
  await eventually(async () => {
    s = await state();
    const mine = ticketsOf(s, anna.id);
    assert.equal(mine.length, before + 1, 'one ticket, created after Retry-After');
    assert.equal(internal(mine.at(-1)).length, 2, 'call details and call finished');
  }, 'the rate-limited call is fully logged');
  const limited = (await appRequests()).filter((r) => r.status === 429);
  assert.equal(limited.length, 1, 'the 429 happened');
});

// The agent closes the adapter's pane from Zendesk's top bar and opens it again (pane.activated):
// the keyboard comes back into the adapter, where it was, so the digits typed next reach the
// number, not Zendesk's icon. With nothing to come back to (the element that had it is gone), the
// screen's first field takes it: the sign-in form's email after a sign-out; a screen's heading.
test('opening the pane again from the top bar gives the keyboard back to the adapter', async () => {
  const app = await signedIn();
  const icon = page.locator('[data-testid=app-icon]');
  const focused = () => app.evaluate(() => (document.hasFocus() ? document.activeElement?.dataset?.testid ?? document.activeElement?.tagName : null));
  const reopen = async () => {
    await icon.click();
    await app.locator('[data-testid=adapter-root]').waitFor({ state: 'hidden' });
    assert.equal(await focused(), null, 'the keyboard on Zendesk while the pane is hidden');
    await icon.click();
    await app.locator('[data-testid=adapter-root]').waitFor();
  };
  await page.keyboard.type('555');
  await reopen();
  await retry(async () => assert.equal(await focused(), 'dial-number'), 'the number focused again', env);
  await page.keyboard.type('0101000');
  assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), '5550101000', 'typed on from the top bar');
  // A pane Zendesk keeps in layout while hidden (how it hides one is not known): the workspace
  // has the keyboard meanwhile, and the number has it again when the pane is shown.
  await page.locator('[data-testid=zd-agent]').focus();
  assert.equal(await focused(), null, 'the keyboard on the workspace');
  await page.evaluate(() => window.sandbox.fire('pane.activated', {}));
  await retry(async () => assert.equal(await focused(), 'dial-number'), 'the number has the keyboard again', env);
  await page.keyboard.press('Backspace');
  assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), '555010100', 'typed on');

  // Recent, from its home link: the heading the screen gave the keyboard to is where it comes back.
  await page.keyboard.press('Escape');
  await page.keyboard.press('r');
  await app.locator('[data-testid=recent-title]').waitFor();
  await retry(async () => assert.match(String(await focused()), /^recent-/), 'Recent has the keyboard', env);
  const onRecent = await focused();
  await reopen();
  await retry(async () => assert.equal(await focused(), onRecent), 'back where it was on Recent', env);

  // Signed out: the button that had the keyboard is gone; the sign-in form's email takes it.
  await page.keyboard.press('Escape');
  await app.locator('[data-testid=sign-out-button]').click();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await icon.click();
  await app.locator('[data-testid=adapter-root]').waitFor({ state: 'hidden' });
  await icon.click();
  await retry(async () => assert.equal(await focused(), 'sign-in-email'), 'the email focused', env);
});

// The sandbox's workspace as Zendesk's: another agent taking it is a new page, where every app
// starts again as that agent. The top bar started as the first agent (opened and closed, as the
// background location may preload it), then Ben takes the workspace and signs in: his call's
// ticket is assigned to Ben, not to the agent the frame started as (it was, when the frames went
// on as the agent before: a transfer to Ben left the ticket with Ada).
test("another agent taking the workspace gets apps that act as him", async () => {
  const ada = await signedIn('ada@sandbox.test', {});
  await ada.locator('[data-testid=sign-out-button]').click();
  await ada.locator('[data-testid=sign-in-email]').waitFor();
  const icon = page.locator('[data-testid=app-icon]');
  await icon.click();
  const { agents } = await api('GET', '/_sandbox/info');
  const ben = agents.find((a) => a.email === 'ben@sandbox.test');
  await page.evaluate((id) => window.sandbox.setAgent(id), ben.zendesk_user_id);
  await icon.click();
  const app = await adapterFrame();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[data-testid=sign-in-email]').fill(ben.email);
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
  await dialAndConnect(app, '+1 555 010 1000');
  const call = (await state()).platform_calls.at(-1);
  await retry(async () => {
    const t = (await state()).tickets.find((x) => x.comments.some((c) => (c.body ?? '').includes(`Call ID: ${call.id}`)));
    assert.ok(t, 'the call is logged');
    assert.equal(t.assignee_id, ben.zendesk_user_id, 'assigned to Ben');
  }, 'the call on its ticket', env);
});

// A chat offered (or a call) while the agent types in Zendesk: the adapter shows its pane, and
// the keyboard stays where the agent is typing; only a pane the agent opens takes it.
test('a pane the adapter shows for a chat offered leaves the keyboard in Zendesk', async () => {
  const app = await signedIn();
  const icon = page.locator('[data-testid=app-icon]');
  await icon.click();
  await app.locator('[data-testid=adapter-root]').waitFor({ state: 'hidden' });
  await page.locator('[data-testid=zd-agent]').focus();
  const { chat_id: id } = await api('POST', '/_sandbox/chats', {
    platform: 'web', menu: 'Support', lang: 'en', name: 'Ivo Typing', email: 'ivo.typing@example.test', text: 'Hello?',
  });
  await app.locator(`[data-testid=session-tab-${id}]`).waitFor();
  await app.locator('[data-testid=adapter-root]').waitFor();
  // Time for a focus move, were one to come (it comes in the next frame).
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await page.evaluate(() => document.activeElement?.dataset?.testid), 'zd-agent', 'the workspace keeps the keyboard');
  assert.equal(await app.evaluate(() => document.hasFocus()), false, 'the adapter did not take it');
});
