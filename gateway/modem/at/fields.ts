/**
 * Splits the parameter list of an AT response (`+CLIP: "+79161234567",145,,,,0`) into fields:
 * commas separate, double quotes protect commas, quotes are removed. Empty fields stay as ''.
 */
export function splitFields(params: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < params.length; i++) {
    const ch = params[i];
    if (ch === '"') {
      quoted = !quoted;
    } else if (ch === ',' && !quoted) {
      out.push(cur.trim());
      cur = '';
    } else {
      cur += ch;
    }
  }
  out.push(cur.trim());
  return out;
}

/** The parameters after `+NAME:` (or the whole line when there is no colon). */
export function paramsOf(line: string): string {
  const i = line.indexOf(':');
  return i < 0 ? '' : line.slice(i + 1).trim();
}

/** Integer field or null when empty / not a number. */
export function intField(v: string | undefined): number | null {
  if (v === undefined || v === '' || !/^-?\d+$/.test(v)) return null;
  return Number(v);
}

/** Quote a string for an AT command argument. AT has no escape for `"`; such input is refused. */
export function quoteAt(s: string): string {
  if (/["\r\n\x1a\x1b]/.test(s)) throw new RangeError(`cannot put ${JSON.stringify(s)} in an AT string argument`);
  return `"${s}"`;
}
