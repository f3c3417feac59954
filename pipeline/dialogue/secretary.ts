/**
 * The built-in secretary: a dialogue that needs no LLM. It greets, answers from the FAQ, and
 * otherwise takes a message (name, callback number - the caller id offered when known - and
 * reason), reads it back for a yes/no confirmation, stores it and says goodbye.
 *
 * State is a discriminated union whose members carry only what exists in that state; `step`
 * is the one place that moves between states. Turns it does not understand in a row (nothing
 * intelligible heard, or words that match no FAQ entry and are no goodbye) lead to taking a message
 * after `offerMessageAfterFailures` of them, because a caller the machine cannot understand can
 * still leave a name and a number.
 */
import type { FaqMatcher } from './faq-matcher.ts';
import type { MessageStore } from './message-store.ts';
import { cueText, fillTemplate, type Persona, type PromptKey } from './persona.ts';
import { extractPhoneNumber, speakableNumber } from './phone-number.ts';
import type { DialogueCue } from '../turn/ports.ts';
import type { Draft, SecretaryState } from './secretary-state.ts';
import { takenMessage } from './taken-message.ts';
import type { Dialogue, DialogueContext, DialogueEvent, RespondOptions, UserTurn } from './types.ts';
import { classifyYesNo } from './yes-no.ts';
import { tokenize } from './normalize.ts';

export type { SecretaryState } from './secretary-state.ts';

export interface SecretaryOptions {
  persona: Persona;
  faq: FaqMatcher;
  store: MessageStore;
  context?: DialogueContext;
  /** Turns not understood in a row at the menu before it offers to take a message (default 2; 0 = never). */
  offerMessageAfterFailures?: number;
  /** Where a conversation left off (a text session's stored state); default: the menu. */
  initialState?: SecretaryState;
}

/** How often a take-message question is asked before the secretary moves on with what it has. */
const ASKS_PER_QUESTION = 2;


interface Reply {
  say: string[];
  next: SecretaryState;
  events?: DialogueEvent[];
  /** The reply is an FAQ answer. */
  fromFaq?: boolean;
}

/** Words that end the call from the menu ("no thanks", "bye", "нет, спасибо", "до свидания"). */
const GOODBYE_WORDS = ['bye', 'goodbye', 'thanks', 'thank', 'all', 'nothing', 'свидания', 'спасибо', 'всё', 'все', 'ничего'];

export class Secretary implements Dialogue {
  readonly name = 'secretary';
  private _state: SecretaryState;
  private readonly offerAfter: number;
  private readonly values: Record<string, string>;

  constructor(private readonly opts: SecretaryOptions) {
    this._state = opts.initialState ?? { kind: 'menu', failures: 0 };
    this.offerAfter = opts.offerMessageAfterFailures ?? 2;
    this.values = { name: opts.persona.name, company: opts.persona.company };
  }

  get state(): SecretaryState {
    return this._state;
  }

  async *greet(_opts?: RespondOptions): AsyncIterable<DialogueEvent> {
    yield { type: 'text', text: this.prompt('greeting') };
  }

  async *respond(turn: UserTurn, opts: RespondOptions = {}): AsyncIterable<DialogueEvent> {
    if (this._state.kind === 'done') return;
    const reply = await this.step(this._state, turn.text.trim());
    // The state moves even if the reply is interrupted: the caller heard the start of it, and a
    // half-heard question is asked again on the next unintelligible turn anyway.
    this._state = reply.next;
    yield { type: 'source', source: reply.fromFaq ? 'faq' : 'secretary' };
    for (const e of reply.events ?? []) yield e;
    for (const text of reply.say) {
      if (opts.signal?.aborted) return;
      yield { type: 'text', text: text.endsWith(' ') ? text : `${text} ` };
    }
    if (reply.next.kind === 'done') yield { type: 'end_call', reason: 'dialogue_finished' };
  }

  cue(cue: DialogueCue): string {
    return cueText(this.opts.persona, cue);
  }

  async *takeMessage(_opts?: RespondOptions): AsyncIterable<DialogueEvent> {
    if (this._state.kind === 'done') return;
    this._state = { kind: 'ask_name', draft: {}, failures: 0 };
    for (const text of [this.prompt('offerMessage'), this.prompt('askName')]) yield { type: 'text', text: `${text} ` };
  }

