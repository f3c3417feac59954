/**
 * The modem transport in the gateway process, configured from the environment. Without
 * MODEM_AT_PORT (and no modem found under /dev/serial/by-id when MODEM_DISCOVER=1) there is no
 * modem and this returns null: the gateway runs WebSocket-only.
 *
 *   MODEM_AT_PORT, MODEM_AUDIO_PORT   explicit device paths (e.g. /dev/ttyUSB2, /dev/ttyUSB4)
 *   MODEM_DISCOVER=1                  find the SIM7600 by USB id instead (9001 / 9011 layouts)
 *   MODEM_AUTO_ANSWER_RINGS           answer after this many rings (default 1)
 *   MODEM_ALLOW, MODEM_BLOCK          comma-separated numbers
 *   MODEM_HOURS                       working hours "HH:MM-HH:MM" (Monday-Friday), outside them calls are refused
 *   MODEM_PERSONAS                    per-number persona: "+79161234567=ru,+4930123=en" (ids or languages)
 *   MODEM_WIDEBAND=1                  16 kHz line audio (AT+CPCMFRM=1)
 *   MODEM_RECORD_DIR                  record both directions of answered calls as WAV files there (the gateway
 *                                     registers them; the control plane serves and backs up this directory);
 *                                     with `shouldRecord`, only the calls it allows
 *   MODEM_EXTRA_INIT                  extra init commands separated by ';' (echo canceller: AT+CECM=..., AT+CECWB=...)
 *   MODEM_SMS_MODE                    pdu (default) or text
 */
import { z } from 'zod';
import type { PipelineFactory } from '../../pipeline/call-pipeline.ts';
import type { HealthRegistry } from '../observability/health.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { CallRecordingError, ModemCallManager, type CallManagerOptions } from './call-manager.ts';
import type { CallPolicy } from './call-policy.ts';
import { Modem } from './modem.ts';
import { SmsService } from './sms-service.ts';

const list = z
  .string()
  .optional()
  // An empty list is no list: MODEM_ALLOW="," must not refuse everyone.
  .transform((s) => {
    const items = (s ?? '').split(',').map((x) => x.trim()).filter(Boolean);
    return items.length > 0 ? items : undefined;
  });

