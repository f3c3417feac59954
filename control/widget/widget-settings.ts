/**
 * What an admin may set on a widget instance, validated: exact origins (`scheme://host[:port]`,
 * as a browser sends them in the Origin header; no wildcards, paths or credentials), `#rrggbb`
 * colours, and rate limits within sane bounds. Defaults fill what a new instance leaves out.
 */
import { z } from 'zod';
import { DEFAULT_IP_MESSAGES_PER_MIN, DEFAULT_SESSION_MESSAGES_PER_MIN, WIDGET_LANGUAGES, WIDGET_POSITIONS } from '../repositories/widgets.ts';

/**
 * An origin as browsers write it: `https://shop.example`, `http://localhost:8080`. Normalised the
 * way the Origin header is (lower-case host, default port dropped), so `https://Shop.Example:443`
 * is stored as `https://shop.example` and matches.
 */
export const WidgetOrigin = z
  .string()
  .trim()
  .max(300)
  .transform((s, ctx) => {
    const refuse = (message: string) => {
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    };
    if (s.includes('*')) return refuse('no wildcards: list each origin exactly');
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return refuse('an origin such as https://example.com or http://localhost:8080');
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') return refuse('http or https only');
    if (u.username || u.password) return refuse('no user name or password in an origin');
    if (u.search || u.hash || !/^[a-z][a-z0-9+.-]*:\/\/[^/?#]+\/?$/i.test(s)) return refuse('an origin has no path, query or fragment: scheme://host[:port]');
    return u.origin;
  });

const Hex = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb').transform((s) => s.toLowerCase());

export const WidgetColorsInput = z.strictObject({
  primary: Hex.optional(),
  primary_text: Hex.optional(),
  background: Hex.optional(),
  text: Hex.optional(),
});

export const WidgetFields = z.strictObject({
  name: z.string().trim().min(1).max(100),
  enabled: z.boolean().optional(),
  allowed_origins: z
    .array(WidgetOrigin)
    .min(1, 'list at least one origin the widget may be embedded on')
    .max(50)
    .transform((list) => [...new Set(list)]),
  persona_id: z.number().int().positive().nullable().optional(),
  greeting: z.string().trim().max(500).nullable().optional(),
  language: z.enum(WIDGET_LANGUAGES).optional(),
  colors: WidgetColorsInput.optional(),
  position: z.enum(WIDGET_POSITIONS).optional(),
  voice_enabled: z.boolean().optional(),
  session_messages_per_min: z.number().int().min(1).max(600).optional(),
  ip_messages_per_min: z.number().int().min(1).max(10_000).optional(),
});

export const WIDGET_DEFAULTS = {
  enabled: true,
  language: 'auto',
  position: 'bottom-right',
  voice_enabled: false,
  session_messages_per_min: DEFAULT_SESSION_MESSAGES_PER_MIN,
  ip_messages_per_min: DEFAULT_IP_MESSAGES_PER_MIN,
} as const;
