import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { httpGet, proxyFromEnv } from '../../models/http-get.ts';

t.test('proxy selection from the environment', async (t) => {
  const gh = new URL('https://github.com/k2-fsa/x');
  t.equal(proxyFromEnv(gh, { HTTPS_PROXY: 'http://proxy:3128' }), 'http://proxy:3128');
  t.equal(proxyFromEnv(gh, { https_proxy: 'http://p:1' }), 'http://p:1');
  t.equal(proxyFromEnv(gh, { HTTP_PROXY: 'http://p:1' }), null, 'HTTP_PROXY is for http:// only');
  t.equal(proxyFromEnv(gh, { HTTPS_PROXY: 'http://p:1', NO_PROXY: 'example.org,.github.com' }), null);
  t.equal(proxyFromEnv(gh, { HTTPS_PROXY: 'http://p:1', NO_PROXY: '*' }), null);
  t.equal(proxyFromEnv(new URL('http://127.0.0.1:9/x'), { HTTP_PROXY: 'http://p:1' }), null, 'loopback is never proxied');
});

t.test('plain http through a proxy sends the absolute URL', async (t) => {
  const seen: string[] = [];
  const proxy = http.createServer((req, res) => { seen.push(req.url ?? ''); res.end('via proxy'); });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const port = (proxy.address() as AddressInfo).port;
  const { res } = await httpGet('http://models.example/a.onnx', { proxy: `http://127.0.0.1:${port}` });
  let body = '';
  for await (const c of res) body += c;
  t.equal(body, 'via proxy');
  t.same(seen, ['http://models.example/a.onnx']);
});

t.test('https through a proxy asks for a CONNECT tunnel to host:443', async (t) => {
  const seen: string[] = [];
  const proxy = http.createServer();
  proxy.on('connect', (req, socket) => { seen.push(req.url ?? ''); socket.end('HTTP/1.1 403 Forbidden\r\n\r\n'); });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => proxy.close(() => r())));
  const port = (proxy.address() as AddressInfo).port;
  await t.rejects(httpGet('https://github.com/k2-fsa/x.tar.bz2', { proxy: `http://127.0.0.1:${port}` }), /HTTP 403/);
  t.same(seen, ['github.com:443']);
});

t.test('too many redirects is an error, not a loop', async (t) => {
  const srv = http.createServer((_req, res) => { res.writeHead(302, { location: '/again' }); res.end(); });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => srv.close(() => r())));
  const port = (srv.address() as AddressInfo).port;
  await t.rejects(httpGet(`http://127.0.0.1:${port}/start`, { maxRedirects: 3, proxy: null }), /too many redirects/);
});
