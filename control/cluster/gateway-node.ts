/**
 * This gateway process as a node among the gateways sharing one database (always exactly one with
 * SQLite; several with Postgres). A node is one process life, `gateway_nodes.id`, stamped on the
 * calls it runs; its `name` is the data directory's (DATA_DIR/node-id, made once), because the
 * data directory, with its journal, is what a restarted process carries over from its last life.
 *
 *  - At start, a `calls.recover` journal entry closes the calls an earlier life of this node left
 *    `active` (it crashed: kill -9, power loss) as `crash`, keeping their turns and transcript. It
 *    is a journal entry so it runs after that life's own unapplied entries are replayed.
 *  - Every `heartbeatMs` the node's row is touched. That is also the database write probe of
 *    /health: a failing heartbeat is a database that cannot take writes (a full disk, a read-only
 *    replica, a dead server), which `select 1` would not notice.
 *  - Each heartbeat also looks for other nodes silent for `lostAfterMs`: their active calls are
 *    closed as `node_lost` and the node is marked stopped. Any live node may do it; the updates
 *    are idempotent, so two doing it at once is harmless. A node that was only cut off and comes
 *    back finds itself marked lost, says so, and carries on (its calls' real ends overwrite
 *    `node_lost`).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { OpHandler } from '../journal/database-applier.ts';
import type { Journal } from '../journal/journal.ts';
import { dbErrorText } from '../db/rows.ts';
import { CallsRepo } from '../repositories/calls.ts';

export const NODE_ID_FILE = 'node-id';
const RECOVER_OP = 'calls.recover';
/** Rows of nodes stopped longer ago than this are deleted at start. */
const FORGET_STOPPED_MS = 7 * 24 * 3600 * 1000;

export interface GatewayNodeOptions {
  db: Knex;
  journal: Journal;
  dataDir: string;
  log: Logger;
  /** Another node silent this long is lost (default 30 s). */
  lostAfterMs?: number;
  /** Default: a sixth of lostAfterMs, at least 1 s. */
  heartbeatMs?: number;
}

export interface NodeStatus {
  id: string;
  name: string;
  /** The last heartbeat (the database write probe) worked. */
  write_ok: boolean;
  write_error: string | null;
  last_write_at: string | null;
  /** Calls of lost nodes this node has closed. */
  lost_calls_closed: number;
}

export class GatewayNode {
  readonly id = randomUUID();
  readonly name: string;
  readonly startedAt = new Date().toISOString();
  private readonly lostAfterMs: number;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  private writeError: Error | null = null;
  private lastWriteAt: string | null = null;
  private lostCallsClosed = 0;

  private constructor(private readonly opts: GatewayNodeOptions) {
    this.name = nodeName(opts.dataDir);
    this.lostAfterMs = opts.lostAfterMs ?? 30_000;
    this.heartbeatMs = opts.heartbeatMs ?? Math.max(1000, Math.floor(this.lostAfterMs / 6));
  }

  /** Register this life, queue the recovery of the last one's calls, and start the heartbeat. */
  static async start(opts: GatewayNodeOptions): Promise<GatewayNode> {
    const node = new GatewayNode(opts);
    const { db } = opts;
    await db('gateway_nodes').where('stopped_at', '<', new Date(Date.now() - FORGET_STOPPED_MS).toISOString()).delete();
    await db('gateway_nodes').insert({ id: node.id, name: node.name, host: hostname().slice(0, 255), pid: process.pid, started_at: node.startedAt, heartbeat_at: node.startedAt });
    node.lastWriteAt = node.startedAt;
    opts.journal.append(RECOVER_OP, `node:${node.name}:recover:${node.id}`, { name: node.name, node_id: node.id, started_at: node.startedAt });
    node.timer = setInterval(() => void (node.beating = node.beat()), node.heartbeatMs);
    node.timer.unref();
    return node;
  }

  status(): NodeStatus {
    return {
      id: this.id,
      name: this.name,
      write_ok: this.writeError === null,
      write_error: this.writeError ? dbErrorText(this.writeError) : null,
      last_write_at: this.lastWriteAt,
      lost_calls_closed: this.lostCallsClosed,
    };
  }

  /** One heartbeat and sweep (the timer calls this; tests may too). */
  async beat(): Promise<void> {
    const now = new Date().toISOString();
    try {
      await this.touch(now);
      if (this.writeError) this.opts.log.info('database writes work again (heartbeat)');
      this.writeError = null;
      this.lastWriteAt = now;
    } catch (err) {
      if (!this.writeError) this.opts.log.error({ err }, 'database write failed (heartbeat): the database cannot take writes');
      this.writeError = err as Error;
      return;
    }
    await this.closeLostNodes().catch((err: Error) => this.opts.log.warn({ err }, 'looking for lost gateway nodes failed'));
  }

