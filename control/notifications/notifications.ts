/**
 * Telling the owner about new messages, put together: one sender per channel type (Telegram, SMS
 * through the attached modem, webhook under the egress policy), the outbox's delivery worker, and
 * the channels' "test" action, which sends through the same sender outside the outbox.
 */
import type { Logger } from 'pino';
import type { ControlConfig } from '../config.ts';
import type { Repositories } from '../repositories/index.ts';
import type { NotificationChannel } from '../repositories/notification-channels.ts';
import type { GsmControl } from '../gsm/gsm-control.ts';
import { DeliveryWorker } from './delivery-worker.ts';
import { testNotification } from './notification-content.ts';
import { DeliveryError, type NotificationSenders } from './notification-sender.ts';
import { smsSender } from './sms-sender.ts';
import type { TelegramBotsRepo } from '../repositories/telegram-bots.ts';
import { telegramSender, type ConfiguredBotToken } from './telegram-sender.ts';
import { webhookSender } from './webhook-sender.ts';

const SEND_TIMEOUT_MS = 15_000;

async function configuredBotToken(bots: TelegramBotsRepo, id: number): Promise<ConfiguredBotToken> {
  const bot = await bots.get(id);
  return bot ? { name: bot.name, token: await bots.tokenOf(id) } : null;
}

export type ChannelTestResult =
  | { ok: true; latency_ms: number; ref: string | null }
  | { ok: false; latency_ms: number; error: string; retryable: boolean };

export class Notifications {
  readonly senders: NotificationSenders;
  readonly worker: DeliveryWorker;

  constructor(
    private readonly repos: Pick<Repositories, 'messages' | 'notificationChannels' | 'notificationOutbox' | 'sms' | 'telegramBots'>,
    private readonly config: Pick<ControlConfig, 'egress' | 'notifications'>,
    /** The modem attached now, if any (it comes and goes: ControlServices.live.gsm). */
    gsm: () => GsmControl | null,
    log: Logger,
  ) {
    this.senders = {
      telegram: telegramSender({ apiRoot: config.notifications.telegramApiRoot, log, timeoutMs: SEND_TIMEOUT_MS, botToken: (id) => configuredBotToken(repos.telegramBots, id) }),
      sms: smsSender({ gsm, sms: repos.sms, log }),
      webhook: webhookSender({ egress: config.egress, log, timeoutMs: SEND_TIMEOUT_MS }),
    };
    this.worker = new DeliveryWorker({
      messages: repos.messages,
      channels: repos.notificationChannels,
      outbox: repos.notificationOutbox,
      senders: this.senders,
      retry: config.notifications.retry,
      uiBaseUrl: config.notifications.uiBaseUrl,
      log,
      sendTimeoutMs: SEND_TIMEOUT_MS,
    });
  }

  /** Send a test notification through `channel` now (not through the outbox), with what it took or why it failed. */
  async test(channel: NotificationChannel, signal: AbortSignal): Promise<ChannelTestResult> {
    const started = performance.now();
    const latency = () => Math.round(performance.now() - started);
    try {
      const secret = await this.repos.notificationChannels.secretOf(channel.id);
      const ref = await this.senders[channel.type].send(
        { channel, secret },
        testNotification(channel.name, this.config.notifications.uiBaseUrl),
        { idempotencyKey: `test.${channel.id}.${Date.now()}`, signal: AbortSignal.any([signal, AbortSignal.timeout(SEND_TIMEOUT_MS)]) },
      );
      return { ok: true, latency_ms: latency(), ref };
    } catch (err) {
      if (!(err instanceof DeliveryError)) throw err;
      return { ok: false, latency_ms: latency(), error: err.message, retryable: !err.permanent };
    }
  }
}
