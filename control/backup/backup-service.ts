/**
 * Backups of the control-plane database as a zip: `tables/<table>.json` (every row, in primary-key
 * order), `recordings/<id>.<format>` (the audio file of each `recordings` row), `manifest.json`
 * (format, schema version as the list of applied migrations, row counts, the sha256 and size of
 * every other entry, and per recording row its entry or why there is none) and `SHA256SUMS` (the
 * same hashes in `sha256sum -c` form). Rows are read in one transaction (repeatable read on
 * Postgres) so the copy is consistent. A recording whose file is gone is noted, not fatal: the
 * rows are the backup's core, and a half-deleted recording must not stop every backup.
 *
 * Restore validates everything before touching the database (format, schema version, every hash,
 * recordings included, every table present and only known columns), writes the recording files
 * into the recordings directory under temporary names, replaces all tables in one transaction
 * (with `recordings.path` pointing at the restored files) but the audit log, to which the backup's
 * rows are appended (audit-merge.ts), then moves the files into place, and
 * moves Postgres id sequences past the restored ids. Backups made before recordings were included
 * restore as before (rows only). Everyone in the erasure ledger (legal/erasure-ledger.ts, not
 * backed up) is erased again inside the same transaction, so a backup made before a GDPR erasure
 * cannot bring the person back; their recording files are not put in place. Before anything
 * changes, a restore writes a safety backup of the current state (`-prerestore`), files included;
 * afterwards the recording files no restored row names are removed, but only those that safety
 * backup holds (recordings/unreferenced-files.ts), so a restore loses nothing. Refresh tokens are
 * not backed up: a restore ends every login session. Stored LLM API keys (and proxy passwords)
 * stay encrypted with the secret key, so a restore on another machine
 * needs the same SECRET_KEY (or secret.key file); the ciphertexts are bound to their URLs, and
 * ones from before that binding are dropped in the restore's transaction (RestoreSafeguards),
 * since nothing stops an admin from editing a backup's URLs: the manifest's hashes are not a
 * signature. The zip is built and read in memory: recordings count toward the 512 MB unpacked limit.
 */
import { ownedTempName, sweepStaleTemps } from '../../runtime/owned-temp.ts';
import { constants as fsConstants, mkdirSync, readdirSync, statSync, unlinkSync } from 'node:fs';
import { copyFile, link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { strFromU8, strToU8 } from 'fflate';
import type { UnpackedEntry } from './archive-jobs.ts';
import { Archiver, InvalidArchiveError } from './archiver.ts';
import { appendAuditRows } from './audit-merge.ts';
import type { BulkWorkPool } from '../bulk-work-pool.ts';
import type { Knex } from 'knex';
import { z } from 'zod';
import { dbClient } from '../db/connection.ts';
import { insertInBatches } from '../db/rows.ts';
import { canRestoreFrom, MIGRATIONS } from '../db/migration-source.ts';
import { HttpError, notFound } from '../http/errors.ts';
import type { ReapplyReport } from '../legal/erasure-ledger.ts';
import type { RecordingStore } from '../recordings/recording-store.ts';
import { removeUnreferencedRecordings } from '../recordings/unreferenced-files.ts';

/** Every table but those in NOT_BACKED_UP, parents before children (insert order; deletes go in reverse). */
export const BACKUP_TABLES = [
  'users', 'llm_providers', 'tts_presets', 'personas', 'modem_personas', 'system_config', 'faq', 'chat_sessions', 'chat_messages',
  'calls', 'call_turns', 'call_transcripts', 'recordings', 'sms', 'audit_log', 'usage_log', 'usage_limits',
  'consents', 'api_keys', 'messages', 'notification_channels', 'notification_outbox', 'widget_instances',
  'telegram_bots',
] as const;
/** Tables added after the first backups were made, by the migration that added them: a backup from before has none (restored empty). */
const TABLE_SINCE: Partial<Record<(typeof BACKUP_TABLES)[number], string>> = {
  modem_personas: '0010-conversation-config',
  messages: '0011-messages-notifications',
  notification_channels: '0011-messages-notifications',
  notification_outbox: '0011-messages-notifications',
  widget_instances: '0015-widget-instances',
  telegram_bots: '0016-telegram-bots',
};
export const NOT_BACKED_UP = {
  refresh_tokens: 'login sessions: a restore ends them all',
  login_device_throttles: 'failed logins per remembered device: a restore starts them afresh',
  erasure_ledger: 'GDPR erasures: kept out so no restore can shrink it; every restore erases its people again',
  gateway_nodes: 'which gateway processes are alive now: a backup of it would only be stale',
} as const;

/** Tables whose `id` comes from a sequence (Postgres needs it moved past restored ids). */
const SERIAL_TABLES = BACKUP_TABLES.filter((t) => t !== 'system_config' && t !== 'calls' && t !== 'messages');
const PRIMARY_KEY: Record<string, string> = { system_config: 'key' };

export const BACKUP_FORMAT = 'voice-gateway-backup';
const NAME_RE = /^backup-[0-9]{8}T[0-9]{6}Z(-[a-z0-9]{1,16})?\.zip$/;
/** Unpacked size we accept in a backup (zip bombs). */
const MAX_UNPACKED = 512 * 1024 * 1024;
const RECORDING_ENTRY = /^recordings\/\d+\.[a-z0-9]{1,8}$/;
/** A restored file keeps its original name when that name is plain. */
const PLAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,150}$/;
const extOf = (format: unknown) => (typeof format === 'string' && /^[a-z0-9]{1,8}$/.test(format) ? format : 'bin');

const Manifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  created_at: z.string(),
  database: z.enum(['sqlite', 'postgres']),
  migrations: z.array(z.string()),
  tables: z.record(z.string(), z.object({ rows: z.number().int().min(0) })),
  entries: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) })),
  /** Per `recordings` row id: the zip entry of its file, or why there is none. Absent in older backups. */
  recordings: z
    .record(
      z.string().regex(/^\d+$/),
      z.union([
        z.strictObject({
          entry: z.string().regex(RECORDING_ENTRY),
          /** The file no longer matches the sha256 registered with its row (changed on disk since). */
          differs_from_row: z.literal(true).optional(),
        }),
        z.strictObject({ missing: z.string() }),
      ]),
    )
    .optional(),
});
export type BackupManifest = z.infer<typeof Manifest>;

/** What a restore applies to the restored rows inside its transaction, before anyone can see them. */
export interface RestoreSafeguards {
  /** Erase everyone in the erasure ledger again (legal/erasure-ledger.ts). */
  reapplyErasures(trx: Knex.Transaction): Promise<ReapplyReport>;
  /** Drop stored LLM secrets that are not bound to their destination (repositories/secret-binding.ts); returns how many. */
  dropUnboundSecrets(trx: Knex.Transaction): Promise<number>;
}

const NO_SAFEGUARDS: RestoreSafeguards = { reapplyErasures: async () => ({ erasures: 0, rows: 0 }), dropUnboundSecrets: async () => 0 };

export interface RestoreReport {
  /** Rows per table as in the backup. */
  tables: Record<string, number>;
  /** Recording files put in place. */
  recording_files: number;
  /** People in the erasure ledger erased again, and the restored rows that took. */
  erasures_reapplied: number;
  erased_rows: number;
  /** The backup of the state just replaced, taken before anything changed. */
  safety_backup: string;
  /** Files no restored row names, held by the safety backup: removed. */
  unreferenced_files_removed: number;
  /** Files no row named before or after the restore and no backup holds: left in place. */
  unreferenced_files_kept: number;
  /** The backup's audit rows the live log lacked, appended (the live log is never replaced). */
  audit_rows_appended: number;
  /** LLM API keys and proxy passwords of the backup dropped: encrypted before they were bound to their server (enter them again). */
  llm_secrets_dropped: number;
  /** Which backup this was: the sha256 of its zip and when it was made. */
  backup_sha256: string;
  backup_created_at: string;
}

export interface BackupInfo {
  name: string;
  bytes: number;
  created_at: string;
  sha256: string;
}

/** A temporary backup file of an older version (`.tmp-*`) this old was left by a process that died while writing it. */
const STALE_TEMP_MS = 60 * 60 * 1000;
/** Where `link` fails because the file system has no hard links (FAT, exFAT, some network mounts). */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const invalid = (message: string, details?: unknown) => new HttpError(400, 'invalid_backup', message, details);

export class BackupService {
  readonly dir: string;
  /** Deflating, inflating and hashing archives happen on its thread, never on the event loop. */
  readonly #archiver: Archiver;

