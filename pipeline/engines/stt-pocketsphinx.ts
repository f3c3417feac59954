/**
 * Offline English STT that works without downloaded models: pocketsphinx from Debian.
 *
 * The general language model alone is poor on telephone speech (8 kHz upsampled), while a JSGF
 * grammar of the expected phrases is nearly exact on it, but a grammar forces every utterance
 * onto one of its phrases. So each utterance goes to two long-lived decoders at once:
 *   - the grammar decoder (~30 ms), whose result is taken when it is confident: its path score
 *     per 10 ms frame is high, or the general LM heard mostly the same words;
 *   - the general-LM decoder (~0.3 s per utterance), whose text is used otherwise (names,
 *     messages, anything off-script).
 * Measured on flite/espeak-ng speech at 16 kHz and 8 kHz upsampled (see docs/engines.md).
 *
 * No partial results: pocketsphinx_batch decodes whole utterances (the VAD delimits them).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineLog } from './engine-error.ts';
import { concatInt16, rms } from '../../media/pcm.ts';
import { ownedTempDir } from '../../runtime/owned-temp.ts';
import { PocketsphinxBatchDecoder, type BatchHypothesis } from './pocketsphinx-batch.ts';
import { buildGrammar, loadDictionary, phraseWords } from './pocketsphinx-grammar.ts';
import type { EngineHealth, SttEngine, SttOptions, SttResult, SttStream } from './types.ts';

export const DEFAULT_POCKETSPHINX_MODEL = '/usr/share/pocketsphinx/model/en-us';

export interface PocketsphinxSttOptions {
  /** Directory holding en-us/ (acoustic model), en-us.lm.bin and cmudict-en-us.dict. */
  modelDir?: string;
  /** Phrases for the grammar when a call passes no hints. */
  phrases?: string[];
  /** Grammar result accepted outright at or above this path score per frame (default -22). */
  grammarMinFrameScore?: number;
  /** ...or when at least this share of its words is in the LM result (default 0.5). */
  grammarMinOverlap?: number;
  /** Disable the general LM (grammar only; much cheaper, but off-script speech is lost). */
  useLm?: boolean;
  /** Grammar decoders kept alive for different phrase sets (default 4). */
  maxGrammars?: number;
  /** Where pocketsphinx's stderr goes when it fails (never into errors or health). */
  log?: EngineLog;
}

/** Utterances shorter than this are not decoded (a click, a breath). */
const MIN_SAMPLES = 1600;
/** The confidence given to a grammar reading taken outright. */
export const GRAMMAR_SURE = 0.9;
/** Audio after a peek quieter than this (-40 dBFS) cannot hide words: the peek's decode stands. */
const QUIET_RMS = 327;

interface Decoding {
  grammar: Promise<SttResult>;
  full: Promise<SttResult>;
}

export class PocketsphinxStt implements SttEngine {
  readonly name = 'pocketsphinx';
  readonly streaming = false;
  private readonly modelDir: string;
  private lm: PocketsphinxBatchDecoder | null = null;
  /** Grammar decoders by phrase set, most recently used last. */
  private readonly grammars = new Map<string, PocketsphinxBatchDecoder>();
  private readonly workDir: string;
  private grammarSeq = 0;
  private closed = false;

  constructor(private readonly opts: PocketsphinxSttOptions = {}) {
    this.modelDir = opts.modelDir ?? DEFAULT_POCKETSPHINX_MODEL;
    // Named for this process: a gateway killed with -9 cannot remove it, the next start will.
    this.workDir = ownedTempDir('psx-grammar');
  }

  health(): EngineHealth {
    const errors = [this.lm?.lastError, ...[...this.grammars.values()].map((g) => g.lastError)].filter(Boolean);
    return { name: this.name, ok: errors.length === 0, detail: errors[0] ?? undefined };
  }

  /** Start the decoders now so the first utterance does not pay for model loading. */
  warm(phrases = this.opts.phrases): void {
    if (this.opts.useLm !== false) this.lmDecoder().warm();
    if (phrases?.length) this.grammarDecoder(phrases).warm();
  }

  /**
   * An utterance. A peek (at a pause in the speech) starts the whole decode of the audio so far,
   * grammar and language model, and answers with the grammar's reading; if nothing loud follows
   * before the end, finish() takes that decode, begun while the caller was still silent-but-not-
   * done, instead of starting one (the trailing silence adds no words). Speech after the pause,
   * or noise loud enough to hide some, means a fresh decode.
   */
  createStream(opts: SttOptions = {}): SttStream {
    const parts: Int16Array[] = [];
    let length = 0;
    let done = false;
    let speculation: (Decoding & { stale: AbortController }) | null = null;
    let loudSinceSpeculation = false;
    // A speculative decode the caller made stale is dropped if it has not started: on the shared
    // decoder process it would delay every call's next decode.
    const dropSpeculation = () => speculation?.stale.abort();
    return {
      accept: (pcm) => {
        if (done) return;
        parts.push(pcm.slice());
        length += pcm.length;
        if (speculation && !loudSinceSpeculation && rms(pcm) > QUIET_RMS) {
          loudSinceSpeculation = true;
          dropSpeculation();
        }
      },
      onPartial: () => () => {},
      finish: async () => {
        done = true;
        if (speculation && !loudSinceSpeculation) return speculation.full;
        return this.transcribe(concatInt16(parts), opts);
      },
      peek: async () => {
        if (done || this.closed || length < MIN_SAMPLES) return { text: '', confidence: 0, latencyMs: 0 };
        dropSpeculation();
        const stale = new AbortController();
        speculation = { ...this.decode(concatInt16(parts), opts, stale.signal), stale };
        loudSinceSpeculation = false;
        speculation.full.catch(() => {}); // a failure shows at finish(), if it is used
        return speculation.grammar;
      },
      cancel: () => {
        done = true;
        dropSpeculation();
        parts.length = 0;
      },
    };
  }

