/**
 * The conversation configuration of every channel, from the database, as a ConversationSource:
 * an in-memory snapshot (conversation-snapshot.ts) that calls and chats resolve against without a
 * database round trip, rebuilt after every change.
 *
 * Every write path that touches what conversations use calls `changed()` once its write is done:
 * the admin routes (FAQ, personas, providers, the default backend, TTS presets, settings, modem
 * personas), a backup restore and a GDPR erasure. That reloads this process's snapshot before the
 * request answers (the next call or chat turn sees the edit) and tells the other gateways on the
 * database (change-bus.ts), which reload theirs. A call in progress keeps the configuration it
 * resolved when it started.
 */
import type { Logger } from 'pino';
import type { BuiltinConversationSource } from '../../pipeline/conversation/builtin-source.ts';
import type { ConversationConfig, ConversationRequest, ConversationSource, Greeting } from '../../pipeline/conversation/conversation.ts';
import { AUTO, LlmBackendChoice } from '../../pipeline/conversation/llm-choice.ts';
import type { EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import { dbErrorText } from '../db/rows.ts';
import { DEFAULT_BACKEND_KEY } from '../llm/llm-backend.ts';
import type { Repositories } from '../repositories/index.ts';
import { CONFIG_KEYS } from '../settings/config-keys.ts';
import type { ConfigChangeBus } from './change-bus.ts';
import { ConversationSnapshot, type StoredConfiguration } from './conversation-snapshot.ts';

export interface ConversationSourceOptions {
  repos: Repositories;
  bus: ConfigChangeBus;
  builtin: BuiltinConversationSource;
  egress?: EgressPolicy;
  log: Logger;
  /** Calls: how long a provider may take to a first token before the secretary answers the turn (LLM_FIRST_TOKEN_MS). */
  voiceFirstTokenMs?: number;
  /** First wait before retrying a reload that failed, doubled up to 30 s (default 1 s). */
  retryMs?: number;
}

const MAX_RETRY_MS = 30_000;

export class DatabaseConversationSource implements ConversationSource {
  #snapshot: ConversationSnapshot;
  readonly #listeners = new Set<() => void>();
  /** The reload running now, and whether another must follow it (a change arrived meanwhile). */
  #reloading: Promise<void> | null = null;
  #again = false;
  #retry: NodeJS.Timeout | null = null;
  #failures = 0;
  #closed = false;

  private constructor(
    private readonly opts: ConversationSourceOptions,
    first: ConversationSnapshot,
  ) {
    this.#snapshot = first;
  }

  /** Reads the configuration once (a failure fails the start) and listens for other gateways' changes. */
  static async open(opts: ConversationSourceOptions): Promise<DatabaseConversationSource> {
    const source = new DatabaseConversationSource(opts, new ConversationSnapshot(await loadStored(opts.repos), snapshotOptions(opts)));
    await opts.bus.start(() => void source.reload());
    return source;
  }

  /** What conversations resolve against now. */
  get snapshot(): ConversationSnapshot {
    return this.#snapshot;
  }

  resolve(request: ConversationRequest): ConversationConfig {
    return this.#snapshot.resolve(request);
  }

  greetings(): Greeting[] {
    return this.#snapshot.greetings();
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * A write through this process changed the configuration: resolves once this process uses it
   * (the request that made it can answer) and the other gateways were told. Never throws: the
   * write itself succeeded; a reload that fails is retried.
   */
  async changed(): Promise<void> {
    const reloaded = this.reload();
    await this.opts.bus.publish().catch((err: unknown) => this.opts.log.warn({ err: dbErrorText(err) }, 'could not tell the other gateways about a configuration change; they see it at their next reload'));
    await reloaded;
  }

  /** Read everything again (coalesced: changes during a reload cause one more, after it). */
  reload(): Promise<void> {
    if (this.#reloading) {
      this.#again = true;
      return this.#reloading;
    }
    const run = (async () => {
      do {
        this.#again = false;
        await this.#reloadOnce();
      } while (this.#again && !this.#closed);
    })().finally(() => (this.#reloading = null));
    this.#reloading = run;
    return run;
  }

  async #reloadOnce(): Promise<void> {
    if (this.#closed) return;
    try {
      const stored = await loadStored(this.opts.repos);
      if (this.#closed) return;
      this.#snapshot = new ConversationSnapshot(stored, snapshotOptions(this.opts));
      this.#failures = 0;
      if (this.#retry) clearTimeout(this.#retry);
      this.#retry = null;
    } catch (err) {
      // The database is away: keep answering from the last snapshot, and try again.
      const delay = Math.min(MAX_RETRY_MS, (this.opts.retryMs ?? 1000) * 2 ** this.#failures++);
      this.opts.log.warn({ err: dbErrorText(err), retry_in_ms: delay }, 'reloading the conversation configuration failed; calls and chats keep the last one');
      if (!this.#retry) {
        this.#retry = setTimeout(() => {
          this.#retry = null;
          void this.reload();
        }, delay);
        this.#retry.unref();
      }
      return;
    }
    for (const listener of this.#listeners) {
      try {
        listener();
      } catch (err) {
        this.opts.log.error({ err }, 'a configuration change listener failed');
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#retry) clearTimeout(this.#retry);
    await this.opts.bus.close();
    await this.#reloading?.catch(() => {});
  }
}

const snapshotOptions = (o: ConversationSourceOptions) => ({ builtin: o.builtin, egress: o.egress, log: o.log, voiceFirstTokenMs: o.voiceFirstTokenMs ?? 8000 });

/** One read of everything a snapshot is built from. Settings that no longer pass their schema (an old backup) take their defaults. */
async function loadStored(repos: Repositories): Promise<StoredConfiguration> {
  const [personas, faq, faqCount, enabled, presets, modemPersonas, config] = await Promise.all([
    repos.personas.list(),
    repos.faq.listEnabled(),
    repos.faq.count(),
    repos.llmProviders.listEnabled(),
    repos.ttsPresets.list(),
    repos.modemPersonas.list(),
    repos.config.all(),
  ]);
  const providers = await Promise.all(
    // Secrets for the URL in this very row: a key given for another origin is not sent (secret-binding.ts).
    enabled.map(async (row) => ({ row, ...(await repos.llmProviders.secretsFor(row)) })),
  );
  const stored = new Map(config.map((e) => [e.key, e.value]));
  const setting = <T>(key: string): T => {
    const k = CONFIG_KEYS[key];
    const r = k.schema.safeParse(stored.get(key));
    return (stored.has(key) && r.success ? r.data : k.default) as T;
  };
  const backend = LlmBackendChoice.safeParse(stored.get(DEFAULT_BACKEND_KEY));
  return {
    personas,
    faq,
    faqConfigured: faqCount > 0,
    providers,
    presets,
    modemPersonas,
    settings: {
      company: setting<string>('company.name'),
      defaultBackend: backend.success ? backend.data : AUTO,
      chatPersonaId: setting<number | null>('chat.default_persona_id'),
      faqThreshold: setting<number>('faq.threshold'),
      fallbackMessage: setting<string>('chat.fallback_message'),
      historyLimit: setting<number>('chat.max_history_messages'),
    },
  };
}
