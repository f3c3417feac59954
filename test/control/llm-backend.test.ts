import t, { type Test } from 'tap';
import { startControl, type TestControl } from './helpers/control.ts';
import { fakeLlm } from './helpers/fake-llm.ts';

// The fake LLM servers listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };

/** Two healthy providers that answer differently, so every reply says who answered. */
async function rig(t: Test) {
  const alpha = await fakeLlm('alpha answers');
  const beta = await fakeLlm('beta answers');
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await alpha.close();
    await beta.close();
  });
  const admin = await c.userToken('admin-llm', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key as string;
  const a = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'alpha', base_url: alpha.url, model: 'alpha-model', priority: 1 } })).body;
  const b = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'beta', base_url: beta.url, model: 'beta-model', priority: 2 } })).body;
  return { c, admin, key, a, b, alpha, beta };
}

const ask = async (c: TestControl, key: string, model = 'gpt-4o') => {
  const r = await c.call('POST', '/v1/chat/completions', { token: key, body: { model, messages: [{ role: 'user', content: 'Tell me a story' }] } });
  return `${r.headers.get('x-answer-source')}:${r.body.model}`;
};

async function reply(c: TestControl, token: string, sessionId: number): Promise<{ source: string; model: string }> {
  const r = await c.call('POST', `/admin/chat/sessions/${sessionId}/reply`, { token, body: { content: 'Tell me a story' } });
  const done = r.text.split('\n\n').find((e) => e.startsWith('event: done'))!;
  return JSON.parse(done.slice(done.indexOf('data: ') + 6));
}

t.test('default backend: auto by priority, one provider first, or FAQ only; validated and audited', async (t) => {
  const { c, admin, key, a, b, alpha, beta } = await rig(t);
  t.same((await c.call('GET', '/admin/llm/default', { token: admin })).body, { backend: 'auto', provider: null, effective: 'auto', stale: false, stale_reason: null });
  t.equal(await ask(c, key), 'llm:alpha-model', 'auto: the first provider by priority');

  const put = await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: b.id } });
  t.equal(put.status, 200);
  t.match(put.body, { backend: 'provider', provider_id: b.id, provider: { name: 'beta' }, effective: 'provider', stale: false, stale_reason: null });
  t.equal(await ask(c, key), 'llm:beta-model', 'the pinned provider answers');
  t.equal(await ask(c, key, 'alpha-model'), 'llm:alpha-model', 'a request naming a model still gets that model');

  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'faq' } });
  const before = alpha.seen.length + beta.seen.length;
  t.equal(await ask(c, key), 'fallback:fallback', 'faq: no LLM at all');
  t.equal(alpha.seen.length + beta.seen.length, before, 'no request reached a provider');

  t.equal((await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: 999 } })).status, 404);
  t.equal((await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider' } })).status, 400, 'provider_id required');
  t.equal((await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'cloud' } })).status, 400);
  t.equal((await c.call('PUT', '/admin/config/llm.default_backend', { token: admin, body: { value: { backend: 'provider', provider_id: 'x' } } })).status, 400, 'the config route validates the same shape');
  await c.call('PATCH', `/admin/llm-providers/${a.id}`, { token: admin, body: { enabled: false } });
  const disabled = await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: a.id } });
  t.equal(disabled.status, 409);
  t.match(disabled.body.error.message, /disabled/);

  const viewer = await c.userToken('viewer-llm', 'viewer');
  t.equal((await c.call('GET', '/admin/llm/default', { token: viewer })).status, 200);
  t.equal((await c.call('PUT', '/admin/llm/default', { token: viewer, body: { backend: 'auto' } })).status, 403);
  const audit = (await c.call('GET', '/admin/audit?action=llm.default_backend', { token: admin })).body.items;
  t.match(audit.find((e: { status: number }) => e.status === 200).details, { from: { backend: 'provider' }, to: { backend: 'faq' } });

  // A pinned provider that is deleted no longer pins anything: chats go back to auto.
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: b.id } });
  await c.call('DELETE', `/admin/llm-providers/${b.id}`, { token: admin });
  await c.call('PATCH', `/admin/llm-providers/${a.id}`, { token: admin, body: { enabled: true } });
  t.equal(await ask(c, key), 'llm:alpha-model');
});

