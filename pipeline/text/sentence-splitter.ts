/**
 * Streaming sentence segmentation for TTS, fed LLM token deltas (Russian and English).
 *
 * TTS engines speak best a sentence at a time, but waiting for a whole sentence costs time to first
 * audio, so the very first chunk of a reply may be cut early: at a comma once a few words are in, or
 * after N words when no punctuation comes. Later chunks are whole sentences (long ones split at a
 * comma) because prosody beats latency once audio is already playing.
 *
 * A '.' ends a sentence only when we have seen what follows it: a space and then an upper-case
 * letter/digit (so "3.14", "e.g. this", "Mr. Smith", "т.е. так", "ул. Ленина" stay whole). That
 * lookahead costs one token of latency at a full stop; '!' and '?' need only the following space.
 */

export interface SentenceSplitterOptions {
  /** Early first chunk: cut at a comma/colon/dash once this many words are in (default 3). */
  firstChunkMinWords?: number;
  /** Early first chunk: cut after this many words even without punctuation (default 8; 0 = never). */
  firstChunkMaxWords?: number;
  /** Any chunk longer than this is cut at a comma, else at a space (default 220 characters). */
  maxChunkChars?: number;
}

/** Lower-case, without the final dot. Never end a sentence (titles, "г. Москва", "ул. Ленина"). */
const ABBREVIATIONS = new Set([
  // English
  'mr', 'mrs', 'ms', 'dr', 'prof', 'sr', 'jr', 'st', 'vs', 'e.g', 'i.e', 'approx', 'tel', 'mt', 'ft', 'fig', 'dept',
  'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec', 'cf',
  // Russian
  'т.е', 'т.к', 'т.н', 'т.ч', 'г', 'гг', 'ул', 'д', 'кв', 'им', 'см', 'тел', 'стр', 'рис', 'проф', 'акад', 'доц',
  'ок', 'напр', 'просп', 'пр', 'пер', 'обл', 'р-н', 'пл', 'корп', 'стр', 'каб', 'эт', 'руб', 'коп', 'тыс', 'млн', 'млрд',
  'т', 'п', 'н.э', 'до н.э',
]);

/** Abbreviations that often end a sentence too: a following capital means a new sentence. */
const SENTENCE_FINAL_ABBREVIATIONS = new Set([
  'etc', 'a.m', 'p.m', 'inc', 'ltd', 'co', 'т.д', 'т.п', 'др', 'руб', 'коп', 'тыс', 'млн', 'млрд',
]);

const TERMINATORS = '.!?…';
const CLOSERS = '"\'»”’)]';
const OPENERS = '"\'«“‘([';
const SOFT_BREAKS = ',;:—–';

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\u00a0';
const isUpper = (c: string): boolean => c !== c.toLowerCase();
const isLower = (c: string): boolean => c !== c.toUpperCase();
const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const hasContent = (s: string): boolean => /[\p{L}\p{N}]/u.test(s);

export class SentenceSplitter {
  private buf = '';
  private emitted = 0;
  private readonly minWords: number;
  private readonly maxWords: number;
  private readonly maxChars: number;

  constructor(opts: SentenceSplitterOptions = {}) {
    this.minWords = opts.firstChunkMinWords ?? 3;
    this.maxWords = opts.firstChunkMaxWords ?? 8;
    this.maxChars = opts.maxChunkChars ?? 220;
  }

  /** Add an LLM delta; returns the chunks it completed (possibly none). */
  push(delta: string): string[] {
    this.buf += delta;
    return this.drain(false);
  }

  /** End of the reply: whatever is left, as chunks. Resets for the next reply. */
  flush(): string[] {
    const out = this.drain(true);
    const rest = this.buf.trim();
    if (hasContent(rest)) out.push(rest);
    this.buf = '';
    this.emitted = 0;
    return out;
  }

  /** Drop buffered text (barge-in) and start a new reply. */
  reset(): void {
    this.buf = '';
    this.emitted = 0;
  }

  private drain(final: boolean): string[] {
    const out: string[] = [];
    for (;;) {
      const cut = this.findCut(final);
      if (cut <= 0) break;
      const chunk = this.buf.slice(0, cut).trim();
      this.buf = this.buf.slice(cut);
      if (hasContent(chunk)) {
        out.push(chunk);
        this.emitted++;
      } else if (chunk) {
        // Stray punctuation (a lone closing quote): keep it with the next chunk rather than speak it.
        this.buf = chunk + this.buf;
        break;
      }
    }
    return out;
  }

