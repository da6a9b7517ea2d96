/**
 * The event and metric catalogues (issue 9) are defined once in @raft/abstractions and
 * documented in docs/events.md and docs/metrics.md. This keeps code and docs in step both ways:
 * every catalogue entry is documented with the right kind, unit, attributes, fields, emitter and
 * default log level, and nothing is documented that the code lacks. It lives at the repository
 * level because it reads docs/ and several packages' sources (a package test would be cached by
 * turbo on its own inputs and miss a change to the docs).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RAFT_EVENT_TYPES, RAFT_METRICS, type MetricName } from '../packages/abstractions/src/index.ts';
import { DURATION_BUCKETS_MS } from '../packages/telemetry-otel/src/buckets.ts';
import { EVENT_FIELDS } from '../packages/telemetry-otel/src/internal/event-fields.ts';
import { DEFAULT_EVENT_LEVELS } from '../packages/telemetry-otel/src/pino-event-sink.ts';

const root = new URL('..', import.meta.url).pathname;
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

/** The cells of a Markdown table row, with `\|` kept inside a cell. */
function cells(row: string): string[] {
  return row
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** `` `a`, `b` `` → ['a', 'b']; `—` → []. */
function codeList(cell: string): string[] {
  if (cell === '—') return [];
  return cell.split(',').map((part) => part.trim().replace(/^`|`$/g, ''));
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') ? [path] : [];
  });
}

describe('docs/metrics.md documents RAFT_METRICS exactly', () => {
  const doc = read('docs/metrics.md');
  const catalogue = doc.slice(doc.indexOf('## The catalogue'), doc.indexOf('## In OpenTelemetry'));
  const rows = catalogue
    .split('\n')
    .filter((line) => line.startsWith('| `raft.'))
    .map(cells);
  const documented = rows.map((row) => (row[0] ?? '').replace(/`/g, ''));

  it('lists every metric of the code, once, and no other', () => {
    expect(rows.length).toBeGreaterThan(0);
    expect([...documented].sort()).toEqual(Object.keys(RAFT_METRICS).sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it.each(Object.keys(RAFT_METRICS) as MetricName[])('%s has the kind, unit and attributes of the code, and says what and when', (name) => {
    const row = rows.find((r) => r[0] === `\`${name}\``);
    const definition = RAFT_METRICS[name];
    expect(row, `${name} is not in docs/metrics.md`).toBeDefined();
    const [, kind, unit, attributes, meaning, when] = row ?? [];
    expect(kind).toBe(definition.kind);
    expect(unit).toBe(`\`${definition.unit}\``);
    expect(codeList(attributes ?? '')).toEqual([...definition.attributes]);
    expect(meaning?.length ?? 0).toBeGreaterThan(10);
    expect(when?.length ?? 0).toBeGreaterThan(10);
  });

  it('documents the millisecond bucket boundaries the OpenTelemetry sink uses', () => {
    const msRow = doc.split('\n').find((line) => line.startsWith('| `ms` |'));
    const numbers = (cells(msRow ?? '')[1] ?? '').split('(')[0]?.split(',').map((n) => Number(n.trim()));
    expect(numbers).toEqual([...DURATION_BUCKETS_MS]);
  });
});

describe('docs/events.md documents RAFT_EVENT_TYPES exactly', () => {
  const doc = read('docs/events.md');
  const body = doc.slice(doc.indexOf('## The events'));
  const sections = new Map<string, string>();
  for (const part of body.split(/^### /m).slice(1)) {
    const heading = /^`(\w+)`/.exec(part);
    if (heading?.[1] !== undefined) sections.set(heading[1], part);
  }

  // Which events the core emits, read from its source: `emit({ type: '…'`.
  const coreEmits = new Set<string>();
  for (const file of sourceFiles(join(root, 'packages', 'core', 'src'))) {
    for (const match of readFileSync(file, 'utf8').matchAll(/\bemit\(\{\s*type: '(\w+)'/g)) coreEmits.add(match[1] as string);
  }

  it('has one section per event type, in catalogue order, and no other', () => {
    expect(body.split(/^### /m).length - 1).toBe(sections.size);
    expect([...sections.keys()]).toEqual([...RAFT_EVENT_TYPES]);
  });

  it('reads the core source (self-test of the emitter check)', () => {
    expect(coreEmits.has('leaderElected')).toBe(true);
    expect(coreEmits.has('sendFailed')).toBe(false);
  });

  it.each([...RAFT_EVENT_TYPES])('%s: fields in order, emitter and default log level match the code', (type) => {
    const section = sections.get(type) ?? '';
    expect(section, `${type} is not in docs/events.md`).not.toBe('');
    const fields = section
      .split('\n')
      .filter((line) => /^\| `\w+` \|/.test(line))
      .map((line) => (cells(line)[0] ?? '').replace(/`/g, ''));
    expect(fields).toEqual(Object.keys(EVENT_FIELDS[type]));
    for (const line of section.split('\n').filter((l) => /^\| `\w+` \|/.test(l))) {
      const [, fieldType, meaning] = cells(line);
      expect(fieldType?.length ?? 0, `${type}: ${line}`).toBeGreaterThan(0);
      expect(meaning?.length ?? 0, `${type}: ${line}`).toBeGreaterThan(0);
    }
    const header = /\*\*Emitted by\*\* (core|host) · \*\*log level\*\* `(\w+)`/.exec(section);
    expect(header, `${type}: missing "**Emitted by** … · **log level** …" line`).not.toBeNull();
    const [, emitter, level] = header ?? [];
    expect(level).toBe(DEFAULT_EVENT_LEVELS[type]);
    // Emitted by the core exactly when the core's source emits it; otherwise the host does.
    expect(emitter, `${type}: docs/events.md says ${emitter}, the core source ${coreEmits.has(type) ? 'emits it' : 'does not emit it'}`).toBe(
      coreEmits.has(type) ? 'core' : 'host',
    );
  });

  it('the core emits no event type outside the catalogue', () => {
    expect([...coreEmits].filter((type) => !(RAFT_EVENT_TYPES as readonly string[]).includes(type))).toEqual([]);
  });
});
