import t from 'tap';
import { startControl, type TestControl } from './helpers/control.ts';
import { testDatabase } from './helpers/database.ts';
import { fakeLlm } from './helpers/fake-llm.ts';

// The fake LLM servers listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };

async function withKey(c: TestControl) {
  const admin = await c.userToken('admin-' + Math.random().toString(36).slice(2, 8), 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'test' } })).body;
  return { admin, key: key.key as string, keyId: key.id as number };
}

const ask = (c: TestControl, key: string, content: string, extra: Record<string, unknown> = {}) =>
  c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'auto', messages: [{ role: 'user', content }], ...extra } });

function sse(text: string): any[] {
  return text
    .split('\n\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => l.slice(6))
    .map((d) => (d === '[DONE]' ? '[DONE]' : JSON.parse(d)));
}

t.test('FAQ answers, streamed and not; models; API keys revocable', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const { admin, key, keyId } = await withKey(c);
  await c.call('POST', '/admin/faq', { token: admin, body: { question: 'What are your opening hours?', answer: 'We are open nine to five.' } });
  const r = await ask(c, key, 'What are the opening hours?');
  t.equal(r.status, 200);
  t.equal(r.headers.get('x-answer-source'), 'faq');
  t.match(r.body, { object: 'chat.completion', model: 'faq', choices: [{ message: { role: 'assistant', content: 'We are open nine to five.' }, finish_reason: 'stop' }] });
  t.ok(r.body.usage.total_tokens > 0);

  const s = await ask(c, key, 'opening hours please', { stream: true, stream_options: { include_usage: true } });
  t.match(s.headers.get('content-type'), /text\/event-stream/);
  const events = sse(s.text);
  t.equal(events.at(-1), '[DONE]');
  t.equal(events[0].choices[0].delta.role, 'assistant');
  t.equal(events.filter((e) => e !== '[DONE]').map((e) => e.choices[0]?.delta?.content ?? '').join(''), 'We are open nine to five.');
  t.ok(events.some((e) => e !== '[DONE]' && e.choices[0]?.finish_reason === 'stop'));
  t.ok(events.some((e) => e !== '[DONE]' && e.usage), 'usage chunk when asked');

  const fb = await ask(c, key, 'Can you repair my bicycle?');
  t.equal(fb.headers.get('x-answer-source'), 'fallback', 'no FAQ match and no LLM: the polite fallback');
  t.match(fb.body.choices[0].message.content, /Sorry/);

  const models = await c.call('GET', '/v1/models', { token: key });
  t.equal(models.body.object, 'list');
  t.ok(models.body.data.some((m: { id: string }) => m.id === 'faq'));

  t.equal((await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'x', messages: [] } })).status, 400, 'empty messages refused');
  t.equal((await c.call('DELETE', `/admin/api-keys/${keyId}`, { token: admin })).status, 204);
  const revoked = await ask(c, key, 'hours?');
  t.equal(revoked.status, 401);
  t.equal(revoked.body.error.code, 'invalid_api_key');
  const listed = (await c.call('GET', '/admin/api-keys', { token: admin })).body.items[0];
  t.notOk('key' in listed || 'key_hash' in listed, 'the key is never listed');
  t.ok(listed.revoked_at);
});

t.test('LLM through the openai SDK: persona prompt, encrypted key used, fallback chain on failure, streaming', async (t) => {
  const broken = await fakeLlm('', { fail: true });
  const good = await fakeLlm('Hello from the model');
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await broken.close();
    await good.close();
  });
  const { admin, key } = await withKey(c);
  await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'first', base_url: broken.url, model: 'broken-model', priority: 1, api_key: 'sk-broken' } });
  await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'second', base_url: good.url, model: 'good-model', priority: 2, api_key: 'sk-good-key' } });
  await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Anna', system_prompt: 'You are Anna, the secretary.' } });

  const r = await ask(c, key, 'Tell me something');
  t.equal(r.status, 200);
  t.equal(r.headers.get('x-answer-source'), 'llm');
  t.equal(r.body.choices[0].message.content, 'Hello from the model');
  t.equal(r.body.model, 'good-model');
  t.same(r.body.usage, { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 }, 'token counts from the provider');
  t.equal(broken.seen.length, 1, 'the first provider was tried');
  t.equal(good.seen[0].auth, 'Bearer sk-good-key', 'the decrypted key reached the provider');
  t.same(good.seen[0].body.messages[0], { role: 'system', content: 'You are Anna, the secretary.' });

  const s = await ask(c, key, 'Stream it', { stream: true });
  const text = sse(s.text).filter((e) => e !== '[DONE]').map((e) => e.choices[0]?.delta?.content ?? '').join('');
  t.equal(text.trim(), 'Hello from the model');

  const onlyFaq = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'Tell me something' }] } });
  t.equal(onlyFaq.headers.get('x-answer-source'), 'fallback', 'model "faq" never calls an LLM');
  t.equal(good.seen.length, 2);
});

