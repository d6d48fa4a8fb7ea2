// page.js: what every page shares: the org unit it is about (?ou=ID, else the caller's own), the
// title with that unit, sections, and the loading/error states.
import { h, msg } from './dom.js';
import { t, errorText } from './i18n.js';
import { ou } from './ou.js';

export async function pageOu(query, state) {
  const id = query.ou ? +query.ou : state.root;
  return ou(id);
}

export function section(title, ...body) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...body);
}

// Runs an async filler into a placeholder: "loading" until it answers, the error if it fails.
export function slot(fill, className) {
  const el = h('div', { class: `slot ${className || ''}`, 'aria-busy': 'true' }, h('p', { class: 'muted' }, t('common.loading')));
  Promise.resolve().then(fill).then((content) => {
    el.replaceChildren(...[].concat(content || []));
    el.removeAttribute('aria-busy');
  }).catch((e) => {
    el.replaceChildren(msg('error', errorText(e)));
    el.removeAttribute('aria-busy');
  });
  return el;
}

export const passMark = (ok) => h('span', { class: ok ? 'pass' : 'fail' }, ok ? `✓ ${t('common.pass')}` : `✗ ${t('common.fail')}`);
export const passText = (ok) => (ok ? t('common.pass') : t('common.fail'));
