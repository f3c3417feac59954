/**
 * The settings the admin may change, each with a schema and a default. Unknown keys are refused:
 * a typo in a key should be an error, not a setting that silently does nothing.
 */
import { z } from 'zod';
import { DEFAULT_FALLBACK_MESSAGE, DEFAULT_HISTORY_LIMIT } from '../../pipeline/conversation/conversation.ts';
import { DEFAULT_FAQ_THRESHOLD } from '../../pipeline/dialogue/faq-matcher.ts';
import { DEFAULT_BACKEND_KEY, LlmBackendChoice, requireUsableBackend } from '../llm/llm-backend.ts';
import type { Repositories } from '../repositories/index.ts';
import { CALL_HANDLING_KEY, CallHandling } from './call-handling.ts';

/** Read by the gateway for every modem call (gateway/recording-consent.ts). */
export const RECORDING_ENABLED_KEY = 'calls.recording_enabled';

export interface ConfigKey {
  description: string;
  schema: z.ZodType;
  default: unknown;
  /** Checks a schema cannot make (rows that must exist); throws a domain error. */
  check?: (value: unknown, repos: Repositories) => Promise<void>;
}

export const CONFIG_KEYS: Record<string, ConfigKey> = {
  'faq.threshold': {
    description: 'Lowest match score (0-1) at which an FAQ entry answers, on calls and in chats (with an LLM, matches below 0.8 go to the model, which has the FAQ in its prompt)',
    schema: z.number().min(0.1).max(1),
    default: DEFAULT_FAQ_THRESHOLD,
  },
  'chat.fallback_message': {
    description: 'What /v1 answers when neither the FAQ nor any LLM can (calls and chat sessions offer to take a message instead)',
    schema: z.string().min(1).max(1000),
    default: DEFAULT_FALLBACK_MESSAGE,
  },
  'chat.default_persona_id': {
    description: 'Persona used by text channels (admin chat, /v1) that do not name one (null: the default persona)',
    schema: z.number().int().positive().nullable(),
    default: null,
  },
  'chat.max_history_messages': {
    description: 'How many earlier messages of a conversation are sent to the LLM',
    schema: z.number().int().min(0).max(200),
    default: DEFAULT_HISTORY_LIMIT,
  },
  [DEFAULT_BACKEND_KEY]: {
    description: 'LLM backend for calls and chats that do not choose one: {"backend":"auto"} (enabled providers by priority), {"backend":"faq"} (no LLM) or {"backend":"provider","provider_id":N} (that provider first)',
    schema: LlmBackendChoice,
    default: { backend: 'auto' },
    // The same rule as PUT /admin/llm/default, so this route is no way around it.
    check: (value, repos) => requireUsableBackend(repos.llmProviders, value as LlmBackendChoice),
  },
  [RECORDING_ENABLED_KEY]: {
    description: 'Record calls (only for callers with a call_recording consent)',
    schema: z.boolean(),
    default: false,
  },
  [CALL_HANDLING_KEY]: {
    description:
      'Who the GSM modem answers and when, e.g. {"auto_answer_rings":2,"block":["+79161234567"],"hours":{"days":[1,2,3,4,5],"start":"09:00","end":"18:00","time_zone":"Europe/Moscow"}}. Omitted: auto_answer_rings 1, allow [] (everyone), block [], hours null (always), anonymous "answer", refuse_with "hangup". null: as the MODEM_* environment variables say. Read for every incoming call',
    schema: CallHandling.nullable(),
    default: null,
  },
  'company.name': {
    description: 'Company name used in greetings and prompts ({company}; empty: the shipped persona\'s words)',
    schema: z.string().max(200),
    default: '',
  },
};
