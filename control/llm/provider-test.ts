/**
 * A connection test for one stored provider (enabled or not): one short completion through the
 * one LLM caller (pipeline/engines/llm-openai.ts) with the provider's own URL, key, proxy and
 * timeout, reporting how long it took or what failed: the HTTP status or kind of failure and an
 * error id, never the provider's own answer (that is in the log under the id). Nothing is cached.
 */
import { EngineError, type EngineLog } from '../../pipeline/engines/engine-error.ts';
import { LlmProviderClient, LlmUnavailableError, OpenAiCompatibleLlm } from '../../pipeline/engines/llm-openai.ts';
import type { EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import type { LlmProvider, LlmProvidersRepo } from '../repositories/llm-providers.ts';

export interface ProviderTestResult {
  ok: boolean;
  latency_ms: number;
  reply?: string;
  error?: string;
  error_id?: string;
}

export async function testProvider(providers: LlmProvidersRepo, provider: LlmProvider, deps: { egress?: EgressPolicy; log: EngineLog; signal: AbortSignal }): Promise<ProviderTestResult> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  // Read for the URL this request goes to: a key given for another origin is not sent (secret-binding.ts).
  const { apiKey, proxyUrl } = await providers.secretsFor(provider);
  // A client, not a configuration: a stored proxy URL that does not parse is this provider failing, reported like any other failure.
  const client = new LlmProviderClient({
    name: provider.name,
    baseURL: provider.base_url,
    model: provider.model,
    apiKey: apiKey ?? undefined,
    proxyUrl: proxyUrl ?? undefined,
    timeoutMs: provider.timeout_ms,
    firstTokenMs: provider.timeout_ms,
    maxRetries: 0,
    egress: deps.egress,
  });
  let reply = '';
  try {
    for await (const d of new OpenAiCompatibleLlm([client], deps.log).stream([{ role: 'user', content: 'Reply with the single word OK.' }], { signal: deps.signal, maxTokens: 5 })) {
      if (d.type === 'text') reply += d.text;
    }
    return { ok: true, latency_ms: elapsed(), reply: reply.slice(0, 200) };
  } catch (err) {
    // Before a word (the chain tried it and gave up) or after a few (it failed mid-answer).
    const failure = err instanceof LlmUnavailableError ? err.failures[0]?.error : err instanceof EngineError ? err : undefined;
    if (!failure) throw err;
    return { ok: false, latency_ms: elapsed(), error: failure.message, error_id: failure.errorId };
  }
}
