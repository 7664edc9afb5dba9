// An agent's first hour, end to end: what a new agent met in the sandbox with a little latency,
// an admin changing a setting while they worked, and the keyboard. Each test failed against the
// adapter before its fix (issue "An agent's first hour", items 1 and 2).
//
// Needs `dist/` (trunk build --release) and the sandbox binary (cargo build -p sandbox).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, signedInPage, signInWith, callFromTicketMenu, slowReads, clearFaults, streamRouted, untilStreamRouted } from './support.mjs';

let env;
let page;

const api = (...args) => env.api(...args);
const state = () => api('GET', '/_sandbox/state');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  env = await startSandbox();
});

after(async () => {
  await env?.stop();
});

const BRUNO = '+15550101100'; // one contact, one open ticket (MATRIX 1.1)
const TWO_OPEN = '+15550101200'; // one contact, two open tickets (MATRIX 1.2)

const userByPhone = (s, phone) => s.users.find((u) => u.phone === phone);
const openTicketsOf = (s, userId) =>
  s.tickets
    .filter((t) => t.requester_id === userId && !['solved', 'closed'].includes(t.status))
    .sort((a, b) => b.created_at - a.created_at || b.id - a.id);

/** Polls `check` (which throws until it holds) for up to `ms`. */
async function eventually(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      return await check();
    } catch (e) {
      last = e;
      await sleep(100);
    }
  }
  throw new Error(`${what}: ${last?.message}\n${env.output.slice(-1500)}`);
}

/**
 * What the ticket part of the dial screen offers, once nothing is loading: the chooser's option
 * test ids, or the read-only field's text, and whether the "use entered number" box is there.
 */
async function ticketPart(app) {
  return eventually(async () => {
    const contact = await app.locator('[data-testid=contact-id]').count()
      ? await app.locator('[data-testid=contact-id]').inputValue() : '';
    assert.ok(!contact.startsWith('Loading'), 'contact still loading');
    const readonly = app.locator('[data-testid=ticket-id]');
    const readonlyText = (await readonly.count()) ? await readonly.inputValue() : null;
    assert.ok(!readonlyText?.startsWith('Loading'), 'tickets still loading');
    const options = await app.locator('[data-testid^=ticket-option-]').evaluateAll(
      (els) => els.map((e) => e.dataset.testid));
    const checkbox = (await app.locator('[data-testid=use-entered-number]').count()) > 0;
    return { options, readonly: readonlyText, checkbox };
  }, 'the dial screen settled');
}

/**
 * An admin saves `patch` (as `PUT /_sandbox/settings` takes it); resolves once the platform has
 * answered a settings read since (the adapter's, on `settings.changed`), and the answer has had
 * time to reach the frame.
 */
async function adminSavesAndAdapterReads(patch) {
  const reads = async () => (await api('GET', '/_sandbox/info')).settings_reads;
  const before = await reads();
  await api('PUT', '/_sandbox/settings', patch);
  await eventually(async () => assert.ok((await reads()) > before), 'the adapter read the saved settings');
  await sleep(500);
}

/** A fresh dial screen (Cancel), the number typed on the keyboard, then Next. */
async function dialTyped(app, number) {
  await app.locator('[data-testid=cancel-button]').click();
  await app.locator('[data-testid=keypad-next]').waitFor();
  await page.keyboard.type(number);
  await app.locator('[data-testid=keypad-next]').click();
  return ticketPart(app);
}

