// session.js: who is signed in, under the auth contract: GET /api/v1/auth/me on start, POST
// /auth/login and /auth/logout. A server without those routes (404: sign-in not built into it)
// runs the UI open, as the API itself then is, and says so.
import * as api from './api.js';

export const state = {
  user: null,     // {id, username, role, orgunit: {id, code, name}}
  auth: 'unknown', // 'on' (server has sign-in), 'off' (no auth routes), 'unknown'
  root: null,     // the org unit the pages start from: the user's, or the nation without sign-in
};

function accept(d) {
  state.user = d.user;
  state.auth = 'on';
  api.setCsrf(d.csrf_token);
  state.root = d.user.orgunit.id;
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
export const writesOperations = writesPersons;
