#!/usr/bin/env node
/**
 * Builds the admin SPA (ui/admin) into ui/dist with Vite, and writes a Brotli and a gzip copy next
 * to every compressible file, so the gateway serves compressed bytes without compressing per request.
 *
 * Runs after the native addon in the root package's `install` script, and from the gateway at start
 * (gateway/ui/ui-build.ts) when ui/dist is missing or was built from other sources: no extra command.
 *
 * - Skips when ui/dist/.build.json records the hash of the current sources (a content hash, not
 *   mtimes: a git checkout touches every file); --force rebuilds.
 * - Never breaks an install: without Vite (an --omit=dev install) it says so and exits 0, leaving
 *   any ui/dist there is; a failed build prints why and exits 1 only when run by hand (--strict).
 * - Several gateways may start at once (the test suite): one builds under a lock file, the others
 *   wait for it and then find the build current. The new build is made in a temporary folder and
 *   swapped in by rename, so ui/dist is never half-written.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { brotliCompressSync, constants as zlib, gzipSync } from 'node:zlib';

const here = path.dirname(fileURLToPath(import.meta.url));
// Public files: readable by whoever serves them, even when started from the gateway (umask 077).
process.umask(0o022);
const dist = path.join(here, 'dist');
const stampFile = path.join(dist, '.build.json');
const lockFile = path.join(here, '.build.lock');
const force = process.argv.includes('--force');
const strict = process.argv.includes('--strict');
const quiet = process.argv.includes('--quiet');

/** What the build reads: the app's sources and this folder's build configuration. */
const SOURCES = ['admin', 'vite.config.ts', 'build.mjs', 'tsconfig.json'];
/** Files worth compressing; images in PNG are already compressed. */
const COMPRESSIBLE = /\.(html|js|mjs|css|svg|json|webmanifest|txt)$/;

const say = (line) => {
  if (!quiet) process.stdout.write(`[voice-gateway ui] ${line}\n`);
};

function listFiles(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

export function sourceHash() {
  const h = createHash('sha256');
  for (const s of SOURCES) {
    const p = path.join(here, s);
    if (!existsSync(p)) continue;
    const files = statSync(p).isDirectory() ? listFiles(p).sort() : [p];
    for (const f of files) {
      h.update(path.relative(here, f));
      h.update('\0');
      h.update(readFileSync(f));
      h.update('\0');
    }
  }
  return h.digest('hex');
}

function currentStamp() {
  try {
    return JSON.parse(readFileSync(stampFile, 'utf8'));
  } catch {
    return null;
  }
}

const isCurrent = (hash) => currentStamp()?.sources === hash;

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/** Take the build lock, waiting for another builder; a lock whose process is gone is taken over. */
async function lock() {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      const fd = openSync(lockFile, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return true;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(lockFile, 'utf8').trim() || 0);
    if (holder && !alive(holder)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`another build (pid ${holder}) holds ${lockFile} for over 3 minutes`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function compressAll(dir) {
  for (const f of listFiles(dir)) {
    if (!COMPRESSIBLE.test(f)) continue;
    const body = readFileSync(f);
    if (body.length < 512) continue;
    writeFileSync(`${f}.br`, brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 11, [zlib.BROTLI_PARAM_SIZE_HINT]: body.length } }));
    writeFileSync(`${f}.gz`, gzipSync(body, { level: 9 }));
  }
}

async function build(hash) {
  let vite;
  try {
    vite = await import('vite');
  } catch {
    say(existsSync(stampFile) ? 'Vite is not installed (an --omit=dev install?): keeping the UI already in ui/dist' : 'Vite is not installed (an --omit=dev install?): the admin UI is not built; install dev dependencies to get it');
    return 'skipped';
  }
  // We hold the lock: any temporary folder left is from a build that was killed.
  for (const name of readdirSync(here)) if (/^\.dist-(tmp|old)-\d+$/.test(name)) rmSync(path.join(here, name), { recursive: true, force: true });
  const tmp = path.join(here, `.dist-tmp-${process.pid}`);
  const started = performance.now();
  try {
    await vite.build({ configFile: path.join(here, 'vite.config.ts'), build: { outDir: tmp }, logLevel: quiet ? 'error' : 'warn' });
    compressAll(tmp);
    writeFileSync(path.join(tmp, '.build.json'), JSON.stringify({ sources: hash, built_at: new Date().toISOString() }));
    const old = path.join(here, `.dist-old-${process.pid}`);
    if (existsSync(dist)) renameSync(dist, old);
    renameSync(tmp, dist);
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  say(`admin UI built into ui/dist in ${Math.round(performance.now() - started)} ms`);
  return 'built';
}

/** Build unless current; resolves with what happened. */
export async function buildUi({ force: forced = false } = {}) {
  let hash = sourceHash();
  if (!forced && isCurrent(hash)) return 'current';
  await lock();
  try {
    hash = sourceHash(); // another builder may have finished while we waited
    if (!forced && isCurrent(hash)) return 'current';
    mkdirSync(here, { recursive: true });
    return await build(hash);
  } finally {
    rmSync(lockFile, { force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const result = await buildUi({ force });
    if (result === 'current') say('admin UI in ui/dist is up to date');
  } catch (err) {
    process.stderr.write(`[voice-gateway ui] the admin UI build failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(strict ? 1 : 0);
  }
}
