// The dashboard's second view: containers grouped by Compose project, from
// /api/projects, with a button that updates a whole project (as one atomic
// unit when the project is marked so). The image view stays as it was; a
// switch in the page chooses between the two, and the choice is kept.

import { api, explain, failure } from './api.js';
import { $, el } from './dom.js';
import { state, busy, named } from './state.js';
import { renderContainer } from './row.js';
import { fillProgress } from './progress.js';
import { render } from './view.js';

const key = 'cutover.view';

// The projects last fetched, and each project's last error.
let projects = [];
const projectErrors = new Map();

export function byProject() {
  return state.grouping === 'project';
}

// initProjects wires the switch, and shows the view chosen last time.
export function initProjects() {
  let chosen = 'image';
  try { chosen = localStorage.getItem(key) || 'image'; } catch (e) { /* storage off */ }
  $('by-image').addEventListener('click', () => choose('image'));
  $('by-project').addEventListener('click', () => choose('project'));
  choose(chosen === 'project' ? 'project' : 'image');
}

function choose(view) {
  state.grouping = view;
  try { localStorage.setItem(key, view); } catch (e) { /* storage off */ }
  $('by-image').setAttribute('aria-pressed', String(view === 'image'));
  $('by-project').setAttribute('aria-pressed', String(view === 'project'));
  // The summary, filter and search are about the image view's list.
  $('groups').hidden = view !== 'image';
  document.querySelector('section.fleet').hidden = view !== 'image';
  $('projects').hidden = view !== 'project';
  if (view === 'project') loadProjects();
  else render();
}

// loadProjects fetches the projects and draws them, when they are shown.
export async function loadProjects() {
  if (!byProject()) return;
  try {
    const res = await api('GET', '/api/projects');
    if (!res.ok) {
      if (res.status !== 401) showError(explain(res, 'load the projects'));
      return;
    }
    projects = named(res.data);
    renderProjects();
  } catch (e) {
    showError(failure(e, 'load the projects'));
  }
}

function showError(msg) {
  $('projects').replaceChildren(el('p', { class: 'error card', role: 'alert', text: msg }));
}

// renderProjects redraws the project view from what was last fetched,
// keeping the focus where it was.
export function renderProjects() {
  if (!byProject()) return;
  const root = $('projects');
  const focused = document.activeElement && document.activeElement.dataset.key;
  const inProjects = new Set(projects.flatMap((p) => p.containers.map((c) => c.container_name)));
  const others = state.images.flatMap((g) => g.containers).filter((c) => !inProjects.has(c.container_name)).length;
  const cards = projects.map(renderProject);
  if (projects.length === 0) {
    cards.push(el('p', { class: 'empty card', text: 'No running container belongs to a Compose project.' }));
  }
  if (others > 0) {
    cards.push(el('p', { class: 'hint others', text: `${others} other container${others === 1 ? '' : 's'} belong${others === 1 ? 's' : ''} to no Compose project: the image view lists ${others === 1 ? 'it' : 'them'}.` }));
  }
  root.replaceChildren(...cards);
  if (focused) {
    const again = root.querySelector(`[data-key="${CSS.escape(focused)}"]`);
    if (again) again.focus();
  }
}

function renderProject(p) {
  const names = p.containers.map((c) => c.container_name);
  const head = el('header', { class: 'group-head' },
    el('h2', { class: 'project', text: p.project }),
    el('span', { class: 'badge ' + p.status, 'data-status': p.status, text: statusWord(p.status) }),
    p.atomic ? el('span', { class: 'chip atomic', title: 'Its containers are updated together: all go forward, or all go back', text: 'Atomic' }) : null,
    el('span', { class: 'spacer' }),
    el('button', {
      type: 'button',
      class: p.status === 'outdated' || p.status === 'partial' ? 'primary project-update' : 'project-update',
      'data-key': 'project:' + p.project,
      disabled: names.some(busy),
      onclick: () => updateProject(p),
      text: p.atomic ? 'Update project as one' : 'Update project',
    }),
    el('p', { class: 'error', role: 'alert', text: projectErrors.get(p.project) || '' }),
  );
  const rows = p.containers.map((c) => {
    // The image view's entry of the container knows its versions.
    const [g, known] = imageOf(c);
    const li = renderContainer(known, g);
    li.querySelector('.c-name').after(el('span', { class: 'c-service', text: c.service }));
    li.querySelector('.c-who').append(el('span', { class: 'c-image', text: c.image }));
    return li;
  });
  return el('article', { class: 'group project card', 'data-project': p.project }, head, el('ul', { class: 'containers' }, ...rows));
}

function imageOf(c) {
  for (const g of state.images) {
    const known = g.containers.find((x) => x.container_name === c.container_name);
    if (known) return [g, known];
  }
  return [{ image: c.image, remote_digest: '', containers: [c] }, c];
}

function statusWord(s) {
  return { uptodate: 'Up to date', outdated: 'Update available', partial: 'Partly updated', unknown: 'Unknown' }[s] || s;
}

async function updateProject(p) {
  projectErrors.delete(p.project);
  for (const c of p.containers) {
    state.errors.delete(c.container_name);
    state.asked.add(c.container_name);
    state.progress.delete(c.container_name);
  }
  renderProjects();
  try {
    const res = await api('POST', `/api/projects/${encodeURIComponent(p.project)}/update`);
    if (!res.ok) {
      p.containers.forEach((c) => state.asked.delete(c.container_name));
      projectErrors.set(p.project, explain(res, 'start the update'));
    }
  } catch (e) {
    p.containers.forEach((c) => state.asked.delete(c.container_name));
    projectErrors.set(p.project, failure(e, 'start the update'));
  }
  renderProjects();
}

// projectProgress refreshes one container's row in the project view.
export function projectProgress(name) {
  if (!byProject()) return;
  const li = $('projects').querySelector(`li.container[data-name="${CSS.escape(name)}"]`);
  if (!li) return;
  fillProgress(li, name);
  li.querySelector('button.update').disabled = busy(name);
  const card = li.closest('article.project');
  const names = [...card.querySelectorAll('li.container')].map((x) => x.dataset.name);
  card.querySelector('button.project-update').disabled = names.some(busy);
}
