/**
 * What the conversation core reads from the database besides what was there:
 *  - personas get their dialogue settings (`dialogue`: silence re-prompt and hang-up, call length,
 *    when to offer a message; JSON, the admin API's shape) and their own wording of the secretary's
 *    prompts (`prompts`: JSON, any of them; the rest stay the language's own);
 *  - a chat session keeps the built-in secretary's state between typed turns (`dialogue_state`),
 *    so a visitor can leave a message over several requests;
 *  - `modem_personas`: which persona answers a caller's number on the modem, the admin API's
 *    counterpart of MODEM_PERSONAS (which stays the default for numbers not listed here).
 */
import type { Knex } from 'knex';

const ts = (t: Knex.CreateTableBuilder, name: string) => t.string(name, 32);

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('personas', (t) => {
    t.text('dialogue');
    t.text('prompts');
  });
  await db.schema.alterTable('chat_sessions', (t) => {
    t.text('dialogue_state');
  });
  await db.schema.createTable('modem_personas', (t) => {
    t.increments('id');
    /** As the admin wrote it (GDPR requests name a number as it appears in the data). */
    t.string('number', 64).notNullable();
    /** Digits only, Russia's 8... folded into 7...: what a caller id is matched on. */
    t.string('number_key', 32).notNullable().unique();
    t.integer('persona_id').notNullable().references('id').inTable('personas').onDelete('CASCADE');
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('modem_personas');
  await db.schema.alterTable('chat_sessions', (t) => {
    t.dropColumn('dialogue_state');
  });
  await db.schema.alterTable('personas', (t) => {
    t.dropColumn('prompts');
    t.dropColumn('dialogue');
  });
}
