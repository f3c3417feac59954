/**
 * An OpenAPI 3.1 document generated from the route table and its zod schemas (zod 4's
 * `z.toJSONSchema`), so the published contract cannot drift from what the router validates.
 */
import { z } from 'zod';
import type { RouteTable } from '../http/route-table.ts';
import type { RouteDef } from '../http/route.ts';

// draft 2020-12 is what OpenAPI 3.1 uses for schemas; `input` describes what clients send (before transforms).
const toSchema = (s: z.ZodType) => z.toJSONSchema(s, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;

const operationId = (def: RouteDef) =>
  def.method.toLowerCase() + def.path.split(/[/:.-]/).filter(Boolean).map((w) => w[0].toUpperCase() + w.slice(1)).join('');

const ErrorSchema = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
    },
  },
};

function parameters(def: RouteDef): unknown[] {
  const out: unknown[] = [];
  for (const [where, schema] of [['path', def.params], ['query', def.query]] as const) {
    if (!schema) continue;
    const js = toSchema(schema) as { properties?: Record<string, unknown>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (js.required ?? []).includes(name), schema: s });
    }
  }
  return out;
}

export function buildOpenApi(table: RouteTable, version = '0.1.0'): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const { def } of table.routes) {
    const p = def.path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const errors = (codes: number[]) => Object.fromEntries(codes.map((c) => [String(c), { $ref: '#/components/responses/Error' }]));
    paths[p] ??= {};
    paths[p][def.method.toLowerCase()] = {
      summary: def.summary,
      tags: [def.tag],
      operationId: operationId(def),
      security: def.auth.kind === 'public' ? [] : def.auth.kind === 'api_key' ? [{ apiKey: [] }] : def.auth.kind === 'widget_visitor' ? [{ widgetVisitor: [] }] : [{ bearerAuth: [] }],
      ...(def.auth.kind === 'user' ? { 'x-required-role': def.auth.role } : {}),
      ...(def.audit ? { 'x-audit-action': def.audit } : {}),
      parameters: parameters(def),
      ...(def.body ? { requestBody: { required: true, content: { 'application/json': { schema: toSchema(def.body) } } } } : {}),
      ...(def.rawBody
        ? {
            requestBody: {
              required: true,
              description: def.rawBody.description,
              content: Object.fromEntries(def.rawBody.contentTypes.map((t) => [t, { schema: { type: 'string', format: 'binary' } }])),
            },
          }
        : {}),
      responses: {
        '200': def.produces
          ? { description: 'Success', content: { [def.produces]: { schema: { type: 'string', format: 'binary' } } } }
          : { description: 'Success', content: { 'application/json': { schema: def.response ? toSchema(def.response) : {} } } },
        ...errors(def.auth.kind === 'public' ? [400, 401, 429] : def.params ? [400, 401, 403, 404, 429] : [400, 401, 403, 429]),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Voice gateway control plane', version },
    paths,
    components: {
      securitySchemes: {
        bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from POST /admin/auth/login' },
        apiKey: { type: 'http', scheme: 'bearer', description: 'API key (vgk_...) created in /admin/api-keys' },
        widgetVisitor: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Website visitor token from POST /widget/v1/{widget}/sessions, bound to the widget and the Origin (docs/channels.md)' },
      },
      schemas: { Error: ErrorSchema },
      responses: { Error: { description: 'Error', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } },
    },
  };
}
