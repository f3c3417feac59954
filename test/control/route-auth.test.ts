/**
 * Walks the exported route table: every /admin, /v1 and /widget route refuses an anonymous call with
 * 401 in the one error format; only the credential-exchange routes (and the widget's, which check
 * the Origin and hand out visitor tokens) are public; a viewer is refused every route that needs
 * more; every mutating /admin route names an audit action.
 */
import t from 'tap';
import { PUBLIC_ROUTES } from '../../control/http/route-table.ts';
import { startControl } from './helpers/control.ts';

const concrete = (path: string) => path.replace(/:id\b/g, '1').replace(/:key\b/g, 'faq.threshold').replace(/:(\w+)/g, 'x');

t.test('every protected route answers 401 to anonymous and to forged credentials', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const routes = c.cp.routes.routes.map((r) => r.def);
  t.ok(routes.length >= 50, `${routes.length} routes`);
  t.ok(routes.every((r) => r.path.startsWith('/admin/') || r.path.startsWith('/v1/') || r.path.startsWith('/telegram/webhook/') || r.path.startsWith('/widget/v1/')));
  // A real widget, and a visitor call from one of its origins: what refuses them is the missing or forged token.
  const op = await c.userToken('wanda', 'operator');
  const widget = (await c.call('POST', '/admin/widgets', { token: op, body: { name: 'w', allowed_origins: ['https://shop.example'] } })).body;
  for (const r of routes) {
    const path = concrete(r.path).replace('/widget/v1/x/', `/widget/v1/${widget.public_id}/`);
    const headers = r.path.startsWith('/widget/') ? { origin: 'https://shop.example' } : undefined;
    const body = r.method === 'GET' ? undefined : {};
    if (r.auth.kind === 'public') {
      t.ok(PUBLIC_ROUTES.has(`${r.method} ${r.path}`), `${r.method} ${r.path} is a listed public route`);
      const res = await c.call(r.method, path, { body });
      t.ok(res.status >= 400 && res.status < 500, `${r.method} ${r.path} without credentials (or, for the widget's, without an Origin) fails (${res.status})`);
      t.type(res.body?.error?.code, 'string');
      continue;
    }
    for (const token of [undefined, 'not-a-token', 'vgk_000000000000_' + 'A'.repeat(43), 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.AAAA']) {
      const res = await c.call(r.method, path, { body, token, headers });
      t.equal(res.status, 401, `${r.method} ${r.path} with ${token ? 'a bad token' : 'no token'} -> 401`);
      t.type(res.body?.error?.code, 'string');
      t.type(res.body?.error?.message, 'string');
      t.same(Object.keys(res.body).sort(), ['error']);
    }
  }
});

t.test('a viewer is refused (403) every route that needs operator or admin; an API key is refused /admin', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const viewer = await c.userToken('vera', 'viewer');
  const admin = await c.userToken('adam', 'admin');
  const key = (await c.call('POST', '/admin/api-keys', { token: admin, body: { name: 'k' } })).body.key;
  for (const { def: r } of c.cp.routes.routes) {
    if (r.auth.kind !== 'user') continue;
    const path = concrete(r.path);
    if (r.auth.role !== 'viewer') {
      const res = await c.call(r.method, path, { token: viewer, body: r.method === 'GET' ? undefined : {} });
      t.equal(res.status, 403, `${r.method} ${r.path} as viewer -> 403`);
      t.equal(res.body.error.code, 'forbidden');
    }
    const res = await c.call(r.method, path, { token: key, body: r.method === 'GET' ? undefined : {} });
    t.equal(res.status, 401, `${r.method} ${r.path} with an API key -> 401`);
  }
  // 403s by an authenticated user are audited: refused attempts are security signals.
  const refused = await c.cp.repos.audit.list({ actor: 'vera' }, { limit: 1000, offset: 0 });
  const attempts = refused.items.filter((e) => e.action !== 'auth.login');
  t.ok(attempts.length > 10, `${attempts.length} refused attempts audited`);
  t.ok(attempts.every((e) => e.status === 403 && e.details?.error === 'forbidden'));
});

