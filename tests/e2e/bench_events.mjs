// Benchmark (prints figures; no pass or fail): the Zendesk requests each session event costs, as
// the adapter writes it in the sandbox (a real call placed through the adapter's UI, each event
// sent by the platform while the call is connected; the late recording after its end), and a
// rating written by the platform itself after the agent signed out. Counted from the sandbox's
// request log: reads and writes to `/api/v2` between the event and its comment on the ticket.
// Each event is written on its own (not folded into the end-of-call update): most arrive after
// the end, and holding one back for the end would lose it if the page closed meanwhile.

import { startSandbox, signedInPage, signInIfAsked, dialAndConnect, settings } from './support.mjs';

const env = await startSandbox({ storage: true });
const api = (...args) => env.api(...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const session = (callId, event) => api('POST', '/_sandbox/events', { type: 'session', call_id: callId, event });

/** The largest request sequence number so far. */
const lastSeq = async () => Math.max(0, ...(await api('GET', '/_sandbox/requests')).requests.map((r) => r.seq));

/** The comments of ticket `id`, from the sandbox's state (not through `/api/v2`, which is counted). */
const commentCount = async (id) => (await api('GET', '/_sandbox/state')).tickets.find((t) => t.id === id)?.comments.length ?? 0;

async function until(check, what, ms = 15_000) {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > end) throw new Error(`${what}\n${env.output.slice(-2000)}`);
    await sleep(50);
  }
}

/** Sends `event` and counts the requests until the ticket has one more comment (and 500 ms more). */
async function cost(callId, ticketId, event, source) {
  const before = await commentCount(ticketId);
  const seq = await lastSeq();
  await session(callId, event);
  await until(async () => (await commentCount(ticketId)) > before, `${event.type}: written`);
  await sleep(500);
  const after = (await api('GET', `/_sandbox/requests?after=${seq}`)).requests
    .filter((r) => r.path.startsWith('/api/v2/') && r.source === source);
  const reads = after.filter((r) => r.method === 'GET').length;
  return { event: event.type, by: source === 'app' ? 'adapter' : 'platform', reads, writes: after.length - reads };
}

const rows = [];
try {
  const { app } = await signedInPage(env, {}, { signIn: false });
  await settings(env);
  const { ticket_field: tier } = await api('POST', '/api/v2/ticket_fields.json', { ticket_field: { type: 'text', title: 'Loyalty tier' } });
  await api('PUT', '/_sandbox/settings', { developer: { api_response_comment: 'key_value', field_mapping: [{ key: 'tier', field: String(tier.id) }] } });
  await signInIfAsked(app);
  await app.locator('[data-testid=dial-number]').waitFor();
  await dialAndConnect(app, '+1 555 010 1000');
  const call = (await api('GET', '/_sandbox/state')).platform_calls.at(-1);
  let ticket = null;
  await until(async () => (ticket = (await api('GET', '/_sandbox/state')).platform_calls.find((c) => c.id === call.id).ticket_id), 'the ticket reported');
  let id = 100;
  for (const event of [
    { type: 'csat.rated', score: 5 },
    { type: 'smart_action.completed', action: 'Verify identity', results: [['verified', 'yes']], files: [] },
    { type: 'smart_action.failed', action: 'Take payment', error: 'card declined' },
    { type: 'api.response', source: 'orders', data: { order: 7, state: 'shipped' } },
    { type: 'session.custom_data', data: { tier: 'gold', pet: 'cat' } },
  ]) rows.push(await cost(call.id, ticket, { ...event, event_id: ++id }, 'app'));
  await app.locator('[data-testid=hangup-button]').click();
  await app.locator('[data-testid=call-status]', { hasText: 'Call ended' }).waitFor();
  await until(async () => (await api('GET', '/_sandbox/state')).tickets.find((t) => t.id === ticket)
    .comments.some((c) => /^Call finished/.test(c.body ?? '')), 'the end');
  await sleep(500);
  rows.push(await cost(call.id, ticket, { type: 'call.recording_ready', event_id: ++id, recording_url: `https://recordings.example/${call.id}-late.mp3` }, 'app'));
  await app.locator('[data-testid=new-call-button]').click();
  await app.locator('[data-testid=sign-out-button]').click();
  await app.locator('[data-testid=sign-in-email]').waitFor();
  rows.push(await cost(call.id, ticket, { type: 'csat.rated', event_id: ++id, score: 3 }, 'platform'));
  console.log('\nZendesk requests per session event (one call, the event while connected; late recording after the end):');
  console.log('event                    written by  reads  writes');
  for (const r of rows) console.log(`${r.event.padEnd(24)} ${r.by.padEnd(11)} ${String(r.reads).padStart(5)}  ${String(r.writes).padStart(6)}`);
} finally {
  await env.stop();
}
