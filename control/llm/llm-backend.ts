/**
 * The control plane's side of which LLM answers (pipeline/conversation/llm-choice.ts has the rule
 * itself): where the default is stored, a chat session's override as a choice, and the checks a
 * pin must pass. Domain errors only; the HTTP layer maps them (control/http/errors.ts).
 */
import type { LlmBackendChoice } from '../../pipeline/conversation/llm-choice.ts';
import type { LlmProvidersRepo, LlmProvider } from '../repositories/llm-providers.ts';

export { AUTO, LlmBackendChoice } from '../../pipeline/conversation/llm-choice.ts';

export const DEFAULT_BACKEND_KEY = 'llm.default_backend';

/** A provider someone pins that does not exist (`missing`) or is disabled: every chat would silently go elsewhere. */
export class UnusableProviderError extends Error {
  override name = 'UnusableProviderError';
  constructor(
    readonly providerId: number,
    readonly reason: 'missing' | 'disabled',
  ) {
    super(reason === 'missing' ? 'LLM provider not found' : `LLM provider ${providerId} is disabled; enable it first`);
  }
}

/** @throws UnusableProviderError */
export async function requireUsableProvider(providers: LlmProvidersRepo, id: number): Promise<LlmProvider> {
  const p = await providers.get(id);
  if (!p) throw new UnusableProviderError(id, 'missing');
  if (!p.enabled) throw new UnusableProviderError(id, 'disabled');
  return p;
}

/**
 * The one check for a default backend, whichever route sets it (`PUT /admin/llm/default` or the
 * generic `PUT /admin/config/llm.default_backend`): a pinned provider must be usable.
 * @throws UnusableProviderError
 */
export async function requireUsableBackend(providers: LlmProvidersRepo, choice: LlmBackendChoice): Promise<void> {
  if (choice.backend === 'provider') await requireUsableProvider(providers, choice.provider_id);
}

/**
 * The stored choice plus what chats actually get. A pin whose provider was deleted or disabled
 * since is skipped (only enabled providers are in the chain), so chats run as `auto`; saying so
 * keeps the admin from trusting a pin that does nothing.
 */
export async function describeBackend(providers: LlmProvidersRepo, choice: LlmBackendChoice) {
  const provider = choice.backend === 'provider' ? ((await providers.get(choice.provider_id)) ?? null) : null;
  const staleReason = choice.backend !== 'provider' ? null : !provider ? 'provider_deleted' : !provider.enabled ? 'provider_disabled' : null;
  return {
    ...choice,
    provider,
    effective: staleReason ? 'auto' : choice.backend,
    stale: staleReason !== null,
    stale_reason: staleReason,
  };
}

/** A session row's two columns as a choice (null: no override). */
export function sessionOverride(row: { llm_backend: string | null; llm_provider_id: number | null }): LlmBackendChoice | null {
  if (row.llm_backend === 'faq') return { backend: 'faq' };
  if (row.llm_backend === 'provider' && row.llm_provider_id) return { backend: 'provider', provider_id: row.llm_provider_id };
  return null;
}
