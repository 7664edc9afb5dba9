// The admin's side: the platform's portal in the sandbox (`/portal`), driven in a real browser as
// an administrator would, beside a signed-in agent's adapter. Each Operation Management switch
// saved in the portal reaches the agent's next dial screen; an agent cannot open the portal
// (BATCH-6); a combination the rules forbid is refused with the field named and nothing saved
// (SET-4, SET-11, BATCH-3); SET-8's warning stands beside "Do not create a ticket"; "Create" makes
// the SDK session fields once, pressed twice (FIELD-1, FIELD-13); batching switched on in the
// portal moves the agent's comments to the platform's CRM queue; "Outbound Ticket Settings"
// saves the ticket field the number is taken from, clears it, and refuses a missing or unknown
// field (TEAM-19); the queue's Instant Voice Call and team assignment (TEAM-13) and the team's
// ticket ID entry (TEAM-12) are saved; every portal page has 0 axe violations. Judged through the adapter's screen, the platform's API and
// Zendesk's request log. Screenshots of each page go to target/screens/portal-*.png.
//
// Needs `dist/` and the sandbox binary, as adapter.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, signedInPage, signInIfAsked, dialAndHangUp, retry, root, settings } from './support.mjs';

const axeSource = readFileSync(join(root, 'node_modules/axe-core/axe.min.js'), 'utf8');
const shots = join(root, 'target/screens');
mkdirSync(shots, { recursive: true });

let env;
const api = (...args) => env.api(...args);
const eventually = (check, what) => retry(check, what, env);

before(async () => {
  env = await startSandbox();
});

after(async () => {
  await env?.stop();
});

