// cutover's dashboard: statuses and live progress from /api/events, actions
// through the dashboard API. No framework, no build step.

import { api, explain, failure, onSessionEnded } from './api.js';
import { $, el } from './dom.js';
import { state, isFinal, named } from './state.js';
import { filters, readView } from './fleet.js';
import { setActions } from './row.js';
import { updateProgress, bytes } from './progress.js';
import { render, renderChecked, historyTable } from './view.js';
import { handlers, reload } from './actions.js';
import { initProjects, loadProjects, renderProjects, projectProgress } from './projects.js';

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
    state.images = named(res.data);
    showDashboard();
    render();
    initProjects();
    connectEvents();
    loadHistory();
    loadRateLimit();
    loadEngines();
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
    const images = named(d.images);
    state.checkedAt = d.checked_at || '';
    showNotice('');
    // The list is redrawn only when it changed: a redraw between the press
    // and the release of a button would swallow the click.
    if (JSON.stringify(images) === JSON.stringify(state.images)) {
      renderChecked();
      return;
    }
    state.images = images;
    render();
    loadProjects();
    loadEngines();
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
    if (r.result === 'failed' || r.result === 'rolled_back') state.failed.add(r.container_name);
    else state.failed.delete(r.container_name);
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

$('check-now').addEventListener('click', async () => {
  const b = $('check-now');
  b.disabled = true;
  b.textContent = 'Checking…';
  showNotice('');
  try {
    const res = await api('POST', '/api/check');
    if (res.ok) {
      if (res.data && res.data.checked_at) state.checkedAt = res.data.checked_at;
      await reload();
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

// loadEngines says, when cutover watches several engines, which answered
// the last time they were asked and which did not, and why.
async function loadEngines() {
  const out = $('engines');
  try {
    const res = await api('GET', '/api/hosts');
    const hosts = res.ok && Array.isArray(res.data) ? res.data : [];
    out.hidden = hosts.length < 2;
    out.replaceChildren('Engines: ', ...hosts.flatMap((h, i) => [
      i > 0 ? ' · ' : '',
      el('span', { class: 'engine', 'data-host': h.host, 'data-up': String(h.up), title: h.error || '', text: h.up ? h.host : `${h.host} unreachable${h.error ? ': ' + h.error : ''}` }),
    ]));
  } catch (e) {
    out.hidden = true;
  }
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

// ---- Filter and search ---------------------------------------------------------

$('filter').replaceChildren(...filters.map((f) => el('option', { value: f.value, text: f.label })));
state.view = readView(location.search);
$('filter').addEventListener('change', (ev) => handlers.setView({ status: ev.target.value }));
$('search').addEventListener('input', (ev) => handlers.setView({ q: ev.target.value }));
$('host-filter').addEventListener('change', (ev) => handlers.setView({ host: ev.target.value }));
$('clear-view').addEventListener('click', () => {
  handlers.setView({ status: 'all', q: '', host: '' });
  $('search').focus();
});
$('update-outdated').addEventListener('click', handlers.updateOutdated);
// "/" goes to the search, as on many sites with a long list.
document.addEventListener('keydown', (ev) => {
  const t = ev.target;
  if (ev.key !== '/' || ev.ctrlKey || ev.metaKey || ev.altKey || $('dashboard').hidden) return;
  if (t && (t.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(t.tagName)) || $('confirm').open) return;
  ev.preventDefault();
  $('search').focus();
});

setActions(handlers);
onSessionEnded(showLogin);
setInterval(() => { if (!$('dashboard').hidden) renderChecked(); }, 30000);
start();
