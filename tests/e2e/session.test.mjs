// The platform session across a shift ("Trust and failure"), in the sandbox workspace:
// - a reload keeps the agent signed in (a tab-scoped, single-use resume credential; never the
//   password, never the token);
// - a platform session that ends mid-shift (expired, signed out elsewhere) shows sign-in with
//   the reason; the socket stops; after signing in again, the end of the call that happened
//   meanwhile is written once, through the CRM queue that needed the session.
//
// Needs `dist/` and the sandbox binary, as adapter.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, signedInPage, signInWith, adapterFrame, retry, callFromProfile, dialAndConnect, dialAndHangUp, settings } from './support.mjs';

let env;

before(async () => {
  // The frame keeps its storage, as in a default desktop Chrome.
  env = await startSandbox({ storage: true });
});

after(async () => {
  await env?.stop();
});

const api = (...args) => env.api(...args);
const state = () => api('GET', '/_sandbox/state');
const eventually = (check, what) => retry(check, what, env);

test('a reload keeps the agent signed in, without the password and with a fresh credential', async () => {
  const { page, app } = await signedInPage(env);
  const stored = await app.evaluate(() => ({ ...sessionStorage }));
  assert.deepEqual(Object.keys(stored), ['agent-adapter.resume'], 'one thing in the tab\'s storage');
  const before = JSON.parse(stored['agent-adapter.resume']);
  assert.ok(before.token && before.expires_ms > Date.now(), 'a credential with its expiry');
  const everything = JSON.stringify(await app.evaluate(() => ({ ...sessionStorage, ...localStorage })));
  assert.ok(!everything.includes('sandbox"') && !everything.includes(':"sandbox'), 'never the password');

  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const again = await adapterFrame(page);
  await again.locator('[data-testid=dial-number]').waitFor();
  assert.equal(await again.locator('[data-testid=sign-in-password]').count(), 0, 'no password asked');

  // The credential was used once: it was swapped for a new one, and the old one is refused.
  const after = JSON.parse(await again.evaluate(() => sessionStorage.getItem('agent-adapter.resume')));
  assert.notEqual(after.token, before.token, 'a new credential after the reload');
  const replay = await fetch(`${env.base}/platform/agent/session/resume`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ resume: before.token }),
  });
  assert.equal(replay.status, 401, 'the used credential is refused');

  // Still a working session: a call goes through.
  await dialAndHangUp(again, '+1 555 010 1000');
});

