/**
 * Gateway configuration from the environment, with documented defaults (see README "Configuration").
 * Parsed once at start-up; a bad value stops the process with a message naming the variable,
 * rather than surfacing later as a confusing runtime failure.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { rateSpecVar, type RateSpec } from '../control/config.ts';
import { DEFAULT_UPGRADE_FAILURE_LIMIT } from '../control/http/upgrade-guard.ts';
import { engineNice } from '../pipeline/engines/engine-nice.ts';
import { STT_ENGINES, TTS_ENGINES, type SttSelection, type TtsSelection } from '../pipeline/engines/select.ts';
import { VAD_RUNTIMES, type VadRuntime } from '../pipeline/engines/vad-silero.ts';
import { DEFAULT_DIALOGUE_SETTINGS, type DialogueSettings } from '../pipeline/conversation/dialogue-settings.ts';
import { normalizeWords } from '../pipeline/turn/config.ts';

const intFrom = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z.object({
  PORT: intFrom(0, 65535).optional(),
  ORCHESTRATOR_PORT: intFrom(0, 65535).optional(),
  HOST: z.string().min(1).default('0.0.0.0'),
  DATA_DIR: z.string().min(1).default('data'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Bearer token for /metrics and for the components of /health (see gateway/observability/http-routes.ts). */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** Serve /metrics (and a full /health) on a listener of its own, not on the public port. */
  METRICS_PORT: intFrom(0, 65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Bearer token for the WebSocket voice path; when unset, one is generated into DATA_DIR/voice-token. */
  VOICE_WS_TOKEN: z.string().min(16, 'VOICE_WS_TOKEN must be at least 16 characters').optional(),
  VOICE_WS_PATH: z.string().regex(/^\/[A-Za-z0-9/_-]*$/, 'VOICE_WS_PATH must be a URL path').default('/ws/voice'),
  /** Seconds a client may stay silent on the socket (no frames, no pings) before it is closed. */
  VOICE_WS_IDLE_TIMEOUT_S: intFrom(8, 960).default(32),
  /** A client must send `start` within this many milliseconds of connecting. */
  VOICE_WS_START_TIMEOUT_MS: intFrom(100, 120000).default(10000),
  /** Bytes queued toward one client before it counts as a slow consumer and is closed (4008). */
  VOICE_WS_MAX_BUFFERED_BYTES: intFrom(4096, 64 * 1024 * 1024).default(256 * 1024),
  /** Largest audio message accepted; larger ones get an error event and are dropped. */
  VOICE_WS_MAX_FRAME_BYTES: intFrom(320, 1024 * 1024).default(32 * 1024),
  /**
   * Protocol errors (bad JSON, invalid messages, undecodable audio...) one connection may cause
   * within VOICE_WS_ERROR_WINDOW_S before it is closed with 4000 (0 = never).
   */
  VOICE_WS_MAX_ERRORS: intFrom(0, 100000).default(20),
  VOICE_WS_ERROR_WINDOW_S: intFrom(1, 3600).default(10),
  /**
   * Failed WebSocket upgrades per client IP (missing or wrong token, a path with no socket) before
   * it gets 429 without a token check, on every WebSocket of the gateway: `count/period` or `off`.
   */
  WS_UPGRADE_FAILURE_LIMIT: rateSpecVar(DEFAULT_UPGRADE_FAILURE_LIMIT),
  /** Inbound jitter-buffer target depth in 20 ms frames (0 = hand audio to the pipeline at once). */
  VOICE_JITTER_FRAMES: intFrom(0, 50).default(2),
  /** Most concurrent voice calls; further `start` messages get `capacity` errors. */
  MAX_CALLS: intFrom(1, 100000).default(1000),
  /**
   * Which conversation runs per call: `secretary` (Silero VAD, speech recognition, TTS and the
   * built-in secretary or an LLM) or `echo`, which loops caller audio back (transport testing).
   */
  PIPELINE: z.enum(['secretary', 'echo']).default('secretary'),
  /** Language of the shipped sample persona and FAQ. */
  PERSONA_LANGUAGE: z.enum(['en', 'ru']).default('en'),
  /** Silero speech probability threshold. */
  VAD_THRESHOLD: z.coerce.number().min(0.05).max(0.95).default(0.5),
  /**
   * Speech needed before the VAD reports a start: short, so reply audio pauses quickly when the
   * caller cuts in (barge-in); segments under 200 ms are then dropped as noise by the turn manager.
   */
  VAD_MIN_SPEECH_MS: intFrom(30, 2000).default(64),
  /** Silence that ends the caller's turn: the endpointing knob (phone callers pause mid-sentence). */
  VAD_MIN_SILENCE_MS: intFrom(100, 3000).default(500),
  /**
   * A shorter silence at which a turn may end early: when the recogniser is sure the caller said a
   * whole phrase the dialogue expects (a persona can turn it off: early_turn_end). 0: never.
   * Batched VAD runtime only.
   */
  VAD_PAUSE_MS: intFrom(0, 3000).default(200),
  /** How much longer than VAD_MIN_SILENCE_MS a turn that plainly goes on ("my number is", "five five five") waits for more; 0: never. */
  TURN_HOLD_MS: intFrom(0, 5000).default(800),
  /**
   * How much longer than VAD_MIN_SILENCE_MS a short reading the recogniser was unsure of (three
   * words at most, not its grammar's reading taken outright: often the misheard start of a sentence, "what are your" as
   * "well") waits for more; 0: never.
   */
  TURN_HOLD_UNSURE_MS: intFrom(0, 5000).default(400),
  /**
   * How Silero is inferred: `batched` (one shared ONNX session per VAD thread, every call's window
   * in one run) or `sherpa` (sherpa-onnx's detector per call: the reference, ~10 MB more per call).
   */
  VAD_RUNTIME: z.enum(VAD_RUNTIMES).default('batched'),
  /** VAD threads (each holds one model; one carries dozens of calls). */
  VAD_THREADS: intFrom(1, 16).default(1),
  /** `rnnoise`: each call's audio is denoised (RNNoise) before the VAD and the recogniser; `off`: as it came. See docs/benchmarks.md (noise). */
  NOISE_SUPPRESSION: z.enum(['off', 'rnnoise']).default('off'),
  /**
   * `on`: a reply pauses at the VAD's first window of possible speech (an onset), one
   * VAD_MIN_SPEECH_MS before the start is sure, and goes on if no start follows; `off`: at the
   * start. Batched VAD runtime only. See docs/benchmarks.md (voice, barge-in at the onset).
   */
  BARGE_IN_ONSET: z.enum(['on', 'off']).default('on'),
  /** Caller speech this long while the assistant talks cancels the reply; shorter speech pauses it and is judged on what was heard. */
  BARGE_IN_CONFIRM_MS: intFrom(0, 5000).default(800),
  /**
   * Words that never interrupt the reply, comma-separated ("mhm,ага,yes"); unset: the built-in list
   * (turn/config.ts). A "yes" that answers what the reply asks is a turn whatever this says.
   */
  BARGE_IN_BACKCHANNELS: z
    .string()
    .optional()
    .transform((s) => (s === undefined ? undefined : s.split(',').map((w) => normalizeWords(w)).filter((w) => w !== ''))),
  /** Words that always interrupt the reply, comma-separated ("stop,wait,стоп"); unset: the built-in list (turn/config.ts). */
  BARGE_IN_INTERRUPT_WORDS: z
    .string()
    .optional()
    .transform((s) => (s === undefined ? undefined : s.split(',').map((w) => normalizeWords(w)).filter((w) => w !== ''))),
  /**
   * Where sherpa-onnx models live: `npm run models -- fetch <name>` and POST /admin/models/:name/fetch
   * put them here. The same default as the models CLI (models/locations.ts), under the gitignored
   * data/ (it was `models`, the manifest's source folder, where the CLI never fetched to).
   */
  MODELS_DIR: z.string().min(1).default('data/models'),
  /**
   * Speech recognition: pocketsphinx (Debian package, always available here), a sherpa-onnx
   * streaming (`sherpa-online`) or offline (`sherpa-offline`) model, or an OpenAI-compatible
   * /v1/audio/transcriptions server (`openai`).
   */
  STT_ENGINE: z.enum(STT_ENGINES).default('pocketsphinx'),
  /** sherpa: the model directory (relative to MODELS_DIR or absolute). */
  STT_MODEL_DIR: z.string().min(1).optional(),
  /** sherpa: a model name from models/manifest.json; openai: the server's model id. */
  STT_MODEL: z.string().min(1).optional(),
  STT_BASE_URL: z.string().url('STT_BASE_URL must be a URL').optional(),
  STT_API_KEY: z.string().min(1).optional(),
  /** Voice: espeak-ng (always available), a sherpa-onnx VITS/Piper, Matcha or Kokoro model, or an OpenAI-compatible /v1/audio/speech server. */
  TTS_ENGINE: z.enum(TTS_ENGINES).default('espeak'),
  TTS_MODEL_DIR: z.string().min(1).optional(),
  TTS_MODEL: z.string().min(1).optional(),
  TTS_BASE_URL: z.string().url('TTS_BASE_URL must be a URL').optional(),
  TTS_API_KEY: z.string().min(1).optional(),
  TTS_VOICE: z.string().min(1).optional(),
  /** OpenAI-compatible LLM; without it the built-in secretary (FAQ + take a message) answers. */
  LLM_BASE_URL: z.string().url('LLM_BASE_URL must be a URL').optional(),
  LLM_MODEL: z.string().min(1).default('gpt-4o-mini'),
  LLM_API_KEY: z.string().min(1).optional(),
  /** No first token within this long: the secretary answers that turn instead. */
  LLM_FIRST_TOKEN_MS: intFrom(100, 120000).default(8000),
  /**
   * HTTP(S) proxy for the LLM only, `http://[user:password@]host:port`. HTTPS_PROXY is not read: it
   * would also catch a local vLLM/Ollama on loopback, which must not go through a corporate proxy.
   */
  LLM_PROXY_URL: z.url({ protocol: /^https?$/, error: 'LLM_PROXY_URL must be an http:// or https:// URL' }).optional(),
  SHUTDOWN_GRACE_MS: intFrom(0, 60000).default(3000),
  /** The admin UI's built files (docs/ui.md); default ui/dist of this checkout. */
  UI_DIST_DIR: z.string().min(1).optional(),
  /** auto: build ui/dist at start when missing or built from other sources (in the background); off: serve what is there. */
  UI_BUILD: z.enum(['auto', 'off']).default('auto'),
  /**
   * Read by pipeline/engines/engine-nice.ts when an engine process starts; checked here, by that
   * same parser, so a bad value fails at start and both read every value alike ('' is the default).
   */
  ENGINE_NICE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      try {
        return engineNice({ ENGINE_NICE: raw });
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message });
        return z.NEVER;
      }
    }),
  /** Force the TypeScript DSP twin even when the native addon is built (`0`). */
  VOICE_GATEWAY_NATIVE: z.enum(['0', '1']).optional(),
});

