// The adapter's start-up weight (issue "Start-up weight"), end to end: neither the phone
// library's metadata nor the session's code (the second module of the split wasm) is part of the
// first screen. Each is fetched from the agent's first key in the sign-in form (or when the page
// resumes a session), so the sign-in waits for neither; a failed or slow fetch is tried again,
// and the session starts once both are there, so nothing the agent types is lost or misread.
//
// Needs `dist/` (trunk build --release) and the sandbox binary (cargo build -p sandbox).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, signedInPage, adapterFrame, dialAndHangUp, retry, deepestStackUse, stackBytes } from './support.mjs';

let env;

before(async () => {
  env = await startSandbox({ storage: true });
});

after(async () => {
  await env?.stop();
});

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const METADATA = '**/phone-metadata.dat';
// The session's code: the second module of the split wasm (scripts/split.mjs).
const SESSION_CODE = '**/session-*.wasm';

/**
 * Counts the frame's fetches of the metadata (or of `file`); the first `failures` fail, and every
 * one asked for less than `failMs` after the first, every one waits `ms`.
 */
async function routeMetadata(page, { failures = 0, failMs = 0, ms = 0 } = {}, file = METADATA) {
  const asked = [];
  await page.route(file, async (route) => {
    asked.push(Date.now());
    const n = asked.length;
    await sleep(ms);
    if (n <= failures || asked.at(-1) - asked[0] < failMs) return route.abort('connectionfailed');
    return route.continue();
  });
  return asked;
}

// What the first screen does not carry, each fetched at sign-in: the banner text of a long wait,
// and a number to dial right after (a call each, so each test's call is its own).
const FETCHED_APART = [
  { what: 'the phone metadata', file: METADATA, waiting: 'Loading the phone number data is taking longer than usual', number: '0100' },
  { what: 'the session code', file: SESSION_CODE, waiting: 'Loading the adapter is taking longer than usual', number: '0101' },
];

async function signIn(app, password = 'sandbox') {
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill(password);
  await app.locator('[data-testid=sign-in-submit]').click();
}

for (const { what, file, number } of FETCHED_APART) {
  test(`${what} is fetched from the agent's first key in the sign-in form, not on the idle sign-in screen; a failing, slow fetch is tried again and the first number typed is read`, async () => {
    const { page, app } = await signedInPage(env, {}, { signIn: false });
    const asked = await routeMetadata(page, { failures: 2, ms: 300 }, file);
    await sleep(700);
    assert.equal(asked.length, 0, `the idle sign-in screen fetched ${what}`);

    // One key in the e-mail field, by the keyboard: the fetch starts while the agent types.
    await app.locator('[data-testid=sign-in-email]').press('a');
    await retry(async () => assert.ok(asked.length >= 1), `the first key fetched ${what}`, env);
    await app.locator('[data-testid=sign-in-email]').press('Backspace');
    // Sign in pressed after the first try failed: the press tries again at once, and that one
    // fails too.
    await retry(async () => assert.ok(Date.now() - asked[0] >= 400), 'the first try failed', env);
    await signIn(app);
    // The third waits 0.5 s after the second failed (300 ms each): the session waits for it.
    await app.locator('[data-testid=dial-number]').waitFor({ timeout: 15_000 });
    assert.equal(asked.length, 3, 'fetched until it succeeded, once more after that: never');
    assert.ok(asked[2] - asked[1] >= 700, `retried after a backoff: ${asked.map((t) => t - asked[0])}`);

    // The first number, typed the moment the dial screen shows, in the agent's national format.
    await dialAndHangUp(app, `(415) 555-${number}`);
    const { calls } = await env.api('GET', '/_sandbox/calls');
    const last = calls.reduce((a, b) => (b.id > a.id ? b : a));
    assert.equal(last.customer_number, `+1415555${number}`);
    assert.equal(asked.length, 3);
  });
}

