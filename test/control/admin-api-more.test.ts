/**
 * Functional tests for admin routes the route walk (route-auth.test.ts) only checks for auth:
 * personas list/PATCH/DELETE, consents list and revoke, users GET /:id. Usage summary and limits
 * are in usage-limits.test.ts.
 */
import t from 'tap';
import { startControl, type TestControl } from './helpers/control.ts';
import { fakeLlm } from './helpers/fake-llm.ts';

// The fake LLM servers listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };

/** The system prompt the LLM got for a reply in this session. */
async function promptOfReply(c: TestControl, token: string, sessionId: number, llm: { seen: Array<{ body: any }> }): Promise<string | undefined> {
  const r = await c.call('POST', `/admin/chat/sessions/${sessionId}/reply`, { token, body: { content: 'Tell me a story' } });
  if (r.status !== 200) throw new Error(`reply failed: ${r.status} ${r.text}`);
  const messages = llm.seen.at(-1)!.body.messages as Array<{ role: string; content: string }>;
  return messages.find((m) => m.role === 'system')?.content;
}

t.test('personas: list, PATCH, and DELETE (the default is kept while others exist; sessions fall back to it)', async (t) => {
  const llm = await fakeLlm('once upon a time');
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await llm.close();
  });
  const admin = await c.userToken('adm-persona', 'admin');
  const op = await c.userToken('op-persona', 'operator');
  const viewer = await c.userToken('viewer-persona', 'viewer');
  await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'llm', base_url: llm.url, model: 'm' } });
  const anna = (await c.call('POST', '/admin/personas', { token: op, body: { name: 'Anna', system_prompt: 'You are Anna.' } })).body;
  const boris = (await c.call('POST', '/admin/personas', { token: op, body: { name: 'Boris', system_prompt: 'You are Boris.', language: 'ru' } })).body;

  const list = await c.call('GET', '/admin/personas', { token: viewer });
  t.equal(list.status, 200);
  t.same(
    list.body.items.map((p: { name: string; is_default: boolean }) => [p.name, p.is_default]).sort(),
    [['Anna', true], ['Boris', false]],
  );

  const patched = await c.call('PATCH', `/admin/personas/${boris.id}`, { token: op, body: { system_prompt: 'You are Boris, brief.', greeting: 'Privet!' } });
  t.equal(patched.status, 200);
  t.match(patched.body, { id: boris.id, name: 'Boris', system_prompt: 'You are Boris, brief.', greeting: 'Privet!', language: 'ru', is_default: false });
  t.equal((await c.call('GET', `/admin/personas/${boris.id}`, { token: viewer })).body.greeting, 'Privet!', 'stored, not only echoed');
  t.equal((await c.call('PATCH', `/admin/personas/${boris.id}`, { token: op, body: { is_default: true } })).status, 400, 'the default moves only through POST /:id/default');
  t.equal((await c.call('PATCH', `/admin/personas/${boris.id}`, { token: op, body: { name: 'Anna' } })).status, 409, 'names are unique');
  t.equal((await c.call('PATCH', `/admin/personas/${boris.id}`, { token: op, body: { llm_provider_id: 999 } })).status, 409, 'an unknown provider is refused');
  t.equal((await c.call('PATCH', '/admin/personas/999', { token: op, body: { name: 'X' } })).status, 404);
  t.equal((await c.call('PATCH', `/admin/personas/${boris.id}`, { token: viewer, body: { name: 'X' } })).status, 403);

  // A session that uses Boris; deleting Boris leaves it on the default persona's prompt.
  const sess = (await c.call('POST', '/admin/chat/sessions', { token: op, body: { persona_id: boris.id } })).body;
  t.equal(await promptOfReply(c, op, sess.id, llm), 'You are Boris, brief.');
  t.equal((await c.call('DELETE', `/admin/personas/${boris.id}`, { token: op })).status, 204, 'a persona in use may be deleted');
  const gone = await c.call('GET', `/admin/personas/${boris.id}`, { token: viewer });
  t.equal(gone.status, 404, 'an unknown id is a 404 (it was a 200 with {})');
  t.equal(gone.body.error.code, 'not_found');
  t.equal((await c.call('GET', `/admin/chat/sessions/${sess.id}`, { token: op })).body.persona_id, null, 'the session lets go of it');
  t.equal(await promptOfReply(c, op, sess.id, llm), 'You are Anna.', 'and is answered with the default persona');

  // The default cannot be deleted while another persona could take its place.
  const clara = (await c.call('POST', '/admin/personas', { token: op, body: { name: 'Clara', system_prompt: 'You are Clara.' } })).body;
  const refused = await c.call('DELETE', `/admin/personas/${anna.id}`, { token: op });
  t.equal(refused.status, 409);
  t.match(refused.body.error, { code: 'conflict', message: /default persona/, details: { persona_id: anna.id } });
  t.equal((await c.call('GET', `/admin/personas/${anna.id}`, { token: viewer })).body.is_default, true, 'still there, still the default');
  await c.call('POST', `/admin/personas/${clara.id}/default`, { token: op });
  t.equal((await c.call('DELETE', `/admin/personas/${anna.id}`, { token: op })).status, 204, 'once another is the default it may go');
  t.equal((await c.call('DELETE', `/admin/personas/${clara.id}`, { token: op })).status, 204, 'the last persona may go, default or not');
  t.same((await c.call('GET', '/admin/personas', { token: viewer })).body.items, []);
  t.equal((await c.call('DELETE', `/admin/personas/${clara.id}`, { token: op })).status, 404);

  const audit = (await c.call('GET', '/admin/audit?action=personas.delete', { token: admin })).body.items;
  t.same(audit.map((e: { status: number; target: string }) => [e.status, e.target]).reverse(), [
    [204, `persona:${boris.id}`],
    [409, `persona:${anna.id}`],
    [204, `persona:${anna.id}`],
    [204, `persona:${clara.id}`],
    [404, String(clara.id)],
  ]);
});

