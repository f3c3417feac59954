/**
 * Gateway configuration from the environment, with documented defaults (see README "Configuration").
 * Parsed once at start-up; a bad value stops the process with a message naming the variable,
 * rather than surfacing later as a confusing runtime failure.
 */
import path from 'node:path';
import { z } from 'zod';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  PORT: intFrom(0, 65535).optional(),
  ORCHESTRATOR_PORT: intFrom(0, 65535).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bearer token for the WebSocket voice path; when unset, one is generated into DATA_DIR/voice-token. */
  VOICE_WS_TOKEN: z.string().min(16, 'VOICE_WS_TOKEN must be at least 16 characters').optional(),
  VOICE_WS_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'VOICE_WS_PATH must be a URL path').default('/ws/voice'),
  /** Seconds a client may stay silent on the socket (no frames, no pings) before it is closed. */
  VOICE_WS_IDLE_TIMEOUT_S: intFrom(8, 960).default(32),
  /** A client must send `start` within this many milliseconds of connecting. */
  VOICE_WS_START_TIMEOUT_MS: intFrom(100, 120000).default(10000),
  /** Bytes queued toward one client before it counts as a slow consumer and is closed (4008). */
  VOICE_WS_MAX_BUFFERED_BYTES: intFrom(4096, 64 * 1024 * 1024).default(256 * 1024),
  /** Largest audio message accepted; larger ones get an error event and are dropped. */
  VOICE_WS_MAX_FRAME_BYTES: intFrom(320, 1024 * 1024).default(32 * 1024),
  /** Inbound jitter-buffer target depth in 20 ms frames (0 = hand audio to the pipeline at once). */
  VOICE_JITTER_FRAMES: intFrom(0, 50).default(2),
  /** Most concurrent voice calls; further `start` messages get `capacity` errors. */
  MAX_CALLS: intFrom(1, 100000).default(1000),
  /** Which conversation runs per call: `echo` loops caller audio back (transport testing). */
  PIPELINE: z.enum(['echo']).default('echo'),
  SHUTDOWN_GRACE_MS: intFrom(0, 60000).default(3000),
  /** Force the TypeScript DSP twin even when the native addon is built (`0`). */
  VOICE_GATEWAY_NATIVE: z.enum(['0', '1']).optional(),
});

export interface GatewayConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  voice: {
    path: string;
    token?: string;
    idleTimeoutS: number;
    startTimeoutMs: number;
    maxBufferedBytes: number;
    maxFrameBytes: number;
    jitterFrames: number;
    maxCalls: number;
  };
  pipeline: 'echo';
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_PORT = 8002;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT ?? e.ORCHESTRATOR_PORT ?? DEFAULT_PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    voice: {
      path: e.VOICE_WS_PATH,
      token: e.VOICE_WS_TOKEN,
      idleTimeoutS: e.VOICE_WS_IDLE_TIMEOUT_S,
      startTimeoutMs: e.VOICE_WS_START_TIMEOUT_MS,
      maxBufferedBytes: e.VOICE_WS_MAX_BUFFERED_BYTES,
      maxFrameBytes: e.VOICE_WS_MAX_FRAME_BYTES,
      jitterFrames: e.VOICE_JITTER_FRAMES,
      maxCalls: e.MAX_CALLS,
    },
    pipeline: e.PIPELINE,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
