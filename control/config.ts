/**
 * Control-plane settings from the environment (docs/control-plane.md lists them). Parsed once;
 * a bad value stops start-up with a message naming the variable.
 */
import { z } from 'zod';
import { createEgressPolicy, type EgressPolicy } from '../pipeline/net/egress-policy.ts';
import type { ThrottlePolicy } from './auth/login-throttle.ts';
import type { RetryPolicy } from './notifications/retry-policy.ts';

export const RATE_CLASSES = ['auth', 'chat', 'tts', 'default'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

/** `count/period` (period s, min or h), or `off`. A token bucket of `count` refilled over the period. */
export interface RateSpec {
  capacity: number;
  refillPerSecond: number;
}

const PERIOD_S: Record<string, number> = { s: 1, sec: 1, second: 1, m: 60, min: 60, minute: 60, h: 3600, hour: 3600 };

export function parseRateSpec(text: string): RateSpec | null {
  const t = text.trim().toLowerCase();
  if (t === 'off' || t === '0') return null;
  const m = /^(\d+)\s*\/\s*([a-z]+)$/.exec(t);
  if (!m || !PERIOD_S[m[2]] || Number(m[1]) < 1) throw new Error(`invalid rate "${text}" (expected e.g. 10/min, 5/s, 1000/h or off)`);
  return { capacity: Number(m[1]), refillPerSecond: Number(m[1]) / PERIOD_S[m[2]] };
}

/** A variable read by `parse`, whose error (naming what is wrong) becomes the variable's issue. */
const parsedBy =
  <T>(parse: (s: string) => T) =>
  (s: string, ctx: z.RefinementCtx): T => {
    try {
      return parse(s);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  };

/** An env variable holding a rate spec (`count/period` or `off`), checked by parseRateSpec. */
export const rateSpecVar = (dflt: string) => z.string().default(dflt).transform(parsedBy(parseRateSpec));

/** The message names the variable but never echoes the value: a database URL carries a password. */
function parsesAsUrl(s: string): boolean {
  try {
    new URL(s);
    return true;
  } catch {
    return false;
  }
}

/** `VAR=` in an env file means "not set", not "set to nothing". */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema);

const int = (min: number, max: number, dflt: number) => z.coerce.number().int().min(min).max(max).default(dflt);

const EnvSchema = z.object({
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'DATABASE_URL must be a postgres:// (or postgresql://) URL')
    .refine(parsesAsUrl, 'DATABASE_URL is not a valid URL (percent-encode special characters in the user name and password)')
    .optional(),
  SECRET_KEY: z.string().min(32, 'SECRET_KEY must be at least 32 characters').optional(),
  CORS_ORIGINS: z.string().default(''),
  RATE_LIMIT_AUTH: rateSpecVar('10/min'),
  RATE_LIMIT_CHAT: rateSpecVar('60/min'),
  RATE_LIMIT_TTS: rateSpecVar('30/min'),
  RATE_LIMIT_DEFAULT: rateSpecVar('600/min'),
  ACCESS_TOKEN_TTL_S: int(60, 86400, 900),
  REFRESH_TOKEN_TTL_S: int(300, 90 * 86400, 14 * 86400),
  /** Wrong passwords in a row answered at once; each further one doubles the wait before the next check. */
  LOGIN_MAX_FAILURES: int(1, 100, 5),
  /** The first such wait. */
  LOGIN_FIRST_DELAY_S: int(1, 3600, 1),
  /** The longest wait. Before login throttling this was a fixed lock of up to a day; longer values are refused, not silently shortened. */
  LOGIN_LOCKOUT_S: z.coerce
    .number()
    .int()
    .min(1)
    .max(3600, 'LOGIN_LOCKOUT_S is now the longest wait between checked login attempts, 1-3600 s (it no longer locks an account for that long)')
    .default(300),
  /** scrypt cost as log2(N); 17 (OWASP's minimum) by default; 18 at most (256 MiB per hash). Lower only for tests. */
  PASSWORD_HASH_LN: int(10, 18, 17),
  /** Take the client IP from X-Forwarded-For (only behind a proxy you run). */
  TRUST_PROXY: z.enum(['0', '1', 'false', 'true']).default('0'),
  CONTROL_MAX_BODY_BYTES: int(1024, 16 * 1024 * 1024, 64 * 1024),
  /** Synthesised sentences kept in memory for /admin/tts and /v1/audio/speech. */
  TTS_CACHE_MAX_BYTES: int(0, 1024 * 1024 * 1024, 32 * 1024 * 1024),
  /** A gateway node (process) whose heartbeat is this old is lost: its active calls are closed as `node_lost`. */
  NODE_LOST_AFTER_S: int(3, 3600, 30),
  /** /health reports the data directory as degraded below this much free space. */
  DISK_MIN_FREE_MB: int(0, 1024 * 1024, 256),
  /**
   * Non-public addresses that admin-configured URLs (LLM providers, their proxies) may reach:
   * addresses, CIDR ranges and host names, comma-separated. Everything non-public is refused without.
   */
  EGRESS_ALLOW: z.string().default('').transform(parsedBy(createEgressPolicy)),
  /** The Telegram Bot API that notifications go to (a local Bot API server, say). From the operator: trusted, like LLM_BASE_URL. */
  TELEGRAM_API_ROOT: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'TELEGRAM_API_ROOT must be an http(s) URL' }).default('https://api.telegram.org')),
  /** The admin UI's address, for links in notifications (`<ADMIN_UI_URL>/#/messages/<id>`); bare paths without it. */
  ADMIN_UI_URL: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'ADMIN_UI_URL must be an http(s) URL' }).optional()),
  /** Notification retries: the first wait, doubling (with jitter) up to the longest, and the attempts before giving up. */
  NOTIFY_RETRY_MIN_MS: int(100, 3_600_000, 5000),
  NOTIFY_RETRY_MAX_MS: int(100, 24 * 3_600_000, 15 * 60_000),
  NOTIFY_MAX_ATTEMPTS: int(1, 1000, 15),
  /** Where the outside world reaches this gateway (https://gw.example): Telegram bots in webhook mode are told to POST there. */
  PUBLIC_BASE_URL: unsetIfEmpty(z.url({ protocol: /^https?$/, error: 'PUBLIC_BASE_URL must be an http(s) URL' }).optional()),
  /** A Telegram bot that fails (network, Telegram's 5xx, 409) is started again after a pause doubling from the first to the longest. */
  TELEGRAM_BACKOFF_MIN_MS: int(10, 3_600_000, 1000),
  TELEGRAM_BACKOFF_MAX_MS: int(10, 24 * 3_600_000, 60_000),
  /** getUpdates long-poll timeout. */
  TELEGRAM_POLL_TIMEOUT_S: int(0, 50, 30),
  /** Least time between two messages or edits of a streamed reply in one chat (Telegram allows about one a second). */
  TELEGRAM_REPLY_INTERVAL_MS: int(0, 10_000, 1000),
  /** How long stopping a bot waits for the updates it is handling. */
  TELEGRAM_STOP_GRACE_MS: int(0, 600_000, 30_000),
  /** Gateways on one Postgres: how often one that does not run a bot asks whether it may take it over. */
  TELEGRAM_STANDBY_CHECK_MS: int(100, 3_600_000, 10_000),
  /** Messages one Telegram user may send one bot per minute before being asked to wait (0: no limit). */
  TELEGRAM_USER_MESSAGES_PER_MIN: int(0, 10_000, 20),
  /**
   * Voice calls one website widget may have open at once on this gateway: visitors' calls share the
   * machine with phone callers, so one busy (or abused) widget cannot take every line.
   */
  WIDGET_VOICE_CALLS: int(0, 10_000, 3),
});

