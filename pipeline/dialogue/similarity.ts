/**
 * Fuzzy token similarity: STT turns "hours" into "ours" and "адрес" into "адреса"; an exact match
 * would miss both. Normalised edit distance is enough at the token level (tokens are short).
 */

export function levenshtein(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/** 1 for equal tokens, down to 0; short tokens must match closely (one edit in a 3-letter word is a different word). */
export function tokenSimilarity(a: string, b: string): number {
  if (a === b) return 1;
  const len = Math.max(a.length, b.length);
  if (len <= 2) return 0;
  const sim = 1 - levenshtein(a, b) / len;
  // A shared prefix of 4+ letters is strong evidence in both languages (same root, other ending).
  const prefix = commonPrefix(a, b);
  const prefixSim = prefix >= 4 ? 0.75 + 0.25 * (prefix / len) : 0;
  const best = Math.max(sim, prefixSim);
  return best >= 0.6 ? best : 0;
}

function commonPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** For each token of `wanted`, its best similarity among `have`, averaged: how much of `wanted` was said. */
export function coverage(wanted: readonly string[], have: readonly string[]): number {
  if (!wanted.length) return 0;
  let sum = 0;
  for (const w of wanted) {
    let best = 0;
    for (const h of have) {
      const s = tokenSimilarity(w, h);
      if (s > best) best = s;
      if (best === 1) break;
    }
    sum += best;
  }
  return sum / wanted.length;
}
