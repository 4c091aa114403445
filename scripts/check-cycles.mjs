// `npm run lint:cycles`: fails on import cycles in the collector's and the recorder's sources, both
// between files and between the folders directly under src/. A loop between folders hides the data
// flow as much as one between files: neither folder can then be read, moved or tested without the other.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const checked = [
  { src: 'server/src', tsConfig: 'server/tsconfig.json' },
  { src: 'packages/core/src', tsConfig: 'packages/core/tsconfig.json' },
];

/** `access/router.ts` -> `access`, `collector.ts` -> `collector`: the rooms of src/. */
const unitOf = (file) => (file.includes('/') ? file.slice(0, file.indexOf('/')) : file.replace(/\.tsx?$/, ''));

/** Strongly connected groups of more than one node (Tarjan), each a loop. */
function loops(graph) {
  const index = new Map();
  const low = new Map();
  const stack = [];
  const found = [];
  const visit = (node) => {
    index.set(node, index.size);
    low.set(node, index.get(node));
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node), low.get(next)));
      } else if (stack.includes(next)) {
        low.set(node, Math.min(low.get(node), index.get(next)));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group = stack.splice(stack.indexOf(node));
      if (group.length > 1) found.push(group.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

let failed = false;
for (const { src, tsConfig } of checked) {
  const result = await madge(resolve(root, src), {
    fileExtensions: ['ts', 'tsx'],
    tsConfig: resolve(root, tsConfig),
    excludeRegExp: [/\.test\.tsx?$/, /\.d\.ts$/],
  });
  const fileLoops = result.circular();
  const folders = new Map();
  for (const [file, imports] of Object.entries(result.obj())) {
    const from = unitOf(file);
    if (!folders.has(from)) folders.set(from, new Set());
    for (const imported of imports) if (unitOf(imported) !== from) folders.get(from).add(unitOf(imported));
  }
  const folderLoops = loops(folders);
  for (const loop of fileLoops)
    console.error(`${src}: files import each other in a loop: ${loop.join(' -> ')} -> ${loop[0]}`);
  for (const loop of folderLoops) {
    const ties = loop.flatMap((from) =>
      Object.entries(result.obj())
        .filter(([file]) => unitOf(file) === from)
        .flatMap(([file, imports]) =>
          imports
            .filter((imported) => unitOf(imported) !== from && loop.includes(unitOf(imported)))
            .map((imported) => `${file} -> ${imported}`),
        ),
    );
    console.error(`${src}: folders import each other in a loop: ${loop.join(', ')}\n  ${ties.join('\n  ')}`);
  }
  if (fileLoops.length > 0 || folderLoops.length > 0) failed = true;
  else console.log(`${src}: no import cycles between files or folders (${Object.keys(result.obj()).length} files)`);
}
if (failed) {
  console.error('Break each loop by moving the shared piece into a folder of its own that both sides import.');
  process.exit(1);
}
