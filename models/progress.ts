// A small progress bar for model downloads, written to stderr so stdout stays clean for --json.
// On a terminal it redraws one line in place; in a log (CI, systemd, a pipe) carriage returns
// would pile up as garbage, so it prints a plain line every 10% or every 10 seconds instead.
// (No progress-bar dependency: cli-progress would do, but this is all we need.)
import type { FetchEvent, FetchListener } from './fetch-events.ts';

export interface ProgressOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return i === 0 ? `${n} B` : `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

export function progressLine(e: Extract<FetchEvent, { type: 'progress' }>, width = 24): string {
  const speed = `${formatBytes(Math.round(e.bytesPerSecond))}/s`;
  if (e.total === null || e.total <= 0) return `${formatBytes(e.received)}  ${speed}`;
  const frac = Math.min(1, e.received / e.total);
  const filled = Math.round(frac * width);
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `[${bar}] ${(frac * 100).toFixed(1).padStart(5)}%  ${formatBytes(e.received)} / ${formatBytes(e.total)}  ${speed}  ETA ${formatDuration(e.etaSeconds)}`;
}

export interface ReporterOptions {
  now?: () => number;
  redrawMs?: number; // TTY: at most one redraw per this many ms
  logEveryMs?: number; // non-TTY: a line at least this often
}

export function createProgressReporter(out: ProgressOutput, opts: ReporterOptions = {}): FetchListener {
  const now = opts.now ?? (() => performance.now());
  const redrawMs = opts.redrawMs ?? 100;
  const logEveryMs = opts.logEveryMs ?? 10_000;
  const tty = out.isTTY === true;
  let lastDraw = -Infinity;
  let lastDecile = -1;
  let onBarLine = false;

  const endBar = () => { if (onBarLine) { out.write('\n'); onBarLine = false; } };
  const say = (msg: string) => { endBar(); out.write(msg + '\n'); };

  return (e) => {
    switch (e.type) {
      case 'start':
        lastDecile = -1;
        lastDraw = -Infinity;
        say(e.resumedFrom > 0 ? `resuming ${e.url} from ${formatBytes(e.resumedFrom)}` : `downloading ${e.url}`);
        break;
      case 'progress': {
        const t = now();
        if (tty) {
          const done = e.total !== null && e.received >= e.total;
          if (t - lastDraw < redrawMs && !done) return;
          lastDraw = t;
          const line = progressLine(e);
          const width = out.columns ?? 100;
          out.write('\r' + line.slice(0, width - 1).padEnd(Math.min(width - 1, line.length)));
          onBarLine = true;
        } else {
          const decile = e.total ? Math.floor((e.received / e.total) * 10) : -1;
          if (decile > lastDecile || t - lastDraw >= logEveryMs) {
            lastDecile = Math.max(lastDecile, decile);
            lastDraw = t;
            out.write(progressLine(e) + '\n');
          }
        }
        break;
      }
      case 'redirect': break; // GitHub always redirects to its CDN; not worth a line
      case 'retry': say(`connection lost (${e.error}); retry ${e.attempt} in ${(e.delayMs / 1000).toFixed(1)} s, resuming where it stopped`); break;
      case 'verify': say(`verifying ${e.file}`); break;
      case 'unpinned': say(`sha256 ${e.sha256} (${e.sizeBytes} bytes): not pinned in models/manifest.json; pin it once you trust this download`); break;
      case 'warning': say(`warning: ${e.message}`); break;
      case 'extract': say(`unpacking ${e.file}`); break;
      case 'done': say(`installed ${e.path}`); break;
    }
  };
}
