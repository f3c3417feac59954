/**
 * The WebSocket voice protocol (docs/protocol.md is the reader's version of this file).
 * Client text messages are JSON validated here; everything the server says is a `ServerEvent`.
 */
import { z } from 'zod';
import type { PipelineEvent } from '../../pipeline/call-pipeline.ts';

export const PROTOCOL_VERSION = 1;

/**
 * The subprotocol a browser offers beside `bearer.<token>` (it cannot set headers). The server
 * echoes only this one, never the bearer one, so the token is not sent back in the handshake.
 */
export const VOICE_SUBPROTOCOL = 'voice.v1';

/** Close codes: 1000/1001 are the standard ones; 4xxx are ours and documented in docs/protocol.md. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  /** Too many protocol errors in a short time (VOICE_WS_MAX_ERRORS within VOICE_WS_ERROR_WINDOW_S). */
  PROTOCOL_ERROR: 4000,
  START_TIMEOUT: 4002,
  CAPACITY: 4003,
  SLOW_CONSUMER: 4008,
  PIPELINE_FAILED: 4010,
} as const;

export const ErrorCode = {
  BAD_JSON: 'bad_json',
  INVALID_MESSAGE: 'invalid_message',
  UNKNOWN_TYPE: 'unknown_type',
  NOT_STARTED: 'not_started',
  ALREADY_STARTED: 'already_started',
  UNSUPPORTED_CODEC: 'unsupported_codec',
  BAD_AUDIO: 'bad_audio',
  FRAME_TOO_LARGE: 'frame_too_large',
  CAPACITY: 'capacity',
  PIPELINE_ERROR: 'pipeline_error',
  TOO_MANY_ERRORS: 'too_many_errors',
  /** A message this call may not send (typed text in a website visitor's call). */
  NOT_ALLOWED: 'not_allowed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export const CODECS = ['pcm16', 'mulaw', 'alaw', 'opus'] as const;

const Start = z.strictObject({
  type: z.literal('start'),
  codec: z.enum(CODECS),
  sample_rate: z.number().int().positive().optional(),
  caller: z.string().max(64).optional(),
  persona: z.string().max(64).optional(),
});
const Text = z.strictObject({ type: z.literal('text'), text: z.string().min(1).max(4000) });
const Dtmf = z.strictObject({ type: z.literal('dtmf'), digits: z.string().regex(/^[0-9*#A-Da-d]{1,32}$/, 'digits must be 0-9, *, #, A-D') });
const Clear = z.strictObject({ type: z.literal('clear') });
const Hangup = z.strictObject({ type: z.literal('hangup'), reason: z.string().max(200).optional() });
const Ping = z.strictObject({ type: z.literal('ping'), id: z.union([z.string().max(64), z.number()]).optional() });

const schemas = { start: Start, text: Text, dtmf: Dtmf, clear: Clear, hangup: Hangup, ping: Ping } as const;
export type ClientMessageType = keyof typeof schemas;
export type ClientMessage = z.infer<(typeof schemas)[ClientMessageType]>;
export type StartMessage = z.infer<typeof Start>;

export type ParseResult = { ok: true; message: ClientMessage } | { ok: false; code: ErrorCode; message: string; details?: unknown };

/** Parses one client text message; never throws. */
export function parseClientMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, code: ErrorCode.BAD_JSON, message: 'message is not valid JSON' };
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'message must be a JSON object with a "type"' };
  }
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { ok: false, code: ErrorCode.INVALID_MESSAGE, message: 'message must have a string "type"' };
  }
  if (!Object.hasOwn(schemas, type)) {
    return {
      ok: false,
      code: ErrorCode.UNKNOWN_TYPE,
      message: `unknown message type "${type.slice(0, 40)}"; expected one of ${Object.keys(schemas).join(', ')}`,
    };
  }
  const result = schemas[type as ClientMessageType].safeParse(raw);
  if (!result.success) {
    return {
      ok: false,
      code: ErrorCode.INVALID_MESSAGE,
      message: `invalid "${type}" message: ${result.error.issues.map((i) => `${i.path.join('.') || '(root)'} ${i.message}`).join('; ')}`,
      details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  }
  return { ok: true, message: result.data as ClientMessage };
}

export type ServerEvent =
  | PipelineEvent
  | {
      type: 'started';
      protocol: number;
      call_id: string;
      codec: string;
      sample_rate: number;
      frame_ms: number;
      frame_bytes: number | null;
    }
  | { type: 'error'; code: string; message: string; details?: unknown }
  | { type: 'pong'; id?: string | number; server_time_ms: number }
  | { type: 'hangup'; reason: string };
