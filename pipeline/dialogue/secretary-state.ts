/**
 * Where the built-in secretary is in a conversation. A call keeps it in memory; a text session
 * stores it between turns (the typed conversation goes on in the next request, maybe in another
 * gateway process), so it has a schema: a stored state that does not parse starts the
 * conversation afresh rather than failing it.
 */
import { z } from 'zod';

const Draft = z.object({ name: z.string().optional(), number: z.string().optional(), reason: z.string().optional() });
const Failures = z.number().int().min(0);

export const SecretaryStateSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('menu'), failures: Failures }),
  z.object({ kind: z.literal('ask_name'), draft: Draft, failures: Failures }),
  z.object({ kind: z.literal('confirm_caller_id'), draft: Draft, failures: Failures }),
  z.object({ kind: z.literal('ask_number'), draft: Draft, failures: Failures }),
  z.object({ kind: z.literal('ask_reason'), draft: Draft, failures: Failures }),
  z.object({ kind: z.literal('confirm'), draft: Draft.required(), failures: Failures, retries: Failures }),
  z.object({ kind: z.literal('done') }),
]);

export type SecretaryState = z.infer<typeof SecretaryStateSchema>;
export type Draft = z.infer<typeof Draft>;

/** A stored state, or null when there is none or it does not parse (the conversation starts at the menu). */
export function parseSecretaryState(value: unknown): SecretaryState | null {
  const r = SecretaryStateSchema.safeParse(value);
  return r.success ? r.data : null;
}
