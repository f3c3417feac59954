/**
 * The control plane's two entry points for the gateway:
 *   const cp = await createControlPlane({ dataDir, databaseUrl, log });   // DB, migrations, services
 *   const { http, webSockets } = controlPlaneHttp(cp);                    // /admin/* and /v1/* as ports
 *   ... await cp.close() on shutdown (flushes usage, closes the pool).
 * The gateway serves those ports on its uWS app (gateway/http/attach-control-plane.ts); nothing here
 * knows the server library.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { ApiKeyAuthenticator } from './auth/api-key-auth.ts';
import { OperatorVoiceTokens } from './auth/operator-voice-tokens.ts';
import { AuthService } from './auth/auth-service.ts';
import { DeviceTokens } from './auth/device-token.ts';
import { DEFAULT_PARAMS, OWASP_MIN_PARAMS } from './auth/password.ts';
import { createAuthenticator } from './auth/principal.ts';
import { SetupGate } from './auth/setup-token.ts';
import { loadControlConfig } from './config.ts';
import { FieldCipher } from './crypto/field-cipher.ts';
import { resolveMasterSecret } from './crypto/secret-key.ts';
import { dbClient, openDatabase } from './db/connection.ts';
import { dbErrorText } from './db/rows.ts';
import { CorsPolicy } from './http/cors.ts';
import { RateLimiter } from './http/rate-limiter.ts';
import { UpgradeGuard } from './http/upgrade-guard.ts';
import type { HttpService } from './http/http-port.ts';
import type { RouteTable } from './http/route-table.ts';
import { createRouter } from './http/router.ts';
import type { WebSocketService } from './http/websocket-port.ts';
import { createRepositories } from './repositories/index.ts';
import { LlmProvidersRepo } from './repositories/llm-providers.ts';
import { buildRouteTable } from './routes.ts';
import { PocketsphinxStt } from '../pipeline/engines/stt-pocketsphinx.ts';
import type { SttEngine } from '../pipeline/engines/types.ts';
import type { GsmControl } from './gsm/gsm-control.ts';
import { processMetricsSource, type MetricsSource } from './monitor/metrics-source.ts';
import { ModelCatalog } from '../pipeline/engines/model-catalog.ts';
import type { EngineControl } from './engines/engine-control.ts';
import { ModelJobs } from './models/model-jobs.ts';
import type { ControlServices, LiveHooks } from './services.ts';
import { SttService } from './stt/stt-service.ts';
import { BackupService, type RestoreSafeguards } from './backup/backup-service.ts';
import { ErasureLedger } from './legal/erasure-ledger.ts';
import { RecordingStore } from './recordings/recording-store.ts';
import { espeakCatalog, type TtsCatalog } from './tts/tts-catalog.ts';
import { ttsWebSocket, type WsErrorLimits } from './tts/tts-websocket.ts';
import { warnRefusedProviders } from './llm/refused-providers.ts';
import { TtsService } from './tts/tts-service.ts';
import { UsageMeter } from './usage/usage-meter.ts';
import { BulkWorkPool } from './bulk-work-pool.ts';
import { CallJournal, callJournalHandlers } from './calls/call-journal.ts';
import { GatewayNode, gatewayNodeHandlers } from './cluster/gateway-node.ts';
import { DataDirSpace } from './health/data-dir-space.ts';
import { databaseApplier } from './journal/database-applier.ts';
import { Journal } from './journal/journal.ts';
import { MessageInbox, messageJournalHandlers } from './messages/message-inbox.ts';
import { Notifications } from './notifications/notifications.ts';
import { BuiltinConversationSource, type BuiltinSourceOptions } from '../pipeline/conversation/builtin-source.ts';
import type { MessageStore } from '../pipeline/dialogue/message-store.ts';
import { LocalChangeBus, PostgresChangeBus } from './conversation/change-bus.ts';
import { DatabaseConversationSource } from './conversation/conversation-source.ts';
import { TextChat } from './conversation/text-chat.ts';
import { BotConversation } from './telegram/bot-conversation.ts';
import { TelegramBotManager } from './telegram/bot-manager.ts';
import { PostgresBotOwnership, soleGateway } from './telegram/bot-ownership.ts';
import { VisitorTokens } from './widget/visitor-token.ts';
import { WidgetVisitors } from './widget/widget-visitors.ts';

export interface ControlPlaneOptions {
  dataDir: string;
  /** Overrides DATABASE_URL from env. */
  databaseUrl?: string;
  log: Logger;
  /** Environment to read settings from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Postgres schema (tests isolate themselves with one each). */
  pgSchema?: string;
  /**
   * What conversations fall back to while nothing is configured in the database: the shipped
   * persona's language (PERSONA_LANGUAGE) and the environment's LLM (LLM_BASE_URL), which the
   * gateway reads; default English, no LLM.
   */
  builtinConversation?: BuiltinSourceOptions;
  /** Calls: how long an LLM provider may take to a first token before the secretary answers the turn (LLM_FIRST_TOKEN_MS; default 8000). */
  voiceFirstTokenMs?: number;
  /** The voice WebSocket's path (the gateway's VOICE_WS_PATH; default /ws/voice), told to softphones with their token. */
  voicePath?: string;
  /** Where the text channels hand taken messages (default: the owner's inbox; calls hand theirs to the call log, which adds them there). */
  messages?: MessageStore;
  /** TTS engines for /admin/tts and /v1/audio/speech (default: espeak-ng, built here). */
  tts?: TtsCatalog;
  /** STT engine for transcription uploads (default: pocketsphinx, started on first use). Not closed by cp.close(). */
  stt?: SttEngine;
  /** Live figures for /admin/monitor (default: this process's). See promRegistrySource. */
  metrics?: MetricsSource;
  /** The GSM modem for /admin/gsm (default none: 503 modem_unavailable). Also settable later with setGsm. */
  gsm?: GsmControl;
  /**
   * Where call recordings live (default DATA_DIR/recordings). The gateway passes MODEM_RECORD_DIR
   * when it is set, so the files the modem writes are the ones downloads, backups and erasure see.
   */
  recordingsDir?: string;
  /**
   * The speech models /admin/models offers and fetches (default: models/manifest.json into
   * `modelsDir`). Tests pass a catalog of their own manifest; nothing a client sends can.
   */
  models?: ModelCatalog;
  /** Where models are installed (the gateway's MODELS_DIR); default $MODELS_DIR, else data/models. */
  modelsDir?: string;
  /** The admin UI build the gateway serves, for /admin/about (default: none). */
  uiDistDir?: string;
  /**
   * Log the one-time setup token now, while no user exists (default true). The gateway passes false
   * and calls `announceSetupToken()` once it listens, so a start that then fails prints no token.
   */
  announceSetupToken?: boolean;
}

