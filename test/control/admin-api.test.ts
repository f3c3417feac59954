import t from 'tap';
import { startControl } from './helpers/control.ts';

t.test('every mutation is audited with who, what, target, ip, status; export as CSV and JSON', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('audrey', 'admin');
  const f = await c.call('POST', '/admin/faq', { token: admin, body: { question: '=HYPERLINK("x")', answer: 'a' } });
  await c.call('PATCH', `/admin/faq/${f.body.id}`, { token: admin, body: { answer: 'b' } });
  await c.call('DELETE', `/admin/faq/${f.body.id}`, { token: admin });
  await c.call('DELETE', `/admin/faq/9999`, { token: admin });
  await c.call('PUT', '/admin/config/faq.threshold', { token: admin, body: { value: 0.7 } });
  const { items } = (await c.call('GET', '/admin/audit?action=faq.', { token: admin })).body;
  t.same(items.map((e: { action: string; status: number }) => [e.action, e.status]), [
    ['faq.delete', 404],
    ['faq.delete', 204],
    ['faq.update', 200],
    ['faq.create', 201],
  ]);
  for (const e of items) {
    t.match(e, { actor_type: 'user', actor_name: 'audrey', ip: '127.0.0.1' });
    t.match(e.at, /^\d{4}-\d\d-\d\dT/);
  }
  t.equal(items[2].target, `faq:${f.body.id}`);
  t.same(items[2].details, { fields: ['answer'] });
  t.equal(items[0].details.error, 'not_found');
  const cfg = (await c.call('GET', '/admin/audit?action=config.set', { token: admin })).body.items[0];
  t.same(cfg.details, { from: 0.55, to: 0.7 });

  const csv = await c.call('GET', '/admin/audit/export?format=csv&action=faq.', { token: admin });
  t.equal(csv.status, 200);
  t.match(csv.headers.get('content-type'), /text\/csv/);
  t.match(csv.headers.get('content-disposition'), /attachment; filename="audit-/);
  t.equal(csv.text.split('\r\n')[0], 'id,at,actor_type,actor_id,actor_name,action,target,ip,status,details,restored_from');
  t.equal(csv.text.trim().split('\r\n').length, 5);
  const js = await c.call('GET', '/admin/audit/export?format=json', { token: admin });
  t.ok(Array.isArray(js.body) && js.body.length >= 6);
  const exports = (await c.call('GET', '/admin/audit?action=audit.export', { token: admin })).body.items;
  t.match(exports, [{ action: 'audit.export', details: { format: 'json' } }, { action: 'audit.export', details: { format: 'csv', filter: { action: 'faq.' } } }], 'exports are audited, newest first');
  const { toCsv } = await import('../../control/admin/csv.ts');
  t.equal(toCsv(['a'], [{ a: '=cmd|calc' }]), 'a\r\n"\'=cmd|calc"\r\n', 'formula cells are neutralised');
  t.equal(toCsv(['a', 'b'], [{ a: 'x,"y"', b: null }]), 'a,b\r\n"x,""y""",\r\n');
});

t.test('FAQ: CRUD, export/import round trip, match; the live matcher follows edits', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('oper', 'operator');
  const viewer = await c.userToken('view', 'viewer');
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: 'Nine to five, Monday to Friday.', keywords: ['hours'] } });
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'Сколько стоит доставка?', answer: 'Доставка бесплатная.' } });
  const m1 = await c.call('GET', `/admin/faq/match?question=${encodeURIComponent('when are you open, what hours?')}`, { token: viewer });
  t.match(m1.body.match, { answer: 'Nine to five, Monday to Friday.' });
  const m2 = await c.call('GET', `/admin/faq/match?question=${encodeURIComponent('А сколько у вас стоит доставку?')}`, { token: viewer });
  t.match(m2.body.match, { answer: 'Доставка бесплатная.' }, 'Russian word forms meet through stems');
  const m3 = await c.call('GET', `/admin/faq/match?question=${encodeURIComponent('do you sell bicycles')}`, { token: viewer });
  t.equal(m3.body.match, null);

  const exp = await c.call('GET', '/admin/faq/export', { token: viewer });
  t.equal(exp.body.version, 1);
  t.equal(exp.body.entries.length, 2);
  const imp = await c.call('POST', '/admin/faq/import?mode=replace', { token: op, body: { version: 1, entries: [exp.body.entries[1]] } });
  t.same(imp.body, { imported: 1, mode: 'replace' });
  t.equal((await c.call('GET', '/admin/faq', { token: viewer })).body.items.length, 1);
  const gone = await c.call('GET', `/admin/faq/match?question=${encodeURIComponent('what are your opening hours')}`, { token: viewer });
  t.equal(gone.body.match, null, 'matcher rebuilt after the import');
  const bad = await c.call('POST', '/admin/faq/import', { token: op, body: { version: 2, entries: [] } });
  t.equal(bad.status, 400);
});

