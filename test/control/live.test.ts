/**
 * Chat sessions with SSE replies, the monitor's SSE stream from an injected MetricsSource, GSM
 * routes against a fake GsmControl (503 without one, AT whitelist), and transcription uploads.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import t from 'tap';
import type { GsmControl } from '../../control/gsm/gsm-control.ts';
import type { CallHandling } from '../../control/settings/call-handling.ts';
import { promRegistrySource } from '../../control/monitor/metrics-source.ts';
import { encodeWav, parseWav } from '../../media/wav.ts';
import { mp3Of, oggOpusOf, soxConvert } from '../media/audio-files.ts';
import { sine } from '../media/signals.ts';
import type { SttEngine } from '../../pipeline/engines/types.ts';
import { startControl } from './helpers/control.ts';

const has = (cmd: string, args: string[]) => {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

/** Reads server-sent events until `stop` says so (or the stream ends); bounded. */
async function readSse(res: Response, stop: (events: Array<{ event: string; data: any }>) => boolean) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  const events: Array<{ event: string; data: any }> = [];
  let buf = '';
  for (let i = 0; i < 10_000; i++) {
    const r = await reader.read();
    if (r.done) break;
    buf += dec.decode(r.value, { stream: true });
    let at;
    while ((at = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, at);
      buf = buf.slice(at + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
    if (stop(events)) {
      await reader.cancel();
      break;
    }
  }
  return events;
}

t.test('chat: sessions CRUD, messages, reply streamed over SSE and stored', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const viewer = await c.userToken('vera', 'viewer');
  const admin = await c.userToken('adam', 'admin');
  await c.call('POST', '/admin/faq', { token: admin, body: { question: 'What are your opening hours?', answer: 'We are open nine to five. Closed on Sundays.' } });
  const s = await c.call('POST', '/admin/chat/sessions', { token: op, body: { contact: 'jane@example.com' } });
  t.equal(s.status, 201);
  t.equal(s.body.source, 'admin');
  t.equal((await c.call('POST', '/admin/chat/sessions', { token: viewer, body: {} })).status, 403);
  t.equal((await c.call('POST', '/admin/chat/sessions', { token: op, body: { source: 'Bad Source!' } })).status, 400);

  const res = await fetch(`${c.base}/admin/chat/sessions/${s.body.id}/reply`, {
    method: 'POST',
    headers: { authorization: `Bearer ${op}`, 'content-type': 'application/json' },
    body: JSON.stringify({ content: 'what are your opening hours' }),
  });
  t.equal(res.status, 200);
  t.match(res.headers.get('content-type'), /^text\/event-stream/);
  const events = await readSse(res, (e) => e.some((x) => x.event === 'done'));
  // No LLM: the built-in secretary answers, as on a call: the FAQ answer, then it offers more help.
  t.match(events.filter((e) => e.event === 'delta').map((e) => e.data.text).join(''), /^We are open nine to five\. Closed on Sundays\. Is there anything else I can help you with\? ?$/);
  const done = events.find((e) => e.event === 'done')!;
  t.equal(done.data.source, 'faq');
  t.equal(done.data.message.role, 'assistant');

  const detail = await c.call('GET', `/admin/chat/sessions/${s.body.id}`, { token: viewer });
  t.same(detail.body.messages.map((m: { role: string }) => m.role), ['user', 'assistant'], 'both sides stored');
  t.equal(detail.body.messages[0].source_id, s.body.source_id);
  t.equal((await c.call('POST', `/admin/chat/sessions/${s.body.id}/messages`, { token: op, body: { role: 'assistant', content: 'Anything else?' } })).status, 201);
  t.equal((await c.call('GET', `/admin/chat/sessions/${s.body.id}/messages`, { token: viewer })).body.items.length, 3);
  t.equal((await c.call('PATCH', `/admin/chat/sessions/${s.body.id}`, { token: op, body: { contact: 'j@e.com' } })).body.contact, 'j@e.com');
  t.equal((await c.call('GET', '/admin/chat/sessions', { token: viewer })).body.items.length, 1);
  t.equal((await c.call('POST', '/admin/chat/sessions/999/reply', { token: op, body: { content: 'hi' } })).status, 404);
  t.equal((await c.call('DELETE', `/admin/chat/sessions/${s.body.id}`, { token: op })).status, 204);
  t.same(await c.cp.db('chat_messages').select('id'), [], 'messages deleted with the session');
  await c.cp.usage.flush();
  t.equal((await c.cp.repos.usageLog.list({ kind: 'chat' }, { limit: 10, offset: 0 })).items.length, 1, 'the reply is metered');
});

