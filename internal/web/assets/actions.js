// What the buttons do: updates (one container, an image group, every
// outdated container, or one still cooling down), skipping an offered
// version, the auto-update switch, and the filter and search.

import { api, explain, failure } from './api.js';
import { $, el } from './dom.js';
import { state, named } from './state.js';
import { bulkPlan, writeView } from './fleet.js';
import { offeredName, errorText, short } from './row.js';
import { rowOf } from './progress.js';
import { render } from './view.js';
import { confirmAction } from './dialog.js';
import { ago, stamp, parseTime } from './time.js';

// reload fetches the statuses again, after a change the event stream would
// show only at its next sync.
export async function reload() {
  const list = await api('GET', '/api/images');
  if (list.ok) state.images = named(list.data);
  render();
}

function asked(names) {
  for (const name of names) {
    state.errors.delete(name);
    state.failed.delete(name);
    state.asked.add(name);
    state.progress.delete(name);
  }
}

// post sends an update request and returns the reason it was not started,
// or "".
async function post(path, body) {
  try {
    const res = await api('POST', path, body);
    return res.ok ? '' : explain(res, 'start the update');
  } catch (e) {
    return failure(e, 'start the update');
  }
}

async function updateOne(c, force) {
  const name = c.container_name;
  asked([name]);
  render();
  // force goes only when meant: an older cutover refuses fields it does
  // not know.
  const why = await post(`/api/images/${encodeURIComponent(c.container_id)}/update`, force ? { force: true } : undefined);
  if (why) {
    state.asked.delete(name);
    state.errors.set(name, why);
  }
  render();
}

// updateAnyway updates a container whose offered version is still cooling
// down, once the person confirmed it.
async function updateAnyway(c) {
  const name = c.container_name;
  const version = offeredName(c);
  const created = parseTime(c.offered_created);
  const untilT = parseTime(c.cooldown_until);
  const ok = await confirmAction(`Update ${name} before the cooldown ends?`, [
    el('p', {
      text: `${version} ${created ? 'was released ' + ago(created) + ' and ' : ''}is cooling down${untilT ? ' until ' + stamp(untilT) : ''}. ` +
        'The wait gives a bad or compromised release time to be noticed and withdrawn before it runs here.',
    }),
    el('p', { text: `Update ${name} to ${version} now?` }),
  ], 'Update anyway');
  if (ok) await updateOne(c, true);
}

async function updateGroup(g) {
  state.groupErrors.delete(g.image);
  const names = g.containers.map((c) => c.container_name);
  asked(names);
  render();
  const why = await post('/api/groups/update', { image: g.image });
  if (why) {
    names.forEach((n) => state.asked.delete(n));
    state.groupErrors.set(g.image, why);
  }
  render();
}

// changeText says what an update moves a container from and to.
function changeText(c, g) {
  if (c.current_version && c.offered_version && c.offered_version !== c.current_version) {
    return `${c.current_version} → ${c.offered_version}`;
  }
  return `${c.local_digest} → ${c.offered_digest ? short(c.offered_digest) : g.remote_digest}`;
}

// updateOutdated updates every container that has a version ready, after
// showing which ones and which it leaves alone. An image group whose every
// container is taken is one request, so its image is pulled once; the
// others are asked for one by one.
async function updateOutdated() {
  $('bulk-error').textContent = '';
  const { take, leave } = bulkPlan(state.images);
  if (take.length === 0) return;
  const s = take.length === 1 ? '' : 's';
  const body = [
    el('p', { text: `Each container is recreated on its new version and must prove healthy; one that does not is put back as it was.` }),
    el('ul', { class: 'plan', 'data-list': 'take', 'aria-label': 'Containers to update' },
      ...take.map(({ g, c }) => el('li', { 'data-name': c.container_name },
        el('strong', { text: c.container_name }), ' ',
        el('span', { class: 'mono', text: changeText(c, g) }), ' ',
        el('span', { class: 'muted', text: g.image })))),
  ];
  if (leave.length > 0) {
    body.push(
      el('p', { text: `Left alone: ${leave.length}` }),
      el('ul', { class: 'plan', 'data-list': 'leave', 'aria-label': 'Containers left alone' },
        ...leave.map(({ c, why }) => el('li', { 'data-name': c.container_name }, el('strong', { text: c.container_name }), ': ' + why))));
  }
  if (!await confirmAction(`Update ${take.length} outdated container${s}?`, body, `Update ${take.length} container${s}`)) return;

  const byImage = new Map();
  for (const t of take) {
    if (!byImage.has(t.g.image)) byImage.set(t.g.image, { g: t.g, cs: [] });
    byImage.get(t.g.image).cs.push(t.c);
  }
  const jobs = [];
  for (const { g, cs } of byImage.values()) {
    if (cs.length > 1 && cs.length === g.containers.length) {
      jobs.push({ names: cs.map((c) => c.container_name), path: '/api/groups/update', body: { image: g.image } });
    } else {
      for (const c of cs) jobs.push({ names: [c.container_name], path: `/api/images/${encodeURIComponent(c.container_id)}/update` });
    }
  }
  asked(take.map((t) => t.c.container_name));
  render();
  let failed = 0;
  // A few requests at a time: each answers at once, the updates run in
  // cutover.
  const queue = [...jobs];
  await Promise.all(Array.from({ length: Math.min(4, queue.length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) {
      const why = await post(job.path, job.body);
      if (!why) continue;
      for (const n of job.names) {
        failed++;
        state.asked.delete(n);
        state.errors.set(n, why);
      }
    }
  }));
  if (failed > 0) $('bulk-error').textContent = `${failed} of ${take.length} updates could not be started; each one says why.`;
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
  if (li) li.querySelector('p.error').textContent = errorText(c);
}

// skipOrNot skips the offered version (POST) or takes the skip back
// (DELETE).
async function skipOrNot(method, c, button) {
  const name = c.container_name;
  const what = method === 'POST' ? 'skip this version' : c.skipped ? 'undo the skip' : 'release the version';
  button.disabled = true;
  state.errors.delete(name);
  try {
    const res = await api(method, `/api/images/${encodeURIComponent(c.container_id)}/skip`);
    if (res.ok) {
      await reload();
      return;
    }
    state.errors.set(name, explain(res, what));
  } catch (e) {
    state.errors.set(name, failure(e, what));
  }
  render();
}

// setView changes the filter or the search, and keeps it in the address.
function setView(change) {
  state.view = { ...state.view, ...change };
  writeView(state.view);
  render();
}

export const handlers = {
  updateOne: (c) => updateOne(c, false),
  updateAnyway,
  updateGroup,
  updateOutdated,
  toggleAuto,
  skip: (c, b) => skipOrNot('POST', c, b),
  unskip: (c, b) => skipOrNot('DELETE', c, b),
  setView,
};
