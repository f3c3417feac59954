/**
 * Turn-taking settings. Defaults are tuned for phone audio: callers pause mid-sentence more than
 * on a headset, and line noise makes very short "speech" unreliable.
 */
export interface TurnConfig {
  /**
   * Caller speech this long while the assistant talks confirms a barge-in (reply cancelled).
   * Reply audio pauses at once on speech start; shorter speech is judged on what was heard
   * (interruption-judge.ts): a backchannel resumes the reply, anything else cancels it. Long
   * enough for a drawn-out "mm-hmm" (flite's takes 770 ms); it delays only the cancellation,
   * never the pause the caller hears.
   */
  bargeInConfirmMs: number;
  /** Words that never interrupt, whatever their length ("mhm", "yes", "ага"). Lower case. */
  backchannels: string[];
  /**
   * Words that always interrupt a reply when heard in any reading of what the caller said ("stop",
   * "wait", "подождите"), however short (interruption-judge.ts). Lower case.
   */
  interruptWords: string[];
  /** Caller audio kept before the VAD's start so the recogniser hears the first phoneme. */
  preRollMs: number;
  /** Whether the caller may interrupt at all (a legal notice might not be interruptible). */
  allowBargeIn: boolean;
  /**
   * Speech segments shorter than this are noise, not a turn: no transcript is decoded and a paused
   * reply resumes. Lets the VAD's own minimum speech stay short (fast barge-in detection) without
   * every click on the line becoming "Sorry, I did not catch that".
   */
  minUtteranceMs: number;
  /**
   * The VAD's minimum silence: it reports the end of speech only this long after the last speech
   * sample. Until then a pause in barge-in speech is indistinguishable from speech, so speech is
   * known to have lasted `bargeInConfirmMs` only once `bargeInConfirmMs + vadHangoverMs` passed
   * without an end. Reply audio is paused at once either way; this only delays the cancellation.
   */
  vadHangoverMs: number;
  /**
   * How much longer than the VAD's silence a turn that plainly goes on ("my number is", "five five
   * five", "... and") waits for the caller's next words (turn-completion.ts); 0: never held.
   */
  incompleteHoldMs: number;
  /**
   * How much longer than the VAD's silence a short reading the recogniser was unsure of waits for
   * more (turn-completion.ts isUnsureFragment): at a pause mid-sentence the first words are often
   * misheard as a whole short one ("what are your" as "well"), and answering it cuts the caller
   * off. A sure reading (an expected phrase), a backchannel or interrupting word, and anything
   * longer are answered at the silence. 0: never held.
   */
  unsureHoldMs: number;
}

export const DEFAULT_TURN_CONFIG: TurnConfig = {
  bargeInConfirmMs: 800,
  backchannels: ['mhm', 'mm', 'hmm', 'uh huh', 'uh-huh', 'yeah', 'yes', 'ok', 'okay', 'right', 'i see', 'ага', 'угу', 'да', 'ну', 'так', 'понятно'],
  interruptWords: ['stop', 'wait', 'hold on', 'hang on', 'no', 'sorry', 'excuse me', 'pardon', 'стоп', 'стой', 'подожди', 'подождите', 'погоди', 'погодите', 'нет', 'извините', 'простите'],
  preRollMs: 300,
  allowBargeIn: true,
  minUtteranceMs: 200,
  vadHangoverMs: 0,
  incompleteHoldMs: 800,
  unsureHoldMs: 400,
};

/** Lower case letters and single spaces only: how short replies are compared. */
export function normalizeWords(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\s-]/gu, ' ').trim().replace(/\s+/g, ' ');
}
