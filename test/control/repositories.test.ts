import t, { type Test } from 'tap';
import { FieldCipher } from '../../control/crypto/field-cipher.ts';
import { createRepositories } from '../../control/repositories/index.ts';
import { hashApiKey } from '../../control/repositories/api-keys.ts';
import { until } from '../helpers/until.ts';
import { openTestDb, testEngines } from './helpers/database.ts';

// Every repository test runs on each engine available: SQLite always, Postgres in CI.
for (const engine of testEngines()) {
  t.test(engine, async (t) => {
    async function setup(t: Test) {
      const h = await openTestDb(engine);
      t.teardown(h.close);
      return { db: h.db, repos: createRepositories(h.db, new FieldCipher(Buffer.alloc(32, 3))) };
    }

    t.test('users: create, unique names, last login', async (t) => {
      const { repos } = await setup(t);
      const u = await repos.users.create({ username: 'ann', password_hash: 'h', role: 'operator' });
      t.match(u, { id: Number, username: 'ann', role: 'operator', disabled: false, failed_logins: 0, locked_until: null, last_login_at: null });
      await t.rejects(repos.users.create({ username: 'ann', password_hash: 'h', role: 'viewer' }), 'duplicate username refused');
      t.equal(await repos.users.count(), 1);
      t.equal(await repos.users.countActiveAdmins(), 0);
      await repos.users.recordLogin(u.id);
      t.ok((await repos.users.findById(u.id))!.last_login_at);
      t.equal((await repos.users.update(u.id, { disabled: true }))!.disabled, true);
    });

    t.test('login throttles: growing waits, held-back attempts counted but not checked, buckets apart, a quiet day forgives', async (t) => {
      const { repos } = await setup(t);
      const u = await repos.users.create({ username: 'bea', password_hash: 'h', role: 'viewer' });
      const policy = { freeFailures: 2, firstDelayS: 10, maxDelayS: 40 };
      const account = { userId: u.id };
      const t0 = Date.parse('2030-01-01T00:00:00.000Z');
      const at = (s: number) => new Date(t0 + s * 1000).toISOString();
      const claim = (s: number, bucket: { userId: number; deviceId?: string } = account) => repos.loginThrottles.claim(bucket, policy, t0 + s * 1000);

      t.same(await claim(0), { checked: true, failures: 1, lockedUntil: null }, 'a free failure');
      t.same(await claim(1), { checked: true, failures: 2, lockedUntil: at(11) }, 'the last free one starts the first wait');
      t.same(await claim(5), { checked: false, failures: 3, lockedUntil: at(11) }, 'during the wait: counted, not checked, the wait not moved');
      t.same(await claim(10.999), { checked: false, failures: 4, lockedUntil: at(11) });
      t.same(await claim(11), { checked: true, failures: 5, lockedUntil: at(51) }, 'checked once it ends; the wait doubled twice (two held back), capped at 40 s');
      t.same(await claim(51), { checked: true, failures: 6, lockedUntil: at(91) }, 'never beyond the cap');
      t.equal((await repos.users.findById(u.id))!.locked_until, at(91), 'the account bucket is the users row (the API shows locked_until)');

      const device = { userId: u.id, deviceId: 'a'.repeat(32) };
      t.same(await claim(60, device), { checked: true, failures: 1, lockedUntil: null }, "a remembered device has its own bucket: the account's wait does not hold it");
      await repos.loginThrottles.clear(account);
      t.match(await repos.users.findById(u.id), { failed_logins: 0, locked_until: null }, 'a successful login clears its bucket');
      t.same(await claim(61, device), { checked: true, failures: 2, lockedUntil: at(71) }, 'and only its own');
      await repos.loginThrottles.clearAll(u.id);
      t.same(await claim(62, device), { checked: true, failures: 1, lockedUntil: null }, 'a password reset clears every bucket');

      for (let s = 100; s < 104; s++) await claim(s); // a wait that ends at 150 at the latest
      t.same(await claim(150 + 86_400 + 1), { checked: true, failures: 1, lockedUntil: null }, 'a day after the last wait ended, the count starts over');
      t.same(await repos.loginThrottles.claim({ userId: 999_999 }, policy), { checked: false, failures: 0, lockedUntil: null }, 'a user deleted meanwhile is never checked');
    });

    t.test('llm providers: API key encrypted at rest and never in the entity', async (t) => {
      const { db, repos } = await setup(t);
      const p = await repos.llmProviders.create({ name: 'openai', base_url: 'https://api.example.com/v1', model: 'gpt-x', api_key: 'sk-very-secret' });
      t.equal(p.has_api_key, true);
      t.notOk('api_key' in p);
      t.notMatch(JSON.stringify(p), /sk-very-secret/);
      const row = await db('llm_providers').where({ id: p.id }).first();
      t.notMatch(JSON.stringify(row), /sk-very-secret/, 'ciphertext only in the row');
      t.equal(await repos.llmProviders.getApiKey(p.id), 'sk-very-secret');
      await repos.llmProviders.update(p.id, { model: 'gpt-y' });
      t.equal(await repos.llmProviders.getApiKey(p.id), 'sk-very-secret', 'an update that leaves the key out keeps it');
      const cleared = await repos.llmProviders.update(p.id, { api_key: null });
      t.equal(cleared!.has_api_key, false);
      await repos.llmProviders.create({ name: 'local', base_url: 'http://127.0.0.1:1/v1', model: 'm', priority: 1 });
      t.same((await repos.llmProviders.listEnabled()).map((x) => x.name), ['local', 'openai'], 'fallback order by priority');
    });

    t.test('llm providers: a new proxy keeps the key of an https server (it sees only TLS), not of a plain-http one', async (t) => {
      const { repos } = await setup(t);
      const tls = await repos.llmProviders.create({ name: 'tls', base_url: 'https://api.example.com/v1', model: 'm', api_key: 'sk-tls' });
      const plain = await repos.llmProviders.create({ name: 'plain', base_url: 'http://llm.example.com/v1', model: 'm', api_key: 'sk-plain', proxy_url: 'http://proxy-a.example:3128' });
      t.match(await repos.llmProviders.update(tls.id, { proxy_url: 'http://proxy-b.example:3128' }), { has_api_key: true });
      t.same(await repos.llmProviders.secretsFor(tls), { apiKey: 'sk-tls', proxyUrl: 'http://proxy-b.example:3128' });
      t.match(await repos.llmProviders.update(plain.id, { proxy_url: 'http://u:pw@proxy-a.example:3128' }), { has_api_key: true }, 'the same proxy as another user: the same reader');
      t.equal(await repos.llmProviders.getApiKey(plain.id), 'sk-plain');
      t.match(await repos.llmProviders.update(plain.id, { proxy_url: 'http://proxy-b.example:3128' }), { has_api_key: false, api_key_status: 'none' }, 'another proxy: cleared');
      t.same(await repos.llmProviders.secretsFor(plain), { apiKey: null, proxyUrl: 'http://proxy-b.example:3128' });
    });

    t.test('llm providers: proxy password encrypted at rest; *** keeps it only for the same proxy and user', async (t) => {
      const { db, repos } = await setup(t);
      const p = await repos.llmProviders.create({ name: 'px', base_url: 'https://api.example.com/v1', model: 'm', proxy_url: 'http://ops:pr%40xy-secret@proxy.example:3128' });
      t.equal(p.proxy_url, 'http://ops:***@proxy.example:3128', 'the entity masks the password');
      const row = await db('llm_providers').where({ id: p.id }).first();
      t.equal(row.proxy_url, 'http://ops@proxy.example:3128', 'the URL column keeps scheme, user, host and port only');
      t.match(row.proxy_password_encrypted, /^v1\./, 'the password is a ciphertext');
      t.notMatch(JSON.stringify(row), /xy-secret/, 'no plaintext password anywhere in the row');
      t.equal(await repos.llmProviders.getProxyUrl(p.id), 'http://ops:pr%40xy-secret@proxy.example:3128', 'the caller gets the real URL back');

      // *** for the same proxy and user keeps the password; anything that would send it elsewhere is refused.
      await repos.llmProviders.update(p.id, { proxy_url: 'http://ops:***@proxy.example:3128', timeout_ms: 5000 });
      t.equal(await repos.llmProviders.getProxyUrl(p.id), 'http://ops:pr%40xy-secret@proxy.example:3128');
      for (const [url, changed] of [
        ['http://ops:***@evil.example:3128', ['host']],
        ['http://ops:***@proxy.example:8080', ['port']],
        ['http://eve:***@proxy.example:3128', ['user']],
        ['https://ops:***@proxy.example:3128', ['protocol']],
      ] as const) {
        await t.rejects(repos.llmProviders.update(p.id, { proxy_url: url }), { name: 'MaskedPasswordError', changed }, `${changed} changed: refused`);
      }
      t.equal(await repos.llmProviders.getProxyUrl(p.id), 'http://ops:pr%40xy-secret@proxy.example:3128', 'refusals changed nothing');
      await t.rejects(repos.llmProviders.create({ name: 'new', base_url: 'https://a.example/v1', model: 'm', proxy_url: 'http://ops:***@proxy.example:3128' }), { name: 'MaskedPasswordError' }, 'a new provider has no stored password');
      // A new password for a new host is fine; a URL without a password clears the stored one.
      await repos.llmProviders.update(p.id, { proxy_url: 'http://ops:other@proxy2.example:3128' });
      t.equal(await repos.llmProviders.getProxyUrl(p.id), 'http://ops:other@proxy2.example:3128');
      await repos.llmProviders.update(p.id, { proxy_url: 'http://proxy2.example:3128' });
      t.same(await db('llm_providers').where({ id: p.id }).first('proxy_url', 'proxy_password_encrypted'), { proxy_url: 'http://proxy2.example:3128', proxy_password_encrypted: null });
      await t.rejects(repos.llmProviders.update(p.id, { proxy_url: 'http://ops:***@proxy2.example:3128' }), { name: 'MaskedPasswordError' }, '*** with nothing stored');
      await repos.llmProviders.update(p.id, { proxy_url: null });
      t.equal(await repos.llmProviders.getProxyUrl(p.id), null);
    });

    t.test('llm providers: a plaintext proxy password from before migration 0004 is read, then sealed', async (t) => {
      const { db, repos } = await setup(t);
      const now = new Date().toISOString();
      await db('llm_providers').insert({ name: 'old', kind: 'openai-compatible', base_url: 'https://a.example/v1', model: 'm', proxy_url: 'http://ops:legacy-pw@proxy.example:3128', created_at: now, updated_at: now });
      await db('llm_providers').insert({ name: 'nopw', kind: 'openai-compatible', base_url: 'https://b.example/v1', model: 'm', proxy_url: 'http://proxy.example:3128', created_at: now, updated_at: now });
      const [old] = await repos.llmProviders.list();
      t.equal(old.proxy_url, 'http://ops:***@proxy.example:3128', 'masked before sealing too');
      t.equal(await repos.llmProviders.getProxyUrl(old.id), 'http://ops:legacy-pw@proxy.example:3128', 'the old form still works');
      t.equal(await repos.llmProviders.sealPlaintextProxyPasswords(), 1, 'only the row with a password changes');
      const row = await db('llm_providers').where({ id: old.id }).first();
      t.notMatch(JSON.stringify(row), /legacy-pw/, 'sealed: no plaintext left');
      t.equal(await repos.llmProviders.getProxyUrl(old.id), 'http://ops:legacy-pw@proxy.example:3128', 'and the password still works');
      t.equal(await repos.llmProviders.sealPlaintextProxyPasswords(), 0, 'idempotent');
    });

    t.test('personas: exactly one default; FAQ CRUD and import', async (t) => {
      const { repos } = await setup(t);
      const base = { system_prompt: 'Be kind', greeting: null, language: 'en', llm_provider_id: null, tts_preset_id: null };
      const a = await repos.personas.create({ ...base, name: 'A', is_default: true });
      const b = await repos.personas.create({ ...base, name: 'B', is_default: false });
      await repos.personas.setDefault(b.id);
      t.equal((await repos.personas.getDefault())!.id, b.id);
      t.equal((await repos.personas.get(a.id))!.is_default, false);

      const f = await repos.faq.create({ question: 'Hours?', answer: '9-5', keywords: ['open'] });
      t.same(f.keywords, ['open']);
      t.equal(f.enabled, true);
      t.equal((await repos.faq.update(f.id, { enabled: false }))!.enabled, false);
      t.equal((await repos.faq.listEnabled()).length, 0);
      t.equal(await repos.faq.importMany([{ question: 'q1', answer: 'a1' }, { question: 'q2', answer: 'a2' }], true), 2);
      t.same((await repos.faq.list()).map((e) => e.question), ['q1', 'q2'], 'replace removed the old entry');
      t.equal(await repos.faq.update(9999, { answer: 'x' }), undefined);
    });

    t.test('system config upserts JSON values', async (t) => {
      const { repos } = await setup(t);
      await repos.config.set('faq.threshold', 0.7, null);
      await repos.config.set('faq.threshold', 0.8, null);
      t.equal(await repos.config.get('faq.threshold'), 0.8);
      t.equal((await repos.config.all()).length, 1);
      t.ok(await repos.config.remove('faq.threshold'));
      t.equal(await repos.config.get('faq.threshold'), undefined);
    });

    t.test('calls: turns keep per-turn latency; transcript; recordings; list filters', async (t) => {
      const { repos } = await setup(t);
      await repos.calls.start({ id: 'call-1', channel: 'gsm', direction: 'in', caller_number: '+100' });
      await repos.calls.start({ id: 'call-2', channel: 'ws', direction: 'in', caller_number: '+200' });
      await repos.calls.addTurn({ call_id: 'call-1', turn_index: 0, user_text: 'hi', assistant_text: 'hello', started_at: new Date().toISOString(), v2v_ms: 640.5, barge_in_ms: 120 });
      const [turn] = await repos.calls.turns('call-1');
      t.match(turn, { v2v_ms: 640.5, barge_in_ms: 120, endpoint_ms: null, interrupted: false });
      await repos.calls.addTranscript({ call_id: 'call-1', speaker: 'caller', text: 'hi', start_ms: 0, end_ms: 500 });
      t.equal((await repos.calls.transcript('call-1')).length, 1);
      await repos.calls.addRecording({ call_id: 'call-1', path: 'recordings/call-1.wav', format: 'wav', duration_ms: 1000, size_bytes: 32000, sha256: null });
      t.equal((await repos.calls.recordings('call-1'))[0].format, 'wav');
      await repos.calls.end('call-1');
      const c = (await repos.calls.get('call-1'))!;
      t.equal(c.status, 'completed');
      t.ok(c.duration_ms !== null && c.duration_ms >= 0);
      const gsm = await repos.calls.list({ channel: 'gsm' }, { limit: 10, offset: 0 });
      t.equal(gsm.total, 1);
      t.equal(gsm.items[0].id, 'call-1');
      t.equal((await repos.calls.list({ caller: '+200' }, { limit: 10, offset: 0 })).items[0].id, 'call-2');
    });

    t.test('calls: orphans are closed as failed in one statement, with their duration; ended calls are left alone', async (t) => {
      const { db, repos } = await setup(t);
      const started = '2030-01-01T10:00:00.000Z';
      await repos.calls.open({ id: 'orphan', channel: 'ws', direction: 'inbound', started_at: started, node_id: 'gone', summary: 'kept' });
      await repos.calls.open({ id: 'ended', channel: 'ws', direction: 'inbound', started_at: started, node_id: 'gone' });
      await repos.calls.close('ended', { endReason: 'client_hangup', endedAt: '2030-01-01T10:00:05.000Z' });
      const ids = await repos.calls.closeOrphans((q) => q.where('node_id', 'gone'), 'node_lost', '2030-01-01T10:01:02.250Z');
      t.same(ids, ['orphan']);
      t.match(await repos.calls.get('orphan'), { status: 'failed', end_reason: 'node_lost', ended_at: '2030-01-01T10:01:02.250Z', duration_ms: 62_250, summary: 'kept' });
      t.match(await repos.calls.get('ended'), { status: 'completed', end_reason: 'client_hangup', duration_ms: 5000 }, 'an ended call keeps its end');
      t.same(await repos.calls.closeOrphans((q) => q.where('node_id', 'gone'), 'crash', '2030-01-01T10:02:00.000Z'), [], 'nothing left to close');
      if (engine !== 'postgres') return; // one SQLite connection: nothing can commit between a read and a write

      // The call's own gateway commits its real end while the sweep runs: the end must win.
      await repos.calls.open({ id: 'racing', channel: 'ws', direction: 'inbound', started_at: started, node_id: 'slow' });
      const owner = await db.transaction();
      t.teardown(() => (owner.isCompleted() ? undefined : owner.rollback()));
      const [{ pid }] = (await owner.raw('select pg_backend_pid() as pid')).rows;
      await owner('calls').where({ id: 'racing' }).update({ status: 'completed', end_reason: 'client_hangup', ended_at: '2030-01-01T10:00:09.000Z' });
      const sweep = repos.calls.closeOrphans((q) => q.where('node_id', 'slow'), 'node_lost', '2030-01-01T10:05:00.000Z');
      await until('the sweep waiting for the owner\'s row lock', async () => (await db.raw('select count(*)::int as n from pg_stat_activity where ? = any(pg_blocking_pids(pid))', [pid])).rows[0].n > 0);
      await owner.commit();
      t.same(await sweep, [], 'the sweep closed nothing');
      t.match(await repos.calls.get('racing'), { status: 'completed', end_reason: 'client_hangup' }, 'the real end is kept');
    });

    t.test('chat, sms, consents', async (t) => {
      const { repos } = await setup(t);
      const s = await repos.chat.openSession('telegram', '42', { contact: '@bob' });
      t.equal((await repos.chat.openSession('telegram', '42')).id, s.id, 'one session per source id');
      await repos.chat.addMessage(s, 'user', 'hello');
      const [m] = await repos.chat.messages(s.id);
      t.match(m, { role: 'user', content: 'hello', source: 'telegram', source_id: '42' });
      await repos.sms.add({ direction: 'in', phone_number: '+1', body: 'hi', status: 'received' });
      t.equal((await repos.sms.listFor('+1')).length, 1);
      t.notOk(await repos.consents.hasConsent('+1', 'call_recording'));
      const c = await repos.consents.record({ subject: '+1', purpose: 'call_recording', granted: true, source: 'call' });
      t.ok(await repos.consents.hasConsent('+1', 'call_recording'));
      await repos.consents.revoke(c.id);
      t.notOk(await repos.consents.hasConsent('+1', 'call_recording'), 'withdrawn');
    });

    t.test('API keys are stored hashed; audit and usage logs filter', async (t) => {
      const { db, repos } = await setup(t);
      const { key, record } = await repos.apiKeys.create({ name: 'k', created_by: null });
      t.match(key, /^vgk_[0-9a-f]{12}_/);
      t.equal((await repos.apiKeys.findByHash(hashApiKey(key)))!.id, record.id);
      t.notMatch(JSON.stringify(await db('api_keys').select()), new RegExp(key.slice(18)), 'secret part not stored');
      t.ok(await repos.apiKeys.revoke(record.id));
      t.ok((await repos.apiKeys.get(record.id))!.revoked_at);

      await repos.audit.write({ actor_type: 'user', actor_id: '1', actor_name: 'ann', action: 'faq.create', target: 'faq:1', ip: '1.2.3.4', status: 201, details: { a: 1 } });
      await repos.audit.write({ actor_type: 'user', actor_id: '1', actor_name: 'ann', action: 'faq.delete', target: 'faq:1', ip: '1.2.3.4', status: 204, details: null });
      await repos.audit.write({ actor_type: 'user', actor_id: '2', actor_name: 'bo_b', action: 'users.create', target: 'user:3', ip: '1.2.3.4', status: 201, details: null });
      t.equal((await repos.audit.list({ action: 'faq.' }, { limit: 10, offset: 0 })).total, 2, 'prefix filter');
      t.equal((await repos.audit.list({ action: 'faq.create' }, { limit: 10, offset: 0 })).total, 1);
      t.equal((await repos.audit.list({ actor: 'bo_b' }, { limit: 10, offset: 0 })).total, 1);
      t.equal((await repos.audit.list({ action: 'faq_' }, { limit: 10, offset: 0 })).total, 0, 'LIKE wildcards are literal');
      t.same((await repos.audit.list({}, { limit: 1, offset: 0 })).items[0].action, 'users.create', 'newest first');

      const at = new Date().toISOString();
      await repos.usageLog.insertMany([
        { at, subject_type: 'api_key', subject_id: '1', kind: 'chat', source: 'faq', units: 1, tokens_in: 3, tokens_out: 4 },
        { at, subject_type: 'api_key', subject_id: '1', kind: 'chat', source: 'llm', units: 1, tokens_in: 10, tokens_out: 20 },
      ]);
      const totals = await repos.usageLog.totalsSince(new Date(Date.now() - 60_000).toISOString());
      t.same(totals, [{ subject_type: 'api_key', subject_id: '1', kind: 'chat', requests: 2, tokens: 37 }]);
      t.equal((await repos.usageLog.summary({ kind: 'chat' })).length, 2);
    });
  });
}