t.test('monitor: snapshot and SSE stream from an injected metrics source', async (t) => {
  let n = 0;
  const registry = {
    async getMetricsAsJSON() {
      n++;
      return [
        { name: 'voice_active_calls', values: [{ value: n }] },
        { name: 'voice_stage_latency_ms', values: [{ value: 5, labels: { stage: 'v2v_ms', le: 100 }, metricName: 'voice_stage_latency_ms_bucket' }, { value: 42, labels: { stage: 'v2v_ms' }, metricName: 'voice_stage_latency_ms_sum' }] },
      ];
    },
  };
  const c = await startControl({}, { options: { metrics: promRegistrySource(registry) } });
  t.teardown(c.stop);
  const viewer = await c.userToken('vera', 'viewer');
  const snap = await c.call('GET', '/admin/monitor/snapshot', { token: viewer });
  t.equal(snap.body.source, 'gateway');
  t.equal(snap.body.metrics.voice_active_calls, 1);
  t.equal(snap.body.metrics['voice_stage_latency_ms_sum{stage="v2v_ms"}'], 42);
  t.notOk(Object.keys(snap.body.metrics).some((k) => k.includes('_bucket')), 'histogram buckets left out');
  t.equal(snap.body.metrics.control_tts_streams_active, 0);
  const started = performance.now();
  const res = await fetch(`${c.base}/admin/monitor/stream?interval_ms=200`, { headers: { authorization: `Bearer ${viewer}` } });
  t.equal(res.status, 200);
  const events = await readSse(res, (e) => e.length >= 3);
  t.equal(events.length, 3);
  t.ok(events.every((e) => e.event === 'metrics'));
  t.same(events.map((e) => e.data.metrics.voice_active_calls), [2, 3, 4], 'a fresh snapshot each time');
  t.ok(performance.now() - started >= 350, 'paced by interval_ms');
  t.equal((await c.call('GET', '/admin/monitor/stream?interval_ms=5', { token: viewer })).status, 400);

  const own = await startControl();
  t.teardown(own.stop);
  const m = (await own.call('GET', '/admin/monitor/snapshot', { token: await own.userToken('v', 'viewer') })).body;
  t.equal(m.source, 'process');
  t.ok(m.metrics.process_rss_bytes > 0, 'without a gateway source: this process');
});

class FakeGsm implements GsmControl {
  log: string[] = [];
  async status() {
    return { connected: true, registered: true, operator: 'TestNet', signal_dbm: -71, calls: [] };
  }
  async dial(n: string) {
    this.log.push(`dial ${n}`);
    return { call_id: 'out-1' };
  }
  async hangUp(id?: string) {
    this.log.push(`hangup ${id ?? 'all'}`);
    return 1;
  }
  async sendSms(to: string, text: string) {
    if (to === '+70000000000') throw new Error('+CMS ERROR: 500 on /dev/ttyUSB2');
    this.log.push(`sms ${to} ${text}`);
    return { references: [7] };
  }
  async ussd(code: string) {
    return { response: `balance for ${code}: 10.00` };
  }
  async at(cmd: string) {
    this.log.push(`at ${cmd}`);
    return { ok: true, lines: ['+CSQ: 20,99'] };
  }
}