// SET-16, SET-13 (item 1): an admin changes each of the five Operation Management switches
// while the agent is signed in; the next dial screen follows each change, both ways. Before
// the fix the settings of sign-in stayed until the agent signed in again.
test('SET-16: each Operation Management switch changed while signed in reaches the next dial screen', async () => {
  ({ page } = await signedInPage(env)); // every switch off (the defaults)
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const s = await state();
  const owner = userByPhone(s, TWO_OPEN);
  const [newest, older] = openTicketsOf(s, owner.id);
  const switchTo = (operation) => api('PUT', '/_sandbox/settings', { operation });
  const newestLabel = `#${newest.id} ${newest.subject}`;

  let part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part, { options: [], readonly: newestLabel, checkbox: false }, 'defaults: SET-2');

  await switchTo({ prompt_select_open_ticket: true }); // SET-3
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options, [`ticket-option-${newest.id}`, `ticket-option-${older.id}`]);

  await switchTo({ allow_create_new_ticket: true }); // SET-5
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options,
    [`ticket-option-${newest.id}`, `ticket-option-${older.id}`, 'ticket-option-new']);

  await switchTo({ allow_do_not_create_ticket: true }); // SET-7
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options,
    [`ticket-option-${newest.id}`, `ticket-option-${older.id}`, 'ticket-option-new', 'ticket-option-none']);

  await switchTo({ allow_use_entered_number: true }); // SET-10
  part = await dialTyped(app, TWO_OPEN);
  assert.equal(part.checkbox, true, 'UI-8: the checkbox appears');

  await switchTo({ do_not_append: true }); // SET-11: no existing ticket is offered
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options, ['ticket-option-new', 'ticket-option-none']);

  // And back: each switch off again, one at a time.
  await switchTo({ do_not_append: false });
  part = await dialTyped(app, TWO_OPEN);
  assert.ok(part.options.includes(`ticket-option-${newest.id}`), 'existing tickets offered again');

  await switchTo({ allow_do_not_create_ticket: false });
  part = await dialTyped(app, TWO_OPEN);
  assert.ok(!part.options.includes('ticket-option-none'), '"Do not create a ticket" withdrawn');

  await switchTo({ allow_create_new_ticket: false }); // SET-6: an existing open ticket must be used
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options, [`ticket-option-${newest.id}`, `ticket-option-${older.id}`]);

  await switchTo({ allow_use_entered_number: false });
  part = await dialTyped(app, TWO_OPEN);
  assert.equal(part.checkbox, false, 'the checkbox is withdrawn');

  await switchTo({ prompt_select_open_ticket: false });
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part, { options: [], readonly: newestLabel, checkbox: false }, 'SET-2 again');
});

// SET-16: an agent waits on the keypad after sign-in, touching nothing, while an admin saves
// the settings: that keypad takes them (nothing on it is the agent's work). A keypad with a
// number typed keeps the settings it opened with until the next opening. The platform's
// settings read takes 600 ms. Before the fix the keypad after sign-in kept the settings of
// sign-in until a Cancel or a call: no "Do not create a ticket", no chooser.
test('SET-16: an untouched keypad takes settings saved meanwhile; a keypad in use keeps its own until the next opening', async () => {
  ({ page } = await signedInPage(env)); // every switch off (the defaults)
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const s = await state();
  const owner = userByPhone(s, TWO_OPEN);
  const [newest, older] = openTicketsOf(s, owner.id);
  const existing = [`ticket-option-${newest.id}`, `ticket-option-${older.id}`];
  await api('POST', '/_sandbox/faults', { path_prefix: '/platform/settings', latency_ms: 600 });
  const adminSaves = (operation) => adminSavesAndAdapterReads({ operation });

  await adminSaves({ prompt_select_open_ticket: true, allow_do_not_create_ticket: true });
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.type(TWO_OPEN);
  await page.keyboard.press('Enter'); // Next
  let part = await ticketPart(app);
  assert.deepEqual(part.options, [...existing, 'ticket-option-none'],
    'the keypad after sign-in offers what the admin switched on while it waited');

  // A number typed, then a change: this screen keeps its settings; the next opening has it.
  await adminSaves({ allow_create_new_ticket: true });
  part = await ticketPart(app);
  assert.deepEqual(part.options, [...existing, 'ticket-option-none'], 'the screen in use is unchanged');
  part = await dialTyped(app, TWO_OPEN);
  assert.deepEqual(part.options, [...existing, 'ticket-option-new', 'ticket-option-none'],
    'the next opening follows the change');
  await clearFaults(env);
});

// SET-16, TEAM-12: an admin switches on Ticket ID entry for the agent's team while they are
// signed in (team ticket entry on in Operation Management). The dial screen in use keeps its
// ticket part; the next opening asks for a Ticket ID. Before the fix the team of sign-in stood
// until the agent signed in again: the ticket stayed read-only and no Ticket ID was asked for.
test('SET-16: a team\'s Ticket ID entry switched on while signed in reaches the next dial screen', async () => {
  ({ page } = await signedInPage(env, { team_ticket_entry: true })); // Ada, team Support: entry off
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const ticketField = async () => {
    const field = app.locator('[data-testid=ticket-id]');
    await field.waitFor();
    return { readonly: (await field.getAttribute('readonly')) !== null, value: await field.inputValue() };
  };
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.type(BRUNO);
  // Next by its button: Enter would call at once if the contact's reads were already in (UI-11),
  // which on a loaded machine they may be.
  await app.locator('[data-testid=keypad-next]').click();
  await ticketPart(app);
  assert.equal((await ticketField()).readonly, true, 'entry off: the ticket is picked (SET-2)');

  const { teams } = await api('GET', '/_sandbox/settings');
  const support = teams.find((t) => t.name === 'Support');
  assert.equal(support.ticket_id_entry.enabled, false);
  await adminSavesAndAdapterReads({
    teams: teams.map((t) => (t.id === support.id ? { ...t, ticket_id_entry: { enabled: true, required: false } } : t)),
  });
  assert.equal((await ticketField()).readonly, true, 'the screen in use keeps its ticket part');

  await app.locator('[data-testid=cancel-button]').click();
  await app.locator('[data-testid=keypad-next]').waitFor();
  await page.keyboard.type(BRUNO);
  await app.locator('[data-testid=keypad-next]').click();
  await eventually(async () => assert.deepEqual(await ticketField(), { readonly: false, value: '' }),
    'the next opening asks for a Ticket ID');
  assert.equal(await app.locator('[data-testid=ticket-id]').getAttribute('placeholder'),
    'Leave blank for a new ticket', 'TEAM-5: what a blank optional entry does');
});

