/**
 * Answers a text conversation: the FAQ first (no LLM, microseconds), then the enabled LLM providers
 * in priority order (falling back to the next on error, as long as nothing was streamed yet), then
 * a polite fallback message. Providers, their keys and the persona are cached and reloaded when the
 * admin API changes them.
 */
import type { Logger } from 'pino';
import type { FaqService } from '../faq/faq-service.ts';
import type { Repositories } from '../repositories/index.ts';
import type { LlmProvider } from '../repositories/llm-providers.ts';
import { CONFIG_KEYS } from '../admin/config-keys.ts';
import { openAiCaller, type LlmCaller, type LlmMessage } from './llm-caller.ts';

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
}

interface Snapshot {
  providers: Array<{ provider: LlmProvider; apiKey: string | null }>;
  systemPrompt: string | null;
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
    private readonly callLlm: LlmCaller = openAiCaller,
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
    if (opts.model !== 'faq') {
      const chain = orderFor(snap.providers, opts.model);
      const prompt = withSystem(messages.slice(-Math.max(1, snap.history + 1)), opts.systemPrompt ?? snap.systemPrompt);
      for (const { provider, apiKey } of chain) {
        let streamed = false;
        try {
          const r = await this.callLlm(provider, apiKey, prompt, {
            signal: opts.signal,
            maxTokens: opts.maxTokens,
            temperature: opts.temperature,
            onDelta: opts.onDelta && (async (d) => {
              streamed = true;
              await opts.onDelta!(d);
            }),
          });
          return { source: 'llm', text: r.text, model: provider.model, tokensIn: r.tokensIn ?? promptTokens, tokensOut: r.tokensOut ?? estimateTokens(r.text), providerId: provider.id };
        } catch (err) {
          if (opts.signal.aborted) throw err;
          this.log.warn({ err, provider: provider.name }, 'LLM provider failed; trying the next');
          // Half an answer already reached the client: switching provider would splice two answers.
          if (streamed) return { source: 'llm', text: '', model: provider.model, tokensIn: promptTokens, tokensOut: 0, providerId: provider.id };
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

  #load(): Promise<Snapshot> {
    const p = (async () => {
      const providers = await this.repos.llmProviders.listEnabled();
      const withKeys = await Promise.all(providers.map(async (provider) => ({ provider, apiKey: await this.repos.llmProviders.getApiKey(provider.id) })));
      const personaId = await this.repos.config.get<number | null>('chat.default_persona_id');
      const persona = (personaId ? await this.repos.personas.get(personaId) : undefined) ?? (await this.repos.personas.getDefault());
      return {
        providers: withKeys,
        systemPrompt: persona?.system_prompt ?? null,
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

function orderFor(providers: Snapshot['providers'], model: string | undefined) {
  if (!model) return providers;
  const preferred = providers.filter((p) => p.provider.model === model || p.provider.name === model);
  return [...preferred, ...providers.filter((p) => !preferred.includes(p))];
}

function withSystem(messages: LlmMessage[], systemPrompt: string | null): LlmMessage[] {
  if (!systemPrompt || messages.some((m) => m.role === 'system')) return messages;
  return [{ role: 'system', content: systemPrompt }, ...messages];
}
