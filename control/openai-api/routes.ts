/**
 * The OpenAI-compatible API (`/v1`), behind API keys made in the admin API. Any OpenAI client can
 * point its base URL here: `GET /v1/models`, `POST /v1/chat/completions` with or without
 * `stream: true`. Answers come from the conversation core the calls use (the FAQ, the LLM chain
 * with its take_message and notify tools, then `chat.fallback_message`); the request is stateless,
 * so the built-in secretary's take-a-message flow is not run here. The header `X-Answer-Source`
 * says whether the FAQ, an LLM or the fallback answered.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ClientMessage } from '../conversation/text-chat.ts';
import { eventStream, json, route, type RouteDef } from '../http/route.ts';
import type { ControlServices } from '../services.ts';
import { withinJsonBounds } from '../json-bounds.ts';

/**
 * OpenAI's fields we do not use (tools, response_format, image parts, ...) are accepted, as OpenAI
 * clients send them, but each within bounds: room for a tool's JSON schema, not for a document.
 */
const OtherField = z.unknown().superRefine(withinJsonBounds({ maxDepth: 20, maxBytes: 256 * 1024 }));

const ContentPart = z.object({ type: z.string().max(64), text: z.string().max(100_000).optional() }).catchall(OtherField);

const Message = z
  .object({
    role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
    content: z.union([z.string().max(100_000), z.array(ContentPart).max(100), z.null()]),
  })
  .catchall(OtherField);

/** OpenAI's own rules for `metadata`: at most 16 pairs, keys up to 64 characters, values up to 512. */
const Metadata = z
  .record(z.string().max(64), z.string().max(512))
  .refine((m) => Object.keys(m).length <= 16, 'at most 16 key-value pairs');

export const ChatCompletionRequest = z.object({
  model: z.string().min(1).max(200),
  messages: z.array(Message).min(1).max(500),
  stream: z.boolean().optional(),
  stream_options: z.object({ include_usage: z.boolean().optional() }).catchall(OtherField).nullable().optional(),
  metadata: Metadata.nullable().optional(),
  temperature: z.number().min(0).max(2).nullable().optional(),
  max_tokens: z.number().int().positive().max(1_000_000).nullable().optional(),
  max_completion_tokens: z.number().int().positive().max(1_000_000).nullable().optional(),
  user: z.string().max(200).optional(),
}).catchall(OtherField);

const text = (content: z.infer<typeof Message>['content']): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => (p.type === 'text' && p.text ? p.text : '')).join('');

/** OpenAI's roles folded into the three every compatible server understands. */
const toLlm = (m: z.infer<typeof Message>): ClientMessage | null =>
  m.role === 'tool' ? null : { role: m.role === 'developer' ? 'system' : m.role, content: text(m.content) };

export function openAiRoutes(s: ControlServices): RouteDef[] {
  const KEY = { kind: 'api_key' } as const;
  return [
    route({
      method: 'GET',
      path: '/v1/models',
      summary: 'Models: `faq` (FAQ only) and the model of each enabled LLM provider',
      tag: 'openai',
      auth: KEY,
      async handler() {
        const created = Math.floor(Date.now() / 1000);
        return json({ object: 'list', data: s.chat.models().map((id) => ({ id, object: 'model', created, owned_by: 'voice-gateway' })) });
      },
    }),
    route({
      method: 'POST',
      path: '/v1/chat/completions',
      summary: 'Chat completion (OpenAI format, optionally streamed as server-sent events): FAQ first, then the LLM chain, then a fallback',
      tag: 'openai',
      auth: KEY,
      rateClass: 'chat',
      usage: 'chat',
      maxBodyBytes: 1024 * 1024,
      body: ChatCompletionRequest,
      async handler(ctx) {
        const req = ctx.body;
        const messages = req.messages.map(toLlm).filter((m): m is ClientMessage => m !== null);
        const id = `chatcmpl-${randomBytes(12).toString('base64url')}`;
        const created = Math.floor(Date.now() / 1000);
        const opts = {
          signal: ctx.signal,
          model: req.model,
          maxTokens: req.max_completion_tokens ?? req.max_tokens ?? undefined,
          temperature: req.temperature ?? undefined,
        };
        if (!req.stream) {
          const a = await s.chat.complete(messages, opts);
          ctx.usage.source = a.source;
          ctx.usage.tokensIn = a.tokensIn;
          ctx.usage.tokensOut = a.tokensOut;
          return json(
            {
              id,
              object: 'chat.completion',
              created,
              model: a.model,
              choices: [{ index: 0, message: { role: 'assistant', content: a.text }, finish_reason: 'stop', logprobs: null }],
              usage: { prompt_tokens: a.tokensIn, completion_tokens: a.tokensOut, total_tokens: a.tokensIn + a.tokensOut },
            },
            200,
            [['X-Answer-Source', a.source]],
          );
        }
        const includeUsage = req.stream_options?.include_usage === true;
        return eventStream(async (sink) => {
          const chunk = (model: string, delta: Record<string, unknown>, finish: string | null) =>
            `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }] })}\n\n`;
          let started = false;
          const a = await s.chat.complete(messages, {
            ...opts,
            onText: async (d) => {
              if (!started) {
                started = true;
                await sink.write(chunk(req.model, { role: 'assistant', content: '' }, null));
              }
              await sink.write(chunk(req.model, { content: d }, null));
            },
          });
          ctx.usage.source = a.source;
          ctx.usage.tokensIn = a.tokensIn;
          ctx.usage.tokensOut = a.tokensOut;
          if (a.truncated) {
            // OpenAI's own form for a stream that fails: an error object in place of a chunk, and no
            // [DONE]; the openai SDKs raise it as an APIError, so the cut answer is not taken as whole.
            // The provider's own error stays in our log (llm-openai.ts, engineFailure): it may name internal hosts
            // or the account, which an API-key client has no business reading.
            const error = { message: 'the model failed mid-answer; the text sent so far is incomplete', type: 'server_error', code: 'llm_stream_failed' };
            await sink.write(`data: ${JSON.stringify({ error })}\n\n`);
            return;
          }
          await sink.write(chunk(a.model, {}, 'stop'));
          if (includeUsage) {
            const usage = { prompt_tokens: a.tokensIn, completion_tokens: a.tokensOut, total_tokens: a.tokensIn + a.tokensOut };
            await sink.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: a.model, choices: [], usage })}\n\n`);
          }
          await sink.write('data: [DONE]\n\n');
        });
      },
    }),
  ];
}