// TEAM-4, TEAM-5, TEAM-6, UI-11: a team whose Ticket ID is required. The home keypad says a
// Ticket ID is needed; Enter (or Next) with no number opens the Ticket ID entry, where the
// number comes from the ticket. With Zendesk slow, an unknown ticket says so and nothing keeps
// saying "Looking up…" beside it; an open ticket's Enter calls once the ticket is read. Before:
// no way to the entry from the keypad (Next and Enter did nothing), "Looking up…" stayed for
// good after an Enter in the entry, and that Enter placed no call.
test('TEAM-4: a required Ticket ID is reached from the keypad by Enter, and Enter in it calls once the ticket is read', async () => {
  ({ page } = await signedInPage(env, { team_ticket_entry: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const { teams } = await api('GET', '/_sandbox/settings');
  const support = teams.find((t) => t.name === 'Support');
  await adminSavesAndAdapterReads({
    teams: teams.map((t) => (t.id === support.id ? { ...t, ticket_id_entry: { enabled: true, required: true } } : t)),
  });
  const status = app.locator('[data-testid=call-status]');
  await eventually(async () => assert.equal((await status.innerText()).trim(), 'Enter a Ticket ID to call.'), 'the keypad asks for a Ticket ID');
  const s = await api('GET', '/_sandbox/state');
  const bruno = s.users.find((u) => u.phone === BRUNO);
  const open = s.tickets.find((t) => t.requester_id === bruno.id && ['new', 'open', 'pending', 'hold'].includes(t.status));
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/', latency_ms: 600 }]);
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=keypad-next]').waitFor({ state: 'detached' });
  await eventually(async () => assert.equal(await app.evaluate(() => document.activeElement?.dataset.testid ?? null), 'ticket-id'), 'the Ticket ID entry focused');
  // An unknown ticket: said, and no "Looking up…" left beside it.
  await page.keyboard.type('999999');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=error-banner]', { hasText: 'Ticket #999999 not found.' }).waitFor();
  await eventually(async () => assert.doesNotMatch(await status.innerText(), /Looking up/), 'the lookup said done');
  await sleep(1_500);
  assert.doesNotMatch(await status.innerText(), /Looking up/, 'still done');
  const calls = (await api('GET', '/_sandbox/state')).platform_calls.length;
  // Bruno's open ticket, and Enter at once: the call is placed once the ticket is read.
  await app.locator('[data-testid=ticket-id]').fill('');
  await page.keyboard.type(String(open.id));
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=hangup-button]').waitFor({ timeout: 10_000 });
  const after = (await api('GET', '/_sandbox/state')).platform_calls;
  assert.equal(after.length, calls + 1, 'one call');
  assert.equal(after.at(-1).customer_number, BRUNO, 'the number from the ticket (TEAM-6)');
  await clearFaults(env);
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=new-call-button]').click();
});

// SET-16: an admin saves a setting while the agent signs in, before the platform routes the
// agent's events to the new stream: the "settings changed" notice reaches no one. The stream's
// connect is the adapter's cue to read them again, and the dial screen open since sign-in
// (untouched) follows. Before, the settings of sign-in stood until the next opening.
test('SET-16: a setting saved before the event stream is routed reaches the dial screen open since sign-in', async () => {
  let app;
  ({ page, app } = await signedInPage(env, {}, { signIn: false }));
  const s = await state();
  const [newest, older] = openTicketsOf(s, userByPhone(s, TWO_OPEN).id);
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/platform/agent/events/ready', latency_ms: 2_000 }]);
  try {
    await signInWith(app);
    assert.equal(await streamRouted(app), false, 'the stream is not routed yet');
    await api('PUT', '/_sandbox/settings', { operation: { prompt_select_open_ticket: true } }); // SET-3
    await untilStreamRouted(app);
    await clearFaults(env);
    await sleep(1_000);
    await app.locator('[data-testid=dial-number]').focus();
    await page.keyboard.type(TWO_OPEN);
    await page.keyboard.press('Enter'); // Next
    const part = await ticketPart(app);
    assert.deepEqual(part.options, [`ticket-option-${newest.id}`, `ticket-option-${older.id}`], 'SET-3: the open tickets to pick from');
  } finally {
    await clearFaults(env);
  }
});

