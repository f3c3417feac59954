/** Test signals and measurements shared by the media tests (not a test file itself). */

/** A sine of `amplitude` (sample units) at `freq` Hz. */
export function sine(rate: number, freq: number, samples: number, amplitude = 16000, phase = 0): Int16Array {
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate + phase));
  return out;
}

/** Sine whose peak is `dbfs` relative to full scale (32768). */
export function sineDbfs(rate: number, freq: number, samples: number, dbfs: number): Int16Array {
  return sine(rate, freq, samples, 32768 * 10 ** (dbfs / 20));
}

/** Deterministic pseudo-random generator (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function noise(samples: number, amplitude: number, seed = 1): Int16Array {
  const r = rng(seed);
  const out = new Int16Array(samples);
  for (let i = 0; i < samples; i++) out[i] = Math.round((r() * 2 - 1) * amplitude);
  return out;
}

/** A crude speech-like signal: a 120 Hz pulse train shaped by two formant resonators, syllabic envelope. */
export function speechLike(rate: number, samples: number, seed = 7): Int16Array {
  const r = rng(seed);
  const out = new Int16Array(samples);
  const resonator = (f: number, bw: number) => {
    const rr = Math.exp((-Math.PI * bw) / rate);
    return { a1: 2 * rr * Math.cos((2 * Math.PI * f) / rate), a2: -rr * rr, y1: 0, y2: 0 };
  };
  const f1 = resonator(700, 130);
  const f2 = resonator(1220, 70);
  const period = Math.round(rate / 120);
  for (let i = 0; i < samples; i++) {
    const excitation = (i % period === 0 ? 1 : 0) + (r() - 0.5) * 0.02;
    const y1 = excitation + f1.a1 * f1.y1 + f1.a2 * f1.y2;
    f1.y2 = f1.y1;
    f1.y1 = y1;
    const y2 = y1 + f2.a1 * f2.y1 + f2.a2 * f2.y2;
    f2.y2 = f2.y1;
    f2.y1 = y2;
    const env = 0.55 + 0.45 * Math.sin((2 * Math.PI * 4 * i) / rate);
    out[i] = Math.max(-32768, Math.min(32767, Math.round(y2 * 40 * env)));
  }
  return out;
}

export function rmsOf(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, to - from));
}

/** Amplitude of the component at `freq` (least-squares fit of a sine and a cosine). */
export function toneAmplitude(x: Int16Array, rate: number, freq: number, from = 0, to = x.length): number {
  let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
  for (let i = from; i < to; i++) {
    const w = (2 * Math.PI * freq * i) / rate;
    const s = Math.sin(w);
    const c = Math.cos(w);
    ss += s * s;
    cc += c * c;
    sc += s * c;
    ys += x[i] * s;
    yc += x[i] * c;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det;
  const b = (yc * ss - ys * sc) / det;
  return Math.hypot(a, b);
}

/** SNR in dB of `actual` against `reference` (same length and alignment). */
export function snrDb(reference: ArrayLike<number>, actual: ArrayLike<number>, from = 0, to = reference.length): number {
  let sig = 0;
  let err = 0;
  for (let i = from; i < to; i++) {
    sig += reference[i] * reference[i];
    const e = reference[i] - actual[i];
    err += e * e;
  }
  return 10 * Math.log10(sig / Math.max(err, 1e-12));
}

/** Best SNR over integer delays 0..maxDelay of `actual` relative to `reference` (codecs with lookahead). */
export function alignedSnrDb(reference: Int16Array, actual: Int16Array, maxDelay: number, from = 0): { snr: number; delay: number } {
  let best = { snr: -Infinity, delay: 0 };
  for (let d = 0; d <= maxDelay; d++) {
    const n = Math.min(reference.length, actual.length - d);
    let sig = 0;
    let err = 0;
    for (let i = from; i < n; i++) {
      sig += reference[i] * reference[i];
      const e = reference[i] - actual[i + d];
      err += e * e;
    }
    const snr = 10 * Math.log10(sig / Math.max(err, 1e-12));
    if (snr > best.snr) best = { snr, delay: d };
  }
  return best;
}

export const db = (ratio: number): number => 20 * Math.log10(ratio);
