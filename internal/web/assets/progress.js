// A running update's bar, refreshed in place as progress arrives many times
// a second.

import { $ } from './dom.js';
import { state, isFinal, busy } from './state.js';

export function rowOf(name) {
  return $('groups').querySelector(`li.container[data-name="${CSS.escape(name)}"]`);
}

// updateProgress refreshes one row's bar and buttons without redrawing the
// page.
export function updateProgress(name) {
  const li = rowOf(name);
  if (!li) return;
  fillProgress(li, name);
  li.querySelector('button.update').disabled = busy(name);
  const group = li.closest('article.group');
  const names = JSON.parse(group.dataset.names || '[]');
  group.querySelector('button.group-update').disabled = names.some(busy);
}

export function fillProgress(li, name) {
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
