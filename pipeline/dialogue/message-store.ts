/**
 * Where taken messages go. The dialogue only knows this interface; the control plane injects its
 * database-backed store, tests and a bare gateway use the in-memory one.
 */
export interface TakenMessage {
  /** What the message is: one a caller left, or a request for a human (the LLM's `notify`). Default `message`. */
  kind?: 'message' | 'human_requested';
  /** The channel it came through: `ws`, `modem`, `chat` (admin), `v1`, `widget`, `telegram`. */
  channel?: string;
  /** A voice call's id. */
  callId?: string;
  /** A text conversation's chat session id. */
  sessionId?: number;
  callerName: string;
  callbackNumber: string;
  reason: string;
  language: string;
  /** The caller id the network gave, when any (may differ from callbackNumber). */
  callerId?: string;
  createdAt: string;
}

export interface MessageStore {
  save(message: TakenMessage): Promise<void>;
}

export class InMemoryMessageStore implements MessageStore {
  readonly messages: TakenMessage[] = [];
  async save(message: TakenMessage): Promise<void> {
    this.messages.push(message);
  }
}
