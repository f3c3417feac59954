/**
 * JSGF grammars for pocketsphinx built from expected phrases (FAQ questions, yes/no). Words the
 * pronunciation dictionary lacks are dropped (pocketsphinx refuses a grammar with unknown words),
 * and a small dictionary with only the grammar's words is written next to it, which makes the
 * grammar decoder start in a fraction of the time the full 130k-word dictionary takes.
 */
import { readFileSync } from 'node:fs';

let cached: { path: string; entries: Map<string, string[]> } | null = null;

/** word -> its dictionary lines (a word may have variants "word(2)"). Loaded once per process. */
export function loadDictionary(path: string): Map<string, string[]> {
  if (cached?.path === path) return cached.entries;
  const entries = new Map<string, string[]>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const sp = line.indexOf(' ');
    if (sp <= 0) continue;
    const word = line.slice(0, sp).replace(/\(\d+\)$/, '');
    const list = entries.get(word);
    if (list) list.push(line);
    else entries.set(word, [line]);
  }
  cached = { path, entries };
  return entries;
}

/** Lower-case words as the dictionary spells them: digits and punctuation out, apostrophes kept. */
export function phraseWords(phrase: string): string[] {
  return phrase
    .toLowerCase()
    .replace(/[^a-z' ]+/g, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}

export interface BuiltGrammar {
  jsgf: string;
  dict: string;
  /** The phrases as they appear in the grammar (after dropping unknown words), deduplicated. */
  phrases: string[];
  droppedWords: string[];
}

export function buildGrammar(phrases: readonly string[], dictionary: Map<string, string[]>): BuiltGrammar {
  const kept = new Set<string>();
  const dropped = new Set<string>();
  const words = new Set<string>();
  for (const p of phrases) {
    const ws = phraseWords(p).filter((w) => {
      if (dictionary.has(w)) return true;
      dropped.add(w);
      return false;
    });
    if (!ws.length) continue;
    kept.add(ws.join(' '));
    for (const w of ws) words.add(w);
  }
  const list = [...kept];
  if (!list.length) throw new Error('no phrase has a word the pronunciation dictionary knows');
  const jsgf = `#JSGF V1.0;\ngrammar expected;\npublic <utterance> = ${list.join(' | ')};\n`;
  const dict = [...words].flatMap((w) => dictionary.get(w)!).join('\n') + '\n';
  return { jsgf, dict, phrases: list, droppedWords: [...dropped] };
}
