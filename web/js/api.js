// api.js: the one way pages talk to the server. Same origin, cookie session (the auth contract:
// docs/api.md, /work AUTH_CONTRACT), X-CSRF-Token on every write, errors as ApiError carrying the
// server's {"error":{"code","message","field"}} so that forms can put them next to the field.

export class ApiError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || (status === 0 ? 'network' : 'http');
    this.field = e.field || null;
    this.body = body;
  }
}

let csrf = null;          // from login or /auth/me; sent on POST/PUT/PATCH/DELETE
const listeners = new Set(); // called with (ApiError) on 401, so the app can show the sign-in page

export function setCsrf(token) { csrf = token || null; }
export function onUnauthenticated(fn) { listeners.add(fn); }

// qs({a: 1, b: null}) -> "a=1": null/undefined/'' values are left out.
export function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {}))
    if (v !== null && v !== undefined && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? '?' + s : '';
}

export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  if (opts.ifMatch) headers['If-Match'] = `"${opts.ifMatch}"`;
  if (opts.signal) init.signal = opts.signal;
  let resp;
  try {
    resp = await fetch('/api/v1' + path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, { error: { code: 'network', message: String(e) } });
  }
  if (resp.status === 204) return null;
  let data = null;
  const text = await resp.text();
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!resp.ok) {
    const err = new ApiError(resp.status, data);
    if (resp.status === 401 && !opts.quiet) listeners.forEach((fn) => fn(err));
    throw err;
  }
  return data;
}

export const get = (path, params, opts) => request('GET', path + qs(params), undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);
export const put = (path, body, opts) => request('PUT', path, body, opts);
export const del = (path, opts) => request('DELETE', path, undefined, opts);

// Metadata every page needs, fetched once per load.
let enumsP = null, schemaP = null;
export function enums() { return (enumsP ||= get('/enums').then((d) => d.enums)); }
export function schema() {
  return (schemaP ||= get('/schema').then((d) => {
    const m = {};
    for (const e of d.entities) m[e.name] = e;
    return m;
  }));
}
