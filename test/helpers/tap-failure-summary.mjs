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
  /** Open subtests by depth: their name and how many failures had been seen when they opened. */
  #open = [];
  /** Failures seen, in order: path (names and the failing point's own description), diagnostics. */
  #failures = [];
  /** The failure whose YAML block is being read, and the indent of that block. */
  #diag = null;
  #bailedOut = false;

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
      this.#open.length = depth;
      this.#open[depth] = { name: subtest[1], failuresBefore: this.#failures.length };
      return;
    }
    const point = /^(not )?ok \d+(?: - (.*?))?(?: # (TODO|SKIP|time)\b.*)?$/i.exec(body);
    if (point) {
      const [, not, name = '(unnamed)', directive = ''] = point;
      // The line that closes the subtest opened just below this depth, if it has that name.
      const closing = this.#open[depth]?.name === name ? this.#open[depth] : null;
      this.#open.length = depth;
      const excused = /^(todo|skip)$/i.test(directive);
      if (closing && (excused || !not)) {
        // A todo or skipped subtest does not fail the run, whatever failed inside it.
        if (excused) this.#failures.length = closing.failuresBefore;
        return;
      }
      if (!not || excused) return;
      // A subtest that failed because something inside it did adds nothing to what is listed.
      if (closing && this.#failures.length > closing.failuresBefore) return;
      const failure = { path: [...this.#open.slice(0, depth).map((o) => o.name), name], diag: [] };
      this.#failures.push(failure);
      this.#diag = { failure, indent: ' '.repeat(depth * INDENT + 2) };
      return;
    }
    if (/^Bail out!/.test(body) && !this.#bailedOut) {
      this.#bailedOut = true;
      this.#failures.push({ path: [...this.#open.slice(0, depth).map((o) => o.name), body], diag: [] });
    }
  }

  #summary() {
    const failures = this.#failures;
    if (failures.length === 0) return '';
    const out = ['', `# ${failures.length} failure${failures.length === 1 ? '' : 's'} in this run:`];
    for (const f of failures) {
      out.push(`#   ${f.path.join(' > ')}`);
      for (const d of f.diag) out.push(`#       ${d}`);
    }
    return out.join('\n') + '\n';
  }
}
