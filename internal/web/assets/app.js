// cutover's dashboard: statuses and live progress from /api/events, actions
// through the dashboard API. No framework, no build step.
'use strict';

const $ = (id) => document.getElementById(id);

const state = {
  images: [],
  checkedAt: '',
  // Per container name: the latest progress, the last error shown, and
  // whether an update was just asked for (before its first event arrives).
  progress: new Map(),
  errors: new Map(),
  asked: new Set(),
  groupErrors: new Map(),
  events: null,
  authEnabled: true,
};

// ---- Talking to cutover ----------------------------------------------------

class Unreachable extends Error {}

async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new Unreachable('Cannot reach cutover. Check that it is still running, then try again.');
  }
  const text = await res.text();
  let data = null;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (res.status === 401 && path !== '/api/login') {
    showLogin('Your session has ended. Log in again.');
  }
  return { ok: res.ok, status: res.status, data, text: text.trim(), headers: res.headers };
}

// explain turns a failed answer into words for the person at the screen.
function explain(res, what) {
  const t = res.text;
  switch (res.status) {
    case 401: return 'Your session has ended. Log in again.';
    case 403: return 'cutover refused a request that did not come from this page. Reload the page and try again.';
    case 404:
      if (t === 'container not found') return 'This container is no longer running or was replaced. The list will refresh by itself.';
      if (t === 'image not found') return 'No running container uses this image any more.';
      break;
    case 429: return t.replace(/^too many failed logins: /, 'Too many failed attempts: ') + '.';
  }
  if (t) return `Could not ${what}: ${t}`;
  return `Could not ${what} (cutover answered ${res.status}).`;
}

function failure(e, what) {
  if (e instanceof Unreachable) return e.message;
  return `Could not ${what}: ${e.message || e}`;
}

// ---- Start, log in, log out --------------------------------------------------

async function start() {
  try {
    const st = await api('GET', '/api/auth/status');
    state.authEnabled = !st.data || st.data.enabled !== false;
    $('logout').hidden = !state.authEnabled;
    const res = await api('GET', '/api/images');
    if (res.status === 401) return;
    if (!res.ok) {
      showDashboard();
      showNotice(explain(res, 'load the containers'));
      return;
    }
    state.images = res.data || [];
    showDashboard();
    render();
    connectEvents();
    loadHistory();
    loadRateLimit();
  } catch (e) {
    $('loading').textContent = failure(e, 'load the dashboard');
  }
}

function showLogin(message) {
  if (state.events) { state.events.close(); state.events = null; }
  $('loading').hidden = true;
  $('dashboard').hidden = true;
  $('bar-actions').hidden = true;
  $('checked').textContent = '';
  $('login').hidden = false;
  $('login-error').textContent = message || '';
  $('login-user').focus();
}

function showDashboard() {
  $('loading').hidden = true;
  $('login').hidden = true;
  $('dashboard').hidden = false;
  $('bar-actions').hidden = false;
}

function showNotice(msg) {
  $('notice').textContent = msg || '';
  $('notice').hidden = !msg;
}

$('login-form').addEventListener('submit', async (ev) => {
  ev.preventDefault();
  const button = $('login-submit');
  button.disabled = true;
  $('login-error').textContent = '';
  try {
    const res = await api('POST', '/api/login', { user: $('login-user').value, pass: $('login-pass').value });
    if (res.ok) {
      $('login-pass').value = '';
      await start();
    } else if (res.status === 401) {
      $('login-error').textContent = 'Wrong user name or password.';
    } else {
      $('login-error').textContent = explain(res, 'log in');
    }
  } catch (e) {
    $('login-error').textContent = failure(e, 'log in');
  } finally {
    button.disabled = false;
  }
});

$('logout').addEventListener('click', async () => {
  try {
    await api('POST', '/api/logout');
  } catch (e) { /* logged out locally either way */ }
  showLogin('You are logged out.');
});

// ---- Live events -----------------------------------------------------------

