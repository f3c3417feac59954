/**
 * The control plane's text channels over the one conversation core (pipeline/conversation/
 * text-turn.ts): a turn in a stored chat session (the admin chat today; the widget and Telegram
 * sessions next), and a stateless /v1 chat completion. Both resolve the conversation from the
 * live snapshot, like a call does; taken messages go to the MessageStore, marked with the channel
 * and the session.
 */
import type { ChatMessage as LlmMessage } from '../../pipeline/engines/types.ts';
import type { MessageStore } from '../../pipeline/dialogue/message-store.ts';
import { parseSecretaryState } from '../../pipeline/dialogue/secretary-state.ts';
import { textTurn, type TextTurnResult } from '../../pipeline/conversation/text-turn.ts';
import { sessionOverride } from '../llm/llm-backend.ts';
import { normaliseCallbackNumber } from '../messages/message-record.ts';
import type { ChatMessage, ChatRepo, ChatSession } from '../repositories/chat.ts';
import type { DatabaseConversationSource } from './conversation-source.ts';

export interface TurnOptions {
  signal: AbortSignal;
  /** `faq`: no LLM; a provider's model or name: that provider first. */
  model?: string;
  maxTokens?: number;
  temperature?: number;
  /** Each piece of the reply as it is produced. */
  onText?: (text: string) => Promise<void>;
  /**
   * Who the channel knows the writer as (`telegram:<user id>`): taken messages carry it as their
   * caller id, so the owner sees who wrote and a GDPR erasure of that id finds them. Not offered
   * as a callback number (that is the network's caller id, which a chat has none of).
   */
  callerId?: string;
}

/** A message of a /v1 request, its roles folded into the three every server understands. */
export interface ClientMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export class TextChat {
  constructor(
    private readonly chat: ChatRepo,
    private readonly conversations: DatabaseConversationSource,
    private readonly messages: MessageStore,
  ) {}

  /**
   * One typed turn in a stored session: the user's message is stored, the reply is produced with
   * the session's history, persona and LLM choice and the secretary's state of its last turn, and
   * stored as far as it was sent (a provider failing mid-answer leaves the part sent, and says so).
   */
  async sessionTurn(session: ChatSession, content: string, opts: TurnOptions): Promise<{ turn: TextTurnResult; stored: ChatMessage }> {
    const history = (await this.chat.messages(session.id)).map((m): LlmMessage => ({ role: m.role, content: m.content }));
    const state = parseSecretaryState(await this.chat.dialogueState(session.id));
    await this.chat.addMessage(session, 'user', content);
    const channel = session.source === 'admin' ? 'chat' : session.source;
    const config = this.conversations.resolve({
      channel,
      persona: session.persona_id === null ? undefined : String(session.persona_id),
      llm: sessionOverride(session),
      model: opts.model,
    });
    const callerId = opts.callerId;
    const store: MessageStore = callerId ? { save: (m) => this.messages.save({ ...m, callerId: m.callerId ?? callerId }) } : this.messages;
    const turn = await textTurn({
      config,
      store: this.#contactRecording(session, store),
      context: { channel, sessionId: session.id },
      history,
      state,
      text: content,
      signal: opts.signal,
      onText: opts.onText,
      temperature: opts.temperature,
      maxTokens: opts.maxTokens,
    });
    return { turn, stored: await this.chat.finishTurn(session, turn.state, turn.text) };
  }

  /**
   * A /v1 chat completion: the client sends the whole conversation, so there is no state to carry
   * a message being taken across requests. The last user message is the turn; what came before it
   * is the history; the client's system messages replace the persona's prompt.
   */
  async complete(messages: readonly ClientMessage[], opts: TurnOptions): Promise<TextTurnResult> {
    const last = messages.findLastIndex((m) => m.role === 'user');
    const system = messages.filter((m) => m.role === 'system').map((m) => m.content);
    const history = messages.slice(0, Math.max(0, last)).filter((m) => m.role !== 'system');
    return textTurn({
      config: this.conversations.resolve({ channel: 'v1', model: opts.model }),
      store: this.messages,
      context: { channel: 'v1' },
      history,
      text: last >= 0 ? messages[last].content : '',
      signal: opts.signal,
      onText: opts.onText,
      systemPrompt: system.length ? system.join('\n\n') : undefined,
      temperature: opts.temperature,
      maxTokens: opts.maxTokens,
    });
  }

  /**
   * The inbox, and a session without a contact gets the callback number of the message left in it:
   * a person asking for their data names their number, and GDPR export and erase find sessions by
   * contact (control/legal), so a widget visitor's conversation goes with their message.
   */
  #contactRecording(session: ChatSession, inbox: MessageStore): MessageStore {
    return {
      save: async (m) => {
        await inbox.save(m);
        const contact = normaliseCallbackNumber(m.callbackNumber);
        if (contact && !session.contact) await this.chat.updateSession(session.id, { contact });
      },
    };
  }

  /** `faq` and the model of each provider conversations may use now. */
  models(): string[] {
    return [...new Set(['faq', ...this.conversations.snapshot.providers.map((p) => p.model)])];
  }
}
