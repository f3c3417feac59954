/**
 * Read a password without putting it on the command line (where `ps` and shell history see it):
 * either all of stdin (one trailing newline dropped) or an interactive prompt with echo off, asked
 * twice to catch typos.
 */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export async function readPassword(stdin: NodeJS.ReadableStream, fromStdin: boolean, say: (s: string) => void): Promise<string> {
  if (fromStdin) {
    let text = '';
    for await (const chunk of stdin) text += chunk.toString();
    return text.replace(/\r?\n$/, '');
  }
  if (!(stdin as NodeJS.ReadStream).isTTY) throw new Error('no terminal to prompt on; pass --password-stdin and pipe the password');
  const first = await prompt(stdin, 'Password: ', say);
  const second = await prompt(stdin, 'Repeat password: ', say);
  if (first !== second) throw new Error('the passwords differ');
  return first;
}

function prompt(stdin: NodeJS.ReadableStream, question: string, say: (s: string) => void): Promise<string> {
  say(question);
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input: stdin, output: muted, terminal: true });
  return new Promise((resolve) =>
    rl.question('', (answer) => {
      rl.close();
      say('\n');
      resolve(answer);
    }),
  );
}