  takingMessage(): boolean {
    return this._state.kind !== 'menu' && this._state.kind !== 'done';
  }

  expectedPhrases(): string[] {
    const s = this._state;
    const yesNo = this.opts.persona.language === 'ru' ? ['да', 'нет', 'да, верно', 'нет, неверно'] : ['yes', 'no', 'yes, that is correct', 'no, that is wrong'];
    switch (s.kind) {
      case 'menu':
        return [...this.opts.faq.phrases(), ...(this.opts.persona.language === 'ru' ? ['нет, спасибо', 'до свидания'] : ['no, thank you', 'goodbye'])];
      case 'confirm':
      case 'confirm_caller_id':
        return yesNo;
      default:
        return [];
    }
  }

  private prompt(key: PromptKey, extra: Record<string, string> = {}): string {
    return fillTemplate(this.opts.persona.prompts[key], { ...this.values, ...extra });
  }

  private async step(s: SecretaryState, text: string): Promise<Reply> {
    switch (s.kind) {
      case 'menu':
        return this.menu(s, text);
      case 'ask_name':
        if (!text) return this.failed(s, 'askName', (draft) => ({ ...draft, name: this.prompt('notGiven') }));
        return this.afterName({ ...s.draft, name: cleanName(text) });
      case 'confirm_caller_id': {
        const yn = classifyYesNo(text);
        const callerId = this.opts.context?.callerNumber ?? '';
        if (yn === 'yes') return this.toReason({ ...s.draft, number: callerId });
        if (yn === 'no') return { say: [this.prompt('askNumber')], next: { kind: 'ask_number', draft: s.draft, failures: 0 } };
        // A number instead of yes/no is an answer too.
        const spoken = extractPhoneNumber(text);
        if (spoken.length >= 5) return this.toReason({ ...s.draft, number: spoken });
        return this.failed(s, 'askNumberCallerId', (draft) => ({ ...draft, number: callerId }), { number: speakableNumber(callerId) });
      }
      case 'ask_number': {
        const number = extractPhoneNumber(text);
        if (number.length >= 5) return this.toReason({ ...s.draft, number });
        // After repeated failures keep what was said: a human can still read it.
        return this.failed(s, 'askNumber', (draft) => ({ ...draft, number: text || this.prompt('notGiven') }));
      }
      case 'ask_reason':
        if (!text) return this.failed(s, 'askReason', (draft) => ({ ...draft, reason: this.prompt('notGiven') }));
        return this.toConfirm({ ...s.draft, reason: text });
      case 'confirm':
        return this.confirm(s, text);
      case 'done':
        return { say: [], next: s };
    }
  }

  private menu(s: Extract<SecretaryState, { kind: 'menu' }>, text: string): Reply {
    if (!text) return this.menuFailure(s, 'repeat');
    const match = this.opts.faq.match(text);
    if (match) {
      if (match.entry.action === 'take_message') {
        return { say: [match.entry.answer, this.prompt('askName')], next: { kind: 'ask_name', draft: {}, failures: 0 } };
      }
      if (match.entry.action === 'end_call') return { say: [match.entry.answer, this.prompt('goodbye')], next: { kind: 'done' } };
      return { say: [match.entry.answer, this.prompt('anythingElse')], next: { kind: 'menu', failures: 0 }, fromFaq: true };
    }
    if (isGoodbye(text)) return { say: [this.prompt('goodbye')], next: { kind: 'done' } };
    return this.menuFailure(s, 'notUnderstood');
  }

  private menuFailure(s: Extract<SecretaryState, { kind: 'menu' }>, key: PromptKey): Reply {
    const failures = s.failures + 1;
    if (this.offerAfter > 0 && failures >= this.offerAfter) {
      return { say: [this.prompt('offerMessage'), this.prompt('askName')], next: { kind: 'ask_name', draft: {}, failures: 0 } };
    }
    return { say: [this.prompt(key)], next: { kind: 'menu', failures } };
  }

