// The sandbox's agent workspace: plays the host side of the ZAF protocol (reference/zendesk.md §2)
// for the app's top_bar and background locations, and renders users and tickets from the
// sandbox's state. Data from the server is always rendered as text (textContent), never as HTML.
// The app runs on another origin (http://localhost:PORT) than this page (http://127.0.0.1:PORT).
// With `sandbox --zcli URL`, the app frames come from `zcli apps:server` instead (GET /_sandbox/zcli:
// its locations and installation settings, from zcli's /app.json).
'use strict';

(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, props = {}, ...children) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') e.textContent = v;
      else if (k === 'on') for (const [evt, fn] of Object.entries(v)) e.addEventListener(evt, fn);
      else if (k === 'class') e.className = v;
      else if (k.startsWith('data') || k === 'href' || k === 'type' || k === 'title' || k === 'placeholder' || k === 'value')
        e.setAttribute(k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()), v);
      else e[k] = v;
    }
    for (const c of children.flat()) if (c != null) e.append(c.nodeType ? c : document.createTextNode(String(c)));
    return e;
  };
  const json = async (url, opts = {}) => {
    const r = await fetch(url, { headers: { 'content-type': 'application/json' }, ...opts });
    const body = await r.json().catch(() => null);
    if (!r.ok) throw new Error((body && body.error) || `${r.status}`);
    return body;
  };

  let info = null; // GET /_sandbox/info
  let zcli = null; // GET /_sandbox/zcli: null, or the app zcli serves
  let state = null; // GET /_sandbox/state, refreshed
  const frames = new Map(); // guid -> {guid, location, iframe, origin, subs:Set, registered}
  const invokes = []; // every invoke received, in order
  const notifications = [];
  let currentAgent = null; // Zendesk user id of the agent "signed in" to the workspace

  // ---------- app frames ----------
  const appUrl = (locationName, guid) => {
    const zaf = `origin=${encodeURIComponent(location.origin)}&app_guid=${encodeURIComponent(guid)}`;
    if (zcli) {
      const url = zcli.locations[locationName];
      return `${url}${url.includes('?') ? '&' : '?'}${zaf}`;
    }
    const file = locationName === 'background' ? 'background.html' : 'index.html';
    return `${info.app_origin}/app/${file}?${zaf}`;
  };
  const appOrigin = () => (zcli ? zcli.origin : info.app_origin);
  // The settings in app.registered: zcli's installation settings, but platform_url always this
  // sandbox's platform (zcli's value is whatever zcli.apps.config.json or its prompt gave).
  const appSettings = () =>
    zcli
      ? Object.assign({}, zcli.settings, { platform_url: info.platform_url })
      : { title: 'Agent adapter', platform_url: info.platform_url };

  function createFrame(locationName) {
    const guid = `${info.app_guid}-${locationName}`;
    if (frames.has(guid)) return frames.get(guid);
    const iframe = el('iframe', { title: `app ${locationName}`, dataTestid: `app-frame-${locationName}` });
    iframe.name = `app_${locationName}`;
    iframe.setAttribute('allow', 'microphone; autoplay; clipboard-write');
    const f = { guid, location: locationName, iframe, origin: appOrigin(), subs: new Set(), registered: false };
    frames.set(guid, f);
    iframe.src = appUrl(locationName, guid);
    if (locationName === 'top_bar') {
      const pop = $('popover');
      pop.style.width = '360px';
      pop.style.height = '510px';
      pop.append(iframe);
    } else {
      $('frames-hidden').append(iframe);
    }
    return f;
  }
  const topBar = () => frames.get(`${info.app_guid}-top_bar`);

  function send(f, msg) {
    f.iframe.contentWindow && f.iframe.contentWindow.postMessage(JSON.stringify(msg), f.origin);
  }
  function fire(f, evt, payload) {
    if (!f.subs.has(evt)) return false;
    send(f, { key: 'zaf.' + evt, message: payload });
    return true;
  }
  function fireAll(evt, payload) {
    let n = 0;
    for (const f of frames.values()) if (fire(f, evt, payload)) n++;
    return n;
  }

  // ---------- popover ----------
  function popover(action) {
    const pop = $('popover');
    let f = topBar();
    if (action && typeof action === 'object') {
      if (action.width) pop.style.width = px(action.width);
      if (action.height && action.height !== 'auto') pop.style.height = px(action.height);
      return;
    }
    const show = action === 'hide' ? false : action === 'toggle' ? pop.hidden : true;
    if (show && !f) f = createFrame('top_bar');
    const was = !pop.hidden;
    pop.hidden = !show;
    $('app-icon').classList.toggle('active', show);
    if (f && f.registered && show !== was) {
      // Said only while still so (the pane may have been hidden again meanwhile).
      const tell = () => show === !pop.hidden && fire(f, show ? 'pane.activated' : 'pane.deactivated', {});
      if (show) renderAgain(f, tell);
      else tell();
    }
  }
  const px = (v) => (typeof v === 'number' ? `${v}px` : String(v));

  function toast(message, kind = 'notice', options) {
    const sticky = options && typeof options === 'object' && options.sticky;
    const ms = typeof options === 'number' ? options : 5000;
    // As HTML, as Zendesk's own notifications show it (apps put markup in it); recorded as the
    // agent reads it, with what the app sent beside.
    const t = el('div', { class: `toast ${kind}`, dataTestid: 'toast' });
    t.innerHTML = String(message);
    notifications.push({ message: t.textContent, sent: String(message), kind, options: options ?? null });
    $('toasts').append(t);
    if (!sticky) setTimeout(() => t.remove(), ms);
    else t.addEventListener('click', () => t.remove());
  }

  // ---------- ZAF host: RPC ----------
  function userJson(id) {
    const u = state && state.users.find((x) => x.id === id);
    if (!u) return null;
    return { id: u.id, name: u.name, email: u.email, locale: u.locale, role: u.role, timeZone: { ianaName: 'Etc/UTC' } };
  }
  function getPath(f, path) {
    if (path === 'currentUser') return userJson(currentAgent);
    if (path === 'currentAccount') return { subdomain: 'sandbox', planName: 'enterprise' };
    if (path === 'instances') {
      // As in Zendesk, every installed location has an instance, rendered yet or not: the
      // background location finds the top bar here before its pane exists, to preload it.
      const out = {};
      for (const loc of ['top_bar', 'background']) {
        const guid = `${info.app_guid}-${loc}`;
        out[guid] = { location: loc, instanceGuid: guid, product: 'support' };
      }
      for (const x of frames.values()) out[x.guid] = { location: x.location, instanceGuid: x.guid, product: 'support' };
      return out;
    }
    if (path.startsWith('instances.')) {
      const x = frames.get(path.slice('instances.'.length));
      return x ? { location: x.location, instanceGuid: x.guid, product: 'support' } : undefined;
    }
    if (path.startsWith('currentUser.')) {
      const u = userJson(currentAgent);
      return u ? u[path.slice('currentUser.'.length)] : undefined;
    }
    return undefined;
  }
  function rpc(f, m) {
    const result = { errors: {} };
    if (m.request === 'get') {
      for (const p of [].concat(m.params || [])) {
        const v = getPath(f, p);
        if (v === undefined) result.errors[p] = { message: `"${p}" is not available in the sandbox`, path: p };
        else result[p] = v;
      }
      return result;
    }
    if (m.request === 'set') {
      Object.assign(result, m.params || {});
      return result;
    }
    // invoke: {name: [args]}; a child client (instance(guid)) targets another instance.
    const target = (m.instanceGuid && frames.get(m.instanceGuid)) || f;
    for (const [name, args] of Object.entries(m.params || {})) {
      const list = Array.isArray(args) ? args : [args];
      if (name === 'track') continue;
      invokes.push({ name, args: list, from: f.location, to: target.location, at: Date.now() });
      switch (name) {
        case 'popover':
          popover(list[0]);
          break;
        case 'resize':
          if (target.location === 'top_bar') popover(list[0] || {});
          break;
        case 'preloadPane':
          if (!topBar()) createFrame('top_bar');
          break;
        case 'notify':
          toast(list[0], list[1] || 'notice', list[2]);
          break;
        case 'routeTo':
          routeTo(list[0], list[1]);
          break;
        default:
          result.errors[name] = { message: `${name} is not emulated` };
      }
      result[name] = null;
    }
    return result;
  }

  // ---------- Zendesk agent session ----------
  // The agent signed in to the workspace: the sandbox answers with its session cookie, which the
  // request() proxy's same-origin `/api/v2` calls then carry (as Zendesk's own agent session).
  async function signInAgent(zendeskUserId) {
    await json('/_sandbox/zendesk_session', { method: 'POST', body: JSON.stringify({ user_id: zendeskUserId }) });
    currentAgent = zendeskUserId;
  }

  // Another agent takes the workspace. In Zendesk that is a sign-in, and a new page: every app
  // starts again and reads its new agent. Here the app frames that started (the background
  // location, and the top bar it may have preloaded) start again, or they would go on as the
  // agent before them (a ticket "assigned" to the new agent with the id of the one before).
  async function switchAgent(zendeskUserId) {
    if (zendeskUserId === currentAgent) return;
    await signInAgent(zendeskUserId);
    for (const f of frames.values()) restart(f);
  }

  // An app frame's document started again in place (the sandbox's stand-in for Zendesk's new
  // page, or a reload). Chromium may leave a cross-origin frame that navigated inside the hidden
  // popover unrendered once the popover shows: its layout stays 0×0 in a 358×508 viewport, and
  // nothing in it can be seen or clicked, until the frame is hidden and shown again (6 of 100
  // agent switches on a loaded machine, each followed at once by the icon's click). So once
  // such a document is there and the popover shows, its frame is hidden for two display frames
  // and shown again: what the agent's second click on the icon would do, without the pane's
  // events (the app sees the pane shown once).
  function restart(f) {
    f.subs.clear();
    f.registered = false;
    f.startedHidden = f.location === 'top_bar' && $('popover').hidden;
    f.iframe.src = appUrl(f.location, f.guid);
  }
  // `then` once the frame shows (the pane's event: the app's focus lands in a frame that shows).
  function renderAgain(f, then) {
    if (!f.startedHidden) return then();
    f.startedHidden = false;
    f.iframe.style.display = 'none';
    requestAnimationFrame(() => requestAnimationFrame(() => {
      f.iframe.style.display = '';
      then();
    }));
  }

  // ---------- ZAF host: request() proxy ----------
  async function proxy(opts) {
    if (typeof opts === 'string') opts = { url: opts };
    const url = new URL(opts.url, location.origin);
    const headers = Object.assign({}, opts.headers || {});
    if (opts.contentType) headers['content-type'] = opts.contentType === true ? 'application/x-www-form-urlencoded' : opts.contentType;
    // Same-origin `/api/v2` calls carry the agent's Zendesk session cookie (see signInAgent).
    const method = (opts.type || opts.method || 'GET').toUpperCase();
    let body;
    if (opts.data != null && method !== 'GET') body = typeof opts.data === 'string' ? opts.data : JSON.stringify(opts.data);
    for (let attempt = 0; ; attempt++) {
      let r;
      try {
        r = await fetch(url, { method, headers, body });
      } catch (e) {
        return { ok: false, value: { status: 0, statusText: 'error', responseText: String(e), responseJSON: undefined, headers: {} } };
      }
      // Zendesk's framework retries rate-limited calls itself unless autoRetry is false.
      if (r.status === 429 && opts.autoRetry !== false && attempt < 3) {
        const wait = Number(r.headers.get('retry-after') || '1');
        await new Promise((res) => setTimeout(res, Math.min(wait, 60) * 1000));
        continue;
      }
      const text = await r.text();
      let parsed;
      try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
      const hdrs = {};
      r.headers.forEach((v, k) => { hdrs[k] = v; });
      const full = { responseJSON: parsed, responseText: text, status: r.status, headers: hdrs };
      if (r.ok) return { ok: true, value: opts.httpCompleteResponse ? full : parsed !== undefined ? parsed : text };
      return { ok: false, value: Object.assign({ statusText: r.statusText }, full) };
    }
  }

  // ---------- ZAF host: message pump ----------
  window.addEventListener('message', (ev) => {
    const f = [...frames.values()].find((x) => x.iframe.contentWindow === ev.source);
    if (!f || ev.origin !== f.origin) return;
    let m = ev.data;
    if (typeof m === 'string') {
      try { m = JSON.parse(m); } catch { return; }
    }
    if (!m || typeof m !== 'object') return;
    if (m.key === 'iframe.handshake') {
      f.registered = true;
      send(f, {
        key: 'zaf.app.registered',
        message: {
          metadata: {
            appId: 1, installationId: 2,
            name: (zcli && zcli.name) || 'Agent adapter for Zendesk', version: (zcli && zcli.version) || '1.4.0',
            settings: appSettings(),
            plan: { name: 'sandbox' },
          },
          context: { instanceGuid: f.guid, product: 'support', account: { subdomain: 'sandbox' }, location: f.location },
        },
      });
      // A pane displayed as its app loads gets no pane.activated: Zendesk fires it only when the
      // agent returns to a pane already opened (its app.registered is the first display's word).
      if (f.location === 'top_bar' && !$('popover').hidden) renderAgain(f, () => {});
      return;
    }
    if (m.request) {
      // A host slow to answer (`sandbox.getDelayMs`): Zendesk's own page busy loading.
      const answer = () => send(f, { id: m.id, result: rpc(f, m) });
      if (m.request === 'get' && sandbox.getDelayMs > 0) setTimeout(answer, sandbox.getDelayMs);
      else answer();
      return;
    }
    const key = String(m.key || '');
    if (key.startsWith('iframe.on:')) f.subs.add(key.slice('iframe.on:'.length));
    else if (key.startsWith('iframe.off:')) {
      if (!m.message || !m.message.subscriberCount) f.subs.delete(key.slice('iframe.off:'.length));
    } else if (key.startsWith('iframe.trigger:')) {
      const evt = key.slice('iframe.trigger:'.length);
      for (const x of frames.values()) if (x !== f) fire(x, evt, m.message);
    } else if (/^request:\d+$/.test(key)) {
      proxy(m.message || {}).then((r) =>
        send(f, { key: `zaf.${key}.${r.ok ? 'done' : 'fail'}`, message: { responseArgs: [r.value] } }));
    }
  });

  // ---------- views ----------
  const view = () => $('view');
  const userName = (id) => (state.users.find((u) => u.id === id) || { name: `#${id}` }).name;
  const phonesOf = (u) => {
    const out = [];
    if (u.phone) out.push(u.phone);
    for (const i of u.identities || []) if (i.type === 'phone_number' && !out.includes(i.value)) out.push(i.value);
    return out;
  };
  const statusBadge = (s) => el('span', { class: `badge status-${s}`, text: s });

  function routeTo(kind, id) {
    if (kind === 'ticket' && id === 'new') location.hash = '#/tickets';
    else if (kind === 'ticket') location.hash = `#/tickets/${id}`;
    else if (kind === 'user') location.hash = `#/users/${id}`;
    else if (kind === 'nav_bar' || kind === 'organization') location.hash = '#/users';
  }

  function dialoutFrom(payload) {
    sandbox.dialout(payload).then((n) => { if (!n) toast('No app frame listens to voice.dialout', 'alert'); });
  }

  function usersView() {
    const rows = state.users.map((u) =>
      el('tr', { dataTestid: `user-row-${u.id}` },
        el('td', {}, el('a', { href: `#/users/${u.id}`, text: u.name })),
        el('td', { class: 'phone', text: phonesOf(u).join(', ') }),
        el('td', { text: u.role }),
        el('td', { text: String(state.tickets.filter((t) => t.requester_id === u.id && ['new', 'open', 'pending', 'hold'].includes(t.status)).length) })));
    return [el('h2', { text: 'Users' }),
      el('table', {}, el('tr', {}, el('th', { text: 'Name' }), el('th', { text: 'Phone' }), el('th', { text: 'Role' }), el('th', { text: 'Open tickets' })), rows)];
  }

  function ticketsView() {
    const rows = [...state.tickets].reverse().map((t) =>
      el('tr', { dataTestid: `ticket-row-${t.id}` },
        el('td', { text: `#${t.id}` }),
        el('td', {}, el('a', { href: `#/tickets/${t.id}`, text: t.subject || '(no subject)' })),
        el('td', {}, statusBadge(t.status)),
        el('td', {}, el('a', { href: `#/users/${t.requester_id}`, text: userName(t.requester_id) })),
        el('td', { text: t.assignee_id ? userName(t.assignee_id) : '' })));
    return [el('h2', { text: 'Tickets' }),
      el('table', {}, el('tr', {}, ['ID', 'Subject', 'Status', 'Requester', 'Assignee'].map((h) => el('th', { text: h }))), rows)];
  }

  function userView(id) {
    const u = state.users.find((x) => x.id === id);
    if (!u) return [el('p', { text: `User ${id} not found` })];
    const phones = phonesOf(u).map((p, i) =>
      el('li', {}, el('a', {
        href: '#', class: 'phone', text: p, title: 'Call this number', dataTestid: `user-phone-${i}`,
        on: { click: (e) => { e.preventDefault(); dialoutFrom({ number: p, userId: u.id, ticketId: null }); } },
      })));
    const tickets = state.tickets.filter((t) => t.requester_id === u.id).map((t) =>
      el('li', {}, el('a', { href: `#/tickets/${t.id}`, text: `#${t.id} ${t.subject}` }), ' ', statusBadge(t.status)));
    return [
      el('h2', { text: u.name, dataTestid: 'user-name' }),
      el('p', { class: 'muted', text: `${u.role} · ${u.email || 'no email'} · id ${u.id}` }),
      el('h3', { text: 'Phone numbers' }),
      phones.length ? el('ul', { dataTestid: 'user-phones' }, phones) : el('p', { class: 'muted', text: 'No phone number' }),
      el('h3', { text: 'Requested tickets' }),
      tickets.length ? el('ul', {}, tickets) : el('p', { class: 'muted', text: 'None' }),
    ];
  }

  function callMenu(t) {
    const requester = state.users.find((u) => u.id === t.requester_id);
    const list = el('ul', { hidden: true, dataTestid: 'call-menu' });
    for (const [i, p] of (requester ? phonesOf(requester) : []).entries())
      list.append(el('li', {}, el('button', {
        type: 'button', text: `Call ${p}`, dataTestid: `call-menu-number-${i}`,
        on: { click: () => { list.hidden = true; dialoutFrom({ number: p, userId: t.requester_id, ticketId: t.id }); } },
      })));
    list.append(el('li', {}, el('button', {
      type: 'button', text: 'Enter new number', dataTestid: 'call-menu-new-number',
      on: { click: () => { list.hidden = true; dialoutFrom({ number: null, userId: t.requester_id, ticketId: t.id }); } },
    })));
    const btn = el('button', { type: 'button', class: 'primary', text: 'Call', dataTestid: 'ticket-call-button',
      on: { click: () => { list.hidden = !list.hidden; } } });
    return el('span', { class: 'menu' }, btn, list);
  }

  function ticketView(id) {
    const t = state.tickets.find((x) => x.id === id);
    if (!t) return [el('p', { text: `Ticket ${id} not found` })];
    const fieldTitle = (fid) => (state.ticket_fields.find((f) => f.id === fid) || { title: `Field ${fid}` }).title;
    const comments = t.comments.map((c) =>
      el('div', { class: `comment${c.public ? '' : ' internal'}`, dataTestid: `comment-${c.id}` },
        el('div', { class: 'meta', text: `${userName(c.author_id)} · ${c.created_at} · ${c.public ? 'public' : 'internal note'}${c.type !== 'Comment' ? ' · ' + c.type : ''}` }),
        c.body));
    return [
      el('h2', { dataTestid: 'ticket-subject' }, `#${t.id} `, t.subject),
      el('p', {}, statusBadge(t.status), ' Requester: ', el('a', { href: `#/users/${t.requester_id}`, text: userName(t.requester_id) }),
        ' · Assignee: ', t.assignee_id ? userName(t.assignee_id) : '-', ' · via ', t.via.channel, '  ', callMenu(t)),
      t.merged_into ? el('p', { class: 'muted' }, 'Merged into ', el('a', { href: `#/tickets/${t.merged_into}`, text: `#${t.merged_into}` })) : null,
      t.tags.length ? el('p', { class: 'muted', text: `Tags: ${t.tags.join(' ')}` }) : null,
      t.custom_fields.length ? el('table', {}, t.custom_fields.map((f) => el('tr', {}, el('th', { text: fieldTitle(f.id) }), el('td', { text: JSON.stringify(f.value) })))) : null,
      el('h3', { text: 'Conversation' }),
      comments,
    ];
  }

  async function refresh() {
    state = await json('/_sandbox/state');
  }

  async function render() {
    await refresh();
    const [, kind, id] = location.hash.split('/');
    const n = Number(id);
    let content;
    if (kind === 'users' && id) content = userView(n);
    else if (kind === 'tickets' && id) content = ticketView(n);
    else if (kind === 'tickets') content = ticketsView();
    else content = usersView();
    view().replaceChildren(...content.flat().filter(Boolean));
    if (!$('panel').hidden) renderPanel();
  }
  window.addEventListener('hashchange', render);

  // ---------- customer panel ----------
  // The form is built once (what is typed in it survives the refreshes); the calls are redrawn
  // only when one changes (or an agent signs in or out), so a button does not move away under
  // the pointer. Calls in progress offer the customer's session events and a transfer; the last
  // calls that ended, a late recording and a rating. Session events go to the call's agent when
  // signed in, else the platform writes them (the answer says which: a toast). The customer can
  // also leave a voicemail; the last ones are listed with their state (read, closed, called back),
  // and start chats (see "customer chats" below).
  let panelCalls = null; // the "Calls in progress" container, once the panel is built
  let panelEnded = null; // the "Calls that ended" container
  let panelVoicemails = null; // the "Voicemail" list
  let shownCalls = null; // what they show, as JSON
  const ENDED_SHOWN = 3; // how many of the calls that ended are offered
  const VOICEMAILS_SHOWN = 5; // how many voicemails are listed, newest first
  async function event(body) {
    let answer = null;
    try { answer = await json('/_sandbox/events', { method: 'POST', body: JSON.stringify(body) }); } catch (e) { toast(String(e.message), 'error'); }
    setTimeout(() => refresh().then(renderPanel), 200);
    return answer;
  }
  async function sessionEvent(c, ev) {
    const r = await event({ type: 'session', call_id: c.id, event: ev });
    if (!r) return;
    const what = r.repeat ? 'a repeat, not written again' : r.ok ? `written by the ${r.written_by}` : `not written: ${r.rules && r.rules.error}`;
    toast(`${ev.type} #${r.event_id}: ${what}`, r.ok ? 'notice' : 'alert');
  }
  const agentName = (id) => (state.agents.find((a) => a.id === id) || { name: id == null ? 'no agent' : `agent ${id}` }).name;
  const button = (text, testid, onClick) => el('button', { type: 'button', text, dataTestid: testid, on: { click: onClick } });
  const rate = (c) => button('Rate 4/5', 'panel-csat', () => sessionEvent(c, { type: 'csat.rated', score: 4 }));
  function sessionButtons(c) {
    return [
      rate(c), ' ',
      button('SmartAction done', 'panel-smart-action-done', () => sessionEvent(c, {
        type: 'smart_action.completed', action: 'Verify identity', results: [['verified', 'yes'], ['method', 'SMS code']], files: [],
      })), ' ',
      button('SmartAction failed', 'panel-smart-action-failed', () => sessionEvent(c, {
        type: 'smart_action.failed', action: 'Verify identity', error: 'The code expired',
      })), ' ',
      button('Custom data', 'panel-custom-data', () => sessionEvent(c, {
        type: 'session.custom_data', sdk: 'web', data: { tier: 'gold', order: 'A-17' },
      })), ' ',
      button('API response', 'panel-api-response', () => sessionEvent(c, {
        type: 'api.response', source: 'orders', data: { order: 'A-17', status: 'shipped' },
      })),
    ];
  }
  function transferControls(c) {
    const others = state.agents.filter((a) => a.id !== c.agent_id);
    const to = el('select', { dataTestid: 'panel-transfer-to' },
      others.map((a) => el('option', { value: String(a.id), text: `${a.name}${a.signed_in ? '' : ' (signed out)'}` })));
    return [to, ' ', button('Transfer', 'panel-transfer', () => {
      if (to.value) event({ type: 'transfer', call_id: c.id, to_agent_id: Number(to.value) });
    })];
  }
  function callRow(c) {
    return el('div', { class: 'call', dataTestid: `panel-call-${c.id}` },
      el('div', { text: `${c.direction} ${c.customer_number} · ${c.status} · ${agentName(c.agent_id)}` }),
      c.status === 'ringing' && c.direction === 'outbound'
        ? button('Answer', 'panel-answer', () => event({ type: 'answer', call_id: c.id })) : null,
      ' ',
      button('Hang up', 'panel-hangup', () => event({ type: 'hangup', call_id: c.id })),
      ' ',
      button('Hang up in 10 s', 'panel-hangup-later', () => event({ type: 'hangup', call_id: c.id, after_s: 10 })),
      c.status === 'ringing' ? null : el('div', {}, sessionButtons(c)),
      c.status === 'ringing' ? null : el('div', {}, 'Transfer to ', transferControls(c)));
  }
  function endedRow(c) {
    return el('div', { class: 'call', dataTestid: `panel-ended-${c.id}` },
      el('div', { text: `${c.direction} ${c.customer_number} · ended · ${agentName(c.agent_id)}${c.ticket_id ? ` · ticket #${c.ticket_id}` : ''}` }),
      button('Recording ready', 'panel-recording', () => sessionEvent(c, {
        type: 'call.recording_ready', recording_url: `https://pbx.example/recordings/${c.id}-late.mp3`,
      })),
      ' ', rate(c));
  }
  // A voicemail from the number in the inbound form (or a default one): the platform writes its
  // ticket and tells every signed-in agent.
  async function leaveVoicemail(from) {
    const r = await event({ type: 'voicemail', from: from || '+15550101100', duration_s: 6, transcript: 'Please call me back about my order' });
    if (!r) return;
    const ticket = r.voicemail && r.voicemail.ticket_id ? ` · ticket #${r.voicemail.ticket_id}` : '';
    toast(r.ok ? `Voicemail #${r.call_id} left${ticket}` : `Voicemail #${r.call_id} left, not written: ${r.rules && r.rules.error}`, r.ok ? 'notice' : 'alert');
  }
  function voicemailRow(v) {
    const states = [v.closed ? 'closed' : v.read ? 'read' : 'unread'];
    if (v.called_back) states.push('called back');
    return el('div', { class: 'call', dataTestid: `panel-voicemail-${v.id}` },
      el('div', { text: `#${v.id} ${v.from} · ${v.duration_s} s · ${states.join(' · ')}${v.ticket_id ? ` · ticket #${v.ticket_id}` : ''}` }));
  }

  // ---------- customer chats ----------
  // The customer's side of chats: a form starts one (offered to the first signed-in agent with
  // room, else queued) and the last chats are listed, newest first, with their state and last
  // messages. Messages are hostile input: they are always shown as text, never as HTML. Each
  // chat has a message box (the customer's typing state is sent when typing starts, and false
  // after 3 s without a key or on send; Enter sends), Leave, and a rating. A chat's row is built
  // once and updated in place, so what is typed in it survives the refreshes.
  let panelChats = null; // the chats list, once the panel is built
  const chatRows = new Map(); // chat key -> its row: {id, row, line, messages, input, sendButton, leaveButton, shown, typing, idle}
  const CHATS_SHOWN = 5; // how many chats are listed
  const CHAT_MESSAGES_SHOWN = 4; // how many of a chat's last messages are shown
  const TYPING_IDLE_MS = 3000; // the customer stops typing after this long without a key
  // A chat's key: its id and its first message's id (message ids never repeat, chat ids start
  // again after a reset), so that a row never outlives its chat.
  const chatKey = (c) => `${c.id}/${c.messages.length ? c.messages[0].id : ''}`;

  /** POST to the control API's chat routes; the answer, or null after a toast. Refreshes soon after. */
  async function chatPost(path, body) {
    let answer = null;
    try {
      answer = await json(`/_sandbox/chats${path}`, { method: 'POST', body: JSON.stringify(body || {}) });
    } catch (e) {
      toast(String(e.message), 'error');
    }
    setTimeout(() => refresh().then(renderPanel), 200);
    return answer;
  }
  // "key=value" lines as an object: true and false as booleans, plain numbers as numbers, the
  // rest as text (as a chat SDK sends them). Lines without "=" are skipped.
  function customData(text) {
    const out = Object.create(null);
    for (const line of text.split('\n')) {
      const at = line.indexOf('=');
      const key = line.slice(0, Math.max(at, 0)).trim();
      if (at < 0 || !key) continue;
      const raw = line.slice(at + 1).trim();
      out[key] = raw === 'true' ? true : raw === 'false' ? false : /^-?(0|[1-9]\d*)(\.\d+)?$/.test(raw) ? Number(raw) : raw;
    }
    return out;
  }
  function chatForm() {
    const platform = el('select', { dataTestid: 'panel-chat-platform' },
      el('option', { value: 'web', text: 'Web' }), el('option', { value: 'mobile', text: 'Mobile' }));
    const name = el('input', { placeholder: 'Name (optional)', dataTestid: 'panel-chat-name' });
    const email = el('input', { type: 'email', placeholder: 'Email (optional)', dataTestid: 'panel-chat-email' });
    const menu = el('input', { value: 'Support > Billing', placeholder: 'Menu', dataTestid: 'panel-chat-menu' });
    const data = el('textarea', { rows: 2, placeholder: 'Custom data, key=value a line', dataTestid: 'panel-chat-data' });
    const text = el('input', { placeholder: 'First message', dataTestid: 'panel-chat-text' });
    const start = async () => {
      const body = { platform: platform.value, menu: menu.value, custom_data: customData(data.value), text: text.value };
      if (name.value.trim()) body.name = name.value.trim();
      if (email.value.trim()) body.email = email.value.trim();
      const r = await chatPost('', body);
      if (!r) return;
      text.value = '';
      toast(r.status === 'offered' ? `Chat #${r.chat_id} offered` : `Chat #${r.chat_id} queued: no agent has room`);
    };
    text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); start(); } });
    return [platform, name, email, menu, data, text, button('Start a chat', 'panel-chat-start', start)];
  }
  /** Sends the customer's typing state of chat `id`; failures are not worth a toast. */
  function setTyping(id, typing) {
    return json(`/_sandbox/chats/${id}/typing`, { method: 'POST', body: JSON.stringify({ typing }) }).catch(() => null);
  }
  function typed(r) {
    if (!r.typing) {
      r.typing = true;
      setTyping(r.id, true);
    }
    clearTimeout(r.idle);
    r.idle = setTimeout(() => stopTyping(r), TYPING_IDLE_MS);
  }
  /** The customer stops typing on the row's chat (sent when they were typing). */
  async function stopTyping(r) {
    clearTimeout(r.idle);
    r.idle = null;
    if (!r.typing) return;
    r.typing = false;
    await setTyping(r.id, false);
  }
  async function sendChat(r) {
    const text = r.input.value;
    if (!text.trim()) return;
    await stopTyping(r);
    if (await chatPost(`/${r.id}/messages`, { text })) r.input.value = '';
  }
  async function leaveChat(r) {
    await stopTyping(r);
    await chatPost(`/${r.id}/leave`);
  }
  async function rateChat(r, score) {
    const a = await chatPost(`/${r.id}/rate`, { score });
    if (a) toast(`Chat #${r.id} rated ${score}/5 (csat.rated #${a.event_id})`);
  }
  function chatRow(id) {
    const r = { id, shown: null, typing: false, idle: null };
    r.line = el('div', { dataTestid: `panel-chat-${id}-state` });
    r.messages = el('div', { class: 'chat-messages', dataTestid: `panel-chat-${id}-messages` });
    r.input = el('input', { placeholder: 'Message', dataTestid: `panel-chat-${id}-input`, on: {
      input: () => typed(r),
      keydown: (e) => { if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); sendChat(r); } },
    } });
    r.sendButton = button('Send', `panel-chat-${id}-send`, () => sendChat(r));
    r.leaveButton = button('Leave', `panel-chat-${id}-leave`, () => leaveChat(r));
    const score = el('select', { title: 'Rating', dataTestid: `panel-chat-${id}-rate-score` },
      [1, 2, 3, 4, 5].map((n) => el('option', { value: String(n), text: `${n}/5` })));
    score.value = '5';
    r.row = el('div', { class: 'call', dataTestid: `panel-chat-${id}` },
      r.line, r.messages, r.input, r.sendButton, ' ', r.leaveButton, ' ',
      el('span', { class: 'chat-rate' }, score, ' ', button('Rate', `panel-chat-${id}-rate`, () => rateChat(r, Number(score.value)))));
    return r;
  }
  function chatState(c) {
    const who = c.customer.name || c.customer.email || 'customer';
    const where = c.status === 'ended' ? `ended by the ${c.ended_by}`
      : c.agent_id == null ? 'waiting for an agent'
        : c.status === 'offered' ? `offered to ${agentName(c.agent_id)}` : `with ${agentName(c.agent_id)}`;
    const parts = [`#${c.id} ${c.platform} · ${who} · ${where}`];
    if (c.agent_typing) parts.push('agent typing…');
    if (c.rating) parts.push(`rated ${c.rating}/5`);
    return parts.join(' · ');
  }
  function updateChatRow(r, c) {
    const last = c.messages.slice(-CHAT_MESSAGES_SHOWN);
    const line = chatState(c);
    const shown = JSON.stringify([line, last.map((m) => m.id)]);
    if (shown === r.shown) return;
    r.shown = shown;
    r.line.textContent = line;
    // textContent only (el's `text`): a message may hold HTML, which must show as typed.
    r.messages.replaceChildren(...last.map((m) => el('div', {
      class: `chat-message ${m.author === 'agent' ? 'agent' : 'customer'}`,
      dataTestid: `panel-chat-${c.id}-message-${m.id}`,
      text: `${m.author === 'agent' ? 'Agent' : 'Customer'}: ${m.text}`,
    })));
    const ended = c.status === 'ended';
    for (const x of [r.input, r.sendButton, r.leaveButton]) x.disabled = ended;
    if (ended) {
      // Nothing more to type: the platform took the end, typing with it.
      clearTimeout(r.idle);
      r.typing = false;
    }
  }
  function renderChats() {
    const chats = [...(state.chats || [])].sort((a, b) => b.id - a.id).slice(0, CHATS_SHOWN);
    const keys = new Set(chats.map(chatKey));
    for (const [key, r] of chatRows) {
      if (keys.has(key)) continue;
      clearTimeout(r.idle);
      chatRows.delete(key);
    }
    const rows = chats.map((c) => {
      let r = chatRows.get(chatKey(c));
      if (!r) {
        r = chatRow(c.id);
        chatRows.set(chatKey(c), r);
      }
      updateChatRow(r, c);
      return r.row;
    });
    // Moved only when the list changed, keeping the focus (a box being typed in stays one).
    const order = JSON.stringify([...keys]);
    if (order === panelChats.dataset.order) return;
    panelChats.dataset.order = order;
    const focused = document.activeElement;
    panelChats.replaceChildren(...(rows.length ? rows : [el('p', { class: 'muted', text: 'None' })]));
    if (focused && focused.isConnected && focused !== document.activeElement) focused.focus();
  }

  function buildPanel() {
    panelCalls = el('div', { dataTestid: 'panel-calls' });
    panelEnded = el('div', { dataTestid: 'panel-ended-calls' });
    panelVoicemails = el('div', { dataTestid: 'panel-voicemails' });
    panelChats = el('div', { dataTestid: 'panel-chats' });
    chatRows.clear();
    shownCalls = null;
    const from = el('input', { placeholder: '+15550101100', dataTestid: 'panel-inbound-from' });
    const agentSel = el('select', {}, info.agents.map((a) => el('option', { value: String(a.id), text: a.name })));
    const menu = el('input', { value: 'Main menu > Billing' });
    const fixture = el('select', {}, info.fixtures.map((f) => el('option', { value: f, text: f })));
    fixture.value = state.fixture;
    const custom = el('textarea', { rows: 3, placeholder: '{"type":"chat.message","text":"Hello"}' });
    $('panel').replaceChildren(
      el('h3', { text: 'Agents (adapter sign-in)' }),
      el('div', { class: 'creds' }, info.agents.map((a) => el('div', {}, el('code', { text: `${a.email} / ${a.password}` }), ` ${a.team ? a.team.name : ''}`))),
      el('h3', { text: 'Administrators (portal sign-in)' }),
      el('div', { class: 'creds' }, (info.admins || []).map((a) => el('div', {}, el('code', { text: `${a.email} / ${a.password}` })))),
      el('h3', { text: 'Calls in progress' }),
      panelCalls,
      el('h3', { text: 'Calls that ended' }),
      panelEnded,
      el('h3', { text: 'Inbound IVR call' }),
      from, agentSel, menu,
      el('button', { type: 'button', text: 'Call the agent', dataTestid: 'panel-inbound',
        on: { click: () => event({ type: 'inbound', from: from.value, agent_id: Number(agentSel.value), menu_path: menu.value }) } }),
      el('h3', { text: 'Voicemail' }),
      button('Leave a voicemail', 'panel-voicemail', () => leaveVoicemail(from.value.trim())),
      panelVoicemails,
      el('h3', { text: 'Chat' }),
      ...chatForm(),
      panelChats,
      el('h3', { text: 'Other event' }), custom,
      el('button', { type: 'button', text: 'Send to the agent', on: { click: () => {
        let ev; try { ev = JSON.parse(custom.value); } catch { toast('Not JSON', 'error'); return; }
        event({ type: 'emit', agent_id: Number(agentSel.value), event: ev });
      } } }),
      el('h3', { text: 'Fixture' }), fixture,
      el('button', { type: 'button', text: 'Reset', on: { click: async () => {
        await json('/_sandbox/reset', { method: 'POST', body: JSON.stringify({ fixture: fixture.value }) }); render();
      } } }),
    );
  }
  function renderPanel() {
    if (!panelCalls) buildPanel();
    renderChats();
    const live = state.platform_calls.filter((c) => c.status !== 'ended');
    const ended = state.platform_calls.filter((c) => c.status === 'ended').sort((a, b) => b.id - a.id).slice(0, ENDED_SHOWN);
    const voicemails = [...(state.voicemails || [])].sort((a, b) => b.id - a.id).slice(0, VOICEMAILS_SHOWN);
    const shown = JSON.stringify([
      live.map((c) => [c.id, c.status, c.customer_number, c.agent_id]),
      ended.map((c) => [c.id, c.agent_id, c.ticket_id]),
      state.agents.map((a) => [a.id, a.signed_in]),
      voicemails.map((v) => [v.id, v.read, v.closed, v.called_back, v.ticket_id]),
    ]);
    if (shown === shownCalls) return;
    shownCalls = shown;
    const none = () => el('p', { class: 'muted', text: 'None' });
    // The rows spread: replaceChildren takes nodes, not an array of them.
    panelCalls.replaceChildren(...(live.length ? live.map(callRow) : [none()]));
    panelEnded.replaceChildren(...(ended.length ? ended.map(endedRow) : [none()]));
    panelVoicemails.replaceChildren(...(voicemails.length ? voicemails.map(voicemailRow) : [none()]));
  }

  // ---------- screen pops (TPE display endpoints) ----------
  let displaySeq = 0;
  async function pollDisplays() {
    try {
      const d = await json(`/_sandbox/displays?after=${displaySeq}`);
      for (const x of d.displays) {
        displaySeq = x.seq;
        if (x.agent_id === currentAgent) routeTo(x.kind, x.id);
      }
    } catch { /* server restarting */ }
    setTimeout(pollDisplays, 1000);
  }

  // ---------- window.sandbox ----------
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const sandbox = {
    /** Fires voice.dialout to every subscribed app frame (creating the top bar if none listens); resolves with how many got it. */
    async dialout({ number = null, userId = null, ticketId = null } = {}) {
      const payload = { number, userId, ticketId };
      if (![...frames.values()].some((f) => f.subs.has('voice.dialout'))) {
        if (!topBar()) createFrame('top_bar');
        for (let i = 0; i < 100 && ![...frames.values()].some((f) => f.subs.has('voice.dialout')); i++) await sleep(100);
      }
      return fireAll('voice.dialout', payload);
    },
    openUser(id) { location.hash = `#/users/${id}`; },
    openTicket(id) { location.hash = `#/tickets/${id}`; },
    openApp() { popover('show'); },
    closeApp() { popover('hide'); },
    /** Fires any event to the frames subscribed to it. */
    fire(evt, payload) { return fireAll(evt, payload); },
    /** Every invoke received (popover, resize, notify, routeTo, preloadPane…): {name,args,from,to,at}. */
    invokes,
    notifications,
    frames() { return [...frames.values()].map((f) => ({ guid: f.guid, location: f.location, registered: f.registered, subscriptions: [...f.subs] })); },
    reloadApp(locationName = 'top_bar') {
      const f = frames.get(`${info.app_guid}-${locationName}`);
      if (!f) return false;
      restart(f);
      return true;
    },
    async setAgent(zendeskUserId) { $('zd-agent').value = String(zendeskUserId); await switchAgent(zendeskUserId); },
    refresh: render,
    /** Milliseconds every `get` (currentUser, metadata…) waits before its answer: 0 unless a test sets it. */
    getDelayMs: 0,
    ready: null,
  };
  window.sandbox = sandbox;

  sandbox.ready = (async () => {
    info = await json('/_sandbox/info');
    zcli = await json('/_sandbox/zcli');
    await refresh();
    const sel = $('zd-agent');
    for (const a of info.agents) sel.append(el('option', { value: String(a.zendesk_user_id), text: a.name }));
    if (info.agents.length) await signInAgent(info.agents[0].zendesk_user_id);
    sel.addEventListener('change', () => switchAgent(Number(sel.value)));
    $('app-icon').addEventListener('click', () => popover('toggle'));
    $('panel-toggle').addEventListener('click', () => { $('panel').hidden = !$('panel').hidden; if (!$('panel').hidden) renderPanel(); });
    if (!zcli || zcli.locations.background) createFrame('background');
    await render();
    pollDisplays();
    setInterval(() => { if (!$('panel').hidden) refresh().then(renderPanel); }, 1500);
    return true;
  })();
})();
