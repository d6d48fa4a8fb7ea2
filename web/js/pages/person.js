// pages/person.js: one person: details, the drug-free result of their commune today (with their
// own failures), the timeline of everything recorded about them (GET /persons/{id}/timeline), and
// forms to add or correct each record type. Also "persons/new". A person outside the caller's
// area answers 404, shown as "not found" like a person that does not exist.
import * as api from '../api.js';
import { h, msg } from '../dom.js';
import { t, pick, fmtDate, todayIso, enumLabel, errorText } from '../i18n.js';
import { section, slot, passMark } from '../page.js';
import { ou, ancestors } from '../ou.js';
import { entityForm, summary } from '../forms.js';
import { href, go } from '../router.js';
import { state as session, writesPersons, writesHealth } from '../session.js';

const TYPES = ['classifications', 'determinations', 'records', 'tests', 'treatments', 'support'];
const HEALTH = ['determinations', 'tests', 'treatments', 'support'];
const DATE_FIELD = { classifications: 'date_from', determinations: 'det_date', records: 'opened',
  tests: 'test_date', treatments: 'start_date', support: 'support_date' };

async function facilitiesNear(ouId) {
  const chain = await ancestors(ouId);
  const prov = chain.find((u) => u.kind === 'province') || chain[0];
  const d = await api.get('/facilities', { orgunit: prov.id, limit: 1000 });
  return d.items.map((f) => ({ id: f.id, label: f.name }));
}

