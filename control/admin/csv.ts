import { raw, type Reply } from '../http/route.ts';

/**
 * CSV for spreadsheet users. Cells that a spreadsheet would run as a formula (starting with
 * = + - @ tab or CR) are prefixed with an apostrophe: audit targets and usernames come from
 * outside, and "CSV injection" is how such data attacks the admin who opens the export.
 */
export function toCsv(columns: readonly string[], rows: ReadonlyArray<Record<string, unknown>>): string {
  const lines = [columns.map(cell).join(',')];
  for (const r of rows) lines.push(columns.map((c) => cell(r[c])).join(','));
  return lines.join('\r\n') + '\r\n';
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  let s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = "'" + s;
  return /[",\r\n']/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** An export download, `<basename>-<UTC date>.<format>`: `json` as it is, or the CSV `csv()` makes. */
export function exportReply(basename: string, format: 'csv' | 'json', json: unknown, csv: () => string): Reply {
  const name = `${basename}-${new Date().toISOString().slice(0, 10)}.${format}`;
  const disposition: Array<[string, string]> = [['Content-Disposition', `attachment; filename="${name}"`]];
  if (format === 'json') return raw(JSON.stringify(json), 'application/json; charset=utf-8', disposition);
  return raw(csv(), 'text/csv; charset=utf-8', disposition);
}
