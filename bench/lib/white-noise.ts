/** White noise at a given level, 16 kHz PCM16, the same every run (seeded): a noisy line with nobody speaking. */

/** `seconds` of uniform white noise whose RMS is `dbfs` below full scale. */
export function whiteNoise(seconds: number, dbfs: number, seed = 1, rate = 16000): Int16Array {
  const rms = 32768 * 10 ** (dbfs / 20);
  // Uniform on [-a, a] has an RMS of a / sqrt(3).
  const a = Math.min(32767, rms * Math.sqrt(3));
  const out = new Int16Array(Math.round(seconds * rate));
  let s = seed >>> 0;
  for (let i = 0; i < out.length; i++) {
    // mulberry32: small, fast, and good enough for noise.
    s = (s + 0x6d2b79f5) >>> 0;
    let x = s;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    const u = ((x ^ (x >>> 14)) >>> 0) / 4294967296;
    out[i] = Math.round((u * 2 - 1) * a);
  }
  return out;
}
