/**
 * Architecture rules from DESIGN.md ("The layers"), enforced on every package's `src/`.
 * A package may import only the `@raft/*` layers listed for it here; the core additionally
 * stays pure: no `node:` module, timer, clock, randomness, async code or logging.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

/** Which `@raft/*` packages each package's source may import. */
const ALLOWED_LAYERS: Record<string, readonly string[]> = {
  abstractions: [],
  core: ['abstractions'],
  harness: ['abstractions', 'core'],
  // The defaults that need no install (DESIGN.md): volatile memory storage and no-op telemetry.
  hosting: ['abstractions', 'core', 'storage-memory', 'telemetry-noop'],
  'storage-memory': ['abstractions'],
  'storage-wal': ['abstractions', 'snapshots-file'],
  'snapshots-file': ['abstractions'],
  'transport-inmemory': ['abstractions'],
  'transport-tcp': ['abstractions', 'codecs'],
  codecs: ['abstractions'],
  'telemetry-noop': ['abstractions'],
  'telemetry-otel': ['abstractions'],
};

/** Third-party (non-`node:`) packages a package's source may import. */
const ALLOWED_THIRD_PARTY: Record<string, readonly string[]> = {
  abstractions: [],
  core: [],
  harness: ['fast-check', 'vitest'],
  hosting: [],
  'storage-memory': [],
  'storage-wal': [],
  'snapshots-file': [],
  'transport-inmemory': [],
  'transport-tcp': [],
  codecs: ['msgpackr'],
  'telemetry-noop': [],
  'telemetry-otel': ['@opentelemetry/api', 'pino'],
};

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts)$/.test(name) ? [path] : [];
  });
}

function importsOf(source: string): string[] {
  const specifiers: string[] = [];
  const pattern = /(?:import|export)\s(?:[^'"]*?\sfrom\s)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const match of source.matchAll(pattern)) specifiers.push((match[1] ?? match[2]) as string);
  return specifiers;
}

/** Removes comments so documentation may mention what code must not use. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

const packages = readdirSync(join(root, 'packages')).filter((name) => existsSync(join(root, 'packages', name, 'package.json')));

describe('layering (DESIGN.md, "The layers")', () => {
  it('knows every package in packages/', () => {
    expect(packages.filter((name) => !(name in ALLOWED_LAYERS))).toEqual([]);
  });

  for (const name of packages) {
    it(`${name} imports only the layers it may`, () => {
      const violations: string[] = [];
      for (const file of sourceFiles(join(root, 'packages', name, 'src'))) {
        for (const specifier of importsOf(stripComments(readFileSync(file, 'utf8')))) {
          if (specifier.startsWith('.') || specifier.startsWith('node:')) continue;
          if (specifier.startsWith('@raft/')) {
            const layer = specifier.slice('@raft/'.length).split('/')[0] as string;
            if (!(ALLOWED_LAYERS[name] ?? []).includes(layer)) violations.push(`${file}: ${specifier}`);
          } else {
            const pkg = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] as string);
            if (!(ALLOWED_THIRD_PARTY[name] ?? []).includes(pkg)) violations.push(`${file}: ${specifier}`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }
});

describe('the core is pure (DESIGN.md, "The core contract")', () => {
  const forbidden: readonly [RegExp, string][] = [
    [/from\s+['"]node:|require\(|import\(\s*['"]node:/, 'node: module'],
    [/\b(setTimeout|setInterval|setImmediate|queueMicrotask|clearTimeout|clearInterval)\b/, 'timer'],
    [/\bDate\b|performance\.now|process\.hrtime/, 'clock'],
    [/Math\.random|crypto\./, 'randomness'],
    [/\basync\b|\bawait\b|\bPromise\b/, 'async'],
    [/\bconsole\.|\bprocess\./, 'console/process'],
  ];
  const files = sourceFiles(join(root, 'packages', 'core', 'src'));

  it('has source files to check', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(forbidden.map(([pattern, what]) => ({ pattern, what })))('uses no $what', ({ pattern }) => {
    const hits = files.filter((file) => pattern.test(stripComments(readFileSync(file, 'utf8'))));
    expect(hits).toEqual([]);
  });

  it('the purity check catches a violation (self-test)', () => {
    const sample = stripComments('// setTimeout in a comment is fine\nconst x = Date.now();');
    expect(forbidden.some(([pattern]) => pattern.test(sample))).toBe(true);
    expect(/\bsetTimeout\b/.test(sample)).toBe(false);
  });
});
