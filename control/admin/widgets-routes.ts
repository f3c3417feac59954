/**
 * Website widget instances (control/widget): each one a `data-widget` id that a site embeds, with
 * its allowed origins, persona, greeting, language, colours, position, voice button and rate
 * limits. Every change applies to the next visitor request; a reply streaming on this gateway is
 * cut when its instance is disabled, deleted or loses the visitor's origin.
 */
import { notFound } from '../http/errors.ts';
import { created, json, noContent, route, type RouteDef } from '../http/route.ts';
import { DEFAULT_WIDGET_COLORS, newWidgetPublicId, type WidgetInstance } from '../repositories/widgets.ts';
import type { ControlServices } from '../services.ts';
import { WIDGET_DEFAULTS, WidgetFields } from '../widget/widget-settings.ts';
import { IdParams } from './schemas.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const WRITE = { kind: 'user', role: 'operator' } as const;

export function widgetsRoutes(s: ControlServices): RouteDef[] {
  const personaExists = async (id: number | null | undefined) => {
    if (id && !(await s.repos.personas.get(id))) throw notFound('persona');
  };
  const get = async (id: number): Promise<WidgetInstance> => {
    const w = await s.repos.widgets.get(id);
    if (!w) throw notFound('widget');
    return w;
  };
  return [
    route({
      method: 'GET',
      path: '/admin/widgets',
      summary: 'Website widget instances',
      tag: 'widgets',
      auth: READ,
      async handler() {
        return json({ items: await s.repos.widgets.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/widgets',
      summary: 'Create a website widget instance; its public_id goes in the embedding snippet (data-widget)',
      tag: 'widgets',
      auth: WRITE,
      audit: 'widgets.create',
      body: WidgetFields,
      async handler(ctx) {
        const b = ctx.body;
        await personaExists(b.persona_id);
        const w = await s.repos.widgets.create({
          ...WIDGET_DEFAULTS,
          ...b,
          public_id: newWidgetPublicId(),
          persona_id: b.persona_id ?? null,
          greeting: b.greeting || null,
          colors: { ...DEFAULT_WIDGET_COLORS, ...b.colors },
        });
        ctx.audit.target = `widget:${w.id}`;
        ctx.audit.details = { name: w.name, origins: w.allowed_origins };
        return created(w);
      },
    }),
    route({
      method: 'GET',
      path: '/admin/widgets/:id',
      summary: 'One website widget instance',
      tag: 'widgets',
      auth: READ,
      params: IdParams,
      async handler(ctx) {
        return json(await get(ctx.params.id));
      },
    }),
    route({
      method: 'PATCH',
      path: '/admin/widgets/:id',
      summary: 'Change a website widget instance (applies to the next visitor request; `enabled: false` also cuts replies streaming now)',
      tag: 'widgets',
      auth: WRITE,
      audit: 'widgets.update',
      params: IdParams,
      body: WidgetFields.partial(),
      async handler(ctx) {
        const b = ctx.body;
        const before = await get(ctx.params.id);
        await personaExists(b.persona_id);
        const w = await s.repos.widgets.update(ctx.params.id, {
          ...b,
          greeting: b.greeting === undefined ? undefined : b.greeting || null,
          colors: b.colors ? { ...before.colors, ...b.colors } : undefined,
        });
        if (!w) throw notFound('widget');
        s.widgets.instanceChanged(w.id, w);
        ctx.audit.target = `widget:${w.id}`;
        ctx.audit.details = { fields: Object.keys(b), ...(b.allowed_origins ? { origins: w.allowed_origins } : {}), ...(b.enabled !== undefined ? { enabled: w.enabled } : {}) };
        return json(w);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/widgets/:id',
      summary: 'Delete a website widget instance (its visitors’ chat sessions stay in the chat history)',
      tag: 'widgets',
      auth: WRITE,
      audit: 'widgets.delete',
      params: IdParams,
      async handler(ctx) {
        if (!(await s.repos.widgets.remove(ctx.params.id))) throw notFound('widget');
        s.widgets.instanceChanged(ctx.params.id, null);
        ctx.audit.target = `widget:${ctx.params.id}`;
        return noContent();
      },
    }),
  ];
}
