import { createServer } from 'node:net';
import t from 'tap';
import { FakeOpenAi } from '../fakes/fake-openai.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';
import { openAiCaller } from '../../control/openai-api/llm-caller.ts';
import type { LlmProvider } from '../../control/repositories/llm-providers.ts';
import { ProxyUrlError } from '../../pipeline/engines/http-proxy.ts';
import { startControl } from './helpers/control.ts';

const providerRow = (base_url: string, proxy_url: string | null): LlmProvider => ({
  id: 1,
  name: 'p',
  kind: 'openai-compatible',
  base_url,
  model: 'fake-model',
  has_api_key: true,
  proxy_url,
  timeout_ms: 10000,
  priority: 1,
  enabled: true,
  created_at: '',
  updated_at: '',
});

const messages = [{ role: 'user' as const, content: 'hello' }];

async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

t.test('openAiCaller goes through provider.proxy_url, streaming or not, and straight without one', async (t) => {
  const fake = await new FakeOpenAi({ apiKey: 'sk-x', chat: () => ({ text: 'Proxied answer.' }) }).start();
  const proxy = await new ForwardProxy().start();
  t.teardown(async () => {
    await fake.close();
    await proxy.close();
  });
  const viaProxy = providerRow(fake.baseURL, proxy.url());
  const whole = await openAiCaller(viaProxy, 'sk-x', messages, { signal: new AbortController().signal });
  t.equal(whole.text, 'Proxied answer.');
  t.equal(whole.tokensIn, 10, 'usage from the provider');
  const pieces: string[] = [];
  const streamed = await openAiCaller(viaProxy, 'sk-x', messages, { signal: new AbortController().signal, onDelta: async (d) => void pieces.push(d) });
  t.equal(streamed.text, 'Proxied answer.');
  t.ok(pieces.length >= 2, 'streamed in pieces');
  t.ok(proxy.tunnels.length >= 1, `the proxy opened ${proxy.tunnels.length} tunnel(s)`);
  t.ok(proxy.tunnels.every((x) => x.target === `127.0.0.1:${fake.port}`));
  t.equal(fake.chatRequests().length, 2);

  const before = proxy.tunnels.length;
  const direct = await openAiCaller(providerRow(fake.baseURL, null), 'sk-x', messages, { signal: new AbortController().signal });
  t.equal(direct.text, 'Proxied answer.');
  t.equal(proxy.tunnels.length, before, 'no proxy_url: the proxy saw nothing');
  t.equal(fake.chatRequests().length, 3);

  await t.rejects(openAiCaller(providerRow(fake.baseURL, 'socks5://u:secret@127.0.0.1:1'), 'sk-x', messages, { signal: new AbortController().signal }), ProxyUrlError);
});

t.test('providers stored with proxy_url: a dead proxy falls back to the next provider, which answers through its proxy', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'From behind the proxy.' }) }).start();
  const proxy = await new ForwardProxy({ requireAuth: `Basic ${Buffer.from('ops:pw').toString('base64')}` }).start();
  const c = await startControl();
  t.teardown(async () => {
    await c.stop();
    await fake.close();
    await proxy.close();
  });
  const admin = await c.userToken('admin-proxy', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'test' } })).body.key as string;
  const add = (name: string, priority: number, proxy_url: string) =>
    c.call('POST', '/admin/llm-providers', { token: admin, body: { name, base_url: fake.baseURL, model: `${name}-model`, priority, proxy_url } });
  t.equal((await add('down', 1, `http://127.0.0.1:${await deadPort()}`)).status, 201);
  t.equal((await add('up', 2, proxy.url('ops:pw'))).status, 201);

  const r = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'auto', messages: [{ role: 'user', content: 'Tell me something' }] } });
  t.equal(r.status, 200);
  t.equal(r.headers.get('x-answer-source'), 'llm');
  t.equal(r.body.choices[0].message.content, 'From behind the proxy.');
  t.equal(r.body.model, 'up-model', 'the provider behind the dead proxy was skipped');
  t.same(proxy.tunnels.map((x) => x.target), [`127.0.0.1:${fake.port}`]);
  t.equal(fake.chatRequests().length, 1);

  // The proxy password is never read back; "***" sent back on update keeps the stored one.
  const up = (await c.call('GET', '/admin/llm-providers', { token: admin })).body.items.find((p: { name: string }) => p.name === 'up');
  t.equal(up.proxy_url, proxy.url('ops:***'));
  t.notMatch(JSON.stringify((await c.call('GET', `/admin/llm-providers/${up.id}`, { token: admin })).body), /:pw@/);
  t.equal((await c.call('PATCH', `/admin/llm-providers/${up.id}`, { token: admin, body: { proxy_url: up.proxy_url, timeout_ms: 5000 } })).status, 200);
  const again = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'up-model', messages: [{ role: 'user', content: 'Again' }] } });
  t.equal(again.body.choices[0].message.content, 'From behind the proxy.', 'the masked URL sent back kept the real password');
  await c.call('PATCH', `/admin/llm-providers/${up.id}`, { token: admin, body: { proxy_url: proxy.url('ops:wrong') } });
  const test = await c.call('POST', `/admin/llm-providers/${up.id}/test`, { token: admin });
  t.match(test.body, { ok: false }, 'a new password replaces the old one (and the proxy refuses it)');
});
