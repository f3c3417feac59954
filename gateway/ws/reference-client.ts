/**
 * Reference client for the WebSocket voice protocol, on the `ws` library (what most users' code
 * will look like). It streams a WAV in real time, then silence, records everything it hears on a
 * client-side audio timeline, and measures latencies from that timeline: a measurement at the
 * client beats a server log (DESIGN.md).
 */
import { WebSocket } from 'ws';
import { resampleClip } from '../../media/resampler.ts';
import { createWireCodec, type CodecName } from '../../media/codec.ts';
import { encodeWav, readWavFile } from '../../media/wav.ts';
import { percentile } from './stats.ts';

export interface CallOptions {
  url: string;
  token?: string;
  /** Caller audio; omitted means silence only (useful with `text`). */
  wav?: string;
  codec: CodecName;
  sampleRate?: number;
  /** Silence streamed after the WAV, while the reply plays. */
  tailMs?: number;
  /** Hard cap on the whole call. */
  maxMs?: number;
  /** The Origin header, as a browser page sends it (a widget visitor's voice token is bound to one). */
  origin?: string;
  /** A text message sent right after `started` (text input instead of, or besides, audio). */
  text?: string;
  caller?: string;
  /** Echo pipelines: pair sent and received frames by index to measure round trip. */
  expectEcho?: boolean;
  /** Level below which a 20 ms frame counts as silence when finding the caller's last speech sample. */
  speechThresholdDbfs?: number;
}

export interface ClientEvent {
  t_ms: number;
  [k: string]: unknown;
}

export interface CallReport {
  url: string;
  codec: CodecName;
  sample_rate: number;
  call_id: string | null;
  sent_frames: number;
  received_frames: number;
  received_audio_ms: number;
  duration_ms: number;
  events: ClientEvent[];
  transcripts: string[];
  reply_text: string;
  latencies: {
    /** Caller's last speech sample (time it was sent) to the first reply audio received after it. */
    v2v_ms: number | null;
    /** Start of streaming to the first audio received at all. */
    first_audio_ms: number | null;
    /** Per-frame round trip, echo pipelines only. */
    echo_rtt_ms: { p50: number; p95: number; p99: number; max: number } | null;
    /** Server-reported per-turn metrics, as received. */
    turns: Record<string, unknown>[];
  };
  /** Inter-arrival jitter of reply frames: |gap - 20 ms| while audio is flowing. */
  jitter_ms: { p50: number; p99: number; max: number } | null;
  close: { code: number; reason: string } | null;
  /** Recorded audio at the codec's rate, placed on the arrival timeline. */
  recording: Int16Array;
}

const FRAME_MS = 20;

