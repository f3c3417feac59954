/**
 * Telegram bots (control/telegram/): one row per bot the owner connected with a @BotFather token.
 *  - `token_encrypted`: the bot token, AES-256-GCM (crypto/field-cipher.ts), never returned by the
 *    API (`has_token`); `bot_user_id` / `username`: what getMe said about it, when last started.
 *  - `persona_id`, `llm_backend` / `llm_provider_id`: what answers its chats (the same shape as a
 *    chat session's override, migration 0003); null follows the default persona and backend.
 *  - `allowed_user_ids`: JSON list of Telegram user ids that may talk to it; null: open to anyone.
 *  - `mode`: `polling` (getUpdates) or `webhook` (Telegram POSTs to /telegram/webhook/:id with
 *    `webhook_secret_encrypted` in its secret-token header).
 *  - `update_offset`: updates below it were fully handled (the polling runner's acknowledgement,
 *    kept so a restart neither loses nor repeats them); `last_update_at`: when one last arrived.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('telegram_bots', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    t.text('token_encrypted').notNullable();
    t.string('bot_user_id', 32);
    t.string('username', 64);
    t.boolean('enabled').notNullable().defaultTo(true);
    t.boolean('auto_start').notNullable().defaultTo(true);
    t.integer('persona_id').references('id').inTable('personas').onDelete('SET NULL');
    t.string('llm_backend', 16);
    t.integer('llm_provider_id').references('id').inTable('llm_providers').onDelete('SET NULL');
    t.text('greeting');
    t.text('allowed_user_ids');
    t.string('mode', 16).notNullable().defaultTo('polling');
    t.text('webhook_secret_encrypted').notNullable();
    t.boolean('reply_with_voice').notNullable().defaultTo(false);
    t.bigInteger('update_offset');
    t.string('last_update_at', 32);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('telegram_bots');
}