// A reload while the platform is briefly busy: the session comes back (the resume works) but the
// settings read answers 503 twice. The adapter asks again while it says it connects, and the
// agent lands on the dial screen, signed in. Before, the first 503 sent the agent to the
// password form, with the session still up and the stream, calls and writes left unconnected.
test('a reload while the platform is briefly busy keeps the agent signed in', async () => {
  const { page } = await signedInPage(env);
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/platform/settings', method: 'GET', status: 503, count: 2 }]);
  try {
    await page.reload();
    await page.evaluate(() => window.sandbox.ready);
    await page.locator('[data-testid=app-icon]').click();
    const again = await adapterFrame(page);
    await again.locator('[data-testid=dial-number]').waitFor({ timeout: 20_000 });
    assert.equal(await again.locator('[data-testid=sign-in-password]').count(), 0, 'no password asked');
    const refused = (await api('GET', '/_sandbox/faults')).faults.filter((f) => f.path_prefix === '/platform/settings');
    assert.ok(refused.every((f) => f.count === 0), `both 503s answered: ${JSON.stringify(refused)}`);
    await dialAndHangUp(again, '+1 555 010 1000');
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// A reload while the call's first job is being written (Zendesk slow to create the ticket): the
// call comes back on screen saying it is being logged, then names the ticket it was logged on,
// created once. (After the reload it said nothing of the logging until the ticket came, a
// minute later when the job had to make sure a write the reload cut short had not landed.)
test('a call found again after a reload while it is logged says it is being logged, then where', async () => {
  const { page, app } = await signedInPage(env);
  const number = '+15550107001';
  const before = await state();
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/tickets', method: 'POST', latency_ms: 4_000 }]);
  try {
    await dialAndConnect(app, number);
    await app.locator('[data-testid=call-logging]').waitFor();
    await page.reload();
    await page.evaluate(() => window.sandbox.ready);
    await page.locator('[data-testid=app-icon]').click();
    const again = await adapterFrame(page);
    await again.locator('[data-testid=hangup-button]').waitFor();
    await again.locator('[data-testid=call-logging]', { hasText: 'Logging the call in Zendesk…' }).waitFor({ timeout: 3_000 });
    await again.locator('[data-testid=call-ticket-link]').waitFor({ timeout: 90_000 });
    await again.locator('[data-testid=hangup-button]').click();
    await again.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
    const made = (await state()).tickets.filter((t) => !before.tickets.some((b) => b.id === t.id));
    assert.equal(made.length, 1, 'one ticket created');
    assert.equal(await again.locator('[data-testid=call-ticket-link]').innerText(), `#${made[0].id}`);
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// A reload in the middle of a dial screen loses nothing: the number typed, the ticket chosen and
// the outbound number come back (read again from Zendesk), and Call places the call the agent
// was composing. Only the agent's work is kept, in the tab's session storage; placing the call,
// a fresh screen or signing out removes it. (Before, the reload showed an empty keypad.)
test('a reload in the middle of a dial screen brings it back as the agent left it', async () => {
  const { page, app } = await signedInPage(env, { prompt_select_open_ticket: true });
  const s = await state();
  const owner = s.users.find((u) => u.phone === '+15550101200');
  const open = s.tickets.filter((t) => t.requester_id === owner.id && ['new', 'open', 'pending', 'hold'].includes(t.status))
    .sort((a, b) => b.id - a.id);
  const [newest, older] = open;
  const comments = (st, id) => st.tickets.find((t) => t.id === id).comments.length;
  const before = { newest: comments(s, newest.id), older: comments(s, older.id) };
  await app.locator('[data-testid=dial-number]').fill('+1 555 010 1200');
  await app.locator('[data-testid=dial-number]').press('Enter');
  await app.locator(`[data-testid=ticket-option-${older.id}]`).click();
  const outbound = app.locator('[data-testid=outbound-number]');
  const numbers = await outbound.locator('option').evaluateAll((os) => os.map((o) => o.value));
  const other = numbers.find((n) => n !== '' && n !== numbers[0]) ?? numbers[0];
  await outbound.selectOption(other);
  const kept = await app.evaluate(() => sessionStorage.getItem('agent-adapter.dial'));
  assert.ok(kept, 'the work is kept in the tab');
  for (const secret of ['token', 'password', 'operation', owner.name]) assert.ok(!kept.includes(secret), `no ${secret} kept: ${kept}`);

  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const again = await adapterFrame(page);
  await again.locator(`[data-testid=ticket-option-${older.id}][aria-selected=true]`).waitFor();
  // By keyboard, the list's Enter keeps the ticket chosen: the list starts on it, not on its
  // first entry (whose Enter chose the newest ticket instead).
  await again.locator('[data-testid=ticket-picker]').focus();
  await page.keyboard.press('Enter');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(await again.locator(`[data-testid=ticket-option-${older.id}]`).getAttribute('aria-selected'), 'true', 'still the ticket chosen');
  assert.match(await again.locator('[data-testid=dial-number]').inputValue(), /555.?010.?1200/);
  assert.equal(await again.locator('[data-testid=outbound-number]').inputValue(), other, 'the outbound number chosen');
  assert.equal(await again.locator('[data-testid=contact-id]').inputValue(), owner.name, 'the contact, read again');
  // Call places what the agent composed: on the ticket chosen before the reload.
  await again.locator('[data-testid=call-button]:not([disabled])').click();
  await again.locator('[data-testid=hangup-button]').waitFor();
  assert.equal(await again.evaluate(() => sessionStorage.getItem('agent-adapter.dial')), null, 'placed: nothing kept');
  const call = (await state()).platform_calls.at(-1);
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: call.id });
  await eventually(async () => {
    await api('POST', '/_sandbox/queue/flush');
    const st = await state();
    assert.ok(comments(st, older.id) > before.older, 'logged on the ticket chosen');
    assert.equal(comments(st, newest.id), before.newest, 'not on the newest');
  }, 'the call on the chosen ticket');
  await again.locator('[data-testid=new-call-button]').click();
  await again.locator('[data-testid=dial-number]').waitFor();
  assert.equal(await again.evaluate(() => sessionStorage.getItem('agent-adapter.dial')), null, 'a fresh screen keeps nothing');
  // A call offered while the agent composes leaves the draft kept while it rings (a reload
  // then loses nothing of it); once answered, the draft goes: after a reload the call shows,
  // never a draft whose Call could place a second call beside it.
  await again.locator('[data-testid=dial-number]').fill('+1 555 010 1000');
  // Next by its button: Enter calls at once when the number's reads are already in (UI-11),
  // which on a fast run they may be (Anna has no open ticket to choose: Call needs nothing more).
  await again.locator('[data-testid=keypad-next]').click();
  await eventually(async () => assert.ok(await again.evaluate(() => sessionStorage.getItem('agent-adapter.dial'))), 'kept');
  const offered = await api('POST', '/_sandbox/events', { type: 'inbound', from: '+15550101100', menu_path: 'Support' });
  await again.locator('[data-testid=answer-button]').waitFor();
  assert.ok(await again.evaluate(() => sessionStorage.getItem('agent-adapter.dial')), 'kept while the call rings');
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: offered.call_id });
  // The caller hung up before it was answered: the screen says the call was missed (it said
  // "Call ended", as for a call the agent talked on).
  await again.locator('[data-testid=call-status]', { hasText: 'Missed call' }).waitFor();
  // New call goes back to the draft, kept again
  // (before, it was only in memory: a reload then showed an empty keypad).
  await again.locator('[data-testid=new-call-button]').click();
  await again.locator('[data-testid=contact-id]').waitFor();
  await eventually(async () => assert.ok(await again.evaluate(() => sessionStorage.getItem('agent-adapter.dial'))), 'kept again');
  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const third = await adapterFrame(page);
  await third.locator('[data-testid=contact-id]').waitFor();
  assert.match(await third.locator('[data-testid=dial-number]').inputValue(), /555.?010.?1000/, 'the draft after a reload');
  // A reload while a call rings keeps the draft too (it used to be gone: the offer had taken it).
  const ringing = await api('POST', '/_sandbox/events', { type: 'inbound', from: '+15550101100', menu_path: 'Support' });
  await third.locator('[data-testid=answer-button]').waitFor();
  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const fourth = await adapterFrame(page);
  await fourth.locator('[data-testid=contact-id], [data-testid=answer-button]').first().waitFor();
  assert.ok(await fourth.evaluate(() => sessionStorage.getItem('agent-adapter.dial')), 'kept through a reload while it rang');
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: ringing.call_id });
  await fourth.locator('[data-testid=contact-id]').waitFor();
  assert.match(await fourth.locator('[data-testid=dial-number]').inputValue(), /555.?010.?1000/, 'the draft after a reload while a call rang');
  // Answered, the call takes the draft away.
  const answered = await api('POST', '/_sandbox/events', { type: 'inbound', from: '+15550101100', menu_path: 'Support' });
  await fourth.locator('[data-testid=answer-button]').click();
  await fourth.locator('[data-testid=hangup-button]').waitFor();
  assert.equal(await fourth.evaluate(() => sessionStorage.getItem('agent-adapter.dial')), null, 'an answered call takes it away');
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: answered.call_id });
  await fourth.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  // After that conversation the draft comes back to be looked over, not armed: by keyboard,
  // New call's Enter and one more leave it on its keypad, nothing placed. Before, it came back
  // on its choices with the keyboard on Call: the second Enter called Anna.
  const focused = () => fourth.evaluate(() => document.activeElement?.dataset.testid ?? null);
  await eventually(async () => assert.equal(await focused(), 'new-call-button'), 'New call focused');
  const placed = (await state()).platform_calls.length;
  await page.keyboard.press('Enter');
  await fourth.locator('[data-testid=keypad-next]').waitFor();
  await eventually(async () => assert.equal(await focused(), 'dial-number'), 'the keyboard in the number');
  assert.match(await fourth.locator('[data-testid=dial-number]').inputValue(), /555.?010.?1000/, 'the draft back');
  await page.keyboard.press('Enter'); // Next: the choices, read again
  await fourth.locator('[data-testid=contact-id]').waitFor();
  await new Promise((r) => setTimeout(r, 700));
  assert.equal((await state()).platform_calls.length, placed, 'nothing placed by the two Enters');
  assert.equal(await fourth.locator('[data-testid=hangup-button]').count(), 0);
});

