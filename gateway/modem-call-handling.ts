/**
 * The admin's `modem.call_handling` setting (control/settings/call-handling.ts) as the modem's call
 * policy, read for every incoming call so a change applies to the next ring without a restart, and
 * the environment's policy shown back in the setting's words (GET /admin/gsm/call-handling).
 */
import { CALL_HANDLING_KEY, CallHandling } from '../control/settings/call-handling.ts';
import type { Repositories } from '../control/repositories/index.ts';
import type { CallPolicy } from './modem/call-policy.ts';

const nonEmpty = (list: string[]) => (list.length > 0 ? list : undefined);

/** Every field set (an empty list or no hours as undefined), so it replaces the environment's policy whole. */
export function callPolicyOf(h: CallHandling): CallPolicy {
  return {
    autoAnswerAfterRings: h.auto_answer_rings,
    allow: nonEmpty(h.allow),
    block: nonEmpty(h.block),
    workingHours: h.hours ? { days: h.hours.days, start: h.hours.start, end: h.hours.end, timeZone: h.hours.time_zone ?? undefined } : undefined,
    anonymous: h.anonymous,
    rejectWith: h.refuse_with,
  };
}

export function callHandlingOf(p: CallPolicy): CallHandling {
  const h = p.workingHours;
  return {
    auto_answer_rings: p.autoAnswerAfterRings ?? 1,
    allow: p.allow ?? [],
    block: p.block ?? [],
    hours: h ? { days: h.days ?? [1, 2, 3, 4, 5], start: h.start, end: h.end, time_zone: h.timeZone ?? null } : null,
    anonymous: p.anonymous ?? 'answer',
    refuse_with: p.rejectWith ?? 'hangup',
  };
}

/** The stored policy for the modem's call manager (`livePolicy`), or null while none is stored. */
export function storedCallPolicy(repos: Pick<Repositories, 'config'>): () => Promise<CallPolicy | null> {
  return async () => {
    const stored = await repos.config.get<unknown>(CALL_HANDLING_KEY);
    if (stored === undefined || stored === null) return null;
    // Validated when saved; parsed again because a restored backup or an older version may have
    // written it. A value that no longer parses throws: the call is decided by the environment's
    // policy and the failure is logged.
    return callPolicyOf(CallHandling.parse(stored));
  };
}
