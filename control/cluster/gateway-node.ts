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
 *  - Each heartbeat also looks for other nodes that have gone silent, closes their active calls as
 *    `node_lost` and marks them stopped. Declaring a peer dead must not be a guess that an outage
 *    or a clock makes for us, so:
 *      - heartbeats and the cutoff are the database's clock, never a node's own (skew between
 *        machines would look like silence);
 *      - a node sweeps only once its own heartbeats have worked without a break for lostAfterMs:
 *        after an outage every node is silent, and the first one back must give the others time
 *        to beat again;
 *      - a peer is silent once it has missed three of its own beats (its interval is in its row)
 *        and been quiet for this node's lostAfterMs, whichever is longer, so nodes with different
 *        settings do not flap;
 *      - a peer is marked stopped only if its heartbeat is still the one the sweep saw, in the same
 *        statement, so a peer that beats meanwhile keeps its calls;
 *      - a node that was only cut off and finds itself marked lost reopens the calls the sweep
 *        closed (end reason `node_lost`): the real ends still in its journal overwrite them.
 *    Any live node may sweep; the updates are idempotent, so two doing it at once is harmless.
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
import { dbNow, dbNowSql } from '../db/sql-time.ts';
import { CallsRepo } from '../repositories/calls.ts';

export const NODE_ID_FILE = 'node-id';
const RECOVER_OP = 'calls.recover';
/** Rows of nodes stopped longer ago than this are deleted at start. */
const FORGET_STOPPED_MS = 7 * 24 * 3600 * 1000;
/** A peer is silent once it has missed this many of its own heartbeats (and lostAfterMs has passed). */
const MISSED_BEATS = 3;

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
  /** Whether this node's heartbeats have worked long enough without a break for it to declare others lost. */
  sweeping: boolean;
}

