// Benchmarks of the adapter in a browser (prints figures; no pass or fail):
// - cold start: from the host page's navigation start to the adapter's first screen painted inside
//   its iframe, the iframe on another origin (its own renderer process, as in Zendesk), each load
//   in a fresh browser context (empty cache); median of 15, with a blank page in the same frame for
//   reference;
// - memory the frame adds, from the same loads: the JS heap of the frame's renderer after a full
//   garbage collection (asked for over the frame's own protocol session: the frame is out of
//   process) over that of the blank page, plus the app's wasm linear memory; median of the 15
//   loads on the sign-in screen (with the wasm memory as it was when the screen was painted: it
//   grows after), and once on the dial screen after signing in (MB = 10^6 bytes);
// - keypress to painted number: from a key's keydown in the adapter to the frame painted with the
//   number changed; median of 40 keys;
// - sign-in on a slow link: from Sign in pressed to the dial screen painted, the frame's requests
//   throttled once its sign-in screen is painted, the credentials typed at 8 keys a second or put
//   in at once; median of 5 each.
// The host page plays Zendesk's side of the ZAF handshake; the app comes from the sandbox.

import { createServer } from 'node:http';
import { startSandbox, freePort, stackBytes } from './support.mjs';

const LOADS = 15;
const KEYS = 40;
const SLOW_SIGN_INS = 5;
// A slow office link or VPN, for the frame only: 10 Mbit/s each way, 40 ms more per request.
const SLOW_LINK = { offline: false, latency: 40, downloadThroughput: 1.25e6, uploadThroughput: 1.25e6 };

