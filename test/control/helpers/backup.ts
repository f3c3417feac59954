/** Moving backup zips in and out of a test control plane over HTTP, as an admin's client would. */
import type { TestControl } from './control.ts';

export async function download(c: TestControl, token: string, name: string): Promise<Uint8Array> {
  const res = await fetch(`${c.base}/admin/backups/${name}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`download ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

export async function upload(c: TestControl, token: string, zip: Uint8Array) {
  return c.call('POST', '/admin/backups/upload', { token, rawBody: Buffer.from(zip), headers: { 'content-type': 'application/zip' } });
}