t.test('consents: list newest first with filters; revoke withdraws once, audited by pseudonym', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adm-consent', 'admin');
  const record = (subject: string, purpose: string, granted = true) =>
    c.call('POST', '/admin/legal/consents', { token: admin, body: { subject, purpose, granted, source: 'call', evidence: 'said yes' } });
  const rec = (await record('+4915550001', 'call_recording')).body;
  const mkt = (await record('+4915550001', 'marketing', false)).body;
  const other = (await record('+4915550002', 'call_recording')).body;

  const all = await c.call('GET', '/admin/legal/consents', { token: admin });
  t.equal(all.status, 200);
  t.same(all.body.items.map((x: { id: number }) => x.id), [other.id, mkt.id, rec.id], 'newest first');
  t.match(all.body.items[2], { subject: '+4915550001', purpose: 'call_recording', granted: true, source: 'call', evidence: 'said yes', revoked_at: null });
  const one = await c.call('GET', `/admin/legal/consents?subject=${encodeURIComponent('+4915550001')}`, { token: admin });
  t.same(one.body.items.map((x: { id: number }) => x.id), [mkt.id, rec.id]);
  const byPurpose = await c.call('GET', '/admin/legal/consents?purpose=call_recording', { token: admin });
  t.same(byPurpose.body.items.map((x: { id: number }) => x.id), [other.id, rec.id]);
  t.equal((await c.call('GET', '/admin/legal/consents?subject=ab', { token: admin })).status, 400, 'too short to name anyone');
  const op = await c.userToken('op-consent', 'operator');
  t.equal((await c.call('GET', '/admin/legal/consents', { token: op })).status, 403, 'admins only');

  t.equal(await c.cp.repos.consents.hasConsent('+4915550001', 'call_recording'), true);
  const revoked = await c.call('POST', `/admin/legal/consents/${rec.id}/revoke`, { token: admin });
  t.equal(revoked.status, 200);
  t.match(revoked.body, { id: rec.id, granted: true, revoked_at: /^\d{4}-\d\d-\d\dT/ });
  t.equal(await c.cp.repos.consents.hasConsent('+4915550001', 'call_recording'), false, 'recording consent withdrawn');
  t.equal(await c.cp.repos.consents.hasConsent('+4915550002', 'call_recording'), true, "another person's consent stands");
  const again = await c.call('POST', `/admin/legal/consents/${rec.id}/revoke`, { token: admin });
  t.equal(again.status, 200, 'revoking twice is harmless');
  t.equal(again.body.revoked_at, revoked.body.revoked_at, 'and keeps the first withdrawal time');
  t.equal((await c.call('POST', '/admin/legal/consents/999/revoke', { token: admin })).status, 404);
  t.equal((await c.call('GET', '/admin/legal/consents?purpose=call_recording', { token: admin })).body.items.find((x: { id: number }) => x.id === rec.id).revoked_at, revoked.body.revoked_at);

  const audit = await c.call('GET', '/admin/audit/export?format=json', { token: admin });
  const revokes = audit.body.filter((e: { action: string }) => e.action === 'consents.revoke');
  t.same(revokes.map((e: { status: number }) => e.status).sort(), [200, 200, 404]);
  t.match(revokes.find((e: { status: number }) => e.status === 200), { target: /^subject:[0-9a-f]{16}$/, details: { consent_id: rec.id, purpose: 'call_recording' } });
  t.notMatch(JSON.stringify(revokes), /4915550001/, 'the audit log names the person only by pseudonym');
});

