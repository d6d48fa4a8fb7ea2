// strings.test.mjs: every string key the UI's code asks t() for exists in strings.js in both
// Vietnamese and English, and no Vietnamese string is left in English by mistake (a few words
// that are the same in both are allowed). Keys built at run time ("status.${s}") are checked
// through the lists of values they can take.
import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../web/js');
const { strings } = await import(join(root, 'strings.js'));
const files = [...readdirSync(root).filter((f) => f.endsWith('.js')).map((f) => join(root, f)),
  ...readdirSync(join(root, 'pages')).map((f) => join(root, 'pages', f))];
const dynamic = {
  'clinic.alert.': ['alert', 'escalate', 'review'],
  'cls.c.': ['users_addicts_pct', 'places', 'arrests_pct', 'plants', 'route'],
  'df.c': ['1', '2', '3', '1.short', '2.short', '3.short'],
  'list.': ['substance', 'result', 'status', 'date', 'quantity', 'unit', 'stage', 'mobile_trial'],
  'ou.level.': ['nation', 'province', 'district', 'commune'],
  'persons.record.': ['open', 'closed', 'none'],
  'todo.kind.': ['test_window', 'test_periodic'],
  'status.': ['met', 'on_track', 'at_risk', 'missed', 'no_data', 'not_started', 'not_applicable'],
};
let failed = 0, checked = 0;
const need = new Set();
for (const f of files) {
  const src = readFileSync(f, 'utf8');
  for (const m of src.matchAll(/\bt\((['`])([^'`]+)\1/g)) {
    const k = m[2];
    if (k.includes('${')) {
      const prefix = k.slice(0, k.indexOf('${'));
      if (!dynamic[prefix]) { console.log(`FAIL ${f}: dynamic key ${k} has no value list in this test`); failed++; continue; }
      dynamic[prefix].forEach((v) => need.add(prefix + v));
    } else need.add(k);
  }
  for (const m of src.matchAll(/\['[\w-]+', '(nav\.[\w.]+)'\]/g)) need.add(m[1]); // NAV table in main.js
}
for (const k of need) {
  checked++;
  const e = strings[k];
  if (!e || !e.vi || !e.en) { console.log(`FAIL missing ${!e ? 'key' : !e.vi ? 'vi' : 'en'}: ${k}`); failed++; }
}
// Vietnamese strings must carry Vietnamese: a vi string equal to its en string is a forgotten translation.
const same = Object.entries(strings).filter(([, e]) => e.vi === e.en && /[a-z]{4,}/i.test(e.vi));
for (const [k] of same) { console.log(`FAIL vi equals en: ${k}`); failed++; }
console.log(`strings: ${checked} keys used in the code, ${Object.keys(strings).length} defined`);
console.log(`${checked + Object.keys(strings).length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
