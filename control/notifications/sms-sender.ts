/**
 * SMS through the gateway's modem (the GsmControl the gateway attaches; ControlServices.live.gsm),
 * to the channel's number. Without a modem attached, or when the modem fails, the delivery is
 * tried again later: a modem that is re-initialising or has no network now may have it in a
 * minute. A sent SMS is stored in the SMS log like one sent from /admin/gsm/sms.
 */
import { engineFailure, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import type { GsmControl } from '../gsm/gsm-control.ts';
import type { SmsRepo } from '../repositories/sms.ts';
import { DeliveryError, type NotificationSender } from './notification-sender.ts';

export interface SmsSenderOptions {
  /** The modem attached now, if any. */
  gsm: () => GsmControl | null;
  sms: SmsRepo;
  log: EngineLog;
}

export function smsSender(opts: SmsSenderOptions): NotificationSender {
  return {
    async send({ channel }, content) {
      const gsm = opts.gsm();
      if (!gsm) throw new DeliveryError('no modem is attached', false);
      let references: number[];
      try {
        ({ references } = await gsm.sendSms(channel.target, content.sms));
      } catch (err) {
        throw new DeliveryError(engineFailure(opts.log, 'sms', 'the modem could not send the SMS', { channel_id: channel.id, err }).message, false);
      }
      // Sent is sent: a log row that cannot be written does not make it a failure (which would send it again).
      await opts.sms.add({ direction: 'out', phone_number: channel.target, body: content.sms, status: 'sent' }).catch((err: Error) => opts.log.warn({ err, channel_id: channel.id }, 'sms: storing a sent notification in the SMS log failed'));
      return `sms:${references.join(',')}`;
    },
  };
}