// A network drop mid-call: the event stream closes, and the platform routes the new one only
// 3 s after the adapter connects again. Meanwhile the customer hangs up, a voicemail is left and
// a chat is offered: none of it reaches a socket. Once the stream is back, the adapter catches up
// on each: the chat is offered (its tab), the Phone tab shows the call ended with its end logged
// once, the voicemail is counted.
test('a dropped event stream catches up on what it missed: the call\'s end, a voicemail, a chat', async () => {
  const { app } = await signedInPage(env);
  await dialAndConnect(app, '+1 555 010 1000');
  const call = (await state()).platform_calls.at(-1);
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/platform/agent/events/ready', latency_ms: 3_000 }]);
  try {
    await api('POST', '/_sandbox/streams/drop', {});
    await api('POST', '/_sandbox/events', { type: 'hangup', call_id: call.id });
    await api('POST', '/_sandbox/events', { type: 'voicemail', from: '+15550101100', duration_s: 4 });
    const { chat_id: chat } = await api('POST', '/_sandbox/chats', { platform: 'web', menu: 'Support', lang: 'en', text: 'Hello?' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).count(), 1, 'nothing came while the stream was down');
    // The offer's tab. Whether the offer also takes the screen depends on which the adapter
    // learns first once the stream is back: the offer (the platform sends it again as the stream
    // opens: the call still shows live, so the offer only marks its tab, as on any call) or the
    // call's end. The agent opens the tab either way.
    await app.locator(`[data-testid=session-tab-${chat}]`).waitFor({ timeout: 15_000 });
    await app.locator(`[data-testid=session-tab-${chat}]`).click();
    await app.locator('[data-testid=chat-accept]').waitFor();
    const ends = async () => {
      const s = await state();
      return s.tickets.flatMap((t) => t.comments).filter((c) => /^Call finished/.test(c.body ?? '') && (c.body ?? '').includes(`${call.id}`)).length;
    };
    await eventually(async () => assert.equal(await ends(), 1, 'the end of the call, logged'), 'the end logged');
    await app.locator('[data-testid=session-tab-phone]').click();
    await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
    await app.locator('[data-testid=new-call-button]').click();
    await app.locator('[data-testid=voicemail-unread]', { hasText: '1' }).waitFor();
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await ends(), 1, 'still once');
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

test('a session that ends mid-call shows sign-in with the reason, and the missed end is written once after it', async () => {
  const { app } = await signedInPage(env);
  // Comments through the platform's CRM queue: they need the platform session.
  await api('PUT', '/_sandbox/settings', {
    developer: { batch_add_comment: true, batch_ticket_update: true, batch_frequency_s: 1 },
  });
  const s0 = await state();
  const anna = s0.users.find((u) => u.phone === '+15550101000');
  await dialAndConnect(app, '+1 555 010 1000');
  const call = (await state()).platform_calls.at(-1);
  const ticketOf = async () => {
    const s = await state();
    return s.tickets.filter((t) => t.requester_id === anna.id).sort((a, b) => b.id - a.id)[0];
  };
  const ticket = await eventually(async () => {
    const t = await ticketOf();
    assert.ok(t && t.comments.length >= 1, 'the call is logged');
    return t;
  }, 'the call logged');

  // The platform ends the agent's session; the customer hangs up while the agent is out.
  await api('POST', '/_sandbox/sessions/end', {});
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[role=alert]', { hasText: 'session has ended' }).waitFor();
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: call.id });
  await new Promise((r) => setTimeout(r, 1_500));
  const ends = (t) => t.comments.filter((c) => /Call finished/.test(c.body ?? '')).length;
  assert.equal(ends((await state()).tickets.find((t) => t.id === ticket.id)), 0, 'nothing written while signed out');

  // Signing in again resumes: the missed end is logged, once.
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
  await eventually(async () => {
    await api('POST', '/_sandbox/queue/flush');
    const t = (await state()).tickets.find((x) => x.id === ticket.id);
    assert.equal(ends(t), 1, 'the end of the call, once');
  }, 'the missed end written after sign-in');
  await new Promise((r) => setTimeout(r, 2_000));
  await api('POST', '/_sandbox/queue/flush');
  const t = (await state()).tickets.find((x) => x.id === ticket.id);
  assert.equal(ends(t), 1, 'still once');
});