/** A browser context of its own (the admin's machine), signed in to the portal as `email`. */
async function portal(email = 'admin@sandbox.test') {
  const context = await env.browser.newContext({ viewport: { width: 1100, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => (env.output += `pageerror (portal): ${e.message}\n`));
  await page.goto(`${env.base}/portal`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('sandbox');
  await page.getByLabel('Password').press('Enter');
  await page.waitForLoadState();
  return { context, page };
}

async function axe(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
}

/** Ticks or unticks Operation Management switch `key` and saves. */
async function setSwitch(page, key, on) {
  await page.goto(`${env.base}/portal/operation`);
  await page.locator(`[data-testid=om-${key}]`).setChecked(on);
  await page.locator('[data-testid=portal-save]').click();
  await page.locator('[data-testid=portal-saved]').waitFor();
}

const TWO_OPEN = '+15550101200'; // one contact, two open tickets (MATRIX 1.2)

/** The ticket part of a fresh dial screen for `number`, once nothing is loading. */
async function ticketPart(app, number) {
  await app.locator('[data-testid=cancel-button]').click().catch(() => {});
  await app.locator('[data-testid=dial-number]').fill(number);
  await app.locator('[data-testid=keypad-next]').click();
  return eventually(async () => {
    const contact = await app.locator('[data-testid=contact-id]').inputValue();
    assert.ok(!contact.startsWith('Loading'), 'contact loading');
    const readonly = app.locator('[data-testid=ticket-id]');
    const readonlyText = (await readonly.count()) ? await readonly.inputValue() : null;
    assert.ok(!readonlyText?.startsWith('Loading'), 'tickets loading');
    const options = await app.locator('[data-testid^=ticket-option-]').evaluateAll((els) => els.map((e) => e.dataset.testid));
    const checkbox = (await app.locator('[data-testid=use-entered-number]').count()) > 0;
    return { options, readonly: readonlyText, checkbox };
  }, 'the dial screen settled');
}

// SET-13, SET-16 through the portal: each switch saved by the admin reaches the agent's next
// dial screen; SET-8's warning stands beside "Do not create a ticket"; SET-11's lock.
test('each Operation Management switch saved in the portal reaches the agent\'s next dial screen', async () => {
  const { app } = await signedInPage(env);
  const admin = await portal();
  try {
    const s = await api('GET', '/_sandbox/state');
    const owner = s.users.find((u) => u.phone === TWO_OPEN);
    const open = s.tickets.filter((t) => t.requester_id === owner.id && !['solved', 'closed'].includes(t.status))
      .sort((a, b) => b.created_at - a.created_at || b.id - a.id);
    const [newest, older] = open;
    await admin.page.goto(`${env.base}/portal/operation`);
    assert.match(await admin.page.locator('[data-testid=om-set8-warning]').innerText(), /recordings/, 'SET-8');
    // SET-1: the four flexible-outbound toggles are in Operation Management, "Multiple Account/Cases".
    const cases = admin.page.locator('fieldset', { has: admin.page.locator('legend', { hasText: 'Multiple Account/Cases' }) });
    for (const key of ['prompt_select_open_ticket', 'allow_create_new_ticket', 'allow_do_not_create_ticket', 'allow_use_entered_number']) {
      assert.equal(await cases.locator(`[data-testid=om-${key}]`).count(), 1, `SET-1: ${key}`);
    }
    assert.match(await admin.page.locator('main').innerText(), /Agents signed in: 1/);

    let part = await ticketPart(app, TWO_OPEN);
    assert.deepEqual(part.options, [], 'SET-2: nothing to choose');
    await setSwitch(admin.page, 'prompt_select_open_ticket', true); // SET-3
    part = await ticketPart(app, TWO_OPEN);
    assert.deepEqual(part.options, [`ticket-option-${newest.id}`, `ticket-option-${older.id}`]);
    await setSwitch(admin.page, 'allow_create_new_ticket', true); // SET-5
    part = await ticketPart(app, TWO_OPEN);
    assert.ok(part.options.includes('ticket-option-new'));
    await setSwitch(admin.page, 'allow_do_not_create_ticket', true); // SET-7
    part = await ticketPart(app, TWO_OPEN);
    assert.ok(part.options.includes('ticket-option-none'));
    await setSwitch(admin.page, 'allow_use_entered_number', true); // SET-10
    part = await ticketPart(app, TWO_OPEN);
    assert.equal(part.checkbox, true);
    // SET-11: "Do not append" cannot be saved while the ticket choices are on; once they are off,
    // it can, and no existing ticket is offered any more.
    await admin.page.goto(`${env.base}/portal/operation`);
    await admin.page.locator('[data-testid=om-do_not_append]').check();
    await admin.page.locator('[data-testid=portal-save]').click();
    await admin.page.locator('[data-testid=portal-errors]').waitFor();
    assert.match(await admin.page.locator('[data-testid=portal-errors]').innerText(), /Do not append/);
    assert.equal((await api('GET', '/_sandbox/settings')).operation.do_not_append, false, 'nothing saved');
    await setSwitch(admin.page, 'allow_create_new_ticket', false);
    await setSwitch(admin.page, 'prompt_select_open_ticket', false);
    await setSwitch(admin.page, 'do_not_append', true);
    assert.equal(await admin.page.locator('[data-testid=om-prompt_select_open_ticket]').isDisabled(), true, 'locked');
    part = await ticketPart(app, TWO_OPEN);
    assert.ok(!part.options.includes(`ticket-option-${newest.id}`) && part.readonly !== `#${newest.id} ${newest.subject}`,
      `no existing ticket: ${JSON.stringify(part)}`);
    await admin.page.screenshot({ path: join(shots, 'portal-operation.png'), fullPage: true });
  } finally {
    await admin.context.close();
  }
});

// BATCH-6: the portal is an administrator's; an agent's credentials are refused and change nothing.
test('an agent cannot open the portal', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  const before = await api('GET', '/_sandbox/settings');
  const agent = await portal('ada@sandbox.test');
  try {
    assert.match(await agent.page.locator('body').innerText(), /administrator/);
    const res = await agent.page.goto(`${env.base}/portal/developer`);
    assert.ok(!(await agent.page.locator('[data-testid=dev-batch-add-comment]').count()), 'no settings shown');
    assert.ok(res.url().endsWith('/portal'), `sent back to sign in: ${res.url()}`);
    assert.deepEqual(await api('GET', '/_sandbox/settings'), before);
  } finally {
    await agent.context.close();
  }
});

// SET-4 and BATCH-3: what the controls do not let through (a disabled switch forced on, a batch
// window out of range) is refused with the field named and nothing saved.
test('an invalid combination is refused with the field named, and nothing is saved', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env); // every switch off: "Create a new ticket" needs the prompt
  const before = await api('GET', '/_sandbox/settings');
  const admin = await portal();
  try {
    await admin.page.goto(`${env.base}/portal/operation`);
    const create = admin.page.locator('[data-testid=om-allow_create_new_ticket]');
    assert.equal(await create.isDisabled(), true, 'SET-4: disabled while the prompt is off');
    assert.match(await admin.page.locator('[data-testid=om-allow_create_new_ticket-reason]').innerText(), /Prompt agents/);
    await create.evaluate((el) => { el.disabled = false; el.checked = true; });
    await admin.page.locator('[data-testid=portal-save]').click();
    const errors = admin.page.locator('[data-testid=portal-errors]');
    await errors.waitFor();
    assert.match(await errors.innerText(), /Create a new ticket/);
    await admin.page.locator('[data-testid=error-operation-allow_create_new_ticket]').waitFor();
    assert.deepEqual(await api('GET', '/_sandbox/settings'), before, 'SET-4: nothing saved');
    await admin.page.screenshot({ path: join(shots, 'portal-refused.png'), fullPage: true });

    await admin.page.goto(`${env.base}/portal/developer`);
    const frequency = admin.page.locator('[data-testid=dev-batch-frequency]');
    await frequency.evaluate((el) => { el.removeAttribute('min'); el.removeAttribute('max'); el.value = '61'; });
    await admin.page.locator('[data-testid=portal-save]').click();
    await errors.waitFor();
    assert.match(await errors.innerText(), /1 to 60/);
    assert.deepEqual(await api('GET', '/_sandbox/settings'), before, 'BATCH-3: nothing saved');
  } finally {
    await admin.context.close();
  }
});