const Env = EnvSchema.refine((e) => e.LOGIN_FIRST_DELAY_S <= e.LOGIN_LOCKOUT_S, {
  path: ['LOGIN_FIRST_DELAY_S'],
  message: 'must not exceed LOGIN_LOCKOUT_S (the longest wait)',
}).refine((e) => e.NOTIFY_RETRY_MIN_MS <= e.NOTIFY_RETRY_MAX_MS, {
  path: ['NOTIFY_RETRY_MIN_MS'],
  message: 'must not exceed NOTIFY_RETRY_MAX_MS (the longest wait)',
}).refine((e) => e.TELEGRAM_BACKOFF_MIN_MS <= e.TELEGRAM_BACKOFF_MAX_MS, {
  path: ['TELEGRAM_BACKOFF_MIN_MS'],
  message: 'must not exceed TELEGRAM_BACKOFF_MAX_MS (the longest pause)',
});

export interface ControlConfig {
  databaseUrl?: string;
  secretKey?: string;
  corsOrigins: string[];
  rateLimits: Record<RateClass, RateSpec | null>;
  accessTokenTtlS: number;
  refreshTokenTtlS: number;
  loginThrottle: ThrottlePolicy;
  passwordHashLn: number;
  trustProxy: boolean;
  maxBodyBytes: number;
  ttsCacheMaxBytes: number;
  /** Where requests to admin-configured URLs may go (EGRESS_ALLOW). */
  egress: EgressPolicy;
  nodeLostAfterMs: number;
  diskMinFreeBytes: number;
  notifications: {
    telegramApiRoot: string;
    uiBaseUrl: string | null;
    retry: RetryPolicy;
  };
  /** Where this gateway is reached from outside (PUBLIC_BASE_URL, no trailing slash); null when unset. */
  publicBaseUrl: string | null;
  telegram: {
    backoff: { minMs: number; maxMs: number };
    pollTimeoutS: number;
    replyIntervalMs: number;
    stopGraceMs: number;
    standbyCheckMs: number;
    userMessagesPerMin: number;
  };
  widget: {
    /** Voice calls open at once per widget instance on this gateway (WIDGET_VOICE_CALLS). */
    voiceCallsPerInstance: number;
  };
}

