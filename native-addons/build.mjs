#!/usr/bin/env node
/**
 * Builds the voice_dsp N-API addon into native-addons/build/ with node-gyp.
 *
 * Runs as the root package's `install` script (npm install / npm ci) and by hand
 * (`node native-addons/build.mjs [--force]`). It must never break an install: on any failure it
 * prints a warning and exits 0, and the media layer uses its TypeScript twin instead.
 *
 * - node-gyp: the one npm hands to scripts (npm_config_node_gyp), else the copy bundled with the
 *   npm that runs us, else the one bundled with the npm next to this node binary.
 * - headers: this project's machines have no internet, so node-gyp must not try to download them;
 *   we pass the nodedir npm provides (npm_config_nodedir, from ~/.npmrc) or, failing that, the
 *   prefix of this node binary when it ships include/node/node_api.h (Debian's /usr does).
 * - skips the build when the stamp (hash of the sources + node-gyp inputs) matches, so repeated
 *   `npm ci` runs cost nothing; --force rebuilds.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const buildDir = path.join(here, 'build');
const addonPath = path.join(buildDir, 'Release', 'voice_dsp.node');
const stampPath = path.join(buildDir, 'voice_dsp.stamp');
const force = process.argv.includes('--force');

function warn(message) {
  process.stderr.write(
    `\n[voice-gateway] WARNING: native DSP addon not built: ${message}\n` +
      '[voice-gateway] The gateway will use the TypeScript DSP twin (slower, same results).\n' +
      '[voice-gateway] Retry with: node native-addons/build.mjs --force\n\n',
  );
  process.exit(0);
}

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  if (process.env.npm_execpath) {
    // npm_execpath is .../npm/bin/npm-cli.js; its node-gyp is .../npm/node_modules/node-gyp.
    candidates.push(path.resolve(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  }
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  candidates.push(path.join(path.dirname(process.execPath), 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  return candidates.find((c) => existsSync(c)) ?? null;
}

function findNodeDir() {
  const fromNpm = process.env.npm_config_nodedir;
  if (fromNpm && existsSync(path.join(fromNpm, 'include', 'node', 'node_api.h'))) return fromNpm;
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return null; // node-gyp will try its header cache (and the network, which may fail)
}

function sourceHash() {
  const h = createHash('sha256');
  const files = ['binding.gyp', 'build.mjs', ...readdirSync(path.join(here, 'src')).sort().map((f) => path.join('src', f))];
  for (const f of files) {
    h.update(f);
    h.update(readFileSync(path.join(here, f)));
  }
  h.update(process.platform + process.arch);
  return h.digest('hex');
}

if (process.env.VOICE_GATEWAY_NATIVE === '0' && !force) {
  process.stdout.write('[voice-gateway] VOICE_GATEWAY_NATIVE=0: skipping the native DSP addon build\n');
  process.exit(0);
}

let hash;
try {
  hash = sourceHash();
} catch (err) {
  warn(`cannot read the addon sources (${err instanceof Error ? err.message : err})`);
}
if (!force && existsSync(addonPath) && existsSync(stampPath) && readFileSync(stampPath, 'utf8').trim() === hash) {
  process.stdout.write('[voice-gateway] native DSP addon is up to date\n');
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (!nodeGyp) warn('node-gyp not found (neither npm_config_node_gyp nor the copy bundled with npm)');
const nodeDir = findNodeDir();

// node-gyp's configure step, using our nodedir; a failed half-build is removed so index.ts reports "not built".
const args = [nodeGyp, 'rebuild', '--release', '--jobs', 'max'];
if (nodeDir) args.push(`--nodedir=${nodeDir}`);
process.stdout.write(`[voice-gateway] building native DSP addon (node-gyp ${path.relative(process.cwd(), nodeGyp) || nodeGyp}${nodeDir ? `, headers in ${nodeDir}` : ''})\n`);
const started = Date.now();
const res = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (res.error || res.status !== 0) {
  const tail = `${res.stdout ?? ''}\n${res.stderr ?? ''}`.trim().split('\n').slice(-25).join('\n');
  rmSync(buildDir, { recursive: true, force: true });
  warn(`node-gyp exited with ${res.error ? res.error.message : `status ${res.status}`}\n${tail}`);
}
if (!existsSync(addonPath)) {
  rmSync(buildDir, { recursive: true, force: true });
  warn(`node-gyp succeeded but ${path.relative(process.cwd(), addonPath)} is missing`);
}
writeFileSync(stampPath, `${hash}\n`);
process.stdout.write(`[voice-gateway] native DSP addon built in ${((Date.now() - started) / 1000).toFixed(1)} s: ${path.relative(process.cwd(), addonPath)}\n`);
