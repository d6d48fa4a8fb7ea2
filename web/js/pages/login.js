// pages/login.js: sign in (auth contract: POST /api/v1/auth/login; the session is an HttpOnly
// cookie, the CSRF token stays in memory). Wrong credentials and throttling are said plainly; a
// server without sign-in says so and lets the person go on.
import { h, msg, newId } from '../dom.js';
import { t, errorText } from '../i18n.js';
import { login, state } from '../session.js';

export async function render(main, { query }) {
  main.append(h('h1', {}, t('login.title')));
  if (state.auth === 'off') {
    main.append(msg('warn', t('login.unavailable')), h('p', {}, h('a', { href: '#/' }, t('login.continue'))));
    return;
  }
  const uid = newId('u'), pid = newId('p');
  const user = h('input', { id: uid, name: 'username', autocomplete: 'username', required: true });
  const pass = h('input', { id: pid, name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', { role: 'alert', class: 'form-error' });
  const btn = h('button', { type: 'submit', class: 'primary' }, t('login.submit'));
  const form = h('form', { class: 'login', novalidate: true },
    h('div', { class: 'field' }, h('label', { for: uid }, t('login.username')), user),
    h('div', { class: 'field' }, h('label', { for: pid }, t('login.password')), pass),
    out, h('div', { class: 'actions' }, btn));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    out.textContent = '';
    if (!user.value.trim() || !pass.value) { out.textContent = t('login.missing'); return; }
    btn.disabled = true;
    try {
      await login(user.value.trim(), pass.value);
      window.dispatchEvent(new Event('pcmt:signed-in'));
      const next = query.next && !query.next.startsWith('/login') ? query.next : '/';
      location.hash = '#' + (next.startsWith('/') ? next : '/' + next);
    } catch (e) {
      pass.value = '';
      if (e.status === 401) out.textContent = t('login.wrong');
      else if (e.status === 429) out.textContent = t('login.throttled');
      else if (e.status === 404) out.textContent = t('login.unavailable');
      else out.textContent = errorText(e);
      pass.focus();
    } finally {
      btn.disabled = false;
    }
  });
  main.append(form);
  user.focus();
}
