// Accessibility: axe-core (npm) run inside the adapter's frame, in the sandbox workspace, on the
// sign-in, dial, keypad, chooser and in-call screens (touch tones, hold, ended, an inbound call
// offered, the caller's contact to pick). Every screen must have 0 violations.
// And the keyboard's place, which axe does not judge: always drawn at 3:1 or more, also where the
// system forces its colours, and never dropped to the page when the element that had it goes.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSandbox, signedInPage, dialAndConnect } from './support.mjs';

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

/**
 * The element with the keyboard in `frame` and how its place is drawn: the contrast on white of
 * the most visible colour of its ring (box-shadow), and its outline (what a system forcing its
 * colours draws instead of the shadow).
 */
const focusRing = (frame) => frame.evaluate(() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const luminance = (rgb) => rgb.map((c) => {
    const v = c / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  }).reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
  const contrast = ([r, g, b, a = 1]) => 1.05 / (luminance([r, g, b].map((c) => c * a + 255 * (1 - a))) + 0.05);
  const colours = [...style.boxShadow.matchAll(/rgba?\(([^)]+)\)/g)].map((m) => m[1].split(',').map(Number));
  return {
    what: el.dataset.testid ?? el.tagName,
    contrast: Math.max(0, ...colours.map(contrast)),
    outline: `${style.outlineStyle} ${parseFloat(style.outlineWidth)}`,
  };
});

const focused = (frame) => frame.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.tagName);

/** Waits until the element `testid` has the keyboard (what a screen does a frame later). */
async function untilFocused(frame, testid, why) {
  for (let i = 0; i < 50 && (await focused(frame)) !== testid; i++) await new Promise((r) => setTimeout(r, 40));
  assert.equal(await focused(frame), testid, why);
}

/** Tabs `n` times, checking how each element reached is drawn. */
async function tabAndCheck(page, frame, n, seen) {
  for (let i = 0; i < n; i++) {
    await page.keyboard.press('Tab');
    const ring = await focusRing(frame);
    if (ring.what === 'BODY') break;
    seen.push(ring);
  }
}

test('the keyboard\'s place is drawn at 3:1 or more and stays in the adapter when its element goes', async () => {
  const { page, app } = await signedInPage(env, { prompt_select_open_ticket: true }, { signIn: false });
  const seen = [];
  await app.locator('[data-testid=sign-in-email]').focus();
  seen.push(await focusRing(app));
  await tabAndCheck(page, app, 2, seen);
  // Sign in pressed with nothing typed: the banner says why; its × by keyboard leaves the
  // keyboard in the form.
  assert.equal(await focused(app), 'sign-in-submit');
  await page.keyboard.press('Enter');
  const close = app.locator('[data-testid=error-banner] button');
  await close.waitFor();
  await close.focus();
  seen.push({ ...(await focusRing(app)), what: 'banner close' });
  await page.keyboard.press('Enter');
  await untilFocused(app, 'sign-in-email', 'the banner dismissed: the keyboard is in the form');
  // A refused sign-in sent from the button (disabled while it goes): the button has the keyboard
  // back, so Enter tries again.
  await page.keyboard.type('ada@sandbox.test');
  await page.keyboard.press('Tab');
  await page.keyboard.type('wrong password');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=error-banner]').waitFor();
  await untilFocused(app, 'sign-in-submit', 'a refused sign-in gives the button the keyboard back');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').focus();
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=dial-number]').waitFor();
  await untilFocused(app, 'dial-number', 'the dial screen takes the keyboard');
  seen.push(await focusRing(app));
  await tabAndCheck(page, app, 8, seen);
  // The choosers: the option Enter would pick is outlined while the list has the keyboard.
  await app.locator('[data-testid=dial-number]').fill('+15550102200');
  await app.locator('[data-testid=keypad-next]').click();
  const list = app.locator('[data-testid=contact-picker]');
  await list.waitFor();
  await list.focus();
  await page.keyboard.press('ArrowDown');
  const active = await list.evaluate((l) => {
    const option = document.getElementById(l.getAttribute('aria-activedescendant'));
    return option && getComputedStyle(option).boxShadow;
  });
  assert.match(active ?? '', /rgb\(31, 115, 183\)/, 'the active option is outlined in the primary colour');
  await page.keyboard.press('Escape');
  // A call: the touch-tone keypad closed with Escape from one of its keys gives the keyboard to
  // the button that opens it.
  await app.locator('[data-testid=dial-number]').waitFor();
  await dialAndConnect(app, '+15550101000');
  await app.locator('[data-testid=dtmf-toggle]').focus();
  await page.keyboard.press('Enter');
  await app.locator('[data-testid=keypad-key-1]').waitFor();
  for (let i = 0; i < 16 && !/^keypad-key-/.test(await focused(app)); i++) await page.keyboard.press('Shift+Tab');
  assert.match(await focused(app), /^keypad-key-/, 'Shift+Tab reaches the touch tones');
  seen.push(await focusRing(app));
  await page.keyboard.press('Escape');
  await untilFocused(app, 'dtmf-toggle', 'the keypad closed: its button has the keyboard');
  seen.push(await focusRing(app));
  await tabAndCheck(page, app, 3, seen);
  assert.ok(seen.length >= 12, `${seen.length} places checked`);
  const faint = seen.filter((r) => r.contrast < 3);
  assert.deepEqual(faint, [], 'every focus ring is 3:1 or more on white');
  const undrawn = seen.filter((r) => !/^solid [2-9]/.test(r.outline));
  assert.deepEqual(undrawn, [], 'every focused element has an outline a forced-colours system draws');
  await page.close();
});