t.test('usage limits are enforced on chat routes, per key, and survive a restart', async (t) => {
  const db = await testDatabase();
  let c = await startControl({}, { db });
  t.teardown(async () => {
    await c.stop();
    await db.cleanup();
  });
  const { admin, key, keyId } = await withKey(c);
  const other = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'other' } })).body.key;
  const lim = await c.call('POST', '/admin/usage/limits', {
    token: admin,
    body: { name: 'trial', subject_type: 'api_key', subject_id: String(keyId), kind: 'chat', metric: 'requests', period: 'day', max_value: 2 },
  });
  t.equal(lim.status, 201);
  t.equal((await ask(c, key, 'hi')).status, 200);
  t.equal((await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'x' } })).status, 400, 'invalid requests do not use the allowance');
  t.equal((await ask(c, key, 'hi')).status, 200);
  const third = await ask(c, key, 'hi');
  t.equal(third.status, 429);
  t.equal(third.body.error.code, 'usage_limit_exceeded');
  t.match(third.body.error.details, { limit_id: lim.body.id, period: 'day', max_value: 2 });
  t.ok(Number(third.headers.get('retry-after')) > 0);
  t.equal((await ask(c, other, 'hi')).status, 200, 'another key has its own allowance');

  const usage = await c.call('GET', `/admin/usage?subject_type=api_key&subject_id=${keyId}`, { token: admin });
  t.equal(usage.body.total, 2, 'two answered requests logged (the refused one is not)');
  t.match(usage.body.items[0], { kind: 'chat', source: 'fallback', units: 1 });

  await c.stop();
  c = await startControl({}, { db });
  t.equal((await ask(c, key, 'hi')).status, 429, 'a restart does not reset the window');
  const admin2 = await c.userToken('admin-two', 'admin');
  await c.call('PATCH', `/admin/usage/limits/${lim.body.id}`, { token: admin2, body: { max_value: 3 } });
  t.equal((await ask(c, key, 'hi')).status, 200, 'raising the limit applies at once');

  // A day, like the key's limit above: windows are calendar ones (control/usage/windows.ts), and a
  // minute's would start afresh, empty, whenever the run crosses :00.
  const global = await c.call('POST', '/admin/usage/limits', { token: admin2, body: { name: 'all', subject_type: 'global', kind: 'chat', metric: 'tokens', period: 'day', max_value: 1 } });
  t.equal(global.status, 201);
  t.equal((await ask(c, other, 'hi')).status, 429, 'a global token budget stops everyone');
  const audit = (await c.call('GET', '/admin/audit?action=usage_limits.', { token: admin2 })).body.items;
  t.equal(audit.length, 3);
});

t.test('a provider that dies mid-answer: /v1 streams end with an error the openai SDK raises; the admin chat stores the part sent and says it was cut', async (t) => {
  const dying = await fakeLlm('We are open from nine until six every weekday', { dropAfterWords: 3 });
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await dying.close();
  });
  const { admin, key } = await withKey(c);
  await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'dying', base_url: dying.url, model: 'dying-model', priority: 1, api_key: 'sk-d' } });

  const s = await ask(c, key, 'Tell me something', { stream: true });
  const events = sse(s.text);
  t.equal(events.map((e) => e.choices?.[0]?.delta?.content ?? '').join(''), 'We are open ', 'the part the provider sent');
  t.match(events.at(-1), { error: { code: 'llm_stream_failed', type: 'server_error' } }, 'then an error in place of a chunk');
  t.notOk(events.some((e) => e === '[DONE]' || e.choices?.[0]?.finish_reason === 'stop'), 'never a normal end');
  t.notMatch(s.text, /socket|ECONNRESET|127\.0\.0\.1|terminated/i, 'the provider\'s own error is not passed on');

  const { default: OpenAI } = await import('openai');
  const client = new OpenAI({ baseURL: `${c.base}/v1`, apiKey: key, maxRetries: 0 });
  const stream = await client.chat.completions.create({ model: 'auto', stream: true, messages: [{ role: 'user', content: 'Tell me something' }] });
  let got = '';
  await t.rejects(
    (async () => {
      for await (const chunk of stream) got += chunk.choices[0]?.delta?.content ?? '';
    })(),
    /the model failed mid-answer; the text sent so far is incomplete/,
    'the SDK raises it',
  );
  t.equal(got, 'We are open ');

  const sess = (await c.call('POST', '/admin/chat/sessions', { token: admin, body: {} })).body;
  const reply = await c.call('POST', `/admin/chat/sessions/${sess.id}/reply`, { token: admin, body: { content: 'Tell me something' } });
  const done = JSON.parse(/event: done\ndata: (.*)\n/.exec(reply.text)![1]);
  t.match(done, { truncated: true, error: { code: 'llm_stream_failed', error_id: /^[0-9a-f]{10}$/ }, message: { role: 'assistant', content: 'We are open ' } });
  t.notMatch(reply.text, /socket|ECONNRESET|127\.0\.0\.1|terminated/i, 'nor in the admin chat');
  const stored = (await c.call('GET', `/admin/chat/sessions/${sess.id}/messages`, { token: admin })).body.items;
  t.equal(stored.at(-1).content, 'We are open ', 'stored as far as it was sent');
});
