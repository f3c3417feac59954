/**
 * One turn of a typed conversation, for every text channel (admin chat, /v1, the widget and
 * Telegram to come): resolve the conversation, send the user's text, stream the reply. It runs
 * the same dialogues as a call: the LLM (FAQ first, tools to take a message or ask for a human)
 * when the conversation has one, with the built-in secretary behind it, or the secretary alone.
 *
 * Sessions keep the secretary's state between turns (`state`), so a visitor can leave a message
 * by typing: name, number, reason, read-back, confirmation, over several requests. A channel
 * without sessions (/v1, whose clients send the whole history each time) passes no state and
 * gets the FAQ and the LLM with its tools, then a fixed message: there is no conversation of its
 * own to carry a half-taken message across requests.
 */
import { FaqAnswer } from '../dialogue/faq-answer.ts';
import { LlmDialogue } from '../dialogue/llm-dialogue.ts';
import type { MessageStore } from '../dialogue/message-store.ts';
import { Secretary } from '../dialogue/secretary.ts';
import type { SecretaryState } from '../dialogue/secretary-state.ts';
import type { AnswerSource, Dialogue, DialogueContext } from '../dialogue/types.ts';
import { EngineError } from '../engines/engine-error.ts';
import type { ChatMessage } from '../engines/types.ts';
import type { ConversationConfig } from './conversation.ts';

export interface TextTurnRequest {
  config: ConversationConfig;
  store: MessageStore;
  /** The channel and session taken messages are marked with (`medium` is always text here). */
  context: Omit<DialogueContext, 'medium'>;
  /** Earlier messages, oldest first; only the last `config.historyLimit` reach the LLM. */
  history: readonly ChatMessage[];
  /** A session's secretary state from its previous turn (null: none yet). Undefined: a channel without sessions. */
  state?: SecretaryState | null;
  text: string;
  signal: AbortSignal;
  /** Each piece of the reply as it comes (an LLM's deltas, the secretary's sentences). */
  onText?: (text: string) => Promise<void>;
  /** Instead of the persona's prompt (a /v1 client's own system message). */
  systemPrompt?: string;
  temperature?: number;
  maxTokens?: number;
}

export interface TextTurnResult {
  text: string;
  source: AnswerSource;
  /** `faq`, the provider's model, `secretary` or `fallback`. */
  model: string;
  tokensIn: number;
  tokensOut: number;
  /** What to store for the session's next turn (null: start at the menu). */
  state: SecretaryState | null;
  /** The dialogue finished (a message taken, a goodbye): the next message starts afresh. */
  ended: boolean;
  /** The model failed after part of its answer had been sent: what failed and an error id; `text` is that part. */
  truncated?: { message: string; errorId?: string };
}

/** A rough count for answers that do not come from an LLM, or a provider that reports none: about 4 characters a token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export async function textTurn(req: TextTurnRequest): Promise<TextTurnResult> {
  const { config } = req;
  const context: DialogueContext = { ...req.context, medium: 'text' };
  const stateful = req.state !== undefined;
  const secretary = stateful
    ? new Secretary({
        persona: config.persona,
        faq: config.faq,
        store: req.store,
        context,
        initialState: req.state && req.state.kind !== 'done' ? req.state : undefined,
        offerMessageAfterFailures: config.dialogue.offerMessageAfterFailures,
      })
    : null;
  const fallback: Dialogue = secretary ?? new FaqAnswer(config.faq, config.fallbackMessage);
  const history = config.historyLimit > 0 ? req.history.slice(-config.historyLimit) : [];
  const dialogue: Dialogue = config.llm
    ? new LlmDialogue({
        llm: config.llm,
        persona: config.persona,
        store: req.store,
        faq: config.faq,
        context,
        fallback,
        history,
        offerMessageAfterFailures: config.dialogue.offerMessageAfterFailures,
        systemPrompt: req.systemPrompt,
        temperature: req.temperature,
        maxTokens: req.maxTokens,
      })
    : fallback;

  let text = '';
  let source: AnswerSource = 'fallback';
  let model: string | undefined;
  /** Token counts the providers reported, summed over the turn's model rounds. */
  const usage = { inputTokens: 0, outputTokens: 0, reported: false };
  let ended = false;
  let truncated: TextTurnResult['truncated'];
  try {
    for await (const e of dialogue.respond({ text: req.text }, { signal: req.signal })) {
      if (e.type === 'text') {
        // Counted once it reached the client: a failed write is not "sent so far".
        await req.onText?.(e.text);
        text += e.text;
      } else if (e.type === 'source') {
        source = e.source;
        model = e.model ?? model;
        if (e.usage) {
          usage.inputTokens += e.usage.inputTokens;
          usage.outputTokens += e.usage.outputTokens;
          usage.reported = true;
        }
      } else if (e.type === 'end_call') {
        ended = true;
      }
    }
  } catch (err) {
    // Half an answer already reached the client: switching to another provider would splice two
    // answers, so the turn ends here and says it was cut. With nothing sent, it is a real failure.
    if (!text || req.signal.aborted) throw err;
    truncated = { message: err instanceof Error ? err.message : String(err), errorId: err instanceof EngineError ? err.errorId : undefined };
  }
  const promptText = [...history.map((m) => m.content), req.text].join(' ');
  return {
    // Whole answers lose the secretary's sentence-separating space; a cut one stays exactly what was sent.
    text: truncated ? text : text.trim(),
    source,
    model: source === 'llm' ? (model ?? 'llm') : source,
    tokensIn: usage.reported ? usage.inputTokens : estimateTokens(promptText),
    tokensOut: usage.reported ? usage.outputTokens : estimateTokens(text),
    state: secretary && !ended ? secretary.state : null,
    ended,
    ...(truncated ? { truncated } : {}),
  };
}
