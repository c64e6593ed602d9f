// Every error class of every package, collected from what the packages export and from their
// errors modules: each declares its own `code` (a static, which its instances carry), and no two
// classes share one, so a caller's `error.code === ...` names one class. Every class in the
// sources that extends an error class is found here, so a new one cannot slip past.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { HttpKitError } from '@http-kit/core';

const root = fileURLToPath(new URL('../../../', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const files = readdirSync(join(root, 'packages')).flatMap((pkg) => {
  try {
    return sources(join(root, 'packages', pkg, 'src'));
  } catch {
    return [];
  }
});

/** The error classes of every module that declares one, with the module they come from. */
async function errorClasses(): Promise<Map<Function, string>> {
  const classes = new Map<Function, string>([[HttpKitError, 'packages/core/src/errors.ts']]);
  for (const file of files) {
    if (!/^export class \w+ extends \w+/m.test(readFileSync(file, 'utf8'))) continue;
    const module = (await import(file)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      if (typeof value === 'function' && HttpKitError.prototype.isPrototypeOf(value.prototype) && !classes.has(value))
        classes.set(value, relative(root, file));
    }
  }
  return classes;
}

describe('error codes across the packages', () => {
  it('finds every error class the sources declare', async () => {
    // class -> the class it extends, for every exported class of the sources; HttpKitError's descendants are the error classes.
    const bases = new Map(
      files.flatMap((file) =>
        [...readFileSync(file, 'utf8').matchAll(/^export class (\w+) extends (\w+)\b/gm)].map((m) => [m[1], m[2]] as const),
      ),
    );
    const isError = (name: string | undefined): boolean => name === 'HttpKitError' || (name !== undefined && isError(bases.get(name)));
    const declared = [...bases.keys()].filter((name) => name !== 'HttpKitError' && isError(name));
    const found = [...(await errorClasses()).keys()].map((c) => c.name);
    expect(declared.length).toBeGreaterThan(20);
    expect(declared.filter((name) => !found.includes(name))).toEqual([]);
  });

  it('gives each class its own code, carried by its instances', async () => {
    const byCode = new Map<string, string[]>();
    const undeclared: string[] = [];
    for (const [Class, file] of await errorClasses()) {
      if (!Object.hasOwn(Class, 'code')) {
        undeclared.push(`${Class.name} (${file})`);
        continue;
      }
      const code = (Class as unknown as { code: string }).code;
      expect(code, Class.name).toMatch(/^HTTPKIT_[A-Z0-9_]+$/);
      byCode.set(code, [...(byCode.get(code) ?? []), `${Class.name} (${file})`]);
      if (Class === HttpKitError) continue;
      // Every constructor takes the message first; the others' arguments are not needed to make one.
      const error = new (Class as new (message: string) => HttpKitError)('message');
      expect(error.code, Class.name).toBe(code);
      expect(error).toBeInstanceOf(Class);
    }
    expect(undeclared, 'error classes without their own static code').toEqual([]);
    expect([...byCode].filter(([, classes]) => classes.length > 1)).toEqual([]);
  });

  it('lists every code in docs/reference.md', async () => {
    const reference = readFileSync(join(root, 'docs/reference.md'), 'utf8');
    const codes = [...(await errorClasses()).keys()].map((c) => (c as unknown as { code: string }).code);
    expect(codes.filter((code) => code !== 'HTTPKIT_ERROR' && !reference.includes(`\`${code}\``))).toEqual([]);
  });

  it('brands by code: instanceof holds for a class a minifier renamed, and not for another of the same name', () => {
    class Slow extends HttpKitError {
      static override readonly code = 'HTTPKIT_TEST_SLOW';
      constructor() {
        super('slow', Slow.code);
      }
    }
    class Gone extends HttpKitError {
      static override readonly code = 'HTTPKIT_TEST_GONE';
      constructor() {
        super('gone', Gone.code);
      }
    }
    // What a minifier does: two classes, one short name.
    Object.defineProperty(Slow, 'name', { value: 'e' });
    Object.defineProperty(Gone, 'name', { value: 'e' });
    expect(new Slow()).toBeInstanceOf(Slow);
    expect(new Slow()).toBeInstanceOf(HttpKitError);
    expect(new Gone()).not.toBeInstanceOf(Slow);
    expect(new Slow()).not.toBeInstanceOf(Gone);
  });
});
