/**
 * An LLM provider's proxy password gets its own column, encrypted like the API key (AES-256-GCM,
 * control/crypto/field-cipher.ts), so neither the database file nor a backup holds it in
 * plaintext; `proxy_url` keeps the rest of the URL (scheme, user, host, port). A migration has no
 * key to encrypt with, so rows that still carry a password inside `proxy_url` are sealed by
 * LlmProvidersRepo.sealPlaintextProxyPasswords when the control plane starts (and after every
 * restore); until then that password is read from the URL as before.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('llm_providers', (t) => {
    t.text('proxy_password_encrypted');
  });
}

/** Rolling back drops the encrypted passwords (there is no key here to put them back into the URLs). */
export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('llm_providers', (t) => {
    t.dropColumn('proxy_password_encrypted');
  });
}
