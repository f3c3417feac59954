/**
 * Test speech from Debian's synthetic voices (espeak-ng and flite, several voices and speeds), as
 * 16 kHz PCM16, optionally through a telephone line (8 kHz, 300-3400 Hz) and with white noise at a
 * signal-to-noise ratio. Generated at run time: no audio is committed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { rms } from '../../media/pcm.ts';
import { resampleClip } from '../../media/resampler.ts';
import { parseWav } from '../../media/wav.ts';
import { whiteNoise } from './white-noise.ts';

export interface SyntheticVoice {
  engine: 'espeak' | 'flite';
  /** espeak-ng `-v` (en-us, en-gb+f3...) or a flite voice (slt, kal16, rms...). */
  voice: string;
  /** espeak-ng words per minute (its default is 175). */
  wpm?: number;
}

export const VOICES: readonly SyntheticVoice[] = [
  { engine: 'espeak', voice: 'en-us' },
  { engine: 'espeak', voice: 'en-us', wpm: 210 },
  { engine: 'espeak', voice: 'en-gb+f3', wpm: 150 },
  { engine: 'flite', voice: 'slt' },
  { engine: 'flite', voice: 'kal16' },
  { engine: 'flite', voice: 'rms' },
];

export const voiceName = (v: SyntheticVoice) => `${v.engine}:${v.voice}${v.wpm ? `@${v.wpm}` : ''}`;

export function synthesize(text: string, v: SyntheticVoice): Int16Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'voices-'));
  try {
    const file = path.join(dir, 'say.wav');
    if (v.engine === 'flite') execFileSync('flite', ['-voice', v.voice, '-t', text, '-o', file]);
    else execFileSync('espeak-ng', ['-v', v.voice, ...(v.wpm ? ['-s', String(v.wpm)] : []), '-w', file, text]);
    const wav = parseWav(readFileSync(file));
    return resampleClip(wav.samples, wav.sampleRate, 16000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Through an 8 kHz telephone channel: band-limited to 300-3400 Hz (a 2nd-order high-pass at 300 Hz; 8 kHz sampling and the resampler's filter take the top). */
export function telephoneBand(pcm16k: Int16Array): Int16Array {
  const narrow = resampleClip(pcm16k, 16000, 8000);
  // RBJ biquad high-pass, Q = 0.707, at 300 Hz for 8 kHz.
  const w = (2 * Math.PI * 300) / 8000;
  const alpha = Math.sin(w) / (2 * Math.SQRT1_2);
  const cos = Math.cos(w);
  const a0 = 1 + alpha;
  const b0 = (1 + cos) / 2 / a0;
  const b1 = -(1 + cos) / a0;
  const a1 = (-2 * cos) / a0;
  const a2 = (1 - alpha) / a0;
  let x1 = 0, x2 = 0, y1 = 0, y2 = 0;
  const out = new Int16Array(narrow.length);
  for (let i = 0; i < narrow.length; i++) {
    const x = narrow[i];
    const y = b0 * x + b1 * x1 + b0 * x2 - a1 * y1 - a2 * y2;
    x2 = x1; x1 = x; y2 = y1; y1 = y;
    out[i] = Math.max(-32768, Math.min(32767, Math.round(y)));
  }
  return resampleClip(out, 8000, 16000);
}

/** White noise added at `snrDb` below the speech's own RMS (computed over its loud part). */
export function withNoise(pcm: Int16Array, snrDb: number, seed = 7): Int16Array {
  const { first, last } = speechSpan(pcm);
  const level = rms(pcm.subarray(Math.max(0, first), Math.max(first + 1, last)));
  const noiseDbfs = 20 * Math.log10(Math.max(1, level) / 32768) - snrDb;
  const noise = whiteNoise(pcm.length / 16000, noiseDbfs, seed);
  const out = new Int16Array(pcm.length);
  for (let i = 0; i < pcm.length; i++) out[i] = Math.max(-32768, Math.min(32767, pcm[i] + (noise[i] ?? 0)));
  return out;
}

/** First and last 10 ms window above -40 dBFS (where the speech is), in samples. */
export function speechSpan(pcm: Int16Array): { first: number; last: number } {
  const win = 160;
  let first = -1;
  let last = -1;
  for (let i = 0; i + win <= pcm.length; i += win) {
    if (rms(pcm.subarray(i, i + win)) > 327) {
      if (first < 0) first = i;
      last = i + win;
    }
  }
  return { first, last };
}
