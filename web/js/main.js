// main.js: the application shell: sign-in check, navigation, the language switch, and the route
// table (one module per page, under pages/). Conventions for new pages are in docs/web.md.
import * as api from './api.js';
import { h, msg } from './dom.js';
import { t, setLang, getLang, errorText } from './i18n.js';
import { route, render, go, parseHash } from './router.js';
import { state, check, logout, ensureRoot, seesPersons, seesOperations, seesClinic } from './session.js';

route('', () => import('./pages/home.js'));
route('home', () => import('./pages/home.js'));
route('login', () => import('./pages/login.js'));
route('drug-free', () => import('./pages/drugfree.js'));
route('classification', () => import('./pages/classification.js'));
route('persons', () => import('./pages/persons.js'));
route('persons/new', () => import('./pages/person.js'));
route('persons/:id', () => import('./pages/person.js'));
route('operations', () => import('./pages/operations.js'));
route('plans', () => import('./pages/plans.js'));
route('clinic', () => import('./pages/clinic.js'));

const NAV = [
  ['home', 'nav.home'], ['drug-free', 'nav.drugfree'], ['classification', 'nav.classification'],
  ['persons', 'nav.persons'], ['operations', 'nav.operations'], ['plans', 'nav.plans'],
  ['clinic', 'nav.clinic'],
];

function drawChrome() {
  document.title = `pcmt — ${t('app.title')}`;
  document.querySelector('.skip').textContent = t('app.skip');
  const nav = document.getElementById('nav');
  const page = parseHash().path.split('/')[0] || 'home';
  nav.setAttribute('aria-label', t('nav.label'));
  nav.replaceChildren(...(state.user || state.auth === 'off' ? NAV : [])
    .filter(([p]) => (p !== 'persons' || seesPersons()) && (p !== 'operations' || seesOperations()) && (p !== 'clinic' || seesClinic()))
    .map(([p, key]) => h('a', { href: `#/${p}`, 'aria-current': p === page ? 'page' : null }, t(key))));
  const who = document.getElementById('who');
  who.textContent = state.user ? [state.user.username, state.user.orgunit && state.user.orgunit.name].filter(Boolean).join(' · ') : '';
  const lang = document.getElementById('lang');
  lang.textContent = getLang() === 'vi' ? 'English' : 'Tiếng Việt';
  lang.lang = getLang() === 'vi' ? 'en' : 'vi';
  lang.setAttribute('aria-label', getLang() === 'vi' ? 'Switch to English' : 'Chuyển sang tiếng Việt');
  const out = document.getElementById('logout');
  out.hidden = !state.user;
  out.textContent = t('nav.logout');
  const notice = document.getElementById('notice');
  notice.replaceChildren(state.auth === 'off' ? msg('warn', t('login.unavailable')) : '');
}

async function show() {
  drawChrome();
  const { path } = parseHash();
  if (state.auth === 'on' && !state.user && path !== 'login') { go('login', { next: location.hash.slice(1) }, true); return; }
  await render({ state });
  drawChrome();
  // Move focus to the new page for keyboard and screen-reader users, unless the person is
  // already working inside it (typing in the search box while results load).
  const main = document.getElementById('main');
  if (!main.contains(document.activeElement)) main.focus({ preventScroll: true });
}

async function start() {
  setLang(getLang());
  api.onUnauthenticated(() => { state.user = null; if (parseHash().path !== 'login') go('login', { next: location.hash.slice(1) }); });
  document.getElementById('lang').addEventListener('click', () => { setLang(getLang() === 'vi' ? 'en' : 'vi'); show(); });
  document.getElementById('logout').addEventListener('click', async () => { await logout(); go('login'); });
  window.addEventListener('hashchange', show);
  window.addEventListener('pcmt:signed-in', () => { drawChrome(); });
  try {
    // Without sign-in on the server, or for an admin of everything, pages start from the nation;
    // ?ou= in any page narrows it.
    if (await check() !== 'out') await ensureRoot();
  } catch (e) {
    document.getElementById('main').replaceChildren(msg('error', errorText(e)));
    return;
  }
  await show();
}

start();

// Printing shows the folded lists too.
window.addEventListener('beforeprint', () => document.querySelectorAll('details').forEach((d) => { d.open = true; }));
