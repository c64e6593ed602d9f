// The import graph of packages/*/src: every file's imports (relative, @http-kit/* and node:*), checked for
// cycles (type-only imports included) and for the layering rules below. Exits 1 on a violation.
//
//   node scripts/import-graph.mjs          prints the cycles and rule breaks found, or "ok"
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRIES = {
  '@http-kit/core': 'packages/core/src/index.ts',
  '@http-kit/http1': 'packages/http1/src/index.ts',
  '@http-kit/http1/codec': 'packages/http1/src/codec/index.ts',
  '@http-kit/websocket': 'packages/websocket/src/index.ts',
  '@http-kit/client': 'packages/client/src/index.ts',
  '@http-kit/middleware': 'packages/middleware/src/index.ts',
  '@http-kit/conformance': 'packages/conformance/src/index.ts',
  '@http-kit/load': 'packages/load/src/index.ts',
};

/**
 * Which files may not import which: [from-prefix, forbidden-prefix, why, exempt from-prefixes?].
 * Type-only imports count: a layer that names another's types depends on it.
 */
export const RULES = [
  ['packages/core/', 'packages/http1/', 'core is the bottom layer'],
  ['packages/core/', 'packages/client/', 'core is the bottom layer'],
  ['packages/core/', 'packages/websocket/', 'core is the bottom layer'],
  [
    'packages/core/src/',
    'packages/core/src/hub/',
    "the hub builds on core's base, which never needs it",
    ['packages/core/src/hub/', 'packages/core/src/index.ts'],
  ],
  ['packages/http1/src/codec/', 'packages/http1/src/server/', 'the codec knows no sockets and no server'],
  ['packages/http1/src/codec/', 'node:net', 'the codec knows no sockets'],
  ['packages/http1/src/codec/', 'node:tls', 'the codec knows no sockets'],
  ['packages/http1/', 'packages/websocket/', 'the server meets WebSocket only through the acceptor it registers (websocket-options.ts)'],
  ['packages/client/', 'packages/http1/src/server/', 'the client loads the codec, never the server'],
  ['packages/client/', 'packages/http1/src/index.ts', 'the client loads the codec, never the server'],
  ['packages/client/', 'packages/websocket/', 'the WebSocket client builds on the HTTP client, not the reverse'],
  ['packages/client/src/connection.ts', 'packages/client/src/pool.ts', 'a connection knows its pool only as a ConnectionOwner'],
  ['packages/client/src/connection.ts', 'packages/client/src/exchange.ts', 'a connection knows its request only as an ExchangeSink'],
  ['packages/websocket/src/codec/', 'packages/websocket/src/connection/', 'the WebSocket codec knows no sockets'],
  ['packages/websocket/src/codec/', 'node:net', 'the WebSocket codec knows no sockets'],
  ['packages/websocket/src/codec/', 'node:tls', 'the WebSocket codec knows no sockets'],
  ['packages/websocket/src/codec/', 'packages/websocket/src/server/', 'the WebSocket codec knows no server'],
  ['packages/websocket/src/codec/', 'packages/websocket/src/client/', 'the WebSocket codec knows no client'],
  ['packages/websocket/src/codec/', 'packages/http1/src/server/', 'the WebSocket codec knows no server'],
  ['packages/websocket/src/codec/', 'packages/client/', 'the WebSocket codec knows no client'],
  ['packages/websocket/src/server/', 'packages/websocket/src/client/', "the server side does not use the client's handshake"],
  ['packages/websocket/src/client/', 'packages/websocket/src/server/', "the client side does not use the server's handshake"],
];

function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const IMPORT = /^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm;

/** file -> the files it imports (paths relative to the repository root). */
export function importGraph() {
  const graph = new Map();
  for (const pkg of readdirSync(join(root, 'packages'))) {
    const src = join(root, 'packages', pkg, 'src');
    try {
      statSync(src);
    } catch {
      continue;
    }
    for (const file of sources(src)) {
      const text = readFileSync(file, 'utf8');
      const targets = [];
      for (const match of text.matchAll(IMPORT)) {
        const spec = match[1];
        if (spec.startsWith('.')) targets.push(relative(root, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
        else if (ENTRIES[spec] !== undefined) targets.push(ENTRIES[spec]);
        // Node's modules as themselves, for the rules that keep sockets out of the codecs.
        else if (spec.startsWith('node:')) targets.push(spec);
      }
      graph.set(relative(root, file), targets);
    }
  }
  return graph;
}

/** Every cycle (as a list of files), found by depth-first search. */
export function cycles(graph) {
  const found = [];
  const state = new Map(); // 1 = on the stack, 2 = done
  const stack = [];
  const visit = (file) => {
    state.set(file, 1);
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === 1) found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (!state.has(next)) visit(next);
    }
    stack.pop();
    state.set(file, 2);
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

/** Imports that break a layering rule. */
export function ruleBreaks(graph) {
  const breaks = [];
  for (const [file, targets] of graph) {
    for (const target of targets) {
      for (const [from, forbidden, why, exempt = []] of RULES) {
        if (exempt.some((prefix) => file.startsWith(prefix))) continue;
        if (file.startsWith(from) && target.startsWith(forbidden)) breaks.push(`${file} imports ${target}: ${why}`);
      }
    }
  }
  return breaks;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const graph = importGraph();
  const problems = [...cycles(graph).map((c) => `cycle: ${c.join(' -> ')}`), ...ruleBreaks(graph)];
  console.log(problems.length === 0 ? `ok: ${graph.size} files, no cycles, layers respected` : problems.join('\n'));
  process.exit(problems.length === 0 ? 0 : 1);
}