// A fetch that failed while the agent typed waits longer before each try (0.5 s, doubling): the
// press of Sign in tries it again at once rather than at the end of the wait.
for (const { what, file } of FETCHED_APART) {
  test(`${what}, failing while the agent types, is tried again at the press of Sign in, not at the end of its wait`, async () => {
    const { page, app } = await signedInPage(env, {}, { signIn: false });
    // Four failures: tried at 0, 0.5, 1.5 and 3.5 s; the next try would wait until 7.5 s.
    const asked = await routeMetadata(page, { failures: 4 }, file);
    await app.locator('[data-testid=sign-in-email]').press('a');
    await retry(async () => assert.equal(asked.length, 4), `${what} tried four times`, env, 100);
    await sleep(200);
    await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
    await app.locator('[data-testid=sign-in-password]').fill('sandbox');
    const pressed = Date.now();
    await app.locator('[data-testid=sign-in-submit]').click();
    await app.locator('[data-testid=dial-number]').waitFor({ timeout: 10_000 });
    assert.equal(asked.length, 5, `tried once more, and that one got it: ${asked.map((t) => t - asked[0])}`);
    assert.ok(asked[4] - pressed < 1_500, `tried ${asked[4] - pressed} ms after the press (the wait would have ended ${asked[3] + 4_000 - pressed} ms after it)`);
  });
}

// What the session needs from the platform's journal (the writes a sign-out handed to it, or the
// page's own state when storage is blocked) goes out beside the settings, not after them: the
// settings' answer is held until the journal is asked for, which one after the other would never
// be (then the hold ends after 3 s, and the test fails).
test('at sign-in, the journal is read beside the settings, not after them', async () => {
  const { page, app } = await signedInPage(env, {}, { signIn: false });
  let journalAsked = false;
  const settingsHeld = [];
  await page.route('**/platform/agent/journal', (route) => {
    if (route.request().method() === 'POST') journalAsked = true;
    return route.continue();
  });
  await page.route('**/platform/settings', async (route) => {
    if (route.request().method() !== 'GET') return route.continue();
    const start = Date.now();
    while (!journalAsked && Date.now() - start < 3_000) await sleep(20);
    settingsHeld.push(journalAsked);
    return route.continue();
  });
  await signIn(app);
  await app.locator('[data-testid=dial-number]').waitFor({ timeout: 15_000 });
  assert.equal(settingsHeld[0], true, 'the journal was asked for while the first settings read waited');
});

test('a reloaded page resumes with the metadata fetched once, and reads another country\'s numbers', async () => {
  const { page } = await signedInPage(env);
  const asked = await routeMetadata(page, { ms: 150 });
  const code = await routeMetadata(page, { ms: 150 }, SESSION_CODE);
  await page.evaluate(() => window.sandbox.reloadApp('top_bar'));
  let app;
  // By itself: the sign-in form never shows (the dial screen would not follow).
  await retry(async () => {
    app = await adapterFrame(page);
    await app.locator('[data-testid=dial-number]').waitFor({ timeout: 1_000 });
  }, 'the reloaded frame resumed the session', env);
  assert.equal(asked.length, 1);

  // A UK number from a US agent: the +44 tables are built as it is read.
  await app.locator('[data-testid=dial-number]').fill('+44 20 7946 0018');
  await app.locator('[data-testid=keypad-next]').click();
  await app.locator('[data-testid=call-button]:not([disabled])').waitFor();
  await app.locator('[data-testid=cancel-button]').click();
  assert.equal(asked.length, 1);
  assert.equal(code.length, 1, 'the session code was fetched once');
});

