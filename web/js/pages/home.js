// pages/home.js: the dashboard of the caller's org unit: drug-free communes (count, share, the
// list with each criterion), persons under management by classification, what needs doing now
// (tests due, management periods ending, persons failing a criterion) and the current plans'
// targets as charts over time. Every section loads in parallel; the drug-free numbers paint
// first and the moment they do is kept in window.__pcmtFirstPaint for the browser test.
import * as api from '../api.js';
import { h, msg } from '../dom.js';
import { t, pick, fmtDate, fmtNum, fmtPct, todayIso, addDays, enumLabel } from '../i18n.js';
import { pageOu, section, slot, passMark, passText } from '../page.js';
import { ancestors, preload, ouName } from '../ou.js';
import { table } from '../table.js';
import { chart, color } from '../charts.js';
import { href } from '../router.js';
import { seesPersons } from '../session.js';

const CLASSES = ['addict', 'illegal_user', 'post_rehab', 'psychosis'];

export async function render(main, { query, state }) {
  const unit = await pageOu(query, state);
  const date = todayIso();
  const enumsP = api.enums();
  main.append(h('h1', {}, t('home.title', { name: unit.name })),
    h('p', { class: 'muted' }, t('home.as_of', { date: fmtDate(date) })));
  const grid = h('div', { class: 'grid' });
  main.append(grid);
  const dfP = api.get('/drug-free', { orgunit: unit.id, date, details: 1, names: seesPersons() ? 1 : 0 });
  const namesP = unit.kind === 'nation' ? Promise.resolve() : preload(unit.id).catch(() => {});

  grid.append(section(t('home.drugfree'), slot(async () => {
    const df = await dfP;
    const out = drugFreeSummary(df, unit);
    requestAnimationFrame(() => {
      window.__pcmtFirstPaint ??= performance.now();
      main.dataset.ready = 'drugfree';
    });
    return out;
  })));
  if (seesPersons()) {
    grid.append(section(t('home.classes'), slot(() => classes(unit, date, enumsP))));
  }
  if (seesPersons()) {
    const td = section(t('home.todo'), slot(() => todo(unit, date, dfP, namesP, enumsP), 'todo'));
    td.id = 'todo';
    main.append(td);
  }
  const tg = section(t('home.targets'), slot(() => targets(unit, date)));
  const cl = section(t('home.communes'), slot(async () => { const df = await dfP; await namesP; return communeList(df); }));
  tg.id = 'targets';
  cl.id = 'communes';
  main.append(tg, cl);
}

function drugFreeSummary(df, unit) {
  const s = df.summary;
  const out = [h('p', { class: 'big' }, h('strong', {}, fmtNum(s.drug_free)), ` / ${fmtNum(s.communes)} `,
    t('home.communes_word'), ` (${fmtPct(s.share)})`)];
  if (unit.kind === 'commune' && df.communes && df.communes[0]) {
    const c = df.communes[0];
    out.push(h('p', {}, passMark(c.drug_free)),
      h('ul', { class: 'plain' }, c.criteria.map((k) => h('li', {}, `${t(`df.c${k.criterion}`)}: `, passMark(k.pass)))));
  }
  if (df.units && df.units.length) {
    out.push(chart({
      type: 'bar',
      data: {
        labels: df.units.map((u) => u.name),
        datasets: [{ label: t('home.share_drugfree'), data: df.units.map((u) => +u.share.toFixed(1)), backgroundColor: color(0) }],
      },
      options: { indexAxis: 'y', scales: { x: { min: 0, max: 100 }, y: { ticks: { autoSkip: false, font: { size: 11 } } } } },
    }, t('home.share_by_unit'), Math.max(224, 40 + df.units.length * 18)));
  }
  out.push(h('p', {}, h('a', { href: href('drug-free', { ou: unit.id }) }, t('home.open_drugfree'))));
  return out;
}

async function classes(unit, date, enumsP) {
  const enums = await enumsP;
  const counts = await Promise.all(CLASSES.map((c) =>
    api.get('/persons', { orgunit: unit.id, classification: c, record: 'open', as_of: date, limit: 1 }).then((d) => d.total)));
  const rows = CLASSES.map((c, i) => ({ c, n: counts[i] }));
  return [
    chart({ type: 'bar', data: { labels: rows.map((r) => enumLabel(enums, 'classification', r.c)),
      datasets: [{ label: t('home.persons'), data: counts, backgroundColor: color(1) }] } }, t('home.classes')),
    table({ filename: 'classifications', columns: [
      { label: t('home.classification'), value: (r) => h('a', { href: href('persons', { classification: r.c, record: 'open', ou: unit.id }) }, enumLabel(enums, 'classification', r.c)), text: (r) => enumLabel(enums, 'classification', r.c) },
      { label: t('home.persons'), num: true, value: (r) => fmtNum(r.n), text: (r) => String(r.n) }], rows }),
  ];
}

const personLink = (id, name) => h('a', { href: href(`persons/${id}`) }, name || `#${id}`);

