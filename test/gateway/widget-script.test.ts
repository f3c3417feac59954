/**
 * `GET /widget.js` on a real gateway: bundled from ui/widget on first request (no build step), one
 * small script (within the 40 KB gzip budget), gzip when asked, ETag with 304, a short max-age
 * that revalidates; and ui/widget typechecks against the DOM.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { startSecretaryGateway } from '../e2e/helpers/secretary-gateway.ts';

t.test('the widget script: bundled at first request, gzip, ETag, revalidated caching', async (t) => {
  const gw = await startSecretaryGateway({ PIPELINE: 'echo' });
  t.teardown(gw.stop);
  const plain = await fetch(`${gw.base}/widget.js`, { headers: { 'accept-encoding': 'identity' } });
  t.equal(plain.status, 200);
  t.equal(plain.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.equal(plain.headers.get('cache-control'), 'public, max-age=300, must-revalidate');
  t.equal(plain.headers.get('content-encoding'), null);
  const code = Buffer.from(await plain.arrayBuffer());
  t.match(code.toString(), /data-voice-gateway-widget/, 'the widget itself');
  t.notMatch(code.toString(), /\bimport\b\s*[{*"']/, 'one script, no imports left');
  const etag = plain.headers.get('etag')!;
  t.match(etag, /^"[A-Za-z0-9_-]{20,}"$/);

  // Raw request: fetch would decode the gzip for us.
  const { request } = await import('node:http');
  const gz = await new Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
    const req = request(`${gw.base}/widget.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
  t.equal(gz.status, 200);
  t.equal(gz.headers['content-encoding'], 'gzip');
  t.equal(gz.headers.vary, 'Accept-Encoding');
  t.same(gunzipSync(gz.body), code, 'the same script, compressed');
  t.ok(gz.body.length < 40 * 1024, `${gz.body.length} bytes gzip, within the 40 KB budget`);

  const again = await fetch(`${gw.base}/widget.js`, { headers: { 'if-none-match': etag } });
  t.equal(again.status, 304, 'unchanged: 304');
  t.equal(again.headers.get('etag'), etag);
  t.equal((await again.arrayBuffer()).byteLength, 0);
  t.equal((await fetch(`${gw.base}/widget.js`, { headers: { 'if-none-match': '"other"' } })).status, 200);
});

t.test('ui/widget typechecks against the DOM (esbuild only strips types)', async (t) => {
  const run = promisify(execFile);
  const { stdout, stderr } = await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'ui/widget/tsconfig.json'], { timeout: 120_000 }).catch((err: { stdout: string; stderr: string }) => err);
  t.equal(`${stdout}${stderr}`.trim(), '', 'no type errors');
});
