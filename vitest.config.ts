import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const src = (pkg: string) => fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url));

export default defineConfig({
  resolve: {
    // Exact matches: '@http-kit/http1' must not swallow its subpath '@http-kit/http1/codec'.
    alias: [
      { find: /^@http-kit\/core$/, replacement: src('core') },
      { find: /^@http-kit\/http1$/, replacement: src('http1') },
      { find: /^@http-kit\/http1\/codec$/, replacement: fileURLToPath(new URL('./packages/http1/src/codec/index.ts', import.meta.url)) },
      { find: /^@http-kit\/websocket$/, replacement: src('websocket') },
      { find: /^@http-kit\/client$/, replacement: src('client') },
      { find: /^@http-kit\/middleware$/, replacement: src('middleware') },
      { find: /^@http-kit\/conformance$/, replacement: src('conformance') },
      { find: /^@http-kit\/load$/, replacement: src('load') },
      // The test helpers every package's tests share (test/support/).
      { find: /^@http-kit\/test-support$/, replacement: fileURLToPath(new URL('./test/support/index.ts', import.meta.url)) },
    ],
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
