/**
 * A stored LLM API key or proxy password goes only where it was given for, even when the row's
 * URL is changed behind the API's back: a backup edited to point a provider at another host,
 * with its manifest hashes recomputed, uploaded and restored, sends the attacker nothing; the
 * provider shows its key as missing. Secrets encrypted before the binding are bound at start,
 * and dropped when a restore brings them. A plain-http provider's key is read by its proxy, so a
 * new proxy (through the API or an edited backup) never gets it.
 */
import t from 'tap';
import { FakeOpenAi } from '../fakes/fake-openai.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';
import { LEGACY_KEY_CONTEXT } from '../../control/repositories/secret-binding.ts';
import { download, editBackup, upload } from './helpers/backup.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { testDatabase } from './helpers/database.ts';

// The fakes listen on loopback, which the egress policy refuses unless allowed.
const LOOPBACK_ALLOWED = { EGRESS_ALLOW: '127.0.0.1' };

/** Back up, rewrite the providers' rows in the file, upload and restore it; returns the restore's answer and a fresh admin token. */
async function restoreEdited(c: TestControl, admin: string, edit: (row: Record<string, unknown>) => Record<string, unknown>) {
  const made = (await c.call('POST', '/admin/backups', { token: admin })).body;
  const zip = editBackup(await download(c, admin, made.name), { llm_providers: (rows) => rows.map(edit) });
  const up = await upload(c, admin, zip);
  if (up.status !== 201) throw new Error(`upload: ${JSON.stringify(up.body)}`);
  const restored = await c.call('POST', `/admin/backups/${up.body.name}/restore`, { token: admin, body: { confirm: true } });
  return { restored, admin: (await c.login('adam')).body.access_token as string };
}

t.test("the reviewer's attack: base_url edited in a backup, hashes fixed, restored; /test sends the attacker no key", async (t) => {
  const original = await new FakeOpenAi({ apiKey: 'sk-for-original-only', chat: () => ({ text: 'original' }) }).start();
  const attacker = await new FakeOpenAi({ chat: () => ({ text: 'attacker' }) }).start();
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await original.close();
    await attacker.close();
  });
  const admin = await c.userToken('adam', 'admin');
  const p = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: original.baseURL, model: 'm', api_key: 'sk-for-original-only' } })).body;
  t.match(p, { has_api_key: true, api_key_status: 'set' });
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'original' });

  const { restored, admin: again } = await restoreEdited(c, admin, (row) => ({ ...row, base_url: attacker.baseURL }));
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  t.equal(restored.body.llm_secrets_dropped, 0, 'a bound key is kept in the row (it just does not fit the new URL)');

  const shown = await c.call('GET', `/admin/llm-providers/${p.id}`, { token: again });
  t.equal(shown.status, 200);
  t.match(shown.body, { base_url: attacker.baseURL, has_api_key: false, api_key_status: 'missing' }, 'the provider says its key is missing');
  t.equal((await c.call('GET', '/admin/llm-providers', { token: again })).status, 200, 'the list too, never a 500');
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: again })).body, { ok: true, reply: 'attacker' });
  t.same(
    attacker.requests.map((r) => r.headers.authorization),
    ['Bearer not-needed'],
    'the attacker saw no key',
  );
  t.equal(await c.cp.repos.llmProviders.getApiKey(p.id), null);
  t.equal(await c.cp.repos.llmProviders.getApiKey(p.id, original.baseURL), 'sk-for-original-only', 'the ciphertext still holds the key, for its own origin only');

  // Entering the key again makes it usable with the new URL, as through the API any move would.
  const fixed = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: again, body: { api_key: 'sk-new' } });
  t.match(fixed.body, { has_api_key: true, api_key_status: 'set' });
});

t.test('a proxy moved in an edited backup never gets the stored proxy password', async (t) => {
  const target = await new FakeOpenAi({ chat: () => ({ text: 'hi' }) }).start();
  const proxy = await new ForwardProxy().start();
  const attackerProxy = await new ForwardProxy().start();
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await target.close();
    await proxy.close();
    await attackerProxy.close();
  });
  const admin = await c.userToken('adam', 'admin');
  const p = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: target.baseURL, model: 'm', proxy_url: proxy.url('ops:S3cret-pw') } })).body;
  t.match(p, { proxy_url: proxy.url('ops:***'), proxy_password_status: 'set' });
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true });
  t.ok(proxy.tunnels.some((x) => x.proxyAuthorization === `Basic ${Buffer.from('ops:S3cret-pw').toString('base64')}`), 'the real proxy got the password');

  const { restored, admin: again } = await restoreEdited(c, admin, (row) => ({ ...row, proxy_url: `http://ops@127.0.0.1:${attackerProxy.port}` }));
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  const shown = (await c.call('GET', `/admin/llm-providers/${p.id}`, { token: again })).body;
  t.match(shown, { proxy_url: `http://ops@127.0.0.1:${attackerProxy.port}`, proxy_password_status: 'missing' }, 'no *** for a password that cannot be used');
  const viaProxy = await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: again });
  t.comment(JSON.stringify(viaProxy.body));
  t.ok(attackerProxy.tunnels.length >= 1, 'the call went through the edited proxy');
  const sent = attackerProxy.tunnels.map((x) => Buffer.from((x.proxyAuthorization ?? '').replace(/^Basic /, ''), 'base64').toString());
  t.notOk(sent.some((s) => s.includes('S3cret-pw')), `without the password (${JSON.stringify(sent)})`);
});

