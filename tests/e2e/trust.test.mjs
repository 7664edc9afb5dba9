// Who may frame the adapter and where its password may go ("Trust and failure"), in Chromium:
// - a page that is not Zendesk (by the origin it names, or by what the browser says its real
//   parent is) gets no sign-in form;
// - a platform address that is not https (nor this machine's) is refused before any password;
// - the sign-in form names the platform's host;
// - the page runs under its Content-Security-Policy with no violation through sign-in and a
//   call, and once the platform is known the page can reach nothing else.
//
// Needs `dist/` and the sandbox binary, as adapter.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startSandbox, signedInPage, adapterFrame, CHROMIUM_ARGS, dialAndHangUp } from './support.mjs';

let env;
// Pages on made-up public origins (a Zendesk workspace, a foreign page) framing the sandbox's
// app on this machine: Chromium's local network checks would refuse such frames before the app
// could refuse them itself, so this browser does not make them.
let wide;

before(async () => {
  env = await startSandbox();
  wide = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [...CHROMIUM_ARGS, '--disable-features=LocalNetworkAccessChecks'],
  });
});

after(async () => {
  await wide?.close();
  await env?.stop();
});

/** The app's URL on the sandbox, as the workspace builds it, naming `origin` as its host. */
const appUrl = (origin) => {
  const port = new URL(env.base).port;
  const q = new URLSearchParams({ origin, app_guid: 'trust-guid' });
  return `http://localhost:${port}/app/index.html?${q}`;
};

/**
 * Opens `parent` (a page Playwright serves, at any origin) framing the app, which names `named`
 * as its Zendesk; returns the app's frame once its first screen is painted.
 */
async function framedBy(parent, named, src = appUrl(named)) {
  const page = await wide.newPage();
  page.on('pageerror', (e) => (env.output += `pageerror: ${e.message}\n`));
  await page.route(`${parent}/`, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!doctype html><title>host</title><iframe id="app" src="${src}" width="360" height="510"></iframe>`,
    }));
  await page.goto(`${parent}/`);
  let frame;
  for (let i = 0; i < 100 && !frame; i++) {
    frame = page.frames().find((f) => f.url().includes('/app/index.html'));
    if (!frame) await new Promise((r) => setTimeout(r, 50));
  }
  assert.ok(frame, 'the app frame loads');
  await frame.locator('main').waitFor();
  return { page, frame };
}

/** What the frame shows once it has settled: an error screen, or the sign-in form. */
async function settled(frame) {
  await frame.locator('[role=alert], [data-testid=sign-in-email]').first().waitFor();
  // The sign-in form may show before Zendesk answers; give the checks that follow it a moment.
  await new Promise((r) => setTimeout(r, 500));
  return {
    signIn: await frame.locator('[data-testid=sign-in-email]').count(),
    alert: (await frame.locator('[role=alert]').allInnerTexts()).join(' '),
  };
}

test('a page that is not Zendesk gets no sign-in form, whatever origin it names', async () => {
  const cases = [
    // A foreign page naming itself.
    ['https://evil.example', 'https://evil.example'],
    // A foreign page naming a Zendesk workspace it is not.
    ['https://evil.example', 'https://acme.zendesk.com'],
    // A foreign page naming this machine (allowed by name, refused by the real parent).
    ['https://evil.example', `http://127.0.0.1:${new URL(env.base).port}`],
    // Zendesk over plain http is not Zendesk.
    ['https://evil.example', 'http://acme.zendesk.com'],
  ];
  for (const [parent, named] of cases) {
    const { page, frame } = await framedBy(parent, named);
    const shown = await settled(frame);
    assert.equal(shown.signIn, 0, `${parent} naming ${named}: no sign-in form`);
    assert.match(shown.alert, /not Zendesk/, `${parent} naming ${named}: says why`);
    await page.close();
  }
});

