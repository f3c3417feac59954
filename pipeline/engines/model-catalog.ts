/**
 * The models an owner may install and choose at run time: the entries of the manifest (the
 * allow-list: only its names, and so only its URLs, are ever fetched), where each is installed,
 * fetching one (models/fetch.ts: resumable, sha256-checked, unpacked atomically) and removing one.
 * The gateway's engine choice and the admin API's model routes share one catalog, so "installed"
 * and "in use" mean the same to both.
 *
 * Paths are built here from manifest names only (plain, directory-safe names: the manifest's
 * schema) under the models directory; nothing a client sends becomes a path.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { installStatus, listHfCache, type HfRepo, type InstallStatus } from '../../models/discover.ts';
import type { FetchEvent } from '../../models/fetch-events.ts';
import { fetchModel, IntegrityError, OfflineError, type FetchOptions, type FetchResult } from '../../models/fetch.ts';
import { HttpStatusError } from '../../models/http-get.ts';
import { hfHubDir, modelsDir as defaultModelsDir } from '../../models/locations.ts';
import { loadManifest, type Manifest, type ModelEntry, type ModelKind } from '../../models/manifest.ts';
import { suggest } from '../../models/suggest.ts';

export type { FetchEvent } from '../../models/fetch-events.ts';
export type { ModelEntry, ModelKind } from '../../models/manifest.ts';

export type ModelInstallState = 'installed' | 'incomplete' | 'absent';

export interface ModelInstall {
  state: ModelInstallState;
  /** `models_dir`: under the gateway's models directory; `hf_cache`: a HuggingFace hub snapshot (read only). */
  location: 'models_dir' | 'hf_cache' | null;
  /** Where the files are (server side); null when absent. */
  path: string | null;
  /** Files the engine needs that are not there (incomplete installs). */
  missing: string[];
}

/** Why a fetch failed, in our words; what the network or tar said is for the log only. */
export type FetchFailure = 'offline' | 'checksum' | 'http_status' | 'busy' | 'aborted' | 'failed';

export class ModelFetchError extends Error {
  override name = 'ModelFetchError';
  constructor(
    readonly reason: FetchFailure,
    message: string,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

export interface ModelCatalogOptions {
  /** The models directory (default: $MODELS_DIR, else data/models, as `npm run models`). */
  dir?: string;
  /** The entries offered (default models/manifest.json). Tests pass their own; no client can. */
  manifest?: Manifest;
  /** The HuggingFace hub cache to look in (default as `npm run models`); null: none. */
  hubDir?: string | null;
  /** Download settings (retries, timeouts, proxy); tests shorten the retry delay. */
  fetch?: Pick<FetchOptions, 'retries' | 'retryDelayMs' | 'timeoutMs' | 'proxy' | 'env'>;
  /** Where MODELS_DIR and the HuggingFace variables are read (default process.env). */
  env?: Record<string, string | undefined>;
}

export class ModelCatalog {
  readonly dir: string;
  readonly #manifest: Manifest;
  readonly #hubDir: string | null;
  readonly #fetch: ModelCatalogOptions['fetch'];

  constructor(opts: ModelCatalogOptions = {}) {
    const env = opts.env ?? process.env;
    this.dir = opts.dir ?? defaultModelsDir(env);
    this.#manifest = opts.manifest ?? loadManifest();
    this.#hubDir = opts.hubDir === undefined ? hfHubDir(env) : opts.hubDir;
    this.#fetch = opts.fetch;
  }

  entries(): readonly ModelEntry[] {
    return this.#manifest.models;
  }

  find(name: string): ModelEntry | undefined {
    return this.#manifest.models.find((m) => m.name === name);
  }

  /** Manifest names close to `name` ("did you mean"). */
  closeTo(name: string): string[] {
    return suggest(name, this.#manifest.models.map((m) => m.name));
  }

  /** Where one entry is installed. */
  async install(entry: ModelEntry): Promise<ModelInstall> {
    return fromStatus(await installStatus(entry, this.dir, await this.#hfRepos()));
  }

  /** Every entry's install, reading the HF cache once. */
  async installs(): Promise<Map<string, ModelInstall>> {
    const repos = await this.#hfRepos();
    const out = new Map<string, ModelInstall>();
    for (const e of this.#manifest.models) out.set(e.name, fromStatus(await installStatus(e, this.dir, repos)));
    return out;
  }

  /** The installed entries of `kind`, by name (what an owner may choose for an engine). */
  async installedOf(kind: ModelKind): Promise<Array<{ entry: ModelEntry; install: ModelInstall }>> {
    const all = await this.installs();
    return this.#manifest.models.filter((e) => e.kind === kind && all.get(e.name)?.state === 'installed').map((entry) => ({ entry, install: all.get(entry.name)! }));
  }

  /** Download, verify and unpack into the models directory. Failures are ModelFetchErrors. */
  async fetch(entry: ModelEntry, onEvent: (e: FetchEvent) => void, signal?: AbortSignal): Promise<FetchResult> {
    try {
      return await fetchModel(entry, { ...this.#fetch, dir: this.dir, onEvent, signal });
    } catch (err) {
      throw classify(err, signal);
    }
  }

  /**
   * Remove an install under the models directory (and any partial download of it). A model found
   * only in the HuggingFace cache is not ours to delete: false.
   */
  async remove(entry: ModelEntry): Promise<boolean> {
    const install = await this.install(entry);
    if (install.location !== 'models_dir') return false;
    await rm(join(this.dir, entry.name), { recursive: true, force: true });
    return true;
  }

  async #hfRepos(): Promise<HfRepo[]> {
    return this.#hubDir === null ? [] : listHfCache(this.#hubDir);
  }
}

function fromStatus(s: InstallStatus): ModelInstall {
  return {
    state: s.state === 'complete' ? 'installed' : s.state === 'missing' ? 'absent' : 'incomplete',
    location: s.location === 'models-dir' ? 'models_dir' : s.location === 'hf-cache' ? 'hf_cache' : null,
    path: s.path,
    missing: s.missing,
  };
}

function classify(err: unknown, signal: AbortSignal | undefined): ModelFetchError {
  if (signal?.aborted) return new ModelFetchError('aborted', 'the download was stopped (the gateway is shutting down); what arrived is kept and a new fetch resumes it', err);
  if (err instanceof OfflineError) return new ModelFetchError('offline', 'the download server cannot be reached from this machine', err);
  if (err instanceof IntegrityError) return new ModelFetchError('checksum', 'the download does not match the checksum in the manifest and was deleted', err);
  const status = findCause(err, (e): e is HttpStatusError => e instanceof HttpStatusError);
  if (status) return new ModelFetchError('http_status', `the download server answered HTTP ${status.status}`, err);
  if (/already running|another fetch/.test((err as Error)?.message ?? '')) return new ModelFetchError('busy', 'another fetch of this model is running (perhaps `npm run models -- fetch`)', err);
  return new ModelFetchError('failed', 'the download or its unpacking failed', err);
}

function findCause<T>(err: unknown, is: (e: unknown) => e is T): T | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) if (is(e)) return e;
  return undefined;
}
