/**
 * Free-form JSON has limits: a body nested deeper than MAX_JSON_DEPTH is a 400 naming where, each
 * free-form field has its own depth and size cap, the audit log caps what it stores, and JSON read
 * back from the database that is too deep is not served. None of it is a 500, and the server stays up.
 */
import t from 'tap';
import { jsonBoundsProblem, MAX_JSON_DEPTH, tooDeepAt } from '../../control/json-bounds.ts';
import { startControl } from './helpers/control.ts';

/** `{"a": ... }` nested `depth` deep, built as text: JSON.stringify itself would overflow on it. */
const deepText = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const withDeep = (before: string, depth = 30_000) => `{${before}${deepText(depth)}}`;

t.test('depth is measured without recursion; size only once the depth is sane', async (t) => {
  const deep = JSON.parse(deepText(30_000));
  const path = tooDeepAt({ params: deep }, MAX_JSON_DEPTH);
  t.equal(path?.[0], 'params', 'the path starts at the field');
  t.equal(path?.length, MAX_JSON_DEPTH, 'and stops one level past the limit');
  t.equal(tooDeepAt({ a: [1, { b: [] }] }, 4), null, '{"a": [1, {"b": []}]} is 4 deep: every object and array counts');
  t.same(tooDeepAt({ a: [1, { b: [] }] }, 3), ['a', '1', 'b']);
  t.same(tooDeepAt({ a: [1, { b: [[]] }] }, 4), ['a', '1', 'b', '0']);
  t.equal(jsonBoundsProblem(deep, { maxDepth: 4, maxBytes: 1e9 }), 'nested deeper than 4 levels');
  t.equal(jsonBoundsProblem({ s: 'é'.repeat(10) }, { maxDepth: 4, maxBytes: 20 }), 'at most 20 bytes of JSON (this is 28)', 'bytes, not characters');
  t.equal(jsonBoundsProblem(undefined, { maxDepth: 1, maxBytes: 1 }), null);
});

