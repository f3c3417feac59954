/**
 * Migrations are TypeScript modules imported here by name, not discovered by globbing a folder:
 * knex's file loader does not understand tsx's `.ts` imports, and an explicit list also makes the
 * order reviewable. Append new migrations to MIGRATIONS; never edit or reorder shipped ones.
 */
import type { Knex } from 'knex';
import * as initial from './migrations/0001-initial.ts';
import * as callEndReason from './migrations/0002-call-end-reason.ts';
import * as chatSessionLlm from './migrations/0003-chat-session-llm.ts';
import * as llmProxyPassword from './migrations/0004-llm-proxy-password.ts';
import * as erasureLedger from './migrations/0005-erasure-ledger.ts';
import * as loginThrottle from './migrations/0006-login-throttle.ts';
import * as durableCallLog from './migrations/0007-durable-call-log.ts';
import * as conversationConfig from './migrations/0010-conversation-config.ts';
import * as messagesNotifications from './migrations/0011-messages-notifications.ts';
import * as turnEndedAt from './migrations/0012-turn-ended-at.ts';
import * as auditRestoredFrom from './migrations/0013-audit-restored-from.ts';
import * as nodeLiveness from './migrations/0014-node-liveness.ts';
import * as widgetInstances from './migrations/0015-widget-instances.ts';
import * as telegramBots from './migrations/0016-telegram-bots.ts';
import * as notificationChannelBot from './migrations/0017-notification-channel-bot.ts';

interface NamedMigration {
  name: string;
  up(db: Knex): Promise<void>;
  down(db: Knex): Promise<void>;
  /**
   * Only adds tables or nullable/defaulted columns: rows written before it still fit after it, so
   * a backup made before it can be restored into a database that has it.
   */
  additive?: true;
}

export const MIGRATIONS: readonly NamedMigration[] = [
  { name: '0001-initial', ...initial },
  { name: '0002-call-end-reason', ...callEndReason, additive: true },
  { name: '0003-chat-session-llm', ...chatSessionLlm, additive: true },
  { name: '0004-llm-proxy-password', ...llmProxyPassword, additive: true },
  { name: '0005-erasure-ledger', ...erasureLedger, additive: true },
  { name: '0006-login-throttle', ...loginThrottle, additive: true },
  { name: '0007-durable-call-log', ...durableCallLog, additive: true },
  { name: '0010-conversation-config', ...conversationConfig, additive: true },
  { name: '0011-messages-notifications', ...messagesNotifications, additive: true },
  { name: '0012-turn-ended-at', ...turnEndedAt, additive: true },
  { name: '0013-audit-restored-from', ...auditRestoredFrom, additive: true },
  { name: '0014-node-liveness', ...nodeLiveness, additive: true },
  { name: '0015-widget-instances', ...widgetInstances, additive: true },
  { name: '0016-telegram-bots', ...telegramBots, additive: true },
  { name: '0017-notification-channel-bot', ...notificationChannelBot, additive: true },
];

/**
 * Whether rows saved under `applied` (a backup's migration list) can go into this schema: the same
 * list, or an older prefix of it whose missing migrations are all additive.
 */
export function canRestoreFrom(applied: readonly string[]): boolean {
  if (applied.length > MIGRATIONS.length) return false;
  if (applied.some((name, i) => MIGRATIONS[i]!.name !== name)) return false;
  return MIGRATIONS.slice(applied.length).every((m) => m.additive);
}

class StaticMigrationSource implements Knex.MigrationSource<NamedMigration> {
  async getMigrations(): Promise<NamedMigration[]> {
    return [...MIGRATIONS];
  }
  getMigrationName(m: NamedMigration): string {
    return m.name;
  }
  async getMigration(m: NamedMigration): Promise<Knex.Migration> {
    return { up: m.up, down: m.down };
  }
}

const migrationConfig = (): Knex.MigratorConfig => ({
  migrationSource: new StaticMigrationSource(),
  tableName: 'knex_migrations',
});

export async function runMigrations(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
  return applied;
}

export async function rollbackAll(db: Knex): Promise<void> {
  await db.migrate.rollback(migrationConfig(), true);
}
