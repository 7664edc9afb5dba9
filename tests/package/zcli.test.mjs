// The packaged app served by Zendesk's own `zcli apps:server`, and the adapter booting from it in
// headless Chromium. Run after scripts/package.sh: `node --test tests/package/zcli.test.mjs`.
//
// A host page on another origin (127.0.0.1, as Zendesk's own page is another origin) iframes the
// top-bar URL from zcli's /app.json with ?origin=...&app_guid=..., answers the ZAF handshake, and
// waits for the sign-in screen. A second test serves the same files with the wasm as
// application/octet-stream, as a host that does not know the type may, and the adapter must boot.
// Last, the sandbox started with `--zcli` frames the app from zcli's URLs in its emulated
// workspace, and the adapter signs in to the sandbox's platform from there.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../../', import.meta.url));
const appDir = process.env.PACKAGE_DIR ?? join(root, 'target/package/zendesk-app');
const zcliBin = join(root, 'node_modules/@zendesk/zcli/bin/run');
const sandboxBin = process.env.SANDBOX_BIN ?? join(root, 'target/debug/sandbox');
const ZAF_CDN = 'https://static.zdassets.com/zendesk_app_framework_sdk/2.0/zaf_sdk.min.js';
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const BOOT_TIMEOUT_MS = 20_000;

let zcli;
let zcliOutput = '';
let zcliHome;
let zcliBase;
let browser;
const servers = [];

