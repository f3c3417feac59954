/**
 * The attached modem as the control plane's GsmControl (/admin/gsm): status, dial, hang up, SMS,
 * USSD and the whitelisted AT console go straight to the modem transport; SMS the modem receives
 * are stored in the control plane's sms table, so the admin SMS list shows both directions.
 */
import type { GsmControl, GsmStatus } from '../../control/gsm/gsm-control.ts';
import type { SmsRepo } from '../../control/repositories/sms.ts';
import type { AttachedModem } from './attach-modem.ts';
import { AtError } from './at/errors.ts';
import { callHandlingOf } from '../modem-call-handling.ts';

export function modemGsmControl(m: AttachedModem): GsmControl {
  return {
    async status(): Promise<GsmStatus> {
      const s = m.status();
      const call = m.calls.inProgress;
      return {
        connected: s.ready,
        registered: s.registered,
        operator: s.operator,
        signal_dbm: s.signal_dbm,
        sim_ready: m.modem.status.sim === 'READY',
        calls: call ? [{ id: call.callId, direction: call.direction, number: call.number, state: call.state }] : [],
        details: { state: s.state, ports: s.ports, own_number: s.own_number, imei: s.imei, calls_logged: s.calls_logged, last_recovery_ms: s.last_recovery_ms, counters: s.counters },
      };
    },
    environmentCallHandling: () => callHandlingOf(m.policy),
    async dial(number) {
      return { call_id: await m.calls.dial(number) };
    },
    async hangUp(callId) {
      const call = m.calls.inProgress;
      // The SIM7600 carries one voice call at a time: an id that is not the current call ends nothing.
      if (!call || (callId !== undefined && callId !== call.callId)) return 0;
      await m.calls.hangup('hangup_requested');
      return 1;
    },
    async sendSms(to, text) {
      return { references: await m.sms.send(to, text) };
    },
    async ussd(code, timeoutMs) {
      return { response: await m.sms.ussd(code, timeoutMs) };
    },
    async at(command, timeoutMs) {
      try {
        const r = await m.modem.send(command, { timeoutMs });
        return { ok: true, lines: r.lines };
      } catch (err) {
        // ERROR / +CME ERROR is an answer the console shows; a timeout or a lost port is a failure.
        if (err instanceof AtError && err.name !== 'AtTimeoutError') return { ok: false, lines: [...err.lines, err.message] };
        throw err;
      }
    },
  };
}

/** Keep every SMS the modem receives in the control plane's sms table. */
export function storeIncomingSms(m: AttachedModem, sms: SmsRepo, onError: (err: unknown) => void): void {
  m.sms.on('sms', (msg) => {
    sms.add({ direction: 'in', phone_number: msg.from, body: msg.text, status: 'received' }).catch(onError);
  });
}
