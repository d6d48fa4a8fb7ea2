// ou.js: org units: a cache of the units the pages name, and the picker (one select per level
// below the caller's own unit: province -> district -> commune), used by every page and form.
import * as api from './api.js';
import { h, newId } from './dom.js';
import { t } from './i18n.js';

const byId = new Map();     // id -> unit
const kids = new Map();     // id -> Promise<unit[]>

function keep(u) { byId.set(u.id, u); return u; }

export async function ou(id) {
  if (!id) return null;
  if (byId.has(+id)) return byId.get(+id);
  return keep(await api.get(`/orgunits/${id}`));
}

// By code (as in force today) or id: the answer of a list filtered on code, else by id.
export async function ouByCode(code) {
  const d = await api.get('/orgunits', { code, limit: 5 });
  const live = d.items.find((u) => !u.valid_to) || d.items[0];
  return live ? keep(live) : null;
}

export const ouName = (id) => (byId.get(+id) ? byId.get(+id).name : id ? `#${id}` : '');

export function children(id) {
  if (!kids.has(id))
    kids.set(id, api.get('/orgunits', { parent_id: id, limit: 1000 })
      .then((d) => d.items.filter((u) => !u.valid_to).map(keep).sort((a, b) => a.name.localeCompare(b.name, 'vi'))));
  return kids.get(id);
}

// Loads the names of every unit under id into the cache (one request when it fits in a page).
export async function preload(id) {
  const d = await api.get('/orgunits', { orgunit: id, limit: 1000 });
  d.items.forEach(keep);
}

export async function ancestors(id) {
  const chain = [];
  for (let u = await ou(id); u; u = u.parent_id ? await ou(u.parent_id) : null) chain.unshift(u);
  return chain;
}

// The picker: value is a unit id under (or equal to) root. onChange(unit) when a person picks.
// Each level is a labelled select; "whole unit" keeps the level above.
export async function picker({ root, value, onChange, label, name, id: fieldId }) {
  const wrap = h('fieldset', { class: 'ou-picker' }, h('legend', {}, label || t('common.orgunit')));
  if (name) wrap.dataset.field = name;
  const rootUnit = await ou(root);
  let selected = value ? await ou(value) : rootUnit;

  async function draw() {
    wrap.querySelectorAll('.lvl').forEach((e) => e.remove());
    const path = await ancestors(selected.id);
    const rootIx = path.findIndex((u) => u.id === root);
    const levels = path.slice(rootIx < 0 ? 0 : rootIx);
    for (let i = 0; i < levels.length; i++) {
      const parent = levels[i];
      if (parent.kind === 'commune') break;
      const list = await children(parent.id);
      if (!list.length) break;
      const sid = i === 0 && fieldId ? fieldId : newId('ou');
      const sel = h('select', { id: sid, class: 'ou-level' },
        h('option', { value: '' }, t('ou.all', { name: parent.name })),
        list.map((u) => h('option', { value: u.id, selected: levels[i + 1] && levels[i + 1].id === u.id }, u.name)));
      sel.addEventListener('change', async () => {
        selected = sel.value ? await ou(+sel.value) : parent;
        await draw();
        onChange && onChange(selected);
      });
      wrap.append(h('div', { class: 'lvl' },
        h('label', { for: sid }, t(`ou.level.${list[0].kind}`)), sel));
    }
  }
  await draw();
  wrap.value = () => selected;
  return wrap;
}
