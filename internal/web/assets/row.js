// One container's row: its name and state; what it runs and what it is
// offered, versions first and digests second; why an offered version
// waits; and its switch and buttons. Every field beyond Image Watch's may be
// missing (an older cutover): the row then shows the digests alone.

import { el, badge, safeLink } from './dom.js';
import { state, busy } from './state.js';
import { coolingUntil } from './fleet.js';
import { fillProgress } from './progress.js';
import { ago, until, stamp, parseTime } from './time.js';

// What the buttons and switches do; set by the page once.
export const actions = {
  updateOne() {}, updateAnyway() {}, updateGroup() {}, toggleAuto() {}, skip() {}, unskip() {}, setView() {},
};

export function setActions(a) {
  Object.assign(actions, a);
}

// short cuts a digest as the API does for its own digests.
export function short(d) {
  return d ? d.slice(0, 17) : '';
}

// offeredDigest is the digest the container would move to, or "".
function offeredDigest(c, g) {
  if (c.offered_digest) return short(c.offered_digest);
  if (c.status === 'outdated' && g.remote_digest && g.remote_digest !== 'unknown') return g.remote_digest;
  return '';
}

// offeredName names the offered version for a sentence.
export function offeredName(c) {
  return c.offered_version || short(c.offered_digest) || 'the new version';
}

function versions(c, g) {
  const box = el('div', { class: 'c-versions' });
  const cur = c.current_version;
  const next = c.offered_version && c.offered_version !== cur ? c.offered_version : '';
  if (cur || next) {
    box.append(el('div', { class: 'c-version' },
      cur ? el('span', { class: 'version current', title: 'Version running', text: cur }) : null,
      next ? ' → ' : null,
      next ? el('span', { class: 'version offered', title: 'Version offered' + (c.offered_reference ? ': ' + c.offered_reference : ''), text: next }) : null,
      c.policy && c.policy !== 'digest' ? el('span', { class: 'policy', title: `Version policy: the highest ${c.policy} release`, text: c.policy }) : null));
  }
  const to = offeredDigest(c, g);
  box.append(el('div', { class: 'c-digests' },
    'running ', el('span', { class: 'digest', title: 'Digest running', text: c.local_digest }),
    to && to !== c.local_digest ? ' → ' : null,
    to && to !== c.local_digest ? el('span', { class: 'digest offered', title: 'Digest offered', text: to }) : null));
  const created = parseTime(c.offered_created);
  const link = safeLink(c.release_url);
  if ((next || (to && to !== c.local_digest)) && (created || link)) {
    box.append(el('div', { class: 'c-changed' },
      created ? el('span', { class: 'released', title: stamp(created), text: 'released ' + ago(created) }) : null,
      link ? el('a', {
        class: 'release', href: link, target: '_blank', rel: 'noopener noreferrer',
        'aria-label': `Release notes of ${offeredName(c)} (opens in a new tab)`, text: 'Release notes',
      }) : null));
  }
  return box;
}

// note says why an offered version is not applied, or what the container's
// policy made of it; null when there is nothing to say.
function note(c, g, cooling) {
  let kind = '';
  let text = '';
  if (c.pinned) {
    kind = 'pinned';
    const moved = offeredDigest(c, g);
    if (c.offered_version && c.offered_version !== c.current_version) {
      text = `pinned; ${c.offered_version} is out. Update moves to it and pins it.`;
    } else if (moved && moved !== c.local_digest) {
      text = `pinned; the tag has moved to ${moved}. Update re-pins it.`;
    } else {
      text = 'pinned to its digest; the tag has not moved.';
    }
  } else if (cooling) {
    kind = 'cooling';
    text = `${offeredName(c)} is cooling down until ${stamp(cooling)} (${until(cooling)}).`;
  } else if (c.skipped) {
    kind = 'skipped';
    const by = /^skipped by (.+)$/.exec(c.held_reason || '');
    text = `Skipped ${offeredName(c)}${by ? ' by ' + by[1] : ''}: it is not applied until a newer version appears.`;
  } else if (c.held) {
    kind = 'held';
    text = `Held ${offeredName(c)}${c.held_reason ? ': ' + c.held_reason : ''}. Update applies it anyway.`;
  } else if (c.reason) {
    kind = 'reason';
    text = c.reason;
  }
  return kind ? el('p', { class: 'c-note', 'data-note': kind, text }) : null;
}