// SET-16, SET-11: an admin switches "do not append" on while the agent, who only takes calls,
// waits on the dial screen, and the platform is busy: the settings read the notice starts
// answers 503 twice. The adapter asks again (1 s, then 2 s, spread) and the next inbound call
// from a customer with an open ticket gets a new ticket. Before, the failed read was dropped:
// the old settings stood until a dial screen opened or the page reloaded, and the call was
// appended to the open ticket.
test('SET-16: a settings read that fails after an admin saves is asked again, and the next inbound call follows it', async () => {
  let app;
  ({ page, app } = await signedInPage(env));
  await untilStreamRouted(app);
  const before = await state();
  const bruno = userByPhone(before, BRUNO);
  const [open] = openTicketsOf(before, bruno.id);
  const reads = async () => (await api('GET', '/_sandbox/info')).settings_reads;
  const readsBefore = await reads();
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/platform/settings', method: 'GET', status: 503, count: 2 }]);
  try {
    await api('PUT', '/_sandbox/settings', { operation: { do_not_append: true } });
    await eventually(async () => {
      const fault = (await api('GET', '/_sandbox/faults')).faults.find((f) => f.path_prefix === '/platform/settings');
      assert.equal(fault.count, 0, 'both 503s answered');
      assert.ok((await reads()) > readsBefore, 'then a read answered');
    }, 'the settings read asked again until it answered', 15_000);
    await sleep(500);
    const offered = await api('POST', '/_sandbox/events', { type: 'inbound', from: BRUNO, menu_path: 'Support' });
    await app.locator('[data-testid=answer-button]').click();
    await app.locator('[data-testid=hangup-button]').waitFor();
    await api('POST', '/_sandbox/events', { type: 'hangup', call_id: offered.call_id });
    await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
    const logged = await eventually(async () => {
      const s = await state();
      const t = s.tickets.find((x) => (x.comments ?? []).some((c) => (c.body ?? '').includes(`Call ID: ${offered.call_id}`)));
      assert.ok(t, 'the call is logged');
      return t;
    }, 'the inbound call logged', 15_000);
    assert.notEqual(logged.id, open.id, 'SET-11: not appended to the open ticket');
    assert.equal(logged.requester_id, bruno.id, "the caller's new ticket");
  } finally {
    await clearFaults(env);
    await api('PUT', '/_sandbox/settings', { operation: { do_not_append: false } });
  }
});

// Item 2, OUT-12: with 1.5 s of latency on the user search, Call and Enter wait for the
// lookup; the field never says "New contact". Before the fix, Enter placed the call at once
// and Zendesk got a second contact "Caller +1…" and a new ticket.
test('item 2: Call and Enter wait for a slow contact lookup, and the call goes on the contact\'s open ticket', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const before = await state();
  const bruno = userByPhone(before, BRUNO);
  const [open] = openTicketsOf(before, bruno.id);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/search', latency_ms: 1500 });
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/users', latency_ms: 1500 });
  await page.keyboard.type(BRUNO);
  await page.keyboard.press('Enter'); // Next
  await page.keyboard.press('Enter'); // Call, at once
  await page.keyboard.press('Enter');
  const contact = await app.locator('[data-testid=contact-id]').inputValue();
  assert.notEqual(contact, 'New contact');
  assert.equal(contact, 'Loading…');
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true);
  await app.locator('[data-testid=call-button]').click({ force: true }); // a click does not either
  await sleep(400);
  let s = await state();
  assert.equal(s.platform_calls.length, before.platform_calls.length, 'no call placed while loading');
  // The lookup answers: Bruno and his open ticket, then Enter calls.
  await eventually(async () =>
    assert.equal(await app.locator('[data-testid=contact-id]').inputValue(), bruno.name), 'Bruno shown', 8000);
  assert.equal(await app.locator('[data-testid=ticket-id]').inputValue(), `#${open.id} ${open.subject}`);
  await eventually(async () =>
    assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), false), 'Call enabled');
  await app.locator('[data-testid=call-button]').focus();
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=hangup-button]').waitFor();
  // The in-call screen names the contact the dial screen knew, and formats the number.
  await eventually(async () =>
    assert.equal(await app.locator('[data-testid=call-caller]').innerText(), bruno.name), 'the caller named');
  assert.equal(await app.locator('#call-number').innerText(), '+1 555-010-1100');
  await eventually(async () => {
    s = await state();
    const ticket = s.tickets.find((t) => t.id === open.id);
    assert.ok(ticket.comments.length > open.comments.length, 'the call is logged on the open ticket');
  }, 'logged on the open ticket', 15_000);
  assert.equal(s.users.length, before.users.length, 'no new contact');
  assert.equal(s.tickets.length, before.tickets.length, 'no new ticket');
  assert.ok(!s.users.some((u) => u.name.startsWith('Caller ')), 'no "Caller +1…" contact');
  await api('DELETE', '/_sandbox/faults');
});

