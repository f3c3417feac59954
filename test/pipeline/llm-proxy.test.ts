import t from 'tap';
import { FakeOpenAi } from '../fakes/fake-openai.ts';
import { ForwardProxy } from '../helpers/forward-proxy.ts';
import { parseProxyUrl, proxyClientOptions, ProxyUrlError } from '../../pipeline/net/outbound-http.ts';
import { OpenAiCompatibleLlm } from '../../pipeline/engines/llm-openai.ts';
import { deadPort } from '../helpers/dead-port.ts';
import { collect, provider, textOf } from './helpers/llm-deltas.ts';

const basic = (cred: string) => `Basic ${Buffer.from(cred).toString('base64')}`;

t.test('proxy URLs: http and https accepted, anything else refused without echoing the password', async (t) => {
  t.same(proxyClientOptions(undefined), {}, 'no proxy: the SDK keeps its own fetch');
  t.same(proxyClientOptions(null), {});
  t.equal(parseProxyUrl('https://proxy.example:8443').host, 'proxy.example:8443');
  t.throws(() => parseProxyUrl('not a url :secret@'), ProxyUrlError);
  t.throws(() => parseProxyUrl('socks5://u:secret@proxy:1080'), /only http:\/\/ and https:\/\//);
  for (const bad of ['socks5://u:secret@proxy:1080', 'u:secret@proxy:3128', 'http://u:secret@']) {
    try {
      proxyClientOptions(bad);
      t.fail(`${bad} accepted`);
    } catch (err) {
      t.type(err, ProxyUrlError);
      t.notMatch((err as Error).message, /secret/, 'the password is not in the message');
    }
  }
  const a = proxyClientOptions('http://u:p@127.0.0.1:3128');
  t.equal(typeof a.fetch, 'function', 'the npm undici fetch goes with its dispatcher');
  const b = proxyClientOptions('http://u:p@127.0.0.1:3128/');
  t.equal((a.fetchOptions as { dispatcher: unknown }).dispatcher, (b.fetchOptions as { dispatcher: unknown }).dispatcher, 'one agent per proxy');
  t.not((proxyClientOptions('http://127.0.0.1:3129').fetchOptions as { dispatcher: unknown }).dispatcher, (a.fetchOptions as { dispatcher: unknown }).dispatcher);
  t.throws(() => new OpenAiCompatibleLlm([provider('p', 'http://127.0.0.1:1/v1', { proxyUrl: 'ftp://proxy' })]), ProxyUrlError, 'a bad proxy fails construction');
});

t.test('a provider with proxyUrl streams through a CONNECT tunnel; one without does not touch the proxy', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Through the proxy we go.' }) }).start();
  const proxy = await new ForwardProxy().start();
  t.teardown(async () => {
    await fake.close();
    await proxy.close();
  });
  const via = new OpenAiCompatibleLlm([provider('via', fake.baseURL, { proxyUrl: proxy.url() })]);
  const ds = await collect(via.stream([{ role: 'user', content: 'hi' }]));
  t.equal(textOf(ds), 'Through the proxy we go.');
  t.match(ds.at(-1), { type: 'done', provider: 'via' });
  t.same(proxy.tunnels.map((x) => x.target), [`127.0.0.1:${fake.port}`], 'undici tunnels http:// targets with CONNECT');
  t.same(proxy.plainRequests, [], 'no absolute-URI requests');
  t.equal(fake.chatRequests().length, 1);

  const direct = new OpenAiCompatibleLlm([provider('direct', fake.baseURL)]);
  t.equal(textOf(await collect(direct.stream([{ role: 'user', content: 'hi' }]))), 'Through the proxy we go.');
  t.equal(proxy.tunnels.length, 1, 'the direct provider did not use the proxy');
  t.equal(fake.chatRequests().length, 2);
});

t.test('proxy credentials from the URL become Proxy-Authorization; without them the proxy refuses', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Authorised.' }) }).start();
  const proxy = await new ForwardProxy({ requireAuth: basic('ann:p@ss word') }).start();
  const userOnly = await new ForwardProxy({ requireAuth: basic('token:') }).start();
  t.teardown(async () => {
    await fake.close();
    await proxy.close();
    await userOnly.close();
  });
  const ok = new OpenAiCompatibleLlm([provider('auth', fake.baseURL, { proxyUrl: proxy.url('ann:p%40ss%20word') })]);
  t.equal(textOf(await collect(ok.stream([{ role: 'user', content: 'x' }]))), 'Authorised.');
  t.equal(proxy.tunnels[0].proxyAuthorization, basic('ann:p@ss word'), 'percent-encoded credentials are decoded');

  const bare = new OpenAiCompatibleLlm([provider('token', fake.baseURL, { proxyUrl: userOnly.url('token') })]);
  t.equal(textOf(await collect(bare.stream([{ role: 'user', content: 'x' }]))), 'Authorised.', 'a user without a password is sent too');

  const anon = new OpenAiCompatibleLlm([provider('anon', fake.baseURL, { proxyUrl: proxy.url() })]);
  await t.rejects(collect(anon.stream([{ role: 'user', content: 'x' }])), /all LLM providers failed: anon:/);
  t.equal(fake.chatRequests().length, 2, 'the refused request never reached the server');
});

t.test('a proxy that is down fails its provider and the chain moves to the next', async (t) => {
  const fake = await new FakeOpenAi({ chat: () => ({ text: 'Second one answers.' }) }).start();
  t.teardown(() => fake.close());
  const down = `http://127.0.0.1:${await deadPort()}`;
  const llm = new OpenAiCompatibleLlm([provider('proxied', fake.baseURL, { proxyUrl: down }), provider('direct', fake.baseURL)]);
  const ds = await collect(llm.stream([{ role: 'user', content: 'x' }]));
  t.equal(textOf(ds), 'Second one answers.');
  t.match(ds.at(-1), { type: 'done', provider: 'direct' });
  t.equal(fake.chatRequests().length, 1, 'only the direct provider reached the server');
  const h = llm.health();
  t.equal(h.ok, true);
  t.match(h.detail, /^proxied: /);
});
