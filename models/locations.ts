// Where models live on disk. One place, so the fetcher, the lister and the pipeline agree.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

// data/ is already gitignored, and the gateway keeps its other state (SQLite, backups) there too,
// so weights cannot end up in a commit by accident. Relative to the working directory, which is
// the repository root for `npm run models` and `npm start`.
export const DEFAULT_MODELS_DIR = 'data/models';

type Env = Record<string, string | undefined>;

export function modelsDir(env: Env = process.env, cwd: string = process.cwd()): string {
  return resolve(cwd, env.MODELS_DIR || DEFAULT_MODELS_DIR);
}

// Same precedence as the Python huggingface_hub library, so we see the cache the original
// Python project (and any other HF tool on the machine) filled: HF_HUB_CACHE, then HF_HOME/hub,
// then $XDG_CACHE_HOME/huggingface/hub, then ~/.cache/huggingface/hub.
export function hfHubDir(env: Env = process.env, home: string = homedir()): string {
  const explicit = env.HF_HUB_CACHE || env.HUGGINGFACE_HUB_CACHE;
  if (explicit) return resolve(explicit);
  const hfHome = env.HF_HOME || join(env.XDG_CACHE_HOME || join(home, '.cache'), 'huggingface');
  return join(resolve(hfHome), 'hub');
}
