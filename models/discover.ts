// What is on disk: model directories under the models dir, partial downloads, and the
// HuggingFace hub cache (where the original Python project, and any HF tool, put models), matched
// against the manifest so `list` can say which recommended models are ready to load.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { missingFiles, readStamp, STAMP_FILE } from './install.ts';
import { loadManifest, type Manifest, type ModelEntry } from './manifest.ts';

export interface HfSnapshot { revision: string; path: string; files: number; bytes: number }
export interface HfRepo {
  repoId: string; // "org/name"
  type: 'model' | 'dataset' | 'space';
  path: string;
  bytes: number; // the blobs actually on disk (snapshots are symlinks into blobs/)
  refs: Record<string, string>; // "main" -> revision
  snapshots: HfSnapshot[];
}

export type InstallState = 'complete' | 'incomplete' | 'missing';
export interface InstallStatus {
  state: InstallState;
  location: 'models-dir' | 'hf-cache' | null;
  path: string | null;
  missing: string[];
}

async function entries(dir: string) {
  try { return await readdir(dir, { withFileTypes: true }); } catch { return []; }
}

// Sizes follow symlinks (stat, not lstat): an HF snapshot file is a link to a blob, and what we
// want to know is how big the model is, not how big the link is. A dangling link counts as 0.
async function treeSize(dir: string): Promise<{ files: number; bytes: number }> {
  let files = 0;
  let bytes = 0;
  for (const d of await entries(dir)) {
    const p = join(dir, d.name);
    const s = await stat(p).catch(() => null);
    if (!s) continue;
    if (s.isDirectory()) { const sub = await treeSize(p); files += sub.files; bytes += sub.bytes; }
    else { files++; bytes += s.size; }
  }
  return { files, bytes };
}

const HF_DIR = /^(models|datasets|spaces)--(.+)$/;

export async function listHfCache(hubDir: string): Promise<HfRepo[]> {
  const repos: HfRepo[] = [];
  for (const d of await entries(hubDir)) {
    const m = HF_DIR.exec(d.name);
    if (!m || !d.isDirectory()) continue;
    const path = join(hubDir, d.name);
    const refs: Record<string, string> = {};
    for (const r of await entries(join(path, 'refs'))) {
      if (r.isFile()) refs[r.name] = (await readFile(join(path, 'refs', r.name), 'utf8')).trim();
    }
    const snapshots: HfSnapshot[] = [];
    for (const s of await entries(join(path, 'snapshots'))) {
      if (!s.isDirectory()) continue;
      const sp = join(path, 'snapshots', s.name);
      snapshots.push({ revision: s.name, path: sp, ...(await treeSize(sp)) });
    }
    repos.push({
      repoId: m[2].split('--').join('/'), // HF writes "org/name" as "org--name"; names cannot contain "--"
      type: m[1].slice(0, -1) as HfRepo['type'],
      path,
      bytes: (await treeSize(join(path, 'blobs'))).bytes,
      refs,
      snapshots,
    });
  }
  // Models first (that is what we look for), then datasets and spaces; alphabetical within each.
  return repos.sort((a, b) => Number(a.type !== 'model') - Number(b.type !== 'model') || a.repoId.localeCompare(b.repoId));
}

/** Where a manifest entry is installed, if anywhere. Our models dir wins over the HF cache. */
export async function installStatus(entry: ModelEntry, modelsDir: string, hfRepos: readonly HfRepo[]): Promise<InstallStatus> {
  const own = join(modelsDir, entry.name);
  if ((await stat(own).catch(() => null))?.isDirectory()) {
    const missing = await missingFiles(own, entry);
    return { state: missing.length ? 'incomplete' : 'complete', location: 'models-dir', path: own, missing };
  }
  // sherpa-onnx models are mirrored on HF under their release name (csukuangfj/<name>), so a repo
  // whose name part equals the entry name is the same model; prefer the snapshot "main" points to.
  let best: InstallStatus | null = null;
  for (const repo of hfRepos.filter((r) => r.type === 'model' && r.repoId.split('/').pop() === entry.name)) {
    const ordered = [...repo.snapshots].sort((a, b) => Number(b.revision === repo.refs.main) - Number(a.revision === repo.refs.main));
    for (const snap of ordered) {
      const missing = await missingFiles(snap.path, entry);
      if (missing.length === 0) return { state: 'complete', location: 'hf-cache', path: snap.path, missing };
      if (!best || missing.length < best.missing.length) best = { state: 'incomplete', location: 'hf-cache', path: snap.path, missing };
    }
  }
  return best ?? { state: 'missing', location: null, path: null, missing: [] };
}

