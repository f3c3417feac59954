/**
 * The LLM dialogue: FAQ first (a confident FAQ match is answered without the model, which is
 * faster and cannot hallucinate), otherwise the model, streaming, with take_message / end_call /
 * notify as tools. Tool results go back to the model for one more round so it can say something
 * natural ("I've noted that, goodbye"), up to a small number of rounds.
 *
 * If every provider fails before saying anything, the turn goes to the fallback dialogue (the
 * built-in secretary) so the caller still gets an answer.
 *
 * A turn is not understood when nothing intelligible was heard, or when the model gave no answer
 * and no fallback spoke instead (a turn the fallback answers counts by the fallback's own rules).
 * After `offerMessageAfterFailures` such turns in a row the caller is offered to leave a message:
 * the fallback secretary takes it (and every turn until it is done is the secretary's, since the
 * model would not know where that stands); without a fallback the model is left to take it with
 * its tool, after the offer is made in its name.
 */
import type { FaqMatcher } from './faq-matcher.ts';
import type { MessageStore, TakenMessage } from './message-store.ts';
import { cueText, fillTemplate, type Persona } from './persona.ts';
import type { Dialogue, DialogueContext, DialogueEvent, RespondOptions, UserTurn } from './types.ts';
import type { DialogueCue } from '../turn/ports.ts';
import type { ChatMessage, LlmEngine, ToolCall, ToolSpec } from '../engines/types.ts';

export const SECRETARY_TOOLS: ToolSpec[] = [
  {
    name: 'take_message',
    description: 'Store a message for the team after the caller confirmed it.',
    parameters: {
      type: 'object',
      properties: {
        caller_name: { type: 'string' },
        callback_number: { type: 'string' },
        reason: { type: 'string' },
      },
      required: ['caller_name', 'callback_number', 'reason'],
    },
  },
  {
    name: 'end_call',
    description: 'Hang up after your goodbye has been spoken.',
    parameters: { type: 'object', properties: { reason: { type: 'string' } } },
  },
  {
    name: 'notify',
    description: 'Send an urgent note to a human (e.g. the caller needs help now).',
    parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
  },
];

export interface LlmDialogueOptions {
  llm: LlmEngine;
  persona: Persona;
  store: MessageStore;
  faq?: FaqMatcher;
  /** FAQ matches at or above this score skip the model (default 0.8). */
  faqDirectScore?: number;
  context?: DialogueContext;
  /** Used for a turn when every LLM provider fails before speaking. */
  fallback?: Dialogue;
  /** Tool rounds per caller turn (default 3). */
  maxRounds?: number;
  /** Turns not understood in a row before offering to take a message (default 2; 0 = never). */
  offerMessageAfterFailures?: number;
  temperature?: number;
}

/** A reply streaming in one respond() call, not yet in history. */
interface InFlight {
  /** The respond() call it belongs to: only that call's finally may commit it. */
  owner: object;
  text: string;
  /** History indices of this turn's earlier rounds (tool rounds), already in history, in order. */
  rounds: number[];
  /** What the caller heard of the turn before cutting it short. */
  heard?: string;
}

/**
 * How long a new turn waits for the one the caller cut short to wind down (it ends at its next
 * await or yield: a tool call finishing, a stream aborting) before touching history; only a
 * stuck tool makes it wait this long, and the turns then overlap as they did before.
 */
const PREVIOUS_TURN_WAIT_MS = 5000;

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

export class LlmDialogue implements Dialogue {
  readonly name = 'llm';
  private readonly history: ChatMessage[] = [];
  /** History indices of the last turn's replies (its rounds, in order), for noteInterrupted once it has finished streaming. */
  private lastReply: number[] = [];
  /** Settles when the turn in progress has ended (see PREVIOUS_TURN_WAIT_MS). */
  private turnDone: Promise<void> = Promise.resolve();
  /**
   * The reply still streaming, not yet in history. A barge-in reaches noteInterrupted while the
   * reply is in flight, then ends its generator at whichever yield it waits on - possibly after
   * the next turn's respond() has begun - so the reply is committed by its own respond()'s
   * finally, or by the next respond() first, whichever comes first, as what was heard.
   */
  private streaming: InFlight | null = null;
  /** Turns not understood in a row. */
  private failures = 0;

  constructor(private readonly opts: LlmDialogueOptions) {
    this.history.push({ role: 'system', content: this.systemPrompt() });
  }

  /** A copy of the conversation so far (for tests and transcripts). */
  messages(): ChatMessage[] {
    return this.history.map((m) => ({ ...m }));
  }

  private systemPrompt(): string {
    const p = this.opts.persona;
    const values = { name: p.name, company: p.company };
    let prompt = fillTemplate(p.systemPrompt, values);
    const faq = this.opts.faq?.entries ?? [];
    if (faq.length) prompt += `\n\nFAQ:\n${faq.map((e) => `Q: ${e.questions[0]}\nA: ${e.answer}`).join('\n')}`;
    const caller = this.opts.context?.callerNumber;
    if (caller) prompt += `\n\nThe caller's number as shown by the network: ${caller}.`;
    return prompt;
  }

