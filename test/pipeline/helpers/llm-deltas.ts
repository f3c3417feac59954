/** Reading an LLM engine's stream in tests: all its deltas, their text, and a provider entry for a fake server. */
import type { LlmDelta } from '../../../pipeline/engines/types.ts';

export async function collect(it: AsyncIterable<LlmDelta>): Promise<LlmDelta[]> {
  const out: LlmDelta[] = [];
  for await (const d of it) out.push(d);
  return out;
}

export const textOf = (ds: LlmDelta[]) => ds.filter((d) => d.type === 'text').map((d) => (d as { text: string }).text).join('');

export const provider = (name: string, baseURL: string, extra = {}) => ({ name, baseURL, model: 'fake-model', maxRetries: 0, ...extra });
