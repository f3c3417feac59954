/**
 * The gateway's half of "no extra command" (docs/ui.md, "Build"): at start, ui/build.mjs runs in
 * a child process (Vite never loads into the gateway, and the event loop stays free) and builds
 * ui/dist when it is missing or was built from other sources; a current build costs a hash of the
 * sources. The gateway listens meanwhile and answers the UI's paths with "being built".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const UI_BUILD_SCRIPT = fileURLToPath(new URL('../../ui/build.mjs', import.meta.url));

export interface UiBuildRun {
  /** Resolves once the build ended: true when ui/dist is current (built now or already). */
  readonly done: Promise<boolean>;
  /** Stop a build still running (the gateway is closing); its lock is taken over by the next one. */
  stop(): void;
}

type WarnLog = { warn(obj: Record<string, unknown>, msg: string): void; info(obj: Record<string, unknown>, msg: string): void };

export function buildUiInBackground(log: WarnLog): UiBuildRun {
  let child: ChildProcess | null = spawn(process.execPath, [UI_BUILD_SCRIPT, '--strict'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const done = new Promise<boolean>((resolve) => {
    child!.once('error', (err) => {
      log.warn({ err }, 'the admin UI build could not start');
      resolve(false);
    });
    child!.once('exit', (code, signal) => {
      child = null;
      if (code === 0) {
        if (/built into/.test(out)) log.info({ output: out.trim() }, 'admin UI built');
        resolve(true);
      } else {
        if (!signal) log.warn({ code, output: out.trim() }, 'the admin UI build failed; the UI is served from the previous build, if any');
        resolve(false);
      }
    });
  });
  return {
    done,
    stop() {
      child?.kill('SIGTERM');
    },
  };
}
