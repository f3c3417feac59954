/**
 * A message as every dialogue hands it to the MessageStore: marked with the channel, the call or
 * chat session it came from, and the caller id, so the owner can tell where it came from and reach
 * the transcript.
 */
import type { TakenMessage } from './message-store.ts';
import type { DialogueContext } from './types.ts';

export function takenMessage(
  context: DialogueContext | undefined,
  language: string,
  fields: Pick<TakenMessage, 'callerName' | 'callbackNumber' | 'reason'> & { kind?: TakenMessage['kind'] },
): TakenMessage {
  return {
    kind: fields.kind ?? 'message',
    ...(context?.channel ? { channel: context.channel } : {}),
    ...(context?.callId ? { callId: context.callId } : {}),
    ...(context?.sessionId !== undefined ? { sessionId: context.sessionId } : {}),
    callerName: fields.callerName,
    callbackNumber: fields.callbackNumber,
    reason: fields.reason,
    language,
    ...(context?.callerNumber ? { callerId: context.callerNumber } : {}),
    createdAt: new Date().toISOString(),
  };
}
