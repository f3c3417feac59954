/** Everything a route handler may use, built once by createControlPlane. */
import type { Knex } from 'knex';
import type { Logger } from 'pino';
import type { ApiKeyAuthenticator } from './auth/api-key-auth.ts';
import type { OperatorVoiceTokens } from './auth/operator-voice-tokens.ts';
import type { AuthService } from './auth/auth-service.ts';
import type { SetupGate } from './auth/setup-token.ts';
import type { ControlConfig } from './config.ts';
import type { FieldCipher } from './crypto/field-cipher.ts';
import type { MessageStore } from '../pipeline/dialogue/message-store.ts';
import type { DatabaseConversationSource } from './conversation/conversation-source.ts';
import type { EngineControl } from './engines/engine-control.ts';
import type { ModelJobs } from './models/model-jobs.ts';
import type { TextChat } from './conversation/text-chat.ts';
import type { Repositories } from './repositories/index.ts';
import type { BackupService } from './backup/backup-service.ts';
import type { GsmControl } from './gsm/gsm-control.ts';
import type { ErasureLedger } from './legal/erasure-ledger.ts';
import type { MetricsSource } from './monitor/metrics-source.ts';
import type { Notifications } from './notifications/notifications.ts';
import type { RecordingStore } from './recordings/recording-store.ts';
import type { SttService } from './stt/stt-service.ts';
import type { TelegramBotManager } from './telegram/bot-manager.ts';
import type { TtsService } from './tts/tts-service.ts';
import type { UsageMeter } from './usage/usage-meter.ts';
import type { WidgetVisitors } from './widget/widget-visitors.ts';

/** What the gateway may attach or replace after start (a modem that comes up later, its metrics). */
export interface LiveHooks {
  gsm: GsmControl | null;
  metrics: MetricsSource;
  /** `gateway` when the gateway's source is attached, `process` for the built-in one. */
  metricsLabel: string;
  /** The gateway's live STT/TTS engines (null: none, /admin/engines answers 503). */
  engines: EngineControl | null;
}

export interface ControlServices {
  dataDir: string;
  db: Knex;
  repos: Repositories;
  cipher: FieldCipher;
  config: ControlConfig;
  log: Logger;
  auth: AuthService;
  apiKeys: ApiKeyAuthenticator;
  usage: UsageMeter;
  /**
   * Persona, FAQ, LLM chain and dialogue settings of every conversation (calls and chats), from the
   * database, live. Every write path that changes them calls `conversations.changed()`.
   */
  conversations: DatabaseConversationSource;
  setup: SetupGate;
  /** The text channels (admin chat sessions, /v1) over the conversation core. */
  chat: TextChat;
  tts: TtsService;
  stt: SttService;
  backups: BackupService;
  /** GDPR erasures, kept apart from backups and applied again after every restore. */
  erasures: ErasureLedger;
  /** Call recording files (download, backup, GDPR erase) and their registration. */
  recordings: RecordingStore;
  /**
   * The owner's inbox: every channel hands taken messages and requests for a human here (through
   * the journal, so `save` resolves once the message cannot be lost; control/messages/message-inbox.ts).
   */
  messages: MessageStore;
  /** Notification channels' senders and the outbox's delivery worker. */
  notifications: Notifications;
  /** The Telegram bots' runners (control/telegram/). */
  telegram: TelegramBotManager;
  /** The website widget's visitors: origin checks, sessions, tokens, replies (control/widget). */
  widgets: WidgetVisitors;
  live: LiveHooks;
  /** Softphone tokens: one voice connection each, minted for signed-in operators (auth/operator-voice-tokens.ts). */
  voiceTokens: OperatorVoiceTokens;
  /** The voice WebSocket's path (VOICE_WS_PATH), for clients that are handed a token. */
  voicePath: string;
  /** The manifest's models, where they are installed, and their downloads (/admin/models). */
  models: ModelJobs;
  /** The admin UI's build served by the gateway (its .build.json for /admin/about); null when none. */
  uiDistDir: string | null;
}