t.test('PUT /admin/config/llm.default_backend makes the same checks as PUT /admin/llm/default', async (t) => {
  const { c, admin, key, a, b } = await rig(t);
  const viaConfig = (value: unknown) => c.call('PUT', '/admin/config/llm.default_backend', { token: admin, body: { value } });
  const missing = await viaConfig({ backend: 'provider', provider_id: 999 });
  t.equal(missing.status, 404, 'a provider that does not exist');
  t.equal(missing.body.error.code, 'not_found');
  await c.call('PATCH', `/admin/llm-providers/${a.id}`, { token: admin, body: { enabled: false } });
  const disabled = await viaConfig({ backend: 'provider', provider_id: a.id });
  t.equal(disabled.status, 409, 'a disabled provider');
  t.match(disabled.body.error, { code: 'conflict', message: /disabled/, details: { provider_id: a.id } });
  t.same((await c.call('GET', '/admin/llm/default', { token: admin })).body.backend, 'auto', 'nothing was stored by the refused calls');
  const cfg = (await c.call('GET', '/admin/config', { token: admin })).body.items.find((i: { key: string }) => i.key === 'llm.default_backend');
  t.same(cfg.value, { backend: 'auto' });

  const ok = await viaConfig({ backend: 'provider', provider_id: b.id });
  t.equal(ok.status, 200);
  t.match((await c.call('GET', '/admin/llm/default', { token: admin })).body, { backend: 'provider', provider_id: b.id, effective: 'provider', stale: false });
  t.equal(await ask(c, key), 'llm:beta-model', 'a pin set through the config route works like one set directly');
  t.equal((await viaConfig({ backend: 'faq' })).status, 200, 'choices without a provider need no check');
  const audit = (await c.call('GET', '/admin/audit?action=config.set', { token: admin })).body.items;
  t.same(audit.map((e: { status: number }) => e.status), [200, 200, 409, 404], 'refusals audited too');
});

t.test('GET /admin/llm/default reports a pin to a disabled or deleted provider as stale (chats run as auto)', async (t) => {
  const { c, admin, key, b } = await rig(t);
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: b.id } });
  await c.call('PATCH', `/admin/llm-providers/${b.id}`, { token: admin, body: { enabled: false } });
  const off = (await c.call('GET', '/admin/llm/default', { token: admin })).body;
  t.match(off, { backend: 'provider', provider_id: b.id, provider: { id: b.id, enabled: false }, effective: 'auto', stale: true, stale_reason: 'provider_disabled' });
  t.equal(await ask(c, key), 'llm:alpha-model', 'what GET says is what chats get: auto, by priority');

  await c.call('PATCH', `/admin/llm-providers/${b.id}`, { token: admin, body: { enabled: true } });
  t.match((await c.call('GET', '/admin/llm/default', { token: admin })).body, { effective: 'provider', stale: false, stale_reason: null }, 'enabled again: the pin holds again');
  t.equal(await ask(c, key), 'llm:beta-model');

  await c.call('DELETE', `/admin/llm-providers/${b.id}`, { token: admin });
  const gone = (await c.call('GET', '/admin/llm/default', { token: admin })).body;
  t.same(gone, { backend: 'provider', provider_id: b.id, provider: null, effective: 'auto', stale: true, stale_reason: 'provider_deleted' });
  t.equal(await ask(c, key), 'llm:alpha-model');
});

