/**
 * Where a person's data lives, table by table. GDPR export and erase are driven by this map, and a
 * test checks that every table in the schema appears here, so a new table cannot be forgotten:
 * whoever adds one must decide whether it holds personal data.
 *
 *  - `keys`: columns that identify the person; matching rows are the person's and are deleted
 *    (children go with them through ON DELETE CASCADE).
 *  - `text`: free-text columns where the identifier may appear inside other people's rows (a
 *    transcript that reads out a phone number); occurrences are replaced with [redacted].
 *  - `none`: holds no caller/customer data, with the reason.
 *  - `retained`: holds personal data on purpose that export and erase must not touch, with the reason.
 */
export type TablePolicy = { keys?: readonly string[]; text?: readonly string[] } | { none: string } | { retained: string };

export const PERSONAL_DATA_MAP: Record<string, TablePolicy> = {
  calls: { keys: ['caller_number', 'callee_number'], text: ['summary'] },
  call_turns: { text: ['user_text', 'assistant_text'] },
  call_transcripts: { text: ['text'] },
  recordings: { text: ['path'] },
  chat_sessions: { keys: ['source_id', 'contact'], text: ['dialogue_state'] },
  chat_messages: { keys: ['source_id'], text: ['content'] },
  sms: { keys: ['phone_number'], text: ['body'] },
  messages: { keys: ['callback_number', 'caller_id'], text: ['caller_name', 'callback_text', 'reason'] },
  consents: { keys: ['subject'], text: ['evidence'] },
  usage_log: { keys: ['subject_id'] },
  audit_log: { text: ['target', 'actor_name', 'details'] },
  users: { none: 'staff accounts, managed through /admin/users' },
  refresh_tokens: { none: 'staff sessions' },
  login_device_throttles: { none: 'failed staff logins per remembered device' },
  api_keys: { none: 'machine credentials' },
  usage_limits: { none: 'limits name API keys, users or IP ranges set by staff' },
  personas: { none: 'configuration' },
  modem_personas: { keys: ['number'] },
  llm_providers: { none: 'configuration' },
  tts_presets: { none: 'configuration' },
  system_config: { none: 'configuration' },
  faq: { none: 'company answers, written by staff' },
  notification_channels: { none: "configuration: where the owner is told (the owner's own chat, number or webhook)" },
  notification_outbox: { none: 'delivery state of messages, no caller data of its own; rows go with their message (ON DELETE CASCADE)' },
  telegram_bots: { retained: "configuration: the owner's bots; its allow-list holds Telegram user ids the owner chose to let in, removed by editing the bot (their chats are in chat_sessions, source telegram, contact telegram:<user id>)" },
  widget_instances: { none: 'configuration: the website widgets and the origins they may be embedded on (visitors are chat_sessions)' },
  gateway_nodes: { none: 'gateway processes and their heartbeats (control/cluster/gateway-node.ts)' },
  erasure_ledger: { retained: 'identifiers of erased people, encrypted: the suppression list that erases them again after a restore (legal/erasure-ledger.ts)' },
};

/** Deletion order: parents whose rows cascade to children come first. */
export const KEYED_TABLES = Object.entries(PERSONAL_DATA_MAP).flatMap(([table, p]) => ('keys' in p && p.keys ? [{ table, keys: p.keys }] : []));
export const TEXT_COLUMNS = Object.entries(PERSONAL_DATA_MAP).flatMap(([table, p]) => ('text' in p && p.text ? p.text.map((column) => ({ table, column })) : []));
