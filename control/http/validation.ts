/**
 * Zod at the edge: params, query and body are parsed before a handler runs, and a failure becomes a
 * 400 whose message names the first offending field and whose details list every issue. A JSON
 * body nested deeper than MAX_JSON_DEPTH is refused the same way, naming where (json-bounds.ts).
 */
import type { z } from 'zod';
import { describePath, MAX_JSON_DEPTH, tooDeepAt } from '../json-bounds.ts';
import { HttpError } from './errors.ts';

export function validate<T>(schema: z.ZodType<T>, value: unknown, where: 'params' | 'query' | 'body'): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ field: i.path.join('.') || where, message: i.message, code: i.code }));
  const first = issues[0];
  throw new HttpError(400, 'validation_failed', `${where}: ${first.field}: ${first.message}`, { in: where, issues });
}

export function parseJsonBody(buf: Buffer, contentType: string | undefined): unknown {
  if (buf.length === 0) return undefined;
  if (!contentType || !/^application\/json\b/i.test(contentType.trim())) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_json', 'the body is not valid JSON');
  }
  // Before any schema or handler sees it: a value this deep would overflow the stack where it is written out again.
  const deep = tooDeepAt(value, MAX_JSON_DEPTH);
  if (deep) {
    const field = describePath(deep) || 'body';
    const message = `nested deeper than ${MAX_JSON_DEPTH} levels`;
    throw new HttpError(400, 'validation_failed', `body: ${field}: ${message}`, { in: 'body', issues: [{ field, message, code: 'too_deep' }] });
  }
  return value;
}

export function parseQuery(query: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!query) return out;
  for (const [k, v] of new URLSearchParams(query)) out[k] = v;
  return out;
}