export interface ControlPlane extends ControlServices {
  readonly routes: RouteTable;
  readonly rateLimiter: RateLimiter;
  /** The write-ahead journal in front of the database (DATA_DIR/journal). */
  readonly journal: Journal;
  /** The call log's writes, through the journal. */
  readonly callJournal: CallJournal;
  /** This process among the gateways on this database: heartbeat (the write probe), crash and lost-node recovery. */
  readonly node: GatewayNode;
  /** Free space in DATA_DIR. */
  readonly dataDirSpace: DataDirSpace;
  /** Attach (or, with null, detach) the modem once it is up. */
  setGsm(gsm: GsmControl | null): void;
  /** Use the gateway's metrics for /admin/monitor. */
  setMetricsSource(source: MetricsSource): void;
  /** Attach (or, with null, detach) the gateway's live speech engines for /admin/engines. */
  setEngines(engines: EngineControl | null): void;
  /** Log the setup token (once), if no admin exists yet; see ControlPlaneOptions.announceSetupToken. */
  announceSetupToken(): void;
  close(): Promise<void>;
}

export async function createControlPlane(opts: ControlPlaneOptions): Promise<ControlPlane> {
  const { log, dataDir } = opts;
  const config = loadControlConfig(opts.env ?? process.env);
  const secret = resolveMasterSecret(config.secretKey, dataDir);
  if (secret.source === 'generated') log.info({ file: secret.file }, 'generated the control-plane secret key (set SECRET_KEY to choose one; back this file up)');
  if ('warning' in secret && secret.warning) log.warn(secret.warning);
  if (config.passwordHashLn < OWASP_MIN_PARAMS.ln) {
    log.warn({ PASSWORD_HASH_LN: config.passwordHashLn }, `PASSWORD_HASH_LN is below OWASP's minimum (${OWASP_MIN_PARAMS.ln}): new password hashes are cheap to crack; use it only in tests`);
  }
  const databaseUrl = opts.databaseUrl ?? config.databaseUrl;
  const db = await openDatabase({ dataDir, databaseUrl, pgSchema: opts.pgSchema, log });
  const cipher = new FieldCipher(secret.derive('llm-api-keys'));
  const repos = createRepositories(db, cipher);
  // Migration 0004 moved proxy passwords to an encrypted column; rows from before it get there now.
  const sealed = await repos.llmProviders.sealPlaintextProxyPasswords();
  if (sealed) log.info({ providers: sealed }, 'encrypted LLM proxy passwords that were stored in plaintext');
  await bindProviderSecrets(repos.llmProviders, log);
  void warnRefusedProviders(repos.llmProviders, config.egress, log).catch((err: unknown) => log.warn({ err }, 'could not check the LLM providers against the egress policy'));
  const auth = new AuthService(db, repos, cipher, secret.derive('jwt-hs256'), new DeviceTokens(secret.derive('login-device-tokens')), {
    accessTokenTtlS: config.accessTokenTtlS,
    refreshTokenTtlS: config.refreshTokenTtlS,
    loginThrottle: config.loginThrottle,
    hashParams: { ...DEFAULT_PARAMS, ln: config.passwordHashLn },
  });
  const apiKeys = new ApiKeyAuthenticator(repos.apiKeys);
  const usage = new UsageMeter(repos.usageLog, repos.usageLimits, log);
  await usage.start();
  const conversationLog = log.child({ component: 'conversation' });
  const conversations = await DatabaseConversationSource.open({
    repos,
    bus: dbClient(db) === 'postgres' ? new PostgresChangeBus(db, conversationLog) : new LocalChangeBus(),
    builtin: new BuiltinConversationSource(opts.builtinConversation ?? { log: conversationLog }),
    egress: config.egress,
    log: conversationLog,
    voiceFirstTokenMs: opts.voiceFirstTokenMs,
  });
  // The owner's inbox writes through the journal, which opens last (below); chats save messages
  // only once requests are served, by when it is there.
  let inbox: MessageInbox | null = null;
  const messages: MessageStore = opts.messages ?? {
    save(m) {
      if (!inbox) throw new Error('the inbox is not open yet');
      return inbox.save(m);
    },
  };
  const chat = new TextChat(repos.chat, conversations, messages);
  const widgets = new WidgetVisitors(repos.widgets, repos.chat, chat, new VisitorTokens(secret.derive('widget-visitor-tokens')), log.child({ component: 'widget' }), {
    voiceCallsPerInstance: config.widget.voiceCallsPerInstance,
  });

  const setup = new SetupGate();
  if ((await repos.users.count()) === 0) setup.arm();
  let setupAnnounced = false;
  const announceSetupToken = () => {
    const token = setup.token;
    if (setupAnnounced || token === null) return;
    setupAnnounced = true;
    // Printed once, deliberately in the message (the logger redacts `token` fields): it is the
    // only way in over HTTP until an admin exists, and it dies with this process.
    log.warn(
      `No admin user exists. Create one with \`npm run admin -- create <username>\`, ` +
        `or POST /admin/setup with {"token": "${token}", "username": ..., "password": ...}. The token works once, until restart.`,
    );
  };

  const ttsLog = log.child({ component: 'tts' });
  const tts = new TtsService(opts.tts ?? espeakCatalog({ log: ttsLog }), repos.ttsPresets, config.ttsCacheMaxBytes, ttsLog);
  const ownStt = opts.stt === undefined;
  // One thread for bulk jobs (upload decoding, backup archives), whichever asks: see bulk-work-pool.ts.
  const bulk = new BulkWorkPool();
  const sttLog = log.child({ component: 'stt' });
  const stt = new SttService({ engine: opts.stt, factory: () => new PocketsphinxStt({ log: sttLog }), bulk, log: sttLog });
  const ownMetrics = processMetricsSource();
  const live: LiveHooks = { gsm: opts.gsm ?? null, metrics: opts.metrics ?? ownMetrics, metricsLabel: opts.metrics ? 'gateway' : 'process', engines: null };
  const models = new ModelJobs(opts.models ?? new ModelCatalog({ dir: opts.modelsDir, env: opts.env }), log.child({ component: 'models' }));

  const recordings = new RecordingStore(repos.calls, dataDir, opts.recordingsDir);
  const erasures = new ErasureLedger(db, cipher, secret.derive('erasure-ledger-hmac'));
  const restoreSafeguards: RestoreSafeguards = {
    reapplyErasures: (trx) => erasures.reapply(trx),
    dropUnboundSecrets: (trx) => new LlmProvidersRepo(trx, cipher).dropLegacySecrets(),
  };
  const backups = new BackupService(db, dataDir, recordings, async () => {
    await repos.llmProviders.sealPlaintextProxyPasswords(); // a backup from before migration 0004
    // Deliveries the backup had not finished were most likely made since: not again, unless retried by hand.
    const abandoned = await repos.notificationOutbox.abandonUnfinished('restored from a backup: not sent again, since it may have been sent after the backup was made; retry it if it was not');
    if (abandoned) log.warn({ deliveries: abandoned }, 'notifications: unfinished deliveries from the restored backup were not sent again (see /admin/notifications/deliveries?status=failed)');
    await bindProviderSecrets(repos.llmProviders, log); // reports keys bound to other URLs than the restored rows'
    await conversations.changed();
    apiKeys.invalidate();
    await usage.reloadLimits();
    await telegram.reload(); // the restored bots, as their rows now say
  }, restoreSafeguards, bulk);
  const notifications = new Notifications(repos, config, () => live.gsm, log.child({ component: 'notifications' }));
  const telegramLog = log.child({ component: 'telegram' });
  // Bots start when the gateway listens (startAutoStart), not here: a start that fails later runs none.
  const telegram = new TelegramBotManager({
    repo: repos.telegramBots,
    conversation: new BotConversation({
      chats: repos.chat,
      textChat: chat,
      conversations,
      stt,
      tts,
      usage,
      log: telegramLog,
      apiRoot: config.notifications.telegramApiRoot,
      replyIntervalMs: config.telegram.replyIntervalMs,
      userMessagesPerMin: config.telegram.userMessagesPerMin,
    }),
    apiRoot: config.notifications.telegramApiRoot,
    publicBaseUrl: config.publicBaseUrl,
    log: telegramLog,
    backoff: config.telegram.backoff,
    pollTimeoutS: config.telegram.pollTimeoutS,
    graceMs: config.telegram.stopGraceMs,
    ownership: dbClient(db) === 'postgres' ? new PostgresBotOwnership(db, telegramLog) : soleGateway,
    standbyMs: config.telegram.standbyCheckMs,
  });
  // A bot changed through another gateway (or a reload after the change bus reconnected).
  conversations.onChange(() => void telegram.sync().catch((err: unknown) => telegramLog.warn({ err: dbErrorText(err) }, 'telegram bots: checking the bots against their rows failed; the next change checks again')));

  // Last, so nothing after it can fail with the journal open: it holds DATA_DIR/journal for this process.
  const journal = await Journal.open({
    dir: path.join(dataDir, 'journal'),
    applier: databaseApplier(
      db,
      new Map([...callJournalHandlers(), ...gatewayNodeHandlers(log.child({ component: 'recovery' })), ...messageJournalHandlers(cipher, () => notifications.worker.wake())]),
    ),
    log: log.child({ component: 'journal' }),
  }).catch(async (err: unknown) => {
    await conversations.close(); // its listening connection would otherwise keep the process alive
    throw err;
  });
  let node: GatewayNode;
  try {
    node = await GatewayNode.start({ db, journal, dataDir, log: log.child({ component: 'node' }), lostAfterMs: config.nodeLostAfterMs });
  } catch (err) {
    await journal.close(0);
    await conversations.close();
    throw err;
  }
  // What an earlier life left unapplied, and the recovery of its calls, before any new call starts.
  if (!(await journal.flush(10_000))) log.warn({ pending: journal.stats().pending }, 'journal replay not finished within 10 s; it goes on in the background');
  const callJournal = new CallJournal(journal, recordings, node.id, log.child({ component: 'call-log' }));
  inbox = new MessageInbox(journal, log.child({ component: 'inbox' }));
  // Named by the node (the data directory), not the life: what an earlier life left claimed is due again now.
  await notifications.worker.start(node.name);

  const services: ControlServices = { dataDir, db, repos, cipher, config, log, auth, apiKeys, usage, conversations, messages, setup, chat, tts, stt, backups, erasures, recordings, notifications, telegram, widgets, live, voiceTokens: new OperatorVoiceTokens(), voicePath: opts.voicePath ?? '/ws/voice', models, uiDistDir: opts.uiDistDir ?? null };
  const routes = buildRouteTable(services);
  const rateLimiter = new RateLimiter(config.rateLimits);
  const dataDirSpace = new DataDirSpace(dataDir, config.diskMinFreeBytes, log.child({ component: 'disk' }));
  dataDirSpace.start(30_000);

  let closing: Promise<void> | null = null;
  log.info({ database: databaseUrl ? 'postgres' : 'sqlite', routes: routes.routes.length, node: node.id }, 'control plane ready');
  if (opts.announceSetupToken !== false) announceSetupToken();
  return {
    ...services,
    routes,
    rateLimiter,
    journal,
    callJournal,
    node,
    dataDirSpace,
    setGsm(gsm) {
      live.gsm = gsm;
    },
    setMetricsSource(source) {
      live.metrics = source;
      live.metricsLabel = 'gateway';
    },
    setEngines(engines) {
      live.engines = engines;
    },
    announceSetupToken,
    close: () =>
      (closing ??= (async () => {
        dataDirSpace.stop();
        await models.close(); // downloads stop; their .part files stay for the next fetch to resume
        await telegram.close(); // first: the messages it is answering may still take a message for the inbox
        await notifications.worker.stop();
        await node.stop();
        // Entries the database cannot take within this stay in the journal for the next start.
        await journal.close(5000);
        rateLimiter.close();
        widgets.close();
        await conversations.close();
        ownMetrics.close();
        await tts.close();
        if (ownStt) await stt.close();
        await usage.close();
        await apiKeys.close();
        await backups.close();
        await bulk.close();
        await db.destroy();
      })()),
  };
}

