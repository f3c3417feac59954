import { execFileSync } from 'node:child_process';
import t from 'tap';
import { engineNice, niced } from '../../pipeline/engines/engine-nice.ts';

t.test('engine processes start at ENGINE_NICE (default 10); 0 leaves the command as it is; bad values are refused', async (t) => {
  t.equal(engineNice({}), 10);
  t.equal(engineNice({ ENGINE_NICE: '0' }), 0);
  t.throws(() => engineNice({ ENGINE_NICE: '-5' }), /ENGINE_NICE must be an integer from 0 to 19, got "-5"/);
  t.throws(() => engineNice({ ENGINE_NICE: 'low' }), /ENGINE_NICE/);
  t.same(niced('espeak-ng', ['-v', 'en'], 0), ['espeak-ng', ['-v', 'en']]);
  // `nice` with no arguments prints the niceness it runs at: the started process really is lower.
  const [command, args] = niced('nice', [], 10);
  t.equal(execFileSync(command, args, { encoding: 'utf8' }).trim(), '10');
});