  /** Index just past the earliest confirmed boundary, or -1 when more text is needed. */
  private findCut(final: boolean): number {
    const s = this.buf;
    const n = s.length;
    const early = this.emitted === 0;
    let words = 0;
    let inWord = false;
    for (let i = 0; i < n; i++) {
      const c = s[i];
      if (isSpace(c)) {
        if (inWord) words++;
        inWord = false;
        if (c === '\n' && hasContent(s.slice(0, i))) return i + 1;
        if (early && this.maxWords > 0 && words >= this.maxWords && this.safeWordCut(s, i)) return i + 1;
        if (i >= this.maxChars && this.safeWordCut(s, i)) return i + 1;
        continue;
      }
      inWord = true;

      if (TERMINATORS.includes(c)) {
        let j = i;
        while (j < n && TERMINATORS.includes(s[j])) j++;
        const run = s.slice(i, j);
        while (j < n && CLOSERS.includes(s[j])) j++;
        if (j >= n) return final ? n : -1;
        if (!isSpace(s[j])) {
          i = j - 1; // "3.14", "e.g.x", "?!" inside a token: not a boundary
          continue;
        }
        let k = j;
        while (k < n && (isSpace(s[k]) || OPENERS.includes(s[k]))) k++;
        if (k >= n) return final ? n : -1;
        if (this.endsSentence(s, i, run, s[k])) return j;
        i = j - 1;
        continue;
      }

      if (SOFT_BREAKS.includes(c)) {
        if (i + 1 >= n) return -1; // "1,5" or "1, 5": we need the next character to know
        if (!isSpace(s[i + 1])) continue;
        if (early && words + 1 >= this.minWords) return i + 1;
        if (i >= this.maxChars * 0.6 && hasContent(s.slice(i + 1))) return i + 1;
      }
    }
    return -1;
  }

  /** Decide whether the terminator run starting at `i` ends a sentence, given the next visible char. */
  private endsSentence(s: string, i: number, run: string, next: string): boolean {
    if (run.includes('!') || run.includes('?')) return true;
    const ellipsis = run === '…' || run.length >= 3;
    if (ellipsis) return !isLower(next);
    // A single '.' (or '..'): look at the word it closes.
    let b = i;
    while (b > 0 && !isSpace(s[b - 1])) b--;
    let word = s.slice(b, i);
    while (word && OPENERS.includes(word[0])) word = word.slice(1);
    const lw = word.toLowerCase();
    if (SENTENCE_FINAL_ABBREVIATIONS.has(lw)) return isUpper(next);
    if (ABBREVIATIONS.has(lw)) return false;
    // An initial ("J. Smith") is not the end of a sentence.
    if (word.length === 1 && isUpper(word) && isUpper(next)) return false;
    // Internal dots ("e.g", "U.S") are abbreviations; end only before a capital.
    if (/^\p{L}(\.\p{L})+$/u.test(word)) return isUpper(next);
    if (isLower(next)) return false;
    // "1. First item": a list marker alone is not a sentence.
    if (/^\d+$/.test(word) && s.slice(0, b).trim() === '') return false;
    return isUpper(next) || isDigit(next) || !isLower(next);
  }

  /** Cutting at a space after a word that is not an abbreviation or a lone number start. */
  private safeWordCut(s: string, spaceAt: number): boolean {
    let b = spaceAt;
    while (b > 0 && !isSpace(s[b - 1])) b--;
    const word = s.slice(b, spaceAt).replace(/\.$/, '').toLowerCase();
    if (ABBREVIATIONS.has(word)) return false;
    return hasContent(s.slice(0, spaceAt));
  }
}

/** Split a whole text at once (for FAQ answers and prompts). No early first chunk. */
export function splitSentences(text: string, opts: SentenceSplitterOptions = {}): string[] {
  const splitter = new SentenceSplitter({ firstChunkMaxWords: 0, firstChunkMinWords: Number.MAX_SAFE_INTEGER, ...opts });
  return [...splitter.push(text), ...splitter.flush()];
}
