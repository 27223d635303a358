// Drawing the page from the state. Elements are built node by node, never
// from HTML strings, so no name or message from a container can inject markup.

import { state, isFinal, busy } from './state.js';

const $ = (id) => document.getElementById(id);

// What the buttons and switches do; set by the page once.
let actions = { updateOne() {}, updateGroup() {}, toggleAuto() {} };

export function setActions(a) {
  actions = a;
}

const statusWords = {
  uptodate: 'Up to date',
  outdated: 'Update available',
  partial: 'Partly updated',
  unknown: 'Unknown',
};

const resultWords = {
  updated: 'Updated',
  rolled_back: 'Rolled back',
  failed: 'Failed',
  skipped: 'Skipped',
  fresh: 'Already current',
};

export function el(tag, attrs, ...children) {
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

// render redraws the groups, keeping the focus where it was.
export function render() {
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
  const head = el('header', { class: 'group-head' },
    el('h2', { class: 'image', text: g.image }),
    badge(g.status),
    el('span', { class: 'digest', title: 'Digest of the newest image in the registry', text: 'newest ' + g.remote_digest }),
    el('span', { class: 'spacer' }),
    el('button', {
      type: 'button',
      class: g.status === 'outdated' || g.status === 'partial' ? 'primary group-update' : 'group-update',
      'data-key': 'group:' + g.image,
      disabled: names.some(busy),
      onclick: () => actions.updateGroup(g),
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
    onchange: (ev) => actions.toggleAuto(c, ev.target),
  });
  sw.checked = c.auto_update;
  const li = el('li', { class: 'container', 'data-name': name, 'data-id': c.container_id },
    el('div', {},
      el('span', { class: 'c-name', text: name }),
      c.kind === 'service' ? el('span', { class: 'c-kind', title: 'A Swarm service: Swarm replaces its tasks', text: 'service' }) : null,
      el('span', { class: 'c-id', title: c.kind === 'service' ? 'Service id' : 'Container id', text: c.container_id })),
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
        onclick: () => actions.updateOne(c),
        text: 'Update',
      })),
    el('div', { class: 'progress', hidden: true }, el('progress', { max: '100' }), el('span', { class: 'p-text' })),
    el('p', { class: 'error', role: 'alert', text: state.errors.get(name) || '' }),
  );
  fillProgress(li, name);
  return li;
}

export function rowOf(name) {
  return $('groups').querySelector(`li.container[data-name="${CSS.escape(name)}"]`);
}

// updateProgress refreshes one row's bar and buttons without redrawing the
// page, as progress arrives many times a second.
export function updateProgress(name) {
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

export function bytes(n) {
  if (n < 1024) return n + ' B';
  const units = ['KB', 'MB', 'GB', 'TB'];
  let i = -1;
  do { n /= 1024; i++; } while (n >= 1024 && i < units.length - 1);
  return n.toFixed(n < 10 ? 1 : 0) + ' ' + units[i];
}

export function renderChecked() {
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

// historyTable draws past update attempts, newest first.
export function historyTable(rows) {
  if (rows.length === 0) return el('p', { class: 'empty card', text: 'No update has run yet.' });
  const short = (d) => (d ? d.slice(0, 17) : '–');
  return el('table', {},
    el('thead', {}, el('tr', {}, ...['When', 'Container', 'Image', 'Result', 'Change', 'Took'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows.map((a) => el('tr', {},
      el('td', { 'data-label': 'When', title: new Date(a.time).toLocaleString(), text: ago(new Date(a.time)) }),
      el('td', { 'data-label': 'Container', text: a.container }),
      el('td', { 'data-label': 'Image', class: 'mono', text: a.image }),
      el('td', { 'data-label': 'Result' }, badge(a.result, resultWords),
        a.error ? el('div', { class: 'why', text: a.error }) : null),
      el('td', { 'data-label': 'Change', class: 'mono', text: short(a.old_digest) + ' → ' + short(a.new_digest) }),
      el('td', { 'data-label': 'Took', text: (a.duration_ms / 1000).toFixed(1) + ' s' }),
    ))));
}