  /**
   * A take-message step that did not get a usable answer: ask again, and after ASKS_PER_QUESTION
   * move on with `fallback` filling the field, so the caller is never stuck in a loop.
   */
  private failed(
    s: Extract<SecretaryState, { draft: Draft }>,
    key: PromptKey,
    fallback: (d: Draft) => Draft,
    extra: Record<string, string> = {},
  ): Reply {
    const failures = s.failures + 1;
    if (failures < ASKS_PER_QUESTION) {
      return { say: [this.prompt('repeat'), this.prompt(key, extra)], next: { ...s, failures } as SecretaryState };
    }
    const draft = fallback(s.draft);
    if (s.kind === 'ask_name') return this.afterName(draft);
    if (s.kind === 'ask_reason') return this.toConfirm(draft);
    return this.toReason(draft);
  }

  private afterName(draft: Draft): Reply {
    const callerId = this.opts.context?.callerNumber;
    if (callerId && /\d{3,}/.test(callerId)) {
      return {
        say: [this.prompt('askNumberCallerId', { number: speakableNumber(callerId) })],
        next: { kind: 'confirm_caller_id', draft, failures: 0 },
      };
    }
    return { say: [this.prompt('askNumber')], next: { kind: 'ask_number', draft, failures: 0 } };
  }

  private toReason(draft: Draft): Reply {
    return { say: [this.prompt('askReason')], next: { kind: 'ask_reason', draft, failures: 0 } };
  }

  private toConfirm(draft: Draft, retries = 0): Reply {
    const full: Required<Draft> = {
      name: draft.name ?? this.prompt('notGiven'),
      number: draft.number ?? this.prompt('notGiven'),
      reason: draft.reason ?? this.prompt('notGiven'),
    };
    return { say: [this.readBack(full)], next: { kind: 'confirm', draft: full, failures: 0, retries } };
  }

  private readBack(d: Required<Draft>): string {
    // Spoken digit by digit on a call; a chat shows the number as it was typed.
    const number = /\d/.test(d.number) && this.opts.context?.medium !== 'text' ? speakableNumber(d.number) : d.number;
    return this.prompt('readBack', { name: d.name, number, reason: d.reason });
  }

  private async confirm(s: Extract<SecretaryState, { kind: 'confirm' }>, text: string): Promise<Reply> {
    const yn = classifyYesNo(text);
    if (yn === 'yes') return this.save(s.draft);
    if (yn === 'no') {
      // Second "no": save what we have rather than loop; a human will sort it out.
      if (s.retries >= 1) return this.save(s.draft);
      return { say: [this.prompt('retry'), this.prompt('askName')], next: { kind: 'ask_name', draft: {}, failures: 0 } };
    }
    const failures = s.failures + 1;
    if (failures >= ASKS_PER_QUESTION) return this.save(s.draft);
    return { say: [this.prompt('confirmYesNo')], next: { ...s, failures } };
  }

  private async save(d: Required<Draft>): Promise<Reply> {
    const message = takenMessage(this.opts.context, this.opts.persona.language, { callerName: d.name, callbackNumber: d.number, reason: d.reason });
    try {
      await this.opts.store.save(message);
    } catch {
      return { say: [this.prompt('saveFailed'), this.prompt('goodbye')], next: { kind: 'done' } };
    }
    return { say: [this.prompt('saved'), this.prompt('goodbye')], next: { kind: 'done' }, events: [{ type: 'message_taken', message }] };
  }
}

function isGoodbye(text: string): boolean {
  const tokens = tokenize(text);
  return tokens.length <= 5 && tokens.some((t) => GOODBYE_WORDS.includes(t)) && !tokens.some((t) => t === 'message' || t.startsWith('сообщ'));
}

/** "My name is John Smith" -> "John Smith"; "меня зовут Иван" -> "Иван". */
function cleanName(text: string): string {
  const stripped = text
    .replace(/^\s*(my name is|my name's|this is|it's|it is|i am|i'm|name is)\s+/i, '')
    .replace(/^\s*(меня зовут|моё имя|мое имя|это|я)\s+/i, '')
    .replace(/[.!?]+$/, '')
    .trim();
  return stripped || text.trim();
}