// SET-4, SET-11 as the admin edits: ticking the prompt unlocks "Create a new ticket" at once
// (it stayed disabled until a save, so switching both on took two saves), "Do not append" locks
// both again, and the reason beside each says why. All by keyboard; one save keeps both.
test('ticking the prompt unlocks "Create a new ticket" before any save; both saved at once, by keyboard', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env); // every switch off
  const admin = await portal();
  try {
    const { page } = admin;
    await page.goto(`${env.base}/portal/operation`);
    const id = (key) => page.locator(`[data-testid=om-${key}]`);
    const reason = page.locator('[data-testid=om-allow_create_new_ticket-reason]');
    const focused = () => page.evaluate(() => document.activeElement?.dataset.testid);
    assert.equal(await id('allow_create_new_ticket').isDisabled(), true, 'locked while the prompt is off');
    assert.equal(await reason.innerText(), 'Needs "Prompt agents to select open ticket from list"');
    // Keyboard: Tab from the prompt skips the locked switch.
    await id('prompt_select_open_ticket').focus();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'om-allow_do_not_create_ticket', 'a disabled switch is not a stop');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Space'); // the prompt on
    assert.equal(await id('prompt_select_open_ticket').isChecked(), true);
    assert.equal(await id('allow_create_new_ticket').isDisabled(), false, 'unlocked at once');
    assert.equal(await reason.isVisible(), false, 'no reason while nothing locks it');
    assert.doesNotMatch(await id('allow_create_new_ticket').getAttribute('aria-describedby'), /-reason/);
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'om-allow_create_new_ticket');
    await page.keyboard.press('Space');
    // "Do not append" on locks both again: each says to untick it, and stays usable to do so.
    await id('do_not_append').focus();
    await page.keyboard.press('Space');
    assert.match(await reason.innerText(), /^Locked while "Do not append.*: untick it to save$/);
    assert.match(await page.locator('[data-testid=om-prompt_select_open_ticket-reason]').innerText(), /untick it to save$/);
    assert.equal(await id('allow_create_new_ticket').isDisabled(), false, 'on: it can be unticked');
    assert.match(await id('allow_create_new_ticket').getAttribute('aria-describedby'), /om-allow_create_new_ticket-reason/);
    await page.screenshot({ path: join(shots, 'portal-live-locks.png'), fullPage: true });
    // Unticking a locked switch keeps the keyboard on it; it locks once the keyboard leaves.
    await id('allow_create_new_ticket').focus();
    await page.keyboard.press('Space');
    assert.equal(await id('allow_create_new_ticket').isChecked(), false);
    assert.equal(await focused(), 'om-allow_create_new_ticket', 'the keyboard stays on it');
    await page.keyboard.press('Shift+Tab');
    assert.equal(await focused(), 'om-prompt_select_open_ticket');
    await eventually(async () => assert.equal(await id('allow_create_new_ticket').isDisabled(), true), 'locked once left');
    assert.match(await reason.innerText(), /^Locked while "Do not append.*" is on$/);
    // "Do not append" off again: the prompt and "Create a new ticket" are free; tick it again.
    await id('do_not_append').focus();
    await page.keyboard.press('Space');
    assert.equal(await reason.isVisible(), false);
    await id('allow_create_new_ticket').focus();
    await page.keyboard.press('Space');
    assert.equal(await id('allow_create_new_ticket').isChecked(), true);
    await page.locator('[data-testid=portal-save]').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid=portal-saved]').waitFor();
    const op = (await api('GET', '/_sandbox/settings')).operation;
    assert.equal(op.prompt_select_open_ticket, true);
    assert.equal(op.allow_create_new_ticket, true, 'saved with the prompt, in one save');
    assert.equal(op.do_not_append, false);
    // The page as saved shows the same state the script left.
    assert.equal(await id('allow_create_new_ticket').isChecked(), true);
    assert.equal(await id('allow_create_new_ticket').isDisabled(), false);
    assert.equal(await reason.isVisible(), false);
  } finally {
    await admin.context.close();
  }
});

