/**
 * One call to one OpenAI-compatible provider through the `openai` SDK, streaming when asked.
 * Retries are off: the responder's fallback chain is the retry policy, and a caller on the phone
 * cannot wait for the SDK's exponential backoff. Providers are admin-configured URLs, so every
 * request obeys the egress policy (EGRESS_ALLOW), the provider's proxy included.
 */
import OpenAI from 'openai';
import type { EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import { proxyClientOptions } from '../../pipeline/net/outbound-http.ts';
import type { LlmProvider } from '../repositories/llm-providers.ts';

export interface LlmMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface LlmResult {
  text: string;
  tokensIn?: number;
  tokensOut?: number;
}

export interface LlmCallOptions {
  signal: AbortSignal;
  maxTokens?: number;
  temperature?: number;
  /** When set, the answer is streamed: called for each piece of text as it arrives. */
  onDelta?: (text: string) => Promise<void>;
}

export type LlmCaller = (provider: LlmProvider, apiKey: string | null, messages: LlmMessage[], opts: LlmCallOptions) => Promise<LlmResult>;

export const openAiCaller = (egress: EgressPolicy): LlmCaller => async (provider, apiKey, messages, opts) => {
  // A bad stored proxy_url throws here and counts as this provider failing: the chain moves on.
  const proxy = proxyClientOptions(provider.proxy_url, egress);
  const client = new OpenAI({ apiKey: apiKey ?? 'not-needed', baseURL: provider.base_url, timeout: provider.timeout_ms, maxRetries: 0, ...proxy });
  const params = { model: provider.model, messages, max_tokens: opts.maxTokens, temperature: opts.temperature };
  if (!opts.onDelta) {
    const r = await client.chat.completions.create({ ...params, stream: false }, { signal: opts.signal });
    return { text: r.choices[0]?.message?.content ?? '', tokensIn: r.usage?.prompt_tokens, tokensOut: r.usage?.completion_tokens };
  }
  const stream = await client.chat.completions.create({ ...params, stream: true, stream_options: { include_usage: true } }, { signal: opts.signal });
  let text = '';
  let usage: { prompt_tokens?: number; completion_tokens?: number } | undefined;
  for await (const chunk of stream) {
    const delta = chunk.choices[0]?.delta?.content;
    if (delta) {
      text += delta;
      await opts.onDelta(delta);
    }
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, tokensIn: usage?.prompt_tokens, tokensOut: usage?.completion_tokens };
};
