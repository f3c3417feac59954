/**
 * A taken message (the dialogue's TakenMessage, from any channel) as the inbox stores it: with the
 * id it keeps for good, the callback number normalised so it can be dialled and found (GDPR
 * requests name people by their number), and every field bounded, since a chat visitor can type
 * anything at any length.
 */
import type { TakenMessage } from '../../pipeline/dialogue/message-store.ts';
import { extractPhoneNumber } from '../../pipeline/dialogue/phone-number.ts';
import { nowIso } from '../db/rows.ts';
import type { NewMessage } from '../repositories/messages.ts';

const clip = (v: string | undefined | null, max: number): string | null => {
  const s = v?.trim();
  return s ? s.slice(0, max) : null;
};

/** Digits with an optional leading +, or null: fewer than three digits is not a number anyone can call. */
export function normaliseCallbackNumber(text: string | undefined | null): string | null {
  const digits = extractPhoneNumber(text ?? '');
  return digits.replace(/^\+/, '').length >= 3 ? digits.slice(0, 32) : null;
}

export function newMessage(m: TakenMessage, id: string): NewMessage {
  const created = Date.parse(m.createdAt);
  return {
    id,
    kind: m.kind ?? 'message',
    caller_name: clip(m.callerName, 200),
    callback_number: normaliseCallbackNumber(m.callbackNumber),
    callback_text: clip(m.callbackNumber, 200),
    caller_id: clip(m.callerId, 64),
    reason: clip(m.reason, 4000),
    language: clip(m.language, 35),
    channel: clip(m.channel, 16) ?? 'unknown',
    call_id: clip(m.callId, 64),
    session_id: Number.isSafeInteger(m.sessionId) ? m.sessionId! : null,
    created_at: Number.isFinite(created) ? nowIso(created) : nowIso(),
  };
}
