/**
 * Speech models through the admin API: the manifest's models with where each is installed and
 * whether an engine uses it now, downloads as jobs with progress (control/models/model-jobs.ts),
 * and removing one that nothing uses. Only manifest names are accepted: the manifest is the
 * allow-list of what may be downloaded, and from where (docs/control-plane.md, "Egress policy").
 */
import { z } from 'zod';
import { HttpError, conflict, notFound } from '../http/errors.ts';
import { json, noContent, route, type RouteDef } from '../http/route.ts';
import { FetchRunningError } from '../models/model-jobs.ts';
import type { ControlServices } from '../services.ts';

const READ = { kind: 'user', role: 'viewer' } as const;
const ADMIN = { kind: 'user', role: 'admin' } as const;

const NameParams = z.object({ name: z.string().min(1).max(200) });
// Any id the gateway never gave is simply unknown (404, as for every other record); it only ever
// reaches a map lookup, so the bound is on length, not on the form job ids have.
const JobParams = z.object({ id: z.string().min(1).max(64) });

export function modelsRoutes(s: ControlServices): RouteDef[] {
  const catalog = s.models.catalog;
  /** The manifest entry, or 404 naming close names and where the list is. */
  const entryOf = (name: string) => {
    const entry = catalog.find(name);
    if (entry) return entry;
    const close = catalog.closeTo(name);
    throw new HttpError(404, 'unknown_model', `no model named ${JSON.stringify(name.slice(0, 80))} in the manifest${close.length ? `; did you mean ${close.slice(0, 3).join(', ')}?` : ''} (GET /admin/models lists every name)`, { did_you_mean: close.slice(0, 5) });
  };
  const inUse = () => s.live.engines?.modelsInUse() ?? new Map();
  return [
    route({
      method: 'GET',
      path: '/admin/models',
      summary: 'Every model of the manifest: kind, languages, size, whether installed (and where), whether an engine uses it now; and the download jobs',
      tag: 'models',
      auth: READ,
      async handler() {
        const installs = await catalog.installs();
        const used = inUse();
        const items = catalog.entries().map((e) => {
          const install = installs.get(e.name)!;
          return {
            name: e.name,
            kind: e.kind,
            engine_type: e.engine.type,
            languages: e.languages,
            description: e.description,
            size_bytes: e.sizeBytes,
            verified: e.verified,
            licence: e.licence,
            status: install.state,
            location: install.location,
            missing_files: install.missing,
            in_use: used.get(e.name) ?? null,
            job_id: s.models.active(e.name)?.id ?? null,
          };
        });
        return json({ items, jobs: s.models.list() });
      },
    }),
    route({
      method: 'POST',
      path: '/admin/models/:name/fetch',
      summary: 'Start downloading a manifest model (resumable, sha256-checked, unpacked): 202 with the job to poll',
      tag: 'models',
      auth: ADMIN,
      audit: 'models.fetch',
      params: NameParams,
      async handler(ctx) {
        const entry = entryOf(ctx.params.name);
        ctx.audit.target = `model:${entry.name}`;
        try {
          const job = s.models.start(entry);
          ctx.audit.details = { job_id: job.id };
          return json(job, 202);
        } catch (err) {
          if (err instanceof FetchRunningError) throw conflict(err.message, { job_id: err.job.id });
          throw err;
        }
      },
    }),
    route({
      method: 'GET',
      path: '/admin/models/jobs/:id',
      summary: 'One download job: state, bytes received of the total, and why it failed',
      tag: 'models',
      auth: READ,
      params: JobParams,
      async handler(ctx) {
        const job = s.models.get(ctx.params.id);
        if (!job) throw notFound('model download job');
        return json(job);
      },
    }),
    route({
      method: 'DELETE',
      path: '/admin/models/:name',
      summary: 'Remove an installed model from the models directory, unless an engine uses it or it is being fetched',
      tag: 'models',
      auth: ADMIN,
      audit: 'models.delete',
      params: NameParams,
      async handler(ctx) {
        const entry = entryOf(ctx.params.name);
        ctx.audit.target = `model:${entry.name}`;
        const refuseIfInUse = () => {
          const user = inUse().get(entry.name);
          if (user) throw conflict(`${entry.name} is in use by ${user === 'stt' ? 'speech recognition' : 'the voice'}; choose another engine or model first (PUT /admin/engines/${user})`, { in_use: user });
        };
        refuseIfInUse();
        const job = s.models.active(entry.name);
        if (job) throw conflict(`${entry.name} is being fetched (job ${job.id}); wait for it to end`, { job_id: job.id });
        const install = await catalog.install(entry);
        if (install.state === 'absent') throw new HttpError(404, 'not_installed', `${entry.name} is not installed`);
        if (install.location !== 'models_dir') throw conflict(`${entry.name} is in the HuggingFace cache, which the gateway reads but never changes`, { location: install.location });
        // Asked again after the awaits above: a switch to this model may have started meanwhile.
        refuseIfInUse();
        await catalog.remove(entry);
        return noContent();
      },
    }),
  ];
}
