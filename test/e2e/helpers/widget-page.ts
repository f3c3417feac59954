/**
 * What the widget's browser tests share: Debian's Chromium through playwright-core (skipped where
 * it is missing), and a host page served from its own loopback server, so the page's origin is
 * never the gateway's: http://127.0.0.1:<port> (give it to the widget's allowed origins) or, for
 * the same page under a name the widget does not allow, http://localhost:<port>.
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = () => existsSync(CHROMIUM);

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
  });
}

export interface HostPage {
  port: number;
  /** The page's allowed origin (127.0.0.1). */
  origin: string;
  close(): Promise<void>;
}

/** Serves `html(lang)` for any path; `?lang=ru` asks for a Russian page. */
export async function serveHostPage(html: (lang: 'en' | 'ru') => string): Promise<HostPage> {
  const server = http.createServer((req, res) => {
    const lang = new URL(req.url ?? '/', 'http://x').searchParams.get('lang') === 'ru' ? 'ru' : 'en';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html(lang));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return { port, origin: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

/** The embedding snippet, with the gateway addressed as localhost (another origin than the page's). */
export const widgetSnippet = (gatewayBase: string, widgetId: string) =>
  `<script src="${gatewayBase.replace('127.0.0.1', 'localhost')}/widget.js" data-widget="${widgetId}" async></script>`;
