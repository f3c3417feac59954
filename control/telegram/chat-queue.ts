/**
 * Updates of one chat handled in the order they came, different chats at the same time, at most
 * `maxConcurrent` at once (each may be an LLM answer being streamed, a transcription or a voice
 * note being synthesised). A job's failure is its caller's to handle: it never stops the chat's
 * later jobs.
 */
export class ChatQueue {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #waiting: Array<() => void> = [];
  #running = 0;
  #pending = 0;
  #idle: Array<() => void> = [];

  constructor(private readonly maxConcurrent = 8) {}

  /** Jobs queued or running. */
  get size(): number {
    return this.#pending;
  }

  run<T>(chat: string, job: () => Promise<T>): Promise<T> {
    this.#pending++;
    const before = this.#tails.get(chat) ?? Promise.resolve();
    const result = before.then(
      () => this.#slot(job),
      () => this.#slot(job),
    );
    const tail = result.then(
      () => {},
      () => {},
    );
    this.#tails.set(chat, tail);
    void tail.then(() => {
      if (this.#tails.get(chat) === tail) this.#tails.delete(chat);
      if (--this.#pending === 0) for (const resolve of this.#idle.splice(0)) resolve();
    });
    return result;
  }

  /** Resolves once nothing is queued or running. */
  idle(): Promise<void> {
    return this.#pending === 0 ? Promise.resolve() : new Promise((resolve) => this.#idle.push(resolve));
  }

  async #slot<T>(job: () => Promise<T>): Promise<T> {
    // A finishing job hands its slot straight to the next waiter, so no newcomer slips in between.
    if (this.#running >= this.maxConcurrent) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#running++;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
