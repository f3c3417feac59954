/**
 * Requests to admin-configured URLs (LLM providers): loopback and private addresses refused by
 * default, when saved and when connected to (a name resolving to loopback too), allowed by
 * EGRESS_ALLOW; a provider's error body never reaches the admin or an API client; and a stored API
 * key is never sent to a new origin.
 */
import t from 'tap';
import { loadControlConfig } from '../../control/config.ts';
import { FakeOpenAi } from '../fakes/fake-openai.ts';
import { capturedLog } from '../helpers/captured-log.ts';
import { startControl } from './helpers/control.ts';
import { testDatabase } from './helpers/database.ts';
import { until } from '../helpers/until.ts';
import { fakeLlm } from './helpers/fake-llm.ts';

t.test('loopback and private are refused by default: an address when saved, a name resolving to loopback when connecting', async (t) => {
  const llm = await fakeLlm('should never be asked');
  const c = await startControl();
  t.teardown(async () => {
    await c.stop();
    await llm.close();
  });
  const admin = await c.userToken('admin-egress', 'admin');
  const port = new URL(llm.url).port;
  for (const base_url of [llm.url, `http://[::1]:${port}/v1`, 'http://169.254.169.254/latest', 'http://10.0.0.8:11434/v1', 'http://[::ffff:127.0.0.1]:80/v1']) {
    const r = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'x', base_url, model: 'm' } });
    t.equal(r.status, 400, base_url);
    t.equal(r.body.error.code, 'egress_refused');
    t.match(r.body.error.message, /^body: base_url: outgoing request refused: .* address; the operator can allow it with EGRESS_ALLOW/);
  }
  const proxied = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'x', base_url: 'https://api.example.com/v1', model: 'm', proxy_url: 'http://192.168.1.10:3128' } });
  t.equal(proxied.status, 400, 'a proxy on a private address too');
  t.match(proxied.body.error.message, /^body: proxy_url: /);

  // A name is left for the connection to check: it resolves to loopback, so it is refused there.
  const byName = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'local', base_url: `http://localhost:${port}/v1`, model: 'local-model', api_key: 'sk-local' } });
  t.equal(byName.status, 201);
  const test = await c.call('POST', `/admin/llm-providers/${byName.body.id}/test`, { token: admin });
  t.match(test.body, { ok: false, error: /^outgoing request refused: localhost resolves to a loopback address; the operator can allow it with EGRESS_ALLOW \(e\.g\. EGRESS_ALLOW=localhost\) \(error id [0-9a-f]+\)$/ });
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key as string;
  const chat = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'local-model', messages: [{ role: 'user', content: 'Something the FAQ does not know' }] } });
  t.equal(chat.headers.get('x-answer-source'), 'fallback', 'chats fall back instead');
  t.same(llm.seen, [], 'nothing reached the loopback server');
});

t.test('at start, LLM providers the egress policy refuses are named in one warning with EGRESS_ALLOW (an install with a local Ollama)', async (t) => {
  const db = await testDatabase();
  t.teardown(() => db.cleanup());
  const before = await startControl({ EGRESS_ALLOW: '127.0.0.1,localhost' }, { db });
  const admin = await before.userToken('admin-ollama', 'admin');
  for (const [name, base_url] of [['ollama', 'http://localhost:11434/v1'], ['vllm', 'http://127.0.0.1:8000/v1']]) {
    t.equal((await before.call('POST', '/admin/llm-providers', { token: admin, body: { name, base_url, model: 'm' } })).status, 201);
  }
  await before.stop();
  const captured = capturedLog();
  const after = await startControl({}, { db, options: { log: captured.log } });
  t.teardown(after.stop);
  const warning = () => captured.lines.find((l) => /egress policy refuses/.test(String(l.msg)));
  await until('the warning', () => warning() !== undefined);
  t.match(warning()!.msg, /EGRESS_ALLOW/);
  const named = warning()!.providers as Array<{ name: string; host: string }>;
  t.same(named.map((p) => [p.name, p.host]).sort(), [['ollama', 'localhost'], ['vllm', '127.0.0.1']]);
});