export async function runCall(opts: CallOptions): Promise<CallReport> {
  const sampleRate = opts.sampleRate ?? (opts.codec === 'opus' ? 48000 : opts.codec === 'pcm16' ? 16000 : 8000);
  const codec = createWireCodec(opts.codec, sampleRate);
  const frameSamples = (sampleRate * FRAME_MS) / 1000;
  const speech = await loadSpeech(opts.wav, sampleRate);
  const lastSpeechFrame = findLastSpeechFrame(speech, frameSamples, opts.speechThresholdDbfs ?? -40);
  const tailFrames = Math.ceil((opts.tailMs ?? 3000) / FRAME_MS);
  const totalFrames = Math.ceil(speech.length / frameSamples) + tailFrames;
  const maxMs = opts.maxMs ?? totalFrames * FRAME_MS + 10000;

  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const ws = new WebSocket(opts.url, { headers, perMessageDeflate: false, origin: opts.origin });
  ws.binaryType = 'nodebuffer';

  const events: ClientEvent[] = [];
  const transcripts: string[] = [];
  const turns: Record<string, unknown>[] = [];
  let replyText = '';
  let callId: string | null = null;
  let t0 = 0;
  const now = () => performance.now() - t0;
  const sendTimes: number[] = [];
  const recvTimes: number[] = [];
  const chunks: { at: number; pcm: Int16Array }[] = [];
  let speechEndAt: number | null = null;
  let responseStartAfterSpeech: number | null = null;
  let v2v: number | null = null;
  let close: { code: number; reason: string } | null = null;
  let sending: NodeJS.Timeout | null = null;

  const done = new Promise<void>((resolve, reject) => {
    const hardStop = setTimeout(() => ws.terminate(), maxMs);
    ws.on('error', (err) => {
      clearTimeout(hardStop);
      if (sending) clearTimeout(sending);
      reject(err);
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => {
        clearTimeout(hardStop);
        reject(new Error(`server refused the WebSocket: HTTP ${res.statusCode} ${body}`));
      });
    });
    ws.on('close', (code, reason) => {
      clearTimeout(hardStop);
      if (sending) clearTimeout(sending);
      close = { code, reason: reason.toString() };
      resolve();
    });
  });

  ws.on('open', () => {
    t0 = performance.now();
    ws.send(JSON.stringify({ type: 'start', codec: opts.codec, sample_rate: sampleRate, caller: opts.caller }));
  });

  ws.on('message', (data: Buffer, isBinary: boolean) => {
    const at = now();
    if (isBinary) {
      recvTimes.push(at);
      chunks.push({ at, pcm: codec.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)) });
      if (v2v === null && speechEndAt !== null && (opts.expectEcho ? false : responseStartAfterSpeech !== null)) {
        v2v = at - speechEndAt;
      }
      return;
    }
    const event = JSON.parse(data.toString()) as { type: string; [k: string]: unknown };
    events.push({ t_ms: round(at), ...event });
    switch (event.type) {
      case 'started':
        callId = String(event.call_id);
        if (opts.text) ws.send(JSON.stringify({ type: 'text', text: opts.text }));
        startStreaming();
        break;
      case 'transcript':
        if (event.final) transcripts.push(String(event.text));
        break;
      case 'response_text_delta':
        replyText += String(event.text);
        break;
      case 'response_audio_start':
        if (speechEndAt !== null && responseStartAfterSpeech === null) responseStartAfterSpeech = at;
        break;
      case 'turn_metrics':
        turns.push(event.metrics as Record<string, unknown>);
        break;
    }
  });

  /** Real-time sender against absolute deadlines, so timer drift does not stretch the caller's speech. */
  function startStreaming(): void {
    const startAt = performance.now();
    let index = 0;
    const step = () => {
      if (ws.readyState !== WebSocket.OPEN) return;
      const due = Math.floor((performance.now() - startAt) / FRAME_MS) + 1;
      while (index < due && index < totalFrames) {
        const offset = index * frameSamples;
        const frame = new Int16Array(frameSamples);
        if (offset < speech.length) frame.set(speech.subarray(offset, Math.min(offset + frameSamples, speech.length)));
        ws.send(codec.encode(frame));
        const at = now();
        sendTimes.push(at);
        if (index === lastSpeechFrame) speechEndAt = at;
        index++;
      }
      if (index >= totalFrames) {
        ws.send(JSON.stringify({ type: 'hangup', reason: 'client_done' }));
        return;
      }
      sending = setTimeout(step, Math.max(0, startAt + index * FRAME_MS - performance.now()));
    };
    step();
  }

  await done;
  codec.close();

  const recording = placeOnTimeline(chunks, sampleRate);
  const firstAudio = recvTimes.length ? recvTimes[0] : null;
  let echoRtt: CallReport['latencies']['echo_rtt_ms'] = null;
  if (opts.expectEcho && recvTimes.length) {
    const n = Math.min(sendTimes.length, recvTimes.length);
    const rtts = Array.from({ length: n }, (_, i) => recvTimes[i] - sendTimes[i]);
    echoRtt = { p50: round(percentile(rtts, 50)), p95: round(percentile(rtts, 95)), p99: round(percentile(rtts, 99)), max: round(Math.max(...rtts)) };
  }
  const gaps: number[] = [];
  for (let i = 1; i < recvTimes.length; i++) gaps.push(Math.abs(recvTimes[i] - recvTimes[i - 1] - FRAME_MS));

  return {
    url: opts.url,
    codec: opts.codec,
    sample_rate: sampleRate,
    call_id: callId,
    sent_frames: sendTimes.length,
    received_frames: recvTimes.length,
    received_audio_ms: round(chunks.reduce((s, c) => s + c.pcm.length, 0) / (sampleRate / 1000)),
    duration_ms: round(now()),
    events,
    transcripts,
    reply_text: replyText,
    latencies: { v2v_ms: v2v === null ? null : round(v2v), first_audio_ms: firstAudio === null ? null : round(firstAudio), echo_rtt_ms: echoRtt, turns },
    jitter_ms: gaps.length ? { p50: round(percentile(gaps, 50)), p99: round(percentile(gaps, 99)), max: round(Math.max(...gaps)) } : null,
    close,
    recording,
  };
}

export function recordingWav(report: CallReport): Buffer {
  return encodeWav(report.recording, report.sample_rate);
}

async function loadSpeech(wavPath: string | undefined, rate: number): Promise<Int16Array> {
  if (!wavPath) return new Int16Array(0);
  const wav = await readWavFile(wavPath);
  return resampleClip(wav.samples, wav.sampleRate, rate);
}

/** Index of the last 20 ms frame whose level is above `thresholdDbfs`, or -1 for silence. */
export function findLastSpeechFrame(samples: Int16Array, frameSamples: number, thresholdDbfs: number): number {
  const threshold = 32768 * Math.pow(10, thresholdDbfs / 20);
  for (let f = Math.ceil(samples.length / frameSamples) - 1; f >= 0; f--) {
    let sum = 0;
    const end = Math.min(samples.length, (f + 1) * frameSamples);
    for (let i = f * frameSamples; i < end; i++) sum += samples[i] * samples[i];
    if (Math.sqrt(sum / frameSamples) > threshold) return f;
  }
  return -1;
}

/** Lay received chunks on a timeline: a late chunk leaves silence before it; a burst is appended. */
function placeOnTimeline(chunks: { at: number; pcm: Int16Array }[], rate: number): Int16Array {
  const parts: Int16Array[] = [];
  let cursor = 0;
  for (const c of chunks) {
    const at = Math.round((c.at * rate) / 1000);
    if (at > cursor) {
      parts.push(new Int16Array(at - cursor));
      cursor = at;
    }
    parts.push(c.pcm);
    cursor += c.pcm.length;
  }
  const out = new Int16Array(cursor);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

const round = (n: number) => Math.round(n * 100) / 100;
