/**
 * Real speech for tests, generated at test time (nothing binary in git): flite or espeak-ng to a
 * WAV in a temp dir, read back as PCM16, optionally through 8 kHz (a telephone caller, resampled to
 * 16 kHz the way the pipeline does), optionally padded with silence.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { readWavFile } from '../../../media/wav.ts';
import { createResampler } from '../../../media/resampler.ts';
import { tempDir } from '../../helpers/temp-dir.ts';

const dir = tempDir('speech-');
let n = 0;

export interface SpeechOptions {
  engine?: 'flite' | 'espeak';
  /** Pass through 8 kHz and back (telephone band). */
  via8k?: boolean;
  leadSilenceSec?: number;
  trailSilenceSec?: number;
  /** espeak voice (default en-us). */
  voice?: string;
}

function resample(pcm: Int16Array, from: number, to: number): Int16Array {
  if (from === to) return pcm;
  // The TS kernel: the native addon is optional and tests must not depend on its build state.
  const r = createResampler(from, to, { impl: 'ts' });
  const a = r.process(pcm);
  const b = r.flush();
  const out = new Int16Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** 16 kHz PCM16 of `text`, plus where the speech is (sample indices, from an energy gate). */
export async function speech(text: string, o: SpeechOptions = {}): Promise<{ pcm: Int16Array; speechStart: number; speechEnd: number }> {
  const file = join(dir, `s${++n}.wav`);
  if ((o.engine ?? 'flite') === 'flite') execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', file]);
  else execFileSync('espeak-ng', ['-v', o.voice ?? 'en-us', '-w', file, text]);
  const wav = await readWavFile(file);
  let pcm = resample(wav.samples, wav.sampleRate, 16000);
  if (o.via8k) pcm = resample(resample(pcm, 16000, 8000), 8000, 16000);
  const lead = Math.round((o.leadSilenceSec ?? 0) * 16000);
  const trail = Math.round((o.trailSilenceSec ?? 0) * 16000);
  const out = new Int16Array(lead + pcm.length + trail);
  out.set(pcm, lead);
  const { first, last } = energySpan(out);
  return { pcm: out, speechStart: first, speechEnd: last };
}

/** First and last 10 ms window louder than -40 dBFS: ground truth for VAD timing tests. */
export function energySpan(pcm: Int16Array): { first: number; last: number } {
  const win = 160;
  let first = -1;
  let last = -1;
  for (let i = 0; i + win <= pcm.length; i += win) {
    let sum = 0;
    for (let j = i; j < i + win; j++) sum += pcm[j] * pcm[j];
    const rms = Math.sqrt(sum / win);
    if (rms > 327) {
      if (first < 0) first = i;
      last = i + win;
    }
  }
  return { first, last };
}
