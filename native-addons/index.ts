/**
 * Loader for our N-API DSP addon (native-addons/src, built by build.mjs into build/Release).
 *
 * The addon is optional: every function in it has a pure-TS twin in media/, and the media layer
 * picks the addon only when `nativeDsp` is non-null. `nativeDspUnavailableReason` says why it is
 * null (not built, failed to load, stale build, or disabled with VOICE_GATEWAY_NATIVE=0) so the
 * gateway's health report and the DSP bench can show it.
 *
 * This module imports nothing of ours (see DESIGN.md): it only describes the addon's shape.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Must equal kAbiVersion in src/addon.cc: a build from older sources is refused, not trusted. */
export const NATIVE_DSP_ABI_VERSION = 3;

export const NATIVE_DIR = path.dirname(fileURLToPath(import.meta.url));
export const NATIVE_BUILD_DIR = path.join(NATIVE_DIR, 'build');
export const NATIVE_ADDON_PATH = path.join(NATIVE_BUILD_DIR, 'Release', 'voice_dsp.node');

/** One streaming resampler kernel (see media/resampler-kernel-ts.ts for the contract). */
export interface NativeResamplerKernel {
  /** Writes every output `input` completes into `out` (the caller sizes it), returns how many. */
  process(input: Int16Array, out: Int16Array): number;
  reset(): void;
}

/** One rate pair's filter bank (Q14 coefficients), shared by its streams. */
export interface NativeFilter {
  readonly __nativeFilter?: never;
}

export interface NativeDsp {
  readonly abiVersion: number;
  readonly Filter: new (
    table: Int16Array,
    taps: number,
    up: number,
    down: number,
    advance: Int32Array,
    nextPhase: Int32Array,
  ) => NativeFilter;
  /** One stream (its own history and phase) over a shared filter. */
  readonly createResampler: (filter: NativeFilter) => NativeResamplerKernel;
}

export interface NativeLoadResult {
  dsp: NativeDsp | null;
  reason: string | null;
}

/**
 * Load the addon. `ignoreEnv` bypasses VOICE_GATEWAY_NATIVE=0 (tests that compare the two
 * implementations need the addon whatever the process-wide choice).
 */
export function loadNativeDsp(opts: { ignoreEnv?: boolean } = {}): NativeLoadResult {
  if (!opts.ignoreEnv && process.env.VOICE_GATEWAY_NATIVE === '0') {
    return { dsp: null, reason: 'disabled by VOICE_GATEWAY_NATIVE=0' };
  }
  if (!existsSync(NATIVE_ADDON_PATH)) {
    return { dsp: null, reason: `not built (${path.relative(process.cwd(), NATIVE_ADDON_PATH)} missing; run node native-addons/build.mjs)` };
  }
  let mod: Partial<NativeDsp>;
  try {
    mod = createRequire(import.meta.url)(NATIVE_ADDON_PATH) as Partial<NativeDsp>;
  } catch (err) {
    return { dsp: null, reason: `failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (mod.abiVersion !== NATIVE_DSP_ABI_VERSION || typeof mod.createResampler !== 'function' || typeof mod.Filter !== 'function') {
    return { dsp: null, reason: `stale build (abi ${String(mod.abiVersion)}, expected ${NATIVE_DSP_ABI_VERSION}); run node native-addons/build.mjs --force` };
  }
  return { dsp: mod as NativeDsp, reason: null };
}

const loaded = loadNativeDsp();

/** The addon for this process, or null (then see `nativeDspUnavailableReason`). */
export const nativeDsp: NativeDsp | null = loaded.dsp;
export const nativeDspUnavailableReason: string | null = loaded.reason;
