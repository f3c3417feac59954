/**
 * The control plane's bulk jobs share one thread: an upload decoding and a backup being packed at
 * the same moment run one after the other on it, never on two threads (the other core belongs to
 * live calls). A user of the shared pool does not close it; its owner does.
 */
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { BulkWorkPool } from '../../control/bulk-work-pool.ts';
import { Archiver } from '../../control/backup/archiver.ts';
import { UploadDecoder } from '../../control/stt/upload-decoder.ts';
import { mp3Of } from '../media/audio-files.ts';
import { sine } from '../media/signals.ts';

t.test('an upload decode and a backup pack at once: one thread for both', async (t) => {
  const pool = new BulkWorkPool();
  t.teardown(() => pool.close());
  const decoder = new UploadDecoder({ pool });
  const archiver = new Archiver(pool);
  const mp3 = await mp3Of(sine(24000, 440, 24000 * 3, 10000), 24000);
  let most = 0;
  const watch = setInterval(() => (most = Math.max(most, pool.threads)), 1);
  const [decoded, packed] = await Promise.all([
    decoder.decode(mp3, { sampleRate: 16000, maxSeconds: 60 }),
    archiver.pack({ manifest: { entries: {} }, entries: [{ name: 'a.bin', data: new Uint8Array(randomBytes(3_000_000)), level: 6 }], rowSha256: {} }),
  ]);
  clearInterval(watch);
  t.equal(decoded.format, 'mp3');
  t.ok(packed.zip.byteLength > 3_000_000, 'the backup was packed');
  t.equal(Math.max(most, pool.threads), 1, 'never more than one thread');
  await decoder.close();
  await archiver.close();
  t.equal(pool.threads, 1, "its users' close() leaves the shared thread to its owner");
  await pool.close();
  t.equal(pool.threads, 0);
});
