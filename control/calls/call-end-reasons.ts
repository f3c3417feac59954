/**
 * Why a call ended, and whether that makes it `completed` or `failed`. Listed one by one so the
 * status of a call never depends on how a reason happens to be spelled (a regex over names once
 * filed `modem_lost` under completed). A reason may carry detail after a colon
 * (`modem_lost: serial port closed`); the part before it is the code. A reason not listed here is
 * one a WebSocket client chose for its own hangup, so the call completed.
 */
export type CallStatus = 'completed' | 'failed';

export const END_REASONS = {
  // The caller or the conversation ended it.
  client_hangup: 'completed',
  client_disconnected: 'completed',
  call_ended: 'completed',
  dialogue_finished: 'completed',
  // The secretary hung up politely: the caller stayed silent, or the call reached its time limit.
  silence: 'completed',
  max_duration: 'completed',
  remote_hangup: 'completed',
  hangup_requested: 'completed',
  no_carrier: 'completed',
  // Something broke on our side or the line's.
  crash: 'failed',
  node_lost: 'failed',
  modem_lost: 'failed',
  audio_failed: 'failed',
  audio_silent: 'failed',
  dial_failed: 'failed',
  worker_crashed: 'failed',
  pipeline_failed: 'failed',
  slow_consumer: 'failed',
  // A client that kept sending what cannot be accepted, or never started: closed by us.
  too_many_errors: 'failed',
  start_timeout: 'failed',
  server_shutdown: 'failed',
  shutdown: 'failed',
} as const satisfies Record<string, CallStatus>;

export type KnownEndReason = keyof typeof END_REASONS;

export function endReasonCode(reason: string): string {
  return reason.split(':', 1)[0].trim();
}

export function callStatusFor(reason: string): CallStatus {
  const code = endReasonCode(reason);
  return Object.hasOwn(END_REASONS, code) ? END_REASONS[code as KnownEndReason] : 'completed';
}
