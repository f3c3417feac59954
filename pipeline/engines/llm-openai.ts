/**
 * LLM over any OpenAI-compatible /v1/chat/completions endpoint (vLLM, Ollama, OpenAI, OpenRouter,
 * DeepSeek, Gemini's and Anthropic's compatibility endpoints), streaming, with a fallback chain.
 *
 * A provider is abandoned for the next one only before it has produced anything: a connect
 * failure (after the SDK's own retries), an HTTP error, or no first token within `firstTokenMs`.
 * Once text has been yielded it has been spoken, so a failure mid-reply is thrown, not retried
 * elsewhere (the caller would hear the start twice). Aborting (barge-in) ends the stream quietly.
 *
 * This is the one LLM caller of every channel (calls, admin chat, /v1). A provider's client and its
 * health live in an LlmProviderClient, made once per configuration; a conversation's chain is a
 * cheap OpenAiCompatibleLlm over the clients in the order that conversation tries them.
 */
import OpenAI from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import type { EgressPolicy } from '../net/egress-policy.ts';
import { proxyClientOptions } from '../net/outbound-http.ts';
import { engineFailure, upstreamSummary, type EngineError, type EngineLog } from './engine-error.ts';
import { isAbortError, type ChatMessage, type EngineHealth, type LlmDelta, type LlmEngine, type LlmOptions, type ToolCall } from './types.ts';

export interface LlmProviderConfig {
  /** For logs, health and the 'done' delta. */
  name: string;
  baseURL: string;
  apiKey?: string;
  model: string;
  /** No first token within this long: try the next provider (default 8000 ms). */
  firstTokenMs?: number;
  /** Whole-request limit (default 60000 ms). */
  timeoutMs?: number;
  /** SDK retries on connection errors / 5xx / 429 before falling back (default 1). */
  maxRetries?: number;
  temperature?: number;
  headers?: Record<string, string>;
  /** HTTP(S) proxy for this provider only, `http://[user:password@]host:port` (see pipeline/net/outbound-http.ts). */
  proxyUrl?: string;
  /** Further per-provider `fetch` options; a proxy's dispatcher comes from `proxyUrl`. */
  fetchOptions?: Record<string, unknown>;
  /** For an admin-configured provider: where its requests may go. Env-configured ones have none. */
  egress?: EgressPolicy;
}

/** Our own words, so it may be shown as it is. */
class NoFirstTokenError extends Error {}

export class LlmUnavailableError extends Error {
  override readonly name = 'LlmUnavailableError';
  /** Each provider tried, with what failed (and the error id of the log line with its own answer). */
  constructor(readonly failures: ReadonlyArray<{ provider: string; error: EngineError }>) {
    super(`all LLM providers failed: ${failures.map((f) => `${f.provider}: ${f.error.message}`).join('; ')}`);
  }
}

/** One provider: its SDK client and how its last request went (shared by every chain that uses it). */
export class LlmProviderClient {
  lastError: string | null = null;
  lastOkAt: number | null = null;
  #client: OpenAI | Error | null = null;

  constructor(readonly config: LlmProviderConfig) {}

  /**
   * Made on first use. A bad proxy URL throws here: for the operator's own provider that is read at
   * start (a misconfiguration stops it); for a stored one it counts as the provider failing, every time.
   */
  get client(): OpenAI {
    if (!this.#client) {
      const config = this.config;
      try {
        const proxy = proxyClientOptions(config.proxyUrl, config.egress);
        this.#client = new OpenAI({
          baseURL: config.baseURL,
          apiKey: config.apiKey ?? 'not-needed',
          maxRetries: config.maxRetries ?? 1,
          timeout: config.timeoutMs ?? 60000,
          defaultHeaders: config.headers,
          fetch: proxy.fetch,
          fetchOptions: { ...config.fetchOptions, ...proxy.fetchOptions } as never,
        });
      } catch (err) {
        this.#client = err instanceof Error ? err : new Error(String(err));
      }
    }
    if (this.#client instanceof Error) throw this.#client;
    return this.#client;
  }
}

export class OpenAiCompatibleLlm implements LlmEngine {
  readonly name: string;
  private readonly providers: LlmProviderClient[];

  /**
   * Providers in the order they are tried: configurations (a client is made for each) or clients
   * made earlier. `log`: where a failing provider's answer goes (errors and health only say what
   * failed and an error id).
   */
  constructor(
    providers: ReadonlyArray<LlmProviderConfig | LlmProviderClient>,
    private readonly log?: EngineLog,
    /** The longest any provider of this chain may take to a first token (a caller on the line waits less than a chat). */
    private readonly maxFirstTokenMs = Infinity,
  ) {
    if (!providers.length) throw new Error('at least one LLM provider is required');
    this.providers = providers.map((p) => {
      if (p instanceof LlmProviderClient) return p;
      const client = new LlmProviderClient(p);
      void client.client; // a configuration given here is the operator's: a bad one throws now, at construction
      return client;
    });
    this.name = this.providers.map((p) => p.config.name).join('>');
  }