  async *greet(_opts?: RespondOptions): AsyncIterable<DialogueEvent> {
    const p = this.opts.persona;
    const text = fillTemplate(p.prompts.greeting, { name: p.name, company: p.company });
    this.pushReply(text);
    yield { type: 'text', text };
  }

  expectedPhrases(): string[] {
    return this.opts.faq?.phrases() ?? [];
  }

  /** The persona's words, kept in history so the model knows it asked (and what a barge-in cut of it). */
  cue(cue: DialogueCue): string {
    const text = cueText(this.opts.persona, cue);
    this.pushReply(text);
    return text;
  }

  noteInterrupted(spokenText: string): void {
    const heard = spokenText ? `${spokenText}…` : '…';
    if (this.streaming) {
      this.streaming.heard = heard;
      return;
    }
    this.placeHeard(heard, this.lastReply);
  }

  private pushReply(text: string, rounds: readonly number[] = [], toolCalls?: ToolCall[]): void {
    this.history.push({ role: 'assistant', content: text, toolCalls });
    this.lastReply = [...rounds, this.history.length - 1];
  }

  /** The in-flight reply into history (as heard, if interrupted), once: only while it is still the one in flight. */
  private commit(f: InFlight): void {
    if (this.streaming !== f) return;
    this.streaming = null;
    this.pushReply(f.text.trim() || '…', f.rounds);
    if (f.heard !== undefined) this.placeHeard(f.heard, this.lastReply);
  }

  /**
   * What the caller heard covers the whole turn, its rounds in order: each round heard whole keeps
   * its words; the round the cut fell in becomes what was heard of it; the rounds after it say
   * nothing was.
   */
  private placeHeard(heard: string, rounds: readonly number[]): void {
    let rest = squash(heard);
    rounds.forEach((index, k) => {
      const reply = this.history[index];
      if (reply?.role !== 'assistant') return;
      const said = squash(reply.content);
      if (k < rounds.length - 1 && said && rest.startsWith(said)) {
        rest = rest.slice(said.length).trim();
        return;
      }
      reply.content = rest || '…';
      rest = '';
    });
  }

  async *respond(turn: UserTurn, opts: RespondOptions = {}): AsyncIterable<DialogueEvent> {
    const previous = this.turnDone;
    let ended!: () => void;
    this.turnDone = new Promise<void>((resolve) => (ended = resolve));
    try {
      // The turn the caller just cut short may still be winding down (a tool call finishing): its
      // messages go into history before this turn's words, so a tool result stays next to its call.
      await settledWithin(previous, PREVIOUS_TURN_WAIT_MS);
      if (this.streaming) this.commit(this.streaming); // it outlasted the wait
      yield* this.answer(turn, opts);
    } finally {
      ended();
    }
  }

  private async *answer(turn: UserTurn, opts: RespondOptions): AsyncIterable<DialogueEvent> {
    const text = turn.text.trim();
    this.history.push({ role: 'user', content: text || '(unintelligible)' });
    const fallback = this.opts.fallback;
    if (fallback?.takingMessage?.()) return yield* this.relay(fallback.respond(turn, opts));
    if (!text) return yield* this.notUnderstood(opts);

    const faqHit = this.opts.faq?.match(text);
    if (faqHit && faqHit.score >= (this.opts.faqDirectScore ?? 0.8) && !faqHit.entry.action) {
      this.failures = 0;
      this.pushReply(faqHit.entry.answer);
      yield { type: 'text', text: faqHit.entry.answer };
      return;
    }
    const owner = {};
    try {
      yield* this.converse(turn, opts, owner);
    } finally {
      if (this.streaming?.owner === owner) this.commit(this.streaming);
    }
  }

  /** Another dialogue's reply, kept in history as this turn's (as heard, if the caller cuts into it). */
  private async *relay(events: AsyncIterable<DialogueEvent>): AsyncIterable<DialogueEvent> {
    const flight: InFlight = (this.streaming = { owner: {}, text: '', rounds: [] });
    try {
      for await (const e of events) {
        if (e.type === 'text') flight.text += e.text;
        yield e;
      }
    } finally {
      this.commit(flight);
    }
  }

