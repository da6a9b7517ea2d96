import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { RaftEventRecord } from '@raft/abstractions';
import { eventFieldNames } from './event-fields.js';

const snakeCache = new Map<string, string>();

/** `prevLogIndex` → `prev_log_index` (OpenTelemetry attribute style), cached. */
export function snakeCase(name: string): string {
  let snake = snakeCache.get(name);
  if (snake === undefined) {
    snake = name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    // Field names are a small closed set; the bound only guards against unknown events' keys.
    if (snakeCache.size < 1024) snakeCache.set(name, snake);
  }
  return snake;
}

/**
 * The OpenTelemetry attributes of a record: `raft.node.id`, `raft.node.term`,
 * `raft.node.role`, `raft.event.type`, then each event field as `raft.event.<snake_case>`.
 * Nested objects flatten with dots, arrays of primitives stay arrays, a `Uint8Array` becomes
 * `<name>_bytes` (its length) and is never copied, `undefined` is left out.
 */
export function otelEventAttributes(record: RaftEventRecord, base: Attributes | undefined): Attributes {
  const attributes: Attributes = base === undefined ? {} : { ...base };
  attributes['raft.node.id'] = record.nodeId;
  attributes['raft.node.term'] = record.term;
  attributes['raft.node.role'] = record.role;
  const event = record.event;
  attributes['raft.event.type'] = event.type;
  const fields = event as unknown as Readonly<Record<string, unknown>>;
  for (const name of eventFieldNames(event)) addOtelValue(attributes, `raft.event.${snakeCase(name)}`, fields[name], 0);
  return attributes;
}

function addOtelValue(attributes: Attributes, key: string, value: unknown, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      attributes[key] = value;
      return;
    case 'undefined':
      return;
    case 'bigint':
      attributes[key] = value.toString();
      return;
    case 'object':
      if (value === null) return;
      if (value instanceof Uint8Array) {
        attributes[`${key}_bytes`] = value.byteLength;
        return;
      }
      if (Array.isArray(value)) {
        const array = primitiveArray(value);
        attributes[key] = array ?? JSON.stringify(value, jsonSafe);
        return;
      }
      // Deep structures are not expected (a configuration is two levels); stop runaway nesting.
      if (depth >= 3) {
        attributes[key] = JSON.stringify(value, jsonSafe);
        return;
      }
      for (const [k, v] of Object.entries(value)) addOtelValue(attributes, `${key}.${snakeCase(k)}`, v, depth + 1);
      return;
    default:
      attributes[key] = String(value);
  }
}

/** The array as an OpenTelemetry attribute value if it holds only strings, numbers or booleans of one type. */
function primitiveArray(values: readonly unknown[]): AttributeValue | undefined {
  if (values.length === 0) return [] as string[];
  const kind = typeof values[0];
  if (kind !== 'string' && kind !== 'number' && kind !== 'boolean') return undefined;
  const sameKind = values.every((v) => typeof v === typeof values[0]);
  if (!sameKind) return undefined;
  return [...values] as AttributeValue;
}

/** `JSON.stringify` replacer that writes byte arrays as their length, never their content. */
export function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: value.byteLength };
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/**
 * Copies the event's fields into `target` for a JSON log line, in catalogue order. A field
 * whose name is taken by the line itself (`reserved`: `node`, `term`, `role`, `event`, pino's
 * `level`, `time`, `msg`…) is written as `event` + its name capitalised (`term` → `eventTerm`).
 * A `Uint8Array` field `x` is written as `xBytes` (its length), never its content; inside
 * nested values as `{ "bytes": n }`.
 */
export function addJsonEventFields(target: Record<string, unknown>, record: RaftEventRecord, reserved: ReadonlySet<string>): void {
  const event = record.event;
  const fields = event as unknown as Readonly<Record<string, unknown>>;
  for (const name of eventFieldNames(event)) {
    const value = fields[name];
    if (value === undefined) continue;
    const key = reserved.has(name) ? `event${name[0]?.toUpperCase() ?? ''}${name.slice(1)}` : name;
    if (value instanceof Uint8Array) target[`${key}Bytes`] = value.byteLength;
    else if (typeof value === 'object' && value !== null) target[key] = jsonCopy(value);
    else if (typeof value === 'bigint') target[key] = value.toString();
    else target[key] = value;
  }
}

function jsonCopy(value: object): unknown {
  return JSON.parse(JSON.stringify(value, jsonSafe)) as unknown;
}
