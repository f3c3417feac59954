/**
 * Who the modem answers and when, as an admin setting (`modem.call_handling`): the same choices as
 * the MODEM_AUTO_ANSWER_RINGS / MODEM_ALLOW / MODEM_BLOCK / MODEM_HOURS environment variables, so
 * an owner can change them from the admin UI without a restart. `null` (the default) means "as the
 * environment says"; a stored value replaces the environment's choices as a whole (one place to
 * read what the line does, never a mix of the two). The gateway reads it for every incoming call
 * (gateway/modem-call-handling.ts).
 */
import { z } from 'zod';
import { PhoneNumber } from '../admin/schemas.ts';

export const CALL_HANDLING_KEY = 'modem.call_handling';

/**
 * At most this many numbers per list: the setting is stored and read whole for every call, and the
 * settings route takes at most 8 KB per value (two full lists of the longest numbers fit).
 */
export const MAX_LISTED_NUMBERS = 100;

const Clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as HH:MM, 00:00 to 23:59');

function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const TimeZone = z.string().max(64).refine(isTimeZone, 'an IANA time zone such as Europe/Moscow');

export const WorkingHoursSetting = z
  .strictObject({
    /** 0 = Sunday ... 6 = Saturday. */
    days: z
      .array(z.number().int().min(0).max(6))
      .min(1, 'at least one day')
      .max(7)
      .refine((d) => new Set(d).size === d.length, 'each day once'),
    /**
     * From `start` (inclusive) to `end` (exclusive); an `end` before `start` spans midnight
     * (22:00-06:00), and the hours after midnight belong to the previous day's shift.
     */
    start: Clock,
    end: Clock,
    /** null: the gateway's own time zone. */
    time_zone: TimeZone.nullable().default(null),
  })
  .refine((h) => h.start !== h.end, { message: 'start and end must differ (for all day, leave hours out)', path: ['end'] });

const NumberList = z
  .array(PhoneNumber)
  .max(MAX_LISTED_NUMBERS, `at most ${MAX_LISTED_NUMBERS} numbers`)
  .default([]);

export const CallHandling = z.strictObject({
  /** Answer after this many rings. */
  auto_answer_rings: z.number().int().min(1).max(20).default(1),
  /** When not empty, only these numbers are answered (and calls without caller id are refused, whatever `anonymous` says). */
  allow: NumberList,
  /** Never answered; wins over `allow`. */
  block: NumberList,
  /** null: every day, all day. */
  hours: WorkingHoursSetting.nullable().default(null),
  /** Calls that withhold their number. */
  anonymous: z.enum(['answer', 'reject']).default('answer'),
  /** A call we will not take: hang up at once, or let it ring out (the caller hears ringing, as if nobody were in). */
  refuse_with: z.enum(['hangup', 'ignore']).default('hangup'),
});
export type CallHandling = z.output<typeof CallHandling>;
export type WorkingHoursSetting = z.output<typeof WorkingHoursSetting>;
