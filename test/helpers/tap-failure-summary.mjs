/**
 * tap's reporter for this suite: the raw TAP stream, unchanged, followed by a summary of every
 * failure (file > subtest > assertion, with its diagnostics), as TAP comments.
 *
 * Why: CI keeps only the tail of a 30,000-line log, so a lone failing assertion in the middle of
 * the run was invisible there ("fail: 1" and nothing else). The summary puts it in that tail.
 * Plain JavaScript, because tap loads its reporter before tsx is in play.
 */
import { Transform } from 'node:stream';

const INDENT = 4;
const MAX_DIAG_LINES = 40;

export default class TapFailureSummary extends Transform {
  #partial = '';
  /** Open subtest names by depth. */
  #names = [];
  /** Failures seen: path (names and the failing point's own description), diagnostics. */
  #failures = [];
  /** The failure whose YAML block is being read, and the indent of that block. */
  #diag = null;

  _transform(chunk, _encoding, done) {
    const text = this.#partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.#partial = lines.pop() ?? '';
    for (const line of lines) this.#read(line);
    done(null, chunk);
  }

  _flush(done) {
    if (this.#partial) this.#read(this.#partial);
    done(null, this.#summary());
  }

  #read(line) {
    if (this.#diag) {
      if (line.startsWith(this.#diag.indent) || line.trim() === '') {
        const body = line.slice(this.#diag.indent.length);
        if (body === '---') return;
        if (body === '...') { this.#diag = null; return; }
        if (this.#diag.failure.diag.length < MAX_DIAG_LINES) this.#diag.failure.diag.push(body);
        return;
      }
      this.#diag = null;
    }
    const depth = Math.floor((line.length - line.trimStart().length) / INDENT);
    const body = line.trimStart();
    const subtest = /^# Subtest: (.*)$/.exec(body);
    if (subtest) {
      this.#names.length = depth;
      this.#names[depth] = subtest[1];
      return;
    }
    const failed = /^not ok \d+ - (.*?)(?: # (?:time|TODO|SKIP).*)?$/.exec(body) ?? (/^not ok \d+$/.test(body) ? [body, '(unnamed)'] : null);
    if (failed) {
      const path = [...this.#names.slice(0, depth), failed[1]];
      const failure = { path, diag: [] };
      this.#failures.push(failure);
      this.#diag = { failure, indent: ' '.repeat(depth * INDENT + 2) };
      // A subtest closes with its own ok/not ok line; names deeper than this one are done.
      this.#names.length = depth;
      return;
    }
    if (/^ok \d+/.test(body)) this.#names.length = depth;
    if (/^Bail out!/.test(body)) this.#failures.push({ path: [...this.#names.slice(0, depth), body], diag: [] });
  }

  /** Only the innermost failures: a subtest that failed because an assertion in it did adds nothing. */
  #summary() {
    const key = (path) => path.join('\u0000');
    const leaves = this.#failures.filter((f) => !this.#failures.some((o) => o !== f && o.path.length > f.path.length && key(o.path.slice(0, f.path.length)) === key(f.path)));
    if (leaves.length === 0) return '';
    const out = ['', `# ${leaves.length} failure${leaves.length === 1 ? '' : 's'} in this run:`];
    for (const f of leaves) {
      out.push(`#   ${f.path.join(' > ')}`);
      for (const d of f.diag) out.push(`#       ${d}`);
    }
    return out.join('\n') + '\n';
  }
}
