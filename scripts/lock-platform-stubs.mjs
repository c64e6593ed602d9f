// The npm registry this project installs from serves only the linux builds of packages that
// ship one package per platform (rollup's), so `npm install` cannot record the others in
// package-lock.json, and `npm ci` then refuses the lock as out of sync. This adds a stub entry
// (version, os, cpu, optional) for each missing one: npm ci skips them on this platform as it
// would skip the real ones. Run it after any `npm install` that rewrites the lock; it writes
// the lock exactly as npm would (key order included), so a later `npm install` leaves it as is.
import { readFileSync, writeFileSync } from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(readFileSync(file, 'utf8'));
const packages = lock.packages;
let added = 0;

for (const [path, meta] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${name}`;
    if (packages[key] || packages[`${path}/${key}`]) continue;
    const platform = platformOf(name);
    if (platform === null) continue;
    packages[key] = { version, ...platform, dev: meta.dev, optional: true };
    added++;
  }
}

function platformOf(name) {
  const match =
    /-(android|darwin|freebsd|linux|openbsd|openharmony|win32|netbsd|sunos|aix)-([a-z0-9]+)(?:-(gnu|musl|msvc|gnueabihf|musleabihf|eabi))?$/.exec(
      name,
    );
  if (match === null) return null;
  const [, os, cpu, abi] = match;
  const entry = { os: [os], cpu: [cpu] };
  if (abi === 'gnu' || abi === 'gnueabihf') entry.libc = ['glibc'];
  if (abi === 'musl' || abi === 'musleabihf') entry.libc = ['musl'];
  return entry;
}

lock.packages = packages;
writeFileSync(file, stringifyAsNpm(lock));
console.log(`lock-platform-stubs: added ${added} stub entr${added === 1 ? 'y' : 'ies'}`);

/**
 * The lock as npm itself writes it (json-stringify-nice with arborist's key order): in every
 * object, the preferred top-level keys first, then other keys by localeCompare('en'), objects
 * that are not arrays after everything else. Written any other way, the next `npm install`
 * reorders the stub entries and leaves the lock modified.
 */
function stringifyAsNpm(value) {
  const preferred = ['name', 'version', 'lockfileVersion', 'resolved', 'integrity', 'requires', 'packages', 'dependencies'];
  const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
  const rank = (key) => preferred.indexOf(key);
  const compare = (a, b) => {
    const ra = rank(a);
    const rb = rank(b);
    if (ra !== -1 && rb === -1) return -1;
    if (rb !== -1 && ra === -1) return 1;
    if (ra !== -1 && rb !== -1) return ra - rb;
    return a.localeCompare(b, 'en');
  };
  const sorted = (_key, v) => {
    if (!isObject(v)) return v;
    const entries = Object.entries(v).sort(([ak, av], [bk, bv]) =>
      isObject(av) === isObject(bv) ? compare(ak, bk) : isObject(av) ? 1 : -1,
    );
    return Object.fromEntries(entries);
  };
  return JSON.stringify(value, sorted, 2) + '\n';
}