/** A free TCP port on the loopback interface. */
async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts an HTTP server on 127.0.0.1 with `handler`; resolves with its origin. */
async function serve(handler) {
  const server = createServer(handler);
  servers.push(server);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

/**
 * GET `url` every 200 ms until it answers 200, `child` (zcli unless told) exits, or the deadline
 * passes.
 */
async function waitForOk(url, deadlineMs, child = zcli, output = () => zcliOutput) {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    if (child.exitCode !== null) {
      throw new Error(`${child.spawnargs.join(' ')} exited with ${child.exitCode}:\n${output()}`);
    }
    try {
      const response = await fetch(url);
      if (response.ok) return response;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`no answer from ${url}; the server said:\n${output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The host page: iframes `src` and answers the ZAF handshake and RPCs as Zendesk would. */
function hostPage(src, settings) {
  return `<!doctype html>
<meta charset="utf-8">
<title>package host</title>
<iframe id="app" src="${src}" width="360" height="510"></iframe>
<script>
  const settings = ${JSON.stringify(settings)};
  addEventListener('message', (event) => {
    const frame = document.getElementById('app');
    if (event.source !== frame.contentWindow) return;
    let message;
    try { message = typeof event.data === 'string' ? JSON.parse(event.data) : event.data; } catch { return; }
    const reply = (data) => frame.contentWindow.postMessage(JSON.stringify(data), event.origin);
    if (message.key === 'iframe.handshake') {
      reply({ key: 'zaf.app.registered', message: {
        metadata: { appId: 1, installationId: 1, settings },
        context: { instanceGuid: message.instanceGuid, product: 'support', account: { subdomain: 'sandbox' }, location: 'top_bar' },
      } });
    } else if (message.request === 'get') {
      const result = { errors: {} };
      for (const path of message.params) {
        if (path === 'currentUser') result.currentUser = { id: 1, name: 'Package Agent', locale: 'en-US' };
        else result.errors[path] = { message: 'not available in the package test' };
      }
      reply({ id: message.id, result });
    } else if (message.request) {
      reply({ id: message.id, result: { errors: {} } });
    }
  });
</script>`;
}

/**
 * Serves the host page on its own origin, opens it, and waits for the sign-in screen inside the app
 * frame. `frameUrl(origin)` is the app URL for a host at `origin` (ZAF reads it from the query).
 */
async function boots(frameUrl, settings) {
  let page = '';
  const host = await serve((req, res) =>
    req.url === '/host.html'
      ? res.writeHead(200, { 'Content-Type': 'text/html' }).end(page)
      : res.writeHead(404).end(),
  );
  const query = new URLSearchParams({ origin: host, app_guid: 'package-test-guid' });
  const src = `${frameUrl}?${query}`;
  page = hostPage(src, settings);
  const tab = await browser.newPage();
  const log = [];
  tab.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
  tab.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
  tab.on('requestfailed', (r) => log.push(`failed: ${r.url()} ${r.failure()?.errorText}`));
  // The page loads the ZAF SDK from Zendesk's CDN, unreachable here: serve the npm build that
  // scripts/setup.sh bundles, as the sandbox does.
  await tab.route(ZAF_CDN, (route) =>
    route.fulfill({ path: join(root, 'target/js/zaf_sdk.js'), contentType: 'text/javascript' }),
  );
  try {
    await tab.goto(`${host}/host.html`);
    // Booted: connected to its host through ZAF, read the agent and the platform URL, and asks
    // the agent to sign in to the platform.
    await tab
      .frameLocator('#app')
      .locator('[data-testid=sign-in-email]')
      .waitFor({ timeout: BOOT_TIMEOUT_MS });
  } catch (error) {
    const shown = await tab
      .frameLocator('#app')
      .locator('body')
      .innerText({ timeout: 1_000 })
      .catch(() => '(nothing)');
    throw new Error(
      `the adapter did not boot from ${src}: ${error.message}\nthe frame shows: ${shown}\n${log.join('\n')}`,
    );
  } finally {
    await tab.close();
  }
}

before(async () => {
  if (!existsSync(join(appDir, 'manifest.json')) || !existsSync(join(appDir, 'assets/index.html'))) {
    throw new Error(`${appDir} holds no packaged app: run scripts/package.sh first`);
  }
  // zcli keeps caches (and may try to install keytar) under $HOME: give it a throwaway one, so
  // the test leaves nothing behind and whatever it fails to install there is only noise.
  zcliHome = mkdtempSync(join(tmpdir(), 'zcli-home-'));
  const port = await freePort();
  zcli = spawn(process.execPath, [zcliBin, 'apps:server', appDir, '--port', String(port)], {
    env: { ...process.env, HOME: zcliHome, XDG_DATA_HOME: join(zcliHome, 'data'), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  zcli.stdout.on('data', (d) => (zcliOutput += d));
  zcli.stderr.on('data', (d) => (zcliOutput += d));
  zcliBase = `http://localhost:${port}`;
  await waitForOk(`${zcliBase}/app.json`, 30_000);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
});

after(async () => {
  await browser?.close();
  for (const server of servers) server.close();
  if (zcli && zcli.exitCode === null) {
    const exited = new Promise((resolve) => zcli.once('exit', resolve));
    zcli.kill('SIGTERM');
    await exited;
  }
  if (zcliHome) rmSync(zcliHome, { recursive: true, force: true });
});

/** zcli's /app.json: the first app and its installation. */
async function appJson() {
  const body = await (await fetch(`${zcliBase}/app.json`)).json();
  assert.equal(body.apps.length, 1, 'zcli serves one app');
  return { app: body.apps[0], installation: body.installations[0] };
}

/** Installation settings as one object (zcli sends an array of one-key objects). */
const settingsOf = (installation) => Object.assign({}, ...installation.settings);

test('zcli apps:server serves the package: app.json names the locations and the settings', async () => {
  const { app, installation } = await appJson();
  const manifest = JSON.parse(readFileSync(join(appDir, 'manifest.json'), 'utf8'));
  assert.equal(app.version, manifest.version);
  assert.equal(app.framework_version, '2.0');
  assert.equal(app.default_locale, 'en');
  assert.match(app.asset_url_prefix, /^http:\/\/localhost:\d+\/\w+\/assets\/$/);
  const { top_bar: topBar, background } = app.locations.support;
  assert.deepEqual(topBar.size, { width: '360px', height: '510px' });
  assert.equal(topBar.url, 'assets/index.html');
  assert.equal(topBar.svg, 'icon_top_bar.svg', 'zcli found the top-bar icon');
  assert.equal(background.url, 'assets/background.html');
  const settings = settingsOf(installation);
  assert.ok(settings.platform_url, 'zcli.apps.config.json gives platform_url, so zcli did not prompt');
  for (const location of [topBar, background]) {
    const file = location.url.replace(/^assets\//, '');
    const response = await fetch(app.asset_url_prefix + file);
    assert.equal(response.status, 200, `${app.asset_url_prefix}${file}`);
  }
});

test('the adapter boots in headless Chromium from the top-bar URL zcli serves', async () => {
  const { app, installation } = await appJson();
  const topBar = app.locations.support.top_bar.url.replace(/^assets\//, '');
  await boots(`${app.asset_url_prefix}${topBar}`, settingsOf(installation));
});

test('the adapter boots when the wasm is not served as application/wasm', async () => {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };
  const assets = join(appDir, 'assets');
  const plain = await serve((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^\/+/, '');
    const file = join(assets, path);
    if (!file.startsWith(assets) || !existsSync(file)) return res.writeHead(404).end();
    const type = types[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type }).end(readFileSync(file));
  });
  const wasm = readFileSync(join(assets, 'index.html'), 'utf8').match(/'\.\/([^']+\.wasm)'/)?.[1];
  assert.ok(wasm, 'index.html names a wasm file');
  const type = (await fetch(`${plain}/${wasm}`)).headers.get('content-type');
  assert.equal(type, 'application/octet-stream');
  await boots(`${plain}/index.html`, { platform_url: 'http://127.0.0.1:9/platform' });
});