// The platform ends Ada's session in the middle of her call, and Ben signs in at the same
// frame: he sees none of her call (no call screen, no customer's number, no word about it) and
// his own Call places his call. Before, her call was kept in the page, and the first read of
// Ben's calls told him it had been "passed to another agent while the connection was down".
test('another agent signing in after a session ended mid-call sees none of that call, and can call', async () => {
  const { app } = await signedInPage(env);
  await dialAndConnect(app, '+1 555 010 1000');
  const adas = (await state()).platform_calls.at(-1);
  await api('POST', '/_sandbox/sessions/end', {});
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[data-testid=sign-in-email]').fill('ben@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
  // The resume read after sign-in has time to bring back whatever it would.
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(await app.locator('[data-testid=hangup-button]').count(), 0, 'no call screen');
  assert.equal(await app.locator('[data-testid=error-banner]').count(), 0,
    `no word of her call: ${await app.locator('body').innerText()}`);
  const text = await app.locator('body').innerText();
  assert.ok(!/555.?010.?1000/.test(text), `nothing of Ada's call shows: ${text}`);
  // A number no contact has: a new contact and ticket, nothing to choose.
  await dialAndConnect(app, '+1 201 555 0177');
  const bens = (await state()).platform_calls.at(-1);
  assert.notEqual(bens.id, adas.id, 'a call of his own');
  assert.notEqual(bens.agent_id, adas.agent_id, 'placed as Ben');
  await app.locator('[data-testid=hangup-button]').click();
});

// Ada's call's ticket cannot be reported to the platform (503s) when the platform ends her
// session, and Ben signs in at the same frame. The report, tried again for two minutes, stops:
// it is of a call that is not his. Before, it went on with Ben's session.
test('a ticket report of the last agent\'s call stops when another agent signs in', async () => {
  const { app } = await signedInPage(env);
  // The call's ticket is made slowly: the report's failure is in place before it is sent.
  await api('POST', '/_sandbox/faults', [{ path_prefix: '/api/v2/tickets', method: 'POST', latency_ms: 8_000, count: 1 }]);
  // A number no contact has: the call's ticket is a new one, reported once made.
  await dialAndConnect(app, '+1 201 555 0166');
  const adas = (await state()).platform_calls.at(-1);
  const path = `/platform/calls/${adas.id}/ticket`;
  // Every report refused with a 503, counted: the sandbox logs no platform request, and a fault
  // counts down the statuses it injects.
  const tries = 1_000;
  await api('POST', '/_sandbox/faults', [{ path_prefix: path, status: 503, count: tries }]);
  const reports = async () => tries - (await api('GET', '/_sandbox/faults')).faults.find((f) => f.path_prefix === path).count;
  try {
    await retry(async () => assert.ok((await reports()) >= 1, 'reported'), 'the first report', env, 300);
    await api('POST', '/_sandbox/sessions/end', {});
    await app.locator('[data-testid=sign-in-email]').waitFor();
    await app.locator('[data-testid=sign-in-email]').fill('ben@sandbox.test');
    await app.locator('[data-testid=sign-in-password]').fill('sandbox');
    await app.locator('[data-testid=sign-in-submit]').click();
    await app.locator('[data-testid=dial-number]').waitFor();
    const before = await reports();
    // The next tries would come 1, 2, 4 and 8 s after the last.
    await new Promise((r) => setTimeout(r, 12_000));
    assert.equal(await reports(), before, 'no report of Ada\'s call in Ben\'s session');
  } finally {
    await api('DELETE', '/_sandbox/faults');
  }
});

