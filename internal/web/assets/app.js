// cutover's dashboard: statuses and live progress from /api/events, actions
// through the dashboard API. No framework, no build step.

import { api, explain, failure, onSessionEnded } from './api.js';
import { state, isFinal } from './state.js';
import { el, render, renderChecked, rowOf, updateProgress, bytes, historyTable, setActions } from './view.js';
import { initProjects, loadProjects, renderProjects, projectProgress } from './projects.js';

const $ = (id) => document.getElementById(id);

// The open event stream, if any.
let events = null;

// Whether the dashboard asks for a login.
let authEnabled = true;

// ---- Start, log in, log out --------------------------------------------------

async function start() {
  try {
    const st = await api('GET', '/api/auth/status');
    authEnabled = !st.data || st.data.enabled !== false;
    $('logout').hidden = !authEnabled;
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
    initProjects();
    connectEvents();
    loadHistory();
    loadRateLimit();
  } catch (e) {
    $('loading').textContent = failure(e, 'load the dashboard');
  }
}

function showLogin(message) {
  if (events) { events.close(); events = null; }
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
  if (events) events.close();
  const es = new EventSource('/api/events');
  events = es;
  es.addEventListener('images', (ev) => {
    const d = JSON.parse(ev.data);
    state.images = d.images || [];
    state.checkedAt = d.checked_at || '';
    showNotice('');
    render();
    loadProjects();
  });
  es.addEventListener('progress', (ev) => {
    const p = JSON.parse(ev.data);
    state.asked.delete(p.container_name);
    state.progress.set(p.container_name, p);
    if (isFinal(p.status)) forgetLater(p.container_name, p);
    updateProgress(p.container_name);
    projectProgress(p.container_name);
  });
  es.addEventListener('result', (ev) => {
    const r = JSON.parse(ev.data);
    state.asked.delete(r.container_name);
    if (r.result === 'failed') state.errors.set(r.container_name, 'Update failed: ' + (r.message || 'no reason given') + '.');
    else if (r.result === 'rolled_back') state.errors.set(r.container_name, 'The new version did not start properly, so the old container was put back' + (r.message ? ' (' + r.message + ')' : '') + '.');
    else if (r.result === 'skipped') state.errors.set(r.container_name, 'Not updated: ' + (r.message || 'skipped') + '.');
    else state.errors.delete(r.container_name);
    render();
    renderProjects();
    loadHistory();
  });
  es.onerror = () => {
    if (es.readyState !== EventSource.CLOSED) {
      showNotice('Lost the connection to cutover; reconnecting…');
      return;
    }
    // The browser gives up on an answer other than 200, such as 401.
    setTimeout(async () => {
      if (events !== es) return;
      try {
        const res = await api('GET', '/api/images');
        if (res.ok) connectEvents();
      } catch (e) {
        showNotice(e.message);
        setTimeout(() => { if (events === es) connectEvents(); }, 5000);
      }
    }, 2000);
  };
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
      loadProjects();
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
    const res = await api('POST', '/api/prune?wait=true');
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
  box.replaceChildren(historyTable(res.data || []));
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

setActions({ updateOne, updateGroup, toggleAuto });
onSessionEnded(showLogin);
setInterval(() => { if (!$('dashboard').hidden) renderChecked(); }, 30000);
start();
