/**
 * `GET /widget.js`: the website widget's script (ui/widget), bundled in this process by esbuild's
 * JS API the first time it is asked for, so no build step stands between a checkout and a working
 * widget. The bundle is kept in memory with its gzip form and an ETag; answers revalidate after a
 * short max-age, so a new gateway version reaches the sites that embed it within minutes. A failed
 * bundle is logged, answered 500, and tried again on the next request.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type { Logger } from 'pino';
import type { UWS } from '../uws.ts';
import { internalError } from './respond.ts';

export const WIDGET_ENTRY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../ui/widget/main.ts');
/** Five minutes, then a conditional request (answered 304 while the script is the same). */
export const WIDGET_CACHE_CONTROL = 'public, max-age=300, must-revalidate';

export interface WidgetBundle {
  code: Buffer;
  gzip: Buffer;
  etag: string;
}

/** Bundle and minify the widget: one IIFE with no imports, for any page. */
export async function bundleWidget(entry = WIDGET_ENTRY): Promise<WidgetBundle> {
  const esbuild = await import('esbuild');
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'iife',
    // Browsers from 2022 on: private class members and everything else here run as written.
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    platform: 'browser',
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const code = Buffer.from(out.outputFiles[0].contents);
  return { code, gzip: gzipSync(code, { level: 9 }), etag: `"${createHash('sha256').update(code).digest('base64url').slice(0, 27)}"` };
}

export function serveWidgetScript(app: UWS.TemplatedApp, log: Logger, bundle: () => Promise<WidgetBundle> = bundleWidget): void {
  let built: Promise<WidgetBundle> | null = null;
  const get = () =>
    (built ??= bundle().catch((err: unknown) => {
      built = null; // the next request tries again
      throw err;
    }));
  app.get('/widget.js', (res, req) => {
    const ifNoneMatch = req.getHeader('if-none-match');
    const gzipOk = /\bgzip\b/i.test(req.getHeader('accept-encoding'));
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    get().then(
      (b) => {
        if (aborted) return;
        res.cork(() => {
          const notModified = ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === b.etag);
          res.writeStatus(notModified ? '304 Not Modified' : '200 OK');
          res.writeHeader('ETag', b.etag);
          res.writeHeader('Cache-Control', WIDGET_CACHE_CONTROL);
          res.writeHeader('Vary', 'Accept-Encoding');
          res.writeHeader('X-Content-Type-Options', 'nosniff');
          // Sites that isolate themselves (COEP) may still load it.
          res.writeHeader('Cross-Origin-Resource-Policy', 'cross-origin');
          if (notModified) return void res.end();
          res.writeHeader('Content-Type', 'text/javascript; charset=utf-8');
          if (gzipOk) res.writeHeader('Content-Encoding', 'gzip');
          res.end(gzipOk ? b.gzip : b.code);
        });
      },
      (err: unknown) => internalError(res, aborted, err, log, 'bundling the website widget (ui/widget) failed'),
    );
  });
}
