/**
 * The admin UI's built files (ui/dist), read into memory once: a few hundred kilobytes, served
 * without touching the disk per request. A request can only ever name one of these map keys, so
 * no URL reaches the file system (no traversal to guard). The .br and .gz files ui/build.mjs wrote
 * next to a file are its compressed forms, not files of their own; dotfiles and links are skipped.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface UiFile {
  body: Buffer;
  br?: Buffer;
  gz?: Buffer;
  contentType: string;
  etag: string;
  /** A content-hashed asset (under /assets/): cached for a year, never revalidated. */
  immutable: boolean;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};
const MAX_FILE_BYTES = 8 * 1024 * 1024;

export class UiBundle {
  private constructor(
    readonly files: ReadonlyMap<string, UiFile>,
    /** `built_at` from the build's stamp, for the log. */
    readonly builtAt: string | null,
  ) {}

  static readonly empty = new UiBundle(new Map(), null);

  get index(): UiFile | undefined {
    return this.files.get('/index.html');
  }

  /** What `dir` holds now; empty when there is no build (no index.html). */
  static load(dir: string): UiBundle {
    let entries: string[];
    try {
      entries = walk(dir, '');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return UiBundle.empty;
      throw err;
    }
    const names = new Set(entries);
    const files = new Map<string, UiFile>();
    for (const rel of entries) {
      if (/\.(br|gz)$/.test(rel) && names.has(rel.replace(/\.(br|gz)$/, ''))) continue;
      const type = TYPES[path.extname(rel).toLowerCase()];
      if (!type) continue;
      const full = path.join(dir, rel);
      const body = readFileSync(full);
      const variant = (ext: string) => (names.has(rel + ext) ? readFileSync(full + ext) : undefined);
      files.set(`/${rel}`, {
        body,
        br: variant('.br'),
        gz: variant('.gz'),
        contentType: type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
        immutable: rel.startsWith('assets/'),
      });
    }
    if (!files.has('/index.html')) return UiBundle.empty;
    let builtAt: string | null = null;
    try {
      builtAt = (JSON.parse(readFileSync(path.join(dir, '.build.json'), 'utf8')) as { built_at?: string }).built_at ?? null;
    } catch {
      /* a build without a stamp (made by hand) is still served */
    }
    return new UiBundle(files, builtAt);
  }
}

/** Relative POSIX paths of the plain files below `dir` (no dotfiles, no links, nothing oversized). */
function walk(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(dir, prefix))) {
    if (name.startsWith('.')) continue;
    const rel = prefix ? `${prefix}/${name}` : name;
    const st = lstatSync(path.join(dir, rel));
    if (st.isDirectory()) out.push(...walk(dir, rel));
    else if (st.isFile() && st.size <= MAX_FILE_BYTES) out.push(rel);
  }
  return out;
}
