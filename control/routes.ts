/**
 * The complete route table of the control plane. Exported as data so tests walk it (every route
 * rejects anonymous calls, every mutation is audited) and the OpenAPI document is derived from it.
 */
import { aboutRoutes } from './admin/about-routes.ts';
import { apiKeysRoutes } from './admin/api-keys-routes.ts';
import { auditRoutes } from './admin/audit-routes.ts';
import { authRoutes } from './admin/auth-routes.ts';
import { callsRoutes } from './admin/calls-routes.ts';
import { configRoutes } from './admin/config-routes.ts';
import { enginesRoutes } from './admin/engines-routes.ts';
import { faqRoutes } from './admin/faq-routes.ts';
import { legalRoutes } from './admin/legal-routes.ts';
import { messagesRoutes } from './admin/messages-routes.ts';
import { notificationsRoutes } from './admin/notifications-routes.ts';
import { llmProvidersRoutes } from './admin/llm-providers-routes.ts';
import { llmBackendRoutes } from './admin/llm-backend-routes.ts';
import { buildOpenApi } from './admin/openapi.ts';
import { personasRoutes } from './admin/personas-routes.ts';
import { setupRoutes } from './admin/setup-routes.ts';
import { usageRoutes } from './admin/usage-routes.ts';
import { usersRoutes } from './admin/users-routes.ts';
import { backupRoutes } from './admin/backup-routes.ts';
import { chatRoutes } from './admin/chat-routes.ts';
import { gsmRoutes } from './admin/gsm-routes.ts';
import { modelsRoutes } from './admin/models-routes.ts';
import { modemPersonasRoutes } from './admin/modem-personas-routes.ts';
import { monitorRoutes } from './admin/monitor-routes.ts';
import { sttRoutes } from './admin/stt-routes.ts';
import { ttsRoutes } from './admin/tts-routes.ts';
import { telegramRoutes } from './admin/telegram-routes.ts';
import { widgetsRoutes } from './admin/widgets-routes.ts';
import { visitorRoutes } from './widget/visitor-routes.ts';
import { voiceTokenRoutes } from './admin/voice-token-routes.ts';
import { audioRoutes } from './openai-api/audio-routes.ts';
import { json, route, type RouteDef } from './http/route.ts';
import { RouteTable } from './http/route-table.ts';
import { openAiRoutes } from './openai-api/routes.ts';
import type { ControlServices } from './services.ts';

export function buildRouteTable(s: ControlServices): RouteTable {
  const defs: RouteDef[] = [
    ...setupRoutes(s),
    ...authRoutes(s),
    ...usersRoutes(s),
    ...faqRoutes(s),
    ...llmProvidersRoutes(s),
    ...llmBackendRoutes(s),
    ...personasRoutes(s),
    ...configRoutes(s),
    ...auditRoutes(s),
    ...usageRoutes(s),
    ...apiKeysRoutes(s),
    ...legalRoutes(s),
    ...callsRoutes(s),
    ...messagesRoutes(s),
    ...notificationsRoutes(s),
    ...ttsRoutes(s),
    ...sttRoutes(s),
    ...enginesRoutes(s),
    ...modelsRoutes(s),
    ...aboutRoutes(s),
    ...chatRoutes(s),
    ...monitorRoutes(s),
    ...gsmRoutes(s),
    ...modemPersonasRoutes(s),
    ...backupRoutes(s),
    ...telegramRoutes(s),
    ...voiceTokenRoutes(s),
    ...openAiRoutes(s),
    ...audioRoutes(s),
    ...widgetsRoutes(s),
    ...visitorRoutes(s),
  ];
  let doc: Record<string, unknown> | null = null;
  const table: RouteTable = new RouteTable([
    ...defs,
    route({
      method: 'GET',
      path: '/admin/openapi.json',
      summary: 'This API as an OpenAPI 3.1 document',
      tag: 'meta',
      auth: { kind: 'user', role: 'viewer' },
      async handler() {
        return json((doc ??= buildOpenApi(table)));
      },
    }),
  ]);
  return table;
}
