/**
 * A Telegram notification channel may send through one of the owner's configured bots
 * (`telegram_bots`, migration 0016) instead of carrying a bot token of its own:
 * `notification_channels.bot_id` names the bot, and its `secret_encrypted` stays empty. The token
 * is read from the bot at each send, so a bot's new token is used at once.
 *
 * No foreign key, on purpose: deleting a bot that channels use is refused by the admin API, and a
 * channel whose bot is gone anyway (a race with that check, a hand-edited database) must keep
 * naming the bot it was set up with, so its deliveries fail with "the bot is gone" rather than
 * "no token" (ON DELETE SET NULL would forget which bot it was). It also keeps the backup's table
 * order free of a channel -> bot dependency.
 */
import type { Knex } from 'knex';

export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('notification_channels', (t) => {
    t.integer('bot_id');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('notification_channels', (t) => {
    t.dropColumn('bot_id');
  });
}
