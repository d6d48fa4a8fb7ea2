// pages/clinic.js: the substitution clinic's counter (docs/ost.md): the day's queue, dispensing,
// take-home and guest doses, stock and its evening reconciliation, the clinic's indicators. Made
// for the keyboard: the search box has focus on load and filters as one types (without accents, or
// by ID), arrows move through the queue, Enter picks a patient, Enter again records the dose
// pre-filled from the prescription, and focus comes back to the search box for the next patient.
// The server judges every dose; its refusals go next to the field with what was typed kept.
import * as api from '../api.js';
import { h, newId, msg, debounce } from '../dom.js';
import { t, fmtDate, fmtNum, fmtPct, enumLabel, errorText, todayIso, parseDate, getLang } from '../i18n.js';
import { table } from '../table.js';
import { go } from '../router.js';

const KEEP = 'pcmt.clinic'; // the last clinic chosen, on this browser

// Names as the server folds them for q: without accents, đ as d, lower case.
export const fold = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '')
  .replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase();

// Does a queue entry match what is typed: every word in the folded name, or the ID exactly.
export function matches(p, typed) {
  const q = typed.trim();
  if (!q) return true;
  if (q === String(p.person_id) || (p.national_id && q === p.national_id)) return true;
  const name = fold(p.full_name);
  return fold(q).split(/\s+/).every((w) => name.includes(w));
}

const mL = (ul) => (ul === null || ul === undefined ? '' : `${fmtNum(ul / 1000, 3)} mL`);
// A number typed with a comma or a point ("1,5" in Vietnamese); anything else goes to the server
// as typed, for it to refuse naming the field.
const num = (s) => {
  const v = String(s).trim().replace(',', '.');
  return /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : String(s).trim();
};

function field(label, ctl, opts = {}) {
  const id = ctl.id || (ctl.id = newId('c'));
  const err = h('p', { class: 'field-error', id: `${id}-err` });
  ctl.setAttribute('aria-describedby', [opts.hint ? `${id}-hint` : null, `${id}-err`].filter(Boolean).join(' '));
  return h('div', { class: 'field', dataset: { field: opts.name || '' }, hidden: opts.hidden || null },
    h('label', { for: id }, label, opts.required ? h('span', { class: 'req', 'aria-hidden': 'true' }, ' *') : null,
      opts.required ? h('span', { class: 'sr-only' }, ` (${t('form.required')})`) : null),
    ctl, opts.hint ? h('p', { class: 'small muted', id: `${id}-hint` }, opts.hint) : null, err);
}

// A small form whose refusals land next to the field the server names (fields: name -> input).
// alias: a field the server names that the form shows as another (a second dose is refused on
// dose_date, shown by the dose); errors made here (e.local) are already sentences of ours.
function writeForm({ cls, title, fields, alias = {}, submitLabel, send, done }) {
  const general = h('p', { class: 'form-error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary' }, submitLabel);
  const form = h('form', { class: `clinic-form ${cls}`, novalidate: true }, h('h3', {}, title),
    Object.values(fields).map((f) => f.box), general, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    general.textContent = '';
    for (const f of Object.values(fields)) { f.err.textContent = ''; f.input.removeAttribute('aria-invalid'); }
    button.disabled = true;
    try {
      done(await send());
    } catch (e) {
      const named = e.field ? e.field.replace(/_(ml|ul)$/, '') : null;
      const f = named && fields[alias[named] || named];
      const text = e.local ? e.message : errorText(e);
      if (f) {
        f.box.hidden = false; // a field shown on demand (mg/mL when the clinic has no receipt yet)
        f.err.textContent = text;
        f.input.setAttribute('aria-invalid', 'true');
        f.input.focus();
      } else general.textContent = text;
    } finally { button.disabled = false; }
  });
  return form;
}

function input(attrs) { return h('input', { type: 'text', autocomplete: 'off', ...attrs }); }
function fld(label, ctl, opts) {
  const box = field(label, ctl, opts);
  return { box, input: ctl, err: box.querySelector('.field-error') };
}