test('the sandbox workspace frames the app from zcli (--zcli) and the adapter signs in', async () => {
  if (!existsSync(sandboxBin)) throw new Error(`${sandboxBin} missing: cargo build -p sandbox`);
  const { app } = await appJson();
  const scratch = mkdtempSync(join(tmpdir(), 'sandbox-zcli-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let output = '';
  const sandbox = spawn(
    sandboxBin,
    ['--zcli', zcliBase, '--app-dir', scratch, '--port', String(port),
      '--queue-file', join(scratch, 'crm-queue.json')],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const exited = new Promise((resolve) => sandbox.once('exit', resolve));
  sandbox.stdout.on('data', (d) => (output += d));
  sandbox.stderr.on('data', (d) => (output += d));
  const log = [];
  const tab = await browser.newPage({ viewport: { width: 1200, height: 760 } });
  try {
    await waitForOk(`${base}/_sandbox/info`, 15_000, sandbox, () => output);
    const described = await (await fetch(`${base}/_sandbox/zcli`)).json();
    assert.equal(described.asset_url_prefix, app.asset_url_prefix);
    tab.on('pageerror', (e) => log.push(`pageerror: ${e.message}`));
    tab.on('console', (m) => log.push(`${m.type()}: ${m.text()}`));
    // zcli serves the page unchanged, with the SDK on Zendesk's CDN: the browser routes it to
    // the npm build, as a person without Internet access would.
    await tab.route(ZAF_CDN, (route) =>
      route.fulfill({ path: join(root, 'target/js/zaf_sdk.js'), contentType: 'text/javascript' }),
    );
    await tab.goto(`${base}/`);
    await tab.evaluate(() => window.sandbox.ready);
    await tab.locator('[data-testid=app-icon]').click();
    const topBar = `${app.asset_url_prefix}${app.locations.support.top_bar.url.replace(/^assets\//, '')}`;
    let frame;
    for (let i = 0; i < 100 && !frame; i++) {
      frame = tab.frames().find((f) => f.url().startsWith(topBar));
      if (!frame) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(frame, `a frame on ${topBar}; frames: ${tab.frames().map((f) => f.url()).join(', ')}`);
    const query = new URL(frame.url()).searchParams;
    assert.equal(query.get('origin'), base, 'the ZAF origin parameter names the workspace');
    assert.ok(query.get('app_guid'), 'the ZAF app_guid parameter');
    await frame.locator('[data-testid=sign-in-email]').waitFor({ timeout: BOOT_TIMEOUT_MS });
    await frame.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
    await frame.locator('[data-testid=sign-in-password]').fill('sandbox');
    await frame.locator('[data-testid=sign-in-submit]').click();
    // Signed in to the sandbox's /platform: the platform_url the workspace gave in place of zcli's.
    await frame.locator('[data-testid=dial-number]').waitFor({ timeout: BOOT_TIMEOUT_MS });
    const fromZcli = tab.frames().filter((f) => f.url().startsWith(app.asset_url_prefix));
    assert.equal(fromZcli.length, 2, 'the top bar and the background location, both from zcli');
  } catch (error) {
    error.message += `\nsandbox said:\n${output}\n${log.join('\n')}`;
    throw error;
  } finally {
    await tab.close();
    sandbox.kill('SIGTERM');
    await exited;
    rmSync(scratch, { recursive: true, force: true });
  }
});