function connectEvents() {
  if (state.events) state.events.close();
  const es = new EventSource('/api/events');
  state.events = es;
  es.addEventListener('images', (ev) => {
    const d = JSON.parse(ev.data);
    state.images = d.images || [];
    state.checkedAt = d.checked_at || '';
    showNotice('');
    render();
  });
  es.addEventListener('progress', (ev) => {
    const p = JSON.parse(ev.data);
    state.asked.delete(p.container_name);
    state.progress.set(p.container_name, p);
    if (isFinal(p.status)) forgetLater(p.container_name, p);
    updateProgress(p.container_name);
  });
  es.addEventListener('result', (ev) => {
    const r = JSON.parse(ev.data);
    state.asked.delete(r.container_name);
    if (r.result === 'failed') state.errors.set(r.container_name, 'Update failed: ' + (r.message || 'no reason given') + '.');
    else if (r.result === 'rolled_back') state.errors.set(r.container_name, 'The new version did not start properly, so the old container was put back' + (r.message ? ' (' + r.message + ')' : '') + '.');
    else state.errors.delete(r.container_name);
    render();
    loadHistory();
  });
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) {
      showNotice('Lost the connection to cutover; reconnecting…');
      return;
    }
    // The browser gives up on an answer other than 200, such as 401.
    setTimeout(async () => {
      if (state.events !== es) return;
      try {
        const res = await api('GET', '/api/images');
        if (res.ok) connectEvents();
      } catch (e) {
        showNotice(e.message);
        setTimeout(() => { if (state.events === es) connectEvents(); }, 5000);
      }
    }, 2000);
  };
}

function isFinal(status) {
  return status === 'done' || status === 'rolled back' || (status || '').startsWith('error:');
}

// A finished update's bar stays a minute, as cutover keeps it.
function forgetLater(name, p) {
  setTimeout(() => {
    if (state.progress.get(name) === p) {
      state.progress.delete(name);
      updateProgress(name);
    }
  }, 60000);
}

function busy(name) {
  if (state.asked.has(name)) return true;
  const p = state.progress.get(name);
  return !!p && !isFinal(p.status);
}

// ---- Rendering -------------------------------------------------------------

const statusWords = {
  uptodate: 'Up to date',
  outdated: 'Update available',
  partial: 'Partly updated',
  unknown: 'Unknown',
};

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === false || v === null || v === undefined) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) {
    if (c !== null && c !== undefined) e.append(c);
  }
  return e;
}

function badge(status, words) {
  return el('span', { class: 'badge ' + status, 'data-status': status, text: (words || statusWords)[status] || status });
}

