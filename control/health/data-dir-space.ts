/**
 * Free space where the gateway keeps its data (DATA_DIR: the SQLite file, the journal, recordings).
 * A full disk fails writes in ways `select 1` never shows, so /health asks statfs, and a periodic
 * check logs when free space falls under the threshold (and when it is back), so the operator
 * hears of it before the journal or the database starts refusing writes.
 */
import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';

export interface SpaceStatus {
  ok: boolean;
  free_bytes: number | null;
  total_bytes: number | null;
  min_free_bytes: number;
  error?: string;
}

export class DataDirSpace {
  private timer: NodeJS.Timeout | null = null;
  private low = false;

  constructor(
    readonly dir: string,
    readonly minFreeBytes: number,
    private readonly log: Logger,
  ) {}

  /** Check every `intervalMs`, logging each crossing of the threshold. */
  start(intervalMs: number): void {
    this.timer = setInterval(() => void this.check(), intervalMs);
    this.timer.unref();
    void this.check();
  }

  async check(): Promise<SpaceStatus> {
    let status: SpaceStatus;
    try {
      const s = await statfs(this.dir);
      // bavail: what an unprivileged writer may still use (root's reserve does not help the journal).
      const free = s.bavail * s.bsize;
      status = { ok: free >= this.minFreeBytes, free_bytes: free, total_bytes: s.blocks * s.bsize, min_free_bytes: this.minFreeBytes };
    } catch (err) {
      status = { ok: false, free_bytes: null, total_bytes: null, min_free_bytes: this.minFreeBytes, error: (err as Error).message };
    }
    if (!status.ok && !this.low) this.log.error({ dir: this.dir, ...status }, 'data directory is (nearly) full: the journal, the database and recordings may fail to write');
    if (status.ok && this.low) this.log.info({ dir: this.dir, free_bytes: status.free_bytes }, 'data directory has free space again');
    this.low = !status.ok;
    return status;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
