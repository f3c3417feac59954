/**
 * Website widget instances (control/widget): each a `data-widget` public id that a site embeds,
 * with its allowed origins, persona, greeting, language, colours, position, voice button and
 * rate limits. Visitors' conversations are chat sessions (`source = 'widget'`, `source_id =
 * '<instance id>:<visitor key>'`), so no column is added there.
 *
 * Deleting an instance keeps its sessions (the owner's chat history); only new visitors stop.
 */
import type { Knex } from 'knex';

const ts = (t: Knex.CreateTableBuilder, name: string) => t.string(name, 32);

export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('widget_instances', (t) => {
    t.increments('id');
    /** `wg_` + 22 base64url characters (128 random bits): what `data-widget` names; never changes. */
    t.string('public_id', 64).notNullable().unique();
    t.string('name', 100).notNullable().unique();
    t.boolean('enabled').notNullable().defaultTo(true);
    /** JSON array of exact origins (`https://example.com`, `http://localhost:8080`). */
    t.text('allowed_origins').notNullable();
    t.integer('persona_id').references('id').inTable('personas').onDelete('SET NULL');
    t.text('greeting');
    /** `ru`, `en`, or `auto` (the host page's `lang`). */
    t.string('language', 8).notNullable().defaultTo('auto');
    /** JSON object of `#rrggbb` colours: primary, primary_text, background, text. */
    t.text('colors').notNullable();
    t.string('position', 16).notNullable().defaultTo('bottom-right');
    t.boolean('voice_enabled').notNullable().defaultTo(false);
    t.integer('session_messages_per_min').notNullable();
    t.integer('ip_messages_per_min').notNullable();
    ts(t, 'created_at').notNullable();
    ts(t, 'updated_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('widget_instances');
}
