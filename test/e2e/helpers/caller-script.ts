/** What the e2e callers say: flite speech, each line after the secretary's reply. */
import { fliteSpeech, withSilence } from '../../../bench/lib/flite-speech.ts';
import type { Step } from '../../../bench/lib/scripted-caller.ts';

/** One spoken line, `gapMs` after the reply before it ends. */
export const say = (text: string, gapMs = 300): Step => ({ audio: withSilence(fliteSpeech(text), 0, 200), cue: { after: 'reply', gapMs } });

/** A caller who leaves a message: asks, gives a name, confirms the caller id, says why, confirms the read-back. */
export const leaveMessageSteps = (): Step[] => [say('I want to leave a message.'), say('John Smith'), say('Yes'), say('Please call me back about my order.'), say('Yes')];
