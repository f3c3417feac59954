import { threadId } from 'node:worker_threads';
import t from 'tap';
import { AudioDecodeError } from '../../media/audio-file-decode.ts';
import { UploadDecoder } from '../../control/stt/upload-decoder.ts';
import { mp3Of } from '../media/audio-files.ts';
import { sine } from '../media/signals.ts';

t.test('uploads decode in a piscina worker thread; coded errors cross the thread; close() ends it', async (t) => {
  const dec = new UploadDecoder({ idleTimeoutMs: 60_000 });
  t.teardown(() => dec.close());
  t.equal(dec.threads, 0, 'no thread until the first upload');
  const mp3 = await mp3Of(sine(24000, 440, 24000 * 3, 10000), 24000);
  const d = await dec.decode(mp3, { sampleRate: 16000, maxSeconds: 60 });
  t.match(d, { format: 'mp3', sourceRate: 24000, sampleRate: 16000 });
  t.type(d.samples, Int16Array);
  t.ok(Math.abs(d.samples.length - 48000) < 1500, `${d.samples.length} samples`);
  t.equal(dec.threads, 1, 'one worker thread did it');
  t.equal(threadId, 0, 'this test runs on the main thread');
  t.equal(mp3.length > 0, true, 'the caller keeps its bytes (a copy was moved to the worker)');

  const err = await dec.decode(Buffer.from('not audio'), { sampleRate: 16000, maxSeconds: 60 }).catch((e) => e);
  t.type(err, AudioDecodeError);
  t.equal(err.code, 'unsupported_audio');
  const long = await dec.decode(mp3, { sampleRate: 16000, maxSeconds: 1 }).catch((e) => e);
  t.equal(long.code, 'audio_too_long');

  const ac = new AbortController();
  ac.abort();
  await t.rejects(dec.decode(mp3, { sampleRate: 16000, maxSeconds: 60, signal: ac.signal }), /abort/i);

  await dec.close();
  t.equal(dec.threads, 0);
  const again = await dec.decode(mp3, { sampleRate: 8000, maxSeconds: 60 });
  t.ok(Math.abs(again.samples.length - 24000) < 800, 'a closed decoder starts a new pool when used again');
});