  constructor(
    private readonly db: Knex,
    dataDir: string,
    /** Where recording files are read from for a backup, written back on restore and swept after it. */
    private readonly recordings: Pick<RecordingStore, 'dir' | 'open' | 'toStored'>,
    /** Caches to drop after a restore (FAQ matcher, providers, API keys, limits). */
    private readonly onRestored: () => Promise<void> | void = () => {},
    /** Erasures to apply again, secrets to drop: in every restore's transaction. */
    private readonly safeguards: RestoreSafeguards = NO_SAFEGUARDS,
    /** The control plane's bulk-work thread (shared with upload decoding); default: a thread of its own. */
    bulk?: BulkWorkPool,
  ) {
    this.#archiver = new Archiver(bulk);
    this.dir = path.join(dataDir, 'backups');
    this.#sweepStaleTemps();
  }

  /**
   * Temporary files a crash left between writing and linking (never listed, but they take space):
   * backups being written and recordings being restored, named for their process
   * (runtime/owned-temp.ts) and removed once it no longer runs; and `.tmp-` files of versions
   * before those names, after an hour.
   */
  #sweepStaleTemps(): void {
    sweepStaleTemps(this.dir);
    sweepStaleTemps(this.recordings.dir);
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.startsWith('.tmp-'));
    } catch {
      return; // no backups directory yet
    }
    for (const name of names) {
      const file = path.join(this.dir, name);
      try {
        if (Date.now() - statSync(file).mtimeMs > STALE_TEMP_MS) unlinkSync(file);
      } catch {
        // gone meanwhile, or not ours to remove: nothing depends on it
      }
    }
  }

  /** The zip of the database as it is now; `captured` gains the real path of each recording file put in. */
  async build(captured?: Set<string>): Promise<{ zip: Uint8Array; sha256: string; manifest: BackupManifest }> {
    const pg = dbClient(this.db) === 'postgres';
    const trx = await this.db.transaction(pg ? { isolationLevel: 'repeatable read' } : undefined);
    const files: Record<string, Uint8Array> = {};
    const tables: BackupManifest['tables'] = {};
    let recordingRows: Array<Record<string, unknown>> = [];
    try {
      for (const table of BACKUP_TABLES) {
        const rows = await trx(table).select('*').orderBy(PRIMARY_KEY[table] ?? 'id');
        files[`tables/${table}.json`] = strToU8(JSON.stringify(rows));
        tables[table] = { rows: rows.length };
        if (table === 'recordings') recordingRows = rows;
      }
    } finally {
      await trx.rollback().catch(() => {});
    }
    const rowSha256: Record<string, string> = {};
    const recordings = await this.#readRecordings(recordingRows, files, rowSha256, captured);
    const draft: BackupManifest = {
      format: BACKUP_FORMAT,
      version: 1,
      created_at: new Date().toISOString(),
      database: pg ? 'postgres' : 'sqlite',
      migrations: MIGRATIONS.map((m) => m.name),
      tables,
      entries: {}, // every entry's sha256 and size, filled in on the archive thread
      recordings,
    };
    // Audio barely deflates: the fastest level keeps a backup with hours of calls quick.
    const entries = Object.entries(files).map(([name, data]) => ({ name, data, level: name.startsWith('recordings/') ? (1 as const) : (6 as const) }));
    const packed = await this.#archiver.pack({ manifest: draft, entries, rowSha256 });
    return { zip: packed.zip, sha256: packed.sha256, manifest: packed.manifest as BackupManifest };
  }

  /**
   * Each recording row's file as a zip entry, or a note saying why it is not there; `rowSha256`
   * gains each entry's recorded hash, which the archive thread compares with the file's.
   */
  async #readRecordings(
    rows: Array<Record<string, unknown>>,
    files: Record<string, Uint8Array>,
    rowSha256: Record<string, string>,
    captured?: Set<string>,
  ): Promise<NonNullable<BackupManifest['recordings']>> {
    const out: NonNullable<BackupManifest['recordings']> = {};
    for (const row of rows) {
      const id = String(row.id);
      const found = await this.recordings.open(String(row.path ?? ''));
      const data = found ? await readFile(found.file).catch(() => null) : null;
      if (!data) {
        out[id] = { missing: `no readable file for ${String(row.path)} in the recordings directory` };
        continue;
      }
      const entry = `recordings/${id}.${extOf(row.format)}`;
      files[entry] = data;
      captured?.add(found!.file);
      if (typeof row.sha256 === 'string' && row.sha256) rowSha256[entry] = row.sha256;
      out[id] = { entry };
    }
    return out;
  }

  /** Build a backup into DATA_DIR/backups (mode 0600: it holds password hashes). */
  async create(suffix?: string, captured?: Set<string>): Promise<BackupInfo & { manifest: BackupManifest }> {
    const { zip, sha256, manifest } = await this.build(captured);
    return { ...(await this.#store(zip, suffix, async () => sha256)), manifest };
  }

  /** Check an uploaded backup completely, then keep it next to the others. */
  async upload(zip: Uint8Array): Promise<BackupInfo & { manifest: BackupManifest }> {
    let manifest!: BackupManifest;
    const info = await this.#store(zip, 'upload', async () => {
      const checked = await this.validate(zip);
      manifest = checked.manifest;
      return checked.sha256;
    });
    return { ...info, manifest };
  }

  /**
   * Writes the zip under a hidden temporary name (list() shows only backup-*.zip), then runs
   * `check` (its sha256; it may take the zip's buffer to the archive thread, since the bytes are
   * on disk by then, rather than a copy made on the event loop), and only then publishes it.
   */
  async #store(zip: Uint8Array, suffix: string | undefined, check: () => Promise<string>): Promise<BackupInfo> {
    const bytes = zip.byteLength;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, ownedTempName('backup', '.zip'));
    try {
      await writeFile(tmp, zip, { mode: 0o600, flag: 'wx' });
      return await this.#publish(tmp, bytes, await check(), suffix);
    } finally {
      await unlink(tmp).catch(() => {});
    }
  }

  /**
   * Gives the written temporary file its final name by a hard link: a half-written or failed write
   * is never listed, downloaded or restored, and a name taken meanwhile by another backup (EEXIST)
   * moves on to the next name. Where the file system has no hard links, an exclusive copy.
   */
  async #publish(tmp: string, bytes: number, sha256: string, suffix?: string): Promise<BackupInfo> {
    const first = `backup-${stamp()}${suffix ? `-${suffix}` : ''}.zip`;
    for (let i = 1; i < 100; i++) {
      const name = i === 1 ? first : `backup-${stamp()}-${suffix ?? 'n'}${i}.zip`;
      const final = path.join(this.dir, name);
      try {
        try {
          await link(tmp, final);
        } catch (err) {
          if (!NO_HARD_LINKS.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
          await copyFile(tmp, final, fsConstants.COPYFILE_EXCL);
        }
        return { name, bytes, created_at: new Date().toISOString(), sha256 };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
    throw new Error('no free backup file name');
  }

  list(): Array<Omit<BackupInfo, 'sha256'>> {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => NAME_RE.test(n));
    } catch {
      return [];
    }
    return names
      .map((name) => {
        const st = statSync(path.join(this.dir, name));
        return { name, bytes: st.size, created_at: st.mtime.toISOString() };
      })
      .sort((a, b) => b.name.localeCompare(a.name));
  }

  async read(name: string): Promise<Buffer> {
    if (!NAME_RE.test(name)) throw notFound('backup');
    try {
      return await readFile(path.join(this.dir, name));
    } catch {
      throw notFound('backup');
    }
  }

  async remove(name: string): Promise<void> {
    if (!NAME_RE.test(name)) throw notFound('backup');
    try {
      await unlink(path.join(this.dir, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound('backup');
      throw err;
    }
  }

  /**
   * Everything a restore relies on, checked without writing anything; 400 invalid_backup or 409
   * schema_mismatch. `zip`'s buffer is moved to the archive thread: pass a copy (new Uint8Array(zip))
   * to keep using it.
   */
  async validate(zip: Uint8Array): Promise<{
    manifest: BackupManifest;
    /** Of the whole zip. */
    sha256: string;
    tables: Record<string, Array<Record<string, unknown>>>;
    /** Recording file contents by `recordings` row id (hashes checked). */
    recordingFiles: Map<string, Uint8Array>;
  }> {
    let unpacked: Map<string, UnpackedEntry>;
    let zipSha256: string;
    try {
      ({ entries: unpacked, sha256: zipSha256 } = await this.#archiver.unzip(zip, MAX_UNPACKED));
    } catch (err) {
      // The archive's fault is the uploader's (400); the thread's (it could not start, memory) is ours (500).
      if (err instanceof InvalidArchiveError) throw invalid(`not a readable zip file: ${err.message}`);
      throw err;
    }
    const data = (name: string) => unpacked.get(name)?.data;
    const manifestJson = data('manifest.json');
    if (!manifestJson) throw invalid('manifest.json is missing');
    let manifest: BackupManifest;
    try {
      const parsed = Manifest.safeParse(JSON.parse(strFromU8(manifestJson)));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      manifest = parsed.data;
    } catch (err) {
      throw invalid(`manifest.json is not a ${BACKUP_FORMAT} v1 manifest: ${(err as Error).message}`);
    }
    const ours = MIGRATIONS.map((m) => m.name);
    if (!canRestoreFrom(manifest.migrations)) {
      throw new HttpError(409, 'schema_mismatch', 'the backup was made with a database schema this server cannot take (newer, or older across a non-additive migration)', { backup: manifest.migrations, current: ours });
    }
    for (const [name, e] of Object.entries(manifest.entries)) {
      const entry = unpacked.get(name);
      if (!entry) throw invalid(`${name} is listed in the manifest but missing`);
      if (entry.data.byteLength !== e.bytes || entry.sha256 !== e.sha256) throw invalid(`${name} does not match its sha256 in the manifest`, { entry: name });
    }
    const tables: Record<string, Array<Record<string, unknown>>> = {};
    for (const table of BACKUP_TABLES) {
      const entry = `tables/${table}.json`;
      const since = TABLE_SINCE[table];
      if (!manifest.entries[entry] && since && !manifest.migrations.includes(since) && !manifest.tables[table]) {
        tables[table] = [];
        continue;
      }
      if (!manifest.entries[entry]) throw invalid(`table ${table} is missing`);
      let rows: unknown;
      try {
        rows = JSON.parse(strFromU8(data(entry)!));
      } catch {
        throw invalid(`${entry} is not JSON`);
      }
      if (!Array.isArray(rows) || !rows.every((r) => r && typeof r === 'object' && !Array.isArray(r))) throw invalid(`${entry} is not a list of rows`);
      if (rows.length !== manifest.tables[table]?.rows) throw invalid(`${entry} has ${rows.length} rows, the manifest says ${manifest.tables[table]?.rows}`);
      tables[table] = rows as Array<Record<string, unknown>>;
    }
    const unknownTables = Object.keys(manifest.tables).filter((t) => !(BACKUP_TABLES as readonly string[]).includes(t));
    if (unknownTables.length) throw invalid(`unknown tables: ${unknownTables.join(', ')}`);
    const recordingFiles = new Map<string, Uint8Array>();
    const rowIds = new Set(tables.recordings.map((r) => String(r.id)));
    for (const [id, r] of Object.entries(manifest.recordings ?? {})) {
      if (!rowIds.has(id)) throw invalid(`recording ${id} has no row in tables/recordings.json`);
      if (!('entry' in r)) continue;
      // Listed in `entries` means its sha256 was checked above; a file outside that list is not trusted.
      if (!manifest.entries[r.entry] || !r.entry.startsWith(`recordings/${id}.`)) throw invalid(`${r.entry} is not a checked entry of recording ${id}`);
      recordingFiles.set(id, data(r.entry)!);
    }
    return { manifest, sha256: zipSha256, tables, recordingFiles };
  }

  /** Ends the archive thread (if one is running). */
  async close(): Promise<void> {
    await this.#archiver.close();
  }

  /**
   * Replace the whole database with the backup's rows and put its recording files back; everyone in
   * the erasure ledger is erased again before the rows are committed, and the recording files of
   * rows that erasure removed are never put in place.
   */
  async restore(zip: Uint8Array): Promise<RestoreReport> {
    const { tables, recordingFiles, manifest, sha256 } = await this.validate(zip);
    for (const table of BACKUP_TABLES) {
      const columns = new Set(Object.keys(await this.db(table).columnInfo()));
      for (const row of tables[table]) {
        const extra = Object.keys(row).find((c) => !columns.has(c));
        if (extra) throw invalid(`table ${table} has no column ${extra}`);
      }
    }
    // What is about to be replaced is kept first, files included: the restore overwrites files of
    // the same name and removes files the restored rows do not name, and both must be undoable.
    const captured = new Set<string>();
    const safety = await this.create('prerestore', captured);
    const staged = await this.#stageRecordings(tables.recordings, recordingFiles);
    const pg = dbClient(this.db) === 'postgres';
    let outcome: { erased: ReapplyReport; paths: Set<string>; auditAppended: number; secretsDropped: number };
    try {
      outcome = await this.#replaceRows(tables, pg, sha256);
    } catch (err) {
      await Promise.all(staged.map((f) => unlink(f.tmp).catch(() => {})));
      throw err;
    }
    let placed = 0;
    for (const f of staged) {
      if (outcome.paths.has(f.stored)) {
        await rename(f.tmp, f.file);
        placed++;
      } else await unlink(f.tmp).catch(() => {}); // its row went with a re-applied erasure
    }
    const referenced = new Set<string>();
    for (const p of outcome.paths) {
      const found = await this.recordings.open(p);
      if (found) referenced.add(found.file);
    }
    const swept = await removeUnreferencedRecordings(this.recordings.dir, referenced, captured);
    await this.onRestored();
    return {
      tables: Object.fromEntries(BACKUP_TABLES.map((t) => [t, tables[t].length])),
      recording_files: placed,
      erasures_reapplied: outcome.erased.erasures,
      erased_rows: outcome.erased.rows,
      safety_backup: safety.name,
      unreferenced_files_removed: swept.removed,
      unreferenced_files_kept: swept.kept,
      audit_rows_appended: outcome.auditAppended,
      llm_secrets_dropped: outcome.secretsDropped,
      backup_sha256: sha256,
      backup_created_at: manifest.created_at,
    };
  }

  /**
   * Write each recording file of the backup next to its final place under a temporary name, and
   * point its row at the final place. Renamed only once the rows are committed, so a failed
   * restore leaves the directory as it was.
   */
  async #stageRecordings(rows: Array<Record<string, unknown>>, files: Map<string, Uint8Array>): Promise<Array<{ tmp: string; file: string; stored: string }>> {
    if (!files.size) return [];
    const dir = this.recordings.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const staged: Array<{ tmp: string; file: string; stored: string }> = [];
    const used = new Set<string>();
    try {
      for (const row of rows) {
        const data = files.get(String(row.id));
        if (!data) continue;
        const original = path.basename(String(row.path ?? ''));
        let name = PLAIN_NAME.test(original) ? original : `recording-${String(row.id)}.${extOf(row.format)}`;
        if (used.has(name)) name = `${String(row.id)}-${name}`;
        used.add(name);
        const file = path.join(dir, name);
        const tmp = path.join(dir, ownedTempName('restore', `-${name}`));
        row.path = this.recordings.toStored(file);
        staged.push({ tmp, file, stored: String(row.path) });
        await writeFile(tmp, data, { mode: 0o600 });
      }
    } catch (err) {
      await Promise.all(staged.map((f) => unlink(f.tmp).catch(() => {})));
      throw err;
    }
    return staged;
  }

  /**
   * The restored rows, with the safeguards applied (the ledger's erasures again, unbound secrets
   * dropped); returns what they did, the `recordings.path` left and how many audit rows were
   * appended (the audit log is merged, never replaced: audit-merge.ts).
   */
  async #replaceRows(
    tables: Record<string, Array<Record<string, unknown>>>,
    pg: boolean,
    backupSha256: string,
  ): Promise<{ erased: ReapplyReport; paths: Set<string>; auditAppended: number; secretsDropped: number }> {
    return this.db.transaction(async (trx) => {
      // Sessions and device throttles belong to the users being replaced (the ledger stays).
      await trx('refresh_tokens').del();
      await trx('login_device_throttles').del();
      for (const table of [...BACKUP_TABLES].reverse()) if (table !== 'audit_log') await trx(table).del();
      let auditAppended = 0;
      for (const table of BACKUP_TABLES) {
        if (table === 'audit_log') auditAppended = await appendAuditRows(trx, tables[table], backupSha256);
        else await insertInBatches(trx, table, tables[table]);
      }
      if (pg) {
        for (const table of SERIAL_TABLES) {
          await trx.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE((SELECT MAX(id) FROM ??), 0) + 1, false)`, [table, table]);
        }
      }
      const erased = await this.safeguards.reapplyErasures(trx);
      const secretsDropped = await this.safeguards.dropUnboundSecrets(trx);
      const paths = new Set((await trx('recordings').select('path')).map((r: { path: string }) => String(r.path)));
      return { erased, paths, auditAppended, secretsDropped };
    });
  }
}
