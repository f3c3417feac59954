/**
 * Who imports whom in this repository, read with TypeScript's own scanner (ts.preProcessFile): static
 * imports including `import type`, `export ... from`, dynamic `import()` and `require()`, in .ts and
 * .mjs/.js files alike. A type-only import counts: it ties the modules together as much as a value
 * import does, it only disappears from the emitted JavaScript.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'build', 'dist']);

export interface ImportGraph {
  /** Repository-relative path (`control/http/router.ts`) -> what it imports: repository-relative paths for relative specifiers, package names (`uWebSockets.js`, `@scope/pkg`) for the rest. */
  readonly imports: ReadonlyMap<string, readonly string[]>;
}

/** The source files under `folders` (relative to `root`) and their imports. */
export function importGraph(root: string, folders: readonly string[]): ImportGraph {
  const imports = new Map<string, string[]>();
  for (const folder of folders) {
    for (const file of sourceFiles(path.join(root, folder))) {
      const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
      const from = toPosix(path.relative(root, file));
      imports.set(
        from,
        importedFiles.map(({ fileName: spec }) => (spec.startsWith('.') ? toPosix(path.relative(root, path.resolve(path.dirname(file), spec))) : packageName(spec))),
      );
    }
  }
  return { imports };
}

function* sourceFiles(dir: string): Generator<string> {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    if (e.name.startsWith('.') || SKIPPED_DIRS.has(e.name)) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) yield* sourceFiles(p);
    else if (SOURCE.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

const toPosix = (p: string) => p.split(path.sep).join('/');

/** `@scope/pkg/sub` -> `@scope/pkg`, `pkg/sub` -> `pkg`; `node:fs` stays as it is. */
function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * The import cycles among the files `within` selects: each strongly connected component of two or
 * more files (or a file importing itself), as its sorted member list, plus one concrete circle
 * through it (`a -> b -> a`) to show where it closes.
 */
export function importCycles(graph: ImportGraph, within: (file: string) => boolean): Array<{ members: string[]; circle: string[] }> {
  const nodes = [...graph.imports.keys()].filter(within);
  const edges = (n: string) => (graph.imports.get(n) ?? []).filter((m) => graph.imports.has(m) && within(m));
  // Tarjan's algorithm, iterative so a deep chain cannot overflow the stack.
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  for (const start of nodes) {
    if (index.has(start)) continue;
    const work: Array<{ node: string; next: number }> = [{ node: start, next: 0 }];
    index.set(start, counter);
    low.set(start, counter++);
    stack.push(start);
    onStack.add(start);
    while (work.length) {
      const top = work[work.length - 1];
      const out = edges(top.node);
      if (top.next < out.length) {
        const w = out[top.next++];
        if (!index.has(w)) {
          index.set(w, counter);
          low.set(w, counter++);
          stack.push(w);
          onStack.add(w);
          work.push({ node: w, next: 0 });
        } else if (onStack.has(w)) low.set(top.node, Math.min(low.get(top.node)!, index.get(w)!));
        continue;
      }
      work.pop();
      if (work.length) {
        const parent = work[work.length - 1].node;
        low.set(parent, Math.min(low.get(parent)!, low.get(top.node)!));
      }
      if (low.get(top.node) !== index.get(top.node)) continue;
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== top.node);
      if (component.length > 1 || out.includes(top.node)) components.push(component.sort());
    }
  }
  return components.sort((a, b) => a[0].localeCompare(b[0])).map((members) => ({ members, circle: shortestCircle(members[0], new Set(members), edges) }));
}

/** The shortest way from `start` back to itself inside its component (breadth first). */
function shortestCircle(start: string, members: ReadonlySet<string>, edges: (n: string) => string[]): string[] {
  const cameFrom = new Map<string, string>();
  const queue = [start];
  for (let i = 0; i < queue.length; i++) {
    const n = queue[i];
    for (const m of edges(n)) {
      if (!members.has(m)) continue;
      if (m === start) {
        const circle = [start];
        for (let at: string | undefined = n; at !== undefined && at !== start; at = cameFrom.get(at)) circle.splice(1, 0, at);
        return [...circle, start];
      }
      if (!cameFrom.has(m)) {
        cameFrom.set(m, n);
        queue.push(m);
      }
    }
  }
  return [start];
}
