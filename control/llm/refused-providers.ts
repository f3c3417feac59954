/**
 * At start, the LLM providers whose URL the egress policy refuses, named in one warning with
 * EGRESS_ALLOW: an installation from before the policy, with a local Ollama or vLLM at
 * http://localhost:11434, would otherwise find out call by call. The proxy counts too, since the
 * connection goes there.
 */
import { EGRESS_ALLOW_VARIABLE, EgressRefusedError, type EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import type { LlmProvidersRepo } from '../repositories/llm-providers.ts';

interface WarnLog {
  warn(obj: Record<string, unknown>, msg: string): void;
}

/** Resolves names as a connection would (a DNS lookup), so run it in the background, not in the start's path. */
export async function warnRefusedProviders(providers: LlmProvidersRepo, egress: EgressPolicy, log: WarnLog): Promise<void> {
  const refused: Array<{ id: number; name: string; host: string }> = [];
  for (const p of await providers.list()) {
    for (const url of [p.base_url, p.proxy_url]) {
      if (!url) continue;
      const host = new URL(url).hostname.replace(/^\[(.*)\]$/, '$1');
      try {
        await egress.checkHost(host);
      } catch (err) {
        if (err instanceof EgressRefusedError) refused.push({ id: p.id, name: p.name, host });
        // Anything else (a name that does not resolve now) is the provider's test's business.
      }
    }
  }
  if (refused.length) {
    log.warn(
      { providers: refused },
      `LLM providers whose URL the egress policy refuses (loopback, private or link-local addresses): their requests fail until the operator allows them with ${EGRESS_ALLOW_VARIABLE} (e.g. ${EGRESS_ALLOW_VARIABLE}=localhost)`,
    );
  }
}
