/**
 * The first schema. Portable between SQLite and Postgres on purpose:
 *  - timestamps are ISO-8601 UTC strings (`2025-01-31T12:00:00.000Z`): they sort and compare as text
 *    in both engines and come back as the same type (pg would return Date, SQLite a string);
 *  - ids are 32-bit `increments` (pg returns bigint as a string), or random strings where the id is
 *    handed out (refresh tokens) or comes from elsewhere (call ids from the gateway);
 *  - JSON is stored as text and parsed in the repositories.
 * Every child row of personal data uses ON DELETE CASCADE so a GDPR delete of the parent is complete.
 */
import type { Knex } from 'knex';

const ts = (t: Knex.CreateTableBuilder, name: string) => t.string(name, 32);

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('users', (t) => {
    t.increments('id');
    t.string('username', 64).notNullable().unique();
    t.string('password_hash', 255).notNullable();
    t.string('role', 16).notNullable();
    t.boolean('disabled').notNullable().defaultTo(false);
    t.integer('failed_logins').notNullable().defaultTo(0);
    ts(t, 'locked_until');
    ts(t, 'last_login_at');
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('refresh_tokens', (t) => {
    t.string('id', 32).primary();
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('family_id', 32).notNullable().index();
    t.string('token_hash', 64).notNullable().unique();
    ts(t, 'created_at').notNullable();
    ts(t, 'expires_at').notNullable();
    ts(t, 'used_at');
    ts(t, 'revoked_at');
    t.string('revoked_reason', 32);
    t.string('ip', 64);
    t.string('user_agent', 256);
    t.index(['user_id']);
  });

  await db.schema.createTable('llm_providers', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.string('kind', 32).notNullable();
    t.string('base_url', 500).notNullable();
    t.string('model', 200).notNullable();
    t.text('api_key_encrypted');
    t.string('proxy_url', 500);
    t.integer('timeout_ms').notNullable().defaultTo(30000);
    t.integer('priority').notNullable().defaultTo(100);
    t.boolean('enabled').notNullable().defaultTo(true);
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('tts_presets', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.string('engine', 32).notNullable();
    t.string('voice', 200).notNullable();
    t.string('language', 16);
    t.double('speed').notNullable().defaultTo(1);
    t.text('params');
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('personas', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.text('system_prompt').notNullable();
    t.text('greeting');
    t.string('language', 16);
    t.integer('llm_provider_id').references('id').inTable('llm_providers').onDelete('SET NULL');
    t.integer('tts_preset_id').references('id').inTable('tts_presets').onDelete('SET NULL');
    t.boolean('is_default').notNullable().defaultTo(false);
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('system_config', (t) => {
    t.string('key', 100).primary();
    t.text('value').notNullable();
    ts(t, 'updated_at').notNullable();
    t.integer('updated_by').references('id').inTable('users').onDelete('SET NULL');
  });

  await db.schema.createTable('faq', (t) => {
    t.increments('id');
    t.text('question').notNullable();
    t.text('answer').notNullable();
    t.text('keywords');
    t.string('language', 16);
    t.boolean('enabled').notNullable().defaultTo(true);
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('chat_sessions', (t) => {
    t.increments('id');
    t.string('source', 32).notNullable();
    t.string('source_id', 200).notNullable();
    t.string('contact', 200);
    t.integer('persona_id').references('id').inTable('personas').onDelete('SET NULL');
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
    t.index(['source', 'source_id']);
  });

  await db.schema.createTable('chat_messages', (t) => {
    t.increments('id');
    t.integer('session_id').notNullable().references('id').inTable('chat_sessions').onDelete('CASCADE');
    t.string('role', 16).notNullable();
    t.text('content').notNullable();
    t.string('source', 32).notNullable();
    t.string('source_id', 200).notNullable();
    ts(t, 'created_at').notNullable();
    t.index(['session_id']);
    t.index(['source', 'source_id']);
  });

  await db.schema.createTable('calls', (t) => {
    t.string('id', 64).primary();
    t.string('channel', 16).notNullable();
    t.string('direction', 16).notNullable();
    t.string('caller_number', 64);
    t.string('callee_number', 64);
    t.string('status', 16).notNullable();
    ts(t, 'started_at').notNullable().index();
    ts(t, 'ended_at');
    t.double('duration_ms');
    t.integer('persona_id').references('id').inTable('personas').onDelete('SET NULL');
    t.text('summary');
    t.index(['caller_number']);
  });

  await db.schema.createTable('call_turns', (t) => {
    t.increments('id');
    t.string('call_id', 64).notNullable().references('id').inTable('calls').onDelete('CASCADE');
    t.integer('turn_index').notNullable();
    t.text('user_text');
    t.text('assistant_text');
    t.string('answer_source', 16);
    t.boolean('interrupted').notNullable().defaultTo(false);
    // Per-turn latency, named as in docs/DESIGN.md's vocabulary.
    for (const m of ['endpoint_ms', 'stt_final_ms', 'llm_ttft_ms', 'tts_ttfa_ms', 'v2v_ms', 'barge_in_ms']) t.double(m);
    ts(t, 'started_at').notNullable();
    t.unique(['call_id', 'turn_index']);
  });

  await db.schema.createTable('call_transcripts', (t) => {
    t.increments('id');
    t.string('call_id', 64).notNullable().references('id').inTable('calls').onDelete('CASCADE');
    t.string('speaker', 16).notNullable();
    t.text('text').notNullable();
    t.double('start_ms');
    t.double('end_ms');
    t.index(['call_id']);
  });

  await db.schema.createTable('recordings', (t) => {
    t.increments('id');
    t.string('call_id', 64).references('id').inTable('calls').onDelete('CASCADE');
    t.string('path', 500).notNullable();
    t.string('format', 16).notNullable();
    t.double('duration_ms');
    t.integer('size_bytes');
    t.string('sha256', 64);
    ts(t, 'created_at').notNullable();
    t.index(['call_id']);
  });

  await db.schema.createTable('sms', (t) => {
    t.increments('id');
    t.string('direction', 8).notNullable();
    t.string('phone_number', 64).notNullable().index();
    t.text('body').notNullable();
    t.string('status', 16).notNullable();
    ts(t, 'created_at').notNullable();
    ts(t, 'sent_at');
  });

  await db.schema.createTable('audit_log', (t) => {
    t.increments('id');
    ts(t, 'at').notNullable().index();
    t.string('actor_type', 16).notNullable();
    t.string('actor_id', 64);
    t.string('actor_name', 100);
    t.string('action', 100).notNullable().index();
    t.string('target', 200);
    t.string('ip', 64);
    t.integer('status');
    t.text('details');
  });

  await db.schema.createTable('usage_log', (t) => {
    t.increments('id');
    ts(t, 'at').notNullable();
    t.string('subject_type', 16).notNullable();
    t.string('subject_id', 200).notNullable();
    t.string('kind', 32).notNullable();
    t.string('source', 32);
    t.integer('units').notNullable().defaultTo(1);
    t.integer('tokens_in').notNullable().defaultTo(0);
    t.integer('tokens_out').notNullable().defaultTo(0);
    t.index(['subject_type', 'subject_id', 'at']);
    t.index(['at']);
  });

  await db.schema.createTable('usage_limits', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('subject_type', 16).notNullable();
    t.string('subject_id', 200);
    t.string('kind', 32).notNullable();
    t.string('metric', 16).notNullable();
    t.string('period', 8).notNullable();
    t.integer('max_value').notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });

  await db.schema.createTable('consents', (t) => {
    t.increments('id');
    t.string('subject', 200).notNullable().index();
    t.string('purpose', 64).notNullable();
    t.boolean('granted').notNullable();
    t.string('source', 32).notNullable();
    t.text('evidence');
    ts(t, 'created_at').notNullable();
    ts(t, 'revoked_at');
  });

  await db.schema.createTable('api_keys', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable();
    t.string('prefix', 16).notNullable().unique();
    t.string('key_hash', 64).notNullable().unique();
    t.integer('created_by').references('id').inTable('users').onDelete('SET NULL');
    ts(t, 'created_at').notNullable();
    ts(t, 'last_used_at');
    ts(t, 'expires_at');
    ts(t, 'revoked_at');
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of [
    'api_keys', 'consents', 'usage_limits', 'usage_log', 'audit_log', 'sms', 'recordings', 'call_transcripts',
    'call_turns', 'calls', 'chat_messages', 'chat_sessions', 'faq', 'system_config', 'personas', 'tts_presets',
    'llm_providers', 'refresh_tokens', 'users',
  ]) {
    await db.schema.dropTableIfExists(table);
  }
}
