// Talking to cutover: requests, and failures put into words.

// Unreachable is a request that got no answer at all.
export class Unreachable extends Error {}

let sessionEnded = () => {};

// onSessionEnded sets what happens when cutover answers 401.
export function onSessionEnded(fn) {
  sessionEnded = fn;
}

// api sends a request and returns the answer, JSON decoded when it is JSON.
export async function api(method, path, body) {
  const opts = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    opts.headers['Content-Type'] = 'application/json';
    opts.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, opts);
  } catch (e) {
    throw new Unreachable('Cannot reach cutover. Check that it is still running, then try again.');
  }
  const text = await res.text();
  let data = null;
  if ((res.headers.get('Content-Type') || '').startsWith('application/json')) {
    try { data = JSON.parse(text); } catch (e) { data = null; }
  }
  if (res.status === 401 && path !== '/api/login') {
    sessionEnded('Your session has ended. Log in again.');
  }
  return { ok: res.ok, status: res.status, data, text: text.trim(), headers: res.headers };
}

// explain turns a failed answer into words for the person at the screen.
export function explain(res, what) {
  // Most of the dashboard's errors are plain text; some newer ones are
  // JSON with the words in "error".
  const t = res.data && typeof res.data.error === 'string' ? res.data.error : res.text;
  switch (res.status) {
    case 401: return 'Your session has ended. Log in again.';
    case 403: return 'cutover refused a request that did not come from this page. Reload the page and try again.';
    case 404:
      if (t === 'container not found') return 'This container is no longer running or was replaced. The list will refresh by itself.';
      if (t === 'image not found') return 'No running container uses this image any more.';
      break;
    case 429: return t.replace(/^too many failed logins: /, 'Too many failed attempts: ') + '.';
  }
  if (t) return `Could not ${what}: ${t}`;
  return `Could not ${what} (cutover answered ${res.status}).`;
}

// failure explains an exception thrown while doing what.
export function failure(e, what) {
  if (e instanceof Unreachable) return e.message;
  return `Could not ${what}: ${e.message || e}`;
}
