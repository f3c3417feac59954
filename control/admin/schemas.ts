/** Zod pieces shared by the admin routes. */
import { z } from 'zod';
import { LANGUAGE_TAG } from '../../pipeline/engines/voice-name.ts';
import { EgressRefusedError, type EgressPolicy } from '../../pipeline/net/egress-policy.ts';
import { HttpError } from '../http/errors.ts';
import { MIN_PASSWORD_LENGTH } from '../auth/password.ts';
import { ROLES } from '../repositories/users.ts';

export const IdParams = z.object({ id: z.coerce.number().int().positive() });

export const PageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

/** Any ISO-8601 instant, normalised to the UTC `...Z` form we store, so string comparison is time comparison. */
export const Instant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

export const TimeRange = z.object({ from: Instant.optional(), to: Instant.optional() });

export const Username = z.string().regex(/^[A-Za-z0-9._@-]{3,64}$/, 'use 3-64 letters, digits, dot, dash, underscore or @');
export const Password = z.string().min(MIN_PASSWORD_LENGTH, `at least ${MIN_PASSWORD_LENGTH} characters`).max(256);
export const RoleSchema = z.enum(ROLES);

export const HttpUrl = z.url({ protocol: /^https?$/ }).max(500);

/** A number the modem dials or texts, or a line's number: digits, optionally with a leading +. */
export const PhoneNumber = z.string().trim().regex(/^\+?[0-9]{3,20}$/, 'digits, optionally with a leading +');

/**
 * A URL an admin stores for the gateway to request later: an address the egress policy refuses is
 * refused when saved (`400 egress_refused` naming the field); a host name is checked when it is
 * connected to, since what it resolves to may change.
 */
export function assertEgressAllowed(egress: EgressPolicy, field: string, url: string | null | undefined): void {
  if (!url) return;
  try {
    egress.checkUrlLiteral(url);
  } catch (err) {
    if (!(err instanceof EgressRefusedError)) throw err;
    throw new HttpError(400, 'egress_refused', `body: ${field}: ${err.message}`, { in: 'body', issues: [{ field, message: err.message, code: 'egress_refused' }] });
  }
}

/** A language that reaches an engine (TTS voice choice, STT hint): "en", "ru", "en-US". */
export const LanguageTag = z.string().max(35).regex(LANGUAGE_TAG, 'a language tag such as en, ru or en-US');

export const OkResponse = z.object({ ok: z.literal(true) });