export async function render(main, { params, query, state }) {
  const [schema, enums] = await Promise.all([api.schema(), api.enums()]);
  if (!params.id) return renderNew(main, query, state, schema, enums);
  let tl;
  try {
    tl = await api.get(`/persons/${encodeURIComponent(params.id)}/timeline`);
  } catch (e) {
    main.append(h('h1', {}, t('person.title')), msg('error', e.status === 404 ? t('person.not_found') : errorText(e)),
      h('p', {}, h('a', { href: href('persons') }, t('person.back'))));
    main.dataset.state = e.status === 404 ? 'not-found' : 'error';
    return;
  }
  const p = tl.person;
  const commune = await ou(p.residence_ou).catch(() => null);
  const facP = facilitiesNear(p.residence_ou).catch(() => []);
  const panel = h('div', { class: 'panel', id: 'form-panel' });
  const timeline = h('div', { id: 'timeline' });
  const dfBox = h('div', { id: 'commune-drugfree' });
  const pf = schema.persons.fields;
  // Just created and the server found persons with the same folded name and birth date: say so.
  let dups = [];
  try { dups = JSON.parse(sessionStorage.getItem('pcmt.dups') || '[]'); sessionStorage.removeItem('pcmt.dups'); } catch { dups = []; }
  main.append(h('h1', {}, p.full_name),
    dups.length ? h('div', { class: 'msg warn', role: 'status' }, t('person.duplicates'), ' ',
      dups.map((d, i) => [i ? ', ' : '', h('a', { href: href(`persons/${d.id}`) }, `${d.full_name}${d.dob ? ` (${fmtDate(d.dob)})` : ''}`)])) : null,
    h('dl', { class: 'facts' }, pf.filter((f) => p[f.name] !== null && p[f.name] !== undefined && f.name !== 'full_name').map((f) => [
      h('dt', {}, pick(f)),
      h('dd', {}, f.type === 'date' ? fmtDate(p[f.name]) : f.type === 'enum' ? enumLabel(enums, f.enum, p[f.name])
        : f.type === 'orgunit' ? (commune ? commune.name : p[f.name]) : String(p[f.name]))])),
    section(t('person.commune_df', { name: commune ? commune.name : '' }), dfBox));

  const canAdd = (type) => (HEALTH.includes(type) ? writesHealth() : writesPersons());
  const open = async (type, rec) => {
    const refs = {};
    if (schema[type].fields.some((f) => f.name === 'facility_id')) refs.facility_id = await facP;
    const form = await entityForm({
      entity: schema[type], enums, record: rec, fixed: rec ? {} : { person_id: p.id }, hide: ['person_id'], refs,
      root: session.root, ou: p.residence_ou, todayFor: rec ? null : DATE_FIELD[type],
      onCancel: () => panel.replaceChildren(),
      onSaved: async () => {
        panel.replaceChildren(msg('ok', t('form.saved')));
        await Promise.all([drawTimeline(), drawDf()]);
      },
    });
    panel.replaceChildren(form);
    const first = form.querySelector('input, select, textarea');
    if (first) first.focus();
  };
  const editPerson = async () => {
    const fresh = await api.get(`/persons/${p.id}`);
    const form = await entityForm({ entity: schema.persons, enums, record: fresh, root: session.root,
      onCancel: () => panel.replaceChildren(), onSaved: () => go(`persons/${p.id}`, { t: Date.now() }, true) });
    panel.replaceChildren(form);
  };
  main.append(h('div', { class: 'toolbar no-print', role: 'group', 'aria-label': t('person.add') },
    writesPersons() ? h('button', { type: 'button', onclick: editPerson }, t('person.edit')) : null,
    TYPES.filter(canAdd).map((type) => h('button', { type: 'button', dataset: { add: type }, onclick: () => open(type) },
      t('person.add_one', { what: pick(schema[type]) })))), panel,
  section(t('person.timeline'), timeline));

  async function drawTimeline() {
    const d = await api.get(`/persons/${p.id}/timeline`);
    timeline.replaceChildren(d.items.length ? h('ol', { class: 'timeline' }, d.items.map((it) =>
      h('li', { class: `tl tl-${it.type}`, dataset: { type: it.type, id: it.id } },
        h('time', { datetime: it.date }, fmtDate(it.date)), ' ',
        h('strong', {}, pick(schema[it.type])), ' — ', summary(schema[it.type], it, enums), ' ',
        canAdd(it.type) ? h('button', { type: 'button', class: 'link no-print', onclick: () => open(it.type, it),
          'aria-label': `${t('person.correct')}: ${pick(schema[it.type])} ${fmtDate(it.date)}` }, t('person.correct')) : null)))
      : h('p', { class: 'muted' }, t('common.none')));
  }
  async function drawDf() {
    try {
      // The commune itself, or (when the server refuses to root an evaluation there) the nearest
      // unit above it that it evaluates, and the commune's row from that answer.
      let c = null;
      for (const u of (await ancestors(p.residence_ou)).reverse()) {
        try {
          const df = await api.get('/drug-free', { orgunit: u.id, date: todayIso() });
          c = df.communes.find((x) => x.id === p.residence_ou);
          if (c) break;
        } catch (e) {
          if (e.field !== 'orgunit') throw e;
        }
      }
      if (!c) throw new Error(t('err.not_found'));
      const mine = c.failures.filter((f) => f.person_id === p.id);
      dfBox.replaceChildren(h('p', { dataset: { result: c.drug_free ? 'pass' : 'fail' } }, passMark(c.drug_free), ' ',
        h('a', { href: href('drug-free', { ou: c.id }) }, t('person.see_commune'))),
      mine.length ? h('ul', {}, mine.map((f) => h('li', {}, `${t('df.criterion')} ${f.criterion}: ${pick(f, 'reason')}`)))
        : h('p', { class: 'muted' }, t('person.no_failures')));
    } catch (e) {
      dfBox.replaceChildren(msg('error', errorText(e)));
    }
  }
  await Promise.all([drawTimeline(), drawDf()]);
}

async function renderNew(main, query, state, schema, enums) {
  main.append(h('h1', {}, t('persons.add')));
  const note = h('div');
  const form = await entityForm({ entity: schema.persons, enums, root: state.root, ou: query.ou ? +query.ou : null,
    onCancel: () => history.back(),
    onSaved: (rec) => {
      if (rec.possible_duplicates && rec.possible_duplicates.length)
        sessionStorage.setItem('pcmt.dups', JSON.stringify(rec.possible_duplicates));
      go(`persons/${rec.id}`);
    } });
  main.append(note, form);
}
