/**
 * The dialogue of a channel that keeps no state between requests (/v1: the client sends the whole
 * history each time): the FAQ answers if it can, otherwise a fixed message. It is also what such a
 * channel falls back to when every LLM provider fails before saying anything.
 */
import type { FaqMatcher } from './faq-matcher.ts';
import type { Dialogue, DialogueEvent, UserTurn } from './types.ts';

export class FaqAnswer implements Dialogue {
  readonly name = 'faq';

  constructor(
    private readonly faq: FaqMatcher,
    private readonly fallbackMessage: string,
  ) {}

  async *greet(): AsyncIterable<DialogueEvent> {}

  async *respond(turn: UserTurn): AsyncIterable<DialogueEvent> {
    const hit = turn.text.trim() ? this.faq.match(turn.text) : null;
    // An intent such as "take a message" needs a dialogue with state; here it is not an answer.
    if (hit && !hit.entry.action) {
      yield { type: 'source', source: 'faq', model: 'faq' };
      yield { type: 'text', text: hit.entry.answer };
      return;
    }
    yield { type: 'source', source: 'fallback', model: 'fallback' };
    yield { type: 'text', text: this.fallbackMessage };
  }

  expectedPhrases(): string[] {
    return this.faq.phrases();
  }
}
