/**
 * One long-lived `pocketsphinx_batch` process that decodes utterances on demand.
 *
 * Loading the acoustic model and a language model takes ~0.5 s, far more than decoding a short
 * utterance with a grammar (~30 ms), so the process is kept alive: its control file is its stdin,
 * and each line we write names a raw PCM file to decode; the hypothesis comes back on stdout as
 * `text (uttid score)`. pocketsphinx opens `-ctl`/`-hyp` by path, and Node's stdio pipes are
 * sockets that /dev/stdin cannot reopen, so a `sh` wraps the process in real pipes (`cat |...| cat`).
 *
 * Utterances are decoded one at a time per process (the decoder is single-threaded); callers
 * queue. If the process dies, pending decodes fail and the next one starts a fresh process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ownedTempDir } from '../../runtime/owned-temp.ts';
import { PRIVATE_FILE_MODE } from '../../runtime/private-files.ts';
import { bytesFromInt16 } from '../../media/pcm.ts';
import { engineFailure, type EngineLog } from './engine-error.ts';
import { niced } from './engine-nice.ts';

export interface BatchDecoderOptions {
  /** Directory of the acoustic model (…/en-us/en-us). */
  hmm: string;
  dict: string;
  /** Exactly one of lm / jsgf. */
  lm?: string;
  jsgf?: string;
  /** Extra decoder arguments (e.g. ['-beam', '1e-60']). */
  extraArgs?: string[];
  /** Per-utterance limit (default 10 s). */
  timeoutMs?: number;
  command?: string;
  /** Where pocketsphinx's stderr goes when it dies (never into errors or health). */
  log?: EngineLog;
}

export interface BatchHypothesis {
  text: string;
  /** Path score (log domain, more negative is worse); comparable only within one decoder. */
  score: number;
  /** 10 ms feature frames in the utterance. */
  frames: number;
  decodeMs: number;
}

const EXIT_MARKER = '__pocketsphinx_exit__';