function render() {
  renderChecked();
  const root = $('groups');
  const focused = document.activeElement && document.activeElement.dataset.key;
  root.replaceChildren(...state.images.map(renderGroup));
  $('empty').hidden = state.images.length > 0;
  if (focused) {
    const again = root.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function renderGroup(g) {
  const names = g.containers.map((c) => c.container_name);
  const anyBusy = names.some(busy);
  const head = el('header', { class: 'group-head' },
    el('h2', { class: 'image', text: g.image }),
    badge(g.status),
    el('span', { class: 'digest', title: 'Digest of the newest image in the registry', text: 'newest ' + g.remote_digest }),
    el('span', { class: 'spacer' }),
    el('button', {
      type: 'button',
      class: g.status === 'outdated' || g.status === 'partial' ? 'primary group-update' : 'group-update',
      'data-key': 'group:' + g.image,
      disabled: anyBusy,
      onclick: () => updateGroup(g),
      text: g.containers.length > 1 ? `Update all ${g.containers.length}` : 'Update',
    }),
    el('p', { class: 'error', role: 'alert', text: state.groupErrors.get(g.image) || '' }),
  );
  return el('article', { class: 'group card', 'data-image': g.image },
    head,
    el('ul', { class: 'containers' }, ...g.containers.map(renderContainer)));
}

function renderContainer(c) {
  const name = c.container_name;
  const sw = el('input', {
    type: 'checkbox',
    role: 'switch',
    class: 'auto-update',
    'data-key': 'auto:' + name,
    'aria-label': 'Update ' + name + ' automatically',
    onchange: (ev) => toggleAuto(c, ev.target),
  });
  sw.checked = c.auto_update;
  const li = el('li', { class: 'container', 'data-name': name, 'data-id': c.container_id },
    el('div', {},
      el('span', { class: 'c-name', text: name }),
      el('span', { class: 'c-id', title: 'Container id', text: c.container_id })),
    el('div', { class: 'c-digests' },
      'running ', el('span', { class: 'digest', text: c.local_digest })),
    el('div', {}, badge(c.status)),
    el('div', { class: 'c-actions' },
      el('label', { class: 'switch', title: 'When on, periodic passes update this container by themselves' }, sw, 'Auto-update'),
      el('button', {
        type: 'button',
        class: c.status === 'outdated' ? 'primary update' : 'update',
        'data-key': 'update:' + name,
        disabled: busy(name),
        onclick: () => updateOne(c),
        text: 'Update',
      })),
    el('div', { class: 'progress', hidden: true }, el('progress', { max: '100' }), el('span', { class: 'p-text' })),
    el('p', { class: 'error', role: 'alert', text: state.errors.get(name) || '' }),
  );
  fillProgress(li, name);
  return li;
}

function rowOf(name) {
  return $('groups').querySelector(`li.container[data-name="${CSS.escape(name)}"]`);
}

// updateProgress refreshes one row's bar and buttons without redrawing the
// page, as progress arrives many times a second.
function updateProgress(name) {
  const li = rowOf(name);
  if (!li) return;
  fillProgress(li, name);
  li.querySelector('button.update').disabled = busy(name);
  const group = li.closest('article.group');
  const names = [...group.querySelectorAll('li.container')].map((x) => x.dataset.name);
  group.querySelector('button.group-update').disabled = names.some(busy);
}

function fillProgress(li, name) {
  const box = li.querySelector('.progress');
  const p = state.progress.get(name);
  if (!p && !state.asked.has(name)) {
    box.hidden = true;
    return;
  }
  const bar = box.querySelector('progress');
  const status = p ? p.status : 'connecting';
  box.hidden = false;
  box.dataset.status = status;
  if (status === 'done') box.dataset.final = 'done';
  else if (isFinal(status)) box.dataset.final = 'failed';
  else delete box.dataset.final;
  if (status === 'done') bar.value = 100;
  else if (p && p.total > 0) bar.value = p.percent;
  else bar.removeAttribute('value'); // indeterminate
  box.querySelector('.p-text').textContent = describeProgress(p, status);
}

function describeProgress(p, status) {
  switch (status) {
    case 'connecting': return 'Connecting to the registry…';
    case 'recreating': return 'Replacing the container with one on the new image…';
    case 'health-check': return 'Waiting for the new container to prove healthy…';
    case 'done': return 'Done.';
    case 'rolled back': return 'Rolled back: the old container is running again.';
  }
  if (status.startsWith('error:')) return 'Failed: ' + status.slice(6).trim();
  let s = status;
  if (p && p.layer) s += ' layer ' + p.layer;
  if (p && p.total > 0) s += ` · ${bytes(p.current)} of ${bytes(p.total)} · ${p.percent}%`;
  return s;
}

function bytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}

function renderChecked() {
  if (!state.checkedAt) {
    $('checked').textContent = 'Not checked yet';
    return;
  }
  const t = new Date(state.checkedAt);
  $('checked').textContent = 'Checked ' + ago(t);
  $('checked').title = t.toLocaleString();
}

function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - t.getTime()) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : m + ' minutes ago';
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? 'an hour ago' : h + ' hours ago';
  return 'on ' + t.toLocaleString();
}
setInterval(() => { if (!$('dashboard').hidden) renderChecked(); }, 30000);

// ---- Actions ---------------------------------------------------------------

async function updateOne(c) {
  const name = c.container_name;
  state.errors.delete(name);
  state.asked.add(name);
  state.progress.delete(name);
  render();
  try {
    const res = await api('POST', `/api/images/${encodeURIComponent(c.container_id)}/update`);
    if (!res.ok) {
      state.asked.delete(name);
      state.errors.set(name, explain(res, 'start the update'));
    }
  } catch (e) {
    state.asked.delete(name);
    state.errors.set(name, failure(e, 'start the update'));
  }
  render();
}

async function updateGroup(g) {
  state.groupErrors.delete(g.image);
  for (const c of g.containers) {
    state.errors.delete(c.container_name);
    state.asked.add(c.container_name);
    state.progress.delete(c.container_name);
  }
  render();
  try {
    const res = await api('POST', '/api/groups/update', { image: g.image });
    if (!res.ok) {
      g.containers.forEach((c) => state.asked.delete(c.container_name));
      state.groupErrors.set(g.image, explain(res, 'start the updates'));
    }
  } catch (e) {
    g.containers.forEach((c) => state.asked.delete(c.container_name));
    state.groupErrors.set(g.image, failure(e, 'start the updates'));
  }
  render();
}

