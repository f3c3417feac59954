/**
 * A chat session may override which LLM answers it: `llm_backend` 'faq' (no LLM) or 'provider'
 * (then `llm_provider_id` goes first in the chain); null follows the persona and the default.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('chat_sessions', (t) => {
    t.string('llm_backend', 16);
    t.integer('llm_provider_id').references('id').inTable('llm_providers').onDelete('SET NULL');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('chat_sessions', (t) => {
    t.dropForeign(['llm_provider_id']);
    t.dropColumn('llm_provider_id');
    t.dropColumn('llm_backend');
  });
}
