// pages/classification.js: communes classified under Decision 28/2025/QĐ-TTg (GET
// /api/v1/classification): type I, II, III or none per commune, each criterion's value against its
// threshold, and a mark on every result that rests on a threshold not confirmed in the official text.
import * as api from '../api.js';
import { h, newId } from '../dom.js';
import { t, pick, fmtNum, errorText } from '../i18n.js';
import { pageOu, section, slot } from '../page.js';
import { picker } from '../ou.js';
import { table } from '../table.js';
import { href, go } from '../router.js';

const CRITS = ['users_addicts_pct', 'places', 'arrests_pct', 'plants', 'route'];

function critValue(c) {
  const v = c.values || {};
  switch (c.criterion) {
  case 'users_addicts_pct': return v.percent === undefined ? '—' : `${fmtNum(v.persons)} (${fmtNum(v.percent, 2)}%)`;
  case 'arrests_pct': return v.percent === undefined ? '—' : `${fmtNum(v.arrested)} (${fmtNum(v.percent, 2)}%)`;
  case 'places': return fmtNum(v.places);
  case 'plants': return `${fmtNum(v.plants)} / ${fmtNum(v.area_m2)} m²`;
  case 'route': return v.on_complex_route ? t('common.yes') : t('common.no');
  default: return '';
  }
}

export async function render(main, { query, state }) {
  const unit = await pageOu(query, state);
  const thisYear = new Date().getFullYear();
  const year = +query.year || thisYear;
  main.append(h('h1', {}, t('cls.title')), h('p', { class: 'muted' }, t('cls.basis')));
  const yid = newId('y');
  const yearSel = h('select', { id: yid }, Array.from({ length: thisYear - 2024 }, (_, i) => thisYear - i)
    .map((y) => h('option', { value: y, selected: y === year }, String(y))));
  const p = await picker({ root: state.root, value: unit.id });
  const form = h('form', { class: 'filters no-print' }, p,
    h('div', { class: 'field' }, h('label', { for: yid }, t('cls.year')), yearSel),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('common.show'))));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go('classification', { ou: p.value().id, year: yearSel.value }); });
  main.append(form);
  main.append(slot(async () => {
    let d;
    try { d = await api.get('/classification', { year, orgunit: unit.id }); } catch (e) { throw new Error(errorText(e)); }
    const s = d.summary;
    const out = [h('p', { class: 'big' }, t('cls.summary', { n: fmtNum(s.communes), i: s.type_I, ii: s.type_II, iii: s.type_III, none: s.none })),
      s.unconfirmed ? h('p', { class: 'muted' }, t('cls.unconfirmed', { n: s.unconfirmed })) : null];
    if (d.units && d.units.length)
      out.push(section(t('df.units'), table({ filename: `classification-units-${year}`, columns: [
        { label: t('common.orgunit'), value: (u) => h('a', { href: href('classification', { ou: u.id, year }) }, u.name), text: (u) => u.name },
        { label: t('cls.communes'), num: true, value: (u) => fmtNum(u.communes) },
        ...['I', 'II', 'III'].map((k) => ({ label: t('cls.type', { k }), num: true, value: (u) => fmtNum(u[`type_${k}`]) })),
        { label: t('cls.none'), num: true, value: (u) => fmtNum(u.none) }], rows: d.units })));
    const typeI = (c) => c.types.find((x) => x.type === 'I') || { criteria: [] };
    out.push(section(t('cls.communes_title', { n: d.communes.length }), table({ filename: `classification-${d.orgunit.code}-${year}`, columns: [
      { label: t('common.commune'), key: 'name' },
      { label: t('cls.type_col'), value: (c) => h('span', { class: `ctype ctype-${c.type}` }, c.type === 'none' ? t('cls.none') : t('cls.type', { k: c.type }), c.confirmed ? '' : ' *'),
        text: (c) => (c.type === 'none' ? t('cls.none') : c.type) + (c.confirmed ? '' : ' *') },
      { label: t('cls.population'), num: true, value: (c) => fmtNum(c.population) },
      ...CRITS.map((k) => ({ label: t(`cls.c.${k}`), value: (c) => {
        const cr = typeI(c).criteria.find((x) => x.criterion === k);
        return cr ? h('span', { class: cr.met ? 'fail' : '' }, critValue(cr), cr.met ? ' ●' : '') : '';
      }, text: (c) => { const cr = typeI(c).criteria.find((x) => x.criterion === k); return cr ? critValue(cr) + (cr.met ? ' (I)' : '') : ''; } })),
      { label: t('cls.notes'), value: (c) => (pick({ notes_vi: (c.notes_vi || []).join('; '), notes_en: (c.notes || []).join('; ') }, 'notes')) }],
      rows: d.communes })));
    out.push(h('p', { class: 'muted' }, t('cls.legend')));
    return out;
  }));
}
