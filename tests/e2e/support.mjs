// Shared by the end-to-end tests and benchmarks: starts the sandbox with the release build, opens
// its workspace in headless Chromium, signs the adapter in.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = fileURLToPath(new URL('../../', import.meta.url));
const sandboxBin = process.env.SANDBOX_BIN ?? join(root, 'target/debug/sandbox');
/**
 * Zendesk's CDN is unreachable here; the sandbox serves the npm build of the SDK instead. Its
 * hosts fail at once (a name not found) rather than waiting for a network this
 * machine does not have. This is done by the browser, not by a test-tool route: a route makes the
 * test tool hold every request of the page until the test process lets it go, which added 5-10 ms
 * to each ZAF request the workspace forwarded while the adapter was busy (measured in
 * `bench_lookup.mjs`).
 */
const NO_CDN = '--host-resolver-rules=MAP static.zdassets.com ~NOTFOUND, MAP assets.zendesk.com ~NOTFOUND';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  // The adapter speaks the browser's language until Zendesk says the agent's: English here,
  // whatever the machine's locale (a test of another language sets its context's own).
  '--lang=en-US', NO_CDN];

/**
 * Playwright starts Chromium with ThirdPartyStoragePartitioning disabled, and its contexts are
 * off the record: the app's frame (another origin than the workspace, as in Zendesk) is then
 * refused localStorage. A default desktop Chrome gives such frames partitioned storage; Chromium
 * takes the last --disable-features switch, so these arguments restore that default. Tests of
 * what survives a reload use them (`startSandbox({ storage: true })`).
 */
export const STORAGE_ARGS = [...CHROMIUM_ARGS, `--disable-features=${[
  'AvoidUnnecessaryBeforeUnloadCheckSync', 'DestroyProfileOnBrowserClose', 'HttpsUpgrades',
  'HttpsFirstBalancedModeAutoEnable', 'LensOverlay', 'MediaRouter', 'PaintHolding',
  'AvoidCorsURLLoaderRestartOnRedirect', 'OptimizationHints', 'NetworkTimeServiceQuerying',
  'AimEnabled', 'PreconnectToSearch',
].join(',')}`];

/** `Authorization` for the sandbox's API token (`zendesk::API_TOKEN`), acting as the default CRM user. */
export const API_TOKEN_AUTH = `Basic ${Buffer.from('ada@sandbox.test/token:sandbox-api-token').toString('base64')}`;

export async function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Zendesk's search index lag for this run, ms: `searchLagMs`, else `SANDBOX_SEARCH_LAG_MS`, else 0
 * (the fast tests see an index that is instant; the fault suite turns a lag on).
 */
const defaultSearchLag = () => Number(process.env.SANDBOX_SEARCH_LAG_MS ?? 0);

/**
 * How long the platform takes to route a new event stream, ms (events sent meanwhile reach no
 * one): `streamReadyMs`, else `SANDBOX_STREAM_READY_MS`, else 150, as the sandbox binary does.
 * Every test meets a platform that is not instant; those that need a longer delay name one with
 * a fault on `/platform/agent/events/ready`.
 */
const defaultStreamReady = () => Number(process.env.SANDBOX_STREAM_READY_MS ?? 150);

