/**
 * Which LLM answers a conversation. The admin sets a default backend; a persona may name its
 * provider; a chat session may override both. `auto` tries the enabled providers in priority
 * order, `faq` answers without any LLM (FAQ and the built-in dialogue), `provider` puts one
 * provider first and keeps the others behind it as the fallback chain, so a pinned provider that
 * is down still gets the caller an answer. The stored and API form, hence `provider_id`.
 */
import { z } from 'zod';

export const LlmBackendChoice = z.discriminatedUnion('backend', [
  z.strictObject({ backend: z.literal('auto') }),
  z.strictObject({ backend: z.literal('faq') }),
  z.strictObject({ backend: z.literal('provider'), provider_id: z.number().int().positive() }),
]);
export type LlmBackendChoice = z.infer<typeof LlmBackendChoice>;

export const AUTO: LlmBackendChoice = { backend: 'auto' };

/**
 * The choice that applies, most specific first: the session's override, then its persona's
 * provider, then the default. A model the client names (/v1, a reply with `model`) goes before all
 * of these (see orderProviders).
 */
export function effectiveBackend(layers: { session?: LlmBackendChoice | null; personaProviderId?: number | null; fallback: LlmBackendChoice }): LlmBackendChoice {
  if (layers.session) return layers.session;
  if (layers.personaProviderId) return { backend: 'provider', provider_id: layers.personaProviderId };
  return layers.fallback;
}

/** What the chain is ordered by: a provider's id (stored providers only), name and model. */
export interface ChainMember {
  id?: number;
  name: string;
  model: string;
}

/**
 * The providers to try, in order; empty means no LLM. `providers` are the enabled ones by priority.
 * `model`: what a client named: `faq` (no LLM), or a provider's model or name (that one first).
 * A pin to a provider that is not among them (deleted, disabled) pins nothing: `auto`.
 */
export function orderProviders<P extends ChainMember>(providers: readonly P[], choice: LlmBackendChoice, model?: string): P[] {
  if (model === 'faq') return [];
  const named = model ? providers.filter((p) => p.model === model || p.name === model) : [];
  if (named.length) return preferring(providers, named);
  if (choice.backend === 'faq') return [];
  if (choice.backend === 'auto') return [...providers];
  return preferring(providers, providers.filter((p) => p.id === choice.provider_id));
}

/** The preferred providers first, the rest behind them as the fallback chain. */
function preferring<P>(providers: readonly P[], preferred: readonly P[]): P[] {
  return [...preferred, ...providers.filter((p) => !preferred.includes(p))];
}
