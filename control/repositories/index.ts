/** Every repository over one connection (or one transaction: pass the trx to get the same set bound to it). */
import type { FieldCipher } from '../crypto/field-cipher.ts';
import type { Queryable } from '../db/rows.ts';
import { ApiKeysRepo } from './api-keys.ts';
import { AuditLogRepo } from './audit-log.ts';
import { CallsRepo } from './calls.ts';
import { ChatRepo } from './chat.ts';
import { ConsentsRepo } from './consents.ts';
import { FaqRepo } from './faq.ts';
import { LlmProvidersRepo } from './llm-providers.ts';
import { LoginThrottlesRepo } from './login-throttles.ts';
import { MessagesRepo } from './messages.ts';
import { NotificationChannelsRepo } from './notification-channels.ts';
import { NotificationOutboxRepo } from './notification-outbox.ts';
import { ModemPersonasRepo } from './modem-personas.ts';
import { PersonasRepo } from './personas.ts';
import { RefreshTokensRepo } from './refresh-tokens.ts';
import { SmsRepo } from './sms.ts';
import { SystemConfigRepo } from './system-config.ts';
import { TelegramBotsRepo } from './telegram-bots.ts';
import { TtsPresetsRepo } from './tts-presets.ts';
import { UsageLimitsRepo, UsageLogRepo } from './usage.ts';
import { UsersRepo } from './users.ts';
import { WidgetsRepo } from './widgets.ts';

export function createRepositories(db: Queryable, cipher: FieldCipher) {
  return {
    users: new UsersRepo(db),
    refreshTokens: new RefreshTokensRepo(db),
    loginThrottles: new LoginThrottlesRepo(db),
    personas: new PersonasRepo(db),
    modemPersonas: new ModemPersonasRepo(db),
    llmProviders: new LlmProvidersRepo(db, cipher),
    ttsPresets: new TtsPresetsRepo(db),
    config: new SystemConfigRepo(db),
    faq: new FaqRepo(db),
    chat: new ChatRepo(db),
    calls: new CallsRepo(db),
    sms: new SmsRepo(db),
    audit: new AuditLogRepo(db),
    usageLog: new UsageLogRepo(db),
    usageLimits: new UsageLimitsRepo(db),
    consents: new ConsentsRepo(db),
    apiKeys: new ApiKeysRepo(db),
    messages: new MessagesRepo(db),
    notificationChannels: new NotificationChannelsRepo(db, cipher),
    notificationOutbox: new NotificationOutboxRepo(db),
    telegramBots: new TelegramBotsRepo(db, cipher),
    widgets: new WidgetsRepo(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
