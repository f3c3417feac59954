/**
 * Audio file formats at the control plane's edges: what encoding `/v1/audio/speech` output and
 * decoding uploads for transcription cost, and why uploads decode in a worker thread.
 *
 *   speech: 30 s of flite speech at the rate each format is synthesised at, fed to the encoder in
 *           sentence-sized pieces (2 s) cut into the encoder's slices as the route does; realtime_x
 *           (audio time per encode time), the longest slice (how long one encode call holds the
 *           event loop), bytes/s.
 *   upload: the same speech as WAV, MP3 (LAME), FLAC (sox) and Ogg Opus, decoded to 16 kHz mono;
 *           realtime_x on this thread, then the main thread's longest stall while a
 *           5-minute MP3 decodes here vs in the piscina worker (control/stt/upload-decoder.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createMp3Encoder } from 'wasm-media-encoders';
import { speechEncoder, SPEECH_FORMATS } from '../control/tts/speech-formats.ts';
import { UploadDecoder } from '../control/stt/upload-decoder.ts';
import { decodeAudioFile } from '../media/audio-file-decode.ts';
import { OggOpusWriter } from '../media/ogg-opus-writer.ts';
import { resampleClip } from '../media/resampler.ts';
import { encodeWav } from '../media/wav.ts';
import { fliteSpeech } from './lib/flite-speech.ts';
import { machineInfo } from './lib/machine.ts';

const SECONDS = 30;
const PIECE_S = 2;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function speech16k(seconds: number): Int16Array {
  const one = fliteSpeech('Good morning, this is the front desk. We are open from nine to five, Monday to Friday.');
  const out = new Int16Array(16000 * seconds);
  for (let at = 0; at < out.length; at += one.length) out.set(one.subarray(0, out.length - at), at);
  return out;
}

async function encodeCost(format: string, pcm16k: Int16Array) {
  const enc = await speechEncoder(format);
  const pcm = resampleClip(pcm16k, 16000, enc.sampleRate);
  const piece = enc.sampleRate * PIECE_S;
  let bytes = enc.start().byteLength;
  let longest = 0;
  const started = performance.now();
  const slice = enc.sliceSamples ?? piece;
  for (let at = 0; at < pcm.length; at += piece) {
    // As pcm-reply.ts does: each sentence in slices, one event-loop turn each.
    for (let s = at; s < Math.min(at + piece, pcm.length); s += slice) {
      const t0 = performance.now();
      bytes += enc.encode(pcm.subarray(s, Math.min(s + slice, at + piece))).byteLength;
      longest = Math.max(longest, performance.now() - t0);
    }
  }
  bytes += enc.end().byteLength;
  const ms = performance.now() - started;
  enc.close();
  return { format, sample_rate: enc.sampleRate, realtime_x: round((SECONDS * 1000) / ms), slice_ms: round((slice / enc.sampleRate) * 1000), longest_slice_ms: round(longest, 2), bytes_per_s: Math.round(bytes / SECONDS) };
}

async function mp3(pcm16k: Int16Array): Promise<Buffer> {
  const enc = await createMp3Encoder();
  enc.configure({ sampleRate: 16000, channels: 1, bitrate: 32, outputSampleRate: 16000 });
  const head = Buffer.from(enc.encode([Float32Array.from(pcm16k, (s) => s / 32768)]));
  return Buffer.concat([head, Buffer.from(enc.finalize())]);
}

function flac(pcm16k: Int16Array): Buffer {
  const dir = mkdtempSync(path.join(tmpdir(), 'bench-flac-'));
  try {
    writeFileSync(path.join(dir, 'in.wav'), encodeWav(pcm16k, 16000));
    execFileSync('sox', [path.join(dir, 'in.wav'), path.join(dir, 'out.flac')]);
    return readFileSync(path.join(dir, 'out.flac'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function oggOpus(pcm16k: Int16Array): Buffer {
  const w = new OggOpusWriter(16000);
  return Buffer.concat([w.start(), w.write(resampleClip(pcm16k, 16000, 48000)), w.end()]);
}

/** The main thread's longest stall while `work` runs: the largest gap between 1 ms timer ticks, minus 1 ms. */
async function loopDelayDuring(work: () => Promise<unknown>) {
  let last = performance.now();
  let worst = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 1);
    last = now;
  }, 1);
  const started = performance.now();
  await work();
  const wall = performance.now() - started;
  // Let the timer see the end of a stall the work caused.
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(tick);
  return { wall_ms: round(wall), loop_stall_max_ms: round(worst) };
}

export async function runFormatsBench(opts: { onProgress?: (m: string) => void } = {}) {
  const pcm = speech16k(SECONDS);
  opts.onProgress?.('speech encoders');
  const speech = [];
  for (const f of SPEECH_FORMATS) speech.push(await encodeCost(f, pcm));

  opts.onProgress?.('upload decoders');
  const files: Record<string, Buffer> = { wav: encodeWav(pcm, 16000), mp3: await mp3(pcm), flac: flac(pcm), 'ogg-opus': oggOpus(pcm) };
  const upload = [];
  for (const [format, bytes] of Object.entries(files)) {
    await decodeAudioFile(bytes, { sampleRate: 16000, maxSeconds: 600 }); // warm the wasm
    const started = performance.now();
    const d = await decodeAudioFile(bytes, { sampleRate: 16000, maxSeconds: 600 });
    const ms = performance.now() - started;
    upload.push({ format, file_bytes: bytes.length, decoded_s: round(d.samples.length / 16000, 2), realtime_x: round((SECONDS * 1000) / ms) });
  }

  opts.onProgress?.('5-minute MP3: main thread vs worker');
  const long = await mp3(speech16k(300));
  const onMain = await loopDelayDuring(() => decodeAudioFile(long, { sampleRate: 16000, maxSeconds: 600 }));
  const pool = new UploadDecoder();
  await pool.decode(files.mp3!, { sampleRate: 16000, maxSeconds: 600 }); // thread started and warm
  const inWorker = await loopDelayDuring(() => pool.decode(long, { sampleRate: 16000, maxSeconds: 600 }));
  await pool.close();
  return {
    bench: 'formats',
    audio_seconds: SECONDS,
    speech_piece_s: PIECE_S,
    speech,
    upload,
    five_minute_mp3: { on_main_thread: onMain, in_worker: inWorker, loop_stall_ratio: round(onMain.loop_stall_max_ms / Math.max(inWorker.loop_stall_max_ms, 0.1)) },
    machine: machineInfo(),
  };
}
