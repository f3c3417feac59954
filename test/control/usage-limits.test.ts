/**
 * Usage limits on the speech routes (tts, stt) over HTTP, the usage summary, and the limits'
 * list and delete. Chat limits are covered in openai-api.test.ts.
 */
import t, { type Test } from 'tap';
import { encodeWav } from '../../media/wav.ts';
import type { SttEngine } from '../../pipeline/engines/types.ts';
import { catalogOf, GatedTts } from './helpers/fake-engines.ts';
import { startControl, type TestControl } from './helpers/control.ts';
import { until } from '../helpers/until.ts';

/** Counts calls, so a test can tell a refused request never reached the engine. */
function countingStt() {
  const engine: SttEngine & { calls: number } = {
    name: 'count-stt',
    streaming: false,
    calls: 0,
    health: () => ({ name: 'count-stt', ok: true }),
    createStream: () => {
      throw new Error('unused');
    },
    async transcribe(pcm) {
      engine.calls++;
      return { text: `heard ${(pcm.length / 16000).toFixed(1)} seconds` };
    },
    async close() {},
  };
  return engine;
}

async function rig(t: Test) {
  const tts = new GatedTts();
  tts.release(); // no gating here: every sentence synthesises at once
  const stt = countingStt();
  const c = await startControl({}, { options: { tts: catalogOf(tts), stt } });
  t.teardown(c.stop);
  const admin = await c.userToken('admin-usage', 'admin');
  const k = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body;
  return { c, admin, stt, key: k.key as string, keyId: k.id as number };
}

const limit = (c: TestControl, token: string, body: Record<string, unknown>) =>
  c.call('POST', '/admin/usage/limits', { token, body: { name: 'l', metric: 'requests', period: 'day', ...body } });

const speech = (c: TestControl, key: string, input = 'Hello there.') =>
  c.call('POST', '/v1/audio/speech', { token: key, body: { model: 'tts-1', voice: 'alloy', input, response_format: 'pcm' } });

const ttsStream = (c: TestControl, token: string) => c.call('POST', '/admin/tts/stream', { token, body: { text: 'Hello there.' } });

