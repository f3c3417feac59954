/**
 * One softphone call: microphone -> capture worklet -> 16 kHz PCM16 frames -> the voice WebSocket
 * (docs/protocol.md), and reply frames -> playout worklet -> speakers. Authenticated with a
 * one-connection token from `POST /admin/voice/token`; the gateway-wide voice token never reaches
 * the browser.
 *
 * State is a union whose members carry only what exists in them, and `#end` is the one teardown
 * path (microphone off, audio context closed, socket closed), whatever ended the call.
 */
import { api } from '../lib/api.ts';
import captureUrl from './capture-worklet.ts?worker&url';
import playoutUrl from './playout-worklet.ts?worker&url';
import { VOICE_RATE } from './protocol-rate.ts';

export interface TurnMetrics {
  turn: number;
  endpoint_ms?: number;
  stt_final_ms?: number;
  llm_ttft_ms?: number;
  tts_ttfa_ms?: number;
  v2v_ms?: number;
  barge_in_ms?: number;
}

/** What the call tells its page, as it happens. */
export interface CallListener {
  state(s: CallState): void;
  /** A server event (JSON), after the call has acted on it. */
  event(e: ServerEvent): void;
  counters(c: CallCounters): void;
}

export interface CallCounters {
  framesSent: number;
  framesReceived: number;
  framesPlayed: number;
  queuedMs: number;
  /** Times queued reply audio was dropped because the reply was interrupted. */
  clears: number;
}

export type CallState =
  | { kind: 'connecting' }
  | { kind: 'live'; callId: string }
  | { kind: 'ended'; reason: string }
  | { kind: 'failed'; error: unknown };

/** The voice socket closed other than normally (docs/protocol.md, close codes). */
export class CallClosed extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
  ) {
    super(`${code}${reason ? ` ${reason}` : ''}`);
  }
}

export type ServerEvent = { type: string; [k: string]: unknown };

interface Audio {
  ctx: AudioContext;
  mic: MediaStream;
  capture: AudioWorkletNode;
  playout: AudioWorkletNode;
}

type Inner =
  | { kind: 'connecting'; audio: Audio | null; ws: WebSocket | null }
  | { kind: 'live'; audio: Audio; ws: WebSocket; callId: string }
  | { kind: 'ended' };

const MIC: MediaTrackConstraints = { channelCount: 1, echoCancellation: true, noiseSuppression: true, autoGainControl: true };

/**
 * The microphone and the two worklets. A 16 kHz context where the browser allows one (nothing to
 * resample); a browser that will not connect a microphone to a context at another rate than the
 * device's (Firefox: NotSupportedError) gets its default rate, and the worklets resample.
 */
async function openAudio(): Promise<Audio> {
  const mic = await navigator.mediaDevices.getUserMedia({ audio: MIC });
  try {
    try {
      return await wire(mic, new AudioContext({ sampleRate: VOICE_RATE, latencyHint: 'interactive' }));
    } catch (err) {
      if (!(err instanceof DOMException && err.name === 'NotSupportedError')) throw err;
      return await wire(mic, new AudioContext({ latencyHint: 'interactive' }));
    }
  } catch (err) {
    mic.getTracks().forEach((t) => t.stop());
    throw err;
  }
}

async function wire(mic: MediaStream, ctx: AudioContext): Promise<Audio> {
  try {
    await ctx.audioWorklet.addModule(captureUrl);
    await ctx.audioWorklet.addModule(playoutUrl);
    const source = ctx.createMediaStreamSource(mic);
    const capture = new AudioWorkletNode(ctx, 'vg-capture', { numberOfInputs: 1, numberOfOutputs: 0, channelCount: 1, channelCountMode: 'explicit' });
    const playout = new AudioWorkletNode(ctx, 'vg-playout', { numberOfInputs: 0, numberOfOutputs: 1, outputChannelCount: [1] });
    source.connect(capture);
    playout.connect(ctx.destination);
    await ctx.resume();
    return { ctx, mic, capture, playout };
  } catch (err) {
    await ctx.close().catch(() => {});
    throw err;
  }
}

interface TokenAnswer {
  token: string;
  path: string;
  subprotocol: string;
}

export class VoiceCall {
  #inner: Inner = { kind: 'connecting', audio: null, ws: null };
  readonly #counters: CallCounters = { framesSent: 0, framesReceived: 0, framesPlayed: 0, queuedMs: 0, clears: 0 };