// Sign-out cleans this browser up and loses nothing: with Zendesk's ticket API failing, a call's
// writes wait in the outbox (stored without the recording's link); Sign out hands them to the
// platform, leaves no outbox, lease or credential in the browser and ends the session; the next
// sign-in takes them back and writes them, once, with the recording.
test('sign-out hands unwritten writes to the platform, leaves nothing in the browser, and the next sign-in writes them once', async () => {
  const { app } = await signedInPage(env);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/tickets', status: 503 });
  const anna = (await state()).users.find((u) => u.phone === '+15550101000');
  await dialAndHangUp(app, '+1 555 010 1000');
  const call = (await state()).platform_calls.at(-1);

  const stored = async () => app.evaluate(() => Object.fromEntries(
    Object.keys(localStorage).filter((k) => k.startsWith('agent-adapter.')).map((k) => [k, localStorage.getItem(k)])));
  const kept = await eventually(async () => {
    const s = await stored();
    const text = Object.entries(s).filter(([k]) => k.startsWith('agent-adapter.outbox.')).map(([, v]) => v).join('');
    assert.ok(text.includes(`${call.id}.ended`), `the end of the call waits in the outbox: ${Object.keys(s)}`);
    return text;
  }, 'the writes waiting');
  assert.ok(!kept.includes('/recordings/'), 'the stored writes carry no recording link');
  assert.ok(kept.includes('about:recording-withheld'), 'but say where it goes');

  await app.locator('[data-testid=new-call-button]').click();
  // The fresh dial screen puts the keyboard in its number field once drawn: the agent moves to
  // Sign out after that (before, their Enter could land in the number field, and nothing
  // signed out: this test's one timeout on a loaded machine).
  await app.waitForFunction(() => document.activeElement?.dataset.testid === 'dial-number', null, { timeout: 5_000 }).catch(() => {});
  await app.locator('[data-testid=sign-out-button]').focus();
  await app.locator('[data-testid=sign-out-button]').press('Enter');
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[role=status], [role=alert]', { hasText: 'You are signed out.' }).waitFor();
  await app.getByText('kept by the contact centre').waitFor();
  // Signed out by keyboard: the keyboard goes on in the form, not on the page body.
  await eventually(async () => assert.equal(await app.evaluate(() => document.activeElement?.dataset?.testid), 'sign-in-email'), 'focus in the email field');
  const left = await stored();
  assert.deepEqual(Object.keys(left).filter((k) => k !== 'agent-adapter.probe'), [], `nothing of the agent's is left in localStorage: ${Object.keys(left)}`);
  assert.deepEqual(await app.evaluate(() => ({ ...sessionStorage })), {}, 'no credential in the tab');
  const journal = (await api('GET', '/_sandbox/journals')).journals['ada@sandbox.test'] ?? {};
  assert.ok(Object.values(journal).join('').includes(`${call.id}.ended`), 'the platform keeps the writes');
  assert.equal((await state()).tickets.filter((t) => t.requester_id === anna.id && t.comments.some((c) => (c.body ?? '').includes(`Call ID: ${call.id}`))).length, 0,
    'nothing written yet');

  // Zendesk answers again; the agent signs in: the writes come back and are written, once.
  await api('DELETE', '/_sandbox/faults');
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
  const comments = async () => (await state()).tickets.flatMap((t) => t.comments)
    .filter((c) => (c.body ?? '').includes(`Call ID: ${call.id}`) || (c.data?.recording_url ?? '').includes(`/recordings/${call.id}.`));
  await eventually(async () => {
    const c = await comments();
    assert.equal(c.filter((x) => /^Call details/.test(x.body ?? '')).length, 1, 'the call details, once');
    assert.equal(c.filter((x) => /^Call finished/.test(x.body ?? '')).length, 1, 'the end of the call, once');
    const finished = c.find((x) => /^Call finished/.test(x.body ?? ''));
    assert.ok(finished.body.includes(`/recordings/${call.id}.mp3`), `with the recording's link from the platform: ${finished.body}`);
    assert.equal(c.filter((x) => x.type !== 'Comment' && x.data?.recording_url).length, 1, 'and the voice comment');
  }, 'the handed-over writes written after sign-in');
  assert.deepEqual((await api('GET', '/_sandbox/journals')).journals['ada@sandbox.test'] ?? {}, {}, 'taken back from the platform');
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal((await comments()).filter((x) => /^Call finished/.test(x.body ?? '')).length, 1, 'still once');
});

/**
 * An inbound call from Anna answered and hung up while Zendesk answers every read with 429 (its
 * first job still being worked out), then a sign-out: the call's platform answer (`call_id`).
 */
async function callBeingWorkedOutThenSignOut(app) {
  const anna = (await state()).users.find((u) => u.phone === '+15550101000');
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/', method: 'GET', status: 429, retry_after: 3 });
  const offered = await api('POST', '/_sandbox/events', { type: 'inbound', from: anna.phone, menu_path: 'Support' });
  await app.locator('[data-testid=answer-button]:not([disabled])').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=new-call-button]').click();
  await app.waitForFunction(() => document.activeElement?.dataset.testid === 'dial-number', null, { timeout: 5_000 }).catch(() => {});
  await app.locator('[data-testid=sign-out-button]').click();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  return offered;
}

// An inbound call answered and hung up while Zendesk rate-limits the reads its first job needs
// (the call is still being worked out: nothing is queued yet), then the agent signs out. The
// call is handed to the platform with the rest, and the next sign-in logs it, once. Before, a
// tab whose outbox held no job counted as finished and its stored outbox was removed: the call
// was never logged.
test('a call still being worked out at sign-out is handed over and logged after the next sign-in', async () => {
  const { app } = await signedInPage(env);
  const offered = await callBeingWorkedOutThenSignOut(app);
  const logged = async () => (await state()).tickets.flatMap((t) => t.comments)
    .filter((c) => c.type === 'Comment' && (c.body ?? '').includes(`Call ID: ${offered.call_id}`));
  assert.equal((await logged()).length, 0, 'nothing written while Zendesk refused the reads');
  const journal = (await api('GET', '/_sandbox/journals')).journals['ada@sandbox.test'] ?? {};
  assert.ok(Object.values(journal).join('').includes(`${offered.call_id}.`), `the platform keeps the call to log: ${JSON.stringify(journal).slice(0, 300)}`);

  await api('DELETE', '/_sandbox/faults');
  await signInWith(app);
  await eventually(async () => {
    const c = await logged();
    assert.equal(c.filter((x) => !/^Call finished/.test(x.body ?? '')).length, 1, `the call, once: ${c.map((x) => x.body?.split('\n')[0])}`);
    assert.equal(c.filter((x) => /^Call finished/.test(x.body ?? '')).length, 1, 'its end, once');
  }, 'the call logged after the next sign-in');
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal((await logged()).length, 2, 'still once each');
});

