/**
 * STT_ENGINE / TTS_ENGINE reach the secretary pipeline `npm start` builds: sherpa-onnx models (the
 * tiny generated ones) are loaded at start, show in /health, and speak the greeting; a bad model
 * directory fails the start with the directory named.
 */
import path from 'node:path';
import t from 'tap';
import { loadConfig } from '../../gateway/config.ts';
import { createLogger } from '../../gateway/logger.ts';
import { HealthRegistry } from '../../gateway/observability/health.ts';
import { createPipelineFactory } from '../../gateway/pipeline-factory.ts';
import { makeTinyModels } from '../fixtures/tiny-models.ts';
import { until } from '../helpers/until.ts';

const models = makeTinyModels();
t.teardown(models.cleanup);
const skip = models.skip ? { skip: models.skip } : {};
const log = createLogger('silent');

t.test('STT_ENGINE=sherpa-online and TTS_ENGINE=sherpa from MODELS_DIR: loaded, healthy, the greeting is spoken', skip, async (t) => {
  const config = loadConfig({ PIPELINE: 'secretary', MODELS_DIR: models.dir, STT_ENGINE: 'sherpa-online', STT_MODEL_DIR: path.join(models.dir, 'zipformer2-ctc'), TTS_ENGINE: 'sherpa', TTS_MODEL_DIR: path.join(models.dir, 'vits') });
  const pipelines = await createPipelineFactory(config, { log });
  t.teardown(() => pipelines.close());
  const health = new HealthRegistry();
  pipelines.registerHealth(health);
  const report = await health.report();
  t.match(report.components.stt, { status: 'ok', engine: /sherpa/ });
  t.match(report.components.tts, { status: 'ok', engine: /sherpa/ });
  const call = pipelines.factory({ callId: 'c1', channel: 'ws' });
  call.start();
  let samples = 0;
  await until('greeting audio from the sherpa voice', () => {
    for (let pcm = call.pullAudio(); pcm; pcm = call.pullAudio()) samples += pcm.length;
    return samples >= 1600;
  });
  await call.close('test over');
});

t.test('a model directory that is not there fails the start, naming it', async (t) => {
  const config = loadConfig({ PIPELINE: 'secretary', STT_ENGINE: 'sherpa-offline', STT_MODEL_DIR: '/nonexistent/whisper' });
  await t.rejects(createPipelineFactory(config, { log }), /\/nonexistent\/whisper/);
});
