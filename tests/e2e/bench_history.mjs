// Benchmark (prints figures; no pass or fail): opening Recent with 200 calls in the agent's
// history. For each of 10 openings of a freshly started adapter (the list not read before):
// the Zendesk requests it costs (from the sandbox's request log), and the time from the
// platform's answer (`GET /platform/calls`, its Resource Timing `responseEnd` in the frame) to
// the frame after the first page's rows (25) are in the page. The reference, measured in the
// same frame of the same run, is the browser alone: the same rows' markup put in the page as
// HTML in one go, to its next frame (what any page showing that list pays at the least).

import { startSandbox, signedInPage, signInIfAsked, adapterFrame } from './support.mjs';

const env = await startSandbox({ storage: true });
const api = (...args) => env.api(...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const lastSeq = async () => Math.max(0, ...(await api('GET', '/_sandbox/requests')).requests.map((r) => r.seq));
const PAGE = 25; // the adapter's page of Recent
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  const { page } = await signedInPage(env);
  await api('POST', '/_sandbox/history', { agent_email: 'ada@sandbox.test', count: 200 });
  const renders = [];
  const blanks = [];
  const requests = [];
  for (let i = 0; i < 10; i++) {
    // A fresh adapter (it resumes its session by itself): nothing of the history is known.
    await page.evaluate(() => window.sandbox.reloadApp());
    await sleep(300);
    const app = await adapterFrame(page);
    await signInIfAsked(app);
    await app.locator('[data-testid=dial-number]').waitFor();
    await sleep(300);
    const seq = await lastSeq();
    await app.evaluate((PAGE) => {
      window.__recent = new Promise((resolve) => {
        const done = () => {
          const rows = document.querySelectorAll('[data-testid=recent-row]').length;
          if (rows < PAGE) return false;
          requestAnimationFrame(() => setTimeout(() => {
            const answer = performance.getEntriesByType('resource')
              .filter((e) => e.name.includes('/platform/calls?'))
              .at(-1);
            resolve(answer ? performance.now() - answer.responseEnd : -1);
          }, 0));
          return true;
        };
        const observer = new MutationObserver(() => { if (done()) observer.disconnect(); });
        observer.observe(document.body, { childList: true, subtree: true });
      });
    }, PAGE);
    await page.keyboard.press('r');
    renders.push(await app.evaluate(() => window.__recent));
    blanks.push(await app.evaluate(() => new Promise((resolve) => {
      const rows = [...document.querySelectorAll('[data-testid=recent-row]')].map((r) => r.outerHTML).join('');
      const t0 = performance.now();
      const list = document.createElement('ul');
      list.innerHTML = rows;
      document.body.append(list);
      requestAnimationFrame(() => setTimeout(() => { resolve(performance.now() - t0); list.remove(); }, 0));
    })));
    await app.locator('[data-testid=recent-who]').first().waitFor();
    await sleep(800);
    const after = (await api('GET', `/_sandbox/requests?after=${seq}`)).requests;
    requests.push(after.map((r) => `${r.method} ${r.path.split('?')[0]}`));
  }
  const counts = requests.map((r) => r.length);
  console.log('\nRecent, 200 calls in the history (10 openings of a fresh adapter):');
  console.log(`  Zendesk requests per opening: ${Math.min(...counts)}–${Math.max(...counts)} (${[...new Set(requests.flat())].join(', ') || 'none'}); budget: one show_many`);
  console.log(`  platform answer -> first page (${PAGE} rows) painted: median ${median(renders).toFixed(1)} ms, max ${Math.max(...renders).toFixed(1)} ms; budget 50 ms`);
  console.log(`  reference, the same rows as plain HTML to their next frame (same frame, same run): median ${median(blanks).toFixed(1)} ms`);
  console.log(`  ratio to the reference: ${(median(renders) / median(blanks)).toFixed(2)}x`);
} finally {
  await env.stop();
}
