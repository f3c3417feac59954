/**
 * Turn-taking settings. Defaults are tuned for phone audio: callers pause mid-sentence more than
 * on a headset, and line noise makes very short "speech" unreliable.
 */
export interface TurnConfig {
  /**
   * Caller speech this long while the assistant talks confirms a barge-in (reply cancelled).
   * Reply audio pauses at once on speech start; shorter speech (a backchannel) resumes it.
   */
  bargeInConfirmMs: number;
  /** Words that never interrupt, whatever their length ("mhm", "yes", "ага"). Lower case. */
  backchannels: string[];
  /** Caller audio kept before the VAD's start so the recogniser hears the first phoneme. */
  preRollMs: number;
  /** Whether the caller may interrupt at all (a legal notice might not be interruptible). */
  allowBargeIn: boolean;
}

export const DEFAULT_TURN_CONFIG: TurnConfig = {
  bargeInConfirmMs: 400,
  backchannels: ['mhm', 'mm', 'hmm', 'uh huh', 'uh-huh', 'yeah', 'yes', 'ok', 'okay', 'right', 'ага', 'угу', 'да', 'ну', 'так'],
  preRollMs: 300,
  allowBargeIn: true,
};

export function isBackchannel(text: string, config: TurnConfig): boolean {
  const t = text.toLowerCase().replace(/[^\p{L}\s-]/gu, ' ').trim().replace(/\s+/g, ' ');
  if (!t) return true;
  return config.backchannels.includes(t);
}
