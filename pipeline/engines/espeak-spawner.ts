/**
 * Starts espeak-ng processes without blocking the gateway's event loop.
 *
 * child_process.spawn() forks on the calling thread, and a fork copies the page tables of the
 * whole process: measured here, spawn() held a 200 MB Node process for ~10 ms (and from a worker
 * thread the main loop still lost ~4 ms p99 to it). One espeak-ng per sentence would then stall
 * every call's 20 ms audio clock once per sentence. So a small helper process
 * (espeak-zygote.mjs, started once) forks them instead, keeps the spare processes that hide
 * espeak's own start-up, and multiplexes their output back over one pipe.
 *
 * Until the helper has started (~50 ms, more on a loaded machine) sentences are spawned directly,
 * so the first one after start-up does not wait for it.
 *
 * One helper per process, shared by every EspeakTts (the pipeline's and the control plane's): each
 * engine holds a reference (`acquireEspeakSpawner`) and the helper ends with the last release.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { engineNice, lowerPriority } from './engine-nice.ts';

const ZYGOTE = fileURLToPath(new URL('./espeak-zygote.mjs', import.meta.url));
const AUDIO = 1;
const EXIT = 2;
const READY = 3;

export interface SpawnedExit {
  code: number | null;
  signal: string | null;
  /** The process could not start (e.g. ENOENT: espeak-ng not installed). */
  error: string | null;
  stderr: string;
}

export interface SpawnedRun {
  /** What the process writes to stdout, as it comes. Ends when the process has exited. */
  output: AsyncIterable<Buffer>;
  exit: Promise<SpawnedExit>;
  /** SIGKILL (barge-in). */
  kill(): void;
}

interface RunState {
  queue: Buffer[];
  wake: (() => void) | null;
  ended: boolean;
  resolveExit: (e: SpawnedExit) => void;
}

let shared: EspeakSpawner | null = null;
let holders = 0;

/** The process-wide spawner, started on first use; call `release` once per acquire. */
export function acquireEspeakSpawner(): { spawner: EspeakSpawner; release(): Promise<void> } {
  shared ??= new EspeakSpawner();
  const spawner = shared;
  holders++;
  let released = false;
  return {
    spawner,
    async release() {
      if (released) return;
      released = true;
      if (--holders > 0 || shared !== spawner) return;
      shared = null;
      await spawner.close();
    },
  };
}

export class EspeakSpawner {
  private zygote: ChildProcess | null = null;
  /** The helper has said it is up: runs go through it from then on. */
  private ready = false;
  private readyWaiters: (() => void)[] = [];
  private pending = Buffer.alloc(0);
  private nextId = 1;
  private readonly runs = new Map<number, RunState>();
  /** Helper processes started after the first (it died), for health. */
  restarts = 0;
  private started = 0;

  /** `spare`: start a replacement for the process this run takes, for the next sentence with these arguments. */
  run(command: string, args: string[], text: string, spare = true): SpawnedRun {
    const zygote = this.ensureZygote();
    if (!this.ready) return directRun(command, args, text);
    const id = this.nextId++;
    let resolveExit!: (e: SpawnedExit) => void;
    const exit = new Promise<SpawnedExit>((r) => (resolveExit = r));
    const state: RunState = { queue: [], wake: null, ended: false, resolveExit };
    this.runs.set(id, state);
    this.updateRef();
    zygote.stdin!.write(JSON.stringify({ op: 'synth', id, command, args, text, spare }) + '\n');
    const output = (async function* () {
      for (;;) {
        const next = state.queue.shift();
        if (next) yield next;
        else if (state.ended) return;
        else await new Promise<void>((r) => (state.wake = r));
      }
    })();
    return {
      output,
      exit,
      kill: () => {
        if (this.runs.has(id) && this.zygote === zygote) zygote.stdin!.write(JSON.stringify({ op: 'kill', id }) + '\n');
      },
    };
  }

  /** Resolves once the helper is up (or has failed to start: runs then start espeak-ng directly). */
  whenReady(): Promise<void> {
    this.ensureZygote();
    if (this.ready) return Promise.resolve();
    const waiting = new Promise<void>((resolve) => this.readyWaiters.push(resolve));
    this.updateRef(); // someone waits: the helper's pipe keeps the process alive until it answers
    return waiting;
  }

  private wakeReadyWaiters(): void {
    for (const w of this.readyWaiters.splice(0)) w();
    this.updateRef();
  }