export interface GatewayConfig {
  port: number;
  host: string;
  dataDir: string;
  logLevel: z.infer<typeof EnvSchema>['LOG_LEVEL'];
  /** Who reads /metrics and the /health components, and where /metrics is served. */
  metrics: { token?: string; port?: number; host: string };
  voice: {
    path: string;
    token?: string;
    idleTimeoutS: number;
    startTimeoutMs: number;
    maxBufferedBytes: number;
    maxFrameBytes: number;
    jitterFrames: number;
    maxCalls: number;
    /** Protocol errors within errorWindowMs that close a connection (0 = never). */
    maxErrors: number;
    errorWindowMs: number;
  };
  /** Failed WebSocket upgrades per IP before 429 (null: no limit). */
  upgradeFailureLimit: RateSpec | null;
  pipeline: 'secretary' | 'echo';
  secretary: {
    language: 'en' | 'ru';
    vad: { threshold: number; minSpeechSec: number; minSilenceSec: number; pauseSec: number; onsets: boolean; runtime: VadRuntime; poolSize: number };
    bargeInConfirmMs: number;
    incompleteHoldMs: number;
    unsureHoldMs: number;
    noiseSuppression: 'off' | 'rnnoise';
    /** undefined: the built-in list. */
    backchannels?: string[];
    /** undefined: the built-in list. */
    interruptWords?: string[];
    llm?: { baseURL: string; model: string; apiKey?: string; firstTokenMs: number; proxyUrl?: string };
    /** LLM_FIRST_TOKEN_MS: on a call, any provider (environment or stored) that says nothing for this long gives the turn to the secretary. */
    llmFirstTokenMs: number;
    stt: SttSelection;
    tts: TtsSelection;
    /** Base for relative model directories and manifest names. */
    modelsDir: string;
    /**
     * Silence, call length and offering a message for the shipped personas: what a call gets when
     * no settings are configured for its persona. Not read from the environment (an admin sets
     * them per persona); tests set them here.
     */
    dialogue: DialogueSettings;
  };
  shutdownGraceMs: number;
  /** The admin SPA served at `/` (gateway/ui/): where its build is, and whether to build it at start. */
  ui: { distDir: string; build: 'auto' | 'off' };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export const DEFAULT_PORT = 8002;
/** ui/dist of this checkout, wherever the process was started from. */
export const DEFAULT_UI_DIST = fileURLToPath(new URL('../ui/dist', import.meta.url));

export function loadConfig(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid configuration: ${problems}`);
  }
  const e = parsed.data;
  const stt = sttSelection(e);
  const tts = ttsSelection(e);
  return {
    port: e.PORT ?? e.ORCHESTRATOR_PORT ?? DEFAULT_PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    logLevel: e.LOG_LEVEL,
    metrics: { token: e.METRICS_TOKEN, port: e.METRICS_PORT, host: e.METRICS_HOST },
    voice: {
      path: e.VOICE_WS_PATH,
      token: e.VOICE_WS_TOKEN,
      idleTimeoutS: e.VOICE_WS_IDLE_TIMEOUT_S,
      startTimeoutMs: e.VOICE_WS_START_TIMEOUT_MS,
      maxBufferedBytes: e.VOICE_WS_MAX_BUFFERED_BYTES,
      maxFrameBytes: e.VOICE_WS_MAX_FRAME_BYTES,
      jitterFrames: e.VOICE_JITTER_FRAMES,
      maxCalls: e.MAX_CALLS,
      maxErrors: e.VOICE_WS_MAX_ERRORS,
      errorWindowMs: e.VOICE_WS_ERROR_WINDOW_S * 1000,
    },
    upgradeFailureLimit: e.WS_UPGRADE_FAILURE_LIMIT,
    pipeline: e.PIPELINE,
    secretary: {
      language: e.PERSONA_LANGUAGE,
      vad: {
        threshold: e.VAD_THRESHOLD,
        minSpeechSec: e.VAD_MIN_SPEECH_MS / 1000,
        minSilenceSec: e.VAD_MIN_SILENCE_MS / 1000,
        // A pause as long as the full silence would never come first.
        pauseSec: e.VAD_PAUSE_MS < e.VAD_MIN_SILENCE_MS ? e.VAD_PAUSE_MS / 1000 : 0,
        onsets: e.BARGE_IN_ONSET === 'on',
        runtime: e.VAD_RUNTIME,
        poolSize: e.VAD_THREADS,
      },
      bargeInConfirmMs: e.BARGE_IN_CONFIRM_MS,
      incompleteHoldMs: e.TURN_HOLD_MS,
      unsureHoldMs: e.TURN_HOLD_UNSURE_MS,
      noiseSuppression: e.NOISE_SUPPRESSION,
      backchannels: e.BARGE_IN_BACKCHANNELS,
      interruptWords: e.BARGE_IN_INTERRUPT_WORDS,
      stt,
      tts,
      modelsDir: path.resolve(e.MODELS_DIR),
      dialogue: { ...DEFAULT_DIALOGUE_SETTINGS },
      llm: e.LLM_BASE_URL ? { baseURL: e.LLM_BASE_URL, model: e.LLM_MODEL, apiKey: e.LLM_API_KEY, firstTokenMs: e.LLM_FIRST_TOKEN_MS, proxyUrl: e.LLM_PROXY_URL } : undefined,
      llmFirstTokenMs: e.LLM_FIRST_TOKEN_MS,
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    ui: { distDir: e.UI_DIST_DIR ? path.resolve(e.UI_DIST_DIR) : DEFAULT_UI_DIST, build: e.UI_BUILD },
  };
}

type Env = z.infer<typeof EnvSchema>;

function needs(what: string, missing: Array<[string, unknown]>): void {
  const names = missing.filter(([, v]) => v === undefined).map(([k]) => k);
  if (names.length) throw new ConfigError(`invalid configuration: ${what} needs ${names.join(' and ')}`);
}

/** A sherpa model by directory or by manifest name: one of the two is required. */
function sherpaRef(kind: 'STT' | 'TTS', dir: string | undefined, name: string | undefined): { modelDir?: string; model?: string } {
  if (!dir && !name) throw new ConfigError(`invalid configuration: ${kind}_ENGINE=${kind === 'STT' ? 'sherpa-*' : 'sherpa'} needs ${kind}_MODEL_DIR (a directory) or ${kind}_MODEL (a name from models/manifest.json; see \`npm run models -- list\`)`);
  return { ...(dir ? { modelDir: path.resolve(dir) } : {}), ...(name ? { model: name } : {}) };
}

function sttSelection(e: Env): SttSelection {
  switch (e.STT_ENGINE) {
    case 'pocketsphinx':
      return { engine: 'pocketsphinx' };
    case 'sherpa-online':
    case 'sherpa-offline':
      return { engine: e.STT_ENGINE, ...sherpaRef('STT', e.STT_MODEL_DIR, e.STT_MODEL) };
    case 'openai':
      needs('STT_ENGINE=openai', [['STT_BASE_URL', e.STT_BASE_URL], ['STT_MODEL', e.STT_MODEL]]);
      return { engine: 'openai', baseURL: e.STT_BASE_URL!, model: e.STT_MODEL!, apiKey: e.STT_API_KEY, language: e.PERSONA_LANGUAGE };
  }
}

function ttsSelection(e: Env): TtsSelection {
  switch (e.TTS_ENGINE) {
    case 'espeak':
      return { engine: 'espeak' };
    case 'sherpa':
      return { engine: 'sherpa', ...sherpaRef('TTS', e.TTS_MODEL_DIR, e.TTS_MODEL) };
    case 'openai':
      needs('TTS_ENGINE=openai', [['TTS_BASE_URL', e.TTS_BASE_URL], ['TTS_MODEL', e.TTS_MODEL], ['TTS_VOICE', e.TTS_VOICE]]);
      return { engine: 'openai', baseURL: e.TTS_BASE_URL!, model: e.TTS_MODEL!, voice: e.TTS_VOICE!, apiKey: e.TTS_API_KEY };
  }
}
