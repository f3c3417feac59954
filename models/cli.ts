// `npm run models -- <command>`: list, fetch, info and verify the recommended sherpa-onnx models.
// Exit codes, so scripts can tell failures apart:
//   0 ok; 1 failed (download, checksum, incomplete install); 2 usage (unknown command, model or
//   flag, a missing value; runtime/cli-args.ts); 3 network unreachable (offline, DNS, refused, timed out).
// (runtime/ is the one folder of ours models/ uses: argument parsing shared by every CLI.)
import { pathToFileURL } from 'node:url';
import { runCommand, UsageError } from '../runtime/cli-args.ts';
import { discover, enginePaths, installStatus, listHfCache, verifyInstall, type InstallStatus } from './discover.ts';
import { fetchModel, OfflineError } from './fetch.ts';
import { hfHubDir, modelsDir } from './locations.ts';
import { findModel, loadManifest, type ModelEntry } from './manifest.ts';
import { createProgressReporter, formatBytes, type ProgressOutput } from './progress.ts';
import { suggest } from './suggest.ts';

export const EXIT = { ok: 0, failed: 1, usage: 2, offline: 3 } as const;

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: ProgressOutput;
  env: Record<string, string | undefined>;
  cwd: string;
}

const USAGE = `usage: models <command> [options]

  list [--json] [--dir D]            recommended models, and what is installed (models dir + HF cache)
  fetch <name> [--dir D] [--force]   download, verify and unpack one model into the models dir
  info <name> [--json] [--dir D]     one manifest entry, its engine files, where it is installed
  verify <name> [--dir D]            check an installed model: files present, archive sha256 as pinned

models dir: --dir, else $MODELS_DIR, else data/models
HF cache:   $HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub
exit codes: 0 ok, 1 failed, 2 usage or unknown model, 3 network unreachable
`;

function statusText(s: InstallStatus): string {
  if (s.state === 'complete') return s.location === 'hf-cache' ? 'installed (HF cache)' : 'installed';
  if (s.state === 'incomplete') return `INCOMPLETE: missing ${s.missing.join(', ')}`;
  return '-';
}

function resolveEntry(name: string | undefined, io: CliIo): ModelEntry | number {
  if (!name) throw new UsageError('a model name is required');
  const entry = findModel(name);
  if (entry) return entry;
  const close = suggest(name, loadManifest().models.map((m) => m.name));
  const hint = close.length ? `did you mean:\n${close.map((c) => `  ${c}`).join('\n')}\n` : '';
  io.stderr.write(`unknown model '${name}'\n${hint}run 'models list' to see every name\n`);
  return EXIT.usage;
}

