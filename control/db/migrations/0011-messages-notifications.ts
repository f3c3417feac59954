/**
 * The owner's inbox and how it reaches the owner:
 *  - `messages`: what callers and chat visitors leave (a message, or a request for a human), one
 *    row per message, keyed by the id made when it was taken, so a journal entry applied twice
 *    lands on the same row. No foreign keys to calls or chat sessions: a message must never be
 *    refused (and so lost) because its call or session row is missing or was erased meanwhile.
 *  - `notification_channels`: where the owner is told (a Telegram chat, an SMS number, a webhook),
 *    with the bot token or webhook secret encrypted.
 *  - `notification_outbox`: one row per message and channel, the durable state of its delivery
 *    (attempts, next attempt, lease, last error). It goes with its message (GDPR erasure); a
 *    deleted channel leaves its rows as history (channel_id becomes null, its name and type stay).
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('messages', (t) => {
    t.string('id', 64).primary();
    /** `message` (left for the owner) or `human_requested` (the caller asked for a person). */
    t.string('kind', 32).notNullable();
    /** `new` or `handled`. */
    t.string('status', 16).notNullable();
    t.string('caller_name', 200);
    /** Digits with an optional leading +, as pipeline/dialogue/phone-number.ts reads them; null when none was given. */
    t.string('callback_number', 32);
    /** The callback number as the caller gave it. */
    t.string('callback_text', 200);
    /** The number the network reported for the call, when any. */
    t.string('caller_id', 64);
    t.text('reason');
    t.string('language', 35);
    t.string('channel', 16).notNullable();
    t.string('call_id', 64);
    t.integer('session_id');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.string('handled_at', 32);
    t.integer('handled_by_user_id');
    t.string('handled_by', 64);
    t.index(['status', 'created_at']);
    t.index(['created_at']);
    t.index(['call_id']);
    t.index(['session_id']);
    t.index(['callback_number']);
    t.index(['caller_id']);
  });
  await db.schema.createTable('notification_channels', (t) => {
    t.increments('id');
    t.string('name', 100).notNullable().unique();
    /** `telegram`, `sms` or `webhook`. */
    t.string('type', 16).notNullable();
    t.boolean('enabled').notNullable().defaultTo(true);
    /** JSON list of the message kinds this channel is told about. */
    t.string('kinds', 200).notNullable();
    /** The Telegram chat id, the SMS number or the webhook URL. */
    t.string('target', 500).notNullable();
    /** The bot token or the webhook signing secret, AES-256-GCM (crypto/field-cipher.ts). */
    t.text('secret_encrypted');
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
  });
  await db.schema.createTable('notification_outbox', (t) => {
    t.increments('id');
    t.string('message_id', 64).notNullable().references('id').inTable('messages').onDelete('CASCADE');
    t.integer('channel_id').references('id').inTable('notification_channels').onDelete('SET NULL');
    t.string('channel_type', 16).notNullable();
    t.string('channel_name', 100).notNullable();
    /** Sent with every attempt (the webhook's Idempotency-Key header), the same across retries and restarts. */
    t.string('idempotency_key', 140).notNullable().unique();
    /** `pending`, `sending` (claimed: lease_owner until lease_until), `sent` or `failed`. */
    t.string('status', 16).notNullable();
    t.integer('attempts').notNullable().defaultTo(0);
    t.string('next_attempt_at', 32);
    t.string('lease_owner', 64);
    t.string('lease_until', 32);
    t.string('last_attempt_at', 32);
    t.string('last_error', 500);
    t.string('sent_at', 32);
    /** What the target gave back (a Telegram message id, SMS references, an HTTP status). */
    t.string('external_ref', 200);
    t.string('created_at', 32).notNullable();
    t.string('updated_at', 32).notNullable();
    t.index(['status', 'next_attempt_at']);
    t.index(['message_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('notification_outbox');
  await db.schema.dropTable('notification_channels');
  await db.schema.dropTable('messages');
}