t.test('the table refuses unaudited mutations and unlisted public routes', async (t) => {
  const { RouteTable } = await import('../../control/http/route-table.ts');
  const handler = async () => ({ kind: 'json' as const, status: 200, body: {} });
  t.throws(() => new RouteTable([{ method: 'POST', path: '/admin/x', summary: '', tag: 't', auth: { kind: 'user', role: 'admin' }, handler }]), /audit/);
  t.throws(() => new RouteTable([{ method: 'GET', path: '/admin/x', summary: '', tag: 't', auth: { kind: 'public' }, handler }]), /PUBLIC_ROUTES/);
  const dup = { method: 'GET' as const, path: '/admin/x', summary: '', tag: 't', auth: { kind: 'user' as const, role: 'viewer' as const }, handler };
  t.throws(() => new RouteTable([dup, dup]), /duplicate/);
  const table = new RouteTable([
    { ...dup, path: '/admin/faq/:id' },
    { ...dup, path: '/admin/faq/export' },
  ]);
  const m = table.match('GET', '/admin/faq/export');
  t.equal(m.kind === 'found' && m.route.def.path, '/admin/faq/export', 'literal segments win over parameters');
  const p = table.match('GET', '/admin/faq/12/');
  t.same(p.kind === 'found' && p.params, { id: '12' }, 'trailing slash tolerated, params decoded');
  t.same(table.match('POST', '/admin/faq/12'), { kind: 'method_not_allowed', allowed: ['GET'] });
  t.same(table.match('GET', '/admin/nope'), { kind: 'not_found' });
});

t.test('the WebSocket TTS stream refuses an anonymous upgrade; new routes are in the OpenAPI document', async (t) => {
  const c = await startControl();
  t.teardown(c.stop);
  const { default: WebSocket } = await import('ws');
  const status = await new Promise<number>((resolve) => {
    const ws = new WebSocket(`ws://127.0.0.1:${c.port}/admin/tts/ws/stream`);
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('open', () => resolve(101));
    ws.once('error', () => resolve(-1));
  });
  t.equal(status, 401);
  const doc = (await c.call('GET', '/admin/openapi.json', { token: await c.userToken('vera', 'viewer') })).body;
  for (const p of ['/admin/widgets', '/admin/widgets/{id}', '/widget/v1/{widget}/sessions', '/widget/v1/{widget}/messages', '/admin/tts/stream', '/admin/tts/ws/stream', '/admin/tts/presets/{id}', '/admin/stt/transcribe', '/admin/chat/sessions/{id}/reply', '/admin/monitor/stream', '/admin/gsm/at', '/admin/backups/{name}/restore', '/admin/calls/{id}/recordings/{recordingId}', '/v1/audio/speech', '/v1/audio/transcriptions', '/admin/telegram/bots/{id}/restart', '/telegram/webhook/{id}']) {
    t.ok(doc.paths[p], `${p} documented`);
  }
  t.ok(doc.paths['/v1/audio/transcriptions'].post.requestBody.content['multipart/form-data'], 'uploads documented with their content type');
  t.equal(doc.paths['/admin/gsm/at'].post['x-required-role'], 'admin');
  t.same(doc.paths['/widget/v1/{widget}/messages'].post.security, [{ widgetVisitor: [] }], 'visitor routes name their own token');
  t.same(doc.paths['/widget/v1/{widget}/sessions'].post.security, []);
  const download = doc.paths['/admin/calls/{id}/recordings/{recordingId}'].get;
  t.ok(download.responses['200'].content['audio/wav'], 'a download documented with its content type');
  t.ok(download.responses['404'], 'and its 404');
  t.equal(download['x-required-role'], 'operator');
});