// FIELD-1, FIELD-13: "Create" makes one ticket field per SDK session field, once, pressed twice.
test('"Create" makes the session ticket fields once, pressed twice', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  const admin = await portal();
  try {
    await admin.page.goto(`${env.base}/portal/crm-fields`);
    await admin.page.locator('[data-testid=crm-create]').click();
    await admin.page.locator('[data-testid=crm-field-csat]').waitFor();
    const first = (await api('GET', '/api/v2/ticket_fields.json')).ticket_fields;
    await admin.page.locator('[data-testid=crm-create]').click();
    await admin.page.locator('[data-testid=crm-field-csat]').waitFor();
    const second = (await api('GET', '/api/v2/ticket_fields.json')).ticket_fields;
    assert.deepEqual(second.map((f) => f.id), first.map((f) => f.id), 'nothing new the second time');
    for (const title of ['Session Type', 'Call Duration', 'Customer Satisfaction Rating', 'Customer Text Feedback']) {
      assert.equal(second.filter((f) => f.title === title).length, 1, title);
    }
    assert.equal((await api('GET', '/_sandbox/settings')).developer.custom_fields_created, true);
    await admin.page.screenshot({ path: join(shots, 'portal-crm-fields.png'), fullPage: true });
  } finally {
    await admin.context.close();
  }
});

