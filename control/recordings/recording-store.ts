/**
 * Call recordings on disk and their rows in `recordings`. The files live in one directory: the
 * modem's MODEM_RECORD_DIR in the gateway, DATA_DIR/recordings by default. A row's `path` is kept
 * relative to DATA_DIR when the file lies under it (so a data dir that is moved, or restored on
 * another machine, keeps working) and absolute otherwise.
 *
 * A row is data, not trust: it may come from a restored or uploaded backup. Every file we read or
 * delete for a row goes through `locate`/`open`, which refuse anything outside the recordings
 * directory (`..`, absolute paths elsewhere, symlinks pointing out).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { CallsRepo, Recording } from '../repositories/calls.ts';

export interface RecordingFileInfo {
  size_bytes: number;
  sha256: string;
}

/** `child` is `dir` itself or below it. */
const inside = (dir: string, child: string): boolean => {
  const rel = path.relative(dir, child);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
};

export class RecordingStore {
  /** Absolute. */
  readonly dir: string;
  private readonly dataDir: string;

  constructor(
    private readonly calls: Pick<CallsRepo, 'addRecording'>,
    dataDir: string,
    dir: string = path.join(dataDir, 'recordings'),
  ) {
    this.dataDir = path.resolve(dataDir);
    this.dir = path.resolve(dir);
  }

  /** What `recordings.path` holds for a file. */
  toStored(file: string): string {
    const abs = path.resolve(file);
    return inside(this.dataDir, abs) ? path.relative(this.dataDir, abs).split(path.sep).join('/') : abs;
  }

  /** The file a `recordings.path` names, or null when it would lie outside the recordings directory. */
  locate(stored: string): string | null {
    if (!stored || stored.includes('\0')) return null;
    const abs = path.resolve(this.dataDir, stored);
    return inside(this.dir, abs) ? abs : null;
  }

  /**
   * The file of a row, ready to be read: null when the path is outside the directory, missing, not
   * a regular file, or reaches outside through a symlink.
   */
  async open(stored: string): Promise<{ file: string; size: number } | null> {
    const abs = this.locate(stored);
    if (!abs) return null;
    try {
      const [real, realDir] = await Promise.all([realpath(abs), realpath(this.dir)]);
      if (!inside(realDir, real)) return null;
      const st = await stat(real);
      return st.isFile() ? { file: real, size: st.size } : null;
    } catch {
      return null;
    }
  }

  /** Size and sha256 of a file, read as a stream (a long call is megabytes). */
  async describe(file: string): Promise<RecordingFileInfo> {
    const hash = createHash('sha256');
    let size = 0;
    await pipeline(createReadStream(file), async function* (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) {
        size += c.byteLength;
        hash.update(c);
      }
    });
    return { size_bytes: size, sha256: hash.digest('hex') };
  }

  /** Register a file just written for a call (whose row must exist: foreign key). Returns the row id. */
  async register(callId: string, file: string, durationMs: number | null, format = 'wav'): Promise<number> {
    return this.calls.addRecording(await this.rowFor(callId, file, durationMs, format));
  }

  /** The `recordings` row for a file just written: checked to lie in the directory, with its size and sha256 as written. */
  async rowFor(callId: string, file: string, durationMs: number | null, format = 'wav'): Promise<Omit<Recording, 'id' | 'created_at'>> {
    const stored = this.toStored(file);
    if (!this.locate(stored)) throw new Error(`recording ${file} is outside the recordings directory ${this.dir}`);
    const info = await this.describe(file);
    return { call_id: callId, path: stored, format, duration_ms: durationMs, ...info };
  }
}
