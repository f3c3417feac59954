import t from 'tap';
import { parseClientMessage } from '../../gateway/ws/protocol.ts';

t.test('valid messages parse', async (t) => {
  t.match(parseClientMessage('{"type":"start","codec":"mulaw","sample_rate":8000}'), { ok: true, message: { type: 'start', codec: 'mulaw' } });
  t.match(parseClientMessage('{"type":"dtmf","digits":"12*#"}'), { ok: true });
  t.match(parseClientMessage('{"type":"hangup"}'), { ok: true });
});

t.test('each kind of bad message gets its own code', async (t) => {
  t.match(parseClientMessage('nope'), { ok: false, code: 'bad_json' });
  t.match(parseClientMessage('"start"'), { ok: false, code: 'invalid_message' });
  t.match(parseClientMessage('{"codec":"mulaw"}'), { ok: false, code: 'invalid_message' });
  t.match(parseClientMessage('{"type":"__proto__"}'), { ok: false, code: 'unknown_type' });
  t.match(parseClientMessage('{"type":"toString"}'), { ok: false, code: 'unknown_type' });
  t.match(parseClientMessage('{"type":"start","codec":"mulaw","extra":1}'), { ok: false, code: 'invalid_message' });
  t.match(parseClientMessage('{"type":"text","text":""}'), { ok: false, code: 'invalid_message' });
  const long = parseClientMessage(JSON.stringify({ type: 'x'.repeat(10000) }));
  t.ok(!long.ok && long.message.length < 200, 'error messages stay short whatever the input');
});
