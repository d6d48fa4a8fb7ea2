// table.js: the tables on screen, each with "export CSV" and "print". The export writes what the
// table shows — the same columns, the same labels, in the current language — not a second query.
// (Excel files are the server's: a plan's report from GET /api/v1/reports, offered on the plans page.)
import { h } from './dom.js';
import { t } from './i18n.js';

// columns: [{key, label, value(row) -> text|Node, text(row) -> export text, num}], rows: objects.
export function table({ columns, rows, caption, filename = 'pcmt', empty, className }) {
  const cell = (c, r) => (c.value ? c.value(r) : r[c.key] ?? '');
  const tbl = h('table', { class: `data ${className || ''}` },
    caption ? h('caption', {}, caption) : null,
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
    h('tbody', {}, rows.length ? rows.map((r) => h('tr', {}, columns.map((c) =>
      h('td', { class: c.num ? 'num' : null }, cell(c, r))))) :
      h('tr', {}, h('td', { colspan: columns.length, class: 'muted' }, empty || t('common.none')))));
  const exportText = (c, r) => {
    if (c.text) return c.text(r);
    const v = cell(c, r);
    return v instanceof Node ? v.textContent : String(v ?? '');
  };
  const matrix = () => [columns.map((c) => c.label), ...rows.map((r) => columns.map((c) => exportText(c, r)))];
  const bar = h('div', { class: 'toolbar no-print' },
    h('button', { type: 'button', onclick: () => downloadCsv(matrix(), filename) }, t('common.export_csv')),
    h('button', { type: 'button', onclick: () => window.print() }, t('common.print')));
  return h('div', { class: 'table-wrap' }, bar, h('div', { class: 'scroll' }, tbl));
}

export function csv(matrix) {
  const q = (s) => (/[",\n\r;]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  return matrix.map((row) => row.map((v) => q(String(v ?? ''))).join(',')).join('\r\n') + '\r\n';
}

function save(blob, name) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

// UTF-8 with a byte-order mark: Excel then reads the Vietnamese diacritics correctly.
export function downloadCsv(matrix, filename) {
  save(new Blob(['\ufeff', csv(matrix)], { type: 'text/csv;charset=utf-8' }), `${filename}.csv`);
}