t.test('LLM providers: API keys are write-only; personas; config validated per key', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adm', 'admin');
  const p = await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'main', base_url: 'https://llm.example.com/v1', model: 'gpt-x', api_key: 'sk-live-123456' } });
  t.equal(p.status, 201);
  t.equal(p.body.has_api_key, true);
  for (const r of [p, await c.call('GET', `/admin/llm-providers/${p.body.id}`, { token: admin }), await c.call('GET', '/admin/llm-providers', { token: admin })]) {
    t.notMatch(r.text, /sk-live-123456/, 'key never returned');
  }
  const audit = await c.call('GET', '/admin/audit/export?format=json', { token: admin });
  t.notMatch(audit.text, /sk-live-123456/, 'key never audited');
  t.equal((await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'x', base_url: 'file:///etc/passwd', model: 'm' } })).status, 400);

  const pa = await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Anna', system_prompt: 'You are Anna.', llm_provider_id: p.body.id } });
  t.equal(pa.body.is_default, true, 'the first persona is the default');
  const pb = await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Boris', system_prompt: 'You are Boris.' } });
  t.equal(pb.body.is_default, false);
  await c.call('POST', `/admin/personas/${pb.body.id}/default`, { token: admin });
  t.equal((await c.call('GET', `/admin/personas/${pa.body.id}`, { token: admin })).body.is_default, false);
  t.equal((await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Anna', system_prompt: 'dup' } })).status, 409);
  t.equal((await c.call('POST', '/admin/personas', { token: admin, body: { name: 'Z', system_prompt: 'p', llm_provider_id: 999 } })).status, 409, 'unknown provider id refused by the foreign key');

  const cfg = await c.call('GET', '/admin/config', { token: admin });
  t.ok(cfg.body.items.some((i: { key: string; value: unknown }) => i.key === 'faq.threshold' && i.value === 0.55));
  t.equal((await c.call('PUT', '/admin/config/faq.threshold', { token: admin, body: { value: 5 } })).status, 400);
  t.equal((await c.call('PUT', '/admin/config/no.such.key', { token: admin, body: { value: 1 } })).status, 404);
  t.equal((await c.call('PUT', '/admin/config/company.name', { token: admin, body: { value: 'Acme' } })).status, 200);
  t.equal((await c.call('DELETE', '/admin/config/company.name', { token: admin })).body.value, '');
});

t.test('calls: list with filters, detail with turns, transcript and recordings (paths hidden)', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const viewer = await c.userToken('viv', 'viewer');
  await c.cp.repos.calls.start({ id: 'c-1', channel: 'gsm', direction: 'in', caller_number: '+4912345' });
  await c.cp.repos.calls.addTurn({ call_id: 'c-1', turn_index: 0, user_text: 'hello', assistant_text: 'hi', started_at: new Date().toISOString(), v2v_ms: 700, llm_ttft_ms: 210 });
  await c.cp.repos.calls.addTranscript({ call_id: 'c-1', speaker: 'caller', text: 'hello', start_ms: 0, end_ms: 400 });
  await c.cp.repos.calls.addRecording({ call_id: 'c-1', path: 'recordings/c-1.wav', format: 'wav', duration_ms: 900, size_bytes: 100, sha256: null });
  await c.cp.repos.calls.start({ id: 'c-2', channel: 'ws', direction: 'in' });
  const list = await c.call('GET', '/admin/calls?channel=gsm', { token: viewer });
  t.equal(list.body.total, 1);
  const d = await c.call('GET', '/admin/calls/c-1', { token: viewer });
  t.match(d.body.turns[0], { v2v_ms: 700, llm_ttft_ms: 210, user_text: 'hello' });
  t.equal(d.body.transcript.length, 1);
  t.notOk('path' in d.body.recordings[0]);
  t.equal((await c.call('GET', '/admin/calls/nope', { token: viewer })).status, 404);
  const from = encodeURIComponent(new Date(Date.now() + 3600_000).toISOString().replace('Z', '+00:00'));
  t.equal((await c.call('GET', `/admin/calls?from=${from}`, { token: viewer })).body.total, 0, 'time filter with an offset');
});

t.test('OpenAPI document is generated from the route table', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const viewer = await c.userToken('v', 'viewer');
  const doc = (await c.call('GET', '/admin/openapi.json', { token: viewer })).body;
  t.equal(doc.openapi, '3.1.0');
  const ops = Object.values(doc.paths as Record<string, Record<string, unknown>>).reduce((n, p) => n + Object.keys(p).length, 0);
  t.equal(ops, c.cp.routes.routes.length, 'one operation per route');
  const create = doc.paths['/admin/faq'].post;
  t.same(create.requestBody.content['application/json'].schema.required.sort(), ['answer', 'question']);
  t.equal(create['x-required-role'], 'operator');
  t.equal(create['x-audit-action'], 'faq.create');
  t.same(doc.paths['/admin/auth/login'].post.security, []);
  t.same(doc.paths['/v1/chat/completions'].post.security, [{ apiKey: [] }]);
  t.ok(doc.paths['/admin/faq/{id}'].get.parameters.some((p: { name: string; in: string }) => p.name === 'id' && p.in === 'path'));
});
