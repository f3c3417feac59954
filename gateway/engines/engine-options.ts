/**
 * The engines an owner could choose, each with whether it can be chosen now and, when not, why in
 * words: a Debian package missing, no model of the right kind installed, or an engine the
 * environment alone may set (the OpenAI-compatible servers: their URL and key are the operator's).
 */
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import type { EngineKind, EngineOption } from '../../control/engines/engine-control.ts';
import type { ModelCatalog, ModelKind } from '../../pipeline/engines/model-catalog.ts';
import { DEFAULT_POCKETSPHINX_MODEL } from '../../pipeline/engines/stt-pocketsphinx.ts';

/** Whether `command` is an executable file in a directory of PATH. */
export function onPath(command: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(path.delimiter).filter(Boolean)) {
    try {
      accessSync(path.join(dir, command), constants.X_OK);
      return true;
    } catch {
      /* not in this one */
    }
  }
  return false;
}

const settable = (engine: string, reason: string | null, models: string[] = []): EngineOption => ({ engine, available: reason === null, reason, models, settable: true });

async function sherpaOption(engine: string, catalog: ModelCatalog, kind: ModelKind, what: string): Promise<EngineOption> {
  const models = (await catalog.installedOf(kind)).map((m) => m.entry.name);
  return settable(engine, models.length ? null : `no ${what} model is installed; fetch one (GET /admin/models, kind ${kind})`, models);
}

const ENV_ONLY: Record<EngineKind, EngineOption> = {
  stt: { engine: 'openai', available: false, reason: 'an OpenAI-compatible server is set through the environment only (STT_ENGINE=openai, STT_BASE_URL, STT_MODEL)', models: [], settable: false },
  tts: { engine: 'openai', available: false, reason: 'an OpenAI-compatible server is set through the environment only (TTS_ENGINE=openai, TTS_BASE_URL, TTS_MODEL, TTS_VOICE)', models: [], settable: false },
};

export async function engineOptions(kind: EngineKind, catalog: ModelCatalog): Promise<EngineOption[]> {
  if (kind === 'stt') {
    const psx = !onPath('pocketsphinx_batch')
      ? 'pocketsphinx is not installed (Debian: apt-get install pocketsphinx pocketsphinx-en-us)'
      : !existsSync(DEFAULT_POCKETSPHINX_MODEL)
        ? `pocketsphinx's English model is not installed (Debian: apt-get install pocketsphinx-en-us)`
        : null;
    return [
      settable('pocketsphinx', psx),
      await sherpaOption('sherpa-online', catalog, 'stt-online', 'streaming (stt-online)'),
      await sherpaOption('sherpa-offline', catalog, 'stt-offline', 'offline (stt-offline)'),
      ENV_ONLY.stt,
    ];
  }
  return [settable('espeak', onPath('espeak-ng') ? null : 'espeak-ng is not installed (Debian: apt-get install espeak-ng)'), await sherpaOption('sherpa', catalog, 'tts', 'TTS'), ENV_ONLY.tts];
}