// A call handed over while still being worked out, whose next sign-in comes after it left the
// platform's list of recent calls (older than an hour): nothing can log it any more (its caller
// and its end came only from that list), so the sign-in drops it. Before, it was handed over at
// every sign-out and taken back at every sign-in, for good, each sign-out saying that writes
// were kept by the contact centre. A call still in the list is logged (the test above).
test('a call handed over that has left the list of recent calls is dropped, not handed over at every sign-out', async () => {
  const { page, app: first } = await signedInPage(env);
  const offered = await callBeingWorkedOutThenSignOut(first);
  await first.getByText('kept by the contact centre').waitFor();
  const key = `${offered.call_id}.assigned`;
  const journal = async () => JSON.stringify((await api('GET', '/_sandbox/journals')).journals['ada@sandbox.test'] ?? {});
  assert.ok((await journal()).includes(key), 'handed over, still to be worked out');

  // The shift ends (the page closed: nothing of it works the call out any more). Two hours on,
  // the call is no longer in the agent's list of recent calls, and the agent signs in.
  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await api('POST', '/_sandbox/calls/age', { call_id: offered.call_id, ms: 2 * 60 * 60 * 1_000 });
  await api('DELETE', '/_sandbox/faults');
  await page.locator('[data-testid=app-icon]').click();
  const app = await adapterFrame(page);
  await signInWith(app);
  await eventually(async () => {
    assert.ok(!(await journal()).includes(key), 'taken back from the platform');
    assert.ok(!(await outboxText(app)).includes(key), 'and dropped once the list is read');
  }, 'the call dropped');
  await app.locator('[data-testid=sign-out-button]').click();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  await app.locator('[role=status], [role=alert]', { hasText: 'You are signed out.' }).waitFor();
  assert.equal(await app.getByText('kept by the contact centre').count(), 0, 'nothing said to be kept');
  assert.ok(!(await journal()).includes(key), 'nothing handed over');
  const logged = (await state()).tickets.flatMap((t) => t.comments)
    .filter((c) => (c.body ?? '').includes(`Call ID: ${offered.call_id}`));
  assert.equal(logged.length, 0, 'and nothing written for it');
});

/** A Zendesk tab of the browser `context` (tabs of one context share localStorage), signed in. */
async function openTab(context) {
  const tab = await context.newPage();
  await tab.goto(`${env.base}/`);
  await tab.evaluate(() => window.sandbox.ready);
  await tab.locator('[data-testid=app-icon]').click();
  const app = await adapterFrame(tab);
  await signIn(app);
  return { tab, app };
}

/** The stored outbox text of the browser of tab `app` (all tabs' keys). */
const outboxText = (app) => app.evaluate(() => Object.keys(localStorage)
  .filter((k) => k.startsWith('agent-adapter.outbox.')).map((k) => localStorage.getItem(k)).join(''));

/** How many times the end of call `id` is written in Zendesk. */
const endsOf = async (id) => (await state()).tickets.flatMap((t) => t.comments)
  .filter((c) => /^Call finished/.test(c.body ?? '') && (c.body ?? '').includes(`Call ID: ${id}`)).length;

/** Two signed-in tabs of one browser; tab `a` places a call whose writes wait (Zendesk's ticket
 * API failing) in its outbox. */
async function twoTabsWithWaitingWrites() {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env);
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const { app: a } = await openTab(context);
  const { app: b } = await openTab(context);
  await api('POST', '/_sandbox/faults', { path_prefix: '/api/v2/tickets', status: 503 });
  await dialAndHangUp(a, '+1 555 010 1000');
  const call = (await state()).platform_calls.at(-1);
  await eventually(async () => assert.ok((await outboxText(a)).includes(`${call.id}.ended`)), 'the writes waiting in tab A');
  return { context, a, b, call };
}

/** Signs Ada in at the sign-in form of `app`; resolves once the dial screen shows. */
async function signIn(app) {
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
}

// Zendesk open in two tabs; the agent signs out in one while the other's call writes still wait.
// That tab is still open and keeps its writes: they are not handed to the platform. Before, they
// were, and the copy came back at a later sign-in and was written a second time (after the open
// tab had written them itself and been signed out too).
test('a sign-out in one tab leaves another open tab its writes: each is written once', async () => {
  const { context, a, b, call } = await twoTabsWithWaitingWrites();
  try {
    await b.locator('[data-testid=sign-out-button]').click();
    await b.locator('[data-testid=sign-in-email]').waitFor();
    const journal = (await api('GET', '/_sandbox/journals')).journals['ada@sandbox.test'] ?? {};
    assert.ok(!Object.values(journal).join('').includes(`${call.id}.ended`), 'the open tab\'s writes are not handed over');
    assert.ok((await outboxText(a)).includes(`${call.id}.ended`), 'they stay with it');
    await api('DELETE', '/_sandbox/faults');
    // Tab A writes them at its next try (its backoff grew while Zendesk failed).
    await retry(async () => assert.equal(await endsOf(call.id), 1), 'written by tab A', env, 450);
    await a.locator('[data-testid=new-call-button]').click();
    await a.locator('[data-testid=sign-out-button]').click();
    await a.locator('[data-testid=sign-in-email]').waitFor();
    await signIn(a);
    await new Promise((r) => setTimeout(r, 4_000));
    assert.equal(await endsOf(call.id), 1, 'still once after signing in again');
  } finally {
    await api('DELETE', '/_sandbox/faults');
    await context.close();
  }
});

