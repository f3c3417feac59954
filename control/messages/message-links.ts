/**
 * Where a message's context lives, derived from its call or chat session: the admin UI's page for
 * it (`/#/messages/<id>`), the call with its turns and transcript, the call's recordings, the chat
 * session's messages. Paths are relative to the gateway's address (or ADMIN_UI_URL in
 * notifications, which leave the gateway).
 */
import type { Message } from '../repositories/messages.ts';

export interface MessageLinks {
  /** The message in the admin UI. */
  ui: string;
  /** The message in this API. */
  api: string;
  /** The call it was left in (`GET /admin/calls/:id` has its turns and transcript). */
  call: string | null;
  /** The call's transcript: the same answer as `call`, named for what a reader wants from it. */
  transcript: string | null;
  /** Downloads of the call's recordings (filled in where the recordings were looked up). */
  recordings: string[];
  /** The chat session it was left in, with its messages. */
  chat: string | null;
}

export const messageUiPath = (id: string) => `/#/messages/${encodeURIComponent(id)}`;

export function messageLinks(m: Pick<Message, 'id' | 'call_id' | 'session_id'>, recordingIds: readonly number[] = []): MessageLinks {
  const call = m.call_id ? `/admin/calls/${encodeURIComponent(m.call_id)}` : null;
  return {
    ui: messageUiPath(m.id),
    api: `/admin/messages/${encodeURIComponent(m.id)}`,
    call,
    transcript: call,
    recordings: call ? recordingIds.map((id) => `${call}/recordings/${id}`) : [],
    chat: m.session_id !== null ? `/admin/chat/sessions/${m.session_id}/messages` : null,
  };
}

/** An absolute link for a notification, when the admin UI's address is configured; the path otherwise. */
export function uiLink(id: string, uiBaseUrl: string | null): string {
  return (uiBaseUrl ? uiBaseUrl.replace(/\/+$/, '') : '') + messageUiPath(id);
}
