/**
 * A reply shown in a Telegram chat while it is being written: the first piece is sent as a
 * message, later pieces edit that message, and text past Telegram's 4096-character limit goes on
 * in a new message (cut at a paragraph, line or word break near the limit when there is one).
 *
 * Telegram allows a bot about one message per second in a chat, edits included, so requests to
 * the chat are spaced `intervalMs` apart: pieces that arrive meanwhile are shown together by the
 * next edit, an edit never repeats the text already shown (Telegram refuses those: "message is
 * not modified"), and `finish` makes the last edit with the whole text. `append` never waits for
 * Telegram, so a slow chat (or a 429 being waited out in bot-api.ts) never slows the model down.
 */
export const TELEGRAM_TEXT_LIMIT = 4096;

export interface ReplyTarget {
  /** Sends a new message; resolves with its id. */
  send(text: string): Promise<number>;
  edit(messageId: number, text: string): Promise<void>;
}

export interface StreamedReplyOptions {
  /** Least time between two requests to the chat (default 1000 ms). */
  intervalMs?: number;
  /** Characters per message (default Telegram's 4096). */
  limit?: number;
}

/** Where to end a message of at most `limit` characters: a paragraph, line, sentence or word break in its last quarter, else the limit. */
export function cutPoint(text: string, limit: number): number {
  if (text.length <= limit) return text.length;
  const window = text.slice(0, limit);
  const floor = Math.floor(limit * 0.75);
  for (const sep of ['\n\n', '\n', '. ', ' ']) {
    const at = window.lastIndexOf(sep);
    if (at >= floor) return at + sep.length;
  }
  // Never between the two halves of a surrogate pair (an emoji).
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

export class StreamedReply {
  #text = '';
  /** Characters of #text that went into messages now finished. */
  #closed = 0;
  #current: { id: number; shown: string } | null = null;
  #lastRequestAt = 0;
  #timer: NodeJS.Timeout | null = null;
  #work: Promise<void> = Promise.resolve();
  #error: unknown = null;
  readonly #interval: number;
  readonly #limit: number;
  /** Ids of every message this reply sent, in order. */
  readonly messageIds: number[] = [];

  constructor(
    private readonly target: ReplyTarget,
    opts: StreamedReplyOptions = {},
  ) {
    this.#interval = opts.intervalMs ?? 1000;
    this.#limit = opts.limit ?? TELEGRAM_TEXT_LIMIT;
  }

  /** The first failure talking to Telegram, if any (the reply stopped being shown then). */
  get error(): unknown {
    return this.#error;
  }

  append(piece: string): void {
    if (!piece) return;
    this.#text += piece;
    if (this.#current === null && this.#closed === 0 && this.#lastRequestAt === 0 && this.#text.trim()) {
      this.#enqueue(false); // the first piece at once: the user sees the bot answering
      return;
    }
    this.#schedule();
  }

  /** Shows `fullText` (what the turn produced; default what was appended) completely, then resolves. */
  async finish(fullText?: string): Promise<void> {
    if (fullText !== undefined && fullText !== this.#text) {
      // The turn's text is the truth (it may be trimmed); keep what is already closed if it still matches.
      if (!fullText.startsWith(this.#text.slice(0, this.#closed))) this.#closed = 0;
      this.#text = fullText;
    }
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#enqueue(true);
    await this.#work;
  }

  #schedule(): void {
    if (this.#timer) return;
    const due = Math.max(0, this.#lastRequestAt + this.#interval - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#enqueue(false);
    }, due);
  }

  #enqueue(final: boolean): void {
    this.#work = this.#work.then(() => this.#flush(final));
  }

  async #flush(final: boolean): Promise<void> {
    if (this.#error) return;
    try {
      for (;;) {
        let open = this.#text.slice(this.#closed);
        if (this.#current === null) {
          // A new message does not start with the blank the cut left.
          const blank = open.length - open.trimStart().length;
          this.#closed += blank;
          open = open.slice(blank);
        }
        if (open.length > this.#limit) {
          const cut = cutPoint(open, this.#limit);
          await this.#show(open.slice(0, cut).trimEnd());
          this.#current = null;
          this.#closed += cut;
          continue;
        }
        if (!final && Date.now() - this.#lastRequestAt < this.#interval && this.#current !== null) {
          this.#schedule();
          return;
        }
        await this.#show(open.trimEnd()); // Telegram drops trailing blanks: comparing what it shows
        return;
      }
    } catch (err) {
      this.#error = err;
    }
  }

  /** One request to the chat, no sooner than the interval after the last one. */
  async #show(text: string): Promise<void> {
    if (!text.trim()) return;
    if (this.#current && this.#current.shown === text) return;
    const wait = this.#lastRequestAt + this.#interval - Date.now();
    if (wait > 0 && this.#lastRequestAt > 0) await new Promise((r) => setTimeout(r, wait));
    this.#lastRequestAt = Date.now();
    if (this.#current === null) {
      const id = await this.target.send(text);
      this.#current = { id, shown: text };
      this.messageIds.push(id);
    } else {
      await this.target.edit(this.#current.id, text);
      this.#current.shown = text;
    }
    this.#lastRequestAt = Date.now();
  }
}
