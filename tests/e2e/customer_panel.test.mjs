// End-to-end test of the sandbox workspace's Customer panel, the README's first steps: the agent
// places a call from the adapter and the customer answers and hangs up from the panel, while the
// adapter's popover stays open. Only Playwright's normal clicks drive the customer's side, so a
// button covered by the popover (or not rendered) fails the test.
//
// Needs `dist/` and the sandbox binary, as adapter.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { root, startSandbox, signedInPage, retry } from './support.mjs';

let env;

const api = (...args) => env.api(...args);
const state = () => api('GET', '/_sandbox/state');

before(async () => {
  env = await startSandbox();
});

after(async () => {
  await env?.stop();
});

/** Retries `check` for up to about 10 s. */
const eventually = (check, what) => retry(check, what, env);

// Issue 11, item 8: "Calls in progress" rendered `[object HTMLDivElement]` (an array handed to
// replaceChildren) instead of the call with its Answer and Hang up buttons, and the adapter's
// open popover covered the panel.
test('item 8: the Customer panel answers and hangs up a call with the adapter open', async () => {
  const { page, app } = await signedInPage(env);
  await page.setViewportSize({ width: 1280, height: 800 });
  // The customer answers only from the panel.
  await api('PUT', '/_sandbox/settings', { auto_answer_ms: null });
  await page.locator('[data-testid=panel-toggle]').click();
  const panel = page.locator('[data-testid=panel]');
  await panel.waitFor();

  const s0 = await state();
  const anna = s0.users.find((u) => u.phone === '+15550101000');
  await app.locator('[data-testid=dial-number]').fill('+15550101000');
  await app.locator('[data-testid=keypad-next]').click();
  await eventually(async () => {
    assert.equal(await app.locator('[data-testid=contact-id]').inputValue({ timeout: 1_000 }), anna.name);
  }, 'the contact is found');
  await app.locator('[data-testid=call-button]').click();
  const call = await eventually(async () => {
    const c = (await state()).platform_calls.at(-1);
    assert.equal(c?.status, 'ringing');
    assert.equal(c.customer_number, '+15550101000');
    return c;
  }, 'the call rings');
  assert.equal(await page.locator('[data-testid=popover]').isVisible(), true, 'the adapter stays open');

  const row = panel.locator(`[data-testid=panel-call-${call.id}]`);
  await row.waitFor({ timeout: 5_000 });
  const text = await panel.innerText();
  assert.doesNotMatch(text, /\[object /, text);
  assert.match(await row.innerText(), /outbound \+15550101000 · ringing/);
  mkdirSync(join(root, 'target/screenshots'), { recursive: true });
  await page.screenshot({ path: join(root, 'target/screenshots/customer-panel-ringing-1280x800.png') });

  // The customer answers: a normal click, which fails if anything covers the button.
  await row.locator('[data-testid=panel-answer]').click({ timeout: 5_000 });
  await eventually(async () => {
    assert.equal((await state()).platform_calls.find((c) => c.id === call.id).status, 'connected');
  }, 'the call is connected');
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
  await eventually(async () => assert.match(await row.innerText({ timeout: 1_000 }), /· connected/), 'the panel shows it connected');

  // The customer hangs up.
  await row.locator('[data-testid=panel-hangup]').click({ timeout: 5_000 });
  await eventually(async () => {
    const c = (await state()).platform_calls.find((c) => c.id === call.id);
    assert.equal(c.status, 'ended');
    assert.equal(c.ended_by, 'customer');
  }, 'the customer hung up');
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  await eventually(async () => {
    assert.match(await panel.innerText({ timeout: 1_000 }), /Calls in progress\s+None/);
  }, 'no call in progress');
});
