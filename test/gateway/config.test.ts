import t from 'tap';
import { ConfigError, DEFAULT_PORT, loadConfig } from '../../gateway/config.ts';

t.test('defaults: port 8002, echo pipeline, no built-in token', async (t) => {
  const c = loadConfig({});
  t.equal(c.port, DEFAULT_PORT);
  t.equal(c.port, 8002);
  t.equal(c.voice.path, '/ws/voice');
  t.equal(c.voice.token, undefined);
  t.equal(c.logLevel, 'info');
});

t.test('PORT wins over ORCHESTRATOR_PORT, which is accepted for compatibility', async (t) => {
  t.equal(loadConfig({ ORCHESTRATOR_PORT: '9000' }).port, 9000);
  t.equal(loadConfig({ ORCHESTRATOR_PORT: '9000', PORT: '9001' }).port, 9001);
});

t.test('bad values name the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), ConfigError);
  t.throws(() => loadConfig({ PORT: '70000' }), /PORT/);
  t.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/);
  t.throws(() => loadConfig({ VOICE_WS_TOKEN: 'short' }), /at least 16/);
});