t.test('gsm: 503 without a modem; with one: status, dial, hang up, SMS, USSD, whitelisted AT', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const op = await c.userToken('olga', 'operator');
  const admin = await c.userToken('adam', 'admin');
  t.same((await c.call('GET', '/admin/gsm/status', { token: op })).body, { attached: false, connected: false });
  for (const [path, body] of [['/admin/gsm/dial', { number: '+15550001' }], ['/admin/gsm/sms', { to: '+15550001', text: 'hi' }], ['/admin/gsm/ussd', { code: '*100#' }], ['/admin/gsm/hangup', {}]] as const) {
    const r = await c.call('POST', path, { token: op, body });
    t.equal(r.status, 503, `${path} without a modem`);
    t.equal(r.body.error.code, 'modem_unavailable');
  }
  const gsm = new FakeGsm();
  c.cp.setGsm(gsm);
  t.match((await c.call('GET', '/admin/gsm/status', { token: op })).body, { attached: true, connected: true, operator: 'TestNet' });
  t.equal((await c.call('POST', '/admin/gsm/dial', { token: op, body: { number: '+1 555' } })).status, 400, 'number validated');
  t.same((await c.call('POST', '/admin/gsm/dial', { token: op, body: { number: '+15550001' } })).body, { call_id: 'out-1' });
  t.same((await c.call('POST', '/admin/gsm/hangup', { token: op, body: {} })).body, { ended: 1 });
  const sent = await c.call('POST', '/admin/gsm/sms', { token: op, body: { to: '+15550001', text: 'Your callback is at 3' } });
  t.equal(sent.status, 201);
  const failed = await c.call('POST', '/admin/gsm/sms', { token: op, body: { to: '+70000000000', text: 'x' } });
  t.equal(failed.status, 502);
  t.match(failed.body.error, { code: 'modem_error', message: /^SMS failed: the modem did not do it \(error id [0-9a-f]{10}\)$/ }, "our words and an error id, not the modem's AT lines or device path");
  const list = await c.call('GET', '/admin/gsm/sms?direction=out', { token: op });
  t.equal(list.body.total, 2);
  t.same(list.body.items.map((s: { status: string }) => s.status), ['failed', 'sent'], 'newest first, failures kept');
  t.match((await c.call('POST', '/admin/gsm/ussd', { token: op, body: { code: '*100#' } })).body.response, /balance/);
  t.equal((await c.call('POST', '/admin/gsm/ussd', { token: op, body: { code: 'ATD123;' } })).status, 400);
  t.equal((await c.call('POST', '/admin/gsm/at', { token: op, body: { command: 'AT+CSQ' } })).status, 403, 'AT console is admin only');
  const at = await c.call('POST', '/admin/gsm/at', { token: admin, body: { command: ' at+csq ' } });
  t.same(at.body, { command: 'AT+CSQ', ok: true, lines: ['+CSQ: 20,99'] });
  for (const bad of ['ATD+15550001;', 'AT+CMGD=1,4', 'AT+CSQ;+CFUN=0', 'AT+CFUN=0', 'AT+CSQ\r\nATH']) {
    const r = await c.call('POST', '/admin/gsm/at', { token: admin, body: { command: bad } });
    t.equal(r.status, 403, `${JSON.stringify(bad)} refused`);
    t.equal(r.body.error.code, 'at_command_not_allowed');
  }
  t.same(gsm.log.filter((l) => l.startsWith('at')), ['at AT+CSQ'], 'only the whitelisted command reached the modem');
  const audit = await c.cp.repos.audit.list({ action: 'gsm.at' }, { limit: 20, offset: 0 });
  t.equal(audit.items.length, 7, 'every console attempt audited, refused ones too');
  c.cp.setGsm(null);
  t.equal((await c.call('POST', '/admin/gsm/dial', { token: op, body: { number: '+15550001' } })).status, 503);
});

const fakeStt: SttEngine = {
  name: 'fake-stt',
  streaming: false,
  health: () => ({ name: 'fake-stt', ok: true }),
  createStream: () => {
    throw new Error('unused');
  },
  async transcribe(pcm) {
    return { text: `heard ${(pcm.length / 16000).toFixed(1)} seconds` };
  },
  async close() {},
};

