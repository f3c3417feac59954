/**
 * One voice client on the WebSocket transport: protocol state, the codec edge, the inbound jitter
 * buffer and the call's pipeline. The endpoint drives it from one shared 20 ms clock (`tick`), so
 * hundreds of calls cost one timer, and each tick's sends go out corked.
 *
 * States: `awaiting_start` -> `live` -> `draining` (pipeline said goodbye; play out what is queued)
 * -> `ended`. Only `live` accepts audio; nothing is sent after `ended`.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { FATAL_PIPELINE_ERRORS, type CallPipeline, type PipelineEvent, type PipelineFactory } from '../../pipeline/call-pipeline.ts';
import { createWireCodec, createEdgeConverter, UnsupportedCodecError, type EdgeConverter } from '../../media/codec.ts';
import { JitterBuffer } from '../../media/jitter-buffer.ts';
import { ErrorFlood } from '../../control/http/error-flood.ts';
import type { FrameTally, GatewayMetrics } from '../observability/metrics.ts';
import type { CallRegistry } from '../call-registry.ts';
import { CloseCode, ErrorCode, PROTOCOL_VERSION, parseClientMessage, type ServerEvent, type StartMessage } from './protocol.ts';
import type { VoiceSocket } from './voice-socket.ts';

export interface VoiceConnectionOptions {
  startTimeoutMs: number;
  maxBufferedBytes: number;
  maxFrameBytes: number;
  jitterFrames: number;
  /** Protocol errors the client may cause within errorWindowMs before the connection is closed with 4000 (0 = never). */
  maxErrors: number;
  errorWindowMs: number;
}

export interface VoiceConnectionDeps {
  socket: VoiceSocket;
  options: VoiceConnectionOptions;
  pipelineFactory: PipelineFactory;
  calls: CallRegistry;
  metrics?: GatewayMetrics;
  log: Logger;
  remoteAddress?: string;
  /** The persona this call must speak as, whatever `start` asks for (a widget visitor's voice token names it). */
  persona?: { id: string | undefined };
}

type State =
  | { name: 'awaiting_start'; openedAt: number }
  | { name: 'live'; call: LiveCall }
  /** The pipeline hung up (`reason`): queued reply audio plays out, then the call ends with that reason. */
  | { name: 'draining'; call: LiveCall; reason: string }
  | { name: 'ended' };

interface LiveCall {
  id: string;
  pipeline: CallPipeline;
  edge: EdgeConverter;
  jitter: JitterBuffer | null;
  unsubscribe: () => void;
}

const CHANNEL = 'ws';
/** Jitter-buffer backlog beyond which queued caller audio is fed at once rather than one per tick. */
const CATCH_UP_FRAMES = 10;

export class VoiceConnection {
  private state: State = { name: 'awaiting_start', openedAt: performance.now() };
  private readonly log: Logger;
  private readonly frames: FrameTally;
  private readonly errors: ErrorFlood;

  constructor(private readonly deps: VoiceConnectionDeps) {
    this.log = deps.log;
    this.frames = deps.metrics?.frameTally(CHANNEL) ?? { in: 0, out: 0 };
    this.errors = new ErrorFlood(deps.options.maxErrors, deps.options.errorWindowMs);
  }

  get callId(): string | undefined {
    return this.state.name === 'live' || this.state.name === 'draining' ? this.state.call.id : undefined;
  }

  get ended(): boolean {
    return this.state.name === 'ended';
  }

  onText(text: string): void {
    const parsed = parseClientMessage(text);
    if (!parsed.ok) return this.refuse(parsed.code, parsed.message, parsed.details);
    const msg = parsed.message;
    switch (msg.type) {
      case 'start':
        return this.start(msg);
      case 'ping':
        return this.send({ type: 'pong', id: msg.id, server_time_ms: Math.round(performance.now()) });
      case 'hangup':
        return this.finish(CloseCode.NORMAL, 'client hangup', msg.reason ?? 'client_hangup');
      case 'text':
      case 'dtmf':
      case 'clear': {
        if (this.state.name !== 'live') return this.refuse(ErrorCode.NOT_STARTED, `"${msg.type}" before "start"`);
        // A website visitor types in the widget's chat, where its length and rate limits apply; their call is for speaking.
        if (msg.type === 'text' && this.deps.persona) return this.refuse(ErrorCode.NOT_ALLOWED, 'a website visitor\'s call takes speech only; write in the chat instead');
        if (msg.type === 'clear') {
          this.state.call.jitter?.clear();
          this.state.call.pipeline.control({ type: 'clear' });
        } else this.state.call.pipeline.control(msg);
        return;
      }
    }
  }

