/**
 * Run the SIM7600E-H emulator on its own:
 *
 *   node --import tsx gateway/modem/emulator/cli.ts [--ring +79161234567] [--wav caller.wav]
 *       [--ring-interval-ms 3000] [--reboot-delay-ms 8000] [--cvhu 1] [--dir /tmp/sim]
 *
 * Prints one JSON line with the two device paths ({"at": ..., "audio": ...}), then serves until
 * SIGINT/SIGTERM. Open the AT path with any terminal (e.g. `socat - $AT,raw,echo=0,crlf`) to talk to it.
 */
import { parseArgs } from 'node:util';
import { readWavFile } from '../../../media/wav.ts';
import { createResampler } from '../../../media/resampler.ts';
import { Sim7600Emulator } from './sim7600-emulator.ts';

const { values } = parseArgs({
  options: {
    ring: { type: 'string' },
    wav: { type: 'string' },
    dir: { type: 'string' },
    'ring-interval-ms': { type: 'string' },
    'reboot-delay-ms': { type: 'string' },
    cvhu: { type: 'string' },
  },
});

const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
const emulator = new Sim7600Emulator({
  dir: values.dir,
  ringIntervalMs: num(values['ring-interval-ms']),
  rebootDelayMs: num(values['reboot-delay-ms']),
  cvhuDefault: values.cvhu === '0' ? 0 : values.cvhu === '1' ? 1 : undefined,
});
const paths = await emulator.start();
process.stdout.write(JSON.stringify({ at: paths.atPath, audio: paths.audioPath }) + '\n');

if (values.wav) {
  const wav = await readWavFile(values.wav);
  const samples = wav.sampleRate === 8000 ? wav.samples : createResampler(wav.sampleRate, 8000).process(wav.samples);
  emulator.playCallerAudio(samples);
}
if (values.ring) emulator.ring(values.ring);

emulator.on('command', (c) => process.stderr.write(`<< ${c}\n`));
emulator.on('hangup', (h) => process.stderr.write(`call ended: ${JSON.stringify(h)}\n`));

const shutdown = async () => {
  await emulator.stop();
  process.exit(0);
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
