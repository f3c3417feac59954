/**
 * Answers a text conversation: the FAQ first (no LLM, microseconds), then the enabled LLM providers
 * (falling back to the next on error, as long as nothing was streamed yet), then a polite fallback
 * message. Which provider goes first follows the request's model, the session's override, the
 * persona's provider and the default backend, in that order (llm-backend.ts). Providers, their keys,
 * the persona and the default are cached and reloaded when the admin API changes them.
 */
import type { Logger } from 'pino';
import { engineFailure, upstreamSummary } from '../../pipeline/engines/engine-error.ts';
import type { FaqService } from '../faq/faq-service.ts';
import type { Repositories } from '../repositories/index.ts';
import type { LlmProvider } from '../repositories/llm-providers.ts';
import { CONFIG_KEYS } from '../admin/config-keys.ts';
import { AUTO, DEFAULT_BACKEND_KEY, effectiveBackend, LlmBackendChoice } from '../llm/llm-backend.ts';
import type { LlmCaller, LlmMessage } from './llm-caller.ts';

export type AnswerSource = 'faq' | 'llm' | 'fallback';

export interface ChatAnswer {
  source: AnswerSource;
  text: string;
  /** The model that answered: `faq`, the provider's model, or `fallback`. */
  model: string;
  tokensIn: number;
  tokensOut: number;
  faqId?: number;
  providerId?: number;
  /**
   * The provider failed after part of its answer had been streamed (what failed and an error id;
   * the provider's own answer is in the log): `text` is that part, which the client already has.
   * Never set without streaming.
   */
  truncated?: string;
}

export interface AnswerOptions {
  signal: AbortSignal;
  /** `faq` answers from the FAQ only; a provider's model or name tries that provider first. */
  model?: string;
  maxTokens?: number;
  temperature?: number;
  onDelta?: (text: string) => Promise<void>;
  /** A persona's prompt for this conversation instead of the default persona's. */
  systemPrompt?: string | null;
  /** The conversation's persona's provider (undefined: the default persona's). */
  personaProviderId?: number | null;
  /** The chat session's own choice of backend, overriding the persona and the default. */
  sessionBackend?: LlmBackendChoice | null;
}

interface Snapshot {
  providers: Array<{ provider: LlmProvider; apiKey: string | null }>;
  systemPrompt: string | null;
  personaProviderId: number | null;
  defaultBackend: LlmBackendChoice;
  fallback: string;
  history: number;
}

/** A rough count for answers that do not come from an LLM (FAQ, fallback): about 4 characters a token. */
export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

export class ChatResponder {
  #snapshot: Promise<Snapshot> | null = null;

  constructor(
    private readonly repos: Repositories,
    private readonly faq: FaqService,
    private readonly log: Logger,
    private readonly callLlm: LlmCaller,
  ) {}

  invalidate(): void {
    this.#snapshot = null;
  }