  health(): EngineHealth {
    const ok = this.providers.some((p) => p.lastError === null);
    const failing = this.providers.filter((p) => p.lastError).map((p) => `${p.config.name}: ${p.lastError}`);
    return { name: `llm ${this.name}`, ok, detail: failing.length ? failing.join('; ') : undefined };
  }

  async *stream(messages: ChatMessage[], opts: LlmOptions = {}): AsyncIterable<LlmDelta> {
    const failures: Array<{ provider: string; error: EngineError }> = [];
    for (const p of this.providers) {
      if (opts.signal?.aborted) return;
      const attempt = this.streamOne(p, messages, opts);
      let produced = false;
      try {
        for await (const d of attempt) {
          produced = true;
          yield d;
        }
        p.lastError = null;
        p.lastOkAt = Date.now();
        return;
      } catch (err) {
        if (opts.signal?.aborted && isAbortError(err)) return;
        if (opts.signal?.aborted) return;
        const summary = err instanceof NoFirstTokenError ? err.message : upstreamSummary(err);
        const failure = engineFailure(this.log, `llm ${p.config.name}`, summary, { err });
        p.lastError = failure.message;
        if (produced) throw failure;
        failures.push({ provider: p.config.name, error: failure });
      }
    }
    throw new LlmUnavailableError(failures);
  }

  private async *streamOne(p: LlmProviderClient, messages: ChatMessage[], opts: LlmOptions): AsyncIterable<LlmDelta> {
    const c = p.config;
    const firstTokenMs = Math.min(c.firstTokenMs ?? 8000, this.maxFirstTokenMs);
    // Our own controller: the first-token timer aborts it, and so does the caller's signal.
    const ac = new AbortController();
    const onAbort = () => ac.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const firstTokenTimer = setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, firstTokenMs);
    try {
      const stream = await p.client.chat.completions.create(
        {
          model: c.model,
          messages: messages.map(toOpenAi),
          stream: true,
          temperature: opts.temperature ?? c.temperature,
          max_tokens: opts.maxTokens,
          tools: opts.tools?.length ? opts.tools.map(toTool) : undefined,
          stream_options: { include_usage: true },
        },
        { signal: ac.signal },
      );
      const calls = new Map<number, ToolCall>();
      let finishReason = 'stop';
      let first = true;
      let usage: { inputTokens: number; outputTokens: number } | undefined;
      for await (const chunk of stream as AsyncIterable<ChatCompletionChunk>) {
        if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        const delta = choice.delta ?? {};
        if (first && (delta.content || delta.tool_calls?.length)) {
          first = false;
          clearTimeout(firstTokenTimer);
        }
        if (delta.content) yield { type: 'text', text: delta.content };
        for (const tc of delta.tool_calls ?? []) {
          const cur = calls.get(tc.index) ?? { id: '', name: '', arguments: '' };
          if (tc.id) cur.id = tc.id;
          if (tc.function?.name) cur.name += tc.function.name;
          if (tc.function?.arguments) cur.arguments += tc.function.arguments;
          calls.set(tc.index, cur);
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
      for (const [, call] of [...calls.entries()].sort((a, b) => a[0] - b[0])) {
        yield { type: 'tool_call', call: { ...call, id: call.id || `call_${Math.random().toString(36).slice(2)}` } };
      }
      yield { type: 'done', finishReason, provider: c.name, model: c.model, ...(usage ? { usage } : {}) };
    } catch (err) {
      if (timedOut && !opts.signal?.aborted) throw new NoFirstTokenError(`no first token within ${firstTokenMs} ms`);
      throw err;
    } finally {
      clearTimeout(firstTokenTimer);
      opts.signal?.removeEventListener('abort', onAbort);
    }
  }
}

function toOpenAi(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case 'tool':
      return { role: 'tool', content: m.content, tool_call_id: m.toolCallId ?? '' };
    case 'assistant':
      return m.toolCalls?.length
        ? {
            role: 'assistant',
            content: m.content || null,
            tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.arguments } })),
          }
        : { role: 'assistant', content: m.content };
    case 'system':
      return { role: 'system', content: m.content };
    default:
      return { role: 'user', content: m.content };
  }
}

function toTool(t: { name: string; description: string; parameters: Record<string, unknown> }): ChatCompletionTool {
  return { type: 'function', function: { name: t.name, description: t.description, parameters: t.parameters } };
}
