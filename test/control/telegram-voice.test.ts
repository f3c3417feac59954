/**
 * Voice messages to a Telegram bot, end to end with real speech: flite says a question, the test
 * writes it as Ogg Opus (what Telegram clients send), the fake Bot API serves it through getFile
 * and its file endpoint, the bot transcribes it with the fallback STT (pocketsphinx) and answers
 * in text; with reply_with_voice also with a voice note, which must be valid Ogg Opus (decoded
 * here by an independent decoder) holding speech.
 */
import t from 'tap';
import { OggOpusDecoder } from 'ogg-opus-decoder';
import { OggOpusWriter } from '../../media/ogg-opus-writer.ts';
import { createResampler } from '../../media/resampler.ts';
import { startFakeTelegram } from '../fakes/fake-telegram.ts';
import { hasCommand } from '../helpers/has-command.ts';
import { until } from '../helpers/until.ts';
import { speech } from '../pipeline/helpers/speech.ts';
import { startControl } from './helpers/control.ts';

const TOKEN = '3001:' + 'E'.repeat(35);
const ANSWER = 'We are open from nine to five, Monday to Friday.';

async function oggOf(text: string): Promise<{ ogg: Buffer; durationS: number }> {
  const { pcm } = await speech(text, { leadSilenceSec: 0.3, trailSilenceSec: 0.3 });
  const up = createResampler(16000, 48000, { impl: 'ts' }); // Opus in Ogg is 48 kHz
  const w = new OggOpusWriter(16000);
  const ogg = Buffer.concat([w.start(), w.write(up.process(pcm)), w.write(up.flush()), w.end()]);
  w.close();
  return { ogg, durationS: Math.ceil(pcm.length / 16000) };
}

async function decode(file: Buffer) {
  const d = new OggOpusDecoder();
  await d.ready;
  try {
    return await d.decodeFile(new Uint8Array(file));
  } finally {
    d.free();
  }
}

t.test('a voice question is transcribed and answered in text, and with reply_with_voice as a valid Ogg Opus voice note', { skip: !hasCommand('flite', ['-lv']) && 'flite is not installed' }, async (t) => {
  const tg = await startFakeTelegram({ tokens: [TOKEN] });
  const c = await startControl({ TELEGRAM_API_ROOT: tg.apiRoot, TELEGRAM_POLL_TIMEOUT_S: '2', TELEGRAM_REPLY_INTERVAL_MS: '200' });
  t.teardown(async () => {
    await c.stop();
    await tg.close();
  });
  const op = await c.userToken('olga', 'operator');
  await c.call('POST', '/admin/faq', { token: op, body: { question: 'What are your opening hours?', answer: ANSWER, keywords: ['hours', 'open', 'opening'] } });
  const bot = (await c.call('POST', '/admin/telegram/bots', { token: op, body: { name: 'Voice', token: TOKEN, llm: { backend: 'faq' }, reply_with_voice: true } })).body;
  await until('running', async () => (await c.call('GET', `/admin/telegram/bots/${bot.id}`, { token: op })).body.status.state === 'running');

  const { ogg, durationS } = await oggOf('What are your opening hours?');
  tg.userSendsVoice(TOKEN, { chatId: 41, ogg, durationS });
  const voiceNote = await until('a voice note back', () => tg.botMessages(TOKEN, 41).find((m) => m.voice)?.voice, 60_000);
  const text = tg.botMessages(TOKEN, 41).find((m) => m.text !== undefined)?.text ?? '';
  t.ok(text.startsWith(ANSWER), `answered in text: "${text}"`);
  t.ok(tg.requests.some((r) => r.method === 'getFile'), 'the file was fetched through getFile');
  const session = (await c.cp.repos.chat.listSessions({ limit: 5, offset: 0 }, { source: 'telegram' }))[0]!;
  const stored = await c.cp.repos.chat.messages(session.id);
  t.match(stored[0]!.content, /hours/i, `the transcript is the user's message: "${stored[0]!.content}"`);

  t.equal(voiceNote.subarray(0, 4).toString('ascii'), 'OggS', 'an Ogg stream');
  const decoded = await decode(voiceNote);
  t.equal(decoded.errors.length, 0, 'decodes without errors');
  t.equal(decoded.sampleRate, 48000);
  const samples = decoded.channelData[0]!;
  t.ok(samples.length > 48000, `at least a second of audio (${(samples.length / 48000).toFixed(1)} s)`);
  let sum = 0;
  for (const s of samples) sum += s * s;
  t.ok(Math.sqrt(sum / samples.length) > 0.01, 'and it is not silence');

  await c.cp.usage.flush();
  const kinds = (await c.cp.db('usage_log').where({ subject_type: 'telegram_bot', subject_id: String(bot.id) })).map((r) => r.kind).sort();
  t.same(kinds, ['chat', 'stt', 'tts'], 'transcription, answer and voice reply metered as the bot');

  // Too long a note is refused politely before anything is downloaded.
  const fetches = tg.requests.filter((r) => r.method === 'getFile').length;
  tg.userSendsVoice(TOKEN, { chatId: 42, ogg, durationS: 3600 });
  await until('refused', () => /too long/.test(tg.botMessages(TOKEN, 42)[0]?.text ?? ''));
  t.equal(tg.requests.filter((r) => r.method === 'getFile').length, fetches, 'not downloaded');
});
