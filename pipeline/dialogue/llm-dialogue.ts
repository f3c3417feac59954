/**
 * The LLM dialogue: FAQ first (a confident FAQ match is answered without the model, which is
 * faster and cannot hallucinate), otherwise the model, streaming, with take_message / end_call /
 * notify as tools. Tool results go back to the model for one more round so it can say something
 * natural ("I've noted that, goodbye"), up to a small number of rounds.
 *
 * If every provider fails before saying anything, the turn goes to the fallback dialogue (the
 * built-in secretary) so the caller still gets an answer.
 */
import type { FaqMatcher } from './faq-matcher.ts';
import type { MessageStore, TakenMessage } from './message-store.ts';
import { fillTemplate, type Persona } from './persona.ts';
import type { Dialogue, DialogueContext, DialogueEvent, RespondOptions, UserTurn } from './types.ts';
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
  temperature?: number;
}

/** A reply streaming in one respond() call, not yet in history. */
interface InFlight {
  /** The respond() call it belongs to: only that call's finally may commit it. */
  owner: object;
  text: string;
  /** This turn's earlier tool rounds' text, already in history at earlierIndex (-1: none). */
  earlier: string;
  earlierIndex: number;
  /** What the caller heard of the turn before cutting it short. */
  heard?: string;
}

/** Where a reply sits in history, and the turn's earlier rounds before it. */
interface Placed {
  index: number;
  earlier: string;
  earlierIndex: number;
}

const squash = (s: string) => s.replace(/\s+/g, ' ').trim();

export class LlmDialogue implements Dialogue {
  readonly name = 'llm';
  private readonly history: ChatMessage[] = [];
  /** The reply last put in history, for noteInterrupted once it has finished streaming. */
  private lastReply: Placed = { index: -1, earlier: '', earlierIndex: -1 };
  /**
   * The reply still streaming, not yet in history. A barge-in reaches noteInterrupted while the
   * reply is in flight, then ends its generator at whichever yield it waits on - possibly after
   * the next turn's respond() has begun - so the reply is committed by its own respond()'s
   * finally, or by the next respond() first, whichever comes first, as what was heard.
   */
  private streaming: InFlight | null = null;

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

  noteInterrupted(spokenText: string): void {
    const heard = spokenText ? `${spokenText}…` : '…';
    if (this.streaming) {
      this.streaming.heard = heard;
      return;
    }
    this.placeHeard(heard, this.lastReply);
  }

  private pushReply(text: string, earlier = '', earlierIndex = -1, toolCalls?: ToolCall[]): void {
    this.history.push({ role: 'assistant', content: text, toolCalls });
    this.lastReply = { index: this.history.length - 1, earlier, earlierIndex };
  }

  /** The in-flight reply into history (as heard, if interrupted), once: only while it is still the one in flight. */
  private commit(f: InFlight): void {
    if (this.streaming !== f) return;
    this.streaming = null;
    this.pushReply(f.text.trim() || '…', f.earlier, f.earlierIndex);
    if (f.heard !== undefined) this.placeHeard(f.heard, this.lastReply);
  }

  /**
   * What the caller heard covers the whole turn, earlier tool rounds included, which are already
   * in history: the reply keeps the part after them; cut inside an earlier round, that round's
   * message becomes what was heard and this one says nothing was.
   */
  private placeHeard(heard: string, at: Placed): void {
    const reply = this.history[at.index];
    if (!reply || reply.role !== 'assistant') return;
    const said = squash(heard);
    const before = squash(at.earlier);
    if (!before) reply.content = heard;
    else if (said.startsWith(before)) reply.content = said.slice(before.length).trim() || '…';
    else {
      const earlier = this.history[at.earlierIndex];
      if (earlier?.role === 'assistant') earlier.content = heard;
      reply.content = '…';
    }
  }

  async *respond(turn: UserTurn, opts: RespondOptions = {}): AsyncIterable<DialogueEvent> {
    // The reply the caller just cut short may still be winding down: it goes before the new words.
    if (this.streaming) this.commit(this.streaming);
    const text = turn.text.trim();
    const p = this.opts.persona;
    if (!text) {
      const repeat = fillTemplate(p.prompts.repeat, {});
      this.history.push({ role: 'user', content: '(unintelligible)' });
      this.pushReply(repeat);
      yield { type: 'text', text: repeat };
      return;
    }
    this.history.push({ role: 'user', content: text });

    const faqHit = this.opts.faq?.match(text);
    if (faqHit && faqHit.score >= (this.opts.faqDirectScore ?? 0.8) && !faqHit.entry.action) {
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

  /** The model's rounds for one caller turn (tools run between rounds), or the fallback's answer. */
  private async *converse(turn: UserTurn, opts: RespondOptions, owner: object): AsyncIterable<DialogueEvent> {
    const p = this.opts.persona;
    let endCall: string | null = null;
    let spoke = false;
    let earlier = '';
    let earlierIndex = -1;
    const maxRounds = this.opts.maxRounds ?? 3;
    for (let round = 0; round < maxRounds; round++) {
      const flight: InFlight = (this.streaming = { owner, text: '', earlier, earlierIndex });
      const calls: ToolCall[] = [];
      try {
        for await (const d of this.opts.llm.stream(this.history, { signal: opts.signal, tools: SECRETARY_TOOLS, temperature: this.opts.temperature })) {
          if (d.type === 'text') {
            flight.text += d.text;
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
          const sorry = fillTemplate(p.prompts.repeat, {});
          this.streaming = null;
          this.pushReply(sorry);
          yield { type: 'text', text: sorry };
          return;
        }
        throw err;
      }
      if (opts.signal?.aborted) return;
      this.streaming = null;
      const reply = flight.text;
      this.pushReply(reply, earlier, earlierIndex, calls.length ? calls : undefined);
      earlier = `${earlier} ${reply}`.trim();
      earlierIndex = this.lastReply.index;
      if (!calls.length) break;
      for (const call of calls) {
        const { result, events, end } = await this.runTool(call);
        for (const e of events) yield e;
        if (end) endCall = end;
        this.history.push({ role: 'tool', toolCallId: call.id, content: result });
      }
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