async function cmdList(json: boolean, dir: string, io: CliIo): Promise<number> {
  const d = await discover(dir, hfHubDir(io.env));
  if (json) { io.stdout.write(JSON.stringify(d, null, 2) + '\n'); return EXIT.ok; }
  const rows = d.entries.map((e) => [e.name, e.kind, e.languages.join(',') || '-', e.sizeBytes === null ? '?' : formatBytes(e.sizeBytes), e.verified ? 'yes' : 'NO', statusText(e.status)]);
  const head = ['name', 'kind', 'languages', 'download', 'verified', 'status'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const fmt = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  io.stdout.write([fmt(head), ...rows.map(fmt)].join('\n') + '\n\n');
  io.stdout.write(`models dir: ${d.modelsDir}\n`);
  for (const u of d.modelsDirContents.unknown) io.stdout.write(`  ${u}/  (not in the manifest)\n`);
  for (const p of d.modelsDirContents.partials) io.stdout.write(`  ${p.file}  (partial download, ${formatBytes(p.bytes)}; fetch resumes it)\n`);
  io.stdout.write(`HF cache:   ${d.hubDir}${d.hfRepos.length ? '' : '  (empty or absent)'}\n`);
  for (const r of d.hfRepos) {
    const snaps = r.snapshots.map((s) => `${s.revision.slice(0, 10)} ${s.files} files ${formatBytes(s.bytes)}`).join('; ');
    io.stdout.write(`  ${r.type === 'model' ? '' : r.type + ' '}${r.repoId}  ${formatBytes(r.bytes)} on disk  [${snaps || 'no snapshots'}]\n`);
  }
  return EXIT.ok;
}

async function cmdInfo(entry: ModelEntry, json: boolean, dir: string, io: CliIo): Promise<number> {
  const status = await installStatus(entry, dir, await listHfCache(hfHubDir(io.env)));
  const files = status.path ? enginePaths(entry, status.path) : null;
  if (json) { io.stdout.write(JSON.stringify({ ...entry, status, enginePaths: files }, null, 2) + '\n'); return EXIT.ok; }
  const lines = [
    entry.name,
    `  ${entry.description}`,
    `  kind: ${entry.kind}   languages: ${entry.languages.join(', ') || '-'}   engine: ${entry.engine.type}`,
    `  url: ${entry.url}`,
    `  size: ${entry.sizeBytes === null ? 'unknown' : `${entry.sizeBytes} bytes (${formatBytes(entry.sizeBytes)})`}`,
    `  sha256: ${entry.sha256 ?? 'not pinned'}   verified: ${entry.verified ? 'yes' : 'no'}`,
    `  licence: ${entry.licence}`,
    `  note: ${entry.note}`,
    `  status: ${statusText(status)}${status.path ? ` at ${status.path}` : ''}`,
    '  engine files:',
    ...Object.entries(entry.engine.files as Record<string, string>).map(([role, f]) => `    ${role}: ${files ? files[role] : f}`),
  ];
  io.stdout.write(lines.join('\n') + '\n');
  return EXIT.ok;
}

async function cmdFetch(entry: ModelEntry, dir: string, force: boolean, io: CliIo): Promise<number> {
  try {
    const r = await fetchModel(entry, { dir, force, onEvent: createProgressReporter(io.stderr), env: io.env });
    if (r.source === 'already-installed') io.stderr.write(`${entry.name} is already installed at ${r.path} (use --force to fetch again)\n`);
    if (!r.pinned) io.stdout.write(`${entry.name}: sha256 ${r.sha256}, ${r.sizeBytes} bytes (not pinned in models/manifest.json)\n`);
    io.stdout.write(`${r.path}\n`);
    return EXIT.ok;
  } catch (err) {
    io.stderr.write(`\n${(err as Error).message}\n`);
    return err instanceof OfflineError ? EXIT.offline : EXIT.failed;
  }
}

async function cmdVerify(entry: ModelEntry, dir: string, io: CliIo): Promise<number> {
  const r = await verifyInstall(entry, dir, await listHfCache(hfHubDir(io.env)));
  for (const n of r.notes) io.stdout.write(`${entry.name}: ${n}\n`);
  for (const p of r.problems) io.stderr.write(`${entry.name}: ${p}\n`);
  if (r.ok) io.stdout.write(`${entry.name}: OK (${r.status.path})\n`);
  return r.ok ? EXIT.ok : EXIT.failed;
}

const SPEC = {
  name: 'models',
  usage: USAGE,
  allowPositionals: true,
  options: { json: { type: 'boolean' }, dir: { type: 'string' }, force: { type: 'boolean' } },
} as const;

export async function main(argv: string[], io: CliIo): Promise<number> {
  return runCommand(SPEC, argv, io, async ({ values, positionals }) => {
    const [command, name, ...extra] = positionals;
    const { json = false, force = false } = values;
    if (command === 'help') { io.stdout.write(USAGE); return EXIT.ok; }
    const dir = values.dir !== undefined ? modelsDir({ MODELS_DIR: values.dir }, io.cwd) : modelsDir(io.env, io.cwd);
    const tooMany = command === 'list' ? name !== undefined : extra.length > 0;
    if (tooMany) throw new UsageError(`unexpected argument: ${command === 'list' ? name : extra[0]}`);
    switch (command) {
      case 'list': return cmdList(json, dir, io);
      case 'info':
      case 'fetch':
      case 'verify': {
        const entry = resolveEntry(name, io);
        if (typeof entry === 'number') return entry;
        if (command === 'info') return cmdInfo(entry, json, dir, io);
        if (command === 'fetch') return cmdFetch(entry, dir, force, io);
        return cmdVerify(entry, dir, io);
      }
      default:
        throw new UsageError(command ? `unknown command '${command}'` : 'a command is required');
    }
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Ctrl-C mid-download: the .part file is already on disk and the next fetch resumes it; say so
  // instead of dying with a half-drawn progress bar.
  process.once('SIGINT', () => {
    process.stderr.write('\ninterrupted: any partial download is kept; run the same command to resume\n');
    process.exit(130);
  });
  process.exitCode = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, cwd: process.cwd() });
}
