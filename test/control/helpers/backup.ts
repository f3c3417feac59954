/** Moving backup zips in and out of a test control plane over HTTP, as an admin's client would. */
import { createHash } from 'node:crypto';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import type { TestControl } from './control.ts';

export async function download(c: TestControl, token: string, name: string): Promise<Uint8Array> {
  const res = await c.fetch(`/admin/backups/${name}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`download ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function upload(c: TestControl, token: string, zip: Uint8Array) {
  return c.call('POST', '/admin/backups/upload', { token, rawBody: Buffer.from(zip), headers: { 'content-type': 'application/zip' } });
}

type Rows = Array<Record<string, unknown>>;

/**
 * The backup as someone holding the file could rewrite it: tables changed by `edits`, and the
 * manifest's sha256 and size of each changed entry, and SHA256SUMS, recomputed to match (they
 * are plain hashes, not a signature).
 */
export function editBackup(zip: Uint8Array, edits: Record<string, (rows: Rows) => Rows>): Uint8Array {
  const files = unzipSync(zip);
  const manifest = JSON.parse(strFromU8(files['manifest.json']));
  for (const [table, edit] of Object.entries(edits)) {
    const entry = `tables/${table}.json`;
    const body = strToU8(JSON.stringify(edit(JSON.parse(strFromU8(files[entry])) as Rows)));
    files[entry] = body;
    manifest.entries[entry] = { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
    manifest.tables[table] = { rows: (JSON.parse(strFromU8(body)) as Rows).length };
  }
  files['manifest.json'] = strToU8(JSON.stringify(manifest));
  files.SHA256SUMS = strToU8(Object.entries(manifest.entries as Record<string, { sha256: string }>).map(([name, e]) => `${e.sha256}  ${name}\n`).join(''));
  return zipSync(files);
}
