/**
 * Adapts a Dialogue (secretary or LLM: a stream of DialogueEvents) to the turn manager's
 * DialoguePort (text to speak, or hang up). Events the turn manager has no use for, a taken
 * message or a note for a human, go to hooks so the gateway can store them.
 */
import { normalizeWords } from '../turn/config.ts';
import type { DialogueChunk, DialogueCue, DialoguePort } from '../turn/ports.ts';
import type { TakenMessage } from './message-store.ts';
import type { Dialogue, DialogueEvent } from './types.ts';

export interface DialogueHooks {
  onMessageTaken?(message: TakenMessage): void;
  onNotify?(text: string): void;
}

export function dialoguePort(dialogue: Dialogue, hooks: DialogueHooks = {}): DialoguePort {
  async function* chunks(events: AsyncIterable<DialogueEvent>): AsyncIterable<DialogueChunk> {
    for await (const e of events) {
      switch (e.type) {
        case 'text':
          yield { type: 'text', text: e.text };
          break;
        case 'end_call':
          yield { type: 'hangup', reason: e.reason };
          break;
        case 'message_taken':
          hooks.onMessageTaken?.(e.message);
          break;
        case 'notify':
          hooks.onNotify?.(e.text);
          break;
      }
    }
  }
  return {
    greet: (signal) => chunks(dialogue.greet({ signal })),
    respond: (text, signal) => chunks(dialogue.respond({ text }, { signal })),
    interrupted: (spoken) => dialogue.noteInterrupted?.(spoken),
    ...(dialogue.cue ? { cue: (cue: DialogueCue) => dialogue.cue!(cue) } : {}),
    isAnswer: (text) => {
      const said = normalizeWords(text);
      return said !== '' && dialogue.expectedPhrases().some((p) => normalizeWords(p) === said);
    },
  };
}
