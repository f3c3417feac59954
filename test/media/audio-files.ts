/** Compressed audio files for decoder tests, made with real encoders: LAME (wasm), sox, libopus. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMp3Encoder } from 'wasm-media-encoders';
import { OggOpusWriter } from '../../media/ogg-opus-writer.ts';
import { resampleClip } from '../../media/resampler.ts';
import { encodeWav } from '../../media/wav.ts';

/** Stereo when asked: the right channel is the left one inverted at half level, so a wrong downmix shows. */
export async function mp3Of(pcm: Int16Array, rate: 8000 | 16000 | 22050 | 24000 | 44100 | 48000, stereo = false): Promise<Buffer> {
  const enc = await createMp3Encoder();
  enc.configure({ sampleRate: rate, channels: stereo ? 2 : 1, bitrate: 64, outputSampleRate: rate });
  const left = Float32Array.from(pcm, (s) => s / 32768);
  const chans = stereo ? [left, left.map((s) => -s / 2)] : [left];
  const head = Buffer.from(enc.encode(chans));
  return Buffer.concat([head, Buffer.from(enc.finalize())]);
}

/** Any format sox writes (flac, ogg = Vorbis), from a mono WAV at `rate`, with options before the output. */
export function soxConvert(pcm: Int16Array, rate: number, ext: string, outOpts: string[] = []): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-audio-'));
  try {
    const src = path.join(dir, 'in.wav');
    const out = path.join(dir, `out.${ext}`);
    writeFileSync(src, encodeWav(pcm, rate));
    execFileSync('sox', [src, ...outOpts, out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function oggOpusOf(pcm: Int16Array, rate: number): Buffer {
  const w = new OggOpusWriter(rate);
  return Buffer.concat([w.start(), w.write(resampleClip(pcm, rate, 48000)), w.end()]);
}