async function todo(unit, date, dfP, namesP, enumsP) {
  const enums = await enumsP;
  const out = [];
  let due = null;
  try {
    due = await api.get('/due', { orgunit: unit.id, date, days: 7 });
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  if (due) {
    if (due.truncated) out.push(msg('warn', t('todo.truncated')));
    out.push(h('h3', {}, t('todo.tests', { n: due.tests_due.length, to: fmtDate(addDays(date, 7)) })),
      table({ filename: 'tests-due', columns: [
        { label: t('common.person'), value: (r) => personLink(r.person_id, r.full_name), text: (r) => r.full_name || r.person_id },
        { label: t('home.classification'), value: (r) => enumLabel(enums, 'classification', r.classification) },
        { label: t('todo.kind'), value: (r) => t(`todo.kind.${r.kind}`) },
        { label: t('todo.last_test'), value: (r) => fmtDate(r.last_test) || t('todo.never') },
        { label: t('todo.due'), value: (r) => fmtDate(r.due) }], rows: due.tests_due }),
      h('h3', {}, t('todo.periods', { n: due.periods_ending.length })),
      table({ filename: 'periods-ending', columns: [
        { label: t('common.person'), value: (r) => personLink(r.person_id, r.full_name), text: (r) => r.full_name || r.person_id },
        { label: t('todo.record'), value: (r) => enumLabel(enums, 'record_kind', r.record_kind) },
        { label: t('todo.opened'), value: (r) => fmtDate(r.opened) },
        { label: t('todo.ends'), value: (r) => fmtDate(r.ends) }], rows: due.periods_ending }));
  } else {
    out.push(msg('warn', t('todo.unavailable')));
  }
  const df = await dfP;
  await namesP;
  const fails = [];
  for (const c of df.communes || [])
    for (const f of c.failures) if (f.person_id) fails.push({ ...f, commune: c.name });
  out.push(h('h3', {}, t('todo.failing', { n: fails.length })),
    table({ filename: 'failing', columns: [
      { label: t('common.person'), value: (r) => personLink(r.person_id, r.full_name), text: (r) => r.full_name || r.person_id },
      { label: t('common.commune'), key: 'commune' },
      { label: t('df.criterion'), value: (r) => String(r.criterion) },
      { label: t('df.reason'), value: (r) => pick(r, 'reason') }], rows: fails }));
  return out;
}

function communeList(df) {
  const rows = df.communes || [];
  return h('details', {}, h('summary', {}, t('home.commune_list', { n: rows.length })),
    table({ filename: 'drug-free-communes', columns: [
      { label: t('common.commune'), value: (c) => h('a', { href: href('drug-free', { ou: c.id }) }, c.name), text: (c) => c.name },
      { label: t('common.result'), value: (c) => passMark(c.drug_free), text: (c) => passText(c.drug_free) },
      ...[1, 2, 3].map((k) => ({ label: t(`df.c${k}.short`),
        value: (c) => passMark(c.criteria[k - 1].pass), text: (c) => passText(c.criteria[k - 1].pass) })),
    ], rows }));
}

// Plans in force today whose scope holds the unit (or, if none, the last one that was); each
// target's value over the plan's time so far, against its target, one small chart each.
async function targets(unit, date) {
  const chain = await ancestors(unit.id);
  const ids = new Set(chain.map((u) => u.id));
  const plans = (await api.get('/plans', { limit: 200 })).items.filter((p) => ids.has(p.scope_ou));
  if (!plans.length) return h('p', { class: 'muted' }, t('home.no_plans'));
  let current = plans.filter((p) => p.period_from <= date && date <= p.period_to);
  if (!current.length) current = [plans.sort((a, b) => (a.period_to < b.period_to ? 1 : -1))[0]];
  const out = [];
  for (const p of current) {
    const dates = samples(p.period_from, date < p.period_to ? date : p.period_to);
    const answers = await Promise.all(dates.map((d) => api.get('/indicators', { plan: p.code, orgunit: unit.id, date: d })));
    const last = answers[answers.length - 1];
    out.push(h('h3', {}, h('a', { href: href('plans', { plan: p.code, ou: unit.id }) }, `${p.code}: ${p.title}`)));
    out.push(table({ filename: `targets-${p.code}`, columns: [
      { label: t('plans.indicator'), value: (x) => pick(x.indicator, 'name') || x.indicator.code },
      { label: t('plans.target'), value: (x) => `${x.comparator} ${fmtNum(x.value)}${x.unit === 'percent' ? '%' : ''}` },
      { label: t('plans.value'), num: true, value: (x) => (x.result === null || x.result === undefined ? '—' : fmtNum(x.result, 1)) },
      { label: t('plans.status'), value: (x) => statusBadge(x.status), text: (x) => t(`status.${x.status}`) },
      { label: t('plans.due'), value: (x) => fmtDate(x.period && x.period.due) }], rows: last.targets }));
    const charts = h('div', { class: 'charts' });
    last.targets.forEach((x, i) => {
      if (x.status === 'no_data' || x.status === 'not_applicable') return;
      const series = answers.map((a) => a.targets[i] && a.targets[i].result);
      charts.append(chart({
        type: 'line',
        data: { labels: dates.map(fmtDate), datasets: [
          { label: t('plans.value'), data: series, borderColor: color(0), backgroundColor: color(0), spanGaps: true },
          { label: t('plans.target'), data: dates.map(() => x.value), borderColor: color(1), borderDash: [6, 4], pointRadius: 0 }] },
      }, `${pick(x.indicator, 'name') || x.indicator.code} — ${t(`status.${x.status}`)}`));
    });
    out.push(charts);
  }
  return out;
}

export function statusBadge(s) {
  return h('span', { class: `status st-${s}` }, t(`status.${s}`));
}

// Up to 6 evenly spaced dates from a period's start to end (the last one the end itself).
function samples(from, to) {
  const a = Date.parse(from), b = Date.parse(to);
  if (!(b > a)) return [to];
  const n = Math.min(6, Math.max(2, Math.round((b - a) / (30 * 86400e3))));
  return Array.from({ length: n }, (_, i) => new Date(a + ((b - a) * (i + 1)) / n).toISOString().slice(0, 10));
}
