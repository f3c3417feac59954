/**
 * /health entries and Prometheus metrics for what keeps data safe: the database (reachable, and
 * taking writes: the node heartbeat is the write probe), free space in DATA_DIR, and the journal
 * in front of the database (entries pending, refused, lost; whether it can write to disk).
 */
import { Counter, Gauge } from 'prom-client';
import type { ControlPlane } from '../../control/control-plane.ts';
import { dbClient } from '../../control/db/connection.ts';
import { dbErrorText } from '../../control/db/rows.ts';
import type { HealthRegistry } from './health.ts';
import type { GatewayMetrics } from './metrics.ts';

const MB = 1024 * 1024;

export function registerDurabilityHealth(health: HealthRegistry, cp: ControlPlane): void {
  health.register('db', async () => {
    const engine = dbClient(cp.db);
    const write = cp.node.status();
    const writeFields = { write: write.write_ok ? 'ok' : 'failing', last_write_at: write.last_write_at, ...(write.write_error ? { write_error: write.write_error } : {}) };
    const started = performance.now();
    try {
      await cp.db.raw('select 1');
    } catch (err) {
      return { status: 'down', engine, error: dbErrorText(err), ...writeFields };
    }
    return { status: write.write_ok ? 'ok' : 'degraded', engine, ping_ms: round(performance.now() - started), ...writeFields };
  });
  health.register('disk', async () => {
    const s = await cp.dataDirSpace.check();
    return {
      status: s.ok ? 'ok' : 'degraded',
      free_mb: s.free_bytes === null ? null : round(s.free_bytes / MB),
      min_free_mb: round(s.min_free_bytes / MB),
      ...(s.error ? { error: s.error } : {}),
    };
  });
  health.register('journal', () => {
    const j = cp.journal.stats();
    // Cannot write to disk: writes are no longer crash-safe. Database unavailable: they wait.
    // Entries lost (since start) stay visible until a restart, so nobody misses them.
    return { status: !j.writable ? 'down' : j.apply_error || j.lost > 0 ? 'degraded' : 'ok', ...j };
  });
}

export function registerDurabilityMetrics(metrics: GatewayMetrics, cp: ControlPlane): void {
  const registers = [metrics.registry];
  const stats = () => cp.journal.stats();
  new Gauge({ name: 'voice_journal_pending_entries', help: 'Journal entries not yet in the database', registers, collect() { this.set(stats().pending); } });
  new Gauge({
    name: 'voice_journal_oldest_pending_seconds',
    help: 'Age of the oldest journal entry waiting for the database',
    registers,
    collect() {
      this.set((stats().oldest_pending_ms ?? 0) / 1000);
    },
  });
  new Gauge({ name: 'voice_journal_writable', help: '1 while the journal can write to disk', registers, collect() { this.set(stats().writable ? 1 : 0); } });
  const total = (name: string, help: string, read: () => number) => {
    let seen = 0;
    new Counter({
      name,
      help,
      registers,
      collect() {
        const v = read();
        if (v > seen) this.inc(v - seen);
        seen = v;
      },
    });
  };
  total('voice_journal_rejected_total', 'Journal entries the database refused for good (kept in journal/rejected.jsonl)', () => stats().rejected_since_start);
  total('voice_journal_write_errors_total', 'Failed appends of the journal to disk', () => stats().write_errors);
  total('voice_journal_apply_errors_total', 'Failed attempts to apply journal entries to an unavailable database', () => stats().apply_errors);
  total('voice_journal_lost_total', 'Entries that could be neither journaled nor kept (disk full and database down for long)', () => stats().lost);
  new Gauge({ name: 'voice_db_write_ok', help: '1 while the database takes writes (heartbeat write probe)', registers, collect() { this.set(cp.node.status().write_ok ? 1 : 0); } });
  new Gauge({
    name: 'voice_data_dir_free_bytes',
    help: 'Free space in DATA_DIR',
    registers,
    async collect() {
      this.set((await cp.dataDirSpace.check()).free_bytes ?? 0);
    },
  });
}

const round = (n: number) => Math.round(n * 100) / 100;