for (const { what, file, waiting } of FETCHED_APART) {
  test(`a refused sign-in shows at once while ${what} cannot be fetched; the next sign-in gets it`, async () => {
    const { page, app } = await signedInPage(env, {}, { signIn: false });
    const asked = await routeMetadata(page, { failures: 1_000 }, file);
    const sent = Date.now();
    await signIn(app, 'wrong');
    await app.locator('[data-testid=error-banner]').waitFor({ timeout: 3_000 });
    assert.ok(Date.now() - sent < 3_000);
    await retry(async () => assert.ok(asked.length >= 1), 'the fetch started with the sign-in', env);

    // The fetch works again: the retry brings it, and the right password signs in.
    await page.unroute(file);
    await signIn(app);
    await app.locator('[data-testid=dial-number]').waitFor({ timeout: 15_000 });
  });

  test(`a session kept waiting by ${what} says so, and starts once it arrives`, async () => {
    const { page, app } = await signedInPage(env, {}, { signIn: false });
    // Every try fails for 4 s (0.5 s between the first tries, doubling).
    const asked = await routeMetadata(page, { failMs: 4_000 }, file);
    await signIn(app);
    await app.locator('[data-testid=error-banner]', { hasText: waiting }).waitFor({ timeout: 5_000 });
    await app.locator('[data-testid=dial-number]').waitFor({ timeout: 15_000 });
    assert.ok(asked.at(-1) - asked[0] >= 4_000, `tried until one got it: ${asked.map((t) => t - asked[0])}`);
    assert.ok(asked.length <= 8, `no storm of tries: ${asked.map((t) => t - asked[0])}`);
    assert.equal(await app.locator('[data-testid=error-banner]').count(), 0, 'the notice went with the wait');
  });
}

// The wasm stack (build.rs: STACK_BYTES) is sized from the deepest use measured; JSON read into a
// tree (an error's body) is the one input whose depth the sender chooses, up to the JSON reader's
// limit of 128 levels. A refusal nested that deep is read, said, and leaves the stack at most half
// used: an overflow would stop the adapter (a trap), and nothing would show.
test('a refusal nested as deep as JSON may be is read and said; the stack keeps half its room', async () => {
  const { page, app } = await signedInPage(env, {}, { signIn: false });
  const frame = await adapterFrame(page);
  // One object and 126 arrays: 127 levels, the deepest the reader takes (a 128th is refused).
  const body = `{"error":"This account is locked.","trace":${'['.repeat(126)}${']'.repeat(126)}}`;
  const refused = [];
  await page.route('**/platform/agent/session', (route) => {
    if (route.request().method() !== 'POST') return route.continue();
    refused.push(route.request().url());
    return route.fulfill({ status: 422, contentType: 'application/json', body });
  });
  await signIn(app);
  await app.locator('[data-testid=error-banner]', { hasText: 'This account is locked.' }).waitFor({ timeout: 5_000 });
  assert.equal(refused.length, 1);
  const used = await deepestStackUse(frame);
  console.log(`wasm stack: deepest use ${used} of ${stackBytes()} bytes, after a refusal 127 levels deep`);
  assert.ok(used > 0 && used <= stackBytes() / 2, `deepest stack use ${used} of ${stackBytes()} bytes`);

  // The adapter goes on: the next sign-in starts the session.
  await page.unroute('**/platform/agent/session');
  await signIn(app);
  await app.locator('[data-testid=dial-number]').waitFor({ timeout: 15_000 });
});

// The allocator (src/allocator.rs) places the first blocks where the static data ends: the free
// end of the pages the wasm starts with holds data. (std's allocator left it zeroed all day and
// grew new pages above it: about 50 KB of every tab in the builds measured.)
test('the heap starts where the static data ends: the first pages are used to their end', async () => {
  const { page } = await signedInPage(env, {}, { signIn: false });
  const frame = await adapterFrame(page);
  const { base, used, free } = await frame.evaluate(async () => {
    const exports = await window.wasmBindings.default();
    const base = exports.__heap_base.value;
    const end = Math.ceil(base / 65536) * 65536;
    const memory = new Uint8Array(exports.memory.buffer);
    let used = 0;
    for (let i = base; i < end; i += 16) if (memory.subarray(i, i + 16).some((b) => b !== 0)) used += 16;
    return { base, used, free: end - base };
  });
  console.log(`heap base ${base}: ${used} of the ${free} bytes from there to its page's end hold data on the sign-in screen`);
  // Some of it: blocks freed or zeroed hold zeros too. (A base on a page's end leaves nothing.)
  if (free > 0) assert.ok(used > 0, `none of the ${free} bytes from the heap's base to its page's end hold data`);
});
