/**
 * The live FAQ matcher, rebuilt from the database when an FAQ entry or the threshold changes. The
 * chat hot path only reads the prebuilt index; a periodic reload picks up edits made by another
 * process sharing the database.
 */
import type { FaqRepo } from '../repositories/faq.ts';
import type { SystemConfigRepo } from '../repositories/system-config.ts';
import { buildFaqMatcher, DEFAULT_THRESHOLD, type FaqMatch, type FaqMatcher } from './faq-matcher.ts';

export const FAQ_THRESHOLD_KEY = 'faq.threshold';

export class FaqService {
  #matcher: FaqMatcher | null = null;
  #loading: Promise<FaqMatcher> | null = null;
  #generation = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(
    private readonly faq: FaqRepo,
    private readonly config: SystemConfigRepo,
    reloadEveryMs = 30_000,
  ) {
    this.#timer = setInterval(() => this.invalidate(), reloadEveryMs);
    this.#timer.unref();
  }

  invalidate(): void {
    this.#generation++;
    this.#matcher = null;
  }

  async match(text: string): Promise<FaqMatch | null> {
    return (this.#matcher ?? (await this.#load())).match(text);
  }

  /** Match against a threshold other than the configured one (the admin "test a question" tool). */
  async matchWith(text: string, threshold: number): Promise<FaqMatch | null> {
    return buildFaqMatcher(await this.faq.listEnabled(), threshold).match(text);
  }

  #load(): Promise<FaqMatcher> {
    if (this.#loading) return this.#loading;
    const generation = this.#generation;
    this.#loading = (async () => {
      const [entries, threshold] = await Promise.all([this.faq.listEnabled(), this.config.get<number>(FAQ_THRESHOLD_KEY)]);
      const m = buildFaqMatcher(entries, threshold ?? DEFAULT_THRESHOLD);
      // An edit that landed while we were loading wins: keep the result for this call only.
      if (generation === this.#generation) this.#matcher = m;
      return m;
    })().finally(() => {
      this.#loading = null;
    });
    return this.#loading;
  }

  close(): void {
    clearInterval(this.#timer);
  }
}
