/**
 * The layering of DESIGN.md ("Layout"), checked on every import in the repository's server code:
 * which folder may import which, only gateway/ knows uWebSockets.js, and no import cycles among
 * control/'s modules. A type-only import counts (test/helpers/import-graph.ts says why).
 *
 *   npx tap test/layering.test.ts
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { importCycles, importGraph } from './helpers/import-graph.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Our folders and the folders each may import (DESIGN.md, "Layout"). runtime/ is not in DESIGN's
 * table: it holds process helpers (CLI arguments, private files, owned temp files) that every
 * folder may use, and it imports nothing of ours. bench/ and test/ may import anything.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
  media: ['native-addons', 'runtime'],
  'native-addons': [],
  pipeline: ['media', 'models', 'runtime'],
  models: ['runtime'],
  gateway: ['media', 'pipeline', 'control', 'runtime'],
  control: ['pipeline', 'media', 'runtime'],
  runtime: [],
};
/** Packages only some folders may import: only gateway/ knows uWS (DESIGN.md). */
const PACKAGE_OWNERS: Record<string, readonly string[]> = { 'uWebSockets.js': ['gateway'] };

const folderOf = (file: string) => file.split('/')[0];

/** `from imports to` where the layering forbids it, as sentences. */
function layeringViolations(graph: ReturnType<typeof importGraph>): string[] {
  const out: string[] = [];
  for (const [from, imports] of graph.imports) {
    const folder = folderOf(from);
    for (const to of new Set(imports)) {
      const target = folderOf(to);
      const owners = PACKAGE_OWNERS[to];
      if (owners && !owners.includes(folder)) out.push(`${from} imports ${to}, which only ${owners.map((o) => o + '/').join(', ')} may import`);
      else if (target !== folder && target in MAY_IMPORT && !MAY_IMPORT[folder].includes(target)) {
        const allowed = MAY_IMPORT[folder].map((f) => f + '/').join(', ') || 'nothing of ours';
        out.push(`${from} imports ${to} (${folder}/ may import ${allowed})`);
      }
    }
  }
  return out.sort();
}

t.test('every folder imports only what DESIGN.md allows; only gateway/ imports uWebSockets.js', async (t) => {
  const graph = importGraph(ROOT, Object.keys(MAY_IMPORT));
  t.ok(graph.imports.size > 100, `scanned ${graph.imports.size} files`);
  t.ok(graph.imports.get('gateway/uws.ts')?.includes('uWebSockets.js'), 'the scan sees the one uWS import');
  t.same(layeringViolations(graph), []);
});

t.test('no import cycles among control/ modules', async (t) => {
  const graph = importGraph(ROOT, Object.keys(MAY_IMPORT));
  const cycles = importCycles(graph, (f) => f.startsWith('control/'));
  t.same(cycles.map((c) => c.circle.join(' -> ')), [], 'no cycles');
  const elsewhere = importCycles(graph, (f) => !f.startsWith('control/'));
  for (const c of elsewhere) t.comment(`cycle outside control/ (not failed on here): ${c.circle.join(' -> ')}`);
});

t.test('the scanner sees every kind of import, and finds cycles and where they close', async (t) => {
  const root = mkdtempSync(path.join(tmpdir(), 'vg-layering-'));
  t.teardown(() => rmSync(root, { recursive: true, force: true }));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  };
  write('control/a.ts', "import type { B } from './b.ts';\nexport const a = 1;\n");
  write('control/b.ts', "export { c } from './sub/c.ts';\nexport type B = number;\n");
  write('control/sub/c.ts', "export const c = () => import('../a.ts');\n");
  write('control/d.mjs', "import x from 'uWebSockets.js';\nconst y = require('@scope/pkg/deep');\n");
  write('control/self.ts', "import './self.ts';\n");
  write('control/node_modules/skip.ts', "import '../../gateway/x.ts';\n");
  write('gateway/g.ts', "import { a } from '../control/a.ts';\nimport type T from '../control/sub/c.ts';\n");

  const graph = importGraph(root, ['control', 'gateway']);
  t.same(graph.imports.get('control/a.ts'), ['control/b.ts'], 'import type');
  t.same(graph.imports.get('control/b.ts'), ['control/sub/c.ts'], 'export ... from');
  t.same(graph.imports.get('control/sub/c.ts'), ['control/a.ts'], 'dynamic import()');
  t.same(graph.imports.get('control/d.mjs'), ['uWebSockets.js', '@scope/pkg'], 'packages in .mjs, require() and a scoped subpath');
  t.notOk(graph.imports.has('control/node_modules/skip.ts'), 'node_modules is not scanned');

  const cycles = importCycles(graph, (f) => f.startsWith('control/'));
  t.same(cycles, [
    { members: ['control/a.ts', 'control/b.ts', 'control/sub/c.ts'], circle: ['control/a.ts', 'control/b.ts', 'control/sub/c.ts', 'control/a.ts'] },
    { members: ['control/self.ts'], circle: ['control/self.ts', 'control/self.ts'] },
  ]);
  t.same(layeringViolations(graph), ['control/d.mjs imports uWebSockets.js, which only gateway/ may import']);
  write('control/e.ts', "import { g } from '../gateway/g.ts';\n");
  t.same(layeringViolations(importGraph(root, ['control', 'gateway'])), [
    'control/d.mjs imports uWebSockets.js, which only gateway/ may import',
    'control/e.ts imports gateway/g.ts (control/ may import pipeline/, media/, runtime/)',
  ]);
});