export class ControlConfigError extends Error {
  override name = 'ControlConfigError';
}

export function loadControlConfig(env: NodeJS.ProcessEnv = process.env): ControlConfig {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ControlConfigError(`invalid configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    secretKey: e.SECRET_KEY,
    corsOrigins: e.CORS_ORIGINS.split(',').map((s) => s.trim().replace(/\/$/, '')).filter(Boolean),
    rateLimits: { auth: e.RATE_LIMIT_AUTH, chat: e.RATE_LIMIT_CHAT, tts: e.RATE_LIMIT_TTS, default: e.RATE_LIMIT_DEFAULT },
    accessTokenTtlS: e.ACCESS_TOKEN_TTL_S,
    refreshTokenTtlS: e.REFRESH_TOKEN_TTL_S,
    loginThrottle: { freeFailures: e.LOGIN_MAX_FAILURES, firstDelayS: e.LOGIN_FIRST_DELAY_S, maxDelayS: e.LOGIN_LOCKOUT_S },
    passwordHashLn: e.PASSWORD_HASH_LN,
    trustProxy: e.TRUST_PROXY === '1' || e.TRUST_PROXY === 'true',
    maxBodyBytes: e.CONTROL_MAX_BODY_BYTES,
    ttsCacheMaxBytes: e.TTS_CACHE_MAX_BYTES,
    egress: e.EGRESS_ALLOW,
    nodeLostAfterMs: e.NODE_LOST_AFTER_S * 1000,
    diskMinFreeBytes: e.DISK_MIN_FREE_MB * 1024 * 1024,
    notifications: {
      telegramApiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
      uiBaseUrl: e.ADMIN_UI_URL ?? null,
      retry: { minMs: e.NOTIFY_RETRY_MIN_MS, maxMs: e.NOTIFY_RETRY_MAX_MS, maxAttempts: e.NOTIFY_MAX_ATTEMPTS },
    },
    publicBaseUrl: e.PUBLIC_BASE_URL ? e.PUBLIC_BASE_URL.replace(/\/+$/, '') : null,
    telegram: {
      backoff: { minMs: e.TELEGRAM_BACKOFF_MIN_MS, maxMs: e.TELEGRAM_BACKOFF_MAX_MS },
      pollTimeoutS: e.TELEGRAM_POLL_TIMEOUT_S,
      replyIntervalMs: e.TELEGRAM_REPLY_INTERVAL_MS,
      stopGraceMs: e.TELEGRAM_STOP_GRACE_MS,
      standbyCheckMs: e.TELEGRAM_STANDBY_CHECK_MS,
      userMessagesPerMin: e.TELEGRAM_USER_MESSAGES_PER_MIN,
    },
    widget: { voiceCallsPerInstance: e.WIDGET_VOICE_CALLS },
  };
}