/** Starts the sandbox on a free port and a browser; `stop()` ends both. */
export async function startSandbox({ storage = false, searchLagMs = defaultSearchLag(), jobDelayMs = 0, streamReadyMs = defaultStreamReady() } = {}) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const queue = join(mkdtempSync(join(tmpdir(), 'e2e-')), 'queue.json');
  const env = { base, output: '' };
  env.process = spawn(
    sandboxBin,
    ['--port', String(port), '--app-dir', join(root, 'dist'), '--queue-file', queue,
      '--zaf-sdk', join(root, 'target/js/zaf_sdk.js'),
      '--search-lag-ms', String(searchLagMs), '--job-delay-ms', String(jobDelayMs),
      '--stream-ready-ms', String(streamReadyMs)],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  env.process.stdout.on('data', (d) => (env.output += d));
  env.process.stderr.on('data', (d) => (env.output += d));
  env.api = async (method, path, body) => {
    const headers = body ? { 'content-type': 'application/json' } : {};
    // Zendesk's API needs credentials: the account's API token, as the default CRM user.
    if (path.startsWith('/api/v2')) headers.authorization = API_TOKEN_AUTH;
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  };
  for (let i = 0; ; i++) {
    try {
      await env.api('GET', '/_sandbox/state');
      break;
    } catch (e) {
      if (i > 100) throw new Error(`the sandbox did not start: ${e.message}\n${env.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  env.browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: storage ? STORAGE_ARGS : CHROMIUM_ARGS });
  env.stop = async () => {
    if (process.env.STACK_PROBE && env.browser) await printStackUse(env.browser);
    await env.browser?.close();
    env.process?.kill();
  };
  return env;
}

/** The release wasm's stack size in bytes, as build.rs sets it (the linker's 1 MiB when unset). */
export function stackBytes() {
  const m = /STACK_BYTES: u32 = (\d+) \* 1024;/.exec(readFileSync(join(root, 'build.rs'), 'utf8'));
  return m ? Number(m[1]) * 1024 : 1024 * 1024;
}

/**
 * The deepest the app frame's wasm stack has been, in bytes; null for a frame without the app.
 * The stack is the first `stackBytes()` of the wasm's memory and grows down from its top; memory
 * starts zeroed, so the lowest byte ever written is the lowest non-zero one.
 */
export async function deepestStackUse(frame) {
  return frame.evaluate(async (top) => {
    const init = window.wasmBindings?.default;
    if (!init) return null;
    const memory = new Uint8Array((await init()).memory.buffer, 0, top);
    let i = 0;
    while (i < top && memory[i] === 0) i++;
    return top - i;
  }, stackBytes()).catch(() => null);
}

// With STACK_PROBE=1: each live app frame's deepest stack use, printed before the browser closes.
async function printStackUse(browser) {
  const top = stackBytes();
  for (const context of browser.contexts()) {
    for (const page of context.pages()) {
      for (const frame of page.frames()) {
        if (!frame.url().includes('/app/')) continue;
        const used = await deepestStackUse(frame);
        if (used != null) console.log(`stack probe: ${frame.url().split('?')[0]}: deepest use ${used} of ${top} bytes`);
      }
    }
  }
}

/** Settings on top of the fixture's: the §0.2 defaults unless `operation` says otherwise. */
export async function settings(env, operation = {}) {
  await env.api('PUT', '/_sandbox/settings', {
    auto_answer_ms: 300,
    operation: {
      do_not_append: false,
      prompt_select_open_ticket: false,
      allow_create_new_ticket: false,
      allow_do_not_create_ticket: false,
      allow_use_entered_number: false,
      team_ticket_entry: false,
      ...operation,
    },
  });
}

/** The adapter's top-bar frame in `page`. */
export async function adapterFrame(page) {
  for (let i = 0; i < 100; i++) {
    const frame = page.frames().find((f) => f.url().includes('/app/index.html'));
    if (frame) return frame;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('no top-bar frame');
}

/**
 * A fresh fixture and workspace page; the adapter opened from its top-bar icon (AGENT-1) and,
 * unless `signIn` is false, signed in as `email`.
 */
export async function signedInPage(env, operation = {}, { email = 'ada@sandbox.test', signIn = true } = {}) {
  // The last test's page goes first: open, its adapter would go on reading and writing in the
  // fresh world (the same agent, and ticket and call ids that start again from the same numbers).
  await env.page?.close();
  env.page = undefined;
  await env.api('POST', '/_sandbox/reset', { fixture: 'default' });
  await settings(env, operation);
  const page = await env.browser.newPage({ viewport: { width: 1200, height: 760 } });
  env.page = page;
  page.on('pageerror', (e) => (env.output += `pageerror: ${e.message}\n`));
  await page.goto(`${env.base}/`);
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const app = await adapterFrame(page);
  await app.locator('[data-testid=sign-in-email]').waitFor();
  if (signIn) await signInWith(app, email);
  return { page, app };
}

/** Fills the sign-in form as `email` (the fixture's password), submits, waits for the dial screen. */
export async function signInWith(app, email = 'ada@sandbox.test') {
  await app.locator('[data-testid=sign-in-email]').fill(email);
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();
}

/**
 * [`signedInPage`] for an agent whose Zendesk language is `locale`: the workspace and the
 * adapter read it when they start, so the page is started again before the sign-in.
 */
export async function signedInPageIn(env, locale, email = 'ada@sandbox.test') {
  const { page } = await signedInPage(env, {}, { signIn: false });
  const { agents } = await env.api('GET', '/_sandbox/info');
  const agent = agents.find((a) => a.email === email);
  await env.api('PUT', `/api/v2/users/${agent.zendesk_user_id}.json`, { user: { locale } });
  await page.reload();
  await page.evaluate(() => window.sandbox.ready);
  await page.locator('[data-testid=app-icon]').click();
  const app = await adapterFrame(page);
  await signInWith(app, email);
  return { page, app };
}

/**
 * After a reload: the adapter signs in again by itself with the tab's resume credential (the
 * dial or call screen shows, or the chat the agent was in); where it cannot (no credential,
 * storage blocked), the sign-in form shows and is filled in as `email`.
 */
export async function signInIfAsked(app, email = 'ada@sandbox.test') {
  const shown = app.locator('[data-testid=sign-in-email], [data-testid=dial-number], [data-testid=call-status], [data-testid=chat-input]');
  await shown.first().waitFor();
  if (await app.locator('[data-testid=sign-in-email]').count()) {
    await app.locator('[data-testid=sign-in-email]').fill(email);
    await app.locator('[data-testid=sign-in-password]').fill('sandbox');
    await app.locator('[data-testid=sign-in-submit]').click();
  }
}

/**
 * Types `number` on the dial screen, Next, and Call once it is enabled; returns once the customer
 * has answered.
 */
export async function dialAndConnect(app, number) {
  await app.locator('[data-testid=dial-number]').fill(number);
  await app.locator('[data-testid=keypad-next]').click();
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  await app.locator('[data-testid=call-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Connected' }).waitFor();
}

/**
 * [`dialAndConnect`], then hangs up: the whole call as an agent makes it by hand.
 */
export async function dialAndHangUp(app, number) {
  await dialAndConnect(app, number);
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
}

/**
 * Retries `check` every 100 ms, about 10 s in all, and returns its result; then fails with the
 * last error and the end of the sandbox's output.
 */
export async function retry(check, what, env, tries = 100) {
  let last;
  for (let i = 0; i < tries; i++) {
    try {
      return await check();
    } catch (e) {
      last = e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${what}: ${last?.message}\n${env.output.slice(-2000)}`);
}

/*
 * The agent's own path through the emulated workspace: open a ticket or a user from the lists,
 * then use the ticket's Call menu or a phone link on the profile, as an agent clicks them. Zendesk
 * then fires `voice.dialout` to the adapter itself (tests/sandbox/static/host.js), with what the
 * real workspace sends: the requester and the ticket from the Call menu, the user from a profile.
 */

/** Opens ticket `id` from the workspace's ticket list. */
export async function openTicketPage(page, id) {
  await page.locator('[data-testid=nav-tickets]').click();
  await page.locator(`[data-testid=ticket-row-${id}] a[href="#/tickets/${id}"]`).click();
  await page.locator('[data-testid=ticket-subject]', { hasText: `#${id} ` }).waitFor();
}

/** Opens user `id`'s profile from the workspace's user list. */
export async function openUserPage(page, id) {
  await page.locator('[data-testid=nav-users]').click();
  await page.locator(`[data-testid=user-row-${id}] a[href="#/users/${id}"]`).click();
  await page.locator('[data-testid=user-phones], [data-testid=view] p.muted').first().waitFor();
}

/**
 * The ticket's Call menu: `entry` is the index of one of the requester's numbers ("Call +1…"),
 * or 'new' for "Enter new number".
 */
export async function callFromTicketMenu(page, ticketId, entry = 0) {
  await openTicketPage(page, ticketId);
  await page.locator('[data-testid=ticket-call-button]').click();
  const item = entry === 'new' ? 'call-menu-new-number' : `call-menu-number-${entry}`;
  await page.locator(`[data-testid=${item}]`).click();
}

/** Click-to-call: the phone number at `index` on user `userId`'s profile. */
export async function callFromProfile(page, userId, index = 0) {
  await openUserPage(page, userId);
  await page.locator(`[data-testid=user-phone-${index}]`).click();
}

/**
 * Platform settings changed while the agent is signed in, as the Portal saves them: `patch` is
 * deep-merged (`{operation?, developer?, auto_answer_ms?, teams?}`). Resolves with the settings now
 * in force.
 */
export async function changeSettings(env, patch) {
  return env.api('PUT', '/_sandbox/settings', patch);
}

/**
 * The Zendesk reads the dial screen waits for: the user search by phone, a user, their
 * identities and requested tickets, and the general search. (A fault matches by path only, so
 * latency here also delays a write on the same path; ticket creation and updates are elsewhere.)
 */
export const DIAL_READS = ['/api/v2/users/search', '/api/v2/users/', '/api/v2/search'];

/**
 * Latency on Zendesk reads: every request under one of `prefixes` waits `ms` before its answer,
 * until `clearFaults`. Resolves with every fault now in force.
 */
export async function slowReads(env, ms, prefixes = DIAL_READS) {
  return env.api('POST', '/_sandbox/faults', prefixes.map((path_prefix) => ({ path_prefix, latency_ms: ms })));
}

/** Removes every injected fault (latency, statuses). */
export async function clearFaults(env) {
  return env.api('DELETE', '/_sandbox/faults');
}

/**
 * The adapter's event stream is routed: the catch-up read of the voicemails, which the adapter
 * makes once the platform routes its stream, has answered (the frame's resource timing). Runs
 * in the app frame.
 */
const caughtUp = () => performance.getEntriesByType('resource')
  .some((e) => new URL(e.name).pathname.endsWith('/platform/voicemails'));

/** True once the adapter's event stream is routed (see `caughtUp`). */
export async function streamRouted(app) {
  return app.evaluate(caughtUp);
}

/** Waits until the adapter's event stream is routed (see `caughtUp`). */
export async function untilStreamRouted(app, timeout = 8_000) {
  await app.waitForFunction(caughtUp, null, { timeout });
}

/**
 * Every comment body of ticket `id`, from the sandbox's state. Not through Zendesk's API: tests
 * poll this, and API requests spend the account's rate budget (700 a minute) that the adapter's
 * writes need (a test polling the API every 100 ms held a write back behind a 429).
 */
export async function commentBodies(env, id) {
  const ticket = (await env.api('GET', '/_sandbox/state')).tickets.find((t) => t.id === id);
  return (ticket?.comments ?? []).map((c) => c.body ?? '');
}