// The platform ends the agent's sessions while tab A's call writes wait. Tab A keeps sending
// them (they need no platform), and says it is alive meanwhile: tab B, signed in again, leaves
// them to it. Before, tab A stopped saying so when its session ended; tab B took its writes
// over and sent them beside it, and the end of the call was written twice.
test('a tab whose session ended keeps its writes: another tab signed in does not send them too', async () => {
  const { context, a, b, call } = await twoTabsWithWaitingWrites();
  try {
    await api('POST', '/_sandbox/sessions/end', {});
    await a.locator('[data-testid=sign-in-email]').waitFor();
    await b.locator('[data-testid=sign-in-email]').waitFor();
    // Past the lease: a tab that stopped saying it is alive is taken for gone.
    await new Promise((r) => setTimeout(r, 7_000));
    await signIn(b);
    await api('DELETE', '/_sandbox/faults');
    await retry(async () => assert.equal(await endsOf(call.id), 1), 'the end written', env, 450);
    // Time for tab A's next try (its backoff grew while Zendesk failed) had both sent it.
    await new Promise((r) => setTimeout(r, 20_000));
    assert.equal(await endsOf(call.id), 1, 'written once');
  } finally {
    await api('DELETE', '/_sandbox/faults');
    await context.close();
  }
});

// Issue 21: the call is the agent's, not the tab's. With Zendesk open in two tabs, the agent
// calls from the leading one and closes it mid-call; the customer hangs up 0 to 5000 ms later.
// Each time the other tab shows the call (live with its controls when it is still going, else
// ended) and the end is written exactly once. (It used to be written in none of these runs: the
// closed tab had nothing left to write, so the other tab never looked for its call.)
test('a call outlives its tab: the other tab shows it and logs its end once, however soon it ends', async () => {
  for (const delay of [0, 100, 500, 2_000, 5_000]) {
    await api('POST', '/_sandbox/reset', { fixture: 'default' });
    await settings(env);
    const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
    const { tab: first, app: a } = await openTab(context);
    const { app: b } = await openTab(context);
    await dialAndConnect(a, '+1 555 010 1000');
    const call = (await state()).platform_calls.at(-1);
    assert.equal(await b.locator('[data-testid=hangup-button]').count(), 0, `${delay} ms: the other tab shows the dial screen`);

    await first.close();
    await api('POST', '/_sandbox/events', { type: 'hangup', call_id: call.id, after_s: delay / 1000 });
    if (delay >= 2_000) {
      // Still going when the other tab takes over: it shows the live call, with its controls.
      await b.locator('[data-testid=hangup-button]').waitFor({ timeout: delay - 500 });
      assert.equal(await b.locator('[data-testid=hold-button]').count(), 1, `${delay} ms: hold too`);
    }
    await b.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor({ timeout: 15_000 });
    const ends = async () => (await state()).tickets
      .flatMap((t) => t.comments)
      .filter((c) => /^Call finished/.test(c.body ?? '')).length;
    await eventually(async () => assert.equal(await ends(), 1, `${delay} ms: the end is written`), `the end after ${delay} ms`);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(await ends(), 1, `${delay} ms: and written once`);
    await context.close();
  }
});

// Issue 21: with Zendesk open in two tabs, click-to-call is served in the tab where the agent
// clicked (it used to say only that Zendesk was open in another tab), and that tab takes the
// lease; a click in the first tab brings it back.
test('click-to-call in a tab that does not lead is served there, and the lease follows the agent', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env);
  // Two tabs of one browser: one context (shared localStorage), two pages.
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const { tab: first, app: a } = await openTab(context);
  const { tab: second, app: b } = await openTab(context);
  const holder = (app) => app.evaluate(() => JSON.parse(localStorage.getItem('agent-adapter.leader') ?? 'null')?.holder);
  const leaderBefore = await holder(a);
  assert.ok(leaderBefore, 'one tab leads');

  const s = await state();
  const bruno = s.users.find((u) => u.phone === '+15550101100');
  const anna = s.users.find((u) => u.phone === '+15550101000');
  await callFromProfile(second, bruno.id);
  await eventually(async () => assert.equal(await b.locator('[data-testid=contact-id]').inputValue({ timeout: 1_000 }), bruno.name), 'the second tab serves the click');
  assert.equal(await b.locator('[data-testid=call-status]').textContent().then((t) => /another tab/.test(t)), false);
  const leaderNow = await holder(b);
  assert.notEqual(leaderNow, leaderBefore, 'the lease moved to the tab in use');

  await callFromProfile(first, anna.id);
  await eventually(async () => assert.equal(await a.locator('[data-testid=contact-id]').inputValue({ timeout: 1_000 }), anna.name), 'the first tab serves its click');
  assert.equal(await holder(a), leaderBefore, 'and the lease came back');
  await context.close();
});