// The SDK talks to the origin it reads from the URL: the query's `origin` (keys decoded, the
// last of two), else the fragment's. A foreign page naming itself to the SDK in a place the
// adapter's check once skipped got the sign-in form, and with it the agent's password.
test('a page that names itself to the Zendesk SDK where the check once did not look gets no sign-in form', async () => {
  const port = new URL(env.base).port;
  const app = `http://localhost:${port}/app/index.html`;
  const evil = encodeURIComponent('https://evil.example');
  for (const src of [
    `${app}?app_guid=trust-guid#origin=${evil}&app_guid=trust-guid`,
    `${app}?%6Frigin=${evil}&app_guid=trust-guid`,
    `${app}?origin=&app_guid=trust-guid#origin=${evil}`,
  ]) {
    const { page, frame } = await framedBy('https://evil.example', 'https://evil.example', src);
    const shown = await settled(frame);
    assert.equal(shown.signIn, 0, `${src}: no sign-in form`);
    assert.match(shown.alert, /not Zendesk/, `${src}: says why`);
    await page.close();
  }
});

test('a Zendesk workspace that frames the adapter gets the sign-in form', async () => {
  const { page, frame } = await framedBy('https://acme.zendesk.com', 'https://acme.zendesk.com');
  await frame.locator('[data-testid=sign-in-email]').waitFor();
  await page.close();
});

test('an http platform address is refused before any password is asked for or sent', async () => {
  const page = await env.browser.newPage();
  const sent = [];
  await page.route('http://cc.example.com/**', (route) => {
    sent.push(route.request().url());
    return route.abort();
  });
  await page.route('**/_sandbox/info', async (route) => {
    const response = await route.fetch();
    const info = await response.json();
    route.fulfill({ response, json: { ...info, platform_url: 'http://cc.example.com/platform' } });
  });
  await page.goto(`${env.base}/`);
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const app = await adapterFrame(page);
  const alert = app.locator('[role=alert]');
  await alert.waitFor();
  assert.match(await alert.innerText(), /not secure \(it must start with https:\/\/\)/);
  assert.equal(await app.locator('[data-testid=sign-in-email]').count(), 0, 'no sign-in form');
  assert.deepEqual(sent, [], 'nothing sent to the http address');
  await page.close();
});

test('the sign-in form names the platform host, and the page keeps to its policy', async () => {
  const { page, app } = await signedInPage(env, {}, { signIn: false });
  await app.locator('[data-testid=sign-in-host]', { hasText: `localhost:${new URL(env.base).port}` }).waitFor();
  // Every violation the frame sees from here on.
  await app.evaluate(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) =>
      window.cspViolations.push(`${e.effectiveDirective} ${e.blockedURI}`));
  });
  const policies = await app.evaluate(() =>
    [...document.querySelectorAll('meta[http-equiv=Content-Security-Policy]')].map((m) => m.content));
  assert.ok(policies.length >= 2, `the page's policy and the platform's connect policy: ${policies}`);
  assert.match(policies[0], /script-src 'self' 'wasm-unsafe-eval' [^;]*'sha256-/);
  assert.doesNotMatch(policies[0], /'unsafe-inline'|'unsafe-eval'/);
  assert.match(policies[0], /object-src 'none'/);

  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await dialAndHangUp(app, '+1 555 010 1000');
  assert.deepEqual(await app.evaluate(() => window.cspViolations), [], 'no violation in a whole call');

  // Anything but the platform is now out of reach, https or not.
  const blocked = await app.evaluate(async () => {
    const refused = await fetch('https://collector.example/steal').then(() => false, () => true);
    await new Promise((r) => setTimeout(r, 100));
    return { refused, violations: window.cspViolations };
  });
  assert.ok(
    blocked.refused && blocked.violations.some((v) => v === 'connect-src https://collector.example/steal'),
    `a request to another https host is refused by the page: ${JSON.stringify(blocked)}`,
  );
  await page.close();
});
