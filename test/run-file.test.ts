/**
 * Run files (`check --config FILE`, issue 17): a run as data that a CI job
 * commits; flags typed on the command line override it; a bad file is exit 2
 * and one line naming the file, the JSON path and the fix.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { CheckFlags } from '../src/cli/check-command.js';
import { withRunFile } from '../src/cli/run-file.js';
import { UsageError } from '../src/errors.js';
import { run } from './support/cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-runs-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
fs.copyFileSync(path.join(import.meta.dirname, '..', 'examples', 'designs', 'rfcv1-irq-ack.json'), path.join(tmp, 'irq-ack.json'));

let counter = 0;
function write(content: unknown, name = `run${(counter += 1)}.json`): string {
  const file = path.join(tmp, name);
  fs.writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}
const format = 'apfcheck-run/1';

/** The --json report without what differs between two identical runs. */
const verdict = (stdout: string) => {
  const { durationMs: _d, traceFile: _t, ...rest } = JSON.parse(stdout) as Record<string, unknown>;
  return rest;
};

describe('check --config', () => {
  it('checks several designs (names and files, relative to the run file) like --all, with its outputs beside it', async () => {
    const file = write({ format, designs: ['arm64-rfcv1', './irq-ack.json'], scope: { timerExits: true }, mode: 'exhaustive', properties: ['single-slot', 'no-self-deadlock'], traceDir: 'out', junit: 'out/junit.xml' });
    fs.mkdirSync(path.join(tmp, 'out'), { recursive: true });
    const result = await run('check', '--config', file, '--quiet');
    expect(result.code).toBe(1); // a run file is strict unless it says otherwise: a violation fails the run
    expect(result.stdout).toMatch(/^arm64-rfcv1, rfcv1-irq-ack at vcpus=1 tasks=2 pages=1 limit=2 \+timerExits, exhaustive mode/);
    expect(result.stdout).toMatch(/single-slot\s+VIOLATED \(13 steps\)\s+holds/);
    expect(result.stdout).toMatch(/no-self-deadlock\s+VIOLATED \(9 steps\)\s+holds/);
    // only the properties the run names are rows
    expect(result.stdout).not.toMatch(/no-lost-wakeup/);
    expect(fs.readdirSync(path.join(tmp, 'out')).sort()).toEqual(['arm64-rfcv1--no-self-deadlock.json', 'arm64-rfcv1--single-slot.json', 'junit.xml']);
  });

  it('runs one design as the same flags typed would', async () => {
    const file = write({ format, designs: ['./irq-ack.json'], mode: 'exhaustive', properties: ['no-lost-wakeup'], traceOut: 'one.json' });
    const fromFile = await run('check', '--config', file, '--json');
    const typed = await run('check', '--design-file', path.join(tmp, 'irq-ack.json'), '--mode', 'exhaustive', '--property', 'no-lost-wakeup', '--json', '--trace-out', path.join(tmp, 'typed.json'));
    expect(fromFile.code).toBe(1);
    expect(verdict(fromFile.stdout)).toEqual(verdict(typed.stdout));
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ traceFile: path.join(tmp, 'one.json'), counterexampleLength: 6 });
  });

  it('says "strict": false to report violations of several designs with exit 0, as --all does', async () => {
    const file = write({ format, designs: ['arm64-rfcv1', './irq-ack.json'], properties: ['no-self-deadlock'], mode: 'exhaustive', scope: { timerExits: true }, traceDir: 'lenient', strict: false });
    const result = await run('check', '--config', file, '--quiet');
    expect(result.stdout).toMatch(/no-self-deadlock\s+VIOLATED \(9 steps\)\s+holds/);
    expect(result.code).toBe(0);
  });

  it('lets a typed value win over the file\'s, and drops what went with the file\'s', async () => {
    const sized = write({ format, designs: ['x86'], scope: { vcpus: 2 }, mode: 'exhaustive', properties: ['single-slot'], traceOut: 'sized.json' });
    expect(JSON.parse((await run('check', '--config', sized, '--vcpus', '1', '--json')).stdout)).toMatchObject({ scope: { vcpus: 1 }, result: 'pass' });
    // --all replaces the file's one design and with it its --trace-out, which --all would refuse
    const all = await run('check', '--config', sized, '--vcpus', '1', '--all', '--trace-dir', path.join(tmp, 'all'), '--json');
    expect((JSON.parse(all.stdout) as { design: string }[]).map((d) => d.design)).toEqual(['x86', 'x86-legacy', 'arm64-rfcv1', 'arm64-sdei', 's390-pfault']);
    // --property replaces the file's --safety-only, which would refuse a liveness property
    const safety = write({ format, designs: ['x86'], safetyOnly: true, mode: 'exhaustive', traceOut: 's.json' });
    expect(JSON.parse((await run('check', '--config', safety, '--property', 'no-lost-wakeup', '--json')).stdout)).toMatchObject({ properties: ['no-lost-wakeup'], result: 'pass' });
    // --mode random drops the file's exhaustive budget, which random mode would refuse
    const budget = write({ format, designs: ['x86'], mode: 'exhaustive', maxStates: 100, traceOut: 'b.json' });
    expect(JSON.parse((await run('check', '--config', budget, '--mode', 'random', '--runs', '5', '--seed', '1', '--json')).stdout)).toMatchObject({ mode: 'random', result: 'pass' });
  });

  it('lets a typed flag override the file: a switch, the mode, the design', async () => {
    const file = write({ format, designs: ['./irq-ack.json'], mode: 'exhaustive', properties: ['no-lost-wakeup'], traceOut: 'o.json' });
    const tick = await run('check', '--config', file, '--timer-exits', '--json');
    expect(JSON.parse(tick.stdout)).toMatchObject({ design: 'rfcv1-irq-ack', result: 'pass', mode: 'exhaustive' });
    const random = await run('check', '--config', file, '--mode', 'random', '--runs', '50', '--seed', '3', '--json');
    expect(JSON.parse(random.stdout)).toMatchObject({ mode: 'random', seed: 3, result: 'violation', property: 'no-lost-wakeup' });
    const other = await run('check', '--config', file, '--design', 'x86', '--json');
    expect(JSON.parse(other.stdout)).toMatchObject({ design: 'x86', result: 'pass', properties: ['no-lost-wakeup'] });
  });

  it.each([
    ['an unknown field, with the nearest', { format, design: ['x86'] }, /field 'design' is not a run file field; did you mean 'designs'\?/],
    ['an unknown scope field', { format, scope: { vcpu: 2 } }, /field 'scope.vcpu' is not a scope field; did you mean 'vcpus'\?/],
    ['a scope outside its range', { format, scope: { vcpus: 9 } }, /field 'scope.vcpus': .*4/],
    ['a value outside the allowed set', { format, mode: 'bfs' }, /field 'mode' must be one of "random", "exhaustive", got "bfs"/],
    ['a number out of range', { format, runs: 0 }, /field 'runs': .*1/],
    ['an unknown property', { format, properties: ['no-lost-wakeups'] }, /field 'properties.0' must be one of "no-lost-wakeup", /],
    ['an unknown built-in design', { format, designs: ['x87'] }, /field 'designs.0': no built-in design 'x87'; did you mean 'x86'\?/],
    ['both all and designs', { format, all: true, designs: ['x86'] }, /fields 'all' and 'designs' both say which designs to check: give one of them/],
    ['a shard that is not i/n', { format, shard: '1-4' }, /field 'shard': a shard is i\/n/],
    ['a wrong format', { format: 'apfcheck-design/1' }, /field 'format' must be "apfcheck-run\/1", got "apfcheck-design\/1"/],
    ['bugs on several designs', { format, designs: ['x86', 'x86-legacy'], bugs: ['missed-kick'] }, /several designs are checked as they are: --bug and --async-pf-sync/],
    ['two designs of one name', { format, designs: ['x86', 'x86'] }, /two of the designs are named 'x86'/],
    ['not JSON', '{"format":', /not JSON/],
  ])('refuses %s: exit 2, one line', async (_, content, pattern) => {
    const result = await run('check', '--config', write(content), '--quiet');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^apfcheck: [^\n]*\n$/);
    expect(result.stderr).toMatch(pattern);
  });

  it('never throws anything but a one-line usage error for random or mutated run files (fast-check)', () => {
    const value = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 2 }));
    const runFile = fc.record(
      {
        format: fc.oneof(fc.constant(format), fc.string()),
        designs: fc.oneof(fc.array(fc.constantFrom('x86', 'nope', './irq-ack.json', './missing.json'), { maxLength: 2 }), value),
        scope: fc.oneof(fc.dictionary(fc.constantFrom('vcpus', 'timerExits', 'bogus'), value), value),
        mode: value,
        runs: value,
        properties: fc.oneof(fc.array(fc.constantFrom('no-lost-wakeup', 'x'), { maxLength: 2 }), value),
        bogus: value,
      },
      { requiredKeys: [] },
    );
    const flags = { bug: [], property: [], mode: 'random', runs: '500', depth: '60' } as const;
    fc.assert(
      fc.property(runFile, (content) => {
        try {
          withRunFile({ ...flags, config: write(content) } as CheckFlags, () => false);
        } catch (error) {
          if (!(error instanceof UsageError)) throw error;
          expect(error.message).not.toContain('\n');
        }
      }),
      { seed: 1, numRuns: 200 },
    );
  });
});

describe('examples/runs/rfcv1-vs-irq-ack.json', () => {
  it('checks what README says it checks, its outputs moved by typed flags', async () => {
    const out = fs.mkdtempSync(path.join(tmp, 'example-out-'));
    const result = await run('check', '--config', path.join(import.meta.dirname, '..', 'examples', 'runs', 'rfcv1-vs-irq-ack.json'), '--trace-dir', out, '--junit', path.join(out, 'junit.xml'), '--quiet');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/single-slot\s+VIOLATED \(13 steps\)\s+holds/);
    expect(result.stdout).toMatch(/no-self-deadlock\s+VIOLATED \(9 steps\)\s+holds/);
    expect(result.stdout).toMatch(/no-lost-wakeup\s+holds\s+holds/);
    expect(fs.readFileSync(path.join(out, 'junit.xml'), 'utf8')).toContain('<testsuite name="rfcv1-irq-ack (');
  });
});