export interface ModelsDirContents {
  unknown: string[]; // directories that are not manifest entries (hand-made models are fine; we just say so)
  partials: { file: string; bytes: number }[]; // *.part downloads that fetch can resume
}

export async function scanModelsDir(modelsDir: string, manifest: Manifest): Promise<ModelsDirContents> {
  const known = new Set(manifest.models.map((m) => m.name));
  const out: ModelsDirContents = { unknown: [], partials: [] };
  for (const d of await entries(modelsDir)) {
    if (d.isDirectory() && !d.name.startsWith('.') && !known.has(d.name)) out.unknown.push(d.name);
    if (d.isFile() && d.name.endsWith('.part')) out.partials.push({ file: d.name, bytes: (await stat(join(modelsDir, d.name))).size });
  }
  out.unknown.sort();
  return out;
}

export interface DiscoveredEntry {
  name: string;
  kind: ModelEntry['kind'];
  languages: string[];
  sizeBytes: number | null;
  verified: boolean;
  status: InstallStatus;
}

export interface Discovery {
  modelsDir: string;
  hubDir: string;
  entries: DiscoveredEntry[];
  modelsDirContents: ModelsDirContents;
  hfRepos: HfRepo[];
}

export async function discover(modelsDir: string, hubDir: string, manifest: Manifest = loadManifest()): Promise<Discovery> {
  const hfRepos = await listHfCache(hubDir);
  const entriesOut: DiscoveredEntry[] = [];
  for (const e of manifest.models) {
    entriesOut.push({ name: e.name, kind: e.kind, languages: e.languages, sizeBytes: e.sizeBytes, verified: e.verified, status: await installStatus(e, modelsDir, hfRepos) });
  }
  return { modelsDir, hubDir, entries: entriesOut, modelsDirContents: await scanModelsDir(modelsDir, manifest), hfRepos };
}

export interface VerifyReport { ok: boolean; status: InstallStatus; problems: string[]; notes: string[] }

/**
 * Is this entry installed, complete, and from the archive the manifest pins? The archive itself is
 * deleted after unpacking, so the comparison uses the stamp fetch wrote at install time.
 */
export async function verifyInstall(entry: ModelEntry, modelsDir: string, hfRepos: readonly HfRepo[]): Promise<VerifyReport> {
  const status = await installStatus(entry, modelsDir, hfRepos);
  const problems: string[] = [];
  const notes: string[] = [];
  if (status.state === 'missing') problems.push(`not installed (looked in ${modelsDir} and the HF cache)`);
  if (status.state === 'incomplete') problems.push(`incomplete at ${status.path}: missing ${status.missing.join(', ')}`);
  if (status.location === 'models-dir' && status.path) {
    const stamp = await readStamp(status.path);
    if (!stamp) notes.push(`no ${STAMP_FILE}: installed by hand, so there is no archive checksum to compare`);
    else if (entry.sha256 === null) notes.push(`manifest pins no sha256; this install came from an archive with sha256 ${stamp.sha256} (${stamp.sizeBytes} bytes)`);
    else if (stamp.sha256 !== entry.sha256) problems.push(`installed from an archive with sha256 ${stamp.sha256}, but the manifest pins ${entry.sha256}; fetch again with --force`);
    else notes.push(`archive sha256 matches the manifest (${entry.sha256})`);
  }
  if (status.location === 'hf-cache') notes.push('found in the HuggingFace cache; file presence checked, no archive checksum to compare');
  return { ok: problems.length === 0, status, problems, notes };
}

/** Absolute paths of the engine's files for an installed entry: what the pipeline hands sherpa-onnx. */
export function enginePaths(entry: ModelEntry, modelDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [role, value] of Object.entries(entry.engine.files as Record<string, string | undefined>)) {
    if (typeof value === 'string') out[role] = value.split(',').map((f) => join(modelDir, f)).join(',');
  }
  return out;
}
