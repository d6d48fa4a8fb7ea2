// pages/operations.js: the operations registry: hotspots, drug crime cases, narcotic plant sites
// and communication activities of the org unit (?kind=), listed newest first by the API's order,
// with a form to add one and to correct each (PATCH with the version read).
import * as api from '../api.js';
import { h, msg } from '../dom.js';
import { t, pick, fmtDate, fmtNum, enumLabel } from '../i18n.js';
import { pageOu } from '../page.js';
import { preload, ouName } from '../ou.js';
import { entityForm } from '../forms.js';
import { table } from '../table.js';
import { href, go } from '../router.js';
import { writesOperations } from '../session.js';

const KINDS = {
  hotspots: ['kind', 'ou_id', 'address', 'discovered', 'venue_kind', 'status'],
  cases: ['case_number', 'detected', 'ou_id', 'detecting_force', 'route', 'suspects'],
  plant_sites: ['ou_id', 'plant', 'detected', 'area_m2', 'plant_count', 'eradicated'],
  communication: ['activity_date', 'ou_id', 'form', 'audience', 'participants', 'title'],
};
const PAGE = 100;

export async function render(main, { query, state }) {
  const kind = KINDS[query.kind] ? query.kind : 'hotspots';
  const offset = Math.max(0, +query.offset || 0);
  const unit = await pageOu(query, state);
  const [schema, enums] = await Promise.all([api.schema(), api.enums()]);
  const ent = schema[kind];
  main.append(h('h1', {}, t('ops.title')), h('p', { class: 'muted' }, t('persons.in', { name: unit.name })),
    h('nav', { class: 'tabs no-print', 'aria-label': t('ops.kinds') }, Object.keys(KINDS).map((k) =>
      h('a', { href: href('operations', { kind: k, ou: query.ou }), 'aria-current': k === kind ? 'page' : null }, pick(schema[k])))));
  const panel = h('div', { class: 'panel' });
  const list = h('div');
  const openForm = async (rec) => {
    const form = await entityForm({ entity: ent, enums, record: rec, root: state.root, ou: unit.kind === 'commune' ? unit.id : null,
      onCancel: () => panel.replaceChildren(),
      onSaved: async () => { panel.replaceChildren(msg('ok', t('form.saved'))); await draw(); } });
    panel.replaceChildren(form);
    form.querySelector('input, select').focus();
  };
  if (writesOperations())
    main.append(h('p', { class: 'no-print' }, h('button', { type: 'button', onclick: () => openForm(null) }, t('person.add_one', { what: pick(ent) }))));
  main.append(panel, list);
  const namesP = unit.kind === 'nation' ? Promise.resolve() : preload(unit.id).catch(() => {});
  const fields = KINDS[kind].map((n) => ent.fields.find((f) => f.name === n)).filter(Boolean);
  const show = (f, r) => {
    const v = r[f.name];
    if (v === null || v === undefined) return '';
    if (f.type === 'date') return fmtDate(v);
    if (f.type === 'enum') return enumLabel(enums, f.enum, v);
    if (f.type === 'orgunit') return ouName(v);
    if (f.type === 'int') return fmtNum(v);
    return String(v);
  };
  async function draw() {
    const d = await api.get(`/${kind}`, { orgunit: unit.id, limit: PAGE, offset });
    await namesP;
    list.replaceChildren(h('p', { class: 'muted' }, t('ops.count', { n: fmtNum(d.total), from: d.total ? offset + 1 : 0, to: offset + d.items.length })),
      table({ filename: `${kind}-${unit.code}`, columns: [
        ...fields.map((f) => ({ label: pick(f), value: (r) => show(f, r), num: f.type === 'int' })),
        ...(writesOperations() ? [{ label: '', value: (r) => h('button', { type: 'button', class: 'link', onclick: () => openForm(r) }, t('person.correct')), text: () => '' }] : [])],
      rows: d.items }),
      h('nav', { class: 'pager no-print', 'aria-label': t('ops.pages') },
        offset > 0 ? h('a', { href: href('operations', { kind, ou: query.ou, offset: Math.max(0, offset - PAGE) }) }, t('ops.prev')) : null,
        offset + PAGE < d.total ? h('a', { href: href('operations', { kind, ou: query.ou, offset: offset + PAGE }) }, t('ops.next')) : null));
  }
  await draw();
}