  /** A turn not understood: ask again, or after `offerMessageAfterFailures` of them in a row offer to take a message. */
  private async *notUnderstood(opts: RespondOptions): AsyncIterable<DialogueEvent> {
    this.failures++;
    const offerAfter = this.opts.offerMessageAfterFailures ?? 2;
    const p = this.opts.persona;
    const values = { name: p.name, company: p.company };
    if (offerAfter > 0 && this.failures >= offerAfter) {
      this.failures = 0;
      const takeMessage = this.opts.fallback?.takeMessage?.bind(this.opts.fallback);
      if (takeMessage) return yield* this.relay(takeMessage(opts));
      const offer = `${fillTemplate(p.prompts.offerMessage, values)} ${fillTemplate(p.prompts.askName, values)}`;
      this.pushReply(offer);
      yield { type: 'text', text: offer };
      return;
    }
    const repeat = fillTemplate(p.prompts.repeat, values);
    this.pushReply(repeat);
    yield { type: 'text', text: repeat };
  }

  /** The model's rounds for one caller turn (tools run between rounds), or the fallback's answer. */
  private async *converse(turn: UserTurn, opts: RespondOptions, owner: object): AsyncIterable<DialogueEvent> {
    let endCall: string | null = null;
    let spoke = false;
    const rounds: number[] = [];
    const maxRounds = this.opts.maxRounds ?? 3;
    for (let round = 0; round < maxRounds; round++) {
      const flight: InFlight = (this.streaming = { owner, text: '', rounds: [...rounds] });
      const calls: ToolCall[] = [];
      try {
        for await (const d of this.opts.llm.stream(this.history, { signal: opts.signal, tools: SECRETARY_TOOLS, temperature: this.opts.temperature })) {
          if (d.type === 'text') {
            flight.text += d.text;
            if (!spoke) this.failures = 0;
            spoke = true;
            yield { type: 'text', text: d.text };
          } else if (d.type === 'tool_call') {
            calls.push(d.call);
          }
        }
      } catch (err) {
        if (opts.signal?.aborted) break;
        if (!spoke && this.opts.fallback) {
          // Keep the model's history consistent: the fallback's words become the assistant turn
          // (committed by respond(), as heard if the caller cuts into them).
          for await (const e of this.opts.fallback.respond(turn, opts)) {
            if (e.type === 'text') flight.text += e.text;
            yield e;
          }
          return;
        }
        if (!spoke) {
          this.streaming = null;
          yield* this.notUnderstood(opts);
          return;
        }
        throw err;
      }
      if (opts.signal?.aborted) return;
      this.streaming = null;
      // An empty answer (no words, no tool) is no answer at all.
      if (round === 0 && !spoke && !calls.length) return yield* this.notUnderstood(opts);
      const reply = flight.text;
      this.pushReply(reply, rounds, calls.length ? calls : undefined);
      rounds.push(this.history.length - 1);
      if (!calls.length) break;
      // Every call's result goes into history before anything is yielded: a consumer that stops
      // at a yield (a barge-in) must not leave a tool call without its result, which the model's
      // API refuses on every later turn.
      const toolEvents: DialogueEvent[] = [];
      for (const call of calls) {
        const { result, events, end } = await this.runTool(call);
        this.history.push({ role: 'tool', toolCallId: call.id, content: result });
        toolEvents.push(...events);
        if (end) endCall = end;
      }
      yield* toolEvents;
      // After end_call, a goodbye already spoken is enough; otherwise let the model say one.
      if (endCall && reply.trim()) break;
    }
    if (endCall) yield { type: 'end_call', reason: endCall };
  }

  private async runTool(call: ToolCall): Promise<{ result: string; events: DialogueEvent[]; end?: string }> {
    let args: Record<string, unknown> = {};
    try {
      args = call.arguments ? (JSON.parse(call.arguments) as Record<string, unknown>) : {};
    } catch {
      return { result: JSON.stringify({ ok: false, error: 'arguments were not valid JSON' }), events: [] };
    }
    switch (call.name) {
      case 'take_message': {
        const message: TakenMessage = {
          callId: this.opts.context?.callId,
          callerName: String(args.caller_name ?? ''),
          callbackNumber: String(args.callback_number ?? this.opts.context?.callerNumber ?? ''),
          reason: String(args.reason ?? ''),
          language: this.opts.persona.language,
          callerId: this.opts.context?.callerNumber,
          createdAt: new Date().toISOString(),
        };
        try {
          await this.opts.store.save(message);
        } catch (err) {
          return { result: JSON.stringify({ ok: false, error: (err as Error).message }), events: [] };
        }
        return { result: JSON.stringify({ ok: true }), events: [{ type: 'message_taken', message }] };
      }
      case 'end_call':
        return { result: JSON.stringify({ ok: true }), events: [], end: String(args.reason ?? 'llm_end_call') };
      case 'notify':
        return { result: JSON.stringify({ ok: true }), events: [{ type: 'notify', text: String(args.text ?? '') }] };
      default:
        return { result: JSON.stringify({ ok: false, error: `unknown tool ${call.name}` }), events: [] };
    }
  }
}

/** Waits for `p` to settle, or `ms`, whichever comes first (the timer does not hold the process). */
async function settledWithin(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms).unref()))]);
  clearTimeout(timer);
}
