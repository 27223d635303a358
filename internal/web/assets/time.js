// Times put into words for people.

const stampFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

// stamp is a date and time in the reader's locale.
export function stamp(t) {
  return stampFormat.format(t);
}

// parseTime reads an RFC 3339 time from the API, or null when there is none
// or it does not parse.
export function parseTime(s) {
  if (!s) return null;
  const t = new Date(s);
  return isNaN(t.getTime()) ? null : t;
}

// ago says how long ago t was.
export function ago(t) {
  const s = Math.max(0, Math.round((Date.now() - t.getTime()) / 1000));
  if (s < 45) return 'just now';
  const m = Math.round(s / 60);
  if (m < 60) return m === 1 ? 'a minute ago' : m + ' minutes ago';
  const h = Math.round(m / 60);
  if (h < 24) return h === 1 ? 'an hour ago' : h + ' hours ago';
  const d = Math.round(h / 24);
  if (d < 31) return d === 1 ? 'yesterday' : d + ' days ago';
  return 'on ' + stamp(t);
}

// until says how long until t.
export function until(t) {
  const m = Math.max(1, Math.round((t.getTime() - Date.now()) / 60000));
  if (m < 60) return m === 1 ? 'in a minute' : 'in ' + m + ' minutes';
  const h = Math.round(m / 60);
  if (h < 48) return h === 1 ? 'in an hour' : 'in ' + h + ' hours';
  return 'in ' + Math.round(h / 24) + ' days';
}
