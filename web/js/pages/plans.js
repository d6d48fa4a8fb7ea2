// pages/plans.js: plans, their targets and the indicator values by period, with drill-down:
// each unit below the root (a province's districts, a district's communes) opens the same view
// one level down (GET /api/v1/indicators?plan=&orgunit=&period=).
import * as api from '../api.js';
import { h, newId } from '../dom.js';
import { t, pick, fmtDate, fmtNum, errorText, getLang } from '../i18n.js';
import { pageOu, section, slot } from '../page.js';
import { ancestors } from '../ou.js';
import { table } from '../table.js';
import { href, go } from '../router.js';
import { statusBadge } from './home.js';

export async function render(main, { query, state }) {
  const unit = query.ou ? await pageOu(query, state) : null;
  const plans = (await api.get('/plans', { limit: 200 })).items;
  main.append(h('h1', {}, t('plans.title')));
  const pid = newId('p'), perid = newId('per');
  const planSel = h('select', { id: pid }, plans.map((p) => h('option', { value: p.code, selected: p.code === query.plan }, `${p.code} — ${p.title}`)));
  const period = h('input', { id: perid, type: 'text', value: query.period || '', placeholder: '2025, 2025-Q2, 2025-06, plan' });
  const form = h('form', { class: 'filters no-print' },
    h('div', { class: 'field wide' }, h('label', { for: pid }, t('plans.plan')), planSel),
    h('div', { class: 'field' }, h('label', { for: perid }, t('plans.period')), period),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary' }, t('common.show'))));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); go('plans', { plan: planSel.value, ou: query.ou, period: period.value.trim() }); });
  main.append(form);
  const plan = plans.find((p) => p.code === query.plan) || plans[0];
  if (!plan) { main.append(h('p', { class: 'muted' }, t('home.no_plans'))); return; }
  main.append(h('p', {}, plan.title, ' · ', fmtDate(plan.period_from), ' – ', fmtDate(plan.period_to)),
    plan.source ? h('p', { class: 'muted small' }, plan.source) : null);
  // The plan's report, written by the server (GET /api/v1/reports: xlsx, PDF), for this unit and period.
  const rep = (format) => '/api/v1/reports' + api.qs({ plan: plan.code, format, orgunit: unit ? unit.id : null,
    period: query.period, lang: getLang() });
  main.append(h('p', { class: 'toolbar no-print' }, t('plans.report'),
    h('a', { class: 'button', href: rep('xlsx'), download: '' }, 'Excel (xlsx)'),
    h('a', { class: 'button', href: rep('pdf'), download: '' }, 'PDF')));
  if (unit) {
    const chain = await ancestors(unit.id);
    main.append(h('nav', { class: 'crumbs', 'aria-label': t('plans.crumbs') }, chain.map((u, i) => [i ? ' › ' : '',
      h('a', { href: href('plans', { plan: plan.code, ou: u.id, period: query.period }) }, u.name)])));
  }
  main.append(slot(async () => {
    let d;
    try { d = await api.get('/indicators', { plan: plan.code, orgunit: unit ? unit.id : null, period: query.period }); }
    catch (e) { throw new Error(errorText(e)); }
    return d.targets.map((x) => section(`${pick(x.indicator, 'name') || x.indicator.code} (${x.comparator} ${fmtNum(x.value)}${x.unit === 'percent' ? '%' : ''})`,
      x.statement ? h('p', { class: 'muted small' }, x.statement) : null,
      h('p', {}, t('plans.period_line', { name: x.period ? x.period.name : '', from: fmtDate(x.period && x.period.from), to: fmtDate(x.period && x.period.to), on: fmtDate(x.period && x.period.measured_on) }),
        ' · ', statusBadge(x.status), x.result !== null && x.result !== undefined ? ` ${fmtNum(x.result, 1)}` : '', x.reason ? ` — ${x.reason}` : ''),
      x.units && x.units.length ? table({ filename: `indicators-${plan.code}-${x.indicator.code}`.replace(/[^\w-]/g, '_'), columns: [
        { label: t('common.orgunit'), value: (u) => (u.orgunit.kind !== 'commune' && (!unit || u.orgunit.id !== unit.id)
          ? h('a', { href: href('plans', { plan: plan.code, ou: u.orgunit.id, period: query.period }) }, u.orgunit.name) : u.orgunit.name), text: (u) => u.orgunit.name },
        { label: t('plans.value'), num: true, value: (u) => (u.value === null || u.value === undefined ? '—' : fmtNum(u.value, 1)) },
        { label: t('plans.status'), value: (u) => statusBadge(u.status), text: (u) => t(`status.${u.status}`) },
        { label: t('plans.measures'), value: (u) => Object.entries(u.measures || {}).map(([k, v]) => `${k}: ${fmtNum(v, 2)}`).join(', ') },
        { label: t('plans.reason'), value: (u) => u.reason || '' }], rows: x.units }) : null));
  }));
}