// Item 2, FLOW-2 on the agent's real path: a phone number clicked on a user's profile, with the
// user's tickets slow to come: the ticket field says it is loading, not "New ticket".
test('item 2: click-to-call from a profile waits for the contact\'s tickets', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const s = await state();
  const bruno = userByPhone(s, BRUNO);
  const [open] = openTicketsOf(s, bruno.id);
  await api('POST', '/_sandbox/faults', { path_prefix: `/api/v2/users/${bruno.id}`, latency_ms: 1500 });
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/search', latency_ms: 1500 });
  await page.evaluate((id) => window.sandbox.openUser(id), bruno.id);
  await page.locator('[data-testid=user-phone-0]').click();
  await app.locator('[data-testid=ticket-id]').waitFor();
  assert.notEqual(await app.locator('[data-testid=ticket-id]').inputValue(), 'New ticket');
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), true);
  await eventually(async () =>
    assert.equal(await app.locator('[data-testid=ticket-id]').inputValue(), `#${open.id} ${open.subject}`),
  'the open ticket shown', 8000);
  assert.equal(await app.locator('[data-testid=call-button]').isDisabled(), false);
  await api('DELETE', '/_sandbox/faults');
});

// A ticket's requester whose read fails, on a dial screen with no number yet ("Enter new
// number" from the ticket's Call menu): the read is sent again after its backoff, never at
// once, and the requester is read once Zendesk answers. A mistake made while changing the
// lookups sent it again as soon as it failed, as fast as Zendesk answered.
test('a ticket requester\'s failed read waits out its backoff, then is read', async () => {
  ({ page } = await signedInPage(env, { allow_use_entered_number: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const s = await state();
  const bruno = userByPhone(s, BRUNO);
  const [open] = openTicketsOf(s, bruno.id);
  const reads = async () => (await api('GET', '/_sandbox/requests')).requests
    .filter((r) => r.source === 'app' && r.path.startsWith(`/api/v2/users/${bruno.id}.json`));
  await api('POST', '/_sandbox/faults', { path_prefix: `/api/v2/users/${bruno.id}.json`, status: 503 });
  await api('DELETE', '/_sandbox/requests');
  await callFromTicketMenu(page, open.id, 'new');
  await app.locator('[data-testid=keypad-next]').waitFor();
  await eventually(async () => assert.ok((await reads()).length >= 1), 'the requester read');
  await sleep(2_500);
  // Backoff 1 s then 2 s (each 0.75-1.25 times): at most three reads in 2.5 s.
  const failing = await reads();
  assert.ok(failing.length <= 3, `sent again after its backoff, not at once: ${failing.length} reads in 2.5 s`);
  await api('DELETE', '/_sandbox/faults');
  await eventually(async () => assert.ok((await reads()).some((r) => r.status === 200)), 'read once Zendesk answers', 10_000);
});

// Issue 21: a dial screen's lookups are its own. A search that failed on the screen before is
// not tried again for it once the agent opened another (the same contact clicked again): the
// new screen reads once, and the old retry, waking after its backoff, sends nothing. It used to
// send the new screen's search a second time.
test('a failed lookup of a closed dial screen sends nothing for the next one', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const s = await state();
  const bruno = userByPhone(s, BRUNO);
  const [open] = openTicketsOf(s, bruno.id);
  const searches = async () => (await api('GET', '/_sandbox/requests')).requests
    .filter((r) => r.source === 'app' && r.path.startsWith('/api/v2/users/search') && r.path.includes(BRUNO.slice(-9)));
  await page.evaluate((id) => window.sandbox.openUser(id), bruno.id);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/users/search', status: 503, count: 1 });
  await api('DELETE', '/_sandbox/requests');
  await page.locator('[data-testid=user-phone-0]').click();
  await eventually(async () => assert.equal((await searches())[0]?.status, 503), 'the failing search', 5_000);
  // At once, well within its backoff (1 s, 0.75-1.25 times): Cancel, and the same click again.
  await app.locator('[data-testid=cancel-button]').click();
  await page.locator('[data-testid=user-phone-0]').click();
  await eventually(async () =>
    assert.equal(await app.locator('[data-testid=ticket-id]').inputValue(), `#${open.id} ${open.subject}`),
  'the open ticket shown', 8_000);
  await sleep(2_500);
  const sent = await searches();
  assert.deepEqual(sent.map((r) => r.status), [503, 200], 'the new screen searched once, the old retry sent nothing');
  await app.locator('[data-testid=cancel-button]').click();
});

// A search made while the number was still being typed fails; the number's own lookup works.
// The notice that the failed one would be tried again goes once it is no longer asked for (it
// stayed, in Italian "Nuovo tentativo tra 2 s.", over a screen whose lookup had worked).
test('a failed search of a number typed on is not left saying it will be tried again', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/', latency_ms: 200 },
    { path_prefix: '/api/v2/users/search', status: 503, count: 1 }]);
  try {
    await app.locator('[data-testid=dial-number]').focus();
    // A number no contact has, typed whole: the adapter searches as it is typed.
    await page.keyboard.type('+39 02 1234 5678');
    await page.keyboard.press('Enter');
    await app.locator('[data-testid=error-banner]').waitFor();
    await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
    // Gone after the failed search's backoff (2 s at most), without a word from the agent.
    await app.locator('[data-testid=error-banner]').waitFor({ state: 'detached', timeout: 5_000 });
    assert.equal(await app.locator('[data-testid=contact-id]').inputValue(), 'New contact', 'the lookup that worked stays');
  } finally {
    await clearFaults(env);
  }
  await app.locator('[data-testid=cancel-button]').click();
});

