import { statSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { dbClient, openDatabase, SQLITE_FILE } from '../../control/db/connection.ts';
import { MIGRATIONS, rollbackAll, runMigrations } from '../../control/db/migration-source.ts';
import { PERSONAL_DATA_MAP } from '../../control/legal/personal-data-map.ts';
import { openTestDb, testDatabase, testEngines } from './helpers/database.ts';

const TABLES = [
  'users', 'refresh_tokens', 'personas', 'llm_providers', 'tts_presets', 'system_config', 'faq', 'chat_sessions', 'chat_messages', 'calls',
  'call_turns', 'call_transcripts', 'recordings', 'sms', 'audit_log', 'usage_log', 'usage_limits', 'consents', 'api_keys',
  'erasure_ledger', 'login_device_throttles', 'gateway_nodes', 'modem_personas', 'messages', 'notification_channels', 'notification_outbox',
  'telegram_bots', 'widget_instances',
];

for (const engine of testEngines()) {
  t.test(`${engine}: migrations create every table, are idempotent, and roll back`, async (t) => {
    const { db, close } = await openTestDb(engine);
    t.teardown(close);
    for (const table of TABLES) t.ok(await db.schema.hasTable(table), `table ${table}`);
    t.same(await runMigrations(db), [], 'a second run applies nothing');
    t.same((await db('knex_migrations').select('name')).map((r) => r.name), MIGRATIONS.map((m) => m.name));
    const turnCols = Object.keys(await db('call_turns').columnInfo());
    for (const m of ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms']) t.ok(turnCols.includes(m), `call_turns.${m}`);
    t.ok(Object.keys(await db('chat_messages').columnInfo()).includes('source_id'));
    await rollbackAll(db);
    t.notOk(await db.schema.hasTable('users'), 'rolled back');
    await runMigrations(db);
    t.ok(await db.schema.hasTable('users'), 'and forward again');
  });

  t.test(`${engine}: foreign keys are enforced and cascade (on every pooled connection)`, async (t) => {
    const { db, close } = await openTestDb(engine);
    t.teardown(close);
    await t.rejects(db('call_turns').insert({ call_id: 'nope', turn_index: 0, started_at: 'x' }), 'orphan row refused');
    await db('calls').insert({ id: 'c1', channel: 'ws', direction: 'in', status: 'active', started_at: new Date().toISOString() });
    await db('call_turns').insert({ call_id: 'c1', turn_index: 0, started_at: 'x' });
    await db('calls').where({ id: 'c1' }).delete();
    t.equal((await db('call_turns')).length, 0, 'turns deleted with their call');
  });

  t.test(`${engine}: every table is classified in the personal-data map`, async (t) => {
    const { db, close } = await openTestDb(engine);
    t.teardown(close);
    t.same(Object.keys(PERSONAL_DATA_MAP).sort(), [...TABLES].sort());
    const cols = Object.fromEntries(await Promise.all(TABLES.map(async (tb) => [tb, Object.keys(await db(tb).columnInfo())] as const)));
    for (const [table, policy] of Object.entries(PERSONAL_DATA_MAP)) {
      if ('none' in policy || 'retained' in policy) continue;
      for (const c of [...(policy.keys ?? []), ...(policy.text ?? [])]) t.ok(cols[table].includes(c), `${table}.${c} exists`);
    }
  });
}

t.test('SQLite: WAL, foreign_keys, busy_timeout and synchronous = FULL on the connection', async (t) => {
  const td = await testDatabase('sqlite');
  const db = await openDatabase({ dataDir: td.dataDir });
  t.teardown(async () => {
    await db.destroy();
    await td.cleanup();
  });
  t.equal(dbClient(db), 'sqlite');
  t.equal((await db.raw('PRAGMA journal_mode'))[0].journal_mode, 'wal');
  t.equal((await db.raw('PRAGMA foreign_keys'))[0].foreign_keys, 1);
  t.equal((await db.raw('PRAGMA busy_timeout'))[0].timeout, 5000);
  // NORMAL (1) in WAL mode does not fsync commits: a power cut could lose what the journal acknowledged.
  t.equal((await db.raw('PRAGMA synchronous'))[0].synchronous, 2, 'synchronous = FULL: a commit is on disk when it returns');
  t.ok(statSync(path.join(td.dataDir, SQLITE_FILE)).isFile(), 'database file in dataDir');
});