function multipart(file: Buffer) {
  const b = '----vgusage' + Math.random().toString(16).slice(2);
  const body = Buffer.concat([
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="model"\r\n\r\nwhisper-1\r\n`),
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  return { rawBody: body, headers: { 'content-type': `multipart/form-data; boundary=${b}` } };
}

const oneSecond = () => encodeWav(new Int16Array(16000), 16000);
const transcribeV1 = (c: TestControl, key: string) => c.call('POST', '/v1/audio/transcriptions', { token: key, ...multipart(oneSecond()) });
const transcribeAdmin = (c: TestControl, token: string) =>
  c.call('POST', '/admin/stt/transcribe', { token, rawBody: oneSecond(), headers: { 'content-type': 'audio/wav' } });

/**
 * Streamed answers are committed to the meter just after their last byte, so a summary asked for
 * at once may not have them yet; wait for the expected state rather than sleep.
 */
function summaryWhen(c: TestControl, token: string, query: string, ok: (items: any[]) => boolean): Promise<any[]> {
  return until(`the usage summary${query}`, async () => {
    const items = (await c.call('GET', `/admin/usage/summary${query}`, { token })).body.items;
    return ok(items) ? items : null;
  });
}

t.test('a global tts limit covers /v1/audio/speech and /admin/tts/stream together; other kinds are untouched', async (t) => {
  const { c, admin, key } = await rig(t);
  const op = await c.userToken('op-tts', 'operator');
  t.equal((await limit(c, admin, { subject_type: 'global', kind: 'tts', max_value: 2 })).status, 201);
  t.equal((await speech(c, key)).status, 200);
  t.equal((await ttsStream(c, op)).status, 200);
  for (const r of [await speech(c, key), await ttsStream(c, op)]) {
    t.equal(r.status, 429, 'the third and fourth request of the day are refused');
    t.equal(r.body.error.code, 'usage_limit_exceeded');
    t.match(r.body.error.message, /2 requests per day/);
    t.match(r.body.error.details, { metric: 'requests', period: 'day', max_value: 2 });
    t.ok(Number(r.headers.get('retry-after')) > 0);
  }
  t.equal((await transcribeV1(c, key)).status, 200, 'a tts limit does not stop speech recognition');
});

t.test('stt limits: enforced on /v1/audio/transcriptions per key and /admin/stt/transcribe per user', async (t) => {
  const { c, admin, stt, key, keyId } = await rig(t);
  const op = await c.userToken('op-stt', 'operator');
  const opId = (await c.call('GET', '/admin/auth/me', { token: op })).body.user.id;
  const kl = await limit(c, admin, { subject_type: 'api_key', subject_id: String(keyId), kind: 'stt', max_value: 1 });
  t.equal(kl.status, 201);
  t.equal(kl.body.kind, 'stt');
  t.equal((await limit(c, admin, { subject_type: 'user', subject_id: String(opId), kind: 'stt', max_value: 1 })).status, 201);
  t.equal((await limit(c, admin, { subject_type: 'global', kind: 'speech', max_value: 1 })).status, 400, 'an unknown kind is refused');

  const first = await transcribeV1(c, key);
  t.same(first.body, { text: 'heard 1.0 seconds' });
  const second = await transcribeV1(c, key);
  t.equal(second.status, 429);
  t.match(second.body.error, { code: 'usage_limit_exceeded', details: { limit_id: kl.body.id, max_value: 1 } });

  t.equal((await transcribeAdmin(c, op)).status, 200);
  const refused = await transcribeAdmin(c, op);
  t.equal(refused.status, 429, 'the admin route is metered and limited too');
  t.equal(refused.body.error.code, 'usage_limit_exceeded');
  t.equal(stt.calls, 2, 'refused uploads never reached the engine');

  t.equal((await transcribeAdmin(c, admin)).status, 200, 'another user has their own allowance');
  t.equal((await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'hi' }] } })).status, 200, 'an stt limit does not stop chat');

  const items = await summaryWhen(c, admin, '?kind=stt', (i) => i.reduce((n, x) => n + x.requests, 0) >= 3);
  t.same(items, [{ kind: 'stt', source: 'count-stt', requests: 3, tokens_in: 0, tokens_out: 0 }], 'answered transcriptions logged, refused ones not');
  const byUser = await c.call('GET', `/admin/usage?subject_type=user&subject_id=${opId}`, { token: admin });
  t.equal(byUser.body.total, 1);
  t.match(byUser.body.items[0], { kind: 'stt', source: 'count-stt', subject_type: 'user' });
});

t.test('usage summary totals per kind and source, filtered by subject', async (t) => {
  const { c, admin, key, keyId } = await rig(t);
  const op = await c.userToken('op-sum', 'operator');
  await speech(c, key, 'Hello there.');
  await speech(c, key, 'Good morning.');
  await ttsStream(c, op);
  await transcribeV1(c, key);
  await c.call('POST', '/v1/chat/completions', { token: key, body: { model: 'faq', messages: [{ role: 'user', content: 'hi' }] } });
  const sorted = (items: any[]) => [...items].sort((a, b) => a.kind.localeCompare(b.kind));
  const all = sorted(await summaryWhen(c, op, '', (i) => i.reduce((n, x) => n + x.requests, 0) === 5));
  t.match(all, [
    { kind: 'chat', source: 'fallback', requests: 1 },
    { kind: 'stt', source: 'count-stt', requests: 1 },
    { kind: 'tts', source: 'gated', requests: 3, tokens_in: 'Hello there.'.length + 'Good morning.'.length },
  ]);
  t.equal(all.length, 3);
  const keyOnly = sorted((await c.call('GET', `/admin/usage/summary?subject_type=api_key&subject_id=${keyId}&kind=tts`, { token: op })).body.items);
  t.match(keyOnly, [{ kind: 'tts', requests: 2 }], "the operator's own stream is not the key's");
  const future = encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString());
  t.same((await c.call('GET', `/admin/usage/summary?from=${future}`, { token: op })).body.items, [], 'time filter');
  const viewer = await c.userToken('viewer-sum', 'viewer');
  t.equal((await c.call('GET', '/admin/usage/summary', { token: viewer })).status, 403);
});

t.test('limits: GET lists them, DELETE removes one and lifts it at once, audited', async (t) => {
  const { c, admin, key } = await rig(t);
  const a = (await limit(c, admin, { name: 'stt cap', subject_type: 'global', kind: 'stt', max_value: 0 })).body;
  const b = (await limit(c, admin, { name: 'tts cap', subject_type: 'ip', subject_id: '10.0.0.1', kind: 'tts', metric: 'tokens', period: 'month', max_value: 500 })).body;
  const op = await c.userToken('op-lim', 'operator');
  const listed = await c.call('GET', '/admin/usage/limits', { token: op });
  t.equal(listed.status, 200);
  t.match(
    [...listed.body.items].sort((x: any, y: any) => x.id - y.id),
    [
      { id: a.id, name: 'stt cap', subject_type: 'global', subject_id: null, kind: 'stt', max_value: 0, enabled: true },
      { id: b.id, name: 'tts cap', subject_type: 'ip', subject_id: '10.0.0.1', kind: 'tts', metric: 'tokens', period: 'month', max_value: 500 },
    ],
  );
  t.equal((await transcribeV1(c, key)).status, 429, 'a zero limit refuses everything');
  t.equal((await c.call('DELETE', `/admin/usage/limits/${a.id}`, { token: op })).status, 403, 'operators may read limits, not delete them');
  t.equal((await c.call('DELETE', `/admin/usage/limits/${a.id}`, { token: admin })).status, 204);
  t.equal((await transcribeV1(c, key)).status, 200, 'deleting the limit lifts it at once');
  const gone = await c.call('DELETE', `/admin/usage/limits/${a.id}`, { token: admin });
  t.equal(gone.status, 404);
  t.equal(gone.body.error.code, 'not_found');
  t.same((await c.call('GET', '/admin/usage/limits', { token: op })).body.items.map((l: { id: number }) => l.id), [b.id]);
  const audit = (await c.call('GET', '/admin/audit?action=usage_limits.delete', { token: admin })).body.items;
  t.same(audit.map((e: { status: number; actor_name: string }) => [e.status, e.actor_name]), [
    [404, 'admin-usage'],
    [204, 'admin-usage'],
    [403, 'op-lim'],
  ], 'every attempt audited, the refused one too');
  t.equal(audit[1].target, `usage_limit:${a.id}`);
});
