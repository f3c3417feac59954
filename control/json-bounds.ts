/**
 * Limits on free-form JSON: how deep it may nest and how many bytes it may take. JSON.parse copes
 * with a 30,000-deep array, but JSON.stringify (writing it to the database, echoing it back)
 * recurses and overflows the stack, which was a 500; and a field that takes "any JSON" would
 * otherwise take all the body allows. So every request body is checked for depth as it is parsed
 * (http/validation.ts), every free-form field has its own bounds (`withinJsonBounds`), the audit
 * log caps what it stores, and JSON read back from the database is checked before it is served.
 * The depth walk is iterative, so measuring a hostile value cannot overflow the stack either.
 */
import type { z } from 'zod';

export interface JsonBounds {
  /** Objects and arrays each count one level: `{"a": [1]}` is 2 deep, a scalar 0. */
  maxDepth: number;
  /** Bytes of the value written as JSON (UTF-8). */
  maxBytes: number;
}

/** The deepest any request body may nest, and any JSON the control plane reads back from its database. */
export const MAX_JSON_DEPTH = 32;

interface Frame {
  value: object;
  depth: number;
  parent: Frame | null;
  key: string;
}

/** The path to the first object or array nested deeper than `maxDepth`, or null when there is none. */
export function tooDeepAt(value: unknown, maxDepth: number): string[] | null {
  if (value === null || typeof value !== 'object') return null;
  const stack: Frame[] = [{ value, depth: 1, parent: null, key: '' }];
  while (stack.length) {
    const frame = stack.pop()!;
    if (frame.depth > maxDepth) {
      const path: string[] = [];
      for (let f: Frame | null = frame; f?.parent; f = f.parent) path.unshift(f.key);
      return path;
    }
    for (const [key, child] of Object.entries(frame.value)) {
      if (child !== null && typeof child === 'object') stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
    }
  }
  return null;
}

/** What is wrong with `value` under `bounds`, in words, or null. */
export function jsonBoundsProblem(value: unknown, bounds: JsonBounds): string | null {
  if (tooDeepAt(value, bounds.maxDepth)) return `nested deeper than ${bounds.maxDepth} levels`;
  const bytes = value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value) ?? '');
  return bytes > bounds.maxBytes ? `at most ${bounds.maxBytes} bytes of JSON (this is ${bytes})` : null;
}

/** A zod refinement for a free-form field: `z.unknown().superRefine(withinJsonBounds({...}))`. */
export function withinJsonBounds(bounds: JsonBounds) {
  return (value: unknown, ctx: z.RefinementCtx): void => {
    const problem = jsonBoundsProblem(value, bounds);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  };
}

/** A path for an error message: the first few keys, then an ellipsis. */
export function describePath(path: string[], keep = 4): string {
  return path.slice(0, keep).join('.') + (path.length > keep ? '.…' : '');
}
