/**
 * The one FAQ lookup, for every channel (calls, admin chat, /v1). It tolerates STT errors: each
 * entry has example questions and keywords; a caller's text scores against every question by
 * fuzzy token coverage in both directions (how much of the question was said, how much of what was
 * said belongs to the question), and against keywords (one strong keyword such as
 * "address"/"адрес" is enough). Below the threshold there is no answer, which is better than a
 * confident wrong one.
 *
 * Fast enough for a text API under load: the entries' distinct stems form a vocabulary, each said
 * stem is compared with that vocabulary once (cheap length and prefix checks first, edit distance
 * only for the few that pass; remembered across queries), and only entries sharing a similar stem
 * are scored. The scores are exactly those of comparing every token pair.
 */
import { contentStems } from './normalize.ts';
import { tokenSimilarity } from './similarity.ts';

export interface FaqEntry {
  id: string;
  /** Example phrasings of the question. */
  questions: string[];
  answer: string;
  /** Words that alone identify the entry (stemmed at load). */
  keywords?: string[];
  /** What the built-in dialogue should do besides answering (e.g. start taking a message). */
  action?: 'take_message' | 'end_call';
  language?: string;
}

export interface FaqMatch {
  entry: FaqEntry;
  /** 0..1 */
  score: number;
  /** The question or keyword that matched best, for logs. */
  matched: string;
}

export interface FaqMatcherOptions {
  /** Minimum score for a match (default DEFAULT_FAQ_THRESHOLD). */
  threshold?: number;
}

/** Measured on the tests' questions (test/pipeline/faq-matcher.test.ts): no false match above it, STT variants still in. */
export const DEFAULT_FAQ_THRESHOLD = 0.55;

/** Said stems whose similarities to the vocabulary are remembered (callers repeat the same words). */
const SIMILARITY_CACHE_ENTRIES = 4096;

/** A phrase as indices into the vocabulary. */
interface Phrase {
  text: string;
  stems: number[];
}

interface Prepared {
  entry: FaqEntry;
  questions: Phrase[];
  keywords: Phrase[];
}

export class FaqMatcher {
  private readonly prepared: Prepared[];
  readonly threshold: number;
  private readonly vocabulary: string[] = [];
  private readonly vocabularyIndex = new Map<string, number>();
  /** Vocabulary index -> the prepared entries that use it. */
  private readonly postings: number[][] = [];
  /** Said stem -> (vocabulary index -> similarity > 0). */
  private readonly similarities = new Map<string, Map<number, number>>();

  constructor(entries: readonly FaqEntry[], opts: FaqMatcherOptions = {}) {
    this.threshold = opts.threshold ?? DEFAULT_FAQ_THRESHOLD;
    this.prepared = entries.map((entry, i) => {
      const phrase = (text: string): Phrase => ({ text, stems: contentStems(text).map((s) => this.indexOf(s, i)) });
      return {
        entry,
        questions: entry.questions.map(phrase),
        keywords: (entry.keywords ?? []).map(phrase).filter((k) => k.stems.length),
      };
    });
  }

  get entries(): FaqEntry[] {
    return this.prepared.map((p) => p.entry);
  }

  /** Every example question, e.g. to bias a grammar-based STT toward them. */
  phrases(): string[] {
    return this.prepared.flatMap((p) => p.entry.questions);
  }

  /** The same entries judged against another threshold (the admin's "try a question" tool). */
  withThreshold(threshold: number): FaqMatcher {
    return new FaqMatcher(this.entries, { threshold });
  }

  /** Best entry above the threshold, or null. */
  match(text: string): FaqMatch | null {
    const ranked = this.rank(text);
    return ranked.length && ranked[0].score >= this.threshold ? ranked[0] : null;
  }

