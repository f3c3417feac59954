/**
 * The egress policy: non-public addresses refused by default however they are written, allowed by
 * configuration; and, on real loopback sockets, that a request is judged by the address it would
 * actually connect to (a name resolving to 127.0.0.1 is refused), through a proxy too, and that no
 * redirect is followed.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { findCause } from '../../pipeline/engines/engine-error.ts';
import { createEgressPolicy, EgressConfigError, EgressRefusedError } from '../../pipeline/net/egress-policy.ts';
import { outboundFetch } from '../../pipeline/net/outbound-http.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';

const refusal = (err: unknown) => findCause(err, (e) => e instanceof EgressRefusedError);

/** An HTTP server on 127.0.0.1 that counts requests and answers each with `answer`. */
async function server(answer: (path: string) => { status: number; headers?: Record<string, string>; body?: string } = () => ({ status: 200, body: 'ok' })) {
  const seen: string[] = [];
  const s: Server = createServer((req, res) => {
    seen.push(req.url ?? '');
    const a = answer(req.url ?? '');
    res.writeHead(a.status, a.headers).end(a.body ?? '');
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  return { seen, port, close: () => new Promise<void>((r) => s.close(() => r())) };
}

t.test('non-public addresses are refused by default, in every spelling; public ones pass', async (t) => {
  const p = createEgressPolicy();
  const refused = {
    '127.0.0.1': /loopback/,
    '127.8.9.10': /loopback/,
    '::1': /loopback/,
    '0.0.0.0': /unspecified/,
    '::': /unspecified/,
    '10.1.2.3': /private/,
    '172.16.0.1': /private/,
    '172.31.255.255': /private/,
    '192.168.1.1': /private/,
    '100.64.0.1': /carrier-grade/,
    '169.254.169.254': /link-local/,
    'fe80::1': /link-local/,
    'fd00::1': /unique-local/,
    'fc00::1': /unique-local/,
    '::ffff:127.0.0.1': /loopback/,
    '::ffff:7f00:1': /loopback/,
    '::ffff:169.254.169.254': /link-local/,
    '64:ff9b::a00:1': /private/,
    '2002:7f00:1::1': /loopback/,
    '224.0.0.1': /multicast/,
    '255.255.255.255': /reserved/,
  };
  for (const [address, kind] of Object.entries(refused)) {
    t.throws(() => p.checkAddress(address, address), kind, address);
  }
  for (const address of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    t.doesNotThrow(() => p.checkAddress(address, address), address);
  }
  try {
    p.checkAddress('169.254.169.254', '169.254.169.254');
  } catch (err) {
    t.equal((err as Error).message, 'outgoing request refused: 169.254.169.254 is a link-local (cloud metadata) address; the operator can allow it with EGRESS_ALLOW (e.g. EGRESS_ALLOW=169.254.169.254)', 'says what and how to allow it');
  }
  try {
    p.checkAddress('ollama.internal', '10.0.0.5');
  } catch (err) {
    t.equal((err as Error).message, 'outgoing request refused: ollama.internal resolves to a private address; the operator can allow it with EGRESS_ALLOW (e.g. EGRESS_ALLOW=ollama.internal)', 'a name: the kind, not the address');
  }
  t.throws(() => p.checkUrlLiteral('http://[::ffff:127.0.0.1]:8080/v1'), EgressRefusedError, 'a literal in a URL being saved');
  t.throws(() => p.checkUrlLiteral('http://0.0.0.0:11434/v1'), EgressRefusedError);
  t.doesNotThrow(() => p.checkUrlLiteral('http://ollama.internal:11434/v1'), 'a name is checked when connecting');
});

t.test('EGRESS_ALLOW: addresses, ranges and names; a bad entry is refused naming it', async (t) => {
  const p = createEgressPolicy('127.0.0.1, 10.0.0.0/8 fd00::/8,ollama.internal, *.corp.example');
  t.same(p.allowed, ['127.0.0.1', '10.0.0.0/8', 'fd00::/8', 'ollama.internal', '*.corp.example']);
  for (const a of ['127.0.0.1', '::ffff:127.0.0.1', '10.200.0.1', 'fd12::3']) t.doesNotThrow(() => p.checkAddress(a, a), a);
  t.throws(() => p.checkAddress('127.0.0.2', '127.0.0.2'), EgressRefusedError, 'only what is listed');
  t.throws(() => p.checkAddress('192.168.0.1', '192.168.0.1'), EgressRefusedError);
  t.ok(p.allowsName('ollama.internal'));
  t.ok(p.allowsName('OLLAMA.internal.'), 'names compare as DNS does');
  t.ok(p.allowsName('llm.corp.example'));
  t.notOk(p.allowsName('corp.example.evil'));
  t.notOk(p.allowsName('xollama.internal'));
  await p.checkHost('ollama.internal'); // allowed by name: not even resolved
  for (const bad of ['http://10.0.0.1', '10.0.0.0/33', 'a/b', 'a b/c', '..']) {
    t.throws(() => createEgressPolicy(bad), EgressConfigError, bad);
  }
  t.throws(() => createEgressPolicy('10.0.0.0/99'), /^"10.0.0.0\/99" is not an IP address, a CIDR range/);
});

t.test('a name that resolves to loopback is refused at connect time; an address too; allowed, both get through', async (t) => {
  const up = await server();
  t.teardown(up.close);
  const refusedFetch = outboundFetch({ egress: createEgressPolicy() });
  for (const url of [`http://127.0.0.1:${up.port}/x`, `http://localhost:${up.port}/x`, `http://[::ffff:127.0.0.1]:${up.port}/x`]) {
    const err = await refusedFetch(url).then(
      () => null,
      (e: unknown) => e,
    );
    t.ok(refusal(err), `${url} refused`);
  }
  t.match(refusal(await refusedFetch(`http://localhost:${up.port}/x`).catch((e: unknown) => e))?.message, /localhost resolves to a loopback address/);
  t.same(up.seen, [], 'no request reached the server');

  const byAddress = outboundFetch({ egress: createEgressPolicy('127.0.0.1') });
  t.equal(await (await byAddress(`http://localhost:${up.port}/a`)).text(), 'ok', 'localhost resolves to an allowed address');
  const byName = outboundFetch({ egress: createEgressPolicy('localhost') });
  t.equal(await (await byName(`http://localhost:${up.port}/b`)).text(), 'ok', 'allowed by name');
  t.ok(refusal(await byName(`http://127.0.0.1:${up.port}/c`).catch((e: unknown) => e)), 'a name allowance does not cover the bare address');
  t.same(up.seen, ['/a', '/b']);
});

t.test('through a proxy: the proxy address is checked like any other, and the target before the tunnel is asked for', async (t) => {
  const up = await server();
  const proxy = await new ForwardProxy().start();
  t.teardown(async () => {
    await up.close();
    await proxy.close();
  });
  const proxyByName = `http://localhost:${proxy.port}`;
  const onlyProxy = outboundFetch({ proxyUrl: proxyByName, egress: createEgressPolicy('localhost') });
  t.ok(refusal(await onlyProxy(`http://127.0.0.1:${up.port}/x`).catch((e: unknown) => e)), 'a loopback target behind an allowed proxy is refused');
  t.same(proxy.tunnels, [], 'the proxy was never asked for it');
  // The target is allowed (by a name that resolves nowhere: nothing could leave even through a bug).
  const proxyRefused = outboundFetch({ proxyUrl: proxy.url(), egress: createEgressPolicy('target.invalid') });
  t.ok(refusal(await proxyRefused('http://target.invalid/').catch((e: unknown) => e)), 'a proxy on loopback is refused by default');
  t.same(proxy.tunnels, []);

  const both = outboundFetch({ proxyUrl: proxy.url(), egress: createEgressPolicy('127.0.0.1') });
  t.equal(await (await both(`http://127.0.0.1:${up.port}/y`)).text(), 'ok');
  t.same(proxy.tunnels.map((x) => x.target), [`127.0.0.1:${up.port}`], 'allowed: tunnelled');
});

t.test('redirects are not followed under the policy', async (t) => {
  const target = await server();
  const redirecting = await server(() => ({ status: 307, headers: { location: `http://127.0.0.1:${target.port}/secret` } }));
  t.teardown(async () => {
    await target.close();
    await redirecting.close();
  });
  const f = outboundFetch({ egress: createEgressPolicy('127.0.0.1') });
  await t.rejects(f(`http://127.0.0.1:${redirecting.port}/start`, { method: 'POST', body: 'x' }));
  t.same(redirecting.seen, ['/start']);
  t.same(target.seen, [], 'the redirect target was never asked');
});
