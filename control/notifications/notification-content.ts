/**
 * What the owner is sent about a message, per medium: plain text for Telegram (no parse_mode: the
 * caller's words are sent as they are, so nothing in them can turn into markup or a link label),
 * a short text for SMS, and a JSON document for webhooks. Each names the channel the message came
 * through and links to it in the admin UI.
 */
import type { Message } from '../repositories/messages.ts';
import { messageLinks, uiLink } from '../messages/message-links.ts';
import { clipToSmsParts } from './sms-length.ts';

export interface NotificationContent {
  /** Telegram: plain text, within the Bot API's 4096 characters. */
  text: string;
  /** SMS: at most three parts. */
  sms: string;
  /** Webhook: the JSON document POSTed. */
  payload: Record<string, unknown>;
}

const CHANNEL_LABELS: Record<string, string> = {
  modem: 'phone call',
  ws: 'voice call (WebSocket)',
  chat: 'admin chat',
  v1: 'API chat',
  widget: 'website chat',
  telegram: 'Telegram chat',
};
export const channelLabel = (channel: string) => CHANNEL_LABELS[channel] ?? channel;

const TELEGRAM_MAX = 4096;

const clipTo = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

export function messageNotification(m: Message, uiBaseUrl: string | null): NotificationContent {
  const link = uiLink(m.id, uiBaseUrl);
  const via = channelLabel(m.channel);
  const title = m.kind === 'human_requested' ? `A caller asks for a person (${via})` : `New message (${via})`;
  const callback = m.callback_number ?? m.callback_text;
  const head = [
    title,
    m.caller_name ? `From: ${m.caller_name}` : null,
    callback ? `Call back: ${callback}` : null,
    m.caller_id && m.caller_id !== m.callback_number ? `Caller id: ${m.caller_id}` : null,
  ].filter((l): l is string => l !== null);
  const tail = [m.call_id ? `Call: ${m.call_id}` : m.session_id !== null ? `Chat session: ${m.session_id}` : null, `Taken: ${m.created_at}`, link].filter(
    (l): l is string => l !== null,
  );
  const fixed = [...head, ...tail].join('\n').length + 20;
  const reason = m.reason ? clipTo(m.reason, Math.max(100, TELEGRAM_MAX - fixed)) : null;
  const text = clipTo([...head, ...(reason ? [`Message: ${reason}`] : []), ...tail].join('\n'), TELEGRAM_MAX);

  const smsHead = `${m.kind === 'human_requested' ? 'Caller asks for a person' : 'Message'}${m.caller_name ? ` from ${m.caller_name}` : ''}${callback ? `, ${callback}` : ''} (${via})`;
  const sms = clipToSmsParts(`${smsHead}${m.reason ? `: ${m.reason}` : ''}`, ` ${link}`);

  const { handled_by: _h, handled_at: _a, ...fields } = m;
  return { text, sms, payload: { event: 'message.created', message: { ...fields, links: { ...messageLinks(m), ui: link } } } };
}

/** What the "test" action sends, so the owner sees the channel works before a caller needs it. */
export function testNotification(channelName: string, uiBaseUrl: string | null): NotificationContent {
  const text = `Test notification from the voice gateway: channel "${channelName}" works. New messages will arrive here.`;
  return { text, sms: clipToSmsParts(text, ''), payload: { event: 'test', channel: channelName, ui: uiBaseUrl } };
}