function multipart(fields: Record<string, string>, file?: { name: string; data: Buffer }) {
  const boundary = '----vgtest' + Math.random().toString(16).slice(2);
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: audio/wav\r\n\r\n`), file.data, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

t.test('transcriptions: multipart upload at any rate, formats, validation (fake engine)', async (t) => {
  const c = await startControl({}, { options: { stt: fakeStt } });
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  const wav8k = encodeWav(new Int16Array(8000 * 2), 8000);
  const m = multipart({ model: 'whisper-1' }, { name: 'a.wav', data: wav8k });
  t.equal((await c.call('POST', '/v1/audio/transcriptions', { rawBody: m.body, headers: { 'content-type': m.type } })).status, 401);
  let r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: m.body, headers: { 'content-type': m.type } });
  t.same(r.body, { text: 'heard 2.0 seconds' }, '8 kHz upload resampled to 16 kHz');
  const txt = multipart({ model: 'whisper-1', response_format: 'text' }, { name: 'a.wav', data: wav8k });
  r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: txt.body, headers: { 'content-type': txt.type } });
  t.equal(r.text, 'heard 2.0 seconds\n');
  const nofile = multipart({ model: 'whisper-1' });
  t.equal((await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: nofile.body, headers: { 'content-type': nofile.type } })).status, 400);
  const junk = multipart({ model: 'whisper-1' }, { name: 'a.wav', data: Buffer.from('<html>not audio</html>') });
  r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: junk.body, headers: { 'content-type': junk.type } });
  t.equal(r.status, 400);
  t.equal(r.body.error.code, 'unsupported_audio');
  t.match(r.body.error.message, /send wav, mp3, flac, ogg-opus/);
  const tone = sine(48000, 440, 48000 * 3);
  for (const [name, data] of [
    ['a.mp3', await mp3Of(tone.subarray(0, 44100 * 3), 44100, true)],
    ['a.flac', soxConvert(tone, 48000, 'flac')],
    ['a.opus', oggOpusOf(tone, 48000)],
  ] as const) {
    const up = multipart({ model: 'whisper-1' }, { name, data });
    r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: up.body, headers: { 'content-type': up.type } });
    t.same(r.body, { text: 'heard 3.0 seconds' }, `${name} decoded to 3 s at 16 kHz`);
  }
  const tooLong = multipart({ model: 'whisper-1' }, { name: 'long.flac', data: soxConvert(new Int16Array(8000 * 301), 8000, 'flac') });
  r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: tooLong.body, headers: { 'content-type': tooLong.type } });
  t.equal(r.status, 413);
  t.equal(r.body.error.code, 'audio_too_long');
  t.equal((await c.call('POST', '/v1/audio/transcriptions', { token: key, body: { model: 'x' } })).status, 415, 'JSON is not an upload');
  const op = await c.userToken('olga', 'operator');
  r = await c.call('POST', '/admin/stt/transcribe', { token: op, rawBody: encodeWav(new Int16Array(16000), 16000), headers: { 'content-type': 'audio/wav' } });
  t.equal(r.body.text, 'heard 1.0 seconds');
  r = await c.call('POST', '/admin/stt/transcribe', { token: op, rawBody: soxConvert(new Int16Array(8000), 8000, 'flac'), headers: { 'content-type': 'audio/flac' } });
  t.match(r.body, { text: 'heard 1.0 seconds', format: 'flac' });
  const st = (await c.call('GET', '/admin/stt/status', { token: op })).body;
  t.match(st, { engine: 'fake-stt', started: true, transcriptions: 7 });
});

t.test('transcriptions with pocketsphinx: real speech in, words out', { skip: !(has('sh', ['-c', 'command -v flite']) && existsSync('/usr/share/pocketsphinx/model/en-us')) && 'flite/pocketsphinx missing' }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vg-stt-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'q.wav');
  execFileSync('flite', ['-voice', 'slt', '-t', 'What are your opening hours?', '-o', file]);
  const c = await startControl();
  t.teardown(c.stop);
  const admin = await c.userToken('adam', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  const m = multipart({ model: 'whisper-1', response_format: 'verbose_json' }, { name: 'q.wav', data: readFileSync(file) });
  const r = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: m.body, headers: { 'content-type': m.type } });
  t.equal(r.status, 200, JSON.stringify(r.body));
  t.match(r.body.text, /hours/i);
  t.ok(r.body.duration > 1);
  // The same question as an MP3 (what phones and browsers record) is heard the same way.
  const wav = parseWav(readFileSync(file));
  const mp3 = multipart({ model: 'whisper-1' }, { name: 'q.mp3', data: await mp3Of(wav.samples, wav.sampleRate as 16000) });
  const r2 = await c.call('POST', '/v1/audio/transcriptions', { token: key, rawBody: mp3.body, headers: { 'content-type': mp3.type } });
  t.match(r2.body.text, /hours/i, `mp3 upload: "${r2.body.text}"`);
});

t.test("gsm call handling: the stored setting over the modem's environment, validated, admins only", async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const viewer = await c.userToken('vera', 'viewer');
  const op = await c.userToken('oleg', 'operator');
  const admin = await c.userToken('anna', 'admin');
  const state = async () => (await c.call('GET', '/admin/gsm/call-handling', { token: viewer })).body;
  t.same(await state(), { source: 'environment', stored_invalid: false, stored: null, environment: null, effective: null }, 'no modem, nothing stored');
  const environment: CallHandling = { auto_answer_rings: 2, allow: [], block: ['+79990001122'], hours: null, anonymous: 'answer', refuse_with: 'hangup' };
  c.cp.setGsm(Object.assign(new FakeGsm(), { environmentCallHandling: () => environment }));
  t.same(await state(), { source: 'environment', stored_invalid: false, stored: null, environment, effective: environment }, "a modem's environment is what calls get");

  const put = (token: string, value: unknown) => c.call('PUT', '/admin/config/modem.call_handling', { token, body: { value } });
  t.equal((await put(op, { block: [] })).status, 403, 'an operator may not change who is answered');
  const refusals: Array<[unknown, RegExp]> = [
    [{ hours: { days: [1], start: '25:00', end: '18:00' } }, /hours\.start: a time of day as HH:MM/],
    [{ hours: { days: [1, 1], start: '09:00', end: '18:00' } }, /hours\.days: each day once/],
    [{ hours: { days: [], start: '09:00', end: '18:00' } }, /hours\.days: at least one day/],
    [{ hours: { days: [7], start: '09:00', end: '18:00' } }, /hours\.days\.0/],
    [{ hours: { days: [1], start: '09:00', end: '09:00' } }, /hours\.end: start and end must differ/],
    [{ hours: { days: [1], start: '09:00', end: '18:00', time_zone: 'Mars/Olympus' } }, /hours\.time_zone: an IANA time zone/],
    [{ allow: ['+7 916 ABC'] }, /allow\.0: digits, optionally with a leading \+/],
    [{ block: Array.from({ length: 101 }, (_, i) => `+7916${String(i).padStart(7, '0')}`) }, /block: at most 100 numbers/],
    [{ auto_answer_rings: 0 }, /auto_answer_rings/],
    [{ refuse_with: 'voicemail' }, /refuse_with/],
    [{ ringtone: 'loud' }, /ringtone|unrecognized/i],
  ];
  for (const [value, message] of refusals) {
    const r = await put(admin, value);
    t.equal(r.status, 400, `refused: ${JSON.stringify(value).slice(0, 60)}`);
    t.equal(r.body.error?.code, 'validation_failed');
    t.match(r.body.error?.message, message);
  }
  t.same(await state(), { source: 'environment', stored_invalid: false, stored: null, environment, effective: environment }, 'nothing stored by a refusal');

  const saved = await put(admin, { allow: ['+79161234567'], hours: { days: [1, 2, 3, 4, 5, 6], start: '22:00', end: '06:00', time_zone: 'Europe/Moscow' } });
  t.equal(saved.status, 200);
  const stored = { auto_answer_rings: 1, allow: ['+79161234567'], block: [], hours: { days: [1, 2, 3, 4, 5, 6], start: '22:00', end: '06:00', time_zone: 'Europe/Moscow' }, anonymous: 'answer', refuse_with: 'hangup' };
  t.same(saved.body.value, stored, 'stored whole, the omitted fields with their defaults');
  t.same(await state(), { source: 'stored', stored_invalid: false, stored, environment, effective: stored }, 'the stored choice is what calls get');
  const audit = await c.cp.repos.audit.list({ action: 'config.set' }, { limit: 5, offset: 0 });
  t.match(audit.items[0], { target: 'config:modem.call_handling', details: { from: null, to: stored } }, 'audited with before and after');

  t.equal((await c.call('DELETE', '/admin/config/modem.call_handling', { token: admin })).status, 200);
  t.same(await state(), { source: 'environment', stored_invalid: false, stored: null, environment, effective: environment }, "back to the environment's");

  // A stored value this version cannot read (a backup from another one): ignored, said so, resettable.
  await c.cp.repos.config.set('modem.call_handling', { hours: 'always' }, null);
  t.same(await state(), { source: 'environment', stored_invalid: true, stored: null, environment, effective: environment }, 'an unreadable stored value is ignored and reported');
  t.equal((await c.call('DELETE', '/admin/config/modem.call_handling', { token: admin })).status, 200);
  t.equal((await state()).stored_invalid, false, 'and can be reset');
});