t.test('secrets encrypted before the binding: bound at start, dropped when a restore brings them', async (t) => {
  const fake = await new FakeOpenAi({ apiKey: 'sk-legacy', chat: () => ({ text: 'legacy' }) }).start();
  const db = await testDatabase();
  t.teardown(async () => {
    await fake.close();
    await db.cleanup();
  });
  let c = await startControl(LOOPBACK_ALLOWED, { db });
  let admin = await c.userToken('adam', 'admin');
  const p = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: fake.baseURL, model: 'm' } })).body;
  // As the version before the binding wrote it: the column name as the only context.
  const legacy = c.cp.cipher.encrypt('sk-legacy', LEGACY_KEY_CONTEXT);
  await c.cp.db('llm_providers').where({ id: p.id }).update({ api_key_encrypted: legacy });
  const oldBackup = await download(c, admin, (await c.call('POST', '/admin/backups', { token: admin })).body.name);
  t.equal((await c.call('GET', `/admin/llm-providers/${p.id}`, { token: admin })).body.api_key_status, 'missing', 'not usable until bound');
  await c.stop();

  c = await startControl(LOOPBACK_ALLOWED, { db });
  t.teardown(c.stop);
  admin = (await c.login('adam')).body.access_token;
  const row = await c.cp.db('llm_providers').where({ id: p.id }).first();
  t.not(row.api_key_encrypted, legacy, 're-encrypted at start');
  t.equal(c.cp.cipher.tryDecrypt(row.api_key_encrypted, LEGACY_KEY_CONTEXT), null, 'no longer under the unbound context');
  t.match((await c.call('GET', `/admin/llm-providers/${p.id}`, { token: admin })).body, { has_api_key: true, api_key_status: 'set' });
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'legacy' });
  const boundAgain = await c.cp.repos.llmProviders.bindLegacySecrets();
  t.same(boundAgain, { bound: 0, unusable: [] }, 'idempotent');

  // A backup from before the binding: its URLs came from a file, so its unbound key is not bound to them.
  const up = await upload(c, admin, oldBackup);
  const restored = await c.call('POST', `/admin/backups/${up.body.name}/restore`, { token: admin, body: { confirm: true } });
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  t.equal(restored.body.llm_secrets_dropped, 1);
  admin = (await c.login('adam')).body.access_token;
  t.match((await c.call('GET', `/admin/llm-providers/${p.id}`, { token: admin })).body, { has_api_key: false, api_key_status: 'none' });
  t.equal((await c.cp.db('llm_providers').where({ id: p.id }).first()).api_key_encrypted, null);
});

t.test('a plain-http provider moved to a new proxy loses its key; going direct keeps it; an edited backup adding a proxy gets no key', async (t) => {
  const target = await new FakeOpenAi({ apiKey: 'sk-http', chat: () => ({ text: 'plain' }) }).start();
  const proxy = await new ForwardProxy().start();
  const c = await startControl(LOOPBACK_ALLOWED);
  t.teardown(async () => {
    await c.stop();
    await target.close();
    await proxy.close();
  });
  const admin = await c.userToken('adam', 'admin');
  const keyed = () => target.requests.filter((r) => r.headers.authorization === 'Bearer sk-http').length;
  const p = (await c.call('POST', '/admin/llm-providers', { token: admin, body: { name: 'p', base_url: target.baseURL, model: 'm', api_key: 'sk-http' } })).body;
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'plain' });
  const direct = keyed();

  const moved = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { proxy_url: proxy.url() } });
  t.match(moved.body, { has_api_key: false, api_key_status: 'none' }, 'the key is cleared: the proxy would read it in clear');
  const audit = await c.cp.repos.audit.list({ action: 'llm_providers.update' }, { limit: 1, offset: 0 });
  t.match(audit.items[0].details, { api_key: 'cleared_proxy_changed' });
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: false }, 'the server refuses a call without its key');
  t.ok(proxy.tunnels.length >= 1, 'that call went through the proxy');
  t.equal(keyed(), direct, 'and carried no key');

  const withKey = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { api_key: 'sk-http' } });
  t.match(withKey.body, { has_api_key: true }, 'a key sent for the proxied route is kept');
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'plain' });
  const off = await c.call('PATCH', `/admin/llm-providers/${p.id}`, { token: admin, body: { proxy_url: null } });
  t.match(off.body, { has_api_key: true, api_key_status: 'set' }, 'dropping the proxy sends the key to no one new: kept');
  t.match((await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: admin })).body, { ok: true, reply: 'plain' });

  // The same move made in a backup instead of through the API. Another proxy: a connection to the
  // first may still be open from the calls above and carry this one without a new tunnel.
  const added = await new ForwardProxy().start();
  t.teardown(() => added.close());
  const keyedBefore = keyed();
  const { restored, admin: again } = await restoreEdited(c, admin, (row) => ({ ...row, proxy_url: `http://127.0.0.1:${added.port}` }));
  t.equal(restored.status, 200, JSON.stringify(restored.body));
  t.match((await c.call('GET', `/admin/llm-providers/${p.id}`, { token: again })).body, { has_api_key: false, api_key_status: 'missing' });
  await c.call('POST', `/admin/llm-providers/${p.id}/test`, { token: again });
  t.ok(added.tunnels.length >= 1, 'the call went through the added proxy');
  t.equal(keyed(), keyedBefore, 'without the key');
});