  /** Binary audio. The buffer is only valid during the call (uWS neuters it), so decode now. */
  onBinary(data: ArrayBuffer): void {
    const state = this.state;
    if (state.name !== 'live') {
      if (state.name === 'awaiting_start') this.refuse(ErrorCode.NOT_STARTED, 'audio before "start"; send {"type":"start",...} first');
      return;
    }
    const metrics = this.deps.metrics;
    if (data.byteLength > this.deps.options.maxFrameBytes) {
      metrics?.framesDropped.inc({ channel: CHANNEL, reason: 'too_large' });
      return this.refuse(ErrorCode.FRAME_TOO_LARGE, `audio message of ${data.byteLength} bytes exceeds ${this.deps.options.maxFrameBytes}`);
    }
    let pcm: Int16Array;
    try {
      pcm = state.call.edge.toPipeline(new Uint8Array(data));
    } catch (err) {
      metrics?.framesDropped.inc({ channel: CHANNEL, reason: 'bad_audio' });
      return this.refuse(ErrorCode.BAD_AUDIO, err instanceof Error ? err.message : String(err));
    }
    this.frames.in++;
    if (pcm.length === 0) return;
    if (state.call.jitter) state.call.jitter.push(pcm);
    else state.call.pipeline.pushAudio(pcm);
  }

  /** One step of the shared 20 ms clock: feed the pipeline, send one reply frame, police the socket. */
  tick(now: number): void {
    const state = this.state;
    if (state.name === 'awaiting_start') {
      if (now - state.openedAt > this.deps.options.startTimeoutMs) {
        this.sendError(ErrorCode.NOT_STARTED, `no "start" within ${this.deps.options.startTimeoutMs} ms`);
        this.finish(CloseCode.START_TIMEOUT, 'start timeout', 'start_timeout');
      }
      return;
    }
    if (state.name === 'ended') return;
    const { call } = state;
    if (call.jitter) {
      const first = call.jitter.pop();
      if (first) call.pipeline.pushAudio(first);
      // A client that sent faster than real time: hand over the backlog rather than fall behind.
      while (call.jitter.depth > CATCH_UP_FRAMES) {
        const f = call.jitter.pop();
        if (!f) break;
        call.pipeline.pushAudio(f);
      }
    }
    if (this.deps.socket.bufferedAmount() > this.deps.options.maxBufferedBytes) {
      this.deps.metrics?.framesDropped.inc({ channel: CHANNEL, reason: 'slow_consumer' });
      this.finish(CloseCode.SLOW_CONSUMER, 'slow consumer', 'slow_consumer', false);
      return;
    }
    const frame = call.pipeline.pullAudio();
    if (frame) {
      this.deps.socket.sendBinary(call.edge.fromPipeline(frame));
      this.frames.out++;
    } else if (state.name === 'draining') {
      this.finish(CloseCode.NORMAL, 'call ended', undefined);
    }
  }

  /** The socket is gone (client closed, network dropped, or we ended it). */
  onClose(code: number): void {
    if (this.state.name === 'ended') return;
    this.log.info({ callId: this.callId, code }, 'voice client disconnected');
    this.teardown('client_disconnected');
  }

  /** Server shutdown: tell the client, then close with 1001. */
  shutdown(): void {
    this.finish(CloseCode.GOING_AWAY, 'server shutting down', 'server_shutdown');
  }