// flag is a second badge for what keeps an offered version back.
function flag(c, cooling) {
  const f = c.pinned ? ['pinned', 'Pinned'] : cooling ? ['cooling', 'Cooling down'] : c.skipped ? ['skipped', 'Skipped'] : c.held ? ['held', 'Held'] : null;
  return f ? el('span', { class: 'badge flag ' + f[0], 'data-flag': f[0], text: f[1] }) : null;
}

function buttons(c, cooling) {
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
  const version = offeredName(c);
  let skip = null;
  if (c.skipped) {
    skip = el('button', {
      type: 'button', class: 'unskip', 'data-key': 'unskip:' + name,
      'aria-label': `Undo skip of ${version} on ${name}`, title: 'Offer this version again',
      onclick: (ev) => actions.unskip(c, ev.target), text: 'Undo skip',
    });
  } else if (c.held) {
    // A hold after a rollback is released the same way as a skip.
    skip = el('button', {
      type: 'button', class: 'unskip', 'data-key': 'unskip:' + name,
      'aria-label': `Release ${version} on ${name}`, title: 'Let passes apply this version again',
      onclick: (ev) => actions.unskip(c, ev.target), text: 'Release',
    });
  } else if ((c.offered_version || c.offered_digest) && !c.pinned && (c.status === 'outdated' || cooling)) {
    skip = el('button', {
      type: 'button', class: 'skip', 'data-key': 'skip:' + name,
      'aria-label': `Skip ${version} on ${name}`, title: 'Do not apply this version; a newer one will be offered',
      onclick: (ev) => actions.skip(c, ev.target), text: 'Skip',
    });
  }
  const ready = c.status === 'outdated' && !cooling && !c.skipped && !c.held && !c.pinned;
  const update = el('button', {
    type: 'button',
    class: ready ? 'primary update' : 'update',
    'data-key': 'update:' + name,
    'aria-label': (cooling ? 'Update anyway: ' : 'Update ') + name,
    title: c.pinned ? 'Re-pin to the digest the tag names now' : null,
    disabled: busy(name),
    onclick: () => (cooling ? actions.updateAnyway(c) : actions.updateOne(c)),
    text: cooling ? 'Update anyway' : 'Update',
  });
  return el('div', { class: 'c-actions' },
    el('label', { class: 'switch', title: 'When on, periodic passes update this container by themselves' }, sw, 'Auto-update'),
    skip, update);
}

// errorText is what went wrong last: here, or as the API remembers it.
export function errorText(c) {
  return state.errors.get(c.container_name) || (c.error ? 'Last update failed: ' + c.error : '');
}

export function renderContainer(c, g) {
  const name = c.container_name;
  const cooling = coolingUntil(c);
  const li = el('li', { class: 'container', 'data-name': name, 'data-id': c.container_id },
    el('div', { class: 'c-who' },
      el('div', {},
        el('span', { class: 'c-name', text: name }),
        c.kind === 'service' ? el('span', { class: 'c-kind', title: 'A Swarm service: Swarm replaces its tasks', text: 'service' }) : null),
      el('span', { class: 'c-sub' },
        c.state ? el('span', { class: 'c-state', 'data-state': c.state, text: c.state }) : null,
        el('span', { class: 'c-id', title: c.kind === 'service' ? 'Service id' : 'Container id', text: c.container_id }))),
    versions(c, g),
    el('div', { class: 'c-status' }, badge(c.status), flag(c, cooling)),
    buttons(c, cooling),
    note(c, g, cooling),
    el('div', { class: 'progress', hidden: true }, el('progress', { max: '100', 'aria-label': 'Update of ' + name }), el('span', { class: 'p-text' })),
    // Only an error of this page is announced: the one the API remembers
    // would be read out again at every refresh.
    el('p', { class: 'error', role: state.errors.has(name) ? 'alert' : null, text: errorText(c) }),
  );
  fillProgress(li, name);
  return li;
}
