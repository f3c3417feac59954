/**
 * Login throttling with growing waits (auth/login-throttle.ts). The account's bucket for unknown
 * clients keeps using `users.failed_logins` / `users.locked_until` (now "checked again no earlier
 * than"), plus the id of the last attempt that was let through, which tells the atomic UPDATE's
 * caller whether it was (repositories/login-throttles.ts). Each device a user has logged in from
 * gets its own bucket, in `login_device_throttles`: a stranger's guesses never slow the owner there.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('users', (t) => {
    t.string('last_checked_attempt', 32);
  });
  await db.schema.createTable('login_device_throttles', (t) => {
    t.integer('user_id').notNullable().references('id').inTable('users').onDelete('CASCADE');
    t.string('device_id', 32).notNullable();
    t.integer('failed_logins').notNullable().defaultTo(0);
    t.string('locked_until', 32);
    t.string('last_checked_attempt', 32);
    t.primary(['user_id', 'device_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('login_device_throttles');
  await db.schema.alterTable('users', (t) => {
    t.dropColumn('last_checked_attempt');
  });
}
