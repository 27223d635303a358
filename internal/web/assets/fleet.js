// The fleet at a glance: the counts of the summary line, the status filter
// and search (kept in the page's address), natural order, and which
// containers "update every outdated container" takes.

import { state, busy } from './state.js';
import { parseTime, stamp } from './time.js';

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: 'base' });

// natural orders names as people count: bench-2 before bench-11.
export function natural(a, b) {
  return collator.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);
}

// sorted returns the groups and their containers in natural order; the
// containers are the API's objects, so what the buttons change stays known.
export function sorted(images) {
  return images
    .map((g) => ({ ...g, containers: [...(g.containers || [])].sort((a, b) => natural(a.container_name, b.container_name)) }))
    .sort((a, b) => natural(a.image, b.image));
}

// coolingUntil is the end of the offered version's cooldown, or null when it
// is not cooling down (an older server says nothing of cooldowns).
export function coolingUntil(c, now = Date.now()) {
  const t = parseTime(c.cooldown_until);
  return t && t.getTime() > now ? t : null;
}

// failedLast reports whether the container's last update failed.
export function failedLast(c) {
  return !!c.error || state.failed.has(c.container_name);
}

// notRunning reports whether the engine says the container is not running;
// without a state (an older server), it is taken as running.
export function notRunning(c) {
  return !!c.state && c.state !== 'running';
}

// offered reports whether a version is waiting for the container, applied
// or not.
export function offered(c) {
  return c.status === 'outdated' || !!coolingUntil(c) || !!c.skipped || !!c.held;
}

// filters are the status filter's choices, in the order shown; value is
// what the address says.
export const filters = [
  { value: 'all', label: 'All', test: () => true },
  { value: 'outdated', label: 'Outdated', test: (c) => c.status === 'outdated' },
  { value: 'uptodate', label: 'Up to date', test: (c) => c.status === 'uptodate' },
  { value: 'held', label: 'Held or skipped', test: (c) => !!(c.held || c.skipped) },
  { value: 'cooling', label: 'Cooling down', test: (c) => !!coolingUntil(c) },
  { value: 'failed', label: 'Failed last time', test: failedLast },
  { value: 'stopped', label: 'Not running', test: notRunning },
  { value: 'unknown', label: 'Status unknown', test: (c) => c.status === 'unknown' },
];

// matches reports whether the container is shown under the filter and the
// search, which looks in container and image names. A container being
// updated stays shown while its bar is, even once its new status no longer
// passes the filter.
export function matches(c, g, view) {
  const f = filters.find((x) => x.value === view.status) || filters[0];
  const followed = state.asked.has(c.container_name) || state.progress.has(c.container_name);
  if (!f.test(c) && !followed) return false;
  if (view.host && c.host !== view.host) return false;
  const q = view.q.trim().toLowerCase();
  return !q || c.container_name.toLowerCase().includes(q) || g.image.toLowerCase().includes(q);
}

// hosts are the engines the containers run on, when cutover watches
// several; none with one engine.
export function hosts(images) {
  const names = new Set();
  for (const g of images) for (const c of g.containers || []) if (c.host) names.add(c.host);
  return [...names].sort(natural);
}

// counts are the numbers of the summary line.
export function counts(images) {
  const n = { containers: 0, outdated: 0, held: 0, cooling: 0, failed: 0 };
  for (const g of images) {
    for (const c of g.containers || []) {
      n.containers++;
      if (c.status === 'outdated') n.outdated++;
      if (c.held || c.skipped) n.held++;
      if (coolingUntil(c)) n.cooling++;
      if (failedLast(c)) n.failed++;
    }
  }
  return n;
}

// leftOut says why a container with a version waiting is not taken by
// "update every outdated container", or "" when it is. The versions a
// person or a rollback set aside, and those still cooling down, wait for a
// decision about each one.
export function leftOut(c) {
  const until = coolingUntil(c);
  switch (true) {
    case busy(c.container_name): return 'already being updated';
    case !!until: return 'cooling down until ' + stamp(until);
    case !!c.skipped: return 'skipped' + (c.offered_version ? ' ' + c.offered_version : '');
    case !!c.held: return 'held' + (c.held_reason ? ': ' + c.held_reason : '');
    case !!c.pinned: return 'pinned to a digest: update it by itself to re-pin';
    case c.state === 'paused': return 'paused: unpause it first';
    case c.state === 'dead': return 'dead: remove or restart it by hand';
    case c.status !== 'outdated': return 'no update offered';
  }
  return '';
}

// bulkPlan is what "update every outdated container" does: the containers
// it updates, and those with a version waiting that it leaves, with why.
export function bulkPlan(images) {
  const take = [];
  const leave = [];
  for (const g of sorted(images)) {
    for (const c of g.containers) {
      if (!offered(c)) continue;
      const why = leftOut(c);
      if (why) leave.push({ g, c, why });
      else take.push({ g, c });
    }
  }
  return { take, leave };
}

// readView reads the filter and search from the page's address; a filter
// it does not know shows everything.
export function readView(search) {
  const p = new URLSearchParams(search);
  const status = p.get('status') || 'all';
  return { status: filters.some((f) => f.value === status) ? status : 'all', q: p.get('q') || '', host: p.get('host') || '' };
}

// writeView puts the filter and search in the page's address, so that a
// reload or a shared link shows the same list; the default is left out.
export function writeView(view) {
  const p = new URLSearchParams(location.search);
  p.delete('status');
  p.delete('q');
  p.delete('host');
  if (view.status !== 'all') p.set('status', view.status);
  if (view.q) p.set('q', view.q);
  if (view.host) p.set('host', view.host);
  const s = p.toString();
  history.replaceState(history.state, '', location.pathname + (s ? '?' + s : '') + location.hash);
}
