// Accessibility: axe-core (npm) run inside the adapter's frame, in the sandbox workspace, on the
// sign-in, dial, keypad, chooser and in-call screens (touch tones, hold, ended, an inbound call
// offered, the caller's contact to pick). Every screen must have 0 violations.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, signedInPage, adapterFrame } from './support.mjs';

const axeSource = readFileSync(join(process.cwd(), 'node_modules/axe-core/axe.min.js'), 'utf8');
let env;

before(async () => {
  env = await startSandbox();
});

after(async () => {
  await env?.stop();
});

async function violations(frame) {
  await frame.evaluate(axeSource);
  const result = await frame.evaluate(async () => {
    // The popover is the adapter's whole page: check the document, WCAG 2.1 A and AA.
    const r = await window.axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')) }));
  });
  return result;
}

test('every screen of the adapter has no accessibility violation', async () => {
  const { page, app } = await signedInPage(env, { prompt_select_open_ticket: true, allow_do_not_create_ticket: true }, { signIn: false });
  const report = {};
  report['sign-in'] = await violations(app);
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
  report.keypad = await violations(app);
  await page.keyboard.type('+15550102200');
  await app.locator('[data-testid=keypad-next]').click();
  await app.locator('[data-testid=contact-picker]').waitFor();
  report['dial with choosers'] = await violations(app);
  await app.locator('[data-testid^=contact-option-]').first().click();
  await app.locator('[data-testid=ticket-picker]').waitFor();
  await app.locator('[data-testid^=ticket-option-]').first().click();
  report.dial = await violations(app);
  await app.locator('[data-testid=call-button]').click();
  await app.locator('[data-testid=hangup-button]').waitFor();
  report['in call'] = await violations(app);
  await env.api('PUT', '/_sandbox/settings', { auto_answer_ms: 200 });
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
  await app.locator('[data-testid=dtmf-toggle]').click();
  await app.locator('[data-testid=keypad-key-1]').click();
  report['in call, touch tones'] = await violations(app);
  await app.locator('[data-testid=hold-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'On hold' }).waitFor();
  report['in call, on hold'] = await violations(app);
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=new-call-button]').waitFor();
  report['call ended'] = await violations(app);
  await env.api('POST', '/_sandbox/events', { type: 'inbound', from: '+15550102000', menu_path: 'Support' });
  await app.locator('[data-testid=answer-button]').waitFor();
  report['inbound call offered'] = await violations(app);
  await app.locator('[data-testid=answer-button]').click();
  await app.locator('[data-testid=caller-picker]').waitFor();
  report['inbound, who is calling'] = await violations(app);
  const found = Object.entries(report).filter(([, v]) => v.length);
  for (const [screen, v] of Object.entries(report)) console.log(`axe ${screen}: ${v.length} violation(s)`);
  assert.deepEqual(found, [], JSON.stringify(found, null, 2));
});
