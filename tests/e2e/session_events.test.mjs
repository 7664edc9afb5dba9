// Session events of a call ("Every session event reaches Zendesk", first part): a customer's
// rating (UPD-14), a SmartAction that completed or failed (UPD-10, UPD-11) and an API direct
// access point's answer (UPD-16) reach the call's ticket, each exactly once, written by the
// adapter that logs the call. Judged only through Zendesk's REST API on the sandbox.
//
// Needs `dist/` and the sandbox binary, as adapter.test.mjs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startSandbox, signedInPage, signInIfAsked, dialAndConnect, retry } from './support.mjs';

let env;

before(async () => {
  env = await startSandbox({ storage: true });
});

after(async () => {
  await env?.stop();
});

const api = (...args) => env.api(...args);
const eventually = (check, what) => retry(check, what, env);
const emit = (event) => api('POST', '/_sandbox/events', { type: 'emit', event });

test('a rating, a SmartAction\'s outcome and an API response reach the call\'s ticket, each once', async () => {
  const { app } = await signedInPage(env, {}, { signIn: false });
  // UPD-16 posts API responses only when the Developer Settings say how (read at sign-in).
  await api('PUT', '/_sandbox/settings', { developer: { api_response_comment: 'key_value' } });
  await signInIfAsked(app);
  await dialAndConnect(app, '+1 555 010 1000');
  const call = (await api('GET', '/_sandbox/state')).platform_calls.at(-1);

  // At once, while the call's ticket may still be on its way; the rating twice (a repeat).
  const rating = { type: 'csat.rated', call_id: call.id, event_id: 1, score: 4 };
  await emit(rating);
  await emit({ type: 'smart_action.completed', call_id: call.id, event_id: 2, action: 'Verify identity',
    results: [['verified', 'yes']], files: ['https://files.example/id.png'] });
  await emit({ type: 'smart_action.failed', call_id: call.id, event_id: 3, action: 'Take payment', error: 'card declined' });
  await emit({ type: 'api.response', call_id: call.id, event_id: 4, source: 'orders', data: { order: { id: 7, state: 'shipped' } } });
  await emit(rating);
  // Another agent's call: not this adapter's to write.
  await emit({ type: 'csat.rated', call_id: 999_999, event_id: 9, score: 1 });
  await app.locator('[data-testid=hangup-button]').click();

  const commentsOf = async () => {
    const s = await api('GET', '/_sandbox/state');
    const t = s.tickets.find((x) => x.comments.some((c) => (c.body ?? '').includes(`Call ID: ${call.id}`)));
    assert.ok(t, 'the call is logged');
    const page = await api('GET', `/api/v2/tickets/${t.id}/comments.json`);
    return page.comments.map((c) => c.body ?? '');
  };
  const count = (bodies, re) => bodies.filter((b) => re.test(b)).length;
  await eventually(async () => {
    const bodies = await commentsOf();
    assert.equal(count(bodies, /^Call finished/), 1, 'the end of the call');
    assert.equal(count(bodies, /^Customer satisfaction rating\nScore: 4\/5$/), 1, 'the rating, once');
    const done = bodies.filter((b) => /^Smart Action completed: Verify identity/.test(b));
    assert.equal(done.length, 1, 'the SmartAction\'s results');
    assert.match(done[0], /verified: yes/);
    assert.match(done[0], /Files: https:\/\/files\.example\/id\.png/);
    assert.equal(count(bodies, /^Smart Action failed: Take payment\nError: card declined$/), 1, 'the failure');
    const answer = bodies.filter((b) => /^API response: orders/.test(b));
    assert.equal(answer.length, 1, 'the API response');
    assert.match(answer[0], /shipped/);
  }, 'the session events on the call\'s ticket');
  await new Promise((r) => setTimeout(r, 1_500));
  const bodies = await commentsOf();
  assert.equal(count(bodies, /^Customer satisfaction rating/), 1, 'still once');
  const all = (await api('GET', '/_sandbox/state')).tickets.flatMap((t) => t.comments.map((c) => c.body ?? ''));
  assert.equal(count(all, /^Customer satisfaction rating\nScore: 1\/5/), 0, 'nothing for another agent\'s call');
});