  private start(msg: StartMessage): void {
    if (this.state.name !== 'awaiting_start') return this.refuse(ErrorCode.ALREADY_STARTED, 'call already started');
    const rate = msg.sample_rate ?? defaultRate(msg.codec);
    let edge: EdgeConverter;
    try {
      edge = createEdgeConverter(createWireCodec(msg.codec, rate));
    } catch (err) {
      if (err instanceof UnsupportedCodecError) return this.refuse(ErrorCode.UNSUPPORTED_CODEC, err.message);
      throw err;
    }
    if (!this.deps.calls.tryReserve(CHANNEL)) {
      edge.close();
      this.sendError(ErrorCode.CAPACITY, 'the gateway is at its call limit; try again later');
      return this.finish(CloseCode.CAPACITY, 'at capacity', undefined);
    }
    const id = randomUUID();
    let pipeline: CallPipeline;
    try {
      const persona = this.deps.persona ? this.deps.persona.id : msg.persona;
      // A call on a website visitor's grant (deps.persona) has no caller number: what its `start`
      // says is the anonymous visitor's own words, which would reach the LLM's prompt and the inbox.
      const callerNumber = this.deps.persona ? undefined : msg.caller;
      pipeline = this.deps.pipelineFactory({ callId: id, channel: CHANNEL, callerNumber, persona });
    } catch (err) {
      this.deps.calls.release(CHANNEL);
      edge.close();
      this.log.error({ err }, 'pipeline could not start');
      this.sendError(ErrorCode.PIPELINE_ERROR, 'the conversation could not start');
      return this.finish(CloseCode.PIPELINE_FAILED, 'pipeline failed', undefined);
    }
    const jitter = this.deps.options.jitterFrames > 0 ? new JitterBuffer({ targetFrames: this.deps.options.jitterFrames, maxFrames: 500 }) : null;
    const unsubscribe = pipeline.onEvent((e) => this.onPipelineEvent(e));
    this.state = { name: 'live', call: { id, pipeline, edge, jitter, unsubscribe } };
    this.log.info({ callId: id, codec: msg.codec, sampleRate: rate, remote: this.deps.remoteAddress }, 'voice call started');
    this.send({
      type: 'started',
      protocol: PROTOCOL_VERSION,
      call_id: id,
      codec: msg.codec,
      sample_rate: rate,
      frame_ms: 20,
      frame_bytes: edge.codec.frameBytes ?? null,
    });
    pipeline.start();
  }

  private onPipelineEvent(event: PipelineEvent): void {
    if (this.state.name === 'ended') return;
    if (event.type === 'turn_metrics') this.deps.metrics?.observeTurn(event.metrics);
    if (event.type === 'hangup') {
      // Say goodbye completely: keep sending queued audio, then close.
      this.send(event);
      if (this.state.name === 'live') this.state = { name: 'draining', call: this.state.call, reason: event.reason };
      return;
    }
    if (event.type === 'error') {
      this.deps.metrics?.protocolErrors.inc({ code: event.code });
      this.send(event);
      if (FATAL_PIPELINE_ERRORS.has(event.code)) {
        this.finish(CloseCode.PIPELINE_FAILED, 'pipeline failed', undefined);
      }
      return;
    }
    this.send(event);
  }

  /**
   * A message the client should not have sent: an error event, and once there have been too many
   * of them in a short time (a broken or hostile client), the connection is closed with 4000.
   */
  private refuse(code: string, message: string, details?: unknown): void {
    this.sendError(code, message, details);
    if (this.state.name === 'ended' || !this.errors.record(performance.now())) return;
    const { maxErrors, errorWindowMs } = this.deps.options;
    this.log.info({ callId: this.callId, remote: this.deps.remoteAddress, maxErrors }, 'voice client closed after too many protocol errors');
    this.sendError(ErrorCode.TOO_MANY_ERRORS, `${maxErrors} protocol errors within ${errorWindowMs / 1000} s; closing`);
    this.finish(CloseCode.PROTOCOL_ERROR, 'too many protocol errors', 'too_many_errors', false);
  }

  private sendError(code: string, message: string, details?: unknown): void {
    this.deps.metrics?.protocolErrors.inc({ code });
    this.send(details === undefined ? { type: 'error', code, message } : { type: 'error', code, message, details });
  }

  private send(event: ServerEvent): void {
    if (this.state.name === 'ended') return;
    this.deps.socket.sendText(JSON.stringify(event));
  }

  /**
   * End the call from our side: optional `hangup` event, close frame, release everything.
   * `polite` false skips the event (a slow consumer would not read it anyway).
   */
  private finish(code: number, closeReason: string, hangupReason: string | undefined, polite = true): void {
    if (this.state.name === 'ended') return;
    if (polite && hangupReason) this.send({ type: 'hangup', reason: hangupReason });
    this.teardown(hangupReason ?? closeReason.replace(/ /g, '_'));
    this.deps.socket.end(code, closeReason);
  }

  private teardown(why: string): void {
    const state = this.state;
    this.state = { name: 'ended' };
    // A call the pipeline was already ending (its goodbye playing out) ended for the pipeline's reason, however the socket then went.
    const reason = state.name === 'draining' ? state.reason : why;
    if (state.name === 'live' || state.name === 'draining') {
      state.call.unsubscribe();
      state.call.edge.close();
      this.deps.calls.release(CHANNEL);
      this.log.info({ callId: state.call.id, reason }, 'voice call ended');
      state.call.pipeline.close(reason).catch((err) => this.log.error({ err, callId: state.call.id }, 'pipeline close failed'));
    }
  }
}

function defaultRate(codec: StartMessage['codec']): number {
  switch (codec) {
    case 'opus':
      return 48000;
    case 'pcm16':
      return 16000;
    default:
      return 8000;
  }
}
