/** Caller speech made with flite (Debian), as 16 kHz PCM16, optionally with leading silence. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseWav, encodeWav } from '../../media/wav.ts';
import { resampleClip } from '../../media/resampler.ts';

export function fliteSpeech(text: string): Int16Array {
  const dir = mkdtempSync(path.join(tmpdir(), 'flite-'));
  try {
    const file = path.join(dir, 'say.wav');
    execFileSync('flite', ['-voice', 'slt', '-t', text, '-o', file]);
    const wav = parseWav(readFileSync(file));
    return resampleClip(wav.samples, wav.sampleRate, 16000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function withSilence(speech: Int16Array, beforeMs: number, afterMs = 0, rate = 16000): Int16Array {
  const before = Math.round((beforeMs * rate) / 1000);
  const out = new Int16Array(before + speech.length + Math.round((afterMs * rate) / 1000));
  out.set(speech, before);
  return out;
}

export function writeWav16k(file: string, samples: Int16Array): void {
  writeFileSync(file, encodeWav(samples, 16000));
}
