// forms.js: forms generated from the server's own description of each entity (/api/v1/schema):
// labels in both languages, required marks, enum choices from /api/v1/enums. On a refusal the
// API's error goes next to the field it names (aria-invalid, focus); what was typed stays.
// Dates are typed as text (dd/mm/yyyy or yyyy-mm-dd) so that the server judges them: an
// impossible date is its error to name, not a silently emptied browser date picker.
import * as api from './api.js';
import { h, newId } from './dom.js';
import { t, pick, fmtDate, enumLabel, errorText, getLang, todayIso } from './i18n.js';
import { picker } from './ou.js';

// Lists inside records (json fields) as rows of small inputs.
const LISTS = {
  substances: [['substance', 'enum', 'substance'], ['result', 'enum', 'test_result']],
  status_history: [['status', 'enum', 'hotspot_status'], ['date', 'date']],
  seizures: [['substance', 'enum', 'seized_substance'], ['quantity', 'number'], ['unit', 'enum', 'seized_unit']],
  stages: [['stage', 'enum', 'case_stage'], ['date', 'date'], ['mobile_trial', 'bool']],
};

function dateText(iso) { return iso ? fmtDate(iso) : ''; }

function enumSelect(id, enums, name, value, required) {
  return h('select', { id, required: required || null },
    h('option', { value: '' }, required ? t('form.choose') : '—'),
    (enums[name] || []).map((v) => h('option', { value: v.code, selected: v.code === value }, pick(v))));
}

function boolSelect(id, value) {
  return h('select', { id },
    h('option', { value: '' }, '—'),
    h('option', { value: 'true', selected: value === true }, t('common.yes')),
    h('option', { value: 'false', selected: value === false }, t('common.no')));
}

function readScalar(type, el) {
  const v = el.value.trim();
  if (v === '') return null;
  if (type === 'bool') return v === 'true';
  if (type === 'int' || type === 'money' || type === 'ref') return /^-?\d+$/.test(v) ? Number(v) : v;
  if (type === 'number') return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  return v; // dates go as typed: the API reads dd/mm/yyyy and yyyy-mm-dd
}

function scalarInput(id, f, enums, value) {
  switch (f.type) {
  case 'enum': return enumSelect(id, enums, f.enum, value, f.required);
  case 'bool': return boolSelect(id, value);
  case 'date': return h('input', { id, type: 'text', inputmode: 'numeric', autocomplete: 'off',
    placeholder: getLang() === 'vi' ? 'dd/mm/yyyy' : 'yyyy-mm-dd', value: dateText(value), class: 'date' });
  case 'int': case 'money': case 'number': return h('input', { id, type: 'text', inputmode: 'decimal', value: value ?? '', class: 'num' });
  default:
    if (f.max_len && f.max_len > 200) return h('textarea', { id, rows: 2 }, value ?? '');
    return h('input', { id, type: 'text', value: value ?? '' });
  }
}

// A list field: rows of inputs, + and - buttons; read back as an array of objects.
function listEditor(id, f, enums, value) {
  const cols = LISTS[f.name];
  const rows = h('div', { class: 'list-rows' });
  const wrap = h('div', { class: 'list-editor', id, tabindex: '-1' }, rows);
  function addRow(item = {}) {
    const inputs = cols.map(([k, type, en]) => {
      const iid = newId('li');
      const el = scalarInput(iid, { name: k, type, enum: en }, enums, item[k]);
      el.dataset.key = k; el.dataset.type = type;
      return h('span', { class: 'li' }, h('label', { for: iid, class: 'small' }, t(`list.${k}`)), el);
    });
    const row = h('div', { class: 'list-row' }, inputs,
      h('button', { type: 'button', class: 'link', 'aria-label': t('form.remove_row'), onclick: () => row.remove() }, '×'));
    rows.append(row);
  }
  (Array.isArray(value) ? value : []).forEach(addRow);
  wrap.append(h('button', { type: 'button', class: 'link', onclick: () => addRow() }, t('form.add_row')));
  wrap.read = () => {
    const out = [...rows.children].map((row) => {
      const o = {};
      row.querySelectorAll('[data-key]').forEach((el) => {
        const v = readScalar(el.dataset.type, el);
        if (v !== null) o[el.dataset.key] = v;
      });
      return o;
    }).filter((o) => Object.keys(o).length);
    return out.length ? out : null;
  };
  return wrap;
}