  async answer(messages: LlmMessage[], opts: AnswerOptions): Promise<ChatAnswer> {
    const question = [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const promptTokens = estimateTokens(messages.map((m) => m.content).join(' '));
    const hit = question ? await this.faq.match(question) : null;
    if (hit) {
      if (opts.onDelta) await opts.onDelta(hit.answer);
      return { source: 'faq', text: hit.answer, model: 'faq', tokensIn: promptTokens, tokensOut: estimateTokens(hit.answer), faqId: hit.id };
    }
    const snap = await (this.#snapshot ??= this.#load());
    const chain = this.#chain(snap, opts);
    if (chain.length) {
      const prompt = withSystem(messages.slice(-Math.max(1, snap.history + 1)), opts.systemPrompt ?? snap.systemPrompt);
      for (const { provider, apiKey } of chain) {
        let streamed = '';
        try {
          const r = await this.callLlm(provider, apiKey, prompt, {
            signal: opts.signal,
            maxTokens: opts.maxTokens,
            temperature: opts.temperature,
            onDelta: opts.onDelta && (async (d) => {
              await opts.onDelta!(d);
              streamed += d; // counted once it reached the client: a failed write is not "sent so far"
            }),
          });
          return { source: 'llm', text: r.text, model: provider.model, tokensIn: r.tokensIn ?? promptTokens, tokensOut: r.tokensOut ?? estimateTokens(r.text), providerId: provider.id };
        } catch (err) {
          if (opts.signal.aborted) throw err;
          const failure = this.#failure(provider, err);
          // Half an answer already reached the client: switching provider would splice two answers.
          // The caller is told (truncated), so the cut answer never passes for a complete one.
          if (streamed) {
            return { source: 'llm', text: streamed, model: provider.model, tokensIn: promptTokens, tokensOut: estimateTokens(streamed), providerId: provider.id, truncated: failure.message };
          }
        }
      }
    }
    if (opts.onDelta) await opts.onDelta(snap.fallback);
    return { source: 'fallback', text: snap.fallback, model: 'fallback', tokensIn: promptTokens, tokensOut: estimateTokens(snap.fallback) };
  }

  async models(): Promise<string[]> {
    const snap = await (this.#snapshot ??= this.#load());
    return [...new Set(['faq', ...snap.providers.map((p) => p.provider.model)])];
  }

  /**
   * A connection test: one short completion from one provider (enabled or not), with its own
   * timeout, reporting how long it took or what failed: the HTTP status or kind of failure and an
   * error id, never the provider's own answer (that is in the log under the id). Nothing is cached
   * or counted.
   */
  async testProvider(listed: LlmProvider, signal: AbortSignal): Promise<{ ok: boolean; latency_ms: number; reply?: string; error?: string; error_id?: string }> {
    const started = performance.now();
    try {
      const { provider, apiKey } = await this.#withSecrets(listed);
      const r = await this.callLlm(provider, apiKey, [{ role: 'user', content: 'Reply with the single word OK.' }], { signal, maxTokens: 5 });
      return { ok: true, latency_ms: round(performance.now() - started), reply: r.text.slice(0, 200) };
    } catch (err) {
      const failure = this.#failure(listed, err);
      return { ok: false, latency_ms: round(performance.now() - started), error: failure.message, error_id: failure.errorId };
    }
  }

  /** Logs what the provider said (or why it was not reached) under an error id; the error says only what failed. */
  #failure(provider: LlmProvider, err: unknown) {
    return engineFailure(this.log, `llm provider ${provider.name}`, upstreamSummary(err), { err, provider_id: provider.id });
  }

  /** Listed providers show no secrets; the call needs the key (for the URL it goes to) and the proxy's password. */
  async #withSecrets(provider: LlmProvider): Promise<{ provider: LlmProvider; apiKey: string | null }> {
    const { apiKey, proxyUrl } = await this.repos.llmProviders.secretsFor(provider);
    return { provider: { ...provider, proxy_url: proxyUrl }, apiKey };
  }

  /** The default backend as stored, or `auto` if unset or no longer valid. */
  async defaultBackend(): Promise<LlmBackendChoice> {
    return (await (this.#snapshot ??= this.#load())).defaultBackend;
  }

  /** Providers to try, in order; empty means FAQ and fallback only. */
  #chain(snap: Snapshot, opts: AnswerOptions): Snapshot['providers'] {
    if (opts.model === 'faq') return [];
    const named = opts.model ? snap.providers.filter((p) => p.provider.model === opts.model || p.provider.name === opts.model) : [];
    if (named.length) return preferring(snap.providers, named);
    const choice = effectiveBackend({
      session: opts.sessionBackend,
      personaProviderId: opts.personaProviderId === undefined ? snap.personaProviderId : opts.personaProviderId,
      fallback: snap.defaultBackend,
    });
    if (choice.backend === 'faq') return [];
    if (choice.backend === 'auto') return snap.providers;
    return preferring(snap.providers, snap.providers.filter((p) => p.provider.id === choice.provider_id));
  }

  #load(): Promise<Snapshot> {
    const p = (async () => {
      const providers = await this.repos.llmProviders.listEnabled();
      const withKeys = await Promise.all(providers.map((provider) => this.#withSecrets(provider)));
      const personaId = await this.repos.config.get<number | null>('chat.default_persona_id');
      const persona = (personaId ? await this.repos.personas.get(personaId) : undefined) ?? (await this.repos.personas.getDefault());
      const stored = LlmBackendChoice.safeParse(await this.repos.config.get(DEFAULT_BACKEND_KEY));
      return {
        providers: withKeys,
        systemPrompt: persona?.system_prompt ?? null,
        personaProviderId: persona?.llm_provider_id ?? null,
        defaultBackend: stored.success ? stored.data : AUTO,
        fallback: (await this.repos.config.get<string>('chat.fallback_message')) ?? (CONFIG_KEYS['chat.fallback_message'].default as string),
        history: (await this.repos.config.get<number>('chat.max_history_messages')) ?? (CONFIG_KEYS['chat.max_history_messages'].default as number),
      };
    })();
    // A failed load must not stick: the next request tries again.
    p.catch(() => {
      if (this.#snapshot === p) this.#snapshot = null;
    });
    return p;
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10;

/** The preferred providers first, the rest behind them as the fallback chain. */
function preferring(providers: Snapshot['providers'], preferred: Snapshot['providers']): Snapshot['providers'] {
  return [...preferred, ...providers.filter((p) => !preferred.includes(p))];
}

function withSystem(messages: LlmMessage[], systemPrompt: string | null): LlmMessage[] {
  if (!systemPrompt || messages.some((m) => m.role === 'system')) return messages;
  return [{ role: 'system', content: systemPrompt }, ...messages];
}