export async function render(view, { query, state }) {
  const enums = await api.enums();
  // The dispensing points under the caller's unit; when none sits there (a commune user whose
  // patients go to a clinic in the next commune), every point: the queue is scoped by residence.
  let facs = (await api.get('/facilities', { kind: 'ost_point', orgunit: state.root, limit: 1000 })).items;
  if (!facs.length) facs = (await api.get('/facilities', { kind: 'ost_point', limit: 1000 })).items;
  facs.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  view.append(h('h1', {}, t('clinic.title')));
  if (!facs.length) { view.append(msg('warn', t('clinic.no_points'))); return undefined; }
  let kept = null;
  try { kept = localStorage.getItem(KEEP); } catch { /* private mode */ }
  const fac = facs.find((f) => String(f.id) === String(query.facility)) || facs.find((f) => String(f.id) === kept) || facs[0];
  try { localStorage.setItem(KEEP, String(fac.id)); } catch { /* private mode */ }
  const date = parseDate(query.date || '') || todayIso();
  const today = date === todayIso();

  // --- clinic and day --------------------------------------------------------------------------
  const facSel = h('select', { id: newId('fac') }, facs.map((f) => h('option', { value: f.id, selected: f.id === fac.id }, f.name)));
  const dateIn = input({ id: newId('day'), inputmode: 'numeric', class: 'date', value: fmtDate(date),
    placeholder: getLang() === 'vi' ? 'dd/mm/yyyy' : 'yyyy-mm-dd' });
  const dateErr = h('p', { class: 'field-error', id: `${dateIn.id}-err` });
  dateIn.setAttribute('aria-describedby', dateErr.id);
  const reopen = () => {
    const d = parseDate(dateIn.value);
    if (!d) { dateErr.textContent = t('err.date'); dateIn.setAttribute('aria-invalid', 'true'); dateIn.focus(); return; }
    go('clinic', { facility: facSel.value, date: d === todayIso() ? null : d, ou: query.ou });
  };
  facSel.addEventListener('change', reopen);
  const summary = h('p', { id: 'clinic-summary', class: 'big', 'aria-live': 'polite' });
  view.append(h('form', { class: 'filters no-print', onsubmit: (e) => { e.preventDefault(); reopen(); } },
    h('div', { class: 'field wide' }, h('label', { for: facSel.id }, t('clinic.facility')), facSel),
    h('div', { class: 'field' }, h('label', { for: dateIn.id }, t('clinic.date')), dateIn, dateErr),
    h('div', { class: 'field' }, h('button', { type: 'submit' }, t('common.show')))),
  ...(today ? [] : [msg('warn', t('clinic.not_today', { date: fmtDate(date) }))]), summary);

  // --- the queue -------------------------------------------------------------------------------
  const search = h('input', { id: 'clinic-search', type: 'search', autocomplete: 'off', role: 'combobox',
    'aria-expanded': 'true', 'aria-controls': 'clinic-queue', 'aria-autocomplete': 'list', placeholder: t('clinic.search_hint') });
  const list = h('ul', { id: 'clinic-queue', role: 'listbox', 'aria-label': t('clinic.queue') });
  const shown = h('p', { class: 'small muted', 'aria-live': 'polite' });
  const panel = h('div', { id: 'dose-panel' }, h('p', { class: 'muted' }, t('clinic.pick')));
  const done = h('div', { id: 'dose-done', 'aria-live': 'polite' });
  let queue = [], visible = [], active = 0;

  const alertBadge = (p) => {
    if (p.alert && p.alert !== 'none')
      return h('span', { class: `streak st-${p.alert}` }, `⚠ ${t(`clinic.alert.${p.alert}`, { n: p.missed_days })}`);
    return p.missed_days ? h('span', { class: 'small muted' }, t('clinic.missed', { n: p.missed_days })) : null;
  };
  const dosedMark = (p) => (p.dosed
    ? h('span', { class: 'pass' }, `✓ ${t('clinic.dosed')}`, p.dosed.kind !== 'witnessed' ? ` (${enumLabel(enums, 'ost_dose_kind', p.dosed.kind)})` : '')
    : h('span', { class: 'muted' }, `○ ${t('clinic.waiting')}`));

  function drawList() {
    visible = queue.filter((p) => matches(p, search.value));
    if (active >= visible.length) active = Math.max(0, visible.length - 1);
    list.replaceChildren(...visible.map((p, i) => h('li', {
      id: `q-${p.person_id}`, role: 'option', 'aria-selected': i === active ? 'true' : 'false',
      dataset: { person: p.person_id, dosed: p.dosed ? '1' : '0', alert: p.alert || 'none' },
      onmousedown: (e) => { e.preventDefault(); active = i; pick(); },
    }, h('span', { class: 'q-name' }, h('strong', {}, p.full_name), h('br'),
      h('span', { class: 'small muted' }, [p.national_id || `#${p.person_id}`, p.dob ? fmtDate(p.dob) : null].filter(Boolean).join(' · '))),
    h('span', { class: 'q-dose' }, p.prescription ? `${p.prescription.dose_mg} mg` : '',
      h('br'), h('span', { class: 'small' }, p.prescription ? enumLabel(enums, 'ost_phase', p.prescription.phase) : '')),
    h('span', { class: 'q-state' }, dosedMark(p), h('br'),
      p.guest ? h('span', { class: 'small guest-mark' }, t('clinic.guest_mark', { to: fmtDate(p.guest.valid_to) })) : alertBadge(p)))));
    if (!visible.length) list.append(h('li', { class: 'muted', role: 'option', 'aria-disabled': 'true' }, t('clinic.no_match')));
    search.setAttribute('aria-activedescendant', visible.length ? `q-${visible[active].person_id}` : '');
    shown.textContent = t('clinic.shown', { n: visible.length, of: queue.length });
  }
  function moveTo(i) {
    if (!visible.length) return;
    active = Math.max(0, Math.min(visible.length - 1, i));
    list.querySelectorAll('[role=option]').forEach((li, k) => li.setAttribute('aria-selected', k === active ? 'true' : 'false'));
    const li = list.children[active];
    search.setAttribute('aria-activedescendant', li.id);
    li.scrollIntoView({ block: 'nearest' });
  }
  async function loadQueue() {
    const d = await api.get('/mat/queue', { facility: fac.id, date });
    // patients of other clinics (any province) authorised to be dosed here today come after the
    // clinic's own, marked as guests; the server gives only what the dose needs (docs/ost.md)
    queue = d.patients.concat((d.guests || []).map((g) => ({ ...g, guest: g.authorisation })));
    const s = d.summary;
    summary.textContent = t('clinic.summary', { due: fmtNum(s.due), dosed: fmtNum(s.dosed), waiting: fmtNum(s.waiting),
      alert: fmtNum(s.alert), escalate: fmtNum(s.escalate), review: fmtNum(s.review) });
    drawList();
  }
  function pick() {
    const p = visible[active];
    if (!p) return;
    done.replaceChildren(); // the last confirmation belongs to the patient before
    doseForm(p, { guest: !!p.guest });
  }
  search.addEventListener('input', () => { active = 0; drawList(); });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') { e.preventDefault(); moveTo(active + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); moveTo(active - 1); }
    else if (e.key === 'PageDown') { e.preventDefault(); moveTo(active + 10); }
    else if (e.key === 'PageUp') { e.preventDefault(); moveTo(active - 10); }
    else if (e.key === 'Enter') { e.preventDefault(); pick(); }
    else if (e.key === 'Escape') { search.value = ''; active = 0; drawList(); }
  });
  const back = () => { search.focus(); search.select(); };

  // --- the dose ----------------------------------------------------------------------------------
  // p: a queue entry, or for a guest {person_id, full_name, national_id, dob, prescription}.
  function doseForm(p, { guest }) {
    const rx = p.prescription;
    const kindSel = h('select', { id: newId('kind') }, (guest ? ['guest'] : ['witnessed', 'take_home'])
      .map((k) => h('option', { value: k }, enumLabel(enums, 'ost_dose_kind', k))));
    const f = {
      kind: fld(t('clinic.kind'), kindSel, { name: 'kind' }),
      dose_mg: fld(t('clinic.dose_mg'), input({ id: 'dose-mg', inputmode: 'numeric', class: 'num', value: rx ? rx.dose_mg : '' }),
        { name: 'dose_mg', hint: rx ? t('clinic.prescribed', { mg: rx.dose_mg }) : null }),
      reason: fld(t('clinic.reason'), input({ id: 'dose-reason' }), { name: 'reason', hidden: true, required: true }),
      days: fld(t('clinic.days'), input({ id: 'dose-days', inputmode: 'numeric', class: 'num' }),
        { name: 'days', hidden: true, required: true, hint: t('clinic.days_hint') }),
      mg_per_ml: fld(t('clinic.mg_per_ml'), input({ id: 'dose-conc', inputmode: 'decimal', class: 'num' }), { name: 'mg_per_ml', hidden: true }),
    };
    const differs = () => rx && String(f.dose_mg.input.value).trim() !== String(rx.dose_mg);
    const sync = () => {
      f.reason.box.hidden = !differs() && !f.reason.input.value;
      f.days.box.hidden = kindSel.value !== 'take_home';
    };
    f.dose_mg.input.addEventListener('input', sync);
    kindSel.addEventListener('change', sync);
    const form = writeForm({
      cls: 'dose-form', title: guest ? t('clinic.guest_dose') : t('clinic.dose'), submitLabel: t('clinic.record'),
      fields: f,
      // a refusal the form has no field for (no prescription, a second dose) goes by the dose
      alias: { person_id: 'dose_mg', dose_date: 'dose_mg', facility_id: 'dose_mg', prescription_id: 'dose_mg' },
      send: () => {
        const body = { person_id: p.person_id, dose_date: date, kind: kindSel.value };
        if (guest) body.facility_id = fac.id;
        const mg = f.dose_mg.input.value.trim();
        if (mg !== '') body.dose_mg = num(mg);
        if (f.reason.input.value.trim()) body.reason = f.reason.input.value.trim();
        if (kindSel.value === 'take_home' && f.days.input.value.trim() !== '') body.days = num(f.days.input.value);
        if (!f.mg_per_ml.box.hidden && f.mg_per_ml.input.value.trim() !== '') body.mg_per_ml = num(f.mg_per_ml.input.value);
        if (differs() && !body.reason) {
          // a dose other than the prescribed one needs a reason: asked here before the server is
          const e = new api.ApiError(422, { error: { field: 'reason', message: t('clinic.reason_needed', { mg: rx.dose_mg }) } });
          e.local = true;
          f.reason.box.hidden = false;
          return Promise.reject(e);
        }
        return api.post('/doses', body);
      },
      done: async (d) => {
        const n = d.doses.length;
        done.replaceChildren(msg('ok', n > 1
          ? t('clinic.recorded_days', { name: p.full_name, mg: d.doses[0].dose_mg, n, date: fmtDate(d.doses[0].dose_date) })
          : t('clinic.recorded', { name: p.full_name, mg: d.doses[0].dose_mg, date: fmtDate(d.doses[0].dose_date) })));
        panel.replaceChildren(h('p', { class: 'muted' }, t('clinic.pick')));
        search.value = '';
        active = 0;
        await loadQueue().catch((e) => done.append(msg('error', errorText(e))));
        stock.reload();
        back();
      },
    });
    const head = h('div', { class: 'patient' },
      h('p', { class: 'big' }, h('strong', {}, p.full_name), ' ',
        h('span', { class: 'muted small' }, [p.national_id || `#${p.person_id}`, p.dob ? fmtDate(p.dob) : null].filter(Boolean).join(' · '))),
      rx ? h('dl', { class: 'facts' },
        h('dt', {}, t('clinic.rx')), h('dd', {}, `${enumLabel(enums, 'ost_medicine', rx.medicine)} · ${rx.dose_mg} mg · ${enumLabel(enums, 'ost_phase', rx.phase)}`),
        h('dt', {}, t('clinic.valid')), h('dd', {}, `${fmtDate(rx.valid_from)} – ${fmtDate(rx.valid_to)}`,
          rx.days_left !== undefined && rx.days_left !== null ? ` (${t('clinic.days_left', { n: rx.days_left })})` : ''),
        p.last_dose !== undefined ? [h('dt', {}, t('clinic.last_dose')), h('dd', {}, p.last_dose ? fmtDate(p.last_dose) : '—', ' ', alertBadge(p))] : null)
        : msg('warn', t('clinic.no_rx')),
      p.dosed ? msg('warn', t('clinic.already', { mg: p.dosed.dose_mg, kind: enumLabel(enums, 'ost_dose_kind', p.dosed.kind) })) : null);
    panel.replaceChildren(head, form, h('p', { class: 'small muted' }, t('clinic.keys')));
    const doseIn = f.dose_mg.input;
    form.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); back(); } });
    doseIn.focus();
    doseIn.select();
  }

  // --- guest patients: dosed here, prescribed at another clinic ---------------------------------
  const gq = input({ id: 'guest-search', type: 'search', placeholder: t('clinic.guest_hint') });
  const gres = h('ul', { class: 'plain guest-results', 'aria-live': 'polite' });
  let gctl = null;
  const guestSearch = debounce(async () => {
    const q = gq.value.trim();
    if (gctl) gctl.abort();
    if (q.length < 2) { gres.replaceChildren(); return; }
    gctl = new AbortController();
    try {
      const d = await api.get('/persons', { q, limit: 10 }, { signal: gctl.signal });
      gres.replaceChildren(...d.items.map((p) => h('li', {}, h('button', { type: 'button', class: 'link', onclick: () => guest(p) },
        `${p.full_name} · ${p.national_id || `#${p.id}`}${p.dob ? ' · ' + fmtDate(p.dob) : ''}`))));
      if (!d.items.length) gres.append(h('li', { class: 'muted' }, t('common.none')));
    } catch (e) { if (e.name !== 'AbortError') gres.replaceChildren(h('li', {}, msg('error', errorText(e)))); }
  }, 250);
  gq.addEventListener('input', guestSearch);
  async function guest(person) {
    // the prescription in force on the day: among those covering it, the latest valid_from
    const d = await api.get('/prescriptions', { person_id: person.id, limit: 1000 }).catch(() => ({ items: [] }));
    const rx = d.items.filter((r) => r.valid_from <= date && (!r.valid_to || r.valid_to >= date))
      .sort((a, b) => (a.valid_from === b.valid_from ? b.id - a.id : b.valid_from.localeCompare(a.valid_from)))[0];
    doseForm({ person_id: person.id, full_name: person.full_name, national_id: person.national_id, dob: person.dob,
      prescription: rx ? { ...rx, days_left: null } : null }, { guest: true });
  }

  // --- stock -----------------------------------------------------------------------------------
  const stockBox = h('div', { id: 'clinic-stock', 'aria-live': 'polite' });
  const stock = {
    async reload() {
      let d;
      try { d = await api.get('/mat/stock', { facility: fac.id, date }); } catch (e) { stockBox.replaceChildren(msg('error', errorText(e))); return; }
      const r = d.reconciliation;
      const facts = h('dl', { class: 'facts stock-facts' },
        h('dt', {}, t('clinic.opening')), h('dd', {}, mL(d.opening_ul)),
        h('dt', {}, t('clinic.received')), h('dd', {}, mL(d.received_ul)),
        h('dt', {}, t('clinic.dispensed')), h('dd', {}, mL(d.dispensed_ul)),
        h('dt', {}, t('clinic.waste')), h('dd', {}, mL(d.waste_ul)),
        h('dt', {}, t('clinic.expected')), h('dd', {}, h('strong', {}, mL(d.expected_closing_ul))));
      const moves = table({ filename: `stock-${fac.id}-${date}`, empty: t('common.none'), columns: [
        { label: t('clinic.move_kind'), value: (m) => enumLabel(enums, 'ost_stock_kind', m.kind) },
        { label: t('clinic.volume'), num: true, value: (m) => mL(m.volume_ul) },
        { label: t('clinic.mg_per_ml'), num: true, value: (m) => fmtNum(m.mg_per_ml) },
        { label: t('clinic.reason_col'), value: (m) => m.reason || '' },
        { label: t('clinic.note'), value: (m) => m.note || '' }], rows: d.movements });
      stockBox.replaceChildren(
        h('div', { class: 'grid' }, h('div', {}, h('h3', {}, t('clinic.balance', { date: fmtDate(date) })), facts,
          h('details', {}, h('summary', {}, t('clinic.movements', { n: d.movements.length })), moves)),
        h('div', { id: 'reconcile' }, r ? reconResult(r) : reconForm(d))),
        h('div', { class: 'grid' }, receiptForm(), wasteForm()));
    },
  };
  function reconResult(r) {
    const flagged = !!r.flagged;
    return h('div', { class: 'recon', dataset: { flagged: flagged ? 'true' : 'false' } },
      h('h3', {}, t('clinic.recon_done', { date: fmtDate(r.day) })),
      h('dl', { class: 'facts' },
        h('dt', {}, t('clinic.opening')), h('dd', {}, mL(r.opening_ul)),
        h('dt', {}, t('clinic.received')), h('dd', {}, mL(r.received_ul)),
        h('dt', {}, t('clinic.dispensed')), h('dd', {}, mL(r.dispensed_ul)),
        h('dt', {}, t('clinic.waste')), h('dd', {}, mL(r.waste_ul)),
        h('dt', {}, t('clinic.expected')), h('dd', {}, mL(r.expected_ul)),
        h('dt', {}, t('clinic.counted')), h('dd', {}, mL(r.counted_ul), r.counted_by ? ` (${r.counted_by})` : ''),
        h('dt', {}, t('clinic.difference')), h('dd', { class: flagged ? 'fail' : 'pass' }, `${r.difference_ul > 0 ? '+' : ''}${mL(r.difference_ul)}`)),
      flagged ? h('p', { class: 'msg error', role: 'alert' }, `✗ ${t('clinic.flagged', { diff: `${r.difference_ul > 0 ? '+' : ''}${mL(r.difference_ul)}` })}`)
        : h('p', { class: 'msg ok' }, `✓ ${t('clinic.balanced')}`));
  }
  function reconForm(d) {
    const f = {
      counted: fld(t('clinic.counted_ml'), input({ id: 'recon-counted', inputmode: 'decimal', class: 'num' }),
        { name: 'counted', required: true, hint: t('clinic.expected_is', { v: mL(d.expected_closing_ul) }) }),
      counted_by: fld(t('clinic.counted_by'), input({ id: 'recon-by', value: state.user ? state.user.username : '' }), { name: 'counted_by' }),
      note: fld(t('clinic.note'), input({ id: 'recon-note' }), { name: 'note' }),
    };
    return writeForm({ cls: 'recon-form', title: t('clinic.reconcile'), submitLabel: t('clinic.reconcile_save'), fields: f,
      send: () => api.post('/reconciliations', { facility_id: fac.id, day: date, counted_ml: num(f.counted.input.value),
        counted_by: f.counted_by.input.value.trim() || null, note: f.note.input.value.trim() || null }),
      done: () => stock.reload().then(() => { const x = document.querySelector('#reconcile .recon'); if (x) { x.tabIndex = -1; x.focus(); } }) });
  }
  function receiptForm() {
    const f = {
      volume: fld(t('clinic.volume_ml'), input({ id: newId('rv'), inputmode: 'decimal', class: 'num' }), { name: 'volume', required: true }),
      mg_per_ml: fld(t('clinic.mg_per_ml'), input({ id: newId('rc'), inputmode: 'decimal', class: 'num', value: '10' }), { name: 'mg_per_ml', required: true }),
      note: fld(t('clinic.note'), input({ id: newId('rn') }), { name: 'note' }),
    };
    return writeForm({ cls: 'receipt-form', title: t('clinic.receipt'), submitLabel: t('common.save'), fields: f,
      send: () => api.post('/stock_movements', { facility_id: fac.id, move_date: date, kind: 'receipt',
        volume_ml: num(f.volume.input.value), mg_per_ml: num(f.mg_per_ml.input.value), note: f.note.input.value.trim() || null }),
      done: () => stock.reload() });
  }
  function wasteForm() {
    const f = {
      volume: fld(t('clinic.volume_ml'), input({ id: newId('wv'), inputmode: 'decimal', class: 'num' }), { name: 'volume', required: true }),
      mg_per_ml: fld(t('clinic.mg_per_ml'), input({ id: newId('wc'), inputmode: 'decimal', class: 'num', value: '10' }), { name: 'mg_per_ml', required: true }),
      reason: fld(t('clinic.waste_reason'), input({ id: newId('wr') }), { name: 'reason', required: true }),
    };
    return writeForm({ cls: 'waste-form', title: t('clinic.waste_title'), submitLabel: t('common.save'), fields: f,
      send: () => {
        if (!f.reason.input.value.trim())
          return Promise.reject(Object.assign(new api.ApiError(422, { error: { field: 'reason', message: t('clinic.waste_reason_needed') } }), { local: true }));
        return api.post('/stock_movements', { facility_id: fac.id, move_date: date, kind: 'waste',
          volume_ml: num(f.volume.input.value), mg_per_ml: num(f.mg_per_ml.input.value), reason: f.reason.input.value.trim() });
      },
      done: () => stock.reload() });
  }

  // --- indicators ------------------------------------------------------------------------------
  const indBox = h('div', { id: 'clinic-ind' }, h('p', { class: 'muted' }, t('common.loading')));
  api.get('/mat/indicators', { facility: fac.id, to: date }).then((d) => {
    const ret = (r) => (r && r.cohort ? `${fmtPct(r.pct)} (${fmtNum(r.retained)}/${fmtNum(r.cohort)})` : '—');
    indBox.replaceChildren(h('p', { class: 'small muted' }, t('clinic.ind_window', { from: fmtDate(d.from), to: fmtDate(d.to) })),
      h('dl', { class: 'facts' },
        h('dt', {}, t('clinic.ind_patients')), h('dd', {}, fmtNum(d.patients)),
        h('dt', {}, t('clinic.ind_take_home')), h('dd', {}, d.take_home_pct === null ? '—' : `${fmtPct(d.take_home_pct)} (${fmtNum(d.take_home_patients)})`),
        h('dt', {}, t('clinic.ind_missed')), h('dd', {}, d.missed_dose_pct === null ? '—' : `${fmtPct(d.missed_dose_pct)} (${fmtNum(d.dose_days_missed)}/${fmtNum(d.dose_days_due)})`),
        h('dt', {}, t('clinic.ind_ret6')), h('dd', {}, ret(d.retention_6m)),
        h('dt', {}, t('clinic.ind_ret12')), h('dd', {}, ret(d.retention_12m))));
  }).catch((e) => indBox.replaceChildren(msg('error', errorText(e))));

  view.append(
    h('div', { class: 'clinic-grid' },
      h('section', { class: 'card', id: 'queue-card' }, h('h2', {}, t('clinic.queue')),
        h('div', { class: 'field' }, h('label', { for: search.id }, t('clinic.search')), search,
          h('p', { class: 'small muted' }, t('clinic.search_keys'))),
        shown, h('div', { class: 'queue-scroll' }, list)),
      h('div', { class: 'clinic-side' },
        h('section', { class: 'card', id: 'dose-card' }, h('h2', {}, t('clinic.dispense')), done, panel,
          h('details', { class: 'guest no-print' }, h('summary', {}, t('clinic.guest')),
            h('div', { class: 'field' }, h('label', { for: gq.id }, t('clinic.guest_search')), gq), gres)),
        h('section', { class: 'card', id: 'ind-card' }, h('h2', {}, t('clinic.indicators')), indBox))),
    h('section', { class: 'card', id: 'stock-card' }, h('h2', {}, t('clinic.stock')), stockBox));
  search.focus();
  await Promise.all([loadQueue().catch((e) => { list.replaceChildren(h('li', {}, msg('error', errorText(e)))); }), stock.reload()]);
  view.dataset.facility = fac.id;
  view.dataset.ready = 'clinic';
  return () => { if (gctl) gctl.abort(); };
}