// The form. opts: {entity (schema entry), enums, record (to correct) or initial (to add),
// fixed: {field: value} not shown (person_id), refs: {field: [{id, label}]}, root (org unit),
// hide: [fields], onSaved(record)}. Returns the <form>.
export async function entityForm(opts) {
  const { entity, enums, record, fixed = {}, refs = {}, hide = [], root } = opts;
  const init = record || opts.initial || {};
  const fields = entity.fields.filter((f) => !f.read_only && !(f.name in fixed) && !hide.includes(f.name));
  const controls = {};
  const form = h('form', { class: 'entity-form', novalidate: true, dataset: { entity: entity.name } });
  const errAll = h('div', { class: 'form-error', role: 'alert' });
  form.append(h('h3', {}, record ? t('form.correct', { what: pick(entity) }) : t('form.add', { what: pick(entity) })));
  for (const f of fields) {
    const id = newId(f.name);
    const errId = `${id}-err`;
    let ctl;
    if (f.type === 'orgunit' && root) {
      ctl = await picker({ root, value: init[f.name] || opts.ou, label: pick(f) + (f.required ? ' *' : ''), name: f.name, id });
      controls[f.name] = { read: () => (ctl.value() ? ctl.value().id : null), el: ctl, focus: ctl.querySelector('select') };
      form.append(h('div', { class: 'field', dataset: { field: f.name } }, ctl, h('p', { class: 'field-error', id: errId })));
      continue;
    }
    if (f.type === 'json' && LISTS[f.name]) {
      ctl = listEditor(id, f, enums, init[f.name]);
      controls[f.name] = { read: ctl.read, el: ctl };
    } else if (f.type === 'json') {
      ctl = h('input', { id, type: 'text', value: init[f.name] ? (Array.isArray(init[f.name]) ? init[f.name].join(', ') : JSON.stringify(init[f.name])) : '' });
      controls[f.name] = { el: ctl, read: () => {
        const v = ctl.value.trim();
        if (!v) return null;
        if (/^[\d,\s]+$/.test(v)) return v.split(/[,\s]+/).filter(Boolean).map(Number); // person_ids
        try { return JSON.parse(v); } catch { return v; }
      } };
    } else if (f.type === 'ref' && refs[f.name]) {
      ctl = h('select', { id, required: f.required || null },
        h('option', { value: '' }, f.required ? t('form.choose') : '—'),
        refs[f.name].map((o) => h('option', { value: o.id, selected: o.id === init[f.name] }, o.label)));
      controls[f.name] = { el: ctl, read: () => readScalar('ref', ctl) };
    } else {
      const v = f.type === 'date' && !record && !init[f.name] && opts.todayFor === f.name ? todayIso() : init[f.name];
      ctl = scalarInput(id, f, enums, v);
      controls[f.name] = { el: ctl, read: () => readScalar(f.type, ctl) };
    }
    ctl.setAttribute('aria-describedby', errId);
    form.append(h('div', { class: 'field', dataset: { field: f.name } },
      h('label', { for: id }, pick(f), f.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
        f.required ? h('span', { class: 'sr-only' }, ` (${t('form.required')})`) : null),
      ctl, h('p', { class: 'field-error', id: errId })));
  }
  const submit = h('button', { type: 'submit', class: 'primary' }, t('common.save'));
  form.append(errAll, h('div', { class: 'actions' }, submit,
    opts.onCancel ? h('button', { type: 'button', onclick: opts.onCancel }, t('common.cancel')) : null));

  function clearErrors() {
    errAll.textContent = '';
    form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  }

  function showError(err) {
    const base = err.field ? err.field.replace(/\[.*$/, '') : null;
    const c = base && controls[base];
    if (c) {
      const box = form.querySelector(`.field[data-field="${base}"] .field-error`);
      box.textContent = errorText(err);
      const focus = c.focus || c.el;
      focus.setAttribute('aria-invalid', 'true');
      focus.focus();
    } else {
      errAll.textContent = errorText(err);
    }
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    const body = { ...fixed };
    for (const [k, c] of Object.entries(controls)) {
      const v = c.read();
      if (v !== null || record) body[k] = v; // a correction may clear a field (null)
    }
    submit.disabled = true;
    try {
      const saved = record
        ? await api.patch(`/${entity.name}/${record.id}`, { ...body, version: record.version })
        : await api.post(`/${entity.name}`, body);
      opts.onSaved && opts.onSaved(saved);
    } catch (err) {
      showError(err); // the form keeps every value typed
    } finally {
      submit.disabled = false;
    }
  });
  form.showError = showError;
  return form;
}

// One line describing a record for lists and the timeline: its enum values and dates.
export function summary(entity, rec, enums) {
  const parts = [];
  for (const f of entity.fields) {
    const v = rec[f.name];
    if (v === null || v === undefined || f.name === 'person_id' || f.identifying) continue;
    if (f.type === 'enum') parts.push(enumLabel(enums, f.enum, v));
    else if (f.type === 'date') parts.push(`${pick(f)}: ${fmtDate(v)}`);
    else if (f.type === 'bool') { if (v) parts.push(pick(f)); }
    else if (f.type === 'json' && Array.isArray(v) && f.name === 'substances')
      parts.push(v.map((x) => `${enumLabel(enums, 'substance', x.substance)} ${enumLabel(enums, 'test_result', x.result)}`).join(', '));
    else if (f.type === 'text' || f.type === 'int' || f.type === 'money') parts.push(`${pick(f)}: ${v}`);
  }
  return parts.join(' · ');
}
