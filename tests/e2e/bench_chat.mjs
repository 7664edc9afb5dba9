// Benchmark (prints figures; no pass or fail): a chat's messages in the adapter.
//
// 1. From a customer's message arriving in the frame (the platform's `chat.message` on the event
//    stream, its `message` event on the WebSocket, seen before the adapter's own listener) to the
//    message in the page, and to the frame after it (requestAnimationFrame, then a task: the
//    frame that paints it). 100 messages, one at a time, median, 90th percentile and largest.
//    The reference, in the same frame of the same run, is the browser alone: one list item put in
//    a plain list, to its next frame (the least any page pays to show a message).
// 2. A chat of 500 messages scrolled from top to bottom, one step of 60 px a frame: the frames
//    that took longer than 25 ms (a dropped frame at 60 Hz), the longest, and the long tasks;
//    the reference scrolls the same 500 messages' markup copied into a plain list, in the same
//    frame.

import { startSandbox, signedInPage, adapterFrame } from './support.mjs';

const env = await startSandbox({ storage: true });
const api = (...args) => env.api(...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const MESSAGES = 100;
const LONG_CHAT = 500;

try {
  const { app } = await signedInPage(env, {}, { signIn: false });
  // Before sign-in opens the event stream: the frame notes when each chat message arrives.
  await app.evaluate(() => {
    const Real = window.WebSocket;
    window.__arrived = new Map();
    window.__shown = new Map();
    window.__painted = new Map();
    function Watched(url, protocols) {
      const ws = protocols === undefined ? new Real(url) : new Real(url, protocols);
      ws.addEventListener('message', (e) => {
        if (typeof e.data !== 'string' || !e.data.includes('"chat.message"')) return;
        const at = performance.now();
        const id = JSON.parse(e.data).message?.id;
        if (id !== undefined) window.__arrived.set(String(id), at);
      });
      return ws;
    }
    Watched.prototype = Real.prototype;
    for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Watched[k] = Real[k];
    window.WebSocket = Watched;
    new MutationObserver((records) => {
      const now = performance.now();
      for (const r of records) {
        for (const n of r.addedNodes) {
          const id = n.nodeType === 1 && n.matches?.('[data-testid=chat-message]') ? n.dataset.id : null;
          if (!id || window.__shown.has(id)) continue;
          window.__shown.set(id, now);
          requestAnimationFrame(() => setTimeout(() => window.__painted.set(id, performance.now()), 0));
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  });
  await app.locator('[data-testid=sign-in-email]').fill('ada@sandbox.test');
  await app.locator('[data-testid=sign-in-password]').fill('sandbox');
  await app.locator('[data-testid=sign-in-submit]').click();
  await app.locator('[data-testid=dial-number]').waitFor();

  const { chat_id: id } = await api('POST', '/_sandbox/chats', { platform: 'web', name: 'Bench Customer', email: 'bench@chat.test', menu: 'Support', text: 'hello' });
  await app.locator('[data-testid=chat-accept]').click();
  await app.locator('[data-testid=chat-input]').waitFor();
  await sleep(500);

  const toPage = [];
  const toFrame = [];
  for (let i = 0; i < MESSAGES; i++) {
    const { message } = await api('POST', `/_sandbox/chats/${id}/messages`, { text: `Message ${i}: where is my order? https://example.test/o/${i}` });
    const key = String(message.id);
    let got = null;
    for (let k = 0; k < 200 && !got; k++) {
      got = await app.evaluate((key) => {
        const [a, s, p] = [window.__arrived.get(key), window.__shown.get(key), window.__painted.get(key)];
        return a !== undefined && s !== undefined && p !== undefined ? [s - a, p - a] : null;
      }, key);
      if (!got) await sleep(10);
    }
    if (!got) throw new Error(`message ${key} not shown\n${env.output.slice(-2000)}`);
    toPage.push(got[0]);
    toFrame.push(got[1]);
    await sleep(30);
  }
  const reference = await app.evaluate((n) => new Promise((resolve) => {
    const list = document.createElement('ol');
    document.body.append(list);
    const out = [];
    const one = () => {
      const t0 = performance.now();
      const li = document.createElement('li');
      li.textContent = `Message ${out.length}: where is my order?`;
      list.append(li);
      requestAnimationFrame(() => setTimeout(() => {
        out.push(performance.now() - t0);
        if (out.length < n) setTimeout(one, 30);
        else { list.remove(); resolve(out); }
      }, 0));
    };
    one();
  }), MESSAGES);

  // A long chat: 500 messages in all, then scrolled.
  const have = await app.locator('[data-testid=chat-message]').count();
  for (let i = have; i < LONG_CHAT; i++) await api('POST', `/_sandbox/chats/${id}/messages`, { text: `Line ${i} of a long conversation, with a link https://example.test/${i}` });
  await app.locator(`[data-testid=chat-message] >> nth=${LONG_CHAT - 1}`).waitFor();
  await sleep(500);
  const scroll = (selector) => app.evaluate((selector) => new Promise((resolve) => {
    const box = document.querySelector(selector);
    box.scrollTop = 0;
    const long = [];
    const observer = new PerformanceObserver((list) => long.push(...list.getEntries().map((e) => e.duration)));
    try { observer.observe({ type: 'longtask' }); } catch { /* not supported */ }
    const stamps = [];
    const step = (t) => {
      stamps.push(t);
      if (box.scrollTop + box.clientHeight >= box.scrollHeight - 1 || stamps.length > 2000) {
        observer.disconnect();
        const gaps = stamps.slice(1).map((s, i) => s - stamps[i]);
        resolve({ frames: gaps.length, slow: gaps.filter((g) => g > 25).length, longest: Math.max(...gaps), long: long.length, height: box.scrollHeight });
        return;
      }
      box.scrollTop += 60;
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  }), selector);
  const adapterScroll = await scroll('[data-testid=chat-log]');
  await app.evaluate(() => {
    const box = document.createElement('div');
    box.id = 'bench-reference';
    const log = document.querySelector('[data-testid=chat-log]');
    box.style.cssText = `position:fixed;inset:0;overflow-y:auto;background:#fff;height:${log.clientHeight}px`;
    box.innerHTML = log.innerHTML;
    document.body.append(box);
  });
  const referenceScroll = await scroll('#bench-reference');

  const f = (x) => x.toFixed(1);
  console.log(`\nChat: a customer's message, from its arrival in the frame (${MESSAGES} messages, one at a time):`);
  console.log(`  to the page:        median ${f(pct(toPage, 0.5))} ms, p90 ${f(pct(toPage, 0.9))} ms, largest ${f(Math.max(...toPage))} ms`);
  console.log(`  to its frame:       median ${f(pct(toFrame, 0.5))} ms, p90 ${f(pct(toFrame, 0.9))} ms, largest ${f(Math.max(...toFrame))} ms (target: median under 16 ms)`);
  console.log(`  reference, one list item in a plain list to its frame (same frame, same run): median ${f(pct(reference, 0.5))} ms`);
  console.log(`  ratio to the reference: ${(pct(toFrame, 0.5) / pct(reference, 0.5)).toFixed(2)}x`);
  const line = (r) => `${r.frames} frames over ${r.height} px, ${r.slow} longer than 25 ms, longest ${f(r.longest)} ms, ${r.long} long task(s)`;
  console.log(`Chat of ${LONG_CHAT} messages scrolled top to bottom, 60 px a frame:`);
  console.log(`  adapter:   ${line(adapterScroll)}`);
  console.log(`  reference: ${line(referenceScroll)} (the same markup in a plain scrolling box)`);
} finally {
  await env.stop();
}