// BATCH-2, BATCH-5, BATCH-8: batching switched on in the portal; the agent's next session sends
// its comments to the platform's CRM queue (the request log shows the queue's update_many).
test('batching switched on in the portal moves the agent\'s comments to the CRM queue', async () => {
  const { app } = await signedInPage(env, {}, { signIn: false });
  const admin = await portal();
  try {
    await admin.page.goto(`${env.base}/portal/developer`);
    await admin.page.locator('[data-testid=dev-batch-add-comment]').check();
    await admin.page.locator('[data-testid=dev-batch-ticket-update]').check();
    await admin.page.locator('[data-testid=dev-batch-frequency]').fill('2');
    await admin.page.locator('[data-testid=portal-save]').click();
    await admin.page.locator('[data-testid=portal-saved]').waitFor();
    await admin.page.screenshot({ path: join(shots, 'portal-developer.png'), fullPage: true });
    await signInIfAsked(app);
    await app.locator('[data-testid=dial-number]').waitFor();
    await api('DELETE', '/_sandbox/requests');
    await dialAndHangUp(app, '+1 555 010 1000');
    await eventually(async () => {
      const { requests } = await api('GET', '/_sandbox/requests');
      assert.ok(requests.some((r) => r.source === 'platform' && r.path.startsWith('/api/v2/tickets/update_many')),
        'the queue wrote the end of the call');
      assert.ok(!requests.some((r) => r.source === 'app' && r.method === 'PUT' && /\/tickets\/\d+\.json/.test(r.path)),
        'no direct comment');
    }, 'the end of the call through the CRM queue');
  } finally {
    await admin.context.close();
  }
});

// TEAM-7, TEAM-19: "Outbound Ticket Settings" in Developer Settings. Ticked with one of the
// account's ticket fields, that field's id is saved and the page shows it when opened again;
// unticked, none (the requester's default phone). Ticked without a field, or with a field the
// account does not have, is refused with the field named, nothing saved and the choice kept.
test('Outbound Ticket Settings: the ticket field of the number is saved, cleared, and refused when wrong', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  const { ticket_fields } = await api('GET', '/_sandbox/state');
  const field = ticket_fields.find((f) => f.title === 'Number to dial');
  assert.ok(field, 'the fixture has a ticket field for the number');
  const admin = await portal();
  try {
    const { page } = admin;
    const tick = page.locator('[data-testid=dev-outbound-ticket-field]');
    const select = page.locator('[data-testid=dev-outbound-ticket-field-id]');
    const errors = page.locator('[data-testid=portal-errors]');
    const problem = page.locator('[data-testid=error-developer-outbound_ticket_phone_field]');
    const save = () => page.locator('[data-testid=portal-save]').click();
    const saved = async () => (await api('GET', '/_sandbox/settings')).developer.outbound_ticket_phone_field;

    await page.goto(`${env.base}/portal/developer`);
    const box = page.locator('fieldset', { has: page.locator('legend', { hasText: 'Outbound Ticket Settings' }) });
    assert.equal(await box.locator('[data-testid=dev-outbound-ticket-field]').count(), 1, 'TEAM-19: in its fieldset');
    assert.equal(await box.locator('[data-testid=dev-outbound-ticket-field-id]').count(), 1);
    assert.equal(await tick.isChecked(), false, 'none saved: the requester\'s default phone');
    assert.equal(await select.inputValue(), '');
    const listed = await select.locator('option').allTextContents();
    assert.ok(listed.includes(`Number to dial (Field ID ${field.id})`), `listed by title and Field ID: ${listed}`);

    // Ticked without a field: refused, nothing saved, the tick kept.
    await tick.check();
    await save();
    await errors.waitFor();
    assert.match(await errors.innerText(), /choose the ticket field/);
    assert.match(await problem.innerText(), /Outbound Ticket Settings/);
    assert.equal(await saved(), null, 'nothing saved');
    assert.equal(await tick.isChecked(), true, 'the tick kept');

    // Ticked with the field: saved, and shown when the page is opened again.
    await select.selectOption(String(field.id));
    await save();
    await page.locator('[data-testid=portal-saved]').waitFor();
    assert.equal(await saved(), field.id, 'TEAM-19: the field id saved');
    await page.goto(`${env.base}/portal/developer`);
    assert.equal(await tick.isChecked(), true, 'the saved tick shown');
    assert.equal(await select.inputValue(), String(field.id), 'the saved field shown');

    // A field the account does not have (forced into the list): refused, the saved one stays,
    // the choice is kept and marked.
    await select.evaluate((el) => { el.add(new Option('Field ID 999', '999')); el.value = '999'; });
    await save();
    await errors.waitFor();
    assert.match(await errors.innerText(), /"999" is not a ticket field of the account/);
    assert.equal(await saved(), field.id, 'nothing saved');
    assert.equal(await tick.isChecked(), true);
    assert.equal(await select.inputValue(), '999', 'the choice kept');
    assert.equal(await select.getAttribute('aria-invalid'), 'true');

    // Unticked: no field, whatever is chosen.
    await tick.uncheck();
    await save();
    await page.locator('[data-testid=portal-saved]').waitFor();
    assert.equal(await saved(), null, 'TEAM-19: the requester\'s default phone again');
    await page.goto(`${env.base}/portal/developer`);
    assert.equal(await tick.isChecked(), false, 'the saved state shown');
    assert.equal(await select.inputValue(), '');
  } finally {
    await admin.context.close();
  }
});

