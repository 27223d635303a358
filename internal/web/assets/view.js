// Drawing the page from the state: the summary line, the image groups with
// the containers the filter and search let through, and the history.

import { $, el, badge } from './dom.js';
import { state, busy } from './state.js';
import { sorted, matches, counts, bulkPlan, hosts } from './fleet.js';
import { actions, renderContainer, short } from './row.js';
import { ago, stamp } from './time.js';

const resultWords = {
  updated: 'Updated',
  rolled_back: 'Rolled back',
  failed: 'Failed',
  skipped: 'Skipped',
  fresh: 'Already current',
};

// render redraws the summary and the groups, keeping the focus where it
// was.
export function render() {
  renderChecked();
  const focused = document.activeElement && document.activeElement.dataset && document.activeElement.dataset.key;
  renderSummary();
  const view = state.view;
  let total = 0;
  let shown = 0;
  const cards = [];
  for (const g of sorted(state.images)) {
    total += g.containers.length;
    const cs = g.containers.filter((c) => matches(c, g, view));
    shown += cs.length;
    if (cs.length > 0) cards.push(renderGroup(g, cs));
  }
  $('groups').replaceChildren(...cards);
  $('empty').hidden = total > 0;
  $('no-match').hidden = total === 0 || shown > 0 || state.grouping !== 'image';
  renderHosts(view);
  const filtered = view.status !== 'all' || view.q.trim() !== '' || !!view.host;
  $('shown').textContent = filtered && total > 0 ? `Showing ${shown} of ${total} container${total === 1 ? '' : 's'}.` : '';
  $('clear-view').hidden = !filtered;
  if ($('filter').value !== view.status) $('filter').value = view.status;
  if ($('search').value !== view.q) $('search').value = view.q;
  if (focused) {
    const again = document.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again && again !== document.activeElement) again.focus();
  }
}

// renderHosts offers one choice per engine when cutover watches several.
function renderHosts(view) {
  const names = hosts(state.images);
  const select = $('host-filter');
  select.closest('label').hidden = names.length < 2;
  const want = ['', ...names].join('\n');
  if ([...select.options].map((o) => o.value).join('\n') !== want) {
    select.replaceChildren(el('option', { value: '', text: 'All engines' }), ...names.map((h) => el('option', { value: h, text: h })));
  }
  if (select.value !== view.host) select.value = view.host;
}

// renderSummary writes the counts, each a shortcut to its filter, and the
// number on the button that updates every outdated container.
function renderSummary() {
  const n = counts(state.images);
  const part = (key, count, words, filter) => {
    const text = `${count} ${words}`;
    if (!filter || count === 0) return el('span', { class: 'count', 'data-count': key, 'data-n': String(count), text });
    return el('button', {
      type: 'button', class: 'link count', 'data-count': key, 'data-n': String(count), 'data-key': 'count:' + key,
      'aria-pressed': String(state.view.status === filter), title: 'Show only these',
      onclick: () => actions.setView({ status: state.view.status === filter ? 'all' : filter }), text,
    });
  };
  const parts = [
    part('containers', n.containers, n.containers === 1 ? 'container' : 'containers', null),
    part('outdated', n.outdated, 'outdated', 'outdated'),
    part('held', n.held, 'held', 'held'),
    part('cooling', n.cooling, 'cooling down', 'cooling'),
    part('failed', n.failed, 'failed last time', 'failed'),
  ];
  const line = [];
  parts.forEach((p, i) => { if (i > 0) line.push(el('span', { class: 'sep', 'aria-hidden': 'true', text: ' · ' })); line.push(p); });
  $('summary').replaceChildren(...line);
  const todo = bulkPlan(state.images).take.length;
  const b = $('update-outdated');
  b.textContent = `Update every outdated container (${todo})`;
  b.dataset.n = String(todo);
  b.disabled = todo === 0;
  b.className = todo > 0 ? 'primary' : '';
}

function renderGroup(g, shownContainers) {
  const names = g.containers.map((c) => c.container_name);
  const head = el('header', { class: 'group-head' },
    el('h2', { class: 'image', text: g.image }),
    badge(g.status),
    el('span', { class: 'digest', title: 'Digest of the newest image in the registry', text: 'newest ' + g.remote_digest }),
    shownContainers.length < g.containers.length
      ? el('span', { class: 'partly', text: `${shownContainers.length} of ${g.containers.length} shown` })
      : null,
    el('span', { class: 'spacer' }),
    el('button', {
      type: 'button',
      class: g.status === 'outdated' || g.status === 'partial' ? 'primary group-update' : 'group-update',
      'data-key': 'group:' + g.image,
      'aria-label': (g.containers.length > 1 ? `Update all ${g.containers.length} containers of ` : 'Update the container of ') + g.image,
      disabled: names.some(busy),
      onclick: () => actions.updateGroup(g),
      text: g.containers.length > 1 ? `Update all ${g.containers.length}` : 'Update',
    }),
    el('p', { class: 'error', role: 'alert', text: state.groupErrors.get(g.image) || '' }),
  );
  return el('article', { class: 'group card', 'data-image': g.image, 'data-names': JSON.stringify(names) },
    head,
    el('ul', { class: 'containers' }, ...shownContainers.map((c) => renderContainer(c, g))));
}

export function renderChecked() {
  if (!state.checkedAt) {
    $('checked').textContent = 'Not checked yet';
    return;
  }
  const t = new Date(state.checkedAt);
  $('checked').textContent = 'Checked ' + ago(t);
  $('checked').title = stamp(t);
}

// historyTable draws past update attempts, newest first: versions when the
// attempt names them, digests otherwise.
export function historyTable(rows) {
  if (rows.length === 0) return el('p', { class: 'empty card', text: 'No update has run yet.' });
  const change = (a) => {
    const digests = (short(a.old_digest) || '–') + ' → ' + (short(a.new_digest) || '–');
    if (!a.old_version && !a.new_version) return el('td', { 'data-label': 'Change', class: 'mono', text: digests });
    return el('td', { 'data-label': 'Change', class: 'mono', title: digests },
      (a.old_version || '–') + ' → ' + (a.new_version || '–'));
  };
  return el('table', {},
    el('thead', {}, el('tr', {}, ...['When', 'Container', 'Image', 'Result', 'Change', 'Took'].map((h) => el('th', { text: h })))),
    el('tbody', {}, ...rows.map((a) => el('tr', {},
      el('td', { 'data-label': 'When', title: stamp(new Date(a.time)), text: ago(new Date(a.time)) }),
      el('td', { 'data-label': 'Container' }, a.container,
        a.unit ? el('div', { class: 'why', text: 'with atomic project ' + a.unit }) : null),
      el('td', { 'data-label': 'Image', class: 'mono', text: a.image }),
      el('td', { 'data-label': 'Result' }, badge(a.result, resultWords),
        a.error ? el('div', { class: 'why', text: a.error }) : null),
      change(a),
      el('td', { 'data-label': 'Took', text: (a.duration_ms / 1000).toFixed(1) + ' s' }),
    ))));
}
