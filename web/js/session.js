// session.js: who is signed in, under the auth contract: GET /api/v1/auth/me on start, POST
// /auth/login and /auth/logout. A server without those routes (404: sign-in not built into it)
// runs the UI open, as the API itself then is, and says so.
import * as api from './api.js';
import { ouByCode } from './ou.js';

export const state = {
  user: null,     // {id, username, role, orgunit: {id, code, name}}
  auth: 'unknown', // 'on' (server has sign-in), 'off' (no auth routes), 'unknown'
  root: null,     // the org unit the pages start from: the user's, or the nation without sign-in
};

function accept(d) {
  state.user = d.user;
  state.auth = 'on';
  api.setCsrf(d.csrf_token);
  state.root = d.user.orgunit ? d.user.orgunit.id : null;
}

// The unit the pages start from: the user's, else (an admin of everything, or no sign-in) the nation.
export async function ensureRoot() {
  if (state.root) return;
  const vn = await ouByCode('VN').catch(() => null);
  state.root = vn ? vn.id : 1;
}

// 'in' (signed in), 'out' (must sign in), 'open' (server without sign-in), or throws.
export async function check() {
  try {
    accept(await api.get('/auth/me', null, { quiet: true }));
    return 'in';
  } catch (e) {
    if (e.status === 401) { state.auth = 'on'; state.user = null; return 'out'; }
    if (e.status === 404 || e.status === 405) { state.auth = 'off'; return 'open'; }
    throw e;
  }
}

export async function login(username, password) {
  accept(await api.post('/auth/login', { username, password }, { quiet: true }));
  await ensureRoot();
}

export async function logout() {
  try { await api.post('/auth/logout', undefined, { quiet: true }); } finally {
    state.user = null;
    api.setCsrf(null);
  }
}

// Roles that may read person-level records (the contract: viewers see aggregates only).
export const seesPersons = () => !state.user || state.user.role !== 'viewer';
export const writesPersons = () => !state.user || ['admin', 'province', 'district', 'commune'].includes(state.user.role);
export const writesHealth = () => writesPersons() || (state.user && state.user.role === 'health');
// Hotspots, cases, plant sites and communication: officers and admins only (read and write).
export const seesOperations = writesPersons;
export const writesOperations = writesPersons;
// The substitution clinic's routes (/mat/*, doses, stock): health workers, officers and admins
// (CARE in src/http/routes.c); never viewers.
export const seesClinic = () => !state.user || ['admin', 'province', 'district', 'commune', 'health'].includes(state.user.role);
