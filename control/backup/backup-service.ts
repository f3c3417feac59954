/**
 * Backups of the control-plane database as a zip: `tables/<table>.json` (every row, in primary-key
 * order), `manifest.json` (format, schema version as the list of applied migrations, row counts,
 * and the sha256 and size of every other entry) and `SHA256SUMS` (the same hashes in `sha256sum -c`
 * form). Rows are read in one transaction (repeatable read on Postgres) so the copy is consistent.
 *
 * Restore validates everything before touching the database (format, schema version, every hash,
 * every table present and only known columns), then replaces all tables in one transaction and
 * moves Postgres id sequences past the restored ids. Refresh tokens are not backed up: a restore
 * ends every login session. Stored LLM API keys stay encrypted with the secret key, so a restore on
 * another machine needs the same SECRET_KEY (or secret.key file). Recording files are not included.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import type { Knex } from 'knex';
import { z } from 'zod';
import { dbClient } from '../db/connection.ts';
import { MIGRATIONS } from '../db/migration-source.ts';
import { HttpError, notFound } from '../http/errors.ts';

/** Every table but refresh_tokens, parents before children (insert order; deletes go in reverse). */
export const BACKUP_TABLES = [
  'users', 'llm_providers', 'tts_presets', 'personas', 'system_config', 'faq', 'chat_sessions', 'chat_messages',
  'calls', 'call_turns', 'call_transcripts', 'recordings', 'sms', 'audit_log', 'usage_log', 'usage_limits',
  'consents', 'api_keys',
] as const;
export const NOT_BACKED_UP = { refresh_tokens: 'login sessions: a restore ends them all' } as const;

/** Tables whose `id` comes from a sequence (Postgres needs it moved past restored ids). */
const SERIAL_TABLES = BACKUP_TABLES.filter((t) => t !== 'system_config' && t !== 'calls');
const PRIMARY_KEY: Record<string, string> = { system_config: 'key' };

export const BACKUP_FORMAT = 'voice-gateway-backup';
const NAME_RE = /^backup-[0-9]{8}T[0-9]{6}Z(-[a-z0-9]{1,16})?\.zip$/;
/** Unpacked size we accept in a backup (zip bombs). */
const MAX_UNPACKED = 512 * 1024 * 1024;

const Manifest = z.object({
  format: z.literal(BACKUP_FORMAT),
  version: z.literal(1),
  created_at: z.string(),
  database: z.enum(['sqlite', 'postgres']),
  migrations: z.array(z.string()),
  tables: z.record(z.string(), z.object({ rows: z.number().int().min(0) })),
  entries: z.record(z.string(), z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), bytes: z.number().int().min(0) })),
});
export type BackupManifest = z.infer<typeof Manifest>;

export interface BackupInfo {
  name: string;
  bytes: number;
  created_at: string;
  sha256: string;
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const stamp = (d = new Date()) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
const invalid = (message: string, details?: unknown) => new HttpError(400, 'invalid_backup', message, details);

export class BackupService {
  readonly dir: string;

  constructor(
    private readonly db: Knex,
    dataDir: string,
    /** Caches to drop after a restore (FAQ matcher, providers, API keys, limits). */
    private readonly onRestored: () => Promise<void> | void = () => {},
  ) {
    this.dir = path.join(dataDir, 'backups');
  }

  /** The zip of the database as it is now. */
  async build(): Promise<{ zip: Uint8Array; manifest: BackupManifest }> {
    const pg = dbClient(this.db) === 'postgres';
    const trx = await this.db.transaction(pg ? { isolationLevel: 'repeatable read' } : undefined);
    const files: Record<string, Uint8Array> = {};
    const tables: BackupManifest['tables'] = {};
    try {
      for (const table of BACKUP_TABLES) {
        const rows = await trx(table).select('*').orderBy(PRIMARY_KEY[table] ?? 'id');
        files[`tables/${table}.json`] = strToU8(JSON.stringify(rows));
        tables[table] = { rows: rows.length };
      }
    } finally {
      await trx.rollback().catch(() => {});
    }
    const entries = Object.fromEntries(Object.entries(files).map(([name, data]) => [name, { sha256: sha256(data), bytes: data.byteLength }]));
    const manifest: BackupManifest = {
      format: BACKUP_FORMAT,
      version: 1,
      created_at: new Date().toISOString(),
      database: pg ? 'postgres' : 'sqlite',
      migrations: MIGRATIONS.map((m) => m.name),
      tables,
      entries,
    };
    const zippable: Zippable = {
      'manifest.json': strToU8(JSON.stringify(manifest, null, 2)),
      SHA256SUMS: strToU8(Object.entries(entries).map(([name, e]) => `${e.sha256}  ${name}\n`).join('')),
    };
    for (const [name, data] of Object.entries(files)) zippable[name] = [data, { level: 6 }];
    return { zip: zipSync(zippable), manifest };
  }

