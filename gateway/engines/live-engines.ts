/**
 * The speech recogniser and the voice every new call gets, switchable while the gateway runs
 * (control/engines/engine-control.ts is the admin API's side). Each lives in an EngineSlot: a call
 * leases the engine current when it starts and keeps it to its end; a switch builds and tries the
 * new engine first (nothing changes when it fails), stores the owner's choice, and hands the new
 * engine to new calls, while the old one is closed when its last call ends.
 *
 * Precedence: an owner's stored choice wins over the environment's (STT_ENGINE, TTS_ENGINE, ...),
 * at every start too. A stored choice that cannot be built at start is logged, the environment's
 * engine serves instead, and /health and GET /admin/engines say so (`stored_choice_failed`).
 * Several gateways on one database: a choice stored through one reaches the others through the
 * conversation configuration's change notification (they call `sync()`), and each builds it
 * itself; one that cannot (its machine lacks the model) keeps its engine and says why.
 *
 * Switches, resets and syncs run one at a time, in order.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import {
  CHOICE_SCHEMAS,
  ENGINE_KINDS,
  EngineStartError,
  type EngineChoice,
  type EngineControl,
  type EngineKind,
  type EngineSlotView,
  type SttChoice,
  type TtsChoice,
} from '../../control/engines/engine-control.ts';
import { EngineSlot } from '../../pipeline/engines/engine-slot.ts';
import { createStt, createTts, type SttSelection, type TtsSelection } from '../../pipeline/engines/select.ts';
import type { SttEngine, TtsEngine } from '../../pipeline/engines/types.ts';
import type { ComponentHealth } from '../observability/health.ts';
import { buildStt, buildTts, startFailure, sttSelectionOf, ttsSelectionOf, type BuildContext } from './engine-build.ts';
import { engineOptions } from './engine-options.ts';
import type { ChoiceStore } from './stored-choice.ts';

type AnyEngine = SttEngine | TtsEngine;
type AnyChoice = SttChoice | TtsChoice;
type AnySelection = SttSelection | TtsSelection;

/** What one kind serves new calls now, as the admin API describes it. */
interface Active {
  source: 'environment' | 'admin';
  /** The owner's choice (source `admin`). */
  choice: AnyChoice | null;
  engine: string;
  model: string | null;
  voice: string | null;
}

interface KindState {
  slot: EngineSlot<AnyEngine>;
  active: Active;
  /** The manifest model each engine instance loaded (current and draining ones), for modelsInUse. */
  models: WeakMap<AnyEngine, string | null>;
  /** The version of the stored choice last acted on (null: none stored). */
  seen: string | null;
  failed: EngineSlotView['stored_choice_failed'];
}

export interface LiveEnginesOptions {
  /** The environment's selections (gateway/config.ts). */
  env: { stt: SttSelection; tts: TtsSelection };
  build: BuildContext;
  /** Where owners' choices are kept; null without a database (the environment's engines only). */
  store: ChoiceStore | null;
  log: Logger;
}

