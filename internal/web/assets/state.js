// What the page knows, shared by the modules that draw and change it.

export const state = {
  images: [],
  checkedAt: '',
  // Per container name: the latest progress, the last error shown, and
  // whether an update was just asked for (before its first event arrives).
  progress: new Map(),
  errors: new Map(),
  asked: new Set(),
  groupErrors: new Map(),
  // Containers whose last update, seen on this page, failed or was rolled
  // back; the API's "error" says the same after the next refresh.
  failed: new Set(),
  // What the list shows: a status filter and a search, both kept in the
  // page's address.
  view: { status: 'all', q: '', host: '' },
  // Which grouping is shown: 'image' or 'project' (projects.js).
  grouping: 'image',
};

// isFinal reports whether a progress status ends an update.
export function isFinal(status) {
  return status === 'done' || status === 'rolled back' || (status || '').startsWith('error:') || (status || '').startsWith('skipped');
}

// busy reports whether the container's update is under way.
export function busy(name) {
  if (state.asked.has(name)) return true;
  const p = state.progress.get(name);
  return !!p && !isFinal(p.status);
}

// named writes each container's name as people see it when cutover
// watches several engines: ENGINE/NAME, the name the page keys everything
// by and the event stream uses.
export function named(groups) {
  for (const g of groups || []) {
    for (const c of g.containers || []) {
      if (c.host && !c.container_name.startsWith(c.host + '/')) c.container_name = c.host + '/' + c.container_name;
    }
  }
  return groups || [];
}