export class GatewayNode {
  readonly id = randomUUID();
  readonly name: string;
  /** When this life started, by the database's clock. */
  startedAt = '';
  /** This life's number among the lives of its name (1, 2, ...). */
  life = 0;
  private readonly lostAfterMs: number;
  private readonly heartbeatMs: number;
  private timer: NodeJS.Timeout | null = null;
  private beating: Promise<void> = Promise.resolve();
  private writeError: Error | null = null;
  private lastWriteAt: string | null = null;
  /** performance.now() of the last heartbeat that worked: a beat stuck on a silent server fails no query for minutes. */
  private lastWriteMono = performance.now();
  /** A heartbeat is under way: the timer skips its turn rather than queue beats on a hung pool. */
  private inBeat = false;
  /** performance.now() of the first heartbeat of the current unbroken run of good ones. */
  private healthySince: number | null = null;
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
    const now = await dbNow(db);
    // Numbered before old rows are forgotten, so the numbers of a name only ever go up.
    const last = await db('gateway_nodes').where({ name: node.name }).max({ life: 'life' }).first();
    node.life = (Number(last?.life) || 0) + 1;
    await db('gateway_nodes').where('stopped_at', '<', new Date(Date.parse(now) - FORGET_STOPPED_MS).toISOString()).delete();
    node.startedAt = now;
    await db('gateway_nodes').insert(node.row(now));
    node.lastWriteAt = now;
    node.lastWriteMono = node.healthySince = performance.now();
    opts.journal.append(RECOVER_OP, `node:${node.name}:recover:${node.id}`, { name: node.name, node_id: node.id, started_at: node.startedAt, life: node.life });
    node.timer = setInterval(() => {
      if (!node.inBeat) node.beating = node.beat();
    }, node.heartbeatMs);
    node.timer.unref();
    return node;
  }

  status(): NodeStatus {
    return {
      id: this.id,
      name: this.name,
      write_ok: this.writeError === null && !this.stalled(),
      write_error: this.writeError ? dbErrorText(this.writeError) : this.stalled() ? `no heartbeat has worked for ${Math.round((performance.now() - this.lastWriteMono) / 1000)} s (the database does not answer)` : null,
      last_write_at: this.lastWriteAt,
      lost_calls_closed: this.lostCallsClosed,
      sweeping: this.sweeping(),
    };
  }

  /** One heartbeat and sweep (the timer calls this; tests may too). */
  async beat(): Promise<void> {
    this.inBeat = true;
    try {
      let now: string;
      try {
        now = await this.touch();
        if (this.writeError || this.stalled()) this.opts.log.info('database writes work again (heartbeat)');
        // A beat that took longer than two intervals was a break too: the run of good ones starts again.
        if (this.stalled()) this.healthySince = null;
        this.writeError = null;
        this.lastWriteAt = now;
        this.lastWriteMono = performance.now();
        this.healthySince ??= performance.now();
      } catch (err) {
        if (!this.writeError) this.opts.log.error({ err }, 'database write failed (heartbeat): the database cannot take writes');
        this.writeError = err as Error;
        this.healthySince = null;
        return;
      }
      if (!this.sweeping()) return;
      await this.closeLostNodes(now).catch((err: Error) => this.opts.log.warn({ err }, 'looking for lost gateway nodes failed'));
    } finally {
      this.inBeat = false;
    }
  }

  /** No heartbeat has worked for two intervals: one is stuck (a server that stopped answering) or they fail. */
  private stalled(): boolean {
    return performance.now() - this.lastWriteMono > 2 * this.heartbeatMs;
  }

  /** Stop the heartbeat and mark this life as cleanly stopped (best effort: the database may be gone). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.beating;
    const { db } = this.opts;
    await db('gateway_nodes')
      .where({ id: this.id })
      .update({ stopped_at: dbNowSql(db), stop_reason: 'stopped' })
      .catch((err: Error) => this.opts.log.warn({ err }, 'could not mark this gateway node stopped'));
  }

  /** Its heartbeats have worked, without a break, for as long as it takes a peer to be declared lost. */
  private sweeping(): boolean {
    return this.healthySince !== null && performance.now() - this.healthySince >= this.lostAfterMs;
  }

  private row(now: string) {
    return { id: this.id, name: this.name, host: hostname().slice(0, 255), pid: process.pid, started_at: this.startedAt, heartbeat_at: now, heartbeat_ms: this.heartbeatMs, life: this.life };
  }

  /** Stamp this node's heartbeat with the database's time, and return that time. */
  private async touch(): Promise<string> {
    const { db } = this.opts;
    const [beat] = await db('gateway_nodes').where({ id: this.id }).whereNull('stopped_at').update({ heartbeat_at: dbNowSql(db) }, ['heartbeat_at']);
    if (beat) return String(beat.heartbeat_at);
    const now = await dbNow(db);
    const row = await db('gateway_nodes').where({ id: this.id }).first();
    if (!row) {
      await db('gateway_nodes').insert(this.row(now));
      return now;
    }
    // A peer took this node for dead while it was cut off from the database, and closed its calls.
    // They were not dead: open them again. The real ends of those that did end meanwhile are in
    // this node's journal, applied after this, and they overwrite the reopening.
    const reopened = await db.transaction(async (trx) => {
      await trx('gateway_nodes').where({ id: this.id }).update({ heartbeat_at: now, stopped_at: null, stop_reason: null });
      return new CallsRepo(trx).reopenLost(this.id, 'node_lost');
    });
    this.opts.log.warn({ node: this.id, stop_reason: row.stop_reason, reopened_calls: reopened.length }, 'this gateway node had been declared lost by another (no heartbeat for too long); its calls were reopened, carrying on');
    return now;
  }

  /**
   * Close the active calls of nodes whose heartbeat stopped (another name: our own earlier lives
   * are `crash`, at start). `now` is the database's time of this node's heartbeat.
   */
  private async closeLostNodes(now: string): Promise<void> {
    const { db, log } = this.opts;
    const nowMs = Date.parse(now);
    const cutoff = new Date(nowMs - this.lostAfterMs).toISOString();
    const silent = await db('gateway_nodes').whereNull('stopped_at').where('heartbeat_at', '<', cutoff).whereNot('name', this.name).select('id', 'heartbeat_at', 'heartbeat_ms');
    for (const node of silent) {
      const heartbeatAt = String(node.heartbeat_at);
      const peerMs = Number(node.heartbeat_ms) || 0; // null: a node from before migration 0014
      if (Date.parse(heartbeatAt) >= nowMs - Math.max(this.lostAfterMs, MISSED_BEATS * peerMs)) continue;
      const closed = await db.transaction(async (trx) => {
        // Only if it has not beaten since we looked: a node that is alive keeps its calls.
        const marked = await trx('gateway_nodes').where({ id: node.id, heartbeat_at: heartbeatAt }).whereNull('stopped_at').update({ stopped_at: now, stop_reason: 'node_lost' });
        return marked ? new CallsRepo(trx).closeOrphans((q) => q.where('node_id', node.id), 'node_lost', heartbeatAt) : null;
      });
      if (!closed) continue;
      this.lostCallsClosed += closed.length;
      log.warn({ node: node.id, last_heartbeat: heartbeatAt, calls: closed.length }, 'a gateway node stopped its heartbeat; its calls were closed as node_lost');
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
 * "Earlier" is by life number, never by wall time: the entry may be applied late (after a later
 * life has started) and the clock may have gone backwards between lives; only rows from before
 * life numbers (and calls of no node) are judged by start time.
 */
export function gatewayNodeHandlers(log: Logger): Array<[string, OpHandler]> {
  const recover: OpHandler = async (trx, d: { name: string; node_id: string; started_at: string; life?: number }) => {
    const calls = new CallsRepo(trx);
    const earlierLives = () => {
      const q = trx('gateway_nodes').where({ name: d.name }).whereNot({ id: d.node_id });
      return typeof d.life === 'number' ? q.where((w) => w.where('life', '<', d.life!).orWhereNull('life')) : q;
    };
    // Every call of a numbered earlier life is that life's; of an unnumbered one, those that started before this life.
    const ownCalls = (life: unknown) => (q: Knex.QueryBuilder) => (life == null ? q.where('started_at', '<', d.started_at) : q);
    const earlier = await earlierLives().whereNull('stopped_at').select('id', 'heartbeat_at', 'life');
    let closed = 0;
    for (const life of earlier) {
      closed += (await calls.closeOrphans((q) => ownCalls(life.life)(q.where('node_id', life.id)), 'crash', String(life.heartbeat_at))).length;
    }
    // Also lives already marked stopped whose calls are still active (a clean stop with the database down).
    const stopped = await earlierLives().whereNotNull('stopped_at').select('id', 'life');
    for (const life of stopped) {
      closed += (await calls.closeOrphans((q) => ownCalls(life.life)(q.where('node_id', life.id)), 'crash', d.started_at)).length;
    }
    closed += (await calls.closeOrphans((q) => q.whereNull('node_id').where('started_at', '<', d.started_at), 'crash', d.started_at)).length;
    await earlierLives().whereNull('stopped_at').update({ stopped_at: d.started_at, stop_reason: 'crash' });
    if (closed) log.warn({ calls: closed }, 'calls left active by a crash of this gateway were closed as crash');
  };
  return [[RECOVER_OP, recover]];
}