  /** Start the helper now and a spare for these arguments, so the first sentence does not wait for either. */
  prepare(command: string, args: string[]): void {
    this.ensureZygote().stdin!.write(JSON.stringify({ op: 'prepare', command, args }) + '\n');
    this.updateRef();
  }

  /** Ends the helper, which kills every espeak-ng it started (spares included); runs in flight end with an error. */
  async close(): Promise<void> {
    const z = this.zygote;
    this.zygote = null;
    if (!z) return;
    const exited = new Promise<void>((resolve) => (z.exitCode !== null || z.signalCode !== null ? resolve() : z.once('exit', () => resolve())));
    // An idle helper is unref'd (updateRef): waiting for its exit must keep this process alive, or
    // a helper slow to go (a loaded machine, past the SIGKILL timer below) lets it end mid-close.
    z.ref();
    z.stdin!.end();
    const timer = setTimeout(() => z.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
    this.endAll('espeak spawner closed');
  }

  private ensureZygote(): ChildProcess {
    if (this.zygote) return this.zygote;
    if (this.started++ > 0) this.restarts++;
    // The helper lowers its own priority first (engine-nice.ts); every espeak-ng it forks inherits it.
    const z = spawn(process.execPath, [ZYGOTE], { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, VOICE_ENGINE_NICE: String(engineNice()) } });
    this.zygote = z;
    this.ready = false;
    this.pending = Buffer.alloc(0);
    z.stdin!.on('error', () => {}); // it died: 'exit' ends the runs
    z.stdout!.on('data', (d: Buffer) => this.onData(d));
    z.on('exit', () => {
      if (this.zygote === z) {
        this.zygote = null;
        this.ready = false;
      }
      this.wakeReadyWaiters();
      this.endAll('espeak spawner exited');
    });
    z.on('error', () => {
      if (this.zygote === z) {
        this.zygote = null;
        this.ready = false;
      }
      this.wakeReadyWaiters();
      this.endAll('espeak spawner could not start');
    });
    return z;
  }

  /** An idle helper (and its idle spares) must not keep the process alive. */
  private updateRef(): void {
    const z = this.zygote;
    if (!z) return;
    const ref = this.runs.size > 0 || this.readyWaiters.length > 0;
    for (const h of [z, z.stdin, z.stdout] as Array<{ ref?(): void; unref?(): void } | null>) {
      if (ref) h?.ref?.();
      else h?.unref?.();
    }
  }

  private onData(d: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, d]) : d;
    while (buf.length >= 9) {
      const len = buf.readUInt32LE(5);
      if (buf.length < 9 + len) break;
      const type = buf.readUInt8(0);
      const id = buf.readUInt32LE(1);
      const payload = buf.subarray(9, 9 + len);
      buf = buf.subarray(9 + len);
      if (type === READY) {
        this.ready = true;
        this.wakeReadyWaiters();
        continue;
      }
      const state = this.runs.get(id);
      if (!state) continue;
      if (type === AUDIO) {
        state.queue.push(payload); // a view into a chunk nobody reuses
        state.wake?.();
      } else if (type === EXIT) {
        this.finish(id, JSON.parse(payload.toString()) as SpawnedExit);
      }
    }
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
  }

  private finish(id: number, exit: SpawnedExit): void {
    const state = this.runs.get(id);
    if (!state) return;
    this.runs.delete(id);
    state.ended = true;
    state.wake?.();
    state.resolveExit(exit);
    this.updateRef();
  }

  private endAll(why: string): void {
    for (const id of [...this.runs.keys()]) this.finish(id, { code: null, signal: null, error: why, stderr: '' });
  }
}

/** espeak-ng started from this process (before the helper is up): the fork stalls the loop once. */
function directRun(command: string, args: string[], text: string): SpawnedRun {
  const proc = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  lowerPriority(proc.pid); // espeak-ng forks nothing, so lowering it after the start misses nothing
  let error: string | null = null;
  let stderr = '';
  proc.on('error', (err) => (error = err.message));
  proc.stdin!.on('error', () => {}); // EPIPE when it died early; its exit says why
  proc.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 2000) stderr += d.toString();
  });
  const exit = new Promise<SpawnedExit>((resolve) => proc.on('close', (code, signal) => resolve({ code, signal, error, stderr: stderr.trim() })));
  proc.stdin!.end(text);
  return {
    output: proc.stdout! as AsyncIterable<Buffer>,
    exit,
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}