// TEAM-12, TEAM-13: a team's ticket ID entry and the queue's Instant Voice Call with its teams,
// saved in the portal; every portal page has 0 axe violations.
test('teams and the queue are saved; every portal page has no accessibility violation', async () => {
  await api('POST', '/_sandbox/reset', { fixture: 'default' });
  const admin = await portal();
  try {
    // TEAM-12: "Required" needs "Enable Ticket ID" (disabled with the reason while it is off).
    const { teams, queues } = await api('GET', '/_sandbox/state');
    const team = teams.find((t) => !t.ticket_id_entry?.enabled) ?? teams[0];
    await admin.page.goto(`${env.base}/portal/teams`);
    const required = admin.page.locator(`[data-testid=team-${team.id}-required]`);
    assert.equal(await required.isDisabled(), true, 'TEAM-12: locked while Enable Ticket ID is off');
    // Ticking "Enable Ticket ID" unlocks "Required" at once: one save keeps both.
    await admin.page.locator(`[data-testid=team-${team.id}-enabled]`).setChecked(true);
    assert.equal(await required.isDisabled(), false, 'unlocked before any save');
    assert.equal(await admin.page.locator(`[data-testid=team-${team.id}-required-reason]`).isVisible(), false);
    await required.check();
    await admin.page.locator('[data-testid=portal-save]').click();
    await admin.page.locator('[data-testid=portal-saved]').waitFor();
    const saved = (await api('GET', '/_sandbox/state')).teams.find((t) => t.id === team.id);
    assert.deepEqual(saved.ticket_id_entry, { enabled: true, required: true }, 'TEAM-12');
    // TEAM-13: Instant Voice Call on the queue, and which teams it takes.
    const queue = queues[0];
    await admin.page.goto(`${env.base}/portal/queue`);
    await admin.page.locator(`[data-testid=queue-${queue.id}-instant]`).setChecked(!queue.instant_voice_call);
    await admin.page.locator(`[data-testid=queue-${queue.id}-team-${team.id}]`).setChecked(false);
    await admin.page.locator('[data-testid=portal-save]').click();
    await admin.page.locator('[data-testid=portal-saved]').waitFor();
    const after = (await api('GET', '/_sandbox/state')).queues.find((q) => q.id === queue.id);
    assert.equal(after.instant_voice_call, !queue.instant_voice_call, 'TEAM-13: Instant Voice Call');
    assert.ok(!after.team_ids.includes(team.id), 'TEAM-13: the team unassigned');

    const report = {};
    for (const name of ['operation', 'developer', 'teams', 'queue', 'crm-fields']) {
      await admin.page.goto(`${env.base}/portal/${name}`);
      report[name] = await axe(admin.page);
      await admin.page.screenshot({ path: join(shots, `portal-${name}.png`), fullPage: true });
    }
    const signIn = await env.browser.newPage();
    await signIn.goto(`${env.base}/portal`);
    report['sign-in'] = await axe(signIn);
    await signIn.close();
    for (const [page, v] of Object.entries(report)) console.log(`axe portal ${page}: ${v.length} violation(s)`);
    assert.deepEqual(report, Object.fromEntries(Object.keys(report).map((k) => [k, []])));
  } finally {
    await admin.context.close();
  }
});
