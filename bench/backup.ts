/**
 * Backups beside live calls: how long building and checking a backup with large recordings holds
 * the event loop (which paces every call's audio at 20 ms), ours (hashing, the manifest, zip and
 * unzip on the archive thread, async file I/O) against the same work done synchronously (zipSync / unzipSync / createHash, what BackupService did before), in one run.
 *
 *   npm run bench -- backup [--json] [--mb 60]
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { encodeWav } from '../media/wav.ts';
import { startControl } from '../test/control/helpers/control.ts';
import { machineInfo } from './lib/machine.ts';

const round = (x: number) => Math.round(x * 10) / 10;

/** Wall time of `fn` and the longest gap between 1 ms timer ticks while it ran (the loop's worst stall). */
async function stall<T>(fn: () => Promise<T> | T): Promise<{ result: T; wall_ms: number; loop_stall_max_ms: number }> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const started = performance.now();
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 5)); // a stall at the very end shows in the next tick
    worst = Math.max(worst, performance.now() - last);
    return { result, wall_ms: round(performance.now() - started - 5), loop_stall_max_ms: round(worst) };
  } finally {
    clearInterval(timer);
  }
}

export async function runBackupBench(opts: { mb?: number; onProgress?: (m: string) => void } = {}) {
  const progress = opts.onProgress ?? (() => {});
  const mb = opts.mb ?? 60;
  const c = await startControl();
  try {
    // Line noise compresses as badly as speech does: three calls' recordings of mb/3 each.
    progress(`writing ${mb} MB of recordings`);
    mkdirSync(c.cp.recordings.dir, { recursive: true });
    await c.cp.repos.calls.start({ id: 'bench-call', channel: 'modem', direction: 'inbound', caller_number: '+15550100' });
    for (let i = 0; i < 3; i++) {
      const samples = Math.floor((mb * 1024 * 1024) / 3 / 2);
      const pcm = new Int16Array(randomBytes(samples * 2).buffer).map((s) => s >> 4);
      const file = path.join(c.cp.recordings.dir, `bench-${i}.wav`);
      writeFileSync(file, encodeWav(pcm, 8000));
      await c.cp.recordings.register('bench-call', file, Math.round(samples / 8), 'wav');
    }
    progress('building a backup (ours)');
    const built = await stall(() => c.cp.backups.create());
    const zip = await c.cp.backups.read(built.result.name);
    progress('checking it (ours)');
    const copy = new Uint8Array(zip); // validate moves its buffer to the archive thread
    const checked = await stall(() => c.cp.backups.validate(copy));

    // The same work, synchronously, on the same entries.
    const entries = unzipSync(zip);
    progress('building it synchronously (baseline)');
    const syncBuilt = await stall(() => {
      const files: Zippable = {};
      for (const [name, data] of Object.entries(entries)) {
        createHash('sha256').update(data).digest('hex');
        files[name] = [data, { level: name.startsWith('recordings/') ? 1 : 6 }];
      }
      return zipSync(files).byteLength;
    });
    progress('checking it synchronously (baseline)');
    const syncChecked = await stall(() => {
      const files = unzipSync(zip);
      for (const data of Object.values(files)) createHash('sha256').update(data).digest('hex');
      return Object.keys(files).length;
    });
    const pick = ({ wall_ms, loop_stall_max_ms }: { wall_ms: number; loop_stall_max_ms: number }) => ({ wall_ms, loop_stall_max_ms });
    return {
      bench: 'backup',
      recordings_mb: mb,
      zip_mb: round(zip.byteLength / 1024 / 1024),
      build: { ours: pick(built), sync: pick(syncBuilt), stall_ratio_sync_over_ours: round(syncBuilt.loop_stall_max_ms / built.loop_stall_max_ms) },
      validate: { ours: pick(checked), sync: pick(syncChecked), stall_ratio_sync_over_ours: round(syncChecked.loop_stall_max_ms / checked.loop_stall_max_ms) },
      machine: machineInfo(),
    };
  } finally {
    await c.stop();
  }
}