/** The control plane's HTTP surface: its routes and its WebSocket endpoints, for a server to serve. */
export interface ControlPlaneHttp {
  http: HttpService;
  webSockets: WebSocketService<unknown>[];
}

/**
 * LLM secrets encrypted before they were bound to their destination are bound to their row's URL
 * now (repositories/secret-binding.ts); secrets that cannot be used with their row's URL are
 * named once, here, and shown as `missing` in the API until an admin enters them again.
 */
async function bindProviderSecrets(providers: LlmProvidersRepo, log: Logger): Promise<void> {
  const { bound, unusable } = await providers.bindLegacySecrets();
  if (bound) log.info({ secrets: bound }, 'bound stored LLM API keys and proxy passwords to the server they were given for');
  if (unusable.length) {
    log.warn(
      { secrets: unusable },
      'stored LLM secrets that cannot be used with their provider\'s current URL (stored for another server or proxy, or under another secret key) are not sent; enter them again',
    );
  }
}

/**
 * The routes (`/admin/*`, `/v1/*`) and `WS /admin/tts/ws/stream` as ports. `upgradeGuard`: the
 * server's budget of failed WebSocket upgrades per IP, shared with its other sockets (the gateway
 * passes its own; default: one of this control plane's, at the default limit). `wsErrors`: the
 * voice socket's bad-message limits, which the TTS socket keeps too (default: their defaults).
 */
export function controlPlaneHttp(cp: ControlPlane, opts: { upgradeGuard?: UpgradeGuard; wsErrors?: WsErrorLimits } = {}): ControlPlaneHttp {
  const authenticate = createAuthenticator(cp.auth, cp.apiKeys, (token) => cp.widgets.tokens.verify(token));
  return {
    webSockets: [ttsWebSocket(cp, (authorization) => authenticate({ kind: 'user', role: 'operator' }, authorization), opts.upgradeGuard ?? new UpgradeGuard(), opts.wsErrors)],
    http: createRouter(cp.routes, {
      log: cp.log,
      cors: new CorsPolicy(cp.config.corsOrigins),
      rateLimiter: cp.rateLimiter,
      trustProxy: cp.config.trustProxy,
      maxBodyBytes: cp.config.maxBodyBytes,
      authenticate,
      writeAudit: (e) => cp.repos.audit.write(e),
      usage: cp.usage,
    }),
  };
}
