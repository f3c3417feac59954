/**
 * Turns the raw byte stream of an AT port into lines (and the SMS `> ` prompt). Pure: no I/O,
 * no timers, so every nasty case (fragments, garbage, CR-only echo, the prompt that has no line
 * ending) is pinned down by unit tests.
 *
 * What a SIM7600 actually sends:
 *   - responses and URCs framed as `\r\n<text>\r\n` (so empty lines are everywhere and ignored);
 *   - with echo on, the command itself terminated by a bare `\r`;
 *   - after `AT+CMGS=...`, the prompt `\r\n> ` with no line ending: it can only be recognised by
 *     what is left in the buffer, and only when the caller says a prompt is expected (a line that
 *     merely starts with `> ` must never be mistaken for one);
 *   - on a USB glitch or at boot, binary noise: control and non-ASCII bytes are dropped, so noise
 *     glued to the front of a real line (`\xff\x00OK`) still yields `OK`.
 */

export type AtToken = { kind: 'line'; text: string } | { kind: 'prompt' };

/** Lines longer than this without a terminator are noise (or a stuck stream): cut them so memory stays bounded. */
const MAX_LINE_CHARS = 8192;

export class AtLineParser {
  private partial = '';
  /** Set while a command that answers with `> ` is in flight. */
  expectPrompt = false;
  /** Inside a line that outgrew MAX_LINE_CHARS: skip to its end. */
  private discarding = false;
  /** Bytes thrown away as noise (for diagnostics). */
  droppedBytes = 0;

  /** Feed bytes as they arrive; returns the complete tokens they finish. */
  feed(chunk: Uint8Array): AtToken[] {
    const tokens: AtToken[] = [];
    let text = this.partial;
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i];
      if (b === 0x0d || b === 0x0a) {
        this.discarding = false;
        // A URC written right after the prompt (`\r\n> \r\nSMS DONE\r\n`) ends the prompt's "line":
        // while a prompt is awaited no body has been sent yet, so a bare `>` line can only be the prompt.
        if (this.expectPrompt && (text === '>' || text === '> ')) {
          tokens.push({ kind: 'prompt' });
          this.expectPrompt = false;
        } else if (text.length > 0) tokens.push({ kind: 'line', text });
        text = '';
        continue;
      }
      if (b < 0x20 || b > 0x7e) {
        this.droppedBytes++;
        continue;
      }
      if (this.discarding) {
        this.droppedBytes++;
        continue;
      }
      text += String.fromCharCode(b);
      if (text.length > MAX_LINE_CHARS) {
        // Drop the rest of this line too, or its tail would come out as a junk line.
        this.droppedBytes += text.length;
        text = '';
        this.discarding = true;
      }
    }
    if (this.expectPrompt && (text === '>' || text === '> ')) {
      tokens.push({ kind: 'prompt' });
      this.expectPrompt = false;
      text = '';
    }
    this.partial = text;
    return tokens;
  }

  /** Re-check the buffer (e.g. right after `expectPrompt` was set, in case the prompt already arrived). */
  poll(): AtToken[] {
    return this.feed(new Uint8Array(0));
  }

  reset(): void {
    this.partial = '';
    this.discarding = false;
    this.expectPrompt = false;
  }
}