interface Pending {
  id: string;
  frames: number;
  started: number;
  resolve: (h: BatchHypothesis) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class PocketsphinxBatchDecoder {
  private proc: ChildProcess | null = null;
  private readonly workDir: string;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: Pending | null = null;
  private stdoutBuf = '';
  private seq = 0;
  private closed = false;
  private onDeath: ((code: string) => void) | null = null;
  lastError: string | null = null;

  constructor(private readonly opts: BatchDecoderOptions) {
    if (!!opts.lm === !!opts.jsgf) throw new Error('PocketsphinxBatchDecoder needs exactly one of lm or jsgf');
    // Named for this process: a gateway killed with -9 cannot remove it, the next start will.
    this.workDir = ownedTempDir('psx');
  }

  /** Start the process now (model load) instead of on the first utterance. */
  warm(): void {
    this.ensureProcess();
  }

  /** `signal`: a decode still waiting its turn when it aborts is dropped (a speculative one the caller made stale). */
  decode(pcm: Int16Array, signal?: AbortSignal): Promise<BatchHypothesis> {
    const run = this.queue.then(() => {
      if (signal?.aborted) throw new Error('decode dropped: no longer wanted');
      return this.decodeNow(pcm);
    });
    this.queue = run.catch(() => {});
    return run;
  }

  private async decodeNow(pcm: Int16Array): Promise<BatchHypothesis> {
    if (this.closed) throw new Error('decoder closed');
    const id = `u${++this.seq}`;
    const file = join(this.workDir, `${id}.raw`);
    await writeFile(file, bytesFromInt16(pcm), { mode: PRIVATE_FILE_MODE }); // the caller's voice
    try {
      const proc = this.ensureProcess();
      return await new Promise<BatchHypothesis>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.pending = null;
          reject(new Error(`pocketsphinx timed out after ${this.opts.timeoutMs ?? 10000} ms`));
          this.kill(); // its state is unknown now; the next decode starts a fresh process
        }, this.opts.timeoutMs ?? 10000);
        this.pending = { id, frames: Math.floor(pcm.length / 160), started: performance.now(), resolve, reject, timer };
        proc.stdin!.write(`${id}\n`);
      });
    } finally {
      await unlink(file).catch(() => {});
    }
  }

  private ensureProcess(): ChildProcess {
    if (this.proc) return this.proc;
    const o = this.opts;
    const args = [
      '-ctl', '/dev/stdin', '-cepdir', this.workDir, '-cepext', '.raw', '-adcin', 'yes', '-adchdr', '0',
      '-samprate', '16000', '-hyp', '/dev/stdout', '-hmm', o.hmm, '-dict', o.dict, '-logfn', '/dev/null',
      ...(o.lm ? ['-lm', o.lm] : ['-jsgf', o.jsgf!]),
      ...(o.extraArgs ?? []),
    ];
    // detached: its own process group, so kill() reaches sh, cat and pocketsphinx together.
    const [shell, shellArgs] = niced('sh', ['-c', `cat | { "$0" "$@"; echo "${EXIT_MARKER} $?"; } | cat`, o.command ?? 'pocketsphinx_batch', ...args]);
    const proc = spawn(shell, shellArgs, {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.proc = proc;
    this.stdoutBuf = '';
    let stderr = '';
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => this.onStdout(d));
    // `sh` and the first `cat` outlive pocketsphinx (until our stdin closes), so its exit is
    // announced by an EXIT_MARKER line from the wrapper rather than by 'close'.
    this.onDeath = (code: string) => {
      this.onExit(proc, `pocketsphinx exited with ${code}`, stderr);
      killGroup(proc);
    };
    proc.stderr!.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    proc.stdin!.on('error', () => {});
    proc.on('error', (err) => this.onExit(proc, `pocketsphinx could not run: ${err.message}`, stderr));
    proc.on('close', (code) => this.onExit(proc, `pocketsphinx exited with ${code}`, stderr));
    proc.unref();
    (proc.stdout as unknown as { unref?: () => void }).unref?.();
    (proc.stderr as unknown as { unref?: () => void }).unref?.();
    (proc.stdin as unknown as { unref?: () => void }).unref?.();
    return proc;
  }

  private onStdout(d: string): void {
    this.stdoutBuf += d;
    let nl: number;
    while ((nl = this.stdoutBuf.indexOf('\n')) >= 0) {
      const line = this.stdoutBuf.slice(0, nl);
      this.stdoutBuf = this.stdoutBuf.slice(nl + 1);
      if (line.startsWith(EXIT_MARKER)) {
        this.onDeath?.(line.slice(EXIT_MARKER.length).trim());
        continue;
      }
      const m = /^(.*?)\s*\((\S+)\s+(-?\d+)\)\s*$/.exec(line);
      const p = this.pending;
      if (!m || !p || m[2] !== p.id) continue;
      clearTimeout(p.timer);
      this.pending = null;
      this.lastError = null;
      p.resolve({ text: m[1].trim(), score: Number(m[3]), frames: p.frames, decodeMs: performance.now() - p.started });
    }
  }

  /** `why` is our own words; `stderr` may hold anything and goes to the log only. */
  private onExit(proc: ChildProcess, why: string, stderr: string): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const err = this.closed ? new Error('decoder closed') : engineFailure(this.opts.log, 'pocketsphinx', why, { stderr: stderr.trim().slice(-4000) });
    if (!this.closed) this.lastError = err.message;
    const p = this.pending;
    if (p) {
      clearTimeout(p.timer);
      this.pending = null;
      p.reject(err);
    }
  }

  private kill(): void {
    if (this.proc) killGroup(this.proc);
    this.proc = null;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.kill();
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

function killGroup(proc: ChildProcess): void {
  if (!proc.pid) return;
  try {
    process.kill(-proc.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