  constructor(private readonly listener: CallListener) {
    listener.state({ kind: 'connecting' });
    void this.#connect().catch((error: unknown) => this.#end({ kind: 'failed', error }));
  }

  async #connect(): Promise<void> {
    const audio = await openAudio();
    if (this.#inner.kind !== 'connecting') return closeAudio(audio); // hung up while the microphone was asked for
    this.#inner.audio = audio;
    // The token lives 60 s: asked for only now, after the microphone prompt, just before it is used.
    const grant = await api<TokenAnswer>('POST', '/admin/voice/token');
    if (this.#inner.kind !== 'connecting') return;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}${grant.path}`, [grant.subprotocol, `bearer.${grant.token}`]);
    ws.binaryType = 'arraybuffer';
    this.#inner.ws = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'start', codec: 'pcm16', sample_rate: VOICE_RATE }));
    ws.onmessage = (e: MessageEvent<ArrayBuffer | string>) => (typeof e.data === 'string' ? this.#onEvent(JSON.parse(e.data) as ServerEvent) : this.#onAudio(e.data));
    ws.onclose = (e) => this.#end(e.code === 1000 || e.code === 1001 ? { kind: 'ended', reason: e.reason || String(e.code) } : { kind: 'failed', error: new CallClosed(e.code, e.reason) });
    audio.playout.port.onmessage = (e: MessageEvent<{ framesPlayed: number; queuedMs: number; clears: number }>) => {
      Object.assign(this.#counters, e.data);
      this.listener.counters({ ...this.#counters });
    };
  }

  #onEvent(e: ServerEvent): void {
    const inner = this.#inner;
    if (e.type === 'started' && inner.kind === 'connecting' && inner.audio && inner.ws) {
      const { audio, ws } = inner;
      this.#inner = { kind: 'live', audio, ws, callId: String(e.call_id) };
      // Microphone frames go out only once the call has started (audio before `start` is refused).
      audio.capture.port.onmessage = (m: MessageEvent<ArrayBuffer>) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        ws.send(m.data);
        this.#counters.framesSent++;
      };
      this.listener.state({ kind: 'live', callId: String(e.call_id) });
    }
    // The reply was cut short (barge-in, or the call is ending): what is still queued must not be heard.
    if ((e.type === 'interrupted' || (e.type === 'response_audio_end' && e.interrupted === true)) && inner.kind !== 'ended') inner.audio?.playout.port.postMessage({ type: 'clear' });
    this.listener.event(e);
  }

  #onAudio(frame: ArrayBuffer): void {
    if (this.#inner.kind !== 'live') return;
    this.#counters.framesReceived++;
    this.#inner.audio.playout.port.postMessage(frame, [frame]);
  }

  /** Ask the server to end the call; it answers `hangup` and closes with 1000 (then `#end`). */
  hangUp(): void {
    const inner = this.#inner;
    if (inner.kind === 'live' && inner.ws.readyState === WebSocket.OPEN) {
      inner.ws.send(JSON.stringify({ type: 'hangup', reason: 'caller_hung_up' }));
      // Stop sending the microphone at once; the socket closes when the server says so.
      inner.audio.capture.port.onmessage = null;
      inner.audio.mic.getTracks().forEach((t) => t.stop());
    } else this.#end({ kind: 'ended', reason: 'caller_hung_up' });
  }

  #end(final: Extract<CallState, { kind: 'ended' | 'failed' }>): void {
    const inner = this.#inner;
    if (inner.kind === 'ended') return;
    this.#inner = { kind: 'ended' };
    if (inner.ws) {
      inner.ws.onclose = inner.ws.onmessage = inner.ws.onopen = null;
      if (inner.ws.readyState === WebSocket.OPEN || inner.ws.readyState === WebSocket.CONNECTING) inner.ws.close(1000, 'caller_hung_up');
    }
    if (inner.audio) void closeAudio(inner.audio);
    this.listener.state(final);
  }
}

async function closeAudio(audio: Audio): Promise<void> {
  audio.mic.getTracks().forEach((t) => t.stop());
  audio.capture.port.onmessage = null;
  audio.playout.port.onmessage = null;
  await audio.ctx.close().catch(() => {});
}
