/**
 * Which LLM answers a text conversation. The admin sets a default backend; a chat session may
 * override it. `auto` tries the enabled providers in priority order, `faq` answers from the FAQ
 * only (then the fallback message, no LLM traffic at all), `provider` puts one provider first and
 * keeps the others behind it as the fallback chain, so a pinned provider that is down still gets
 * the caller an answer.
 */
import { z } from 'zod';

export const LlmBackendChoice = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('auto') }),
  z.strictObject({ backend: z.literal('faq') }),
  z.strictObject({ backend: z.literal('provider'), provider_id: z.number().int().positive() }),
]);
export type LlmBackendChoice = z.infer<typeof LlmBackendChoice>;

export const DEFAULT_BACKEND_KEY = 'llm.default_backend';
export const AUTO: LlmBackendChoice = { backend: 'auto' };

/**
 * The choice that applies, most specific first: the session's override, then its persona's
 * provider, then the default. A request that names a model (OpenAI API, a reply with `model`) is
 * handled by the responder before any of this.
 */
export function effectiveBackend(layers: { session?: LlmBackendChoice | null; personaProviderId?: number | null; fallback: LlmBackendChoice }): LlmBackendChoice {
  if (layers.session) return layers.session;
  if (layers.personaProviderId) return { backend: 'provider', provider_id: layers.personaProviderId };
  return layers.fallback;
}

/** A session row's two columns as a choice (null: no override). */
export function sessionOverride(row: { llm_backend: string | null; llm_provider_id: number | null }): LlmBackendChoice | null {
  if (row.llm_backend === 'faq') return { backend: 'faq' };
  if (row.llm_backend === 'provider' && row.llm_provider_id) return { backend: 'provider', provider_id: row.llm_provider_id };
  return null;
}
