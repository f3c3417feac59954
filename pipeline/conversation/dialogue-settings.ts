/**
 * How a conversation treats silence, length and misunderstanding: per persona (the admin edits
 * them with the persona), resolved with the rest of the conversation's configuration when a call
 * or chat starts, and fixed for its lifetime. Voice channels use all of them; text channels only
 * `offerMessageAfterFailures` (a silent chat visitor is not prompted).
 */
import { z } from 'zod';

export interface DialogueSettings {
  /** After the greeting or a reply, ask once ("Are you still there?") after this much caller silence. 0 = never. */
  silenceRepromptMs: number;
  /** Say goodbye and hang up after this much caller silence (counted from the same point). 0 = never. */
  silenceHangupMs: number;
  /** The longest a call may last before the secretary says goodbye and hangs up. 0 = no limit. */
  maxCallMs: number;
  /** After this many turns in a row that were not understood, offer to take a message. 0 = never. */
  offerMessageAfterFailures: number;
  /**
   * Answer at a short pause (the VAD's VAD_PAUSE_MS) when the recogniser is sure the caller said a
   * whole phrase it expects, instead of waiting out the full silence (VAD_MIN_SILENCE_MS), which
   * stays the rule for everything else (pipeline/turn/turn-completion.ts).
   */
  earlyTurnEnd: boolean;
}

export const DEFAULT_DIALOGUE_SETTINGS: Readonly<DialogueSettings> = Object.freeze({
  silenceRepromptMs: 6_000,
  silenceHangupMs: 20_000,
  maxCallMs: 30 * 60_000,
  offerMessageAfterFailures: 2,
  earlyTurnEnd: true,
});

/** The admin API's shape (snake_case, seconds): stored with the persona, every field optional. */
export const DialogueSettingsInput = z.strictObject({
  silence_reprompt_s: z.number().min(0).max(600).optional(),
  silence_hangup_s: z.number().min(0).max(3600).optional(),
  max_call_s: z.number().min(0).max(24 * 3600).optional(),
  offer_message_after_failures: z.number().int().min(0).max(20).optional(),
  early_turn_end: z.boolean().optional(),
});
export type DialogueSettingsInput = z.infer<typeof DialogueSettingsInput>;

/** Stored fields over the defaults; a hang-up sooner than the re-prompt makes the re-prompt moot, which is the admin's choice. */
export function dialogueSettings(input: DialogueSettingsInput | null | undefined): DialogueSettings {
  const d = DEFAULT_DIALOGUE_SETTINGS;
  const ms = (s: number | undefined, fallback: number) => (s === undefined ? fallback : Math.round(s * 1000));
  return {
    silenceRepromptMs: ms(input?.silence_reprompt_s, d.silenceRepromptMs),
    silenceHangupMs: ms(input?.silence_hangup_s, d.silenceHangupMs),
    maxCallMs: ms(input?.max_call_s, d.maxCallMs),
    offerMessageAfterFailures: input?.offer_message_after_failures ?? d.offerMessageAfterFailures,
    earlyTurnEnd: input?.early_turn_end ?? d.earlyTurnEnd,
  };
}