t.test('30,000-deep and huge-but-under-the-body-limit values get 400 naming the field; the server survives', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('jo', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'limits' } })).body.key as string;
  const json = { 'content-type': 'application/json' };
  const send = (method: string, path: string, rawBody: string, token = admin) => c.call(method, path, { token, rawBody, headers: json });
  const refused = (r: { status: number; body: any }, field: RegExp, why: RegExp, what: string) => {
    t.equal(r.status, 400, `${what}: 400`);
    t.equal(r.body?.error?.code, 'validation_failed', `${what}: validation_failed`);
    t.match(r.body?.error?.message, field, `${what}: names the field`);
    t.match(r.body?.error?.message, why, `${what}: says why`);
  };

  // 30,000 deep, everywhere a body is JSON: refused as it is parsed, before any schema.
  const preset = '"name": "p", "engine": "espeak-ng", "voice": "en", "params": ';
  refused(await send('POST', '/admin/tts/presets', `{${preset}{"a": ${deepText(30_000)}}}`), /^body: params\.a\./, /nested deeper than 32 levels/, 'preset params (a 500 before)');
  refused(await send('PUT', '/admin/config/company.name', withDeep('"value": ')), /^body: value\./, /deeper than 32/, 'a setting');
  refused(await send('POST', '/admin/faq/import', withDeep('"version": 1, "entries": [], "meta": ')), /^body: meta\./, /deeper than 32/, 'an FAQ import');
  refused(await send('POST', '/v1/chat/completions', withDeep('"model": "faq", "messages": [{"role": "user", "content": "hi"}], "tools": '), key), /^body: tools\./, /deeper/, 'chat tools');
  refused(await send('POST', '/v1/audio/speech', withDeep('"model": "tts-1", "input": "hi", "voice": "alloy", "extra": '), key), /^body: extra\./, /deeper/, 'a speech field');
  refused(await send('POST', '/admin/auth/login', deepText(30_000)), /^body: 0\./, /deeper/, 'even a public route');

  // Within the body limit, within the body depth, but beyond what the field may hold.
  refused(await send('POST', '/admin/tts/presets', `{${preset}{"blob": "${'x'.repeat(60_000)}"}}`), /body: params: /, /at most 4096 bytes of JSON/, 'a 60 kB params (body limit 64 kB)');
  refused(await send('POST', '/admin/tts/presets', `{${preset}{"a": {"b": {"c": {"d": {"e": 1}}}}}}`), /body: params: /, /nested deeper than 4 levels/, 'params 5 deep');
  refused(await send('PUT', '/admin/config/company.name', `{"value": "${'y'.repeat(60_000)}"}`), /body: value: /, /at most 8192 bytes/, 'a 60 kB setting');
  const chat = (extra: string) => send('POST', '/v1/chat/completions', `{"model": "faq", "messages": [{"role": "user", "content": "hi"}], ${extra}}`, key);
  refused(await chat(`"response_format": {"schema": "${'z'.repeat(300_000)}"}`), /body: response_format: /, /at most 262144 bytes/, 'a 300 kB unused chat field (limit 1 MiB)');
  refused(await chat(`"metadata": {${Array.from({ length: 17 }, (_, i) => `"k${i}": "v"`).join(', ')}}`), /body: metadata: /, /at most 16 key-value pairs/, 'chat metadata, 17 pairs');
  refused(await chat(`"metadata": {"k": "${'m'.repeat(513)}"}`), /body: metadata\.k: /, /512/, 'a chat metadata value over 512 characters');
  refused(
    await send('POST', '/v1/chat/completions', `{"model": "faq", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": "${'i'.repeat(300_000)}"}]}]}`, key),
    /body: messages\.0\.content/,
    /at most 262144 bytes|Invalid input/,
    'a 300 kB content part',
  );

  // What fits still works, and the server is still up.
  const ok = await c.call('POST', '/admin/tts/presets', { token: admin, body: { name: 'fine', engine: 'espeak-ng', voice: 'en', params: { pitch: 40, variant: { name: 'f2' } } } });
  t.equal(ok.status, 201, JSON.stringify(ok.body));
  t.same(ok.body.params, { pitch: 40, variant: { name: 'f2' } });
  const tools = [{ type: 'function', function: { name: 'lookup', parameters: { type: 'object', properties: { q: { type: 'string' } } } } }];
  const answered = await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'hi' }], tools, metadata: { order: '42' } } });
  t.equal(answered.status, 200, 'an OpenAI client sending tools and metadata is served');
  t.equal((await c.call('GET', '/admin/tts/presets', { token: admin })).status, 200, 'the server is alive');
});

t.test('the audit log caps what it stores; too-deep JSON read back from the database is not served', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('ann', 'admin');
  const deep = JSON.parse(deepText(30_000));
  await c.cp.repos.audit.write({ actor_type: 'system', actor_id: null, actor_name: null, action: 'test.deep', target: null, ip: null, status: null, details: { deep } });
  await c.cp.repos.audit.write({ actor_type: 'system', actor_id: null, actor_name: null, action: 'test.big', target: null, ip: null, status: null, details: { big: 'x'.repeat(20_000), note: 'kept?' } });
  const rows = (await c.call('GET', '/admin/audit?action=test.', { token: admin })).body.items;
  t.match(rows, [
    { action: 'test.big', details: { truncated: /^at most 16384 bytes of JSON /, keys: ['big', 'note'] } },
    { action: 'test.deep', details: { truncated: 'nested deeper than 8 levels', keys: ['deep'] } },
  ], 'the rows are written, their details replaced by a note');

  // Rows as an uploaded backup could bring them: JSON text 30,000 deep.
  await c.cp.db('tts_presets').insert({ name: 'restored', engine: 'espeak-ng', voice: 'en', speed: 1, params: deepText(30_000), created_at: new Date().toISOString(), updated_at: new Date().toISOString() });
  await c.cp.db('audit_log').insert({ at: new Date().toISOString(), actor_type: 'system', action: 'test.restored', details: `{"x": ${deepText(30_000)}}` });
  const presets = await c.call('GET', '/admin/tts/presets', { token: admin });
  t.equal(presets.status, 200, 'not a 500');
  t.same(presets.body.items.find((p: { name: string }) => p.name === 'restored').params, {}, 'the too-deep value is not served');
  const audit = await c.call('GET', '/admin/audit?action=test.restored', { token: admin });
  t.equal(audit.status, 200);
  t.equal(audit.body.items[0].details, null);
});
