// i18n.js: Vietnamese by default, English with one switch (kept in localStorage). Strings are in
// strings.js; entity, field and enum labels come from the server (/api/v1/schema, /api/v1/enums),
// which holds both languages. Dates show as dd/mm/yyyy in Vietnamese, yyyy-mm-dd in English.
import { strings } from './strings.js';

let lang = (() => {
  try { return localStorage.getItem('pcmt.lang') === 'en' ? 'en' : 'vi'; } catch { return 'vi'; }
})();

export const getLang = () => lang;
export function setLang(l) {
  lang = l === 'en' ? 'en' : 'vi';
  try { localStorage.setItem('pcmt.lang', lang); } catch { /* private mode: this page only */ }
  document.documentElement.lang = lang;
}

// t('home.title', {n: 3}): the string in the current language with {n} filled in. A missing key
// shows as ⟦key⟧ so that the browser test can find it.
export function t(key, params) {
  const e = strings[key];
  let s = e ? e[lang] ?? e.vi : `⟦${key}⟧`;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] ?? m));
  return s;
}

// Server-given bilingual objects: {label_vi, label_en} or {name_vi, name_en} or {reason_vi, reason}.
export function pick(o, base = 'label') {
  if (!o) return '';
  if (lang === 'vi') return o[`${base}_vi`] ?? o[`${base}_en`] ?? o[base] ?? '';
  return o[`${base}_en`] ?? o[base] ?? o[`${base}_vi`] ?? '';
}

export function fmtDate(iso) {
  if (!iso) return '';
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return lang === 'vi' ? `${m[3]}/${m[2]}/${m[1]}` : `${m[1]}-${m[2]}-${m[3]}`;
}

export function todayIso() {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

export function addDays(iso, n) {
  const d = new Date(iso + 'T00:00:00Z');
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// A date typed by a person: dd/mm/yyyy or yyyy-mm-dd -> ISO, or null when it is neither shape.
// Whether the day exists is the server's to say (it refuses 31/02/2024 naming the field).
export function parseDate(s) {
  s = (s || '').trim();
  let m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(s);
  if (m) return `${m[3]}-${m[2].padStart(2, '0')}-${m[1].padStart(2, '0')}`;
  m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  return m ? s : null;
}

export function fmtNum(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '';
  return new Intl.NumberFormat(lang === 'vi' ? 'vi-VN' : 'en-GB', {
    maximumFractionDigits: digits, minimumFractionDigits: 0,
  }).format(n);
}

export const fmtPct = (n) => (n === null || n === undefined ? '' : fmtNum(n, 1) + '%');

// Enum code -> label in the current language (enums from /api/v1/enums).
export function enumLabel(enums, name, code) {
  if (code === null || code === undefined) return '';
  const v = (enums[name] || []).find((x) => x.code === code);
  return v ? pick(v) : code;
}

// Server messages are English sentences; the common ones are given in Vietnamese too, and the
// rest keep the server's words after a Vietnamese lead so that nothing is hidden.
export function errorText(err) {
  const m = err && err.message ? err.message : String(err);
  if (lang === 'en') return m;
  const rules = [
    [/is not a valid date|must be a real date/, 'err.date'],
    [/is required|missing required/, 'err.required'],
    [/after today|in the future/, 'err.future'],
    [/unknown .*code|not one of/, 'err.enum'],
    [/changed by someone else/, 'err.stale'],
    // the clinic's refusals of a dose (docs/ost.md)
    [/already has a dose/, 'err.dose_twice'],
    [/no prescription is valid/, 'err.no_rx'],
    [/is above the prescribed/, 'err.above_rx'],
    [/take-home doses need/, 'err.take_home'],
    [/take-home doses cover/, 'err.take_home_days'],
  ];
  for (const [re, key] of rules) if (re.test(m)) return `${t(key)} (${m})`;
  if (err && err.status === 403) return t('err.forbidden');
  if (err && err.status === 404) return t('err.not_found');
  if (err && err.code === 'network') return t('err.network');
  return `${t('err.invalid')}: ${m}`;
}
