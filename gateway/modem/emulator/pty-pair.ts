/**
 * A virtual serial cable: `socat pty,raw,echo=0,link=A pty,raw,echo=0,link=B`. The gateway opens A,
 * the emulator opens B. The links give stable names, like /dev/serial/by-id does for a real USB
 * modem, so "unplug" (kill socat: both ends vanish, open ports get an error) and "replug" (start it
 * again with the same links, new /dev/pts numbers underneath) behave like a USB replug.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';

export interface PtyPair {
  /** The stable link the gateway opens. */
  readonly hostPath: string;
  /** The stable link the emulator opens. */
  readonly devicePath: string;
  /** The /dev/pts names socat printed (host, device). */
  readonly ptys: readonly [string, string];
  readonly alive: boolean;
  /** Kill socat; both ends vanish. Resolves once it has exited. */
  destroy(): Promise<void>;
}

const START_TIMEOUT_MS = 5000;

/**
 * `sh -c WATCHDOG socat args...`: the shell lives exactly as long as socat (so an early socat failure
 * is seen at once); a subshell blocks on stdin and kills socat when the pipe closes.
 */
// (A background list gets /dev/null as stdin in a non-interactive shell, hence the copy on fd 3.)
const WATCHDOG = 'exec 3<&0; "$0" "$@" </dev/null 3<&- & s=$!; (cat <&3 >/dev/null; kill $s 2>/dev/null) & exec 3<&-; wait $s';

export async function createPtyPair(hostPath: string, devicePath: string, socatBin = 'socat'): Promise<PtyPair> {
  // A link left behind by a socat killed with SIGKILL would make the new one fail.
  await Promise.all([rm(hostPath, { force: true }), rm(devicePath, { force: true })]);
  // socat runs under a tiny shell that kills it once our end of its stdin pipe closes: on destroy(),
  // and also when this process dies without cleaning up (a killed test run), so no socat is ever
  // left behind holding /dev/pts entries.
  const child = spawn(
    'sh',
    ['-c', WATCHDOG, socatBin, '-d', '-d', `pty,raw,echo=0,link=${hostPath}`, `pty,raw,echo=0,link=${devicePath}`],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  child.stdin?.on('error', () => {}); // EPIPE once the shell is gone
  const ptys = await waitForStart(child);
  let alive = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => {
    alive = false;
    child.stdin?.end(); // lets the watchdog subshell go too
  });
  return {
    hostPath,
    devicePath,
    ptys,
    get alive() {
      return alive;
    },
    async destroy() {
      child.stdin?.end();
      await exited;
    },
  };
}

function waitForStart(child: ChildProcess): Promise<[string, string]> {
  return new Promise((resolve, reject) => {
    let log = '';
    const names: string[] = [];
    const timer = setTimeout(() => {
      child.stdin?.end();
      reject(new Error(`socat did not start within ${START_TIMEOUT_MS} ms: ${log.trim()}`));
    }, START_TIMEOUT_MS);
    const onData = (d: Buffer) => {
      log += d.toString();
      for (const m of log.matchAll(/PTY is (\/dev\/\S+)/g)) if (!names.includes(m[1])) names.push(m[1]);
      if (names.length >= 2 && log.includes('starting data transfer loop')) {
        clearTimeout(timer);
        child.stderr?.off('data', onData);
        // Keep draining stderr so socat never blocks on a full pipe.
        child.stderr?.resume();
        resolve([names[0], names[1]]);
      }
    };
    child.stderr?.on('data', onData);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run socat (is it installed?): ${err.message}`));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      child.stdin?.end();
      reject(new Error(`socat exited with ${code} before starting: ${log.trim()}`));
    });
  });
}