  /** Stop the heartbeat and mark this life as cleanly stopped (best effort: the database may be gone). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    await this.opts
      .db('gateway_nodes')
      .where({ id: this.id })
      .update({ stopped_at: new Date().toISOString(), stop_reason: 'stopped' })
      .catch((err: Error) => this.opts.log.warn({ err }, 'could not mark this gateway node stopped'));
  }

  private async touch(now: string): Promise<void> {
    const { db } = this.opts;
    if (await db('gateway_nodes').where({ id: this.id }).whereNull('stopped_at').update({ heartbeat_at: now })) return;
    const row = await db('gateway_nodes').where({ id: this.id }).first();
    if (row) {
      this.opts.log.warn({ node: this.id, stop_reason: row.stop_reason }, 'this gateway node had been declared lost by another (no heartbeat for too long); carrying on');
      await db('gateway_nodes').where({ id: this.id }).update({ heartbeat_at: now, stopped_at: null, stop_reason: null });
    } else {
      await db('gateway_nodes').insert({ id: this.id, name: this.name, host: hostname().slice(0, 255), pid: process.pid, started_at: this.startedAt, heartbeat_at: now });
    }
  }

  /** Close the active calls of nodes whose heartbeat stopped (another name: our own earlier lives are `crash`, at start). */
  private async closeLostNodes(): Promise<void> {
    const { db, log } = this.opts;
    const now = new Date().toISOString();
    const cutoff = new Date(Date.now() - this.lostAfterMs).toISOString();
    const lost = await db('gateway_nodes').whereNull('stopped_at').where('heartbeat_at', '<', cutoff).whereNot('name', this.name).select('id', 'heartbeat_at');
    for (const node of lost) {
      const closed = await db.transaction(async (trx) => {
        const ids = await new CallsRepo(trx).closeOrphans((q) => q.where('node_id', node.id), 'node_lost', String(node.heartbeat_at));
        await trx('gateway_nodes').where({ id: node.id }).whereNull('stopped_at').update({ stopped_at: now, stop_reason: 'node_lost' });
        return ids;
      });
      this.lostCallsClosed += closed.length;
      log.warn({ node: node.id, last_heartbeat: node.heartbeat_at, calls: closed.length }, 'a gateway node stopped its heartbeat; its calls were closed as node_lost');
    }
    // Active calls no live node runs: their node row is gone (a restore from another installation)
    // or stopped (a restore of calls that were live when the backup was made). Our own earlier
    // lives are left to the `calls.recover` entry, which closes them as `crash`.
    const orphans = await new CallsRepo(db).closeOrphans(
      (q) =>
        q
          .whereNotNull('node_id')
          .where('started_at', '<', cutoff)
          .whereNotIn('node_id', db('gateway_nodes').whereNull('stopped_at').select('id'))
          .whereNotIn('node_id', db('gateway_nodes').where({ name: this.name }).select('id')),
      'node_lost',
      now,
    );
    if (orphans.length) {
      this.lostCallsClosed += orphans.length;
      log.warn({ calls: orphans.length }, 'active calls of no live gateway node were closed as node_lost');
    }
  }
}

/** The data directory's node name: made once, kept in DATA_DIR/node-id. */
function nodeName(dataDir: string): string {
  const file = path.join(dataDir, NODE_ID_FILE);
  try {
    const name = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{8,64}$/.test(name)) return name;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const name = randomUUID();
  writeFileSync(file, name + '\n', { mode: 0o600 });
  return name;
}

/**
 * `calls.recover`: the calls this node's earlier lives left active, and legacy ones without a
 * node that started before this life, become `crash` as of the dead life's last heartbeat.
 */
export function gatewayNodeHandlers(log: Logger): Array<[string, OpHandler]> {
  const recover: OpHandler = async (trx, d: { name: string; node_id: string; started_at: string }) => {
    const calls = new CallsRepo(trx);
    const earlier = await trx('gateway_nodes').where({ name: d.name }).whereNot({ id: d.node_id }).whereNull('stopped_at').select('id', 'heartbeat_at');
    let closed = 0;
    for (const life of earlier) {
      closed += (await calls.closeOrphans((q) => q.where('node_id', life.id).where('started_at', '<', d.started_at), 'crash', String(life.heartbeat_at))).length;
    }
    // Also lives already marked stopped whose calls are still active (a clean stop with the database down).
    const stoppedLives = trx('gateway_nodes').where({ name: d.name }).whereNot({ id: d.node_id }).whereNotNull('stopped_at').select('id');
    closed += (await calls.closeOrphans((q) => q.whereIn('node_id', stoppedLives).where('started_at', '<', d.started_at), 'crash', d.started_at)).length;
    closed += (await calls.closeOrphans((q) => q.whereNull('node_id').where('started_at', '<', d.started_at), 'crash', d.started_at)).length;
    await trx('gateway_nodes').where({ name: d.name }).whereNot({ id: d.node_id }).whereNull('stopped_at').update({ stopped_at: d.started_at, stop_reason: 'crash' });
    if (closed) log.warn({ calls: closed }, 'calls left active by a crash of this gateway were closed as crash');
  };
  return [[RECOVER_OP, recover]];
}
