// Building the page node by node, never from HTML strings, so that no name
// or message from a container can inject markup.

export const $ = (id) => document.getElementById(id);

// el makes an element: attrs are attributes, except class, text (its text)
// and on* (listeners); false, null and undefined attributes are left out.
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
    if (c !== null && c !== undefined && c !== false) e.append(c);
  }
  return e;
}

const statusWords = {
  uptodate: 'Up to date',
  outdated: 'Update available',
  partial: 'Partly updated',
  unknown: 'Unknown',
};

// badge is a status in a pill; data-status keeps the API's word.
export function badge(status, words) {
  return el('span', { class: 'badge ' + status, 'data-status': status, text: (words || statusWords)[status] || status });
}

// safeLink returns url when it is an http(s) address, else "": a link from a
// registry's image label must not run script or open a local file.
export function safeLink(url) {
  if (typeof url !== 'string' || url === '') return '';
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || u.protocol === 'http:' ? u.href : '';
  } catch (e) {
    return '';
  }
}
