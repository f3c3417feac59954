/** `/admin/faq/:id` compiled to a segment matcher. No regular expressions built from route text. */
export interface PathPattern {
  readonly path: string;
  readonly segments: ReadonlyArray<{ param: string } | { literal: string }>;
  readonly paramNames: readonly string[];
  match(parts: readonly string[]): Record<string, string> | null;
}

export function compilePath(path: string): PathPattern {
  if (!path.startsWith('/')) throw new Error(`route path must start with /: ${path}`);
  const segments = path
    .split('/')
    .slice(1)
    .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
  const paramNames = segments.flatMap((s): string[] => ('param' in s && s.param !== undefined ? [s.param] : []));
  if (new Set(paramNames).size !== paramNames.length) throw new Error(`duplicate parameter in ${path}`);
  return {
    path,
    segments,
    paramNames,
    match(parts) {
      if (parts.length !== segments.length) return null;
      const params: Record<string, string> = {};
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i];
        if ('literal' in s) {
          if (s.literal !== parts[i]) return null;
        } else {
          if (parts[i] === '') return null;
          try {
            params[s.param] = decodeURIComponent(parts[i]);
          } catch {
            return null;
          }
        }
      }
      return params;
    },
  };
}

/** `/admin/faq/` and `/admin/faq` are the same route; split once per request. */
export function splitPath(url: string): string[] {
  const trimmed = url.length > 1 && url.endsWith('/') ? url.slice(0, -1) : url;
  return trimmed.split('/').slice(1);
}
