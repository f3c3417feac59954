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
import type { MessageStore } from './message-store.ts';
import { cueText, fillTemplate, greetingText, type Persona } from './persona.ts';
import { takenMessage } from './taken-message.ts';
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
  maxTokens?: number;
  /** The conversation so far (a text session's stored messages, a /v1 request's history), after the system prompt. */
  history?: readonly ChatMessage[];
  /** Instead of the persona's prompt (a /v1 client that sends its own system message). */
  systemPrompt?: string;
}

/** The FAQ as the model reads it, once per matcher: the answers, not the built-in intents (the prompt says how to take a message). */
const faqListings = new WeakMap<FaqMatcher, string>();
function faqListing(faq: FaqMatcher): string {
  let listing = faqListings.get(faq);
  if (listing === undefined) {
    listing = faq.entries.filter((e) => !e.action).map((e) => `Q: ${e.questions[0]}\nA: ${e.answer}`).join('\n');
    faqListings.set(faq, listing);
  }
  return listing;
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
    this.history.push({ role: 'system', content: this.systemPrompt() }, ...(opts.history ?? []).map((m) => ({ ...m })));
  }

  /** A copy of the conversation so far (for tests and transcripts). */
  messages(): ChatMessage[] {
    return this.history.map((m) => ({ ...m }));
  }

  private systemPrompt(): string {
    const p = this.opts.persona;
    const values = { name: p.name, company: p.company };
    let prompt = fillTemplate(this.opts.systemPrompt ?? p.systemPrompt, values);
    const faq = this.opts.faq ? faqListing(this.opts.faq) : '';
    if (faq) prompt += `\n\nFAQ:\n${faq}`;
    const caller = this.opts.context?.callerNumber;
    if (caller) prompt += `\n\nThe caller's number as shown by the network: ${caller}.`;
    return prompt;
  }

  async *greet(_opts?: RespondOptions): AsyncIterable<DialogueEvent> {
    const text = greetingText(this.opts.persona);
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
      yield { type: 'source', source: 'faq' };
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
    /** The model that answered and the tokens of all rounds, said once the turn is over. */
    const answered: { model?: string; usage?: { inputTokens: number; outputTokens: number } } = {};
    const rounds: number[] = [];
    const maxRounds = this.opts.maxRounds ?? 3;
    for (let round = 0; round < maxRounds; round++) {
      const flight: InFlight = (this.streaming = { owner, text: '', rounds: [...rounds] });
      const calls: ToolCall[] = [];
      try {
        const llmOpts = { signal: opts.signal, tools: SECRETARY_TOOLS, temperature: this.opts.temperature, maxTokens: this.opts.maxTokens };
        for await (const d of this.opts.llm.stream(this.history, llmOpts)) {
          if (d.type === 'text') {
            if (!spoke) yield { type: 'source', source: 'llm' };
            flight.text += d.text;
            if (!spoke) this.failures = 0;
            spoke = true;
            yield { type: 'text', text: d.text };
          } else if (d.type === 'tool_call') {
            calls.push(d.call);
          } else if (d.type === 'done') {
            answered.model = d.model;
            if (d.usage) answered.usage = { inputTokens: (answered.usage?.inputTokens ?? 0) + d.usage.inputTokens, outputTokens: (answered.usage?.outputTokens ?? 0) + d.usage.outputTokens };
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
          yield { type: 'source', source: 'secretary' };
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
    if (answered.model) yield { type: 'source', source: 'llm', model: answered.model, ...(answered.usage ? { usage: answered.usage } : {}) };
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
        const message = takenMessage(this.opts.context, this.opts.persona.language, {
          callerName: String(args.caller_name ?? ''),
          callbackNumber: String(args.callback_number ?? this.opts.context?.callerNumber ?? ''),
          reason: String(args.reason ?? ''),
        });
        try {
          await this.opts.store.save(message);
        } catch (err) {
          return { result: JSON.stringify({ ok: false, error: (err as Error).message }), events: [] };
        }
        return { result: JSON.stringify({ ok: true }), events: [{ type: 'message_taken', message }] };
      }
      case 'end_call':
        return { result: JSON.stringify({ ok: true }), events: [], end: String(args.reason ?? 'llm_end_call') };
      case 'notify': {
        // A request for a human is a message to the owner too: it goes where taken messages go.
        const text = String(args.text ?? '');
        const request = takenMessage(this.opts.context, this.opts.persona.language, {
          kind: 'human_requested',
          callerName: '',
          callbackNumber: this.opts.context?.callerNumber ?? '',
          reason: text,
        });
        try {
          await this.opts.store.save(request);
        } catch (err) {
          return { result: JSON.stringify({ ok: false, error: (err as Error).message }), events: [] };
        }
        return { result: JSON.stringify({ ok: true }), events: [{ type: 'notify', text }] };
      }
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
