/**
 * The speech engines new calls get, chosen at run time: what STT and TTS are now and where that
 * comes from (the environment, or an owner's choice stored in the database, which wins), the
 * engines there are to choose from, and switching. A switch builds and warms the new engine first
 * (422 and nothing changed when it fails), then new calls get it while calls in progress keep
 * theirs; the choice survives restarts and reaches the other gateways on the same database.
 * The gateway attaches the engines (control/engines/engine-control.ts); without them: 503.
 */
import { HttpError } from '../http/errors.ts';
import { json, route, type Reply, type RequestContext, type RouteDef } from '../http/route.ts';
import { EngineChoiceError, EngineStartError, SttChoiceSchema, TtsChoiceSchema, type EngineChoice, type EngineControl, type EngineKind, type EngineSlotView } from '../engines/engine-control.ts';
import type { ControlServices } from '../services.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const ADMIN = { kind: 'user', role: 'admin' } as const;

const CHOICE_STATUS: Record<EngineChoiceError['problem'], number> = {
  unknown_model: 404,
  model_not_installed: 400,
  wrong_model_kind: 400,
  unknown_voice: 400,
  engine_unavailable: 400,
};

/** Domain errors of a switch as HTTP: a refused choice 400/404, an engine that would not start 422. */
function httpError(err: unknown): unknown {
  if (err instanceof EngineChoiceError) return new HttpError(CHOICE_STATUS[err.problem], err.problem, err.message, err.details);
  if (err instanceof EngineStartError) return new HttpError(422, 'engine_failed', err.message, { error_id: err.errorId });
  return err;
}

export function enginesRoutes(s: ControlServices): RouteDef[] {
  const engines = (): EngineControl => {
    const e = s.live.engines;
    if (!e) throw new HttpError(503, 'engines_unavailable', 'this gateway runs no speech engines (the echo pipeline, or the control plane alone)');
    return e;
  };
  const choose =
    <K extends EngineKind>(kind: K) =>
    async (ctx: RequestContext<undefined, undefined, EngineChoice<K>>): Promise<Reply> => {
      const before = await engines().view(kind);
      ctx.audit.target = `engines:${kind}`;
      let view: EngineSlotView;
      try {
        view = await engines().choose(kind, ctx.body, ctx.principal.kind === 'user' ? ctx.principal.user.id : null);
      } catch (err) {
        throw httpError(err);
      }
      ctx.audit.details = { from: { engine: before.engine, model: before.model, voice: before.voice, source: before.source }, to: ctx.body };
      // Other gateways on this database reload, and switch too (their conversations' change listener).
      await s.conversations.changed();
      return json(view);
    };
  const reset =
    (kind: EngineKind) =>
    async (ctx: RequestContext): Promise<Reply> => {
      const before = await engines().view(kind);
      ctx.audit.target = `engines:${kind}`;
      let view: EngineSlotView;
      try {
        view = await engines().reset(kind);
      } catch (err) {
        throw httpError(err);
      }
      ctx.audit.details = { from: { engine: before.engine, model: before.model, voice: before.voice, source: before.source }, to: 'environment' };
      await s.conversations.changed();
      return json(view);
    };
  return [
    route({
      method: 'GET',
      path: '/admin/engines',
      summary: 'The STT and TTS engines new calls get now, where that choice comes from, and the engines available to choose',
      tag: 'engines',
      auth: READ,
      async handler() {
        const e = engines();
        return json({ stt: await e.view('stt'), tts: await e.view('tts') });
      },
    }),
    route({
      method: 'PUT',
      path: '/admin/engines/stt',
      summary: 'Choose the speech recogniser for new calls: {"engine":"pocketsphinx"} or {"engine":"sherpa-online"|"sherpa-offline","model":<installed manifest model>}',
      tag: 'engines',
      auth: ADMIN,
      audit: 'engines.set',
      body: SttChoiceSchema,
      handler: choose('stt'),
    }),
    route({
      method: 'PUT',
      path: '/admin/engines/tts',
      summary: 'Choose the voice engine for new calls: {"engine":"espeak","voice"?:<an espeak-ng voice>} or {"engine":"sherpa","model":<installed manifest model>}',
      tag: 'engines',
      auth: ADMIN,
      audit: 'engines.set',
      body: TtsChoiceSchema,
      handler: choose('tts'),
    }),
    route({
      method: 'DELETE',
      path: '/admin/engines/stt',
      summary: "Forget the stored speech recogniser choice: new calls get the environment's (STT_ENGINE)",
      tag: 'engines',
      auth: ADMIN,
      audit: 'engines.reset',
      handler: reset('stt'),
    }),
    route({
      method: 'DELETE',
      path: '/admin/engines/tts',
      summary: "Forget the stored voice engine choice: new calls get the environment's (TTS_ENGINE)",
      tag: 'engines',
      auth: ADMIN,
      audit: 'engines.reset',
      handler: reset('tts'),
    }),
  ];
}
