/**
 * CONVENTIONS.md ("Tests"): every implementation of a storage or transport contract runs the one
 * compliance suite of that interface, from `test/compliance.test.ts`, and this repository test
 * fails when an implementation lacks it. A package implements LogStore / MetaStore /
 * SnapshotStore when its name starts with `storage-` or `snapshots-`, and Transport when it
 * starts with `transport-` (the naming rule of DESIGN.md's layer map).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const SUITES = '@raft/harness/compliance';

/** Removes comments so a commented-out import or call does not count. */
function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Packages under `dir` that implement a storage contract (by the naming rule above). */
function storagePackages(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => existsSync(join(dir, name, 'package.json')))
    .filter((name) => name.startsWith('storage-') || name.startsWith('snapshots-') || name.startsWith('transport-'))
    .sort();
}

/**
 * What is wrong with a package's compliance test, or `undefined` when it is there, imports
 * `describe*Compliance` suites from `@raft/harness/compliance` and calls one of them.
 */
function complianceProblem(packageDir: string): string | undefined {
  const file = join(packageDir, 'test', 'compliance.test.ts');
  if (!existsSync(file)) return 'has no test/compliance.test.ts';
  const source = stripComments(readFileSync(file, 'utf8'));
  const importPattern = /import\s*\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g;
  // Local names of the `describe…Compliance` suites imported from the harness (`a as b` → b).
  const suites = [...source.matchAll(importPattern)]
    .filter((match) => match[2] === SUITES)
    .flatMap((match) => (match[1] as string).split(','))
    .map((specifier) => specifier.trim().replace(/^type\s+/, '').split(/\s+as\s+/))
    .filter(([imported]) => /^describe\w*Compliance$/.test(imported ?? ''))
    .map((names) => names.at(-1) as string);
  if (suites.length === 0) return `test/compliance.test.ts imports no describe…Compliance suite from '${SUITES}'`;
  const body = source.replace(importPattern, '');
  if (!suites.some((name) => new RegExp(`\\b${name}\\s*\\(`).test(body))) {
    return `test/compliance.test.ts imports ${suites.join(', ')} but runs none of them`;
  }
  return undefined;
}

const packagesDir = join(root, 'packages');
const found = storagePackages(packagesDir);

describe('every storage implementation runs the compliance suites (CONVENTIONS.md, "Tests")', () => {
  it('finds the storage packages', () => {
    // The packages of DESIGN.md's layer map that implement the storage interfaces.
    expect(found).toEqual(expect.arrayContaining(['snapshots-file', 'storage-memory', 'storage-wal', 'transport-inmemory', 'transport-tcp']));
  });

  for (const name of found) {
    it(`${name} has test/compliance.test.ts running suites from ${SUITES}`, () => {
      expect(complianceProblem(join(packagesDir, name))).toBeUndefined();
    });
  }
});

describe('the compliance check catches what it should (self-test)', () => {
  const withFixture = (files: Record<string, string>, check: (dir: string) => void): void => {
    const dir = mkdtempSync(join(tmpdir(), 'raft-compliance-check-'));
    try {
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      check(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const pkg = '{"name":"x"}';

  it('selects storage-*, snapshots-* and transport-* packages only', () => {
    withFixture(
      { 'storage-x/package.json': pkg, 'snapshots-y/package.json': pkg, 'transport-z/package.json': pkg, 'codecs/package.json': pkg, 'storage-notapackage/README.md': '' },
      (dir) => expect(storagePackages(dir)).toEqual(['snapshots-y', 'storage-x', 'transport-z']),
    );
  });

  it('reports a missing file, a suite not imported, imported only in a comment, or imported and never run', () => {
    const cases: Record<string, string | undefined> = {
      'has no test/compliance.test.ts': undefined,
      "imports no describe…Compliance suite from '@raft/harness/compliance'": "import { describeLogStoreCompliance } from '../../harness/src/compliance/index.js';\ndescribeLogStoreCompliance('x', {});\n",
      'imports no describe': "// import { describeLogStoreCompliance } from '@raft/harness/compliance';\ndescribeLogStoreCompliance('x', {});\n",
      'but runs none of them': "import { describeLogStoreCompliance } from '@raft/harness/compliance';\n// describeLogStoreCompliance('x', {});\n",
    };
    for (const [expected, source] of Object.entries(cases)) {
      withFixture({ 'storage-x/package.json': pkg, ...(source === undefined ? {} : { 'storage-x/test/compliance.test.ts': source }) }, (dir) => {
        expect(complianceProblem(join(dir, 'storage-x'))).toContain(expected);
      });
    }
  });

  it('accepts a file that imports and runs a suite (also renamed or alongside other imports)', () => {
    const sources = [
      "import { describeMetaStoreCompliance } from '@raft/harness/compliance';\ndescribeMetaStoreCompliance('x', { create });\n",
      "import { sampleEntries, describeLogStoreCompliance as suite } from '@raft/harness/compliance';\nsuite('x', { create });\n",
    ];
    for (const source of sources) {
      withFixture({ 'storage-x/package.json': pkg, 'storage-x/test/compliance.test.ts': source }, (dir) => {
        expect(complianceProblem(join(dir, 'storage-x'))).toBeUndefined();
      });
    }
  });
});
