/**
 * Fuzzing the boundary (issue 19): fast-check mutates valid traces field by
 * field (numbers out of range, wrong types, control characters, removed,
 * duplicated and edited steps, huge arrays) and draws command lines from the
 * flags and garbage values. Every run must end quickly with exit 0-3, an
 * error as one line, no stack trace and no raw control character.
 * APFCHECK_FUZZ_RUNS (default 150 each) and APFCHECK_FUZZ_SEED (default 1).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from './support/cli.js';

const RUNS = Number(process.env.APFCHECK_FUZZ_RUNS ?? 150);
const SEED = Number(process.env.APFCHECK_FUZZ_SEED ?? 1);
const EXAMPLES = path.join(import.meta.dirname, '..', 'examples');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-fuzz-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** What every run must satisfy, whatever its input. */
function expectWellBehaved(result: { code: number; stdout: string; stderr: string }, input: string): void {
  expect([0, 1, 2, 3], input).toContain(result.code);
  expect(result.stderr, input).not.toMatch(/\n\s+at /);
  // no raw control character but the newline (escape sequences included)
  expect(`${result.stdout}${result.stderr}`, input).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f]/);
  if (result.code === 2) {
    expect(result.stderr.trimEnd().split('\n'), input).toHaveLength(1);
    expect(result.stderr, input).toMatch(/^apfcheck: /);
  }
}

// ---------------------------------------------------------------------------
// traces

const traces = fs.readdirSync(EXAMPLES).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(fs.readFileSync(path.join(EXAMPLES, f), 'utf8')) as unknown);

/** Every path to a value inside `value` (object keys and array indices). */
function paths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}

const garbage = fc.oneof(
  fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  fc.constantFrom(0, -1, 1, 2, 5, 40, 1_000_000, 2 ** 53, Number.MAX_VALUE, 0.5),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('\u001b[31mred\u001b[0m', 'line\nbreak', '\u0000', '\ufeff', 'x86', 'no-lost-wakeup', 'touch'),
  fc.constant(null),
  fc.boolean(),
  fc.constant([]),
  fc.constant({}),
  fc.constant(Array.from({ length: 5000 }, () => 1)),
);

type Edit = { kind: 'set'; at: number; value: unknown } | { kind: 'delete'; at: number } | { kind: 'duplicate-step'; at: number } | { kind: 'drop-step'; at: number };
const edits: fc.Arbitrary<Edit> = fc.oneof(
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: garbage }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('duplicate-step' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('drop-step' as const), at: fc.nat() }),
);

function applyEdit(trace: unknown, edit: Edit): unknown {
  const copy = structuredClone(trace) as Record<string, unknown>;
  const steps = copy.steps;
  // an earlier edit may have made `steps` something else: then only field edits apply
  if (!Array.isArray(steps) || steps.length === 0) {
    if (edit.kind === 'duplicate-step' || edit.kind === 'drop-step') return copy;
  } else if (edit.kind === 'duplicate-step') steps.splice(edit.at % steps.length, 0, structuredClone(steps[edit.at % steps.length]));
  else if (edit.kind === 'drop-step') steps.splice(edit.at % steps.length, 1);
  if (edit.kind === 'set' || edit.kind === 'delete') {
    const all = paths(copy).filter((p) => p.length > 0);
    const where = all[edit.at % all.length]!;
    const parent = where.slice(0, -1).reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], copy) as Record<string | number, unknown>;
    const key = where.at(-1)!;
    if (edit.kind === 'delete') {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else parent[key] = edit.value;
  }
  return copy;
}

describe(`fuzz (seed ${SEED}, ${RUNS} cases each)`, () => {
  it('replay: a mutated trace is refused in one line, or replays, never more', async () => {
    let file = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat({ max: traces.length - 1 }), fc.array(edits, { minLength: 1, maxLength: 3 }), async (which, list) => {
        const mutated = list.reduce(applyEdit, traces[which]);
        const target = path.join(tmp, `t${(file += 1)}.json`);
        fs.writeFileSync(target, JSON.stringify(mutated));
        expectWellBehaved(await run('replay', target), `${JSON.stringify(list).slice(0, 300)}`);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 120_000);

  it('check, list, export: any command line ends with exit 0-3 and one-line errors', async () => {
    const values = fc.constantFrom('0', '1', '2', '3', '-1', 'abc', '1e9', '99999999999', '', 'x86', 'arm64-rfcv1', 's390-pfault', 'no-dummy', 'single-slot', 'exhaustive', 'random', '1/2', '\u001b[2J');
    const flags = fc.constantFrom(
      '--design', '--bug', '--vcpus', '--tasks', '--pages', '--limit', '--mode', '--seed', '--runs', '--depth', '--shard', '--workers', '--property',
      '--max-states', '--send-always', '--async-pf-sync', '--nested', '--pf-vmexit', '--migration', '--hotplug', '--smm', '--lapic', '--idle-poll',
      '--timer-exits', '--symmetry', '--safety-only', '--all', '--json', '--no-such-flag', '--machine', '--format',
    );
    const argv = fc.tuple(fc.constantFrom('check', 'list', 'export', 'nonsense'), fc.array(fc.tuple(flags, fc.option(values, { nil: undefined })), { maxLength: 6 }));
    await fc.assert(
      fc.asyncProperty(argv, async ([command, pairs]) => {
        const args: string[] = [command, ...pairs.flatMap(([f, v]) => (v === undefined ? [f] : [f, v]))];
        // bound the work (the last value of a flag wins) and keep files out of the repository
        if (command === 'check') {
          args.push('--quiet', '--runs', '20', '--depth', '20', '--max-seconds', '2');
          args.push(...(args.includes('--all') ? ['--trace-dir', path.join(tmp, 'dir')] : ['--trace-out', path.join(tmp, 'trace.json')]));
        }
        expectWellBehaved(await run(...args), args.join(' '));
      }),
      { seed: SEED, numRuns: RUNS },
    );
  }, 170_000);
});