t.test('EGRESS_ALLOW lets the operator allow loopback; a bad entry stops the start naming it', async (t) => {
  t.throws(() => loadControlConfig({ EGRESS_ALLOW: '127.0.0.1,http://ollama:11434' }), /^invalid configuration: EGRESS_ALLOW: "http:\/\/ollama:11434" is not an IP address/);
  const llm = await fakeLlm('Hello from loopback');
  const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' });
  t.teardown(async () => {
    await c.stop();
    await llm.close();
  });
  const admin = await c.userToken('admin-allow', 'admin');
  const byAddress = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'a', base_url: llm.url, model: 'm' } });
  t.equal(byAddress.status, 201);
  t.match((await c.call('POST', `/admin/llm-providers/${byAddress.body.id}/test`, { token: admin })).body, { ok: true, reply: 'Hello from loopback' });
  const byName = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'b', base_url: llm.url.replace('127.0.0.1', 'localhost'), model: 'm' } });
  t.match((await c.call('POST', `/admin/llm-providers/${byName.body.id}/test`, { token: admin })).body, { ok: true }, 'a name resolving to an allowed address');
  t.equal(llm.seen.length, 2);
  t.equal((await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'c', base_url: 'http://10.0.0.8/v1', model: 'm' } })).status, 400, 'only what is listed');
});

t.test("a provider's error body reaches neither the admin nor an API client; the log has it under the error id", async (t) => {
  const llm = await fakeLlm('', { fail: 'database at 10.1.2.3 refused user llm_prod password=UPSTREAM-SECRET' });
  const captured = capturedLog();
  const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' }, { options: { log: captured.log } });
  t.teardown(async () => {
    await c.stop();
    await llm.close();
  });
  const admin = await c.userToken('admin-body', 'admin');
  const p = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'leaky', base_url: llm.url, model: 'leaky-model' } });
  const test = await c.call('POST', `/admin/llm-providers/${p.body.id}/test`, { token: admin });
  t.match(test.body, { ok: false, error: /^the server answered HTTP 500 \(error id [0-9a-f]+\)$/ });
  t.notMatch(test.text, /SECRET|10\.1\.2\.3/);
  t.match(JSON.stringify(captured.withErrorId(test.body.error_id)), /UPSTREAM-SECRET/, 'logged under the id the admin was given');

  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key as string;
  for (const stream of [false, true]) {
    const chat = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'leaky-model', stream, messages: [{ role: 'user', content: 'Something the FAQ does not know' }] } });
    t.equal(chat.status, 200);
    t.notMatch(chat.text, /SECRET|10\.1\.2\.3/, `stream: ${stream}`);
  }
});

t.test('a stored API key is not sent to a new origin: moving base_url without a key clears it', async (t) => {
  const original = await new FakeOpenAi({ apiKey: 'sk-for-original-only', chat: () => ({ text: 'original' }) }).start();
  const other = await new FakeOpenAi({ chat: () => ({ text: 'other' }) }).start();
  const c = await startControl({ EGRESS_ALLOW: '127.0.0.1' });
  t.teardown(async () => {
    await c.stop();
    await original.close();
    await other.close();
  });
  const admin = await c.userToken('admin-key', 'admin');
  const p = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: original.baseURL, model: 'm', api_key: 'sk-for-original-only' } })).body;
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'original' });

  const samePlace = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { base_url: `${original.baseURL}/` } });
  t.equal(samePlace.body.has_api_key, true, 'a path change on the same origin keeps the key');

  const moved = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { base_url: other.baseURL } });
  t.equal(moved.status, 200);
  t.equal(moved.body.has_api_key, false, 'another port is another origin: the key is cleared');
  const audit = await c.cp.repos.audit.list({ action: 'llm_providers.update' }, { limit: 1, offset: 0 });
  t.match(audit.items[0].details, { api_key: 'cleared_origin_changed' }, 'and the audit log says why');
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'other' });
  const sent = other.requests.map((r) => r.headers.authorization);
  t.same(sent, ['Bearer not-needed'], 'the new host never saw the old key');
  t.equal(await c.cp.repos.llmProviders.getApiKey(p.id), null);

  const back = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { base_url: original.baseURL, api_key: 'sk-for-original-only' } });
  t.equal(back.body.has_api_key, true, 'a key sent with the move is kept');
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'original' });
});
