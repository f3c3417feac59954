/**
 * What an owner (or whoever they ask for help) needs to know about the running gateway: its
 * version and commit, the runtime, how long it has run, which database kind it uses (never the
 * URL: it carries a password), the engines new calls get, and which build of the admin UI it serves.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sourceCommit } from './source-commit.ts';

/** The checkout's root: package.json and .git are there. */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface AboutGateway {
  version: string | null;
  commit: string | null;
  node: string;
  platform: string;
  arch: string;
  uptime_s: number;
  started_at: string;
  database: 'sqlite' | 'postgres';
  /** The running engines' own names; null without speech engines (echo pipeline, control plane alone). */
  engines: { stt: string; tts: string } | null;
  /** ui/dist/.build.json: the hash of the sources it was built from, and when; null when there is no stamped build. */
  ui_build: { hash: string; built_at: string | null } | null;
}

let source: { version: string | null; commit: string | null } | null = null;

/** Read once: neither changes while the process runs. */
function sourceInfo(): { version: string | null; commit: string | null } {
  if (source) return source;
  let version: string | null = null;
  try {
    version = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? null;
  } catch {
    /* a trimmed deployment without package.json: unknown */
  }
  return (source = { version, commit: sourceCommit(ROOT) });
}

function uiBuild(distDir: string | null): AboutGateway['ui_build'] {
  if (!distDir) return null;
  try {
    const stamp = JSON.parse(readFileSync(path.join(distDir, '.build.json'), 'utf8')) as { sources?: unknown; built_at?: unknown };
    if (typeof stamp.sources !== 'string') return null;
    return { hash: stamp.sources, built_at: typeof stamp.built_at === 'string' ? stamp.built_at : null };
  } catch {
    return null;
  }
}

export function aboutGateway(o: { database: 'sqlite' | 'postgres'; engines: AboutGateway['engines']; uiDistDir: string | null }): AboutGateway {
  const uptime = process.uptime();
  return {
    ...sourceInfo(),
    node: process.version,
    platform: process.platform,
    arch: process.arch,
    uptime_s: Math.round(uptime),
    started_at: new Date(Date.now() - uptime * 1000).toISOString(),
    database: o.database,
    engines: o.engines,
    ui_build: uiBuild(o.uiDistDir),
  };
}
