import t from 'tap';
import { FakeOpenAi } from '../fakes/fake-openai.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';
import { openAiCaller } from '../../control/openai-api/llm-caller.ts';
import type { LlmProvider } from '../../control/repositories/llm-providers.ts';
import { createEgressPolicy } from '../../pipeline/net/egress-policy.ts';
import { ProxyUrlError } from '../../pipeline/net/outbound-http.ts';
import { startControl } from './helpers/control.ts';
import { deadPort } from '../helpers/dead-port.ts';

const providerRow = (base_url: string, proxy_url: string | null): LlmProvider => ({
  id: 1,
  name: 'p',
  kind: 'openai-compatible',
  base_url,
  model: 'fake-model',
  has_api_key: true,
  api_key_status: 'set',
  proxy_url,
  proxy_password_status: 'none',
  timeout_ms: 10000,
  priority: 1,
  enabled: true,
  created_at: '',
  updated_at: '',
});

const messages = [{ role: 'user' as const, content: 'hello' }];

// The fakes and the proxy listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };
const call = openAiCaller(createEgressPolicy(LOOPBACK_ALLOWED.EGRESS_ALLOW));

t.test('openAiCaller goes through provider.proxy_url, streaming or not, and straight without one', async (t) => {
  const fake = await new FakeOpenAi({ apiKey: 'sk-x', chat: () => ({ text: 'Proxied answer.' }) }).start();
  const proxy = await new ForwardProxy().start();
  t.teardown(async () => {
    await fake.close();
    await proxy.close();
  });
  const viaProxy = providerRow(fake.baseURL, proxy.url());
  const whole = await call(viaProxy, 'sk-x', messages, { signal: new AbortController().signal });
  t.equal(whole.text, 'Proxied answer.');
  t.equal(whole.tokensIn, 10, 'usage from the provider');
  const pieces: string[] = [];
  const streamed = await call(viaProxy, 'sk-x', messages, { signal: new AbortController().signal, onDelta: async (d) => void pieces.push(d) });
  t.equal(streamed.text, 'Proxied answer.');
  t.ok(pieces.length >= 2, 'streamed in pieces');
  t.ok(proxy.tunnels.length >= 1, `the proxy opened ${proxy.tunnels.length} tunnel(s)`);
  t.ok(proxy.tunnels.every((x) => x.target === `127.0.0.1:${fake.port}`));
  t.equal(fake.chatRequests().length, 2);

  const before = proxy.tunnels.length;
  const direct = await call(providerRow(fake.baseURL, null), 'sk-x', messages, { signal: new AbortController().signal });
  t.equal(direct.text, 'Proxied answer.');
  t.equal(proxy.tunnels.length, before, 'no proxy_url: the proxy saw nothing');
  t.equal(fake.chatRequests().length, 3);

  await t.rejects(call(providerRow(fake.baseURL, 'socks5://u:secret@127.0.0.1:1'), 'sk-x', messages, { signal: new AbortController().signal }), ProxyUrlError);
});

t.test('providers stored with proxy_url: a dead proxy falls back to the next provider, which answers through its proxy', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'From behind the proxy.' }) }).start();
  const proxy = await new ForwardProxy({ requireAuth: `Basic ${Buffer.from('ops:pw').toString('base64')}` }).start();
  const c = await startControl(LOOPBACK_ALLOWED);
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

