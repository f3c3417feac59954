/**
 * The admin UI as the gateway serves it (gateway/ui/static-ui.ts), over real HTTP on loopback,
 * from a small hand-made build (the real one is exercised by the browser tests): cache headers,
 * compression from the build's .br/.gz copies, ETag revalidation, SPA fallback, API paths never
 * answered with the UI, and no way out of ui/dist.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import t from 'tap';
import { startTestGateway } from '../helpers/gateway.ts';

const INDEX = '<!doctype html><html><head><script type="module" src="/assets/app-Ab12Cd.js"></script></head><body><div id="app"></div></body></html>';
const APP_JS = `console.log(${JSON.stringify('x'.repeat(2000))});`;

function fixture(): { root: string; dist: string } {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-ui-'));
  const dist = path.join(root, 'dist');
  mkdirSync(path.join(dist, 'assets'), { recursive: true });
  writeFileSync(path.join(dist, 'index.html'), INDEX);
  writeFileSync(path.join(dist, 'assets', 'app-Ab12Cd.js'), APP_JS);
  writeFileSync(path.join(dist, 'assets', 'app-Ab12Cd.js.br'), brotliCompressSync(APP_JS));
  writeFileSync(path.join(dist, 'assets', 'app-Ab12Cd.js.gz'), gzipSync(APP_JS));
  writeFileSync(path.join(dist, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  writeFileSync(path.join(dist, 'manifest.webmanifest'), '{"name":"x"}');
  writeFileSync(path.join(dist, '.build.json'), '{"sources":"s","built_at":"2026-01-01T00:00:00Z"}');
  writeFileSync(path.join(root, 'secret.txt'), 'TOP SECRET');
  writeFileSync(path.join(dist, 'assets', 'unknown.exe'), 'MZ');
  return { root, dist };
}

/** A request written by hand, so the path reaches the server exactly as given (fetch would normalise `..`). */
function rawGet(port: number, target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let out = '';
    s.on('data', (d) => (out += d.toString('latin1')));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

t.test('index, assets, fallback and caching', async (t) => {
  const { root, dist } = fixture();
  const g = await startTestGateway({ UI_DIST_DIR: dist });
  t.teardown(async () => {
    await g.stop();
    rmSync(root, { recursive: true, force: true });
  });

  const index = await fetch(`${g.http}/`, { headers: { 'accept-encoding': 'identity' } });
  t.equal(index.status, 200);
  t.equal(index.headers.get('content-type'), 'text/html; charset=utf-8');
  t.equal(index.headers.get('cache-control'), 'no-cache', 'index.html is revalidated every time');
  t.equal(await index.text(), INDEX);
  const csp = index.headers.get('content-security-policy')!;
  t.match(csp, /default-src 'self'/);
  t.match(csp, /script-src 'self'(;|$)/, 'no inline scripts');
  t.match(csp, /frame-ancestors 'none'/);
  t.equal(index.headers.get('x-content-type-options'), 'nosniff');
  t.equal(index.headers.get('x-frame-options'), 'DENY');
  const etag = index.headers.get('etag')!;
  t.match(etag, /^"[A-Za-z0-9_-]+"$/);

  const again = await fetch(`${g.http}/`, { headers: { 'if-none-match': etag } });
  t.equal(again.status, 304, 'an unchanged index.html is not sent again');
  t.equal(await again.text(), '');

  for (const route of ['/calls', '/calls/abc-123', '/messages/42?x=1', '/faq/']) {
    const r = await fetch(g.http + route);
    t.equal(r.status, 200, `${route}: client-side route`);
    t.equal(await r.text(), INDEX, `${route} answers index.html (SPA fallback)`);
    t.equal(r.headers.get('cache-control'), 'no-cache');
  }

  const br = await fetch(`${g.http}/assets/app-Ab12Cd.js`, { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  t.equal(br.status, 200);
  t.equal(br.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  t.equal(br.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.equal(br.headers.get('content-encoding'), 'br');
  t.equal(br.headers.get('vary'), 'Accept-Encoding');
  // fetch decodes what it is told is br: the body is the original script.
  t.equal(await br.text(), APP_JS);

  const raw = await rawGet(g.port, '/assets/app-Ab12Cd.js');
  t.notMatch(raw, /content-encoding/i, 'no Accept-Encoding: sent as is');
  t.ok(raw.endsWith(APP_JS));

  const gz = await new Promise<Buffer>((resolve, reject) => {
    const s = connect(g.port, '127.0.0.1', () => s.write('GET /assets/app-Ab12Cd.js HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'));
    const chunks: Buffer[] = [];
    s.on('data', (d) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
  const split = gz.indexOf('\r\n\r\n');
  t.match(gz.subarray(0, split).toString(), /Content-Encoding: gzip/i);
  t.equal(gunzipSync(gz.subarray(split + 4)).toString(), APP_JS, 'the gzip copy decodes to the script');

  const head = await fetch(`${g.http}/assets/app-Ab12Cd.js`, { method: 'HEAD', headers: { 'accept-encoding': 'identity' } });
  t.equal(head.status, 200);
  t.equal(head.headers.get('content-length'), String(APP_JS.length));
  t.equal(await head.text(), '');

  const sw = await fetch(`${g.http}/sw.js`);
  t.equal(sw.headers.get('cache-control'), 'no-cache', 'the service worker is not a hashed asset');
  const manifest = await fetch(`${g.http}/manifest.webmanifest`);
  t.match(manifest.headers.get('content-type'), /^application\/manifest\+json/);
});

t.test('missing files, API paths and other methods are not the UI', async (t) => {
  const { root, dist } = fixture();
  const g = await startTestGateway({ UI_DIST_DIR: dist });
  t.teardown(async () => {
    await g.stop();
    rmSync(root, { recursive: true, force: true });
  });
  for (const p of ['/assets/missing-123.js', '/missing.png', '/.build.json', '/assets/unknown.exe', '/index.html.br']) {
    const r = await fetch(g.http + p);
    t.equal(r.status, 404, `${p}: 404, not index.html`);
    t.match(r.headers.get('content-type'), /^application\/json/);
  }
  for (const p of ['/admin', '/admin/nope', '/admin/faq', '/v1/models', '/v1', '/metrics', '/widget.js', '/widget/v1/config', '/ws/voice', '/ws/other']) {
    const r = await fetch(g.http + p);
    t.not(r.headers.get('content-type'), 'text/html; charset=utf-8', `${p} is never answered with the UI`);
    const text = await r.text();
    t.notMatch(text, /<!doctype html>/i, `${p}: no HTML`);
  }
  const health = await fetch(`${g.http}/health`);
  t.equal(health.status, 200);
  t.match(await health.json(), { status: String });
  const post = await fetch(`${g.http}/`, { method: 'POST', body: 'x' });
  t.equal(post.status, 404);
  t.match(post.headers.get('content-type'), /^application\/json/);
});

t.test('no path reaches outside ui/dist', async (t) => {
  const { root, dist } = fixture();
  const g = await startTestGateway({ UI_DIST_DIR: dist });
  t.teardown(async () => {
    await g.stop();
    rmSync(root, { recursive: true, force: true });
  });
  for (const target of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e%2f%2e%2e%2fsecret.txt', '/..%2fsecret.txt', '//secret.txt', '/assets/..\\..\\secret.txt']) {
    const res = await rawGet(g.port, target);
    t.notMatch(res, /TOP SECRET/, `${target}: the file outside ui/dist is not served`);
    t.match(res, /^HTTP\/1\.1 (200|400|404)/, `${target}: ${res.split('\r\n')[0]}`);
  }
});

t.test('without a build: a clear page, and the API still answers', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-ui-'));
  const g = await startTestGateway({ UI_DIST_DIR: path.join(root, 'nothing-here') });
  t.teardown(async () => {
    await g.stop();
    rmSync(root, { recursive: true, force: true });
  });
  const r = await fetch(`${g.http}/`);
  t.equal(r.status, 404);
  t.match(await r.text(), /not built.*npm install/);
  t.equal(g.gateway.ui.state().kind, 'missing', 'UI_DIST_DIR elsewhere is not built by the gateway');
  t.equal((await fetch(`${g.http}/health`)).status, 200);
});
