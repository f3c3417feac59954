/**
 * Who gets answered, when, and by which persona. Pure: the call manager asks `decideIncoming`
 * once it knows the caller id (or knows it will not get one).
 */
import { phoneNumberKey } from '../../pipeline/dialogue/phone-number.ts';

export interface WorkingHours {
  /** Days the line is staffed, 0 = Sunday ... 6 = Saturday (default Monday-Friday). */
  days?: number[];
  /** "HH:MM" local time, inclusive start, exclusive end. `end` before `start` spans midnight. */
  start: string;
  end: string;
  /** IANA time zone (default: the process's). */
  timeZone?: string;
}

export interface CallPolicy {
  /** Answer after this many RINGs (default 1). */
  autoAnswerAfterRings?: number;
  /** When set, only these numbers are answered. */
  allow?: string[];
  /** Never answered. Checked before `allow`. */
  block?: string[];
  /** Outside these hours calls are rejected (or left to ring, see `outsideHours`). */
  workingHours?: WorkingHours;
  /** What to do with a call we will not take: hang up at once (default) or let it ring out. */
  rejectWith?: 'hangup' | 'ignore';
  /** Calls without caller id: answer (default) or reject. */
  anonymous?: 'answer' | 'reject';
  personaByNumber?: Record<string, string>;
  defaultPersona?: string;
}

export type IncomingDecision =
  | { action: 'answer'; persona?: string }
  | { action: 'reject'; reason: 'blocked' | 'not_allowed' | 'outside_hours' | 'anonymous'; hangup: boolean };

function listHas(list: readonly string[] | undefined, number: string): boolean {
  if (!list) return false;
  const n = phoneNumberKey(number);
  return list.some((x) => phoneNumberKey(x) === n);
}

function minutesOf(hhmm: string): number {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) throw new RangeError(`working hours must be HH:MM, got ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/** Day of week and minute of day of `now` in the given zone. */
function localTime(now: Date, timeZone?: string): { day: number; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(now);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
  return { day, minute: Number(get('hour')) * 60 + Number(get('minute')) };
}

export function withinWorkingHours(hours: WorkingHours, now: Date): boolean {
  const { day, minute } = localTime(now, hours.timeZone);
  const start = minutesOf(hours.start);
  const end = minutesOf(hours.end);
  const days = hours.days ?? [1, 2, 3, 4, 5];
  if (start <= end) return days.includes(day) && minute >= start && minute < end;
  // Overnight: the part after midnight belongs to the previous day's shift.
  if (minute >= start) return days.includes(day);
  if (minute < end) return days.includes((day + 6) % 7);
  return false;
}

export function decideIncoming(policy: CallPolicy, number: string | null, now: Date = new Date()): IncomingDecision {
  const hangup = (policy.rejectWith ?? 'hangup') === 'hangup';
  if (!number) {
    if (policy.anonymous === 'reject' || policy.allow) return { action: 'reject', reason: 'anonymous', hangup };
  } else {
    if (listHas(policy.block, number)) return { action: 'reject', reason: 'blocked', hangup };
    if (policy.allow && !listHas(policy.allow, number)) return { action: 'reject', reason: 'not_allowed', hangup };
  }
  if (policy.workingHours && !withinWorkingHours(policy.workingHours, now)) return { action: 'reject', reason: 'outside_hours', hangup };
  return { action: 'answer', persona: personaFor(policy, number) };
}

export function personaFor(policy: CallPolicy, number: string | null): string | undefined {
  if (number && policy.personaByNumber) {
    const n = phoneNumberKey(number);
    for (const [k, v] of Object.entries(policy.personaByNumber)) if (phoneNumberKey(k) === n) return v;
  }
  return policy.defaultPersona;
}
