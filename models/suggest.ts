// "Did you mean" for model names. Names are long (sherpa-onnx-streaming-zipformer-...), so people
// type a fragment: substring hits come first, then names within a small edit distance.

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

export function suggest(query: string, names: readonly string[], max = 5): string[] {
  const q = query.toLowerCase();
  if (q.length === 0) return [];
  const contains = names.filter((n) => n.toLowerCase().includes(q));
  // Every word of the query present somewhere in the name ("whisper base", "ru irina").
  const words = q.split(/[\s_-]+/).filter(Boolean);
  const allWords = names.filter((n) => !contains.includes(n) && words.length > 1 && words.every((w) => n.toLowerCase().includes(w)));
  const limit = Math.max(2, Math.floor(q.length / 3));
  const near = names
    .filter((n) => !contains.includes(n) && !allWords.includes(n))
    .map((n) => ({ n, d: editDistance(q, n.toLowerCase()) }))
    .filter((x) => x.d <= limit)
    .sort((x, y) => x.d - y.d)
    .map((x) => x.n);
  return [...contains, ...allWords, ...near].slice(0, max);
}
