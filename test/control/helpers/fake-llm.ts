import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A minimal OpenAI-compatible server on 127.0.0.1 that the real `openai` SDK talks to. */
/**
 * `fail`: 500 at once (a string: the error message in its body); `dropAfterWords`: stream that many
 * words, then drop the connection (a provider dying mid-answer).
 */
export async function fakeLlm(reply: string, opts: { fail?: boolean | string; dropAfterWords?: number } = {}) {
  const seen: Array<{ auth: string | undefined; body: any }> = [];
  const server = http.createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw);
    seen.push({ auth: req.headers.authorization, body });
    if (opts.fail) {
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: typeof opts.fail === 'string' ? opts.fail : 'boom' } }));
      return;
    }
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ id: 'x', object: 'chat.completion', created: 1, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    for (const [i, piece] of reply.split(' ').entries()) {
      if (i === opts.dropAfterWords) {
        res.socket?.destroy(); // the words written are in the kernel already: they reach the client before the close
        return;
      }
      const chunk = `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [{ index: 0, delta: { content: piece + ' ' }, finish_reason: null }] })}\n\n`;
      await new Promise<void>((r) => res.write(chunk, () => r()));
    }
    res.write(`data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', created: 1, model: body.model, choices: [], usage: { prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 } })}\n\n`);
    res.end('data: [DONE]\n\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen, close: () => new Promise((r) => server.close(r)) };
}