export class LiveEngines implements EngineControl {
  /** Models an engine is being built from right now (a switch in progress). */
  readonly #building = new Map<string, EngineKind>();
  readonly #kinds: Record<EngineKind, KindState>;
  readonly #listeners = new Set<(kind: EngineKind) => void>();
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly opts: LiveEnginesOptions,
    kinds: Record<EngineKind, KindState>,
  ) {
    this.#kinds = kinds;
  }

  /** Builds both engines: an owner's stored choice first, else (or when it fails) the environment's. Environment failures are thrown as they are, naming what is wrong. */
  static async start(opts: LiveEnginesOptions): Promise<LiveEngines> {
    const stt = await initialState('stt', opts);
    try {
      return new LiveEngines(opts, { stt, tts: await initialState('tts', opts) });
    } catch (err) {
      await stt.slot.close();
      throw err;
    }
  }

  /** The recogniser's slot, for the pipelines (each call leases from it). */
  get stt(): EngineSlot<SttEngine> {
    return this.#kinds.stt.slot as EngineSlot<SttEngine>;
  }

  get tts(): EngineSlot<TtsEngine> {
    return this.#kinds.tts.slot as EngineSlot<TtsEngine>;
  }

  /** `listener(kind)` runs once a new engine serves new calls (to warm greetings, grammars). */
  onSwap(listener: (kind: EngineKind) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The /health entry of one kind: the engine's own health, and whether the owner's choice is in effect. */
  health(kind: EngineKind): ComponentHealth {
    const st = this.#kinds[kind];
    const h = st.slot.engine.health();
    return {
      status: h.ok && !st.failed ? 'ok' : 'degraded',
      engine: h.name,
      detail: h.detail,
      source: st.active.source,
      ...(st.failed ? { stored_choice_failed: st.failed.error } : {}),
    };
  }

  async view(kind: EngineKind): Promise<EngineSlotView> {
    const st = this.#kinds[kind];
    const h = st.slot.engine.health();
    const { engine, model, voice, source } = st.active;
    return {
      engine,
      model,
      voice,
      source,
      runtime: h.name,
      // Viewers read this: the engine's own detail (model paths, its error text) stays on /health, for admins.
      health: { ok: h.ok, detail: h.ok ? null : 'the engine reports a fault: see /health or the log' },
      calls: st.slot.calls,
      draining: st.slot.draining().map((d) => ({ runtime: d.engine.name, calls: d.calls })),
      stored_choice_failed: st.failed,
      choices: await engineOptions(kind, this.opts.build.catalog),
    };
  }

  async choose<K extends EngineKind>(kind: K, choice: EngineChoice<K>, by: number | null): Promise<EngineSlotView> {
    await this.#serial(async () => {
      const st = this.#kinds[kind];
      const sel = await selectionOf(this.opts.build, kind, choice);
      // Counted as in use while it loads, so a model delete cannot remove the files under the build.
      const model = modelOf(choice);
      if (model) this.#building.set(model, kind);
      let engine: AnyEngine;
      try {
        engine = await build(this.opts.build, kind, sel, true);
      } finally {
        if (model) this.#building.delete(model);
      }
      let version: string | null = null;
      try {
        version = this.opts.store ? (await this.opts.store.set(kind, choice, by)).version : null;
      } catch (err) {
        await engine.close().catch(() => {});
        throw err;
      }
      this.#install(kind, engine, adminActive(choice), modelOf(choice));
      st.seen = version;
      st.failed = null;
    });
    return this.view(kind);
  }

  async reset(kind: EngineKind): Promise<EngineSlotView> {
    await this.#serial(async () => {
      const st = this.#kinds[kind];
      if (st.active.source === 'admin') {
        const engine = await build(this.opts.build, kind, this.opts.env[kind], true);
        try {
          await this.opts.store?.remove(kind);
        } catch (err) {
          await engine.close().catch(() => {});
          throw err;
        }
        this.#install(kind, engine, envActive(this.opts, kind), envModel(this.opts, kind));
      } else {
        await this.opts.store?.remove(kind); // a stored choice that failed here: forgotten too
      }
      st.seen = null;
      st.failed = null;
    });
    return this.view(kind);
  }

  /**
   * Act on what is stored now (another gateway's choice, a restored backup): build a choice not
   * acted on yet, or go back to the environment's engine when none is stored. Failures keep the
   * engine that serves and are reported, never thrown.
   */
  sync(): Promise<void> {
    const store = this.opts.store;
    if (!store) return Promise.resolve();
    return this.#serial(async () => {
      for (const kind of ENGINE_KINDS) {
        try {
          await this.#syncKind(kind, store);
        } catch (err) {
          this.opts.log.warn({ kind, err }, 'engines: reading the stored engine choice failed; the next configuration change tries again');
        }
      }
    });
  }

  async #syncKind(kind: EngineKind, store: ChoiceStore): Promise<void> {
    const st = this.#kinds[kind];
    const stored = await store.get(kind);
    if (!stored) {
      if (st.active.source === 'admin') {
        const engine = await build(this.opts.build, kind, this.opts.env[kind], true).catch((err: EngineStartError) => {
          this.opts.log.warn({ kind, err: err.message }, "engines: the stored choice was removed, but the environment's engine could not be started; keeping the engine that serves");
          return null;
        });
        if (engine) this.#install(kind, engine, envActive(this.opts, kind), envModel(this.opts, kind));
      }
      st.seen = null;
      st.failed = null;
      return;
    }
    if (stored.version !== '' && stored.version === st.seen) return;
    st.seen = stored.version;
    const parsed = CHOICE_SCHEMAS[kind].safeParse(stored.choice);
    if (!parsed.success) {
      st.failed = unreadable(stored.choice);
      this.opts.log.warn({ kind }, 'engines: the stored engine choice is not one this version understands; keeping the engine that serves');
      return;
    }
    const choice = parsed.data;
    if (st.active.source === 'admin' && sameChoice(st.active.choice, choice)) {
      st.failed = null;
      return;
    }
    try {
      const engine = await build(this.opts.build, kind, await selectionOf(this.opts.build, kind, choice), true);
      this.#install(kind, engine, adminActive(choice), modelOf(choice));
      st.failed = null;
    } catch (err) {
      const f = startFailure(this.opts.build.log, `the ${kind} engine ${choice.engine}`, err);
      st.failed = { choice, error: f.message, error_id: f instanceof EngineStartError ? f.errorId : null };
      this.opts.log.warn({ kind, choice, err: f.message }, 'engines: a stored engine choice could not be built here; keeping the engine that serves');
    }
  }

  modelsInUse(): Map<string, EngineKind> {
    const used = new Map<string, EngineKind>(this.#building);
    for (const kind of ENGINE_KINDS) {
      const st = this.#kinds[kind];
      for (const engine of [st.slot.engine, ...st.slot.draining().map((d) => d.engine)]) {
        const model = st.models.get(engine);
        if (model) used.set(model, kind);
      }
    }
    return used;
  }

  runtimeNames(): Record<EngineKind, string> {
    return { stt: this.#kinds.stt.slot.engine.name, tts: this.#kinds.tts.slot.engine.name };
  }

  async close(): Promise<void> {
    await this.#queue.catch(() => {});
    await Promise.all([this.#kinds.stt.slot.close(), this.#kinds.tts.slot.close()]);
  }

  #install(kind: EngineKind, engine: AnyEngine, active: Active, model: string | null): void {
    const st = this.#kinds[kind];
    const before = st.slot.engine.name;
    st.models.set(engine, model);
    st.active = active;
    void st.slot.replace(engine).then(() => this.opts.log.info({ kind, engine: before }, 'engines: the replaced engine is closed (its last call ended)'));
    this.opts.log.info({ kind, engine: active.engine, model: active.model, voice: active.voice, source: active.source, draining_calls: st.slot.draining().reduce((n, d) => n + d.calls, 0) }, 'engines: new calls get a new engine');
    for (const listener of this.#listeners) listener(kind);
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.catch(() => {}).then(work);
    this.#queue = run;
    return run;
  }
}

async function initialState(kind: EngineKind, opts: LiveEnginesOptions): Promise<KindState> {
  const stored = opts.store ? await opts.store.get(kind).catch((err: unknown) => (opts.log.warn({ kind, err }, "engines: the stored engine choice could not be read; using the environment's"), null)) : null;
  let failed: KindState['failed'] = null;
  if (stored) {
    const parsed = CHOICE_SCHEMAS[kind].safeParse(stored.choice);
    if (parsed.success) {
      try {
        const engine = await build(opts.build, kind, await selectionOf(opts.build, kind, parsed.data), false);
        return state(engine, adminActive(parsed.data), modelOf(parsed.data), stored.version, null);
      } catch (err) {
        const f = startFailure(opts.build.log, `the ${kind} engine ${parsed.data.engine}`, err);
        failed = { choice: parsed.data, error: f.message, error_id: f instanceof EngineStartError ? f.errorId : null };
      }
    } else failed = unreadable(stored.choice);
    opts.log.warn({ kind, choice: stored.choice, err: failed.error }, "engines: the stored engine choice could not be built at start; using the environment's");
  }
  // The environment's engine as before: its failures stop the start, naming the setting or directory.
  const sel = opts.env[kind];
  const engine: AnyEngine = kind === 'stt' ? await createStt(sel as SttSelection, opts.build.modelsDir, opts.build.log) : await createTts(sel as TtsSelection, opts.build.modelsDir, opts.build.log);
  return state(engine, envActive(opts, kind), envModel(opts, kind), stored?.version ?? null, failed);
}

function state(engine: AnyEngine, active: Active, model: string | null, seen: string | null, failed: KindState['failed']): KindState {
  const models = new WeakMap<AnyEngine, string | null>([[engine, model]]);
  return { slot: new EngineSlot<AnyEngine>(engine), active, models, seen, failed };
}

const unreadable = (choice: unknown): NonNullable<KindState['failed']> => ({ choice, error: 'the stored choice is not one this version of the gateway understands; choose again', error_id: null });

function selectionOf(ctx: BuildContext, kind: EngineKind, choice: AnyChoice): Promise<AnySelection> {
  return kind === 'stt' ? sttSelectionOf(ctx, choice as SttChoice) : ttsSelectionOf(ctx, choice as TtsChoice);
}

function build(ctx: BuildContext, kind: EngineKind, sel: AnySelection, tryIt: boolean): Promise<AnyEngine> {
  return kind === 'stt' ? buildStt(ctx, sel as SttSelection, tryIt) : buildTts(ctx, sel as TtsSelection, tryIt);
}

const modelOf = (choice: AnyChoice): string | null => ('model' in choice ? choice.model : null);

const adminActive = (choice: AnyChoice): Active => ({ source: 'admin', choice, engine: choice.engine, model: modelOf(choice), voice: 'voice' in choice ? (choice.voice ?? null) : null });

function envActive(opts: LiveEnginesOptions, kind: EngineKind): Active {
  const sel = opts.env[kind] as AnySelection & { model?: string; modelDir?: string; voice?: string };
  const model = sel.model ?? (sel.modelDir ? path.basename(sel.modelDir) : null);
  return { source: 'environment', choice: null, engine: sel.engine, model, voice: typeof sel.voice === 'string' ? sel.voice : null };
}

/** The manifest model the environment's sherpa engine loads, by name (or by its directory under the models directory). */
function envModel(opts: LiveEnginesOptions, kind: EngineKind): string | null {
  const sel = opts.env[kind] as AnySelection & { model?: string; modelDir?: string };
  if (!sel.engine.startsWith('sherpa')) return null;
  if (sel.model) return sel.model;
  if (!sel.modelDir) return null;
  const dir = path.resolve(opts.build.modelsDir, sel.modelDir);
  return opts.build.catalog.entries().find((e) => path.resolve(opts.build.catalog.dir, e.name) === dir)?.name ?? null;
}

const sameChoice = (a: AnyChoice | null, b: AnyChoice): boolean =>
  a !== null && a.engine === b.engine && modelOf(a) === modelOf(b) && ('voice' in a ? a.voice : undefined) === ('voice' in b ? b.voice : undefined);