const ModemEnv = z.object({
  MODEM_AT_PORT: z.string().min(1).optional(),
  MODEM_AUDIO_PORT: z.string().min(1).optional(),
  MODEM_DISCOVER: z.enum(['0', '1']).default('0'),
  MODEM_AUTO_ANSWER_RINGS: z.coerce.number().int().min(1).max(20).default(1),
  MODEM_ALLOW: list,
  MODEM_BLOCK: list,
  MODEM_HOURS: z
    .string()
    .regex(/^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/, 'MODEM_HOURS must look like 09:00-18:00 (00:00 to 23:59)')
    .optional(),
  MODEM_PERSONAS: z
    .string()
    .optional()
    .transform((s) => (s ? Object.fromEntries(s.split(',').map((pair) => pair.split('=').map((x) => x.trim()))) : undefined))
    .refine((m) => !m || Object.entries(m).every(([k, v]) => k && v), 'MODEM_PERSONAS must look like +79161234567=ru,+4930123=en'),
  MODEM_WIDEBAND: z.enum(['0', '1']).default('0'),
  MODEM_RECORD_DIR: z.string().min(1).optional(),
  MODEM_SMS_MODE: z.enum(['pdu', 'text']).default('pdu'),
  MODEM_EXTRA_INIT: z
    .string()
    .optional()
    .transform((s) => (s ? s.split(';').map((x) => x.trim()).filter(Boolean) : []))
    .refine((cmds) => cmds.every((c) => /^AT\+[A-Z0-9]+(=[-0-9,"A-Za-z]*)?$/.test(c)), 'MODEM_EXTRA_INIT must be AT+ commands separated by ";"'),
});

export interface AttachedModem {
  modem: Modem;
  calls: ModemCallManager;
  /** SMS send/receive and USSD; the auto-reply hook is off (incoming SMS are logged and emitted). */
  sms: SmsService;
  /** Who is answered and when, as the MODEM_* environment variables say (the admin's setting may replace it per call). */
  policy: CallPolicy;
  /** A snapshot for the control plane (the same facts /health shows, plus counters). */
  status(): ModemTransportStatus;
  close(): Promise<void>;
}

export interface ModemTransportStatus {
  state: string;
  ready: boolean;
  ports: { at: string; audio: string } | null;
  signal_dbm: number | null;
  registered: boolean;
  operator: string | null;
  own_number: string | null;
  imei: string | null;
  active_call: string | null;
  calls_logged: number;
  counters: Modem['counters'];
  last_recovery_ms: number | null;
}

export interface AttachModemDeps {
  pipelineFactory: PipelineFactory;
  log: { info(o: object, m: string): void; warn(o: object, m: string): void; error(o: object, m: string): void };
  health?: HealthRegistry;
  /** When given: modem calls in voice_active_calls{channel="modem"}, frames in/out, per-turn latencies. */
  metrics?: GatewayMetrics;
  env?: NodeJS.ProcessEnv;
  /** With MODEM_RECORD_DIR: which calls may be recorded (the gateway asks the control plane); default all. */
  shouldRecord?: CallManagerOptions['shouldRecord'];
  /** The admin's stored call policy, asked for every incoming call (null: the environment's). */
  livePolicy?: CallManagerOptions['livePolicy'];
}

export function startModem(deps: AttachModemDeps): AttachedModem | null {
  const parsed = ModemEnv.safeParse(deps.env ?? process.env);
  if (!parsed.success) throw new Error(`invalid modem configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  if (!e.MODEM_AT_PORT && e.MODEM_DISCOVER !== '1') return null;
  if (e.MODEM_AT_PORT && !e.MODEM_AUDIO_PORT) throw new Error('MODEM_AT_PORT needs MODEM_AUDIO_PORT too');
  const policy: CallPolicy = {
    autoAnswerAfterRings: e.MODEM_AUTO_ANSWER_RINGS,
    allow: e.MODEM_ALLOW,
    block: e.MODEM_BLOCK,
    personaByNumber: e.MODEM_PERSONAS as Record<string, string> | undefined,
    workingHours: e.MODEM_HOURS ? { start: e.MODEM_HOURS.slice(0, 5), end: e.MODEM_HOURS.slice(6) } : undefined,
  };
  const log = (msg: string, fields: Record<string, unknown> = {}) => deps.log.info({ component: 'modem', ...fields }, msg);
  const modem = new Modem({ atPath: e.MODEM_AT_PORT, audioPath: e.MODEM_AUDIO_PORT, extraInit: e.MODEM_EXTRA_INIT, smsMode: e.MODEM_SMS_MODE, log });
  const calls = new ModemCallManager(modem, {
    pipelineFactory: deps.pipelineFactory,
    policy,
    log,
    wideband: e.MODEM_WIDEBAND === '1',
    recordDir: e.MODEM_RECORD_DIR,
    shouldRecord: deps.shouldRecord,
    livePolicy: deps.livePolicy,
  });
  const metrics = deps.metrics;
  if (metrics) {
    calls.on('call', (call) => {
      metrics.activeCalls.inc({ channel: 'modem' });
      call.on('pipeline', (ev) => {
        if (ev.type === 'turn_metrics') metrics.observeTurn(ev.metrics);
      });
      call.once('ended', () => {
        metrics.activeCalls.dec({ channel: 'modem' });
        metrics.framesIn.inc({ channel: 'modem' }, Math.round(call.stats.framesIn));
        metrics.framesOut.inc({ channel: 'modem' }, call.stats.framesOut);
      });
    });
  }
  calls.on('error', (err) => {
    if (err instanceof CallRecordingError) deps.log.error({ component: 'modem', callId: err.callId, err }, 'call recording failed');
    else deps.log.warn({ component: 'modem', err }, 'modem call handling failed');
  });
  modem.on('error', (err) => deps.log.warn({ component: 'modem', err }, 'modem error'));
  deps.health?.register('modem', () => {
    const s = modem.status;
    return {
      status: modem.ready ? 'ok' : 'degraded',
      state: modem.state,
      signal_dbm: s.signalDbm,
      registered: s.registered,
      operator: s.operator,
      active_call: calls.active?.info.callId ?? null,
    };
  });
  const sms = new SmsService(modem);
  sms.on('sms', (m) => deps.log.info({ component: 'modem', from: m.from, parts: m.indexes.length }, 'SMS received'));
  sms.on('error', (err) => deps.log.warn({ component: 'modem', err }, 'SMS handling failed'));
  modem.start();
  return {
    modem,
    calls,
    sms,
    policy,
    status: () => {
      const st = modem.status;
      const ports = modem.ports;
      return {
        state: modem.state,
        ready: modem.ready,
        ports: ports ? { at: ports.at, audio: ports.audio } : null,
        signal_dbm: st.signalDbm,
        registered: st.registered,
        operator: st.operator,
        own_number: st.ownNumber,
        imei: st.imei,
        active_call: calls.active?.info.callId ?? null,
        calls_logged: calls.records.length,
        counters: { ...modem.counters },
        last_recovery_ms: modem.lastRecoveryMs,
      };
    },
    async close() {
      await calls.close('shutdown');
      await modem.stop();
    },
  };
}