t.test('per-session override beats the persona, which beats the default; cleared by "default"', async (t) => {
  const { c, admin, a, b } = await rig(t);
  const op = await c.userToken('operator-llm', 'operator');
  await c.call('PUT', '/admin/llm/default', { token: admin, body: { backend: 'provider', provider_id: b.id } });
  const sess = (await c.call('POST', '/admin/chat/sessions', { token: op, body: {} })).body;
  t.match(sess, { llm_backend: null, llm_provider_id: null });
  t.match(await reply(c, op, sess.id), { source: 'llm', model: 'beta-model' }, 'the default');

  const set = await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: op, body: { backend: 'provider', provider_id: a.id } });
  t.equal(set.status, 200);
  t.match(set.body, { llm_backend: 'provider', llm_provider_id: a.id });
  t.match(await reply(c, op, sess.id), { source: 'llm', model: 'alpha-model' }, 'the session override');
  t.match((await c.call('GET', `/admin/chat/sessions/${sess.id}`, { token: op })).body, { llm_backend: 'provider', llm_provider_id: a.id });

  await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: op, body: { backend: 'faq' } });
  t.match(await reply(c, op, sess.id), { source: 'secretary', model: 'secretary' }, 'no LLM: the built-in secretary, as on a call');

  const persona = (await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Pinned', system_prompt: 'p', llm_provider_id: a.id } })).body;
  const withPersona = (await c.call('POST', '/admin/chat/sessions', { token: op, body: { persona_id: persona.id } })).body;
  t.match(await reply(c, op, withPersona.id), { model: 'alpha-model' }, "the persona's provider beats the default");
  await c.call('PUT', `/admin/chat/sessions/${withPersona.id}/llm`, { token: op, body: { backend: 'provider', provider_id: b.id } });
  t.match(await reply(c, op, withPersona.id), { model: 'beta-model' }, 'the session beats the persona');
  const cleared = await c.call('PUT', `/admin/chat/sessions/${withPersona.id}/llm`, { token: op, body: { backend: 'default' } });
  t.match(cleared.body, { llm_backend: null, llm_provider_id: null });
  t.match(await reply(c, op, withPersona.id), { model: 'alpha-model' }, 'cleared: the persona again');

  t.equal((await c.call('PUT', `/admin/chat/sessions/9999/llm`, { token: op, body: { backend: 'faq' } })).status, 404);
  t.equal((await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: op, body: { backend: 'provider', provider_id: 999 } })).status, 404);
  t.equal((await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: op, body: { backend: 'auto' } })).status, 400);
  const viewer = await c.userToken('viewer-sess', 'viewer');
  t.equal((await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: viewer, body: { backend: 'faq' } })).status, 403);

  // Deleting the pinned provider (FK SET NULL) leaves a session that follows the default again.
  await c.call('PUT', `/admin/chat/sessions/${sess.id}/llm`, { token: op, body: { backend: 'provider', provider_id: a.id } });
  await c.call('DELETE', `/admin/llm-providers/${a.id}`, { token: admin });
  t.match(await reply(c, op, sess.id), { model: 'beta-model' });
});

t.test('provider connection test reports latency and reply, or the error', async (t) => {
  const { c, admin, a } = await rig(t);
  const broken = await fakeLlm('', { fail: true });
  t.teardown(() => broken.close());
  const ok = await c.call('POST', `/admin/llm-providers/${a.id}/test`, { token: admin });
  t.equal(ok.status, 200);
  t.match(ok.body, { provider_id: a.id, model: 'alpha-model', ok: true, reply: /alpha answers/ });
  t.type(ok.body.latency_ms, 'number');
  const bad = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'bad', base_url: broken.url, model: 'm', enabled: false } })).body;
  const failed = await c.call('POST', `/admin/llm-providers/${bad.id}/test`, { token: admin });
  t.equal(failed.status, 200, 'a failing provider is a result, not an error of this route');
  t.match(failed.body, { ok: false, error: /500|boom/ });
  t.equal((await c.call('POST', '/admin/llm-providers/999/test', { token: admin })).status, 404);
  const op = await c.userToken('op-test', 'operator');
  t.equal((await c.call('POST', `/admin/llm-providers/${a.id}/test`, { token: op })).status, 403);
});