t.test('proxy passwords: ciphertext in the row and in backups; *** toward another proxy is a 400; a plaintext row restored from an old backup is sealed', async (t) => {
  const { strFromU8, strToU8, unzipSync, zipSync } = await import('fflate');
  const { createHash } = await import('node:crypto');
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Through the proxy.' }) }).start();
  const proxy = await new ForwardProxy({ requireAuth: `Basic ${Buffer.from('ops:S3cret-pw').toString('base64')}` }).start();
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await fake.close();
    await proxy.close();
  });
  const admin = await c.userToken('admin-seal', 'admin');
  const made = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: fake.baseURL, model: 'm', proxy_url: proxy.url('ops:S3cret-pw') } });
  t.equal(made.status, 201);
  t.notMatch(JSON.stringify(await c.cp.db('llm_providers').select()), /S3cret-pw/, 'the raw rows hold no plaintext password');

  const backup = await c.call('POST', '/admin/backups', { token: admin });
  const zip = new Uint8Array(await (await fetch(`${c.base}/admin/backups/${backup.body.name}`, { headers: { authorization: `Bearer ${admin}` } })).arrayBuffer());
  const files = unzipSync(zip);
  const providersJson = strFromU8(files['tables/llm_providers.json']!);
  t.match(providersJson, /proxy_password_encrypted/, 'the backup carries the ciphertext');
  t.notMatch(providersJson, /S3cret-pw/, 'and not the password');
  t.notOk(Object.values(files).some((f) => Buffer.from(f).includes('S3cret-pw')), 'no entry of the zip has it');

  // *** may keep the stored password only for the same host, port and user.
  const other = await c.call('PATCH', `/admin/llm-providers/${made.body.id}`, { token: admin, body: { proxy_url: 'http://ops:***@evil.example:3128' } });
  t.equal(other.status, 400);
  t.equal(other.body.error.code, 'validation_failed');
  t.match(other.body.error.message, /^body: proxy_url: .*host, port changed/);
  t.same(other.body.error.details.changed, ['host', 'port']);
  t.notMatch(other.text, /S3cret-pw/, 'the refusal does not echo the password');
  const user = await c.call('PATCH', `/admin/llm-providers/${made.body.id}`, { token: admin, body: { proxy_url: made.body.proxy_url.replace('ops:', 'eve:') } });
  t.equal(user.status, 400);
  t.same(user.body.error.details.changed, ['user']);
  const fresh = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'q', base_url: fake.baseURL, model: 'm2', proxy_url: made.body.proxy_url } });
  t.equal(fresh.status, 400, '*** on a new provider: nothing stored to keep');
  const test = await c.call('POST', `/admin/llm-providers/${made.body.id}/test`, { token: admin });
  t.match(test.body, { ok: true }, 'the refused updates left the working password in place');

  // A backup from before migration 0004: the password inside proxy_url. Restored, it works and is sealed.
  const rows = JSON.parse(providersJson) as Array<Record<string, unknown>>;
  const oldRows = rows.map(({ proxy_password_encrypted: _e, ...r }) => ({ ...r, proxy_url: proxy.url('ops:S3cret-pw') }));
  const body = strToU8(JSON.stringify(oldRows));
  const manifest = JSON.parse(strFromU8(files['manifest.json']!));
  manifest.migrations = manifest.migrations.slice(0, manifest.migrations.indexOf('0004-llm-proxy-password'));
  manifest.entries['tables/llm_providers.json'] = { bytes: body.byteLength, sha256: createHash('sha256').update(body).digest('hex') };
  const up = await c.call('POST', '/admin/backups/upload', { token: admin, rawBody: Buffer.from(zipSync({ ...files, 'tables/llm_providers.json': body, 'manifest.json': strToU8(JSON.stringify(manifest)) })), headers: { 'content-type': 'application/zip' } });
  t.equal(up.status, 201, JSON.stringify(up.body));
  const restored = await c.call('POST', `/admin/backups/${up.body.name}/restore`, { token: admin, body: { confirm: true } });
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  t.notMatch(JSON.stringify(await c.cp.db('llm_providers').select()), /S3cret-pw/, 'sealed right after the restore');
  t.equal(await c.cp.repos.llmProviders.getProxyUrl(made.body.id), proxy.url('ops:S3cret-pw'));
  const again = (await c.login('admin-seal')).body.access_token;
  t.match((await c.call('POST', `/admin/llm-providers/${made.body.id}/test`, { token: again })).body, { ok: true }, 'and the restored provider still gets through its proxy');
});
