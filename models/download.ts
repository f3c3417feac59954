// Resumable download into a .part file. Model archives are hundreds of megabytes and the people
// fetching them are often on flaky links: a cut connection must cost the bytes not yet received,
// not the whole file. We ask for the rest with an HTTP Range header, append on 206, and start over
// only when the server ignores the range (200) or no longer has what we started (416 / wrong offset).
import { createWriteStream } from 'node:fs';
import { stat, truncate } from 'node:fs/promises';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FetchListener } from './fetch-events.ts';
import { httpGet, HttpStatusError, UnreachableError, type GetOptions } from './http-get.ts';

export interface DownloadOptions extends Pick<GetOptions, 'timeoutMs' | 'proxy' | 'env' | 'signal'> {
  expectedSize?: number | null;
  onEvent?: FetchListener;
  /** Extra attempts after a connection is cut mid-transfer; each resumes where the last stopped. */
  retries?: number;
  retryDelayMs?: number;
}

export interface DownloadResult {
  bytes: number;
  resumedFrom: number; // bytes already in the .part file when this call started
}

async function sizeOf(path: string): Promise<number> {
  try { return (await stat(path)).size; } catch { return 0; }
}

// "bytes 100-199/200" -> { start: 100, total: 200 }; "bytes */200" -> { start: null, total: 200 }
export function parseContentRange(h: string | undefined): { start: number | null; total: number | null } {
  const m = /^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i.exec(h?.trim() ?? '');
  if (!m) return { start: null, total: null };
  return { start: m[1] === undefined ? null : Number(m[1]), total: m[2] === '*' ? null : Number(m[2]) };
}

class RestartFromZero extends Error {}

async function attempt(url: string, part: string, opts: DownloadOptions, started: { at: number | null }): Promise<number> {
  const emit = opts.onEvent ?? (() => {});
  let have = await sizeOf(part);
  const expected = opts.expectedSize ?? null;
  if (expected !== null && have === expected) return have; // finished by an earlier run; the checksum decides
  if (expected !== null && have > expected) { await truncate(part, 0); have = 0; }

  const { res } = await httpGet(url, {
    ...opts,
    headers: have > 0 ? { range: `bytes=${have}-` } : {},
    onRedirect: (from, to) => emit({ type: 'redirect', from, to }),
  });
  const status = res.statusCode ?? 0;
  let total: number | null;
  let flags: 'a' | 'w';
  if (status === 206) {
    const range = parseContentRange(res.headers['content-range']);
    if (range.start !== have) { res.resume(); await truncate(part, 0); throw new RestartFromZero(`server resumed at ${range.start}, not ${have}`); }
    total = range.total;
    flags = 'a';
  } else if (status === 200) {
    // The server ignored our Range (or we asked for none): whatever we had is replaced.
    const len = Number(res.headers['content-length']);
    total = Number.isFinite(len) && res.headers['content-length'] !== undefined ? len : null;
    have = 0;
    flags = 'w';
  } else if (status === 416 && have > 0) {
    res.resume();
    const { total: t } = parseContentRange(res.headers['content-range']);
    if (t === have) return have; // we already hold the whole file
    await truncate(part, 0);
    throw new RestartFromZero('server cannot resume this file (416); starting over');
  } else {
    res.resume();
    throw new HttpStatusError(url, status);
  }

  emit({ type: 'start', url, total, resumedFrom: have });
  started.at ??= performance.now();
  const t0 = performance.now();
  const base = have;
  let received = have;
  // Every byte that arrived reaches the .part file, also when the connection is cut: the file is
  // ended (flushed), not destroyed, on the way out, so a resume asks for exactly what is missing.
  const out = createWriteStream(part, { flags });
  try {
    for await (const chunk of res as AsyncIterable<Buffer>) {
      if (!out.write(chunk)) await once(out, 'drain');
      received += chunk.length;
      // Speed over this connection only: bytes resumed from disk did not cross the network.
      const secs = Math.max((performance.now() - t0) / 1000, 1e-3);
      const bytesPerSecond = (received - base) / secs;
      const etaSeconds = total !== null && bytesPerSecond > 0 ? (total - received) / bytesPerSecond : null;
      emit({ type: 'progress', received, total, bytesPerSecond, etaSeconds });
    }
  } finally {
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  }
  if (total !== null && received !== total) {
    const e: NodeJS.ErrnoException = new Error(`connection closed at ${received} of ${total} bytes`);
    e.code = 'ECONNRESET';
    throw e;
  }
  return received;
}

export async function downloadResumable(url: string, part: string, opts: DownloadOptions = {}): Promise<DownloadResult> {
  const retries = opts.retries ?? 5;
  const resumedFrom = await sizeOf(part);
  const started = { at: null as number | null };
  for (let n = 0; ; n++) {
    try {
      const bytes = await attempt(url, part, opts, started);
      return { bytes, resumedFrom };
    } catch (err) {
      // An HTTP error (404, 403) will not change by asking again; neither will a host that never
      // answered at all on the first try (offline). A transfer cut half-way is worth retrying.
      // An abort (shutdown) is not a failure to retry either.
      const fatal = err instanceof HttpStatusError || (err instanceof UnreachableError && started.at === null) || opts.signal?.aborted;
      if (fatal || n >= retries) throw err;
      const delayMs = (opts.retryDelayMs ?? 1000) * (n + 1);
      opts.onEvent?.({ type: 'retry', attempt: n + 1, error: (err as Error).message, delayMs });
      await sleep(delayMs, undefined, { signal: opts.signal });
    }
  }
}
