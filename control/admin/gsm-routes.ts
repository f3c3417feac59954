/**
 * The GSM modem from the admin UI: status, dial, hang up, SMS (send and list), USSD, and an AT
 * console limited to read-only queries (gsm/gsm-control.ts AT_WHITELIST). 503 `modem_unavailable`
 * while no modem is attached to the control plane.
 */
import { z } from 'zod';
import { AT_WHITELIST, whitelistedAt, type GsmControl } from '../gsm/gsm-control.ts';
import { engineFailure } from '../../pipeline/engines/engine-error.ts';
import { HttpError } from '../http/errors.ts';
import { json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { PhoneNumber } from './schemas.ts';
import { CALL_HANDLING_KEY, CallHandling } from '../settings/call-handling.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;
const ADMIN = { kind: 'user', role: 'admin' } as const;

export function gsmRoutes(s: ControlServices): RouteDef[] {
  const modem = (): GsmControl => {
    const g = s.live.gsm;
    if (!g) throw new HttpError(503, 'modem_unavailable', 'no GSM modem is attached to this gateway');
    return g;
  };
  /**
   * A modem that fails or times out is the upstream's fault: 502, in our words and with an error
   * id; the modem's own answer (AT lines, device paths) goes to the log.
   */
  const modemFailed = (what: string, err: unknown) =>
    new HttpError(502, 'modem_error', engineFailure(s.log, 'gsm', `${what} failed: the modem did not do it`, { err }).message);
  const ask = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      throw modemFailed(what, err);
    }
  };
  return [
    route({
      method: 'GET',
      path: '/admin/gsm/status',
      summary: 'Modem status: link, registration, operator, signal, calls',
      tag: 'gsm',
      auth: READ,
      async handler() {
        const g = s.live.gsm;
        if (!g) return json({ attached: false, connected: false });
        return json({ attached: true, ...(await ask('status', () => g.status())) });
      },
    }),
    route({
      method: 'GET',
      path: '/admin/gsm/call-handling',
      summary:
        "Who the modem answers and when: the stored choice (setting modem.call_handling, changed with PUT/DELETE /admin/config/modem.call_handling), the environment's (MODEM_*; null without a modem) and the one incoming calls get now",
      tag: 'gsm',
      auth: READ,
      response: z.object({
        source: z.enum(['stored', 'environment']),
        stored_invalid: z.boolean(),
        stored: CallHandling.nullable(),
        environment: CallHandling.nullable(),
        effective: CallHandling.nullable(),
      }),
      async handler() {
        const raw = await s.repos.config.get<unknown>(CALL_HANDLING_KEY);
        // A stored value that no longer parses (a restored backup of another version) is ignored by
        // calls too (gateway/modem-call-handling.ts): shown as such, so the owner can replace or reset it.
        const parsed = raw === undefined || raw === null ? null : CallHandling.safeParse(raw);
        const stored = parsed?.success ? parsed.data : null;
        const environment = s.live.gsm?.environmentCallHandling?.() ?? null;
        return json({ source: stored ? 'stored' : 'environment', stored_invalid: parsed?.success === false, stored, environment, effective: stored ?? environment });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/dial',
      summary: 'Place an outgoing call',
      tag: 'gsm',
      auth: WRITE,
      audit: 'gsm.dial',
      body: z.strictObject({ number: PhoneNumber }),
      async handler(ctx) {
        const g = modem();
        ctx.audit.target = ctx.body.number;
        return json(await ask('dial', () => g.dial(ctx.body.number)), 202);
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/hangup',
      summary: 'Hang up one call (call_id) or all calls',
      tag: 'gsm',
      auth: WRITE,
      audit: 'gsm.hangup',
      body: z.strictObject({ call_id: z.string().min(1).max(64).optional() }),
      async handler(ctx) {
        const g = modem();
        ctx.audit.target = ctx.body.call_id ?? 'all';
        return json({ ended: await ask('hang up', () => g.hangUp(ctx.body.call_id)) });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/sms',
      summary: 'Send an SMS (stored in the SMS log, sent or failed)',
      tag: 'gsm',
      auth: WRITE,
      audit: 'gsm.sms_send',
      body: z.strictObject({ to: PhoneNumber, text: z.string().min(1).max(1600) }),
      async handler(ctx) {
        const g = modem();
        ctx.audit.target = ctx.body.to;
        let r: Awaited<ReturnType<typeof g.sendSms>>;
        try {
          r = await g.sendSms(ctx.body.to, ctx.body.text);
        } catch (err) {
          await s.repos.sms.add({ direction: 'out', phone_number: ctx.body.to, body: ctx.body.text, status: 'failed' });
          throw modemFailed('SMS', err);
        }
        // Sent is sent: a failure to log it is a server error (500), never "failed" for a message that went out.
        const id = await s.repos.sms.add({ direction: 'out', phone_number: ctx.body.to, body: ctx.body.text, status: 'sent' });
        return json({ id, status: 'sent', references: r.references }, 201);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/gsm/sms',
      summary: 'SMS log, newest first (filter by number and direction)',
      tag: 'gsm',
      auth: READ,
      query: z.object({
        phone: z.string().max(64).optional(),
        direction: z.enum(['in', 'out']).optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
        offset: z.coerce.number().int().min(0).default(0),
      }),
      async handler(ctx) {
        const { phone, direction, limit, offset } = ctx.query;
        return json(await s.repos.sms.list({ phone, direction }, { limit, offset }));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/ussd',
      summary: 'Run a USSD code (balance, number) and return the network answer',
      tag: 'gsm',
      auth: WRITE,
      audit: 'gsm.ussd',
      body: z.strictObject({ code: z.string().trim().regex(/^[*#0-9]{2,40}$/, 'a USSD code such as *100#'), timeout_ms: z.number().int().min(1000).max(60_000).default(20_000) }),
      async handler(ctx) {
        const g = modem();
        ctx.audit.target = ctx.body.code;
        return json(await ask('USSD', () => g.ussd(ctx.body.code, ctx.body.timeout_ms)));
      },
    }),
    route({
      method: 'POST',
      path: '/admin/gsm/at',
      summary: `AT console, read-only queries only: ${AT_WHITELIST.join(', ')}`,
      tag: 'gsm',
      auth: ADMIN,
      audit: 'gsm.at',
      body: z.strictObject({ command: z.string().min(2).max(32), timeout_ms: z.number().int().min(100).max(10_000).default(3000) }),
      async handler(ctx) {
        const command = whitelistedAt(ctx.body.command);
        ctx.audit.details = { command: ctx.body.command.slice(0, 32) };
        if (!command) throw new HttpError(403, 'at_command_not_allowed', 'only whitelisted read-only AT commands may be sent', { allowed: AT_WHITELIST });
        const g = modem();
        return json({ command, ...(await ask('AT command', () => g.at(command, ctx.body.timeout_ms))) });
      },
    }),
  ];
}
