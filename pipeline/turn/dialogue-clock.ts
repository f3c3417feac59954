/**
 * The deadlines a call keeps besides its turns: the caller's silence (ask once whether they are
 * still there, then say goodbye and hang up) and the call's length. It owns no timer: the turn
 * manager asks it on each pull of reply audio, which the transport makes on the shared media clock
 * (media/media-clock.ts), so a thousand calls cost no timer of their own and a test steps time by
 * hand. Deadlines are absolute times on the monotonic clock the turn manager runs on.
 */
import type { DialogueSettings } from '../conversation/dialogue-settings.ts';

/** What is due: ask whether the caller is still there, or end the call (silence, time limit). */
export type ClockAction = 'still_there' | 'silence' | 'max_duration';

export class DialogueClock {
  private silentSince: number;
  private askedStillThere = false;
  private timeUpSignalled = false;

  constructor(
    private readonly settings: Readonly<DialogueSettings>,
    private readonly startedAt: number,
  ) {
    this.silentSince = startedAt;
  }

  /**
   * Something is going on (the caller speaks or is being understood, the assistant answers): the
   * silence, and the one "are you still there?" it earns, count from now again.
   */
  busy(now: number): void {
    this.silentSince = now;
    this.askedStillThere = false;
  }

  /**
   * What is due at `now`. `quiet`: nothing is going on, so silence may be acted on; while the
   * re-prompt itself plays the turn manager passes false without calling busy(), so the silence
   * goes on counting from the same point but nothing interrupts the question. The time limit is due
   * in any state, once.
   */
  due(now: number, quiet: boolean): ClockAction | null {
    const { maxCallMs, silenceHangupMs, silenceRepromptMs } = this.settings;
    if (maxCallMs > 0 && !this.timeUpSignalled && now - this.startedAt >= maxCallMs) {
      this.timeUpSignalled = true;
      return 'max_duration';
    }
    if (!quiet) return null;
    const silent = now - this.silentSince;
    if (silenceHangupMs > 0 && silent >= silenceHangupMs) return 'silence';
    if (silenceRepromptMs > 0 && !this.askedStillThere && silent >= silenceRepromptMs) {
      this.askedStillThere = true;
      return 'still_there';
    }
    return null;
  }
}
