/**
 * Load generator for the transport bench, run as its own process so its CPU does not count
 * against the server. N `ws` clients stream 20 ms frames from one drift-corrected clock and
 * measure what comes back: frame counts and inter-arrival jitter (|gap - 20 ms|).
 *
 * Protocol with the parent: it prints one JSON line per phase (`connected`, `measure_start`,
 * `measure_end`) and finally `{"phase":"result",...}`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { LeanWsClient, maskedFrame } from './lib/lean-ws-client.ts';
import { createWireCodec, type CodecName } from '../media/codec.ts';
import { summarize } from './lib/stats.ts';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    token: { type: 'string', default: '' },
    clients: { type: 'string', default: '500' },
    seconds: { type: 'string', default: '15' },
    codec: { type: 'string', default: 'mulaw' },
    rate: { type: 'string', default: '8000' },
    /** Frames at the start of each stream left out of jitter figures (connection warm-up). */
    'warmup-frames': { type: 'string', default: '25' },
    /**
     * Seconds every stream runs before the measurement window opens (jitter, the gateway's CPU and
     * lag are read in the window only): the first seconds after hundreds of connections include
     * JIT compilation and the collection of the handshakes' garbage, not the steady state a
     * gateway spends its life in. Frames missing count over the whole run.
     */
    'warmup-seconds': { type: 'string', default: '3' },
    /**
     * Send slots per 20 ms: client i sends in slot i % slots, as independent callers do (their
     * clocks are not in phase). 1 sends every stream's frame in one burst, which mostly measures
     * this process's own scheduling: a 500-frame burst held its event loop ~7 ms (lag p99).
     */
    slots: { type: 'string', default: '10' },
  },
});

const FRAME_MS = 20;
const clients = Number(values.clients);
const seconds = Number(values.seconds);
const warmup = Number(values['warmup-frames']);
const slots = Math.max(1, Math.min(20, Number(values.slots)));
const wire = createWireCodec(values.codec as CodecName, Number(values.rate));
const frame = maskedFrame(
  Buffer.from(wire.encode(Int16Array.from({ length: wire.frameSamples }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * 440 * i) / wire.sampleRate))))),
  true,
);
const target = new URL(values.url!);
const say = (o: object) => process.stdout.write(JSON.stringify(o) + '\n');

interface Client {
  ws: LeanWsClient;
  sent: number;
  received: number;
  lastArrival: number;
}

const jitter: number[] = [];
/** Per client: from opening the TCP connection to the "started" event (upgrade, auth, start), 50 at a time. */
const startMs: number[] = [];
const all: Client[] = [];
let measuring = false;

function connect(): Promise<Client> {
  return new Promise((resolve, reject) => {
    const opened = performance.now();
    const timer = setTimeout(() => reject(new Error('connect timeout')), 15000);
    const fail = (e: Error) => {
      clearTimeout(timer);
      reject(e);
    };
    const ws: LeanWsClient = new LeanWsClient(
      target.hostname,
      Number(target.port),
      target.pathname,
      { authorization: `Bearer ${values.token}` },
      () => ws.send(maskedFrame(Buffer.from(JSON.stringify({ type: 'start', codec: values.codec, sample_rate: Number(values.rate) })), false)),
      fail,
    );
    const c: Client = { ws, sent: 0, received: 0, lastArrival: 0 };
    ws.onMessage = (m) => {
      if (!m.binary) {
        if (m.payload.includes('"started"')) {
          clearTimeout(timer);
          startMs.push(performance.now() - opened);
          resolve(c);
        }
        return;
      }
      const now = performance.now();
      c.received++;
      if (measuring && c.received > warmup && c.lastArrival) jitter.push(Math.abs(now - c.lastArrival - FRAME_MS));
      c.lastArrival = now;
    };
  });
}

// Connect in batches so the handshake storm itself is not what we measure.
for (let i = 0; i < clients; i += 50) {
  const batch = await Promise.all(Array.from({ length: Math.min(50, clients - i) }, connect));
  all.push(...batch);
}
say({ phase: 'connected', clients: all.length });

const lag = monitorEventLoopDelay({ resolution: 10 });
const warmupSteps = Math.round((Number(values['warmup-seconds']) * 1000) / FRAME_MS) * slots;
const totalFrames = Math.round((seconds * 1000) / FRAME_MS);
const SLOT_MS = FRAME_MS / slots;
const bySlot = Array.from({ length: slots }, (_, k) => all.filter((_, i) => i % slots === k));
const totalSteps = totalFrames * slots + warmupSteps;
const startAt = performance.now() + 500;
let step = 0;
await new Promise<void>((resolve) => {
  const wake = () => {
    // Sub-ticks on absolute deadlines: lateness does not accumulate; missed ones run back to back.
    const due = Math.min(totalSteps, Math.floor((performance.now() - startAt) / SLOT_MS) + 1);
    while (step < due) {
      if (step === warmupSteps) {
        measuring = true;
        lag.enable();
        say({ phase: 'measure_start' });
      }
      for (const c of bySlot[step % slots]) {
        c.ws.send(frame);
        c.sent++;
      }
      step++;
    }
    if (step >= totalSteps) return resolve();
    setTimeout(wake, Math.max(0, startAt + step * SLOT_MS - performance.now()));
  };
  setTimeout(wake, Math.max(0, startAt - performance.now()));
});
say({ phase: 'measure_end' });
lag.disable();

// Let the echoes of the last frames arrive (bounded).
const drainDeadline = performance.now() + 3000;
while (all.some((c) => c.received < c.sent) && performance.now() < drainDeadline) await new Promise((r) => setTimeout(r, 20));
measuring = false;

const sent = all.reduce((s, c) => s + c.sent, 0);
const received = all.reduce((s, c) => s + c.received, 0);
for (const c of all) c.ws.close();
say({
  phase: 'result',
  clients: all.length,
  send_slots: slots,
  frames_sent: sent,
  frames_received: received,
  frames_missing: sent - received,
  jitter_ms: summarize(jitter),
  start_ms: summarize(startMs),
  loadgen_event_loop_lag_ms: { p50: lag.percentile(50) / 1e6 - 10, p99: lag.percentile(99) / 1e6 - 10, max: lag.max / 1e6 - 10 },
});
setTimeout(() => process.exit(0), 200);
