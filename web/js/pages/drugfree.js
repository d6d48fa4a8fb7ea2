// pages/drugfree.js: the drug-free evaluation of an org unit on a date (GET /api/v1/drug-free):
// roll-ups per unit below (each a drill-down), each commune's result and criteria, and for a
// failing commune the persons and the exact reasons, each a link to the person.
import * as api from '../api.js';
import { h, newId } from '../dom.js';
import { t, pick, fmtDate, fmtNum, fmtPct, todayIso, parseDate, enumLabel, errorText } from '../i18n.js';
import { pageOu, section, slot, passMark, passText } from '../page.js';
import { picker } from '../ou.js';
import { table } from '../table.js';
import { href, go } from '../router.js';
import { seesPersons } from '../session.js';

export async function render(main, { query, state }) {
  const unit = await pageOu(query, state);
  const date = parseDate(query.date || '') || todayIso();
  main.append(h('h1', {}, t('df.title')));
  const dateId = newId('d');
  const dateIn = h('input', { id: dateId, type: 'text', inputmode: 'numeric', value: fmtDate(date), class: 'date' });
  const err = h('p', { class: 'field-error', role: 'alert' });
  const pick_ = await picker({ root: state.root, value: unit.id, label: t('common.orgunit') });
  const form = h('form', { class: 'filters no-print' }, pick_,
    h('div', { class: 'field' }, h('label', { for: dateId }, t('df.date')), dateIn, err),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('common.show'))));
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const d = parseDate(dateIn.value);
    if (!d) { err.textContent = t('err.date'); dateIn.setAttribute('aria-invalid', 'true'); dateIn.focus(); return; }
    go('drug-free', { ou: pick_.value().id, date: d });
  });
  main.append(form);
  const enums = await api.enums();
  main.append(slot(async () => {
    let df;
    try {
      df = await api.get('/drug-free', { orgunit: unit.id, date, names: seesPersons() ? 1 : 0 });
    } catch (e) {
      if (e.field === 'date') { err.textContent = errorText(e); dateIn.setAttribute('aria-invalid', 'true'); }
      throw e;
    }
    const s = df.summary;
    const out = [h('p', { class: 'big', id: 'df-summary' }, t('df.summary', {
      name: df.orgunit.name, date: fmtDate(df.date), n: fmtNum(s.drug_free), of: fmtNum(s.communes), pct: fmtPct(s.share) }))];
    if (df.units.length)
      out.push(section(t('df.units'), table({ filename: `drug-free-units-${df.orgunit.code}`, columns: [
        { label: t('common.orgunit'), value: (u) => h('a', { href: href('drug-free', { ou: u.id, date }) }, u.name), text: (u) => u.name },
        { label: t('df.communes'), num: true, value: (u) => fmtNum(u.communes) },
        { label: t('df.drug_free'), num: true, value: (u) => fmtNum(u.drug_free) },
        { label: t('df.share'), num: true, value: (u) => fmtPct(u.share) }], rows: df.units })));
    out.push(section(t('df.communes_title', { n: df.communes.length }), table({
      filename: `drug-free-${df.orgunit.code}-${df.date}`, className: 'communes', columns: [
        { label: t('common.commune'), key: 'name' },
        { label: t('common.result'), value: (c) => passMark(c.drug_free), text: (c) => passText(c.drug_free) },
        ...[1, 2, 3].map((k) => ({ label: t(`df.c${k}.short`), value: (c) => passMark(c.criteria[k - 1].pass), text: (c) => passText(c.criteria[k - 1].pass) })),
        { label: t('df.failures'), value: (c) => (c.failures.length ? failures(c, enums) : ''),
          text: (c) => c.failures.map((f) => `${f.full_name || ''} ${pick(f, 'reason')}`.trim()).join('; ') }],
      rows: df.communes })));
    return out;
  }));
}

function failures(c, enums) {
  return h('details', { class: 'failures' }, h('summary', {}, t('df.n_failures', { n: c.failures.length })),
    h('ul', {}, c.failures.map((f) => h('li', {},
      h('span', { class: 'crit' }, `${t('df.criterion')} ${f.criterion}: `),
      f.person_id ? h('a', { href: href(`persons/${f.person_id}`) }, f.full_name || `#${f.person_id}`) : null,
      f.person_id && f.classification ? ` (${enumLabel(enums, 'classification', f.classification)})` : '',
      f.person_id ? ' — ' : '', pick(f, 'reason')))));
}