t.test('users GET /:id: one user without secrets; 404, 400, admins only', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adm-user', 'admin');
  const created = await c.call('POST', '/admin/users', { token: admin, body: { username: 'olga', password: 'a long enough password', role: 'operator' } });
  t.equal(created.status, 201);
  const r = await c.call('GET', `/admin/users/${created.body.id}`, { token: admin });
  t.equal(r.status, 200);
  t.match(r.body, { id: created.body.id, username: 'olga', role: 'operator', disabled: false, last_login_at: null });
  t.same(Object.keys(r.body).sort(), ['created_at', 'disabled', 'id', 'last_login_at', 'locked_until', 'role', 'updated_at', 'username']);
  t.notMatch(r.text, /scrypt|password/, 'no hash, no password field');
  await c.call('PATCH', `/admin/users/${created.body.id}`, { token: admin, body: { disabled: true } });
  t.equal((await c.call('GET', `/admin/users/${created.body.id}`, { token: admin })).body.disabled, true, 'reads the current row');
  const missing = await c.call('GET', '/admin/users/9999', { token: admin });
  t.equal(missing.status, 404);
  t.equal(missing.body.error.code, 'not_found');
  t.equal((await c.call('GET', '/admin/users/abc', { token: admin })).status, 400);
  const op = await c.userToken('op-user', 'operator');
  t.equal((await c.call('GET', `/admin/users/${created.body.id}`, { token: op })).status, 403);
});

t.test('every GET of one record answers an unknown id with 404 in the error format, never 200', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adm-walk', 'admin');
  // Found by this walk: personas, FAQ and LLM providers answered `200 {}` (a promise serialised).
  const gets = c.cp.routes.routes.map((r) => r.def).filter((d) => d.method === 'GET' && /\/:id(\/|$)/.test(d.path) && !d.path.includes(':recordingId'));
  t.ok(gets.length >= 8, `${gets.length} routes`);
  for (const d of gets) {
    const r = await c.call('GET', d.path.replace(':id', '999999'), { token: admin });
    t.equal(r.status, 404, `GET ${d.path}`);
    t.equal(r.body?.error?.code, 'not_found', `GET ${d.path} in the error format`);
  }
});
