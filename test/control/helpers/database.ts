/**
 * A fresh database per test: a SQLite file in a temp dir, or, when TEST_DATABASE_URL is set, a
 * private schema in that Postgres database (dropped afterwards), so the same tests run on both.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knexFactory from 'knex';
import { openDatabase, type Db } from '../../../control/db/connection.ts';

export interface TestDatabase {
  dataDir: string;
  databaseUrl?: string;
  pgSchema?: string;
  cleanup(): Promise<void>;
}

export const PG_URL = process.env.TEST_DATABASE_URL || undefined;

export type TestEngine = 'sqlite' | 'postgres';

/** Engines the repository tests run on: SQLite always, Postgres too when TEST_DATABASE_URL is set (.ci/run sets it). */
export function testEngines(): TestEngine[] {
  return PG_URL ? ['sqlite', 'postgres'] : ['sqlite'];
}

/** A fresh database; by default Postgres when TEST_DATABASE_URL is set, else SQLite. */
export async function testDatabase(engine: TestEngine = PG_URL ? 'postgres' : 'sqlite'): Promise<TestDatabase> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'vg-control-'));
  if (engine === 'postgres' && !PG_URL) throw new Error('Postgres tests need TEST_DATABASE_URL');
  if (engine === 'sqlite' || !PG_URL) return { dataDir, cleanup: async () => rmSync(dataDir, { recursive: true, force: true }) };
  const pgSchema = `t_${randomBytes(6).toString('hex')}`;
  const admin = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
  await admin.raw('CREATE SCHEMA ??', [pgSchema]);
  await admin.destroy();
  return {
    dataDir,
    databaseUrl: PG_URL,
    pgSchema,
    async cleanup() {
      const a = knexFactory({ client: 'pg', connection: PG_URL, pool: { min: 0, max: 1 } });
      await a.raw('DROP SCHEMA IF EXISTS ?? CASCADE', [pgSchema]);
      await a.destroy();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** An open, migrated database for repository tests. */
export async function openTestDb(engine?: TestEngine): Promise<{ db: Db; t: TestDatabase; close(): Promise<void> }> {
  const t = await testDatabase(engine);
  const db = await openDatabase({ dataDir: t.dataDir, databaseUrl: t.databaseUrl, pgSchema: t.pgSchema });
  return {
    db,
    t,
    async close() {
      await db.destroy();
      await t.cleanup();
    },
  };
}