  /** Build a backup into DATA_DIR/backups (mode 0600: it holds password hashes). */
  async create(suffix?: string): Promise<BackupInfo & { manifest: BackupManifest }> {
    const { zip, manifest } = await this.build();
    return { ...this.#store(zip, suffix), manifest };
  }

  /** Check an uploaded backup completely, then keep it next to the others. */
  upload(zip: Uint8Array): BackupInfo & { manifest: BackupManifest } {
    const { manifest } = this.validate(zip);
    return { ...this.#store(zip, 'upload'), manifest };
  }

  #store(zip: Uint8Array, suffix?: string): BackupInfo {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    let name = `backup-${stamp()}${suffix ? `-${suffix}` : ''}.zip`;
    for (let i = 2; this.#exists(name) && i < 100; i++) name = `backup-${stamp()}-${suffix ?? 'n'}${i}.zip`;
    writeFileSync(path.join(this.dir, name), zip, { mode: 0o600 });
    return { name, bytes: zip.byteLength, created_at: new Date().toISOString(), sha256: sha256(zip) };
  }

  #exists(name: string): boolean {
    try {
      statSync(path.join(this.dir, name));
      return true;
    } catch {
      return false;
    }
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

  read(name: string): Buffer {
    if (!NAME_RE.test(name)) throw notFound('backup');
    try {
      return readFileSync(path.join(this.dir, name));
    } catch {
      throw notFound('backup');
    }
  }

  remove(name: string): void {
    this.read(name);
    unlinkSync(path.join(this.dir, name));
  }

  /** Everything a restore relies on, checked without writing anything; 400 invalid_backup or 409 schema_mismatch. */
  validate(zip: Uint8Array): { manifest: BackupManifest; tables: Record<string, Array<Record<string, unknown>>> } {
    let files: Record<string, Uint8Array>;
    try {
      let total = 0;
      files = unzipSync(zip, {
        filter: (f) => {
          total += f.originalSize;
          if (total > MAX_UNPACKED) throw new Error(`unpacks to more than ${MAX_UNPACKED} bytes`);
          return true;
        },
      });
    } catch (err) {
      throw invalid(`not a readable zip file: ${(err as Error).message}`);
    }
    if (!files['manifest.json']) throw invalid('manifest.json is missing');
    let manifest: BackupManifest;
    try {
      const parsed = Manifest.safeParse(JSON.parse(strFromU8(files['manifest.json'])));
      if (!parsed.success) throw new Error(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
      manifest = parsed.data;
    } catch (err) {
      throw invalid(`manifest.json is not a ${BACKUP_FORMAT} v1 manifest: ${(err as Error).message}`);
    }
    const ours = MIGRATIONS.map((m) => m.name);
    if (manifest.migrations.join() !== ours.join()) {
      throw new HttpError(409, 'schema_mismatch', 'the backup was made with a different database schema', { backup: manifest.migrations, current: ours });
    }
    for (const [name, e] of Object.entries(manifest.entries)) {
      const data = files[name];
      if (!data) throw invalid(`${name} is listed in the manifest but missing`);
      if (data.byteLength !== e.bytes || sha256(data) !== e.sha256) throw invalid(`${name} does not match its sha256 in the manifest`, { entry: name });
    }
    const tables: Record<string, Array<Record<string, unknown>>> = {};
    for (const table of BACKUP_TABLES) {
      const entry = `tables/${table}.json`;
      if (!manifest.entries[entry]) throw invalid(`table ${table} is missing`);
      let rows: unknown;
      try {
        rows = JSON.parse(strFromU8(files[entry]));
      } catch {
        throw invalid(`${entry} is not JSON`);
      }
      if (!Array.isArray(rows) || !rows.every((r) => r && typeof r === 'object' && !Array.isArray(r))) throw invalid(`${entry} is not a list of rows`);
      if (rows.length !== manifest.tables[table]?.rows) throw invalid(`${entry} has ${rows.length} rows, the manifest says ${manifest.tables[table]?.rows}`);
      tables[table] = rows as Array<Record<string, unknown>>;
    }
    const unknownTables = Object.keys(manifest.tables).filter((t) => !(BACKUP_TABLES as readonly string[]).includes(t));
    if (unknownTables.length) throw invalid(`unknown tables: ${unknownTables.join(', ')}`);
    return { manifest, tables };
  }

  /** Replace the whole database with the backup's rows. Returns rows restored per table. */
  async restore(zip: Uint8Array): Promise<Record<string, number>> {
    const { tables } = this.validate(zip);
    for (const table of BACKUP_TABLES) {
      const columns = new Set(Object.keys(await this.db(table).columnInfo()));
      for (const row of tables[table]) {
        const extra = Object.keys(row).find((c) => !columns.has(c));
        if (extra) throw invalid(`table ${table} has no column ${extra}`);
      }
    }
    const pg = dbClient(this.db) === 'postgres';
    await this.db.transaction(async (trx) => {
      await trx('refresh_tokens').del();
      for (const table of [...BACKUP_TABLES].reverse()) await trx(table).del();
      for (const table of BACKUP_TABLES) {
        const rows = tables[table];
        if (!rows.length) continue;
        // SQLite allows 999 bound variables per statement in old builds: stay under it.
        const perInsert = Math.max(1, Math.floor(900 / Object.keys(rows[0]).length));
        for (let i = 0; i < rows.length; i += perInsert) await trx(table).insert(rows.slice(i, i + perInsert));
      }
      if (pg) {
        for (const table of SERIAL_TABLES) {
          await trx.raw(`SELECT setval(pg_get_serial_sequence(?, 'id'), COALESCE((SELECT MAX(id) FROM ??), 0) + 1, false)`, [table, table]);
        }
      }
    });
    await this.onRestored();
    return Object.fromEntries(BACKUP_TABLES.map((t) => [t, tables[t].length]));
  }
}