function hostPage(frameSrc, platformUrl) {
  return `<!doctype html><meta charset="utf-8"><title>bench host</title>
<iframe id="app" src="${frameSrc}" width="360" height="510"></iframe>
<script>
  const settings = { platform_url: ${JSON.stringify(platformUrl)} };
  addEventListener('message', (event) => {
    const frame = document.getElementById('app');
    if (event.source !== frame.contentWindow) return;
    let m;
    try { m = typeof event.data === 'string' ? JSON.parse(event.data) : event.data; } catch { return; }
    const reply = (d) => frame.contentWindow.postMessage(JSON.stringify(d), event.origin);
    if (m.key === 'iframe.handshake') {
      reply({ key: 'zaf.app.registered', message: { metadata: { appId: 1, installationId: 1, settings },
        context: { instanceGuid: m.instanceGuid, product: 'support', location: 'top_bar' } } });
    } else if (m.request === 'get') {
      const result = { errors: {} };
      for (const p of m.params) {
        if (p === 'currentUser') result.currentUser = { id: 4300000001, name: 'Ada Agent', locale: 'en-US' };
        else result.errors[p] = { message: 'n/a' };
      }
      reply({ id: m.id, result });
    } else if (m.request) {
      reply({ id: m.id, result: { errors: {} } });
    }
  });
</script>`;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// Runs in the app frame: resolves with the absolute time (ms since epoch) of the first animation
// frame in which `selector` is in the document: that frame's rendering step paints it.
const paintedAt = (selector) => new Promise((resolve) => {
  const check = () => {
    if (document.querySelector(selector)) resolve(performance.timeOrigin + performance.now());
    else requestAnimationFrame(check);
  };
  requestAnimationFrame(check);
});

// Runs in the app frame: the bytes of the app's wasm linear memory, 0 for a page without wasm.
// Trunk's start-up script keeps the wasm-bindgen module as `window.wasmBindings`; its init function
// (the default export) answers the instance already started with its exports, `memory` among them.
const wasmMemoryBytes = async () => {
  const init = window.wasmBindings?.default;
  return init ? (await init()).memory.buffer.byteLength : 0;
};

// Runs in the app frame: where the wasm's heap begins (the linker's `__heap_base`: below it, the
// stack and then the static data), 0 for a page without wasm.
const wasmHeapBase = async () => {
  const init = window.wasmBindings?.default;
  return init ? (await init()).__heap_base.value : 0;
};

// What `frame` (an out-of-process frame of `page`) holds once settled: its renderer's JS heap in use
// after full garbage collections, and its wasm linear memory, in bytes. The JS heap counts the
// renderer's own objects too (`embedder`: the document's nodes, its styles and layout, the style
// sheets), beside the script's (`heap - embedder`: the JS glue, the wasm instances' tables,
// strings, closures).
async function frameMemory(page, frame, settleMs) {
  await new Promise((r) => setTimeout(r, settleMs));
  const cdp = await page.context().newCDPSession(frame);
  // Twice: what the first collection finalises (weak references, closures of dropped listeners)
  // is freed by the second.
  await cdp.send('HeapProfiler.collectGarbage');
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize, embedderHeapUsedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return { heap: usedSize, embedder: embedderHeapUsedSize, wasm: await frame.evaluate(wasmMemoryBytes) };
}

const SETTLE_MS = 500;
const mb = (bytes) => (bytes / 1e6).toFixed(2);

const env = await startSandbox();
try {
  const appPort = new URL(env.base).port;
  const hostPort = await freePort();
  const host = `http://127.0.0.1:${hostPort}`;
  const query = new URLSearchParams({ origin: host, app_guid: 'bench-guid' });
  const appSrc = `http://localhost:${appPort}/app/index.html?${query}`;
  // The blank page comes from this server too, on `localhost` (a site other than the host
  // page's, so its own renderer process, as the app's). No test-tool route serves anything: a
  // route holds every request of the page in the test process, the app's files included.
  const blankSrc = `http://localhost:${hostPort}/blank-frame`;
  const server = createServer((req, res) => {
    if (req.url === '/blank-frame') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p id="blank">blank</p>');
      return;
    }
    const src = req.url.startsWith('/blank') ? blankSrc : appSrc;
    res.writeHead(200, { 'content-type': 'text/html' }).end(hostPage(src, `${env.base}/platform`));
  });
  const isFrame = (f) => f.url().startsWith(`http://localhost:${appPort}/`) || f.url() === blankSrc;
  await new Promise((r) => server.listen(hostPort, '127.0.0.1', r));

  async function coldLoad(path, selector) {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host}${path}`, { waitUntil: 'commit' });
    const hostOrigin = await page.evaluate(() => performance.timeOrigin);
    let frame;
    while (!(frame = page.frames().find(isFrame))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    const at = await frame.evaluate(paintedAt, selector);
    // After the time is taken: the memory of the same load, the wasm's as painted, then settled.
    const wasmAtPaint = await frame.evaluate(wasmMemoryBytes);
    const memory = { ...(await frameMemory(page, frame, SETTLE_MS)), wasmAtPaint };
    await context.close();
    return { ms: at - hostOrigin, memory };
  }

  const blankLoads = [];
  const adapterLoads = [];
  for (let i = 0; i < LOADS; i++) {
    blankLoads.push(await coldLoad('/blank', '#blank'));
    adapterLoads.push(await coldLoad('/', '[data-testid=sign-in-email]'));
  }
  const blank = blankLoads.map((l) => l.ms);
  const adapter = adapterLoads.map((l) => l.ms);
  console.log(`cold start, blank page in the frame: median ${median(blank).toFixed(0)} ms (${LOADS} cold loads)`);
  console.log(`cold start to the adapter's first screen (sign-in) painted: median ${median(adapter).toFixed(0)} ms (${LOADS} cold loads; min ${Math.min(...adapter).toFixed(0)}, max ${Math.max(...adapter).toFixed(0)})`);
  console.log(`cold start, ratio of the adapter to the blank page (same run): ${(median(adapter) / median(blank)).toFixed(2)}x; the app's own share (adapter minus blank): ${(median(adapter) - median(blank)).toFixed(0)} ms`);
  const blankHeap = median(blankLoads.map((l) => l.memory.heap));
  const blankEmbedder = median(blankLoads.map((l) => l.memory.embedder));
  // The frame's memory over the blank page's: the JS heap it adds (the document's part of it
  // named), and its wasm memory.
  const added = ({ heap, embedder, wasm }) =>
    `${mb(heap - blankHeap + wasm)} MB (JS heap ${mb(heap - blankHeap)} MB, of which the document's nodes, styles and layout ${mb(embedder - blankEmbedder)} MB and the scripts' objects ${mb(heap - embedder - (blankHeap - blankEmbedder))} MB; + wasm ${mb(wasm)} MB)`;
  const signIn = {
    heap: median(adapterLoads.map((l) => l.memory.heap)),
    embedder: median(adapterLoads.map((l) => l.memory.embedder)),
    wasm: median(adapterLoads.map((l) => l.memory.wasm)),
  };
  const wasmAtPaint = median(adapterLoads.map((l) => l.memory.wasmAtPaint));

  // A fresh context's host page, its frame's sign-in screen painted.
  async function signInScreen() {
    const context = await env.browser.newContext();
    const page = await context.newPage();
    await page.goto(`${host}/`);
    let frame;
    while (!(frame = page.frames().find((f) => f.url().startsWith(`http://localhost:${appPort}/`)))) {
      await new Promise((r) => setTimeout(r, 5));
    }
    await frame.evaluate(paintedAt, '[data-testid=sign-in-email]');
    return { context, page, frame };
  }

  // Keypress to painted number, on the signed-in dial screen.
  const { context, page, frame } = await signInScreen();
  // Signed in by the page's own events, not the test tool's locators: those load the tool's
  // script (about 1 MB of JS heap) into the frame, and it would be counted as the adapter's.
  await frame.evaluate(() => {
    const type = (id, value) => {
      const input = document.querySelector(`[data-testid=${id}]`);
      input.value = value;
      input.dispatchEvent(new Event('input', { bubbles: true }));
    };
    type('sign-in-email', 'ada@sandbox.test');
    type('sign-in-password', 'sandbox');
    document.querySelector('[data-testid=sign-in-submit]').click();
  });
  await frame.evaluate(paintedAt, '[data-testid=dial-number]');
  // Five samples, each field's median: the renderer's own part is at times reported with what it
  // has not swept yet (the total stays, the split moves by up to 0.3 MB in one sample of four).
  const samples = [];
  for (let i = 0; i < 5; i++) samples.push(await frameMemory(page, frame, i === 0 ? 2 * SETTLE_MS : 200));
  const dial = Object.fromEntries(['heap', 'embedder', 'wasm'].map((k) => [k, median(samples.map((m) => m[k]))]));
  console.log(`memory the frame adds after GC: sign-in ${added(signIn)}, median of ${LOADS} loads (the wasm memory was ${mb(wasmAtPaint)} MB as the screen was painted); dial screen after signing in ${added(dial)} (median of 5 samples); blank page's JS heap ${mb(blankHeap)} MB, ${mb(blankEmbedder)} MB of it the document's (the baseline)`);
  // The wasm memory by part: the stack (build.rs), the static data of both modules, and the heap
  // up to the memory's end (what the allocator has taken, in 64 KiB pages; memory never shrinks).
  const heapBase = await frame.evaluate(wasmHeapBase);
  const stack = stackBytes();
  console.log(`wasm memory on the dial screen by part: stack ${mb(stack)} MB, static data ${mb(heapBase - stack)} MB, heap ${mb(dial.wasm - heapBase)} MB (the phone library's tables and metadata are most of it: README, "Start-up weight")`);
  await frame.evaluate(() => {
    window.__keyTimes = [];
    const input = document.querySelector('[data-testid=dial-number]');
    addEventListener('keydown', (e) => {
      const start = performance.now();
      const before = input.value;
      const wait = () => {
        if (input.value !== before) {
          // This frame's rendering step paints the new number.
          window.__keyTimes.push(performance.now() - start);
        } else if (performance.now() - start < 1000) {
          requestAnimationFrame(wait);
        }
      };
      requestAnimationFrame(wait);
    }, { capture: true });
  });
  await frame.locator('[data-testid=dial-number]').focus();
  for (let i = 0; i < KEYS; i++) {
    await page.keyboard.press(String(i % 10));
    if (i % 10 === 9) await page.keyboard.press('Escape');
    await new Promise((r) => setTimeout(r, 30));
  }
  await new Promise((r) => setTimeout(r, 200));
  const keys = await frame.evaluate(() => window.__keyTimes);
  console.log(`keypress to painted number: median ${median(keys).toFixed(1)} ms over ${keys.length} keys (max ${Math.max(...keys).toFixed(1)}; the first on the dial screen, a second after signing in: ${keys[0].toFixed(1)} ms; one display frame is 16.7 ms)`);
  await context.close();

  // Sign-in on a slow link: the frame's requests throttled once its sign-in screen is painted.
  // Typed at 8 keys a second, the session's code and the phone metadata come while the agent
  // types (from the first key); put in at once (a password manager's fill, or the adapter before
  // the first key started them), they come after the press, as the platform answers.
  const slowSignIns = { typed: [], atOnce: [] };
  let slowBytes = 0;
  for (let i = 0; i < SLOW_SIGN_INS; i++) {
    for (const how of ['typed', 'atOnce']) {
      await env.api('POST', '/_sandbox/reset', { fixture: 'default' });
      const { context, page, frame } = await signInScreen();
      const cdp = await page.context().newCDPSession(frame);
      await cdp.send('Network.enable');
      await cdp.send('Network.emulateNetworkConditions', SLOW_LINK);
      let bytes = 0;
      cdp.on('Network.loadingFinished', (e) => { bytes += e.encodedDataLength; });
      const pressedAt = await frame.evaluate(async ({ typed, keyMs }) => {
        const put = async (id, value) => {
          const input = document.querySelector(`[data-testid=${id}]`);
          for (const part of typed ? [...value].map((_, i) => value.slice(0, i + 1)) : [value]) {
            input.value = part;
            input.dispatchEvent(new Event('input', { bubbles: true }));
            if (typed) await new Promise((r) => setTimeout(r, keyMs));
          }
        };
        await put('sign-in-email', 'ada@sandbox.test');
        await put('sign-in-password', 'sandbox');
        document.querySelector('[data-testid=sign-in-submit]').click();
        return performance.timeOrigin + performance.now();
      }, { typed: how === 'typed', keyMs: 125 });
      const at = await frame.evaluate(paintedAt, '[data-testid=dial-number]');
      slowSignIns[how].push(at - pressedAt);
      if (how === 'typed') slowBytes = Math.max(slowBytes, bytes);
      await cdp.detach();
      await context.close();
    }
  }
  console.log(`sign-in on a slow link (${SLOW_LINK.downloadThroughput * 8 / 1e6} Mbit/s each way, ${SLOW_LINK.latency} ms added to each request; ${(slowBytes / 1e6).toFixed(2)} MB over it, the sandbox serving files uncompressed): Sign in pressed to the dial screen painted, median of ${SLOW_SIGN_INS}: ${median(slowSignIns.typed).toFixed(0)} ms with the credentials typed at 8 keys a second (the session's code and the phone metadata fetched from the first key), ${median(slowSignIns.atOnce).toFixed(0)} ms with them put in at once (fetched from the press)`);
  server.close();
} finally {
  await env.stop();
}
