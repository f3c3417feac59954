/**
 * FAQ lookup that tolerates STT errors: each entry has example questions and keywords; a caller's
 * text scores against every question by fuzzy token coverage in both directions (how much of the
 * question was said, how much of what was said belongs to the question), and against keywords
 * (one strong keyword such as "address"/"адрес" is enough). Below the threshold there is no answer,
 * which is better than a confident wrong one.
 */
import { contentStems } from './normalize.ts';
import { coverage, tokenSimilarity } from './similarity.ts';

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
  /** Minimum score for a match (default 0.55). */
  threshold?: number;
}

interface Prepared {
  entry: FaqEntry;
  questions: { text: string; stems: string[] }[];
  keywords: { text: string; stems: string[] }[];
}

export class FaqMatcher {
  private readonly prepared: Prepared[];
  readonly threshold: number;

  constructor(entries: readonly FaqEntry[], opts: FaqMatcherOptions = {}) {
    this.threshold = opts.threshold ?? 0.55;
    this.prepared = entries.map((entry) => ({
      entry,
      questions: entry.questions.map((q) => ({ text: q, stems: contentStems(q) })),
      keywords: (entry.keywords ?? []).map((k) => ({ text: k, stems: contentStems(k) })).filter((k) => k.stems.length),
    }));
  }

  get entries(): FaqEntry[] {
    return this.prepared.map((p) => p.entry);
  }

  /** Every example question, e.g. to bias a grammar-based STT toward them. */
  phrases(): string[] {
    return this.prepared.flatMap((p) => p.entry.questions);
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
    const out: FaqMatch[] = [];
    for (const p of this.prepared) {
      let best = 0;
      let matched = '';
      for (const q of p.questions) {
        const recall = coverage(q.stems, said);
        const precision = coverage(said, q.stems);
        // F2-ish: recall weighs more, callers add words ("hi, um, I wanted to ask...") more than they drop them.
        const score = recall * precision === 0 ? 0 : (3 * recall * precision) / (2 * precision + recall);
        if (score > best) {
          best = score;
          matched = q.text;
        }
      }
      for (const k of p.keywords) {
        const kw = coverage(k.stems, said);
        // A keyword is a strong signal but not proof: it lands a little above the default threshold.
        const score = kw >= 0.8 ? 0.6 + 0.2 * kw * keywordFocus(said, k.stems) : 0;
        if (score > best) {
          best = score;
          matched = k.text;
        }
      }
      if (best > 0) out.push({ entry: p.entry, score: Math.min(1, best), matched });
    }
    return out.sort((a, b) => b.score - a.score);
  }
}

/** Share of the said tokens the keyword accounts for: "address" alone beats "address of my friend's dentist". */
function keywordFocus(said: string[], keyword: string[]): number {
  let hits = 0;
  for (const s of said) if (keyword.some((k) => tokenSimilarity(k, s) >= 0.8)) hits++;
  return hits / said.length;
}
