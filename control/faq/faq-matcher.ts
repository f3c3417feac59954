/**
 * A simple FAQ matcher: Dice overlap between the stems of the question asked and of each FAQ
 * question, with a boost when one of the entry's keywords appears. An inverted index keeps it
 * proportional to the entries that share a word, not to the size of the FAQ. It sits behind the
 * FaqMatcher interface so the pipeline's dialogue matcher can replace it.
 */
import type { FaqEntry } from '../repositories/faq.ts';
import { stems } from './text-normalize.ts';

export interface FaqMatch {
  id: number;
  question: string;
  answer: string;
  score: number;
}

export interface FaqMatcher {
  match(text: string): FaqMatch | null;
  readonly size: number;
}

interface Indexed {
  entry: FaqEntry;
  question: Set<string>;
  keywords: Array<Set<string>>;
}

export const DEFAULT_THRESHOLD = 0.5;

export function buildFaqMatcher(entries: readonly FaqEntry[], threshold = DEFAULT_THRESHOLD): FaqMatcher {
  const indexed: Indexed[] = entries
    .filter((e) => e.enabled)
    .map((entry) => ({ entry, question: stems(entry.question), keywords: entry.keywords.map(stems).filter((k) => k.size > 0) }));
  const byStem = new Map<string, number[]>();
  indexed.forEach((ix, i) => {
    for (const s of new Set([...ix.question, ...ix.keywords.flatMap((k) => [...k])])) {
      const list = byStem.get(s);
      if (list) list.push(i);
      else byStem.set(s, [i]);
    }
  });

  return {
    size: indexed.length,
    match(text) {
      const q = stems(text);
      if (q.size === 0) return null;
      const candidates = new Set<number>();
      for (const s of q) for (const i of byStem.get(s) ?? []) candidates.add(i);
      let best: FaqMatch | null = null;
      for (const i of candidates) {
        const ix = indexed[i];
        let shared = 0;
        for (const s of ix.question) if (q.has(s)) shared++;
        let score = ix.question.size ? (2 * shared) / (q.size + ix.question.size) : 0;
        // A keyword phrase fully present in the question is strong evidence on its own.
        const hits = ix.keywords.filter((k) => [...k].every((s) => q.has(s))).length;
        if (hits) score = Math.max(score, Math.min(1, 0.6 + 0.1 * hits));
        if (score >= threshold && (!best || score > best.score)) best = { id: ix.entry.id, question: ix.entry.question, answer: ix.entry.answer, score: Math.round(score * 1000) / 1000 };
      }
      return best;
    },
  };
}
