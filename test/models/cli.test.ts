import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { EXIT, main } from '../../models/cli.ts';
import { closedPort } from './archive-server.ts';
import { tempDir } from '../helpers/temp-dir.ts';

function io(env: Record<string, string> = {}) {
  const base = tempDir('models-cli-');
  const out = { stdout: '', stderr: '' };
  return {
    base, out,
    io: {
      stdout: { write: (s: string) => { out.stdout += s; } },
      stderr: { write: (s: string) => { out.stderr += s; }, isTTY: false },
      env: { MODELS_DIR: join(base, 'models'), HF_HOME: join(base, 'hf'), ...env },
      cwd: base,
    },
  };
}

t.test('list --json describes the manifest and the disk', async (t) => {
  const c = io();
  mkdirSync(join(c.base, 'models', 'silero_vad'), { recursive: true });
  writeFileSync(join(c.base, 'models', 'silero_vad', 'silero_vad.onnx'), 'x');
  t.equal(await main(['list', '--json'], c.io), EXIT.ok);
  const d = JSON.parse(c.out.stdout);
  t.equal(d.modelsDir, join(c.base, 'models'));
  t.equal(d.hubDir, join(c.base, 'hf', 'hub'));
  t.match(d.entries.find((e: { name: string }) => e.name === 'silero_vad'), { status: { state: 'complete' } });
});

t.test('list as a table', async (t) => {
  const c = io();
  t.equal(await main(['list'], c.io), EXIT.ok);
  t.match(c.out.stdout, /^name\s+kind\s+languages\s+download\s+verified\s+status\n/);
  t.match(c.out.stdout, /vits-piper-ru_RU-irina-medium\s+tts\s+ru\s+67\.2 MB\s+yes\s+-/);
});

t.test('unknown names and commands are usage errors with suggestions', async (t) => {
  const c = io();
  t.equal(await main(['fetch', 'irina'], c.io), EXIT.usage);
  t.match(c.out.stderr, /unknown model 'irina'\ndid you mean:\n {2}vits-piper-ru_RU-irina-medium\n/);
  // A name reaches file paths (the models dir, the unpacked directory) only once the manifest knows it.
  for (const name of ['../../../etc', '/etc/passwd', 'silero_vad/../..']) {
    t.equal(await main(['fetch', name], c.io), EXIT.usage, name);
    t.match(c.out.stderr, `unknown model '${name}'`);
  }
  t.equal(await main(['frobnicate'], c.io), EXIT.usage);
  t.equal(await main(['info'], c.io), EXIT.usage);
  t.equal(await main(['list', '--bogus'], c.io), EXIT.usage);
});

t.test('info shows the entry and where it would be loaded from', async (t) => {
  const c = io();
  t.equal(await main(['info', 'sherpa-onnx-whisper-tiny', '--json'], c.io), EXIT.ok);
  t.match(JSON.parse(c.out.stdout), { name: 'sherpa-onnx-whisper-tiny', engine: { type: 'whisper' }, status: { state: 'missing' }, enginePaths: null });
});

t.test('verify fails for a model that is not installed', async (t) => {
  const c = io();
  t.equal(await main(['verify', 'silero_vad'], c.io), EXIT.failed);
  t.match(c.out.stderr, /not installed/);
});

t.test('the real entry point: offline fetch exits 3 with the hand-download hint', async (t) => {
  // The spawned CLI uses the real manifest URL, so route it through a proxy on a dead local port:
  // nothing leaves this machine, and an unreachable proxy is the same failure a user sees offline.
  const port = await closedPort();
  const base = tempDir('models-cli-spawn-');
  const res = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'models/cli.ts', 'fetch', 'silero_vad', '--dir', join(base, 'm')], {
      cwd: process.cwd(),
      env: { ...process.env, HTTPS_PROXY: `http://127.0.0.1:${port}`, NO_PROXY: '' },
    }, (err, _stdout, stderr) => resolve({ code: err ? (err as { code?: number }).code ?? 1 : 0, stderr }));
  });
  t.equal(res.code, EXIT.offline);
  t.match(res.stderr, `cannot reach 127.0.0.1:${port}: are you offline? download https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/silero_vad.onnx by hand and place it in ${join(base, 'm')}`);
});