// One call at a time, for a voicemail's Call back too: with a call connected in one tab, Call
// back in the other places nothing and says why. Before, it placed a second call beside the
// first (and wrote its ticket).
test('a voicemail called back from a second tab while the first is on a call is refused and said', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env);
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
  try {
    const { app: a } = await openTab(context);
    const { app: b } = await openTab(context);
    await api('POST', '/_sandbox/events', { type: 'voicemail', from: '+15550101100', duration_s: 4 });
    await dialAndConnect(a, '+1 555 010 1000');
    const before = (await state()).platform_calls.length;
    await b.locator('[data-testid=voicemail-unread]', { hasText: '1' }).waitFor();
    await b.locator('[data-testid=dial-number]').press('v');
    await b.locator('[data-testid=voicemail-call-back]').click();
    await b.locator('[data-testid=error-banner]', { hasText: 'You are on a call in another Zendesk tab.' }).waitFor();
    await new Promise((r) => setTimeout(r, 500));
    const s = await state();
    assert.equal(s.platform_calls.length, before, 'no second call');
    assert.equal(s.platform_calls.at(-1).status, 'connected', 'the first goes on');
    await a.locator('[data-testid=hangup-button]').click();
  } finally {
    await context.close();
  }
});

// One call at a time: with Zendesk open in two tabs and a call connected from one, Call in the
// other places nothing; the agent is told why there, and the call goes on; once it ended, the
// other tab calls. Before, the second tab placed a second call beside the first (two calls for
// one agent, a ticket made for it).
test('a call from a second tab while the first is on a call is refused and said; the call goes on', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env);
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const { app: a } = await openTab(context);
  const { app: b } = await openTab(context);
  await dialAndConnect(a, '+1 555 010 1000');
  const before = (await state()).platform_calls.length;
  await b.locator('[data-testid=dial-number]').fill('+1 555 010 1100');
  await b.locator('[data-testid=keypad-next]').click();
  await b.locator('[data-testid=call-button]:not([disabled])').waitFor();
  await b.locator('[data-testid=call-button]').click();
  await b.locator('[data-testid=error-banner]', { hasText: 'You are on a call in another Zendesk tab.' }).waitFor();
  await b.locator('[data-testid=call-button]').waitFor();
  const s = await state();
  assert.equal(s.platform_calls.length, before, 'no second call');
  assert.equal(s.platform_calls.at(-1).status, 'connected', 'the first goes on');
  assert.equal(await a.locator('[data-testid=call-status]').innerText(), 'Connected');
  await a.locator('[data-testid=hangup-button]').click();
  await a.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  await b.locator('[data-testid=call-button]').click();
  await b.locator('[data-testid=hangup-button]').waitFor();
  assert.equal((await state()).platform_calls.length, before + 1, 'the call once the other ended');
  await b.locator('[data-testid=hangup-button]').click();
  await context.close();
});

// The lease follows the agent's eyes: with Zendesk open in two tabs, the first leads; the agent
// goes to the second tab, and the call offered next rings there, not in the tab behind it (it
// used to ring in the first tab, unseen: the lease moved only on a click-to-call). While a call
// is on in a tab, coming back to the other does not take the lease; once it ended, it does.
// Headless Chromium shows every tab as visible and never fires `visibilitychange` on a switch,
// so the test gives the frame what a real switch gives it: `document.hidden` and the event.
test('the tab the agent comes to takes the lease: the next call rings where the agent looks', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env);
  const context = await env.browser.newContext({ viewport: { width: 1200, height: 760 } });
  const { app: a } = await openTab(context);
  const { app: b } = await openTab(context);
  const holder = (app) => app.evaluate(() => JSON.parse(localStorage.getItem('agent-adapter.leader') ?? 'null')?.holder);
  const first = await holder(a);
  assert.ok(first, 'one tab leads');
  const seen = (app, hidden) => app.evaluate((hidden) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, hidden);

  // The agent leaves the first tab for the second.
  await seen(a, true);
  await seen(b, false);
  await eventually(async () => assert.notEqual(await holder(b), first, 'the second tab leads'), 'the lease moved');
  const second = await holder(b);
  // Still so after the first tab's renewal (every 2 s): it does not take the lease back.
  await new Promise((r) => setTimeout(r, 2_500));
  assert.equal(await holder(a), second, 'the first tab left it');

  const offered = await api('POST', '/_sandbox/events', { type: 'inbound', from: '+15550101100', menu_path: 'Support' });
  await b.locator('[data-testid=answer-button]').waitFor({ timeout: 8_000 });
  assert.equal(await a.locator('[data-testid=answer-button]').count(), 0, 'not in the tab behind');
  await b.locator('[data-testid=answer-button]').click();
  await b.locator('[data-testid=hangup-button]').waitFor();

  // On a call in the second tab, the agent looks at the first: the lease stays with the call.
  await seen(b, true);
  await seen(a, false);
  await new Promise((r) => setTimeout(r, 500));
  assert.equal(await holder(a), second, 'a tab on a call keeps the lease');
  await api('POST', '/_sandbox/events', { type: 'hangup', call_id: offered.call_id });
  await b.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  // The call over, the agent comes back to the first tab: it leads again.
  await seen(a, true);
  await seen(a, false);
  await eventually(async () => assert.equal(await holder(a), first, 'back to the first tab'), 'the lease came back');
  await context.close();
});
