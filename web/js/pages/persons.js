// pages/persons.js: find a person. The search runs as one types (after a short pause, the previous
// request cancelled) and is the server's accent- and case-insensitive name search: "nguyen van"
// finds "Nguyễn Văn". Filters: classification held and management record open, today.
import * as api from '../api.js';
import { h, newId, debounce } from '../dom.js';
import { t, fmtDate, fmtNum, enumLabel, errorText } from '../i18n.js';
import { pageOu } from '../page.js';
import { preload, ouName } from '../ou.js';
import { table } from '../table.js';
import { href } from '../router.js';
import { writesPersons } from '../session.js';

export async function render(main, { query, state }) {
  const unit = await pageOu(query, state);
  const enums = await api.enums();
  const qid = newId('q'), cid = newId('c'), rid = newId('r');
  const q = h('input', { id: qid, type: 'search', value: query.q || '', autocomplete: 'off', placeholder: t('persons.placeholder') });
  const cls = h('select', { id: cid }, h('option', { value: '' }, t('persons.any')),
    (enums.classification || []).map((v) => h('option', { value: v.code, selected: v.code === query.classification }, enumLabel(enums, 'classification', v.code))));
  const rec = h('select', { id: rid }, h('option', { value: '' }, t('persons.any')),
    ['open', 'closed', 'none'].map((v) => h('option', { value: v, selected: v === query.record }, t(`persons.record.${v}`))));
  const results = h('div', { id: 'person-results', 'aria-live': 'polite' });
  main.append(h('h1', {}, t('persons.title')), h('p', { class: 'muted' }, t('persons.in', { name: unit.name })),
    h('form', { class: 'filters no-print', role: 'search', onsubmit: (e) => { e.preventDefault(); run(); } },
      h('div', { class: 'field wide' }, h('label', { for: qid }, t('persons.search')), q),
      h('div', { class: 'field' }, h('label', { for: cid }, t('home.classification')), cls),
      h('div', { class: 'field' }, h('label', { for: rid }, t('persons.record')), rec)),
    writesPersons() ? h('p', { class: 'no-print' }, h('a', { class: 'button', href: href('persons/new', { ou: unit.id }) }, t('persons.add'))) : null,
    results);
  const namesP = unit.kind === 'nation' ? Promise.resolve() : preload(unit.id).catch(() => {});
  let ctl = null;
  async function run() {
    if (ctl) ctl.abort();
    ctl = new AbortController();
    const params = { orgunit: unit.id, q: q.value.trim(), classification: cls.value, record: rec.value, limit: 50 };
    history.replaceState(null, '', href('persons', { ou: query.ou, q: params.q, classification: cls.value, record: rec.value }));
    results.setAttribute('aria-busy', 'true');
    try {
      const d = await api.get('/persons', params, { signal: ctl.signal });
      await namesP;
      results.replaceChildren(h('p', { class: 'muted' }, t(d.total_capped ? 'persons.found_many' : 'persons.found', { n: fmtNum(d.total), shown: d.items.length })),
        table({ filename: 'persons', columns: [
          { label: t('persons.name'), value: (p) => h('a', { href: href(`persons/${p.id}`) }, p.full_name), text: (p) => p.full_name },
          { label: t('persons.dob'), value: (p) => fmtDate(p.dob) },
          { label: t('persons.sex'), value: (p) => enumLabel(enums, 'sex', p.sex) },
          { label: t('common.commune'), value: (p) => ouName(p.residence_ou) }], rows: d.items }));
    } catch (e) {
      if (e.name === 'AbortError') return;
      results.replaceChildren(h('p', { class: 'msg error', role: 'alert' }, errorText(e)));
    } finally {
      results.removeAttribute('aria-busy');
    }
  }
  const later = debounce(run, 200);
  q.addEventListener('input', later);
  cls.addEventListener('change', run);
  rec.addEventListener('change', run);
  q.focus();
  run();
  return () => ctl && ctl.abort();
}
