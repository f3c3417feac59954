/**
 * VoiceConnection's own rules, driven tick by tick with an in-memory socket: slow-consumer close,
 * draining after the pipeline's goodbye, and the jitter buffer's catch-up. (The same class runs
 * under uWS in voice-protocol.test.ts.)
 */
import t from 'tap';
import { createLogger } from '../../gateway/logger.ts';
import { CallRegistry } from '../../gateway/call-registry.ts';
import { VoiceConnection } from '../../gateway/ws/voice-connection.ts';
import type { VoiceSocket } from '../../gateway/ws/voice-socket.ts';
import { EchoPipeline } from '../../pipeline/echo-pipeline.ts';
import type { CallPipeline } from '../../pipeline/call-pipeline.ts';

class MemorySocket implements VoiceSocket {
  binary: Uint8Array[] = [];
  text: string[] = [];
  buffered = 0;
  endedWith: { code: number; reason: string } | null = null;
  sendBinary(d: Uint8Array) {
    this.binary.push(d);
    return true;
  }
  sendText(s: string) {
    this.text.push(s);
    return true;
  }
  bufferedAmount() {
    return this.buffered;
  }
  end(code: number, reason: string) {
    this.endedWith = { code, reason };
  }
  cork(fn: () => void) {
    fn();
  }
  events() {
    return this.text.map((s) => JSON.parse(s) as { type: string; [k: string]: unknown });
  }
}

function setup(jitterFrames = 0) {
  const socket = new MemorySocket();
  const calls = new CallRegistry(10);
  let pipeline!: EchoPipeline;
  const conn = new VoiceConnection({
    socket,
    options: { startTimeoutMs: 1000, maxBufferedBytes: 4096, maxFrameBytes: 32768, jitterFrames, maxErrors: 20, errorWindowMs: 10_000 },
    pipelineFactory: (info) => (pipeline = new EchoPipeline(info)),
    calls,
    log: createLogger('silent'),
  });
  conn.onText(JSON.stringify({ type: 'start', codec: 'pcm16', sample_rate: 16000 }));
  return { socket, calls, conn, pipeline: () => pipeline as CallPipeline & EchoPipeline };
}

const frame = () => new Int16Array(320).fill(1000).buffer;

t.test('a client that stops reading is closed with 4008 and its call released', async (t) => {
  const { socket, calls, conn } = setup();
  t.equal(calls.active, 1);
  conn.onBinary(frame());
  conn.tick(performance.now());
  t.equal(socket.binary.length, 1, 'audio flows while the client keeps up');
  socket.buffered = 5000;
  conn.onBinary(frame());
  conn.tick(performance.now());
  t.same(socket.endedWith, { code: 4008, reason: 'slow consumer' });
  t.equal(socket.binary.length, 1, 'nothing more is queued toward a slow consumer');
  t.equal(calls.active, 0);
  t.ok(conn.ended);
});

t.test('after the pipeline hangs up, queued audio still plays out, then 1000', async (t) => {
  const { socket, conn, pipeline } = setup();
  for (let i = 0; i < 3; i++) conn.onBinary(frame());
  (pipeline() as unknown as { emit(e: unknown): void }).emit({ type: 'hangup', reason: 'goodbye_said' });
  t.ok(socket.events().some((e) => e.type === 'hangup' && e.reason === 'goodbye_said'));
  for (let i = 0; i < 3; i++) conn.tick(performance.now());
  t.equal(socket.binary.length, 3, 'all three frames were sent');
  t.equal(socket.endedWith, null, 'not closed while audio remains');
  conn.tick(performance.now());
  t.same(socket.endedWith, { code: 1000, reason: 'call ended' });
});

t.test('a call the pipeline hangs up ends for the pipeline\'s reason, also when the client goes during the goodbye', async (t) => {
  for (const clientLeaves of [false, true]) {
    const { socket, conn, pipeline } = setup();
    const ended: string[] = [];
    pipeline().onRecord((e) => void (e.type === 'call_end' && ended.push(e.reason)));
    conn.onBinary(frame());
    (pipeline() as unknown as { emit(e: unknown): void }).emit({ type: 'hangup', reason: 'silence' });
    if (clientLeaves) conn.onClose(1000);
    else for (let i = 0; i < 2; i++) conn.tick(performance.now());
    t.same(ended, ['silence'], clientLeaves ? 'the client closed mid-goodbye: still silence' : 'played out, then closed: silence');
    t.equal(socket.events().filter((e) => e.type === 'hangup').length, 1, 'one hangup event');
  }
});

t.test('jitter buffer: one frame per tick, and a burst backlog is handed over rather than lagging', async (t) => {
  const { conn, pipeline } = setup(2);
  const pushed: number[] = [];
  const p = pipeline();
  const original = p.pushAudio.bind(p);
  p.pushAudio = (pcm: Int16Array) => {
    pushed.push(pcm.length);
    original(pcm);
  };
  conn.onBinary(frame());
  conn.tick(performance.now());
  t.equal(pushed.length, 0, 'holds audio until the target depth is reached');
  conn.onBinary(frame());
  conn.tick(performance.now());
  t.equal(pushed.length, 1, 'then releases one frame per tick');
  for (let i = 0; i < 30; i++) conn.onBinary(frame());
  conn.tick(performance.now());
  t.ok(pushed.length >= 20, `a 30-frame burst is mostly handed over at once (${pushed.length} frames so far)`);
});

t.test('a throwing pipeline factory ends only that call with 4010', async (t) => {
  const socket = new MemorySocket();
  const calls = new CallRegistry(10);
  const conn = new VoiceConnection({
    socket,
    options: { startTimeoutMs: 1000, maxBufferedBytes: 4096, maxFrameBytes: 32768, jitterFrames: 0, maxErrors: 20, errorWindowMs: 10_000 },
    pipelineFactory: () => {
      throw new Error('no workers');
    },
    calls,
    log: createLogger('silent'),
  });
  conn.onText(JSON.stringify({ type: 'start', codec: 'pcm16' }));
  t.equal(socket.endedWith?.code, 4010);
  t.ok(socket.events().some((e) => e.type === 'error' && e.code === 'pipeline_error'));
  t.equal(calls.active, 0);
});