async function toggleAuto(c, input) {
  const name = c.container_name;
  const want = input.checked;
  input.disabled = true;
  input.dataset.saving = '';
  state.errors.delete(name);
  try {
    const res = await api('POST', `/api/images/${encodeURIComponent(c.container_id)}/auto-update`, { auto_update: want });
    if (res.ok && res.data) {
      c.auto_update = res.data.auto_update;
      input.checked = c.auto_update;
    } else {
      input.checked = !want;
      state.errors.set(name, explain(res, 'change auto-update'));
    }
  } catch (e) {
    input.checked = !want;
    state.errors.set(name, failure(e, 'change auto-update'));
  }
  input.disabled = false;
  delete input.dataset.saving;
  const li = rowOf(name);
  if (li) li.querySelector('p.error').textContent = state.errors.get(name) || '';
}

$('check-now').addEventListener('click', async () => {
  const b = $('check-now');
  b.disabled = true;
  b.textContent = 'Checking…';
  showNotice('');
  try {
    const res = await api('POST', '/api/check');
    if (res.ok) {
      if (res.data && res.data.checked_at) state.checkedAt = res.data.checked_at;
      const list = await api('GET', '/api/images');
      if (list.ok) state.images = list.data || [];
      render();
    } else if (res.status !== 401) {
      showNotice(explain(res, 'check the registries'));
    }
  } catch (e) {
    showNotice(failure(e, 'check the registries'));
  }
  b.disabled = false;
  b.textContent = 'Check now';
});

$('prune').addEventListener('click', async () => {
  const b = $('prune');
  b.disabled = true;
  $('prune-result').textContent = 'Removing…';
  try {
    const res = await api('POST', '/api/prune');
    if (res.ok && res.data) {
      const n = res.data.images_deleted.length;
      $('prune-result').textContent = n === 0
        ? 'Nothing to remove.'
        : `Removed ${n} image${n === 1 ? '' : 's'}, freed ${bytes(res.data.space_reclaimed)}.`;
    } else {
      $('prune-result').textContent = explain(res, 'remove unused images');
    }
  } catch (e) {
    $('prune-result').textContent = failure(e, 'remove unused images');
  }
  b.disabled = false;
});

// ---- History and Docker Hub budget -------------------------------------------

const resultWords = {
  updated: 'Updated',
  rolled_back: 'Rolled back',
  failed: 'Failed',
  skipped: 'Skipped',
  fresh: 'Already current',
};

async function loadHistory() {
  const box = $('history');
  let res;
  try {
    res = await api('GET', '/api/history?limit=25');
  } catch (e) {
    box.replaceChildren(el('p', { class: 'error', text: failure(e, 'load the history') }));
    return;
  }
  if (!res.ok) {
    if (res.status !== 401) box.replaceChildren(el('p', { class: 'error', text: explain(res, 'load the history') }));
    return;
  }
  const rows = res.data || [];
  if (rows.length === 0) {
    box.replaceChildren(el('p', { class: 'empty card', text: 'No update has run yet.' }));
    return;
  }
  const short = (d) => (d ? d.slice(0, 17) : '–');
  box.replaceChildren(el('table', {},
    el('thead', {}, el('tr', {}, ...['When', 'Container', 'Image', 'Result', 'Change', 'Took'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows.map((a) => el('tr', {},
      el('td', { 'data-label': 'When', title: new Date(a.time).toLocaleString(), text: ago(new Date(a.time)) }),
      el('td', { 'data-label': 'Container', text: a.container }),
      el('td', { 'data-label': 'Image', class: 'mono', text: a.image }),
      el('td', { 'data-label': 'Result' }, badge(a.result, resultWords),
        a.error ? el('div', { class: 'why', text: a.error }) : null),
      el('td', { 'data-label': 'Change', class: 'mono', text: short(a.old_digest) + ' → ' + short(a.new_digest) }),
      el('td', { 'data-label': 'Took', text: (a.duration_ms / 1000).toFixed(1) + ' s' }),
    )))));
}

async function loadRateLimit() {
  const out = $('ratelimit');
  try {
    const res = await api('GET', '/api/ratelimit');
    if (!res.ok || !res.data) {
      out.textContent = 'unknown';
      return;
    }
    const b = res.data;
    if (b.known) {
      const hours = b.window_seconds ? ` every ${Math.round(b.window_seconds / 3600)} hours` : '';
      out.textContent = `${b.remaining} of ${b.limit}${hours}`;
    } else {
      out.textContent = 'unknown' + (b.reason ? ` (${b.reason})` : '');
    }
  } catch (e) {
    out.textContent = 'unknown';
  }
}

start();
