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
    const goal = (x) => `${x.comparator} ${fmtNum(x.value)}${x.unit === 'percent' ? '%' : ''}`;
    const name = (x) => pick(x.indicator, 'name') || x.indicator.code;
    // One section per target, its units' table folded: a province's plan has a dozen targets with a
    // row per unit below each (130 communes for Nghe An after the reform), which unfolded made a page
    // of ~70,000 px. The summary table first answers "how are we doing" on one screen; a row's link
    // opens and scrolls to its target. Printing unfolds every table (the print style sheet).
    const sections = d.targets.map((x) => {
      const units = x.units || [];
      const tally = {};
      for (const u of units) tally[u.status] = (tally[u.status] || 0) + 1;
      const folded = units.length ? h('details', { class: 'units' },
        h('summary', {}, t('plans.units', { n: fmtNum(units.length) }), ' — ',
          Object.entries(tally).map(([st, n]) => `${t(`status.${st}`)} ${fmtNum(n)}`).join(' · ')),
        table({ filename: `indicators-${plan.code}-${x.indicator.code}`.replace(/[^\w-]/g, '_'), columns: [
          { label: t('common.orgunit'), value: (u) => (u.orgunit.kind !== 'commune' && (!unit || u.orgunit.id !== unit.id)
            ? h('a', { href: href('plans', { plan: plan.code, ou: u.orgunit.id, period: query.period }) }, u.orgunit.name) : u.orgunit.name), text: (u) => u.orgunit.name },
          { label: t('plans.value'), num: true, value: (u) => (u.value === null || u.value === undefined ? '—' : fmtNum(u.value, 1)) },
          { label: t('plans.status'), value: (u) => statusBadge(u.status), text: (u) => t(`status.${u.status}`) },
          { label: t('plans.measures'), value: (u) => Object.entries(u.measures || {}).map(([k, v]) => `${k}: ${fmtNum(v, 2)}`).join(', ') },
          { label: t('plans.reason'), value: (u) => u.reason || '' }], rows: units })) : null;
      const el = section(`${name(x)} (${goal(x)})`,
        x.statement ? h('p', { class: 'muted small' }, x.statement) : null,
        h('p', {}, t('plans.period_line', { name: x.period ? x.period.name : '', from: fmtDate(x.period && x.period.from), to: fmtDate(x.period && x.period.to), on: fmtDate(x.period && x.period.measured_on) }),
          ' · ', statusBadge(x.status), x.result !== null && x.result !== undefined ? ` ${fmtNum(x.result, 1)}` : '', x.reason ? ` — ${x.reason}` : ''),
        folded);
      el.classList.add('target');
      return { x, el, folded };
    });
    // the router owns location.hash, so the summary's links scroll by hand instead of #anchors
    const open = (s) => (ev) => { ev.preventDefault(); if (s.folded) s.folded.open = true; s.el.scrollIntoView({ block: 'start' }); };
    const summary = section(t('plans.summary'), table({ filename: `targets-${plan.code}`.replace(/[^\w-]/g, '_'), className: 'summary', columns: [
      { label: t('plans.indicator'), value: (s) => h('a', { href: '#', onclick: open(s) }, name(s.x)), text: (s) => name(s.x) },
      { label: t('plans.target'), value: (s) => goal(s.x) },
      { label: t('plans.value'), num: true, value: (s) => (s.x.result === null || s.x.result === undefined ? '—' : fmtNum(s.x.result, 1)) },
      { label: t('plans.status'), value: (s) => statusBadge(s.x.status), text: (s) => t(`status.${s.x.status}`) },
      { label: t('plans.period'), value: (s) => (s.x.period ? s.x.period.name : '') }], rows: sections }));
    return [summary, ...sections.map((s) => s.el)];
  }));
}
