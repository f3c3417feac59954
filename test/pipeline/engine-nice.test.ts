/**
 * Engine processes run below the gateway's priority: by ENGINE_NICE (default 10), relative to the
 * priority the gateway itself runs at, whichever way they are started (wrapped in `nice` for the
 * pocketsphinx pipeline, lowered after start for espeak-ng, lowered by itself for the helper).
 */
import { execFileSync, spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { engineNice, lowerPriority, niced } from '../../pipeline/engines/engine-nice.ts';

const ours = getPriority();
const lowered = (by: number) => Math.min(19, ours + by);

t.test('ENGINE_NICE: default 10, 0 leaves commands as they are, bad values refused', async (t) => {
  t.equal(engineNice({}), 10);
  t.equal(engineNice({ ENGINE_NICE: '0' }), 0);
  t.throws(() => engineNice({ ENGINE_NICE: '-5' }), /ENGINE_NICE must be an integer from 0 to 19, got "-5"/);
  t.throws(() => engineNice({ ENGINE_NICE: 'low' }), /ENGINE_NICE/);
  t.same(niced('espeak-ng', ['-v', 'en'], 0), ['espeak-ng', ['-v', 'en']]);
});

t.test('a command started through niced() runs that much lower', async (t) => {
  // `nice` with no arguments prints the niceness it runs at.
  const [command, args] = niced('nice', [], 10);
  t.equal(Number(execFileSync(command, args, { encoding: 'utf8' }).trim()), lowered(10));
});

t.test('lowerPriority lowers a running process relative to where it was', async (t) => {
  const child = spawn('sleep', ['5']);
  t.teardown(() => child.kill());
  lowerPriority(child.pid, 7);
  t.equal(getPriority(child.pid!), lowered(7));
  lowerPriority(undefined, 7); // a process that never started: nothing happens
});

t.test('the espeak-ng helper lowers itself before it starts anything', async (t) => {
  const zygote = fileURLToPath(new URL('../../pipeline/engines/espeak-zygote.mjs', import.meta.url));
  const child = spawn(process.execPath, [zygote], { env: { ...process.env, VOICE_ENGINE_NICE: '6' }, stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => child.kill());
  await new Promise((resolve) => child.stdout.once('data', resolve)); // its "ready" frame
  t.equal(getPriority(child.pid!), lowered(6));
});