// "Looking up" is said while the open screen reads: a click-to-call cancelled while its reads
// are out leaves the fresh keypad saying its own word when they answer. (With the reads of each
// screen kept apart, "looking up" stayed until a number was typed.)
test('a dial screen cancelled while its reads are out is not looking up on the next one', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const bruno = userByPhone(await state(), BRUNO);
  await page.evaluate((id) => window.sandbox.openUser(id), bruno.id);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/users/', latency_ms: 1_000 });
  try {
    await page.locator('[data-testid=user-phone-0]').click();
    await app.locator('[data-testid=call-status]', { hasText: 'Looking up' }).waitFor();
    await app.locator('[data-testid=cancel-button]').click();
    await app.locator('[data-testid=keypad-next]').waitFor();
    await sleep(1_800);
    assert.equal((await app.locator('[data-testid=call-status]').innerText()).trim(), 'Enter a phone number.', "the keypad's own word, not 'looking up'");
    assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), '', 'the keypad is empty');
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

const focused = (app) => app.evaluate(() => document.activeElement?.dataset?.testid ?? document.activeElement?.tagName);

// Keyboard only (items of "What the agent sees"): after sign-in the keys go to the number; "+"
// typed is not called wrong yet; a long number shows whole; Next puts the focus on the first
// chooser to answer, a choice moves it on to Call, Enter calls; Hang up keeps its red when
// focused. Before the fix the focus fell to the page body after sign-in, Next and a choice (the
// next Tab left the adapter), "+" was refused at once, and the focused Hang up turned blue.
test('keyboard only: the focus always lands on the next step, and nothing is judged too early', async () => {
  ({ page } = await signedInPage(env, { prompt_select_open_ticket: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number after sign-in');
  await page.keyboard.type('+');
  // Not refused: at most "Looking up…" while the screen's own settings read is out (a loaded
  // machine), then nothing.
  await eventually(async () => assert.equal((await app.locator('[data-testid=call-status]').innerText()).trim(), '',
    'no refusal while typing'), 'no refusal while typing');
  await page.keyboard.type('393331234567');
  const fits = await app.locator('[data-testid=dial-number]').evaluate((e) => e.scrollWidth <= e.clientWidth);
  assert.ok(fits, 'the whole number is in view');
  await page.keyboard.press('Escape'); // a fresh screen; the focus stays in the adapter
  await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number after Escape');
  const s = await state();
  const owner = userByPhone(s, TWO_OPEN);
  const [newest] = openTicketsOf(s, owner.id);
  await page.keyboard.type(TWO_OPEN);
  await page.keyboard.press('Enter'); // Next
  await eventually(async () => assert.equal(await focused(app), 'ticket-picker'), 'focus on the ticket chooser');
  await page.keyboard.press('Enter'); // the first (newest) ticket
  await eventually(async () => assert.equal(await focused(app), 'call-button'), 'focus on Call after the choice');
  assert.equal(await app.locator(`[data-testid=ticket-option-${newest.id}]`).getAttribute('aria-selected'), 'true');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=hangup-button]').waitFor();
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
  await eventually(async () => assert.equal(await focused(app), 'hangup-button'), 'focus on Hang up');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  const colour = await app.locator('[data-testid=hangup-button]').evaluate((e) => getComputedStyle(e).backgroundColor);
  assert.equal(colour, 'rgb(204, 51, 64)', 'Hang up stays red when focused');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
});

// Typing from Call (or any button) edits the number, and the keyboard goes there with it. Seen
// in a by-hand drive: with the focus on Call, a digit typed changed the number, Call was disabled
// while it was read, and the focus fell to the page body (the next Tab left the adapter).
test('keyboard only: a digit typed with the focus on Call edits the number and the focus follows it', async () => {
  ({ page } = await signedInPage(env, { prompt_select_open_ticket: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number after sign-in');
  await page.keyboard.type(TWO_OPEN);
  await page.keyboard.press('Enter'); // Next
  await eventually(async () => assert.equal(await focused(app), 'ticket-picker'), 'focus on the ticket chooser');
  await page.keyboard.press('Enter');
  await eventually(async () => assert.equal(await focused(app), 'call-button'), 'focus on Call after the choice');
  const number = await app.locator('[data-testid=dial-number]').inputValue();
  await page.keyboard.press('Backspace');
  await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number after Backspace');
  assert.notEqual(await app.locator('[data-testid=dial-number]').inputValue(), number, 'the number was edited');
  await page.keyboard.type(TWO_OPEN.slice(-1));
  await eventually(async () => {
    assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), number, 'the digit typed back');
  }, 'the number');
  assert.equal(await focused(app), 'dial-number');
});

// Next with nothing typed keeps the keypad. Seen in a by-hand drive: Enter in the empty number
// went to the screen of choices, with an empty Contact ID and Ticket ID, and the keypad and the
// Recent and Voicemail places gone (Cancel to get them back).
test('keyboard only: Enter with no number keeps the keypad and says to enter one', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number after sign-in');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=call-status]', { hasText: 'Enter a phone number.' }).waitFor();
  assert.equal(await app.locator('[data-testid=keypad-next]').count(), 1, 'the keypad stays');
  assert.equal(await app.locator('[data-testid=home-nav]').count(), 1, 'the places stay');
  assert.equal(await app.locator('[data-testid=contact-id]').count(), 0, 'no choices without a number');
  assert.equal(await focused(app), 'dial-number');
  await page.keyboard.type('+15550101000');
  await page.keyboard.press('Enter'); // Next, now that there is a number
  await app.locator('[data-testid=keypad-next]').waitFor({ state: 'detached' });
  await app.locator('[data-testid=contact-id]').waitFor();
});

// FLOW-6, UI-6: Enter on the keypad is Next, however soon the number's reads answer: the
// choices come, with the contact and the ticket the call will be logged on, and the keyboard on
// Call; a second Enter calls. (Enter called at once when the reads had answered before it, and
// opened the choices when they had not: the same key did one or the other by the network's
// speed, and a call went out with choices the agent never saw.)
test('keyboard only: Enter on the keypad is Next whether the reads have answered or not; a second Enter calls', async () => {
  ({ page } = await signedInPage(env));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/', latency_ms: 300 });
  const before = await state();
  const bruno = userByPhone(before, BRUNO);
  const [open] = openTicketsOf(before, bruno.id);
  for (const wait of [0, 2_500]) {
    await eventually(async () => assert.equal(await focused(app), 'dial-number'), `${wait} ms: focus in the number`);
    await page.keyboard.type(BRUNO);
    await sleep(wait);
    await page.keyboard.press('Enter');
    await app.locator('[data-testid=keypad-next]').waitFor({ state: 'detached' });
    await eventually(async () =>
      assert.equal(await app.locator('[data-testid=contact-id]').inputValue(), bruno.name), `${wait} ms: Bruno shown`);
    assert.equal(await app.locator('[data-testid=ticket-id]').inputValue(), `#${open.id} ${open.subject}`, `${wait} ms: his ticket shown`);
    await eventually(async () => assert.equal(await focused(app), 'call-button'), `${wait} ms: focus on Call`);
    await sleep(300);
    assert.equal((await state()).platform_calls.length, before.platform_calls.length, `${wait} ms: the first Enter placed nothing`);
    if (wait === 0) {
      await page.keyboard.press('Escape');
      continue;
    }
    await page.keyboard.press('Enter');
    await app.locator('[data-testid=hangup-button]').waitFor();
    assert.equal((await state()).platform_calls.length, before.platform_calls.length + 1, 'the second Enter called, once');
  }
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  await api('DELETE', '/_sandbox/faults');
});

// Escape in a chooser is the dial screen's, as from any other control (UI-12): a fresh keypad
// with the focus in the number. Seen in a by-hand drive: it only left the list, the focus fell
// to the page body, and the digits typed next were added to the old number. Both choosers, with
// the lookups slow.
test('Escape in a chooser cancels like anywhere on the dial screen, and the next digits start a new number', async () => {
  ({ page } = await signedInPage(env, { prompt_select_open_ticket: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  await slowReads(env, 250);
  try {
    for (const [number, chooser] of [[TWO_OPEN, 'ticket-picker'], ['+15550102200', 'contact-picker']]) {
      await eventually(async () => assert.equal(await focused(app), 'dial-number'), 'focus in the number');
      await page.keyboard.type(number);
      await page.keyboard.press('Enter'); // Next: the focus goes to the first chooser to answer
      await eventually(async () => assert.equal(await focused(app), chooser), `focus on the ${chooser}`);
      await page.keyboard.press('ArrowDown');
      await page.keyboard.press('Escape');
      await eventually(async () => assert.equal(await focused(app), 'dial-number'), `focus in the number after Escape in the ${chooser}`);
      assert.equal(await app.locator(`[data-testid=${chooser}]`).count(), 0, 'the screen was cancelled');
      assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), '', 'the old number is gone');
      await page.keyboard.type('12');
      assert.equal(await app.locator('[data-testid=dial-number]').inputValue(), '12', 'the digits start a new number');
      await page.keyboard.press('Escape');
    }
  } finally {
    await clearFaults(env);
  }
});

// A platform that stalls without failing (a VPN, a proxy) held what waited on it for good: a
// dial screen's settings read (SET-16) that never answered kept Call disabled, and a sign-in
// whose settings read never answered kept "Signing in…". Now a dial screen waits 5 s for its
// settings before those known stand (the read is still taken when it comes), and a read of the
// platform, or a sign-in, is given up after 20 s: the agent is told the contact centre cannot be
// reached, and can sign in again. The stalled requests here take 60 s.
test('a settings read that never answers keeps neither Call nor the sign-in waiting', async () => {
  ({ page } = await signedInPage(env, { allow_use_entered_number: true }));
  const app = page.frames().find((f) => f.url().includes('/app/index.html'));
  const stall = { path_prefix: '/platform/settings', method: 'GET', latency_ms: 60_000 };
  await api('POST', '/_sandbox/faults', stall);
  // The screen's settings read starts as it opens: the wait is timed from the Cancel.
  const opened = Date.now();
  await app.locator('[data-testid=cancel-button]').click(); // a new dial screen: its own read
  await app.locator('[data-testid=keypad-next]').waitFor();
  await app.locator('[data-testid=dial-number]').focus();
  await page.keyboard.type(BRUNO);
  await app.locator('[data-testid=keypad-next]').click();
  const call = app.locator('[data-testid=call-button]');
  await sleep(Math.max(0, opened + 3_000 - Date.now()));
  if (Date.now() - opened < 4_000) {
    assert.equal(await call.isDisabled(), true, 'Call waits a moment for the settings');
  }
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor({ timeout: 15_000 });
  const waited = Date.now() - opened;
  assert.ok(waited >= 4_900 && waited < 15_000, `Call released ${waited} ms after the screen opened`);
  assert.equal(await app.locator('[data-testid=use-entered-number]').count(), 1, 'the settings known stand');
  const before = (await state()).platform_calls.length;
  await call.click();
  await app.locator('[data-testid=hangup-button]').waitFor();
  assert.equal((await state()).platform_calls.length, before + 1, 'the call is placed');
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=new-call-button]').click();

  // Sign out; sign in while the settings stall: the sign-in gives up and says why.
  await app.locator('[data-testid=sign-out-button]').click();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  const pressed = Date.now();
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=error-banner]', { hasText: 'cannot be reached' }).waitFor({ timeout: 30_000 });
  const gaveUp = Date.now() - pressed;
  assert.ok(gaveUp >= 19_000, `gave up after ${gaveUp} ms`);
  assert.equal(await app.locator('[data-testid=sign-in-submit]').isDisabled(), false, 'Sign in can be pressed again');
  assert.equal(await app.locator('[data-testid=sign-in-email]').inputValue(), 'ada@sandbox.test', 'the email stays');
  // The sign-in itself stalling: given up too.
  await clearFaults(env);
  await api('POST', '/_sandbox/faults', { path_prefix: '/platform/agent/session', method: 'POST', latency_ms: 60_000 });
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  const pressedAgain = Date.now();
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=sign-in-submit][disabled]').waitFor();
  await app.locator('[data-testid=sign-in-submit]:not([disabled])').waitFor({ timeout: 30_000 });
  const signInGaveUp = Date.now() - pressedAgain;
  assert.ok(signInGaveUp >= 19_000, `the sign-in gave up after ${signInGaveUp} ms`);
  await app.locator('[data-testid=error-banner]', { hasText: 'cannot be reached' }).waitFor();
  await clearFaults(env);
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
});
