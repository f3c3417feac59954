/**
 * The admin UI in a real browser: Debian's Chromium through playwright-core, against a real
 * gateway on loopback (in-process, as `npm start` assembles it, with the echo pipeline: the UI
 * tests need the control plane, not speech). The gateway's own start-time build is awaited, so a
 * test never runs against a stale ui/dist. One browser per test file; waits are for conditions.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { Test } from 'tap';
import { hashPassword } from '../../../control/auth/password.ts';
import type { Role } from '../../../control/repositories/users.ts';
import type { ModelCatalog } from '../../../pipeline/engines/model-catalog.ts';
import { ADMIN_TEST_ENV, startSecretaryGateway, type SecretaryGateway } from './secretary-gateway.ts';

export const UI_PASSWORD = 'a browser test password';
/** Generous: a loaded 2-core machine runs other suites beside this one. */
export const UI_TIMEOUT_MS = 30_000;

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface AdminUi {
  sg: SecretaryGateway;
  browser: Browser;
  /** A fresh browser profile (no cookies, no storage) on the gateway. */
  context(opts?: { width?: number; height?: number; colorScheme?: 'light' | 'dark' }): Promise<BrowserContext>;
  /** A user in the database with UI_PASSWORD. */
  user(username: string, role: Role): Promise<void>;
  /** Open the UI and sign in through the login form; resolves once the dashboard shows. */
  signIn(page: Page, username: string): Promise<void>;
  close(): Promise<void>;
}

export interface AdminUiOptions {
  /** Gateway settings over the defaults (the echo pipeline; `PIPELINE: 'secretary'` for real speech). */
  env?: Record<string, string>;
  /** Control-plane settings over ADMIN_TEST_ENV (TELEGRAM_API_ROOT, ...). */
  controlEnv?: Record<string, string>;
  /** More Chromium switches (the softphone's fake microphone). */
  chromiumArgs?: string[];
  /** The models the gateway offers and fetches: a test manifest on a loopback server (never a setting). */
  models?: ModelCatalog;
}

export async function startAdminUi(opts: AdminUiOptions = {}): Promise<AdminUi> {
  const sg = await startSecretaryGateway({ PIPELINE: 'echo', ...ADMIN_TEST_ENV, ...opts.env }, { ...ADMIN_TEST_ENV, ...opts.controlEnv }, {}, { models: opts.models });
  try {
    if (!(await sg.gateway.ui.built)) throw new Error(`the admin UI is not built (state ${sg.gateway.ui.state().kind}); see the gateway log`);
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...(opts.chromiumArgs ?? [])], timeout: 60_000 });
    return {
      sg,
      browser,
      async context(view = {}) {
        const ctx = await browser.newContext({
          baseURL: sg.base,
          viewport: { width: view.width ?? 1280, height: view.height ?? 800 },
          colorScheme: view.colorScheme ?? 'light',
          locale: 'en-US',
          serviceWorkers: 'block',
        });
        ctx.setDefaultTimeout(UI_TIMEOUT_MS);
        return ctx;
      },
      async user(username, role) {
        await sg.controlPlane.repos.users.create({ username, role, password_hash: await hashPassword(UI_PASSWORD, { ln: 12, r: 8, p: 1 }) });
      },
      async signIn(page, username) {
        await page.goto('/');
        await page.getByLabel('Username').fill(username);
        await page.getByLabel('Password').fill(UI_PASSWORD);
        await page.getByRole('button', { name: 'Sign in' }).click();
        await page.getByRole('heading', { level: 1, name: 'Dashboard' }).waitFor();
      },
      async close() {
        await browser.close().catch(() => {});
        await sg.stop();
      },
    };
  } catch (err) {
    await sg.stop();
    throw err;
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

/**
 * axe-core's WCAG 2.x A/AA rules on the page as it is now. Evaluated through the DevTools
 * protocol, which the page's CSP (script-src 'self') does not cover, so the app runs under its
 * real policy.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  // Once per loaded document: the source is half a megabyte to parse.
  if (!(await page.evaluate<boolean>('typeof axe !== "undefined"'))) await page.evaluate(axeSource);
  // A string, not a function: this runs in the page, whose globals (document, axe) the Node typings lack.
  return page.evaluate<AxeViolation[]>(`axe
    .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] }, resultTypes: ['violations'] })
    .then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) })))`);
}

export const describeViolations = (vs: AxeViolation[]) => vs.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join('; ')}`);

/**
 * axe on the page as it is, light then dark, without a reload: the app's theme is "system" unless
 * chosen, so it follows the emulated OS preference. Leaves the page light.
 */
export async function axeBothThemes(t: Test, page: Page, what: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    t.same(describeViolations(await axeViolations(page)), [], `${what} (${colorScheme}) passes axe`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** Go to a path the way the app's own links do (History API, then popstate for its router): no reload. */
export async function openInApp(page: Page, path: string): Promise<void> {
  await page.evaluate(`history.pushState(null, '', ${JSON.stringify(path)}); dispatchEvent(new PopStateEvent('popstate'))`);
}
