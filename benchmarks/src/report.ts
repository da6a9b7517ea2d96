/**
 * Shared output for every benchmark: a table on stdout and a JSON file in
 * `benchmarks/results/<name>.json`. Each benchmark reports its own figures next to the
 * reference it is compared with, measured in the same run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** One row of a benchmark table: column name → value. */
export type Row = Record<string, string | number>;

/** What a benchmark measured. */
export interface BenchmarkReport {
  /** File-safe name, e.g. `core-throughput`. */
  readonly name: string;
  /** One sentence: what was measured, on what. */
  readonly description: string;
  readonly rows: readonly Row[];
  /** Reference figures measured in the same run (raw fsync rate, loopback RTT, …). */
  readonly reference?: Readonly<Record<string, string | number>>;
  /** Targets from the issue and whether they were met. */
  readonly targets?: readonly { readonly what: string; readonly target: string; readonly actual: string; readonly met: boolean }[];
}

/** Prints the report as a table and writes it as JSON to `benchmarks/results/<name>.json`. */
export function writeReport(report: BenchmarkReport): void {
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
  console.log(`\n## ${report.name}\n${report.description}\n`);
  console.log(formatTable(report.rows));
  if (report.reference) {
    console.log('\nreference (same run):');
    console.log(formatTable([report.reference]));
  }
  if (report.targets && report.targets.length > 0) {
    console.log('\ntargets:');
    console.log(formatTable(report.targets.map((t) => ({ what: t.what, target: t.target, actual: t.actual, met: t.met ? 'yes' : 'NO' }))));
  }
  const dir = new URL('../results/', import.meta.url);
  mkdirSync(dir, { recursive: true });
  writeFileSync(new URL(`${report.name}.json`, dir), `${JSON.stringify({ ...report, machine, at: new Date().toISOString() }, null, 2)}\n`);
}

/** Formats rows as a Markdown table. */
export function formatTable(rows: readonly Row[]): string {
  if (rows.length === 0) return '(no rows)';
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (value: string | number | undefined): string =>
    value === undefined ? '' : typeof value === 'number' ? formatNumber(value) : value;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]): string => `| ${values.map((v, i) => v.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => cell(r[c]))))].join('\n');
}

function formatNumber(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toPrecision(3);
}

/** Percentile (0–100) of a list of numbers, by nearest rank. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