  /** All entries with a non-zero score, best first (for debugging and tests). */
  rank(text: string): FaqMatch[] {
    const said = contentStems(text);
    if (!said.length) return [];
    const sims = said.map((s) => this.similaritiesOf(s));
    const candidates = new Set<number>();
    for (const row of sims) for (const v of row.keys()) for (const p of this.postings[v]) candidates.add(p);
    const sim = (i: number, v: number) => sims[i].get(v) ?? 0;
    /** For each stem of `wanted`, its best similarity among the said stems, averaged: how much of it was said. */
    const recallOf = (wanted: number[]) => {
      let sum = 0;
      for (const v of wanted) {
        let best = 0;
        for (let i = 0; i < said.length && best < 1; i++) best = Math.max(best, sim(i, v));
        sum += best;
      }
      return wanted.length ? sum / wanted.length : 0;
    };
    /** For each said stem, its best similarity among `phrase`'s stems, averaged: how much of what was said belongs to it. */
    const precisionOf = (phrase: number[]) => {
      let sum = 0;
      for (let i = 0; i < said.length; i++) {
        let best = 0;
        for (let j = 0; j < phrase.length && best < 1; j++) best = Math.max(best, sim(i, phrase[j]));
        sum += best;
      }
      return sum / said.length;
    };
    const out: FaqMatch[] = [];
    // In the entries' order, so that the stable sort below keeps it among equal scores.
    for (const index of [...candidates].sort((a, b) => a - b)) {
      const p = this.prepared[index];
      let best = 0;
      let matched = '';
      for (const q of p.questions) {
        const recall = recallOf(q.stems);
        const precision = precisionOf(q.stems);
        // F2-ish: recall weighs more, callers add words ("hi, um, I wanted to ask...") more than they drop them.
        const score = recall * precision === 0 ? 0 : (3 * recall * precision) / (2 * precision + recall);
        if (score > best) {
          best = score;
          matched = q.text;
        }
      }
      for (const k of p.keywords) {
        const kw = recallOf(k.stems);
        // A keyword is a strong signal but not proof: it lands a little above the default threshold.
        // Focus: the share of said stems the keyword accounts for ("address" alone beats "address of my friend's dentist").
        const focus = kw >= 0.8 ? said.filter((_, i) => k.stems.some((v) => sim(i, v) >= 0.8)).length / said.length : 0;
        const score = kw >= 0.8 ? 0.6 + 0.2 * kw * focus : 0;
        if (score > best) {
          best = score;
          matched = k.text;
        }
      }
      if (best > 0) out.push({ entry: p.entry, score: Math.min(1, best), matched });
    }
    return out.sort((a, b) => b.score - a.score);
  }

  private indexOf(stem: string, entry: number): number {
    let v = this.vocabularyIndex.get(stem);
    if (v === undefined) {
      v = this.vocabulary.push(stem) - 1;
      this.vocabularyIndex.set(stem, v);
      this.postings.push([]);
    }
    const list = this.postings[v];
    if (list[list.length - 1] !== entry) list.push(entry);
    return v;
  }

  /** Non-zero similarities of one said stem to the vocabulary; only candidates that could reach tokenSimilarity's floor are measured. */
  private similaritiesOf(stem: string): Map<number, number> {
    const cached = this.similarities.get(stem);
    if (cached) return cached;
    const out = new Map<number, number>();
    const exact = this.vocabularyIndex.get(stem);
    if (exact !== undefined) out.set(exact, 1);
    const prefix = stem.length >= 4 ? stem.slice(0, 4) : null;
    this.vocabulary.forEach((word, v) => {
      if (v === exact) return;
      const len = Math.max(word.length, stem.length);
      // Edit distance is at least the length difference: beyond 40% of the longer word it cannot
      // reach 0.6; then only a shared 4-letter prefix can make the two similar.
      if (Math.abs(word.length - stem.length) > 0.4 * len && (prefix === null || !word.startsWith(prefix))) return;
      const s = tokenSimilarity(stem, word);
      if (s > 0) out.set(v, s);
    });
    if (this.similarities.size >= SIMILARITY_CACHE_ENTRIES) this.similarities.delete(this.similarities.keys().next().value!);
    this.similarities.set(stem, out);
    return out;
  }
}