  async transcribe(pcm: Int16Array, opts: SttOptions = {}): Promise<SttResult> {
    if (this.closed) throw new Error('stt closed');
    if (pcm.length < MIN_SAMPLES) return { text: '', latencyMs: 0 };
    return this.decode(pcm, opts).full;
  }

  /** Both decoders on `pcm`: the grammar's reading alone (as soon as it is there), and the final result. */
  private decode(pcm: Int16Array, opts: SttOptions, signal?: AbortSignal): Decoding {
    const started = performance.now();
    const phrases = opts.hints?.length ? opts.hints : this.opts.phrases;
    const useLm = this.opts.useLm !== false;
    const lmRun = useLm ? this.lmDecoder().decode(pcm, signal) : null;
    // Keep a rejected LM promise from being reported as unhandled when we return early.
    lmRun?.catch(() => {});
    const done = (r: Omit<SttResult, 'latencyMs'>): SttResult => ({ ...r, latencyMs: performance.now() - started });
    const grammarRun = phrases?.length ? this.grammarDecoder(phrases).decode(pcm, signal) : null;
    grammarRun?.catch(() => {});
    const grammar = grammarRun
      ? grammarRun.then((g) => done({ text: g.text, confidence: this.grammarSure(g) ? GRAMMAR_SURE : 0.5 }))
      : Promise.resolve(done({ text: '', confidence: 0 }));
    const full = (async (): Promise<SttResult> => {
      if (grammarRun) {
        const g = await grammarRun;
        if (this.grammarSure(g)) return done({ text: g.text, alternatives: [], confidence: GRAMMAR_SURE });
        if (!lmRun) return done({ text: g.text, confidence: g.text ? 0.5 : 0 });
        const lm = await lmRun;
        if (g.text && overlap(g.text, lm.text) >= (this.opts.grammarMinOverlap ?? 0.5)) {
          return done({ text: g.text, alternatives: [lm.text], confidence: 0.7 });
        }
        return done({ text: lm.text, alternatives: g.text ? [g.text] : [], confidence: 0.4 });
      }
      if (!lmRun) return done({ text: '' });
      const lm = await lmRun;
      return done({ text: lm.text, confidence: 0.4 });
    })();
    return { grammar, full };
  }

  /** The grammar's reading is taken outright: its path score per 10 ms frame is high. */
  private grammarSure(g: BatchHypothesis): boolean {
    return g.text !== '' && frameScore(g) >= (this.opts.grammarMinFrameScore ?? -22);
  }

  private lmDecoder(): PocketsphinxBatchDecoder {
    this.lm ??= new PocketsphinxBatchDecoder({
      hmm: join(this.modelDir, 'en-us'),
      dict: join(this.modelDir, 'cmudict-en-us.dict'),
      lm: join(this.modelDir, 'en-us.lm.bin'),
      log: this.opts.log,
    });
    return this.lm;
  }

  private grammarDecoder(phrases: readonly string[]): PocketsphinxBatchDecoder {
    const key = phrases.map((p) => phraseWords(p).join(' ')).sort().join('|');
    const hit = this.grammars.get(key);
    if (hit) {
      this.grammars.delete(key);
      this.grammars.set(key, hit);
      return hit;
    }
    const built = buildGrammar(phrases, loadDictionary(join(this.modelDir, 'cmudict-en-us.dict')));
    const n = ++this.grammarSeq;
    const jsgf = join(this.workDir, `g${n}.jsgf`);
    const dict = join(this.workDir, `g${n}.dict`);
    writeFileSync(jsgf, built.jsgf);
    writeFileSync(dict, built.dict);
    const decoder = new PocketsphinxBatchDecoder({ hmm: join(this.modelDir, 'en-us'), dict, jsgf, log: this.opts.log });
    this.grammars.set(key, decoder);
    while (this.grammars.size > (this.opts.maxGrammars ?? 4)) {
      const [oldKey, old] = this.grammars.entries().next().value as [string, PocketsphinxBatchDecoder];
      this.grammars.delete(oldKey);
      void old.close();
    }
    return decoder;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.lm?.close(), ...[...this.grammars.values()].map((g) => g.close())]);
    this.grammars.clear();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function frameScore(h: BatchHypothesis): number {
  return h.frames ? h.score / h.frames : -Infinity;
}

/** Share of the grammar result's words that the general LM also heard. */
function overlap(grammarText: string, lmText: string): number {
  const g = grammarText.split(' ').filter(Boolean);
  const l = new Set(lmText.split(' ').filter(Boolean));
  if (!g.length) return 0;
  return g.filter((w) => l.has(w)).length / g.length;
}
