import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { designByName, DesignSchema, type DesignOptions } from '../machines/design.js';
import { applyStep, enabledSteps, initialState, type SystemConfig } from '../src/system/system.js';
import { designHash, digestOf, parseTrace, type Trace } from '../src/trace/trace.js';
import { parse } from 'junit2json';
import { run, type Run } from './support/cli.js';

// ---------------------------------------------------------------------------
// helpers

afterEach(() => {
  vi.restoreAllMocks();
});

let tmp: string;
beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-'));
  // the outputs below are the plain ones, even when the suite itself runs on GitHub Actions
  vi.stubEnv('GITHUB_ACTIONS', '');
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** A fresh path in the temp dir. */
let counter = 0;
function tmpFile(name: string): string {
  counter += 1;
  return path.join(tmp, `${counter}-${name}`);
}

/** Lines of a captured stream, without the final empty one. */
function lines(text: string): string[] {
  return text.split('\n').filter((l, i, all) => !(l === '' && i === all.length - 1));
}

/** Exit 2, nothing on stdout, one `apfcheck: ...` line on stderr, no stack trace. */
function expectUsageError(result: Run): string {
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(result.stderr).not.toContain('    at ');
  expect(lines(result.stderr)).toHaveLength(1);
  expect(result.stderr).toMatch(/^apfcheck: /);
  return result.stderr;
}

/** Exit 2 from commander's own parsing: the same single `apfcheck: ...` line, pointing at --help. */
function expectParseError(result: Run): string {
  const message = expectUsageError(result);
  expect(message).toMatch(/\(see --help\)\n$/);
  return message;
}

function readJson(file: string): Record<string, any> {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, any>;
}

function writeJson(file: string, data: unknown): string {
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  return file;
}

const DESIGN_NAMES = ['x86', 'x86-legacy', 'arm64-rfcv1', 'arm64-sdei', 's390-pfault'];
const PROPERTY_IDS = [
  'no-lost-wakeup',
  'no-double-injection',
  'no-stuck-guest',
  'no-orphan-page-ready',
  'single-slot',
  'injection-context',
  'bounded-outstanding',
  'token-unique',
  'work-lifetime',
  'no-stale-write',
  'guest-atomicity',
  'no-self-deadlock',
  'no-dummy-leak',
];

// traces shared by the replay tests (each made once)
let rfcv1Trace: string;
let mutantTrace: string;
beforeAll(async () => {
  rfcv1Trace = path.join(tmp, 'rfcv1.json');
  // with timer exits the seed design's first violation is its self-deadlock on the sleeper-bucket lock
  expect((await run('check', '--design', 'arm64-rfcv1', '--timer-exits', '--seed', '1', '--runs', '200', '--quiet', '--trace-out', rfcv1Trace)).code).toBe(1);
  mutantTrace = path.join(tmp, 'mutant.json');
  expect((await run('check', '--bug', 'clear-queue-on-paging-off', '--mode', 'exhaustive', '--quiet', '--trace-out', mutantTrace)).code).toBe(1);
});

// ---------------------------------------------------------------------------

describe('list', () => {
  it.each(['designs', 'properties', 'bugs'])('list %s exits 0 and prints a table', async (what) => {
    const result = await run('list', what);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(lines(result.stdout).length).toBeGreaterThan(2);
    expect(lines(result.stdout)[1]).toMatch(/^-+(  -+)+$/);
  });

  it('lists the five designs, in order, as text and JSON', async () => {
    const text = await run('list', 'designs');
    for (const name of DESIGN_NAMES) expect(text.stdout).toContain(name);
    const json = await run('list', 'designs', '--json');
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout) as { name: string; options: { name: string } }[];
    expect(Array.isArray(data)).toBe(true);
    expect(data.map((d) => d.name)).toEqual(DESIGN_NAMES);
    expect(data.map((d) => d.options.name)).toEqual(DESIGN_NAMES);
  });

  it('lists every design option with its type, what it models and its value in each design, from the schema', async () => {
    const json = await run('list', 'options', '--json');
    expect(json.code).toBe(0);
    const options = JSON.parse(json.stdout) as { option: string; type: string; models: string; values?: string[]; designs: Record<string, unknown> }[];
    const fields = Object.keys(DesignSchema.shape).filter((f) => !['name', 'summary', 'section'].includes(f));
    expect(options.map((o) => o.option)).toEqual(fields);
    for (const o of options) {
      expect(o.models.length, o.option).toBeGreaterThan(20);
      for (const name of DESIGN_NAMES) expect(o.designs[name], `${o.option} ${name}`).toEqual(designByName(name)[o.option as keyof DesignOptions]);
    }
    expect(options.find((o) => o.option === 'completion')!.values).toEqual(['scan', 'direct']);
    const text = await run('list', 'options');
    expect(lines(text.stdout)[0]).toMatch(/^option +type +x86 +x86-legacy +arm64-rfcv1 +arm64-sdei +s390-pfault$/);
    expect(text.stdout).toMatch(/^completion +scan \| direct +scan +scan +scan +scan +direct$/m);
  });

  it('lists the thirteen properties as JSON', async () => {
    const json = await run('list', 'properties', '--json');
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout) as { id: string; kind: string }[];
    expect(Array.isArray(data)).toBe(true);
    expect(data.map((p) => p.id).sort()).toEqual([...PROPERTY_IDS].sort());
    for (const p of data) expect(['safety', 'liveness']).toContain(p.kind);
  });

  it('lists the bugs as JSON, each with a base design and a property it breaks', async () => {
    const json = await run('list', 'bugs', '--json');
    expect(json.code).toBe(0);
    const data = JSON.parse(json.stdout) as { id: string; base: string; breaks: string }[];
    expect(Array.isArray(data)).toBe(true);
    expect(data.map((b) => b.id)).toContain('clear-queue-on-paging-off');
    expect(data.map((b) => b.id)).toContain('pending-exception-df');
    for (const bug of data) {
      expect(DESIGN_NAMES).toContain(bug.base);
      expect(PROPERTY_IDS).toContain(bug.breaks);
    }
  });

  it('rejects an unknown list with the valid choices', async () => {
    const message = expectUsageError(await run('list', 'nonsense'));
    expect(message).toContain("'nonsense'");
    expect(message).toContain('designs, properties, bugs');
  });
});

describe('check', () => {
  it('--property checks the chosen properties only, and says so', async () => {
    // RFCv1's first violation is its self-deadlock; with single-slot alone it is the lost ELR_EL1
    const result = await run('check', '--design', 'arm64-rfcv1', '--mode', 'exhaustive', '--property', 'single-slot', '--json', '--quiet', '--trace-out', tmpFile('elr.json'));
    expect(result.code).toBe(1);
    const data = JSON.parse(result.stdout) as { properties: string[]; property: string };
    expect(data.properties).toEqual(['single-slot']);
    expect(data.property).toBe('single-slot');
    const holds = await run('check', '--design', 'x86', '--mode', 'exhaustive', '--property', 'no-lost-wakeup', '--property', 'single-slot', '--quiet');
    expect(holds.code).toBe(0);
    expect(holds.stdout).toContain('every property holds (checked: no-lost-wakeup, single-slot)');
  });

  it('--async-pf-sync builds the design with CONFIG_KVM_ASYNC_PF_SYNC, where the model can', async () => {
    const result = await run('check', '--design', 'arm64-rfcv1', '--async-pf-sync', '--mode', 'exhaustive', '--quiet', '--trace-out', tmpFile('sync.json'));
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('arm64-rfcv1+async-pf-sync');
    expect(result.stdout).toContain('VIOLATED single-slot: vcpu0: a second data abort was injected before the guest took the first');
    expect(expectUsageError(await run('check', '--design', 'x86', '--async-pf-sync'))).toContain('never selected ASYNC_PF_SYNC');
    expect(expectUsageError(await run('check', '--design', 's390-pfault', '--async-pf-sync'))).toContain('already');
    expect(expectUsageError(await run('check', '--all', '--async-pf-sync'))).toContain('--async-pf-sync');
  });

  it('--property: the trace records the properties judged, and replay judges those', async () => {
    const file = tmpFile('subset.json');
    expect((await run('check', '--design', 'arm64-rfcv1', '--mode', 'exhaustive', '--property', 'single-slot', '--quiet', '--trace-out', file)).code).toBe(1);
    expect(readJson(file).properties).toEqual(['single-slot']);
    const replayed = await run('replay', file);
    expect(replayed.code).toBe(1);
    expect(replayed.stdout).toContain('VIOLATED single-slot');
  });

  it('--property without the properties that report deaths says which paths it leaves unjudged', async () => {
    const result = await run('check', '--bug', 'ready-without-not-present', '--mode', 'exhaustive', '--property', 'no-lost-wakeup', '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("paths that end in a guest's death are judged by single-slot, injection-context, no-self-deadlock, no-dummy-leak, not checked here");
  });

  it('--property with --symmetry, when it names safety properties only', async () => {
    expect((await run('check', '--mode', 'exhaustive', '--symmetry', '--property', 'single-slot', '--quiet')).code).toBe(0);
    expect(expectUsageError(await run('check', '--mode', 'exhaustive', '--symmetry', '--property', 'no-lost-wakeup'))).toContain('--symmetry');
  });

  it('--property refuses an unknown id and liveness ids with --safety-only', async () => {
    expect(expectUsageError(await run('check', '--property', 'nope'))).toContain("unknown property 'nope'; the properties are: no-lost-wakeup,");
    expect(expectUsageError(await run('check', '--property', 'no-lost-wakeup', '--safety-only'))).toContain('liveness properties');
    expect(expectUsageError(await run('check', '--property', 'single-slot', '--property', 'no-lost-wakeup', '--safety-only'))).toContain('names no-lost-wakeup');
  });

  it('--all with --property or --safety-only has a row per property checked, none "not checked"', async () => {
    const dir = tmpFile('rows');
    const one = await run('check', '--all', '--property', 'single-slot', '--mode', 'exhaustive', '--quiet', '--trace-dir', dir, '--json');
    expect((JSON.parse(one.stdout) as { verdicts: object }[]).map((d) => Object.keys(d.verdicts))).toEqual(Array(5).fill(['single-slot']));
    const safety = await run('check', '--all', '--safety-only', '--runs', '5', '--seed', '1', '--quiet', '--trace-dir', dir);
    expect(safety.stdout).not.toMatch(/no-lost-wakeup|not checked/);
    expect(safety.stdout).toMatch(/^no-self-deadlock /m);
  });

  it('--all in exhaustive mode stops at Ctrl-C with the table so far and exit 3', async () => {
    // Ctrl-C, pressed until the running check (in its worker thread) has registered for it
    const pressing = setInterval(() => process.emit('SIGINT'), 300);
    const dir = tmpFile('all-interrupted');
    const result = await run('check', '--all', '--mode', 'exhaustive', '--vcpus', '2', '--tasks', '3', '--pages', '2', '--quiet', '--trace-dir', dir).finally(() => clearInterval(pressing));
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^no-lost-wakeup +interrupted +not checked/m);
    expect(result.stdout).toContain('stopped at Ctrl-C: the designs after the interrupted one were not checked');
  }, 60_000);

  it('random mode stops at Ctrl-C with what it covered and exit 3', async () => {
    // Ctrl-C once the search is under way: random mode yields to the event loop, where the handler runs
    const pressing = setInterval(() => process.emit('SIGINT'), 300);
    const result = await run('check', '--vcpus', '2', '--tasks', '3', '--pages', '2', '--runs', '1000000', '--depth', '200', '--seed', '3', '--quiet').finally(() => clearInterval(pressing));
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/INCOMPLETE: stopped at Ctrl-C \(or SIGTERM\) after \d+ schedules, \d+ distinct states; no violation so far/);
  }, 60_000);

  it('--all in random mode stops at Ctrl-C with the table so far and exit 3', async () => {
    const pressing = setInterval(() => process.emit('SIGINT'), 300);
    const dir = tmpFile('all-random-interrupted');
    const result = await run('check', '--all', '--vcpus', '2', '--tasks', '3', '--pages', '2', '--runs', '1000000', '--depth', '200', '--seed', '3', '--quiet', '--trace-dir', dir).finally(() => clearInterval(pressing));
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/^no-lost-wakeup +interrupted +not checked/m);
  }, 60_000);

  it('--all leaves a design that refuses a switch "not checked" and says why', async () => {
    const dir = fs.mkdtempSync(path.join(tmp, 'all-'));
    const result = await run('check', '--all', '--send-always', '--seed', '1', '--runs', '5', '--quiet', '--trace-dir', dir);
    expect(result.code).toBe(0);
    const header = lines(result.stdout).find((l) => l.startsWith('property'))!.split(/\s{2,}/);
    const row = lines(result.stdout).find((l) => l.startsWith('no-lost-wakeup'))!.split(/\s{2,}/);
    expect(row[header.indexOf('x86')]).toBe('not checked');
    expect(row[header.indexOf('x86-legacy')]).not.toBe('not checked');
    expect(result.stdout).toMatch(/not checked:\n {2}x86: sendAlways with design 'x86' is a guest that never existed/);
  });

  it('passes x86 in random mode', async () => {
    const result = await run('check', '--design', 'x86', '--seed', '1', '--runs', '100', '--quiet');
    expect(result.code).toBe(0);
    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('every property holds');
    expect(result.stdout).toContain('seed 1');
    expect(result.stdout).not.toContain('VIOLATED');
  });

  it('finds the arm64 RFCv1 self-deadlock in random mode and writes the trace', async () => {
    const file = tmpFile('t.json');
    const result = await run('check', '--design', 'arm64-rfcv1', '--timer-exits', '--seed', '1', '--runs', '200', '--quiet', '--trace-out', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('VIOLATED no-self-deadlock');
    expect(result.stdout).toContain(`trace written to ${file}`);
    expect(fs.existsSync(file)).toBe(true);
    const trace = readJson(file);
    expect(trace.format).toBe('apfcheck-trace/2');
    expect(trace.violation.property).toBe('no-self-deadlock');
    expect(trace.seed).toBe(1);
    expect(trace.mode).toBe('random');
  });

  it('prints one JSON object for an exhaustive check', async () => {
    const file = tmpFile('e.json');
    const result = await run('check', '--design', 'arm64-rfcv1', '--mode', 'exhaustive', '--quiet', '--json', '--trace-out', file);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toHaveLength(1);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(Object.keys(report).sort()).toEqual(
      [
        'design',
        'bugs',
        'scope',
        'mode',
        'seed',
        'result',
        'property',
        'message',
        'runs',
        'steps',
        'statesExplored',
        'durationMs',
        'traceFile',
        'counterexampleLength',
        'stoppedBy',
        'cycleStart',
        'search',
        'symmetry',
        'safetyOnly',
        'properties',
      ].sort(),
    );
    expect(report).toMatchObject({
      design: 'arm64-rfcv1',
      bugs: [],
      mode: 'exhaustive',
      seed: null,
      stoppedBy: null,
      cycleStart: null,
      result: 'violation',
      property: 'no-self-deadlock',
      traceFile: file,
    });
    expect(typeof report.message).toBe('string');
    expect(typeof report.counterexampleLength).toBe('number');
    expect(report.counterexampleLength).toBe(readJson(file).steps.length);
  });

  it('reports machine transition coverage after an exhaustive run', async () => {
    const result = await run('check', '--design', 'x86', '--mode', 'exhaustive', '--quiet');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('no reductions');
    expect(result.stdout).toMatch(/machine coverage in this scope:\n {2}host: \d+\/\d+ states.*, \d+\/\d+ transitions/);
    // x86 never takes the arm64-only branch of a syscall entry
    expect(result.stdout).toContain('guest.running:ENTER_KERNEL[0]');
  });

  it('splits random runs into shards with seeds of their own (--shard i/n)', async () => {
    const shard = async (i: number) => JSON.parse((await run('check', '--seed', '9', '--runs', '10', '--shard', `${i}/3`, '--quiet', '--json')).stdout);
    const shards = [await shard(1), await shard(2), await shard(3)];
    expect(shards.map((r) => r.runs)).toEqual([4, 3, 3]);
    expect(new Set(shards.map((r) => r.seed)).size).toBe(3);
    expect((await shard(2)).seed).toBe(shards[1].seed);
    expect(expectUsageError(await run('check', '--shard', '0/3'))).toContain('--shard must be i/n with 1 <= i <= n');
    expect(expectUsageError(await run('check', '--mode', 'exhaustive', '--shard', '1/2'))).toContain('exhaustive mode cannot be sharded');
  });

  it('stops at --max-states with exit 3', async () => {
    const result = await run('check', '--design', 'x86', '--mode', 'exhaustive', '--max-states', '50', '--quiet');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('INCOMPLETE');
    expect(result.stdout).toContain('max-states');
  });

  it('checks a bug on its base design and scope', async () => {
    const file = tmpFile('m.json');
    const result = await run('check', '--bug', 'clear-queue-on-paging-off', '--mode', 'exhaustive', '--quiet', '--trace-out', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('VIOLATED no-lost-wakeup');
    expect(result.stdout).toMatch(/^x86 \+ clear-queue-on-paging-off \(.*\+smm\)/);
    const trace = readJson(file);
    expect(trace.bugs).toEqual(['clear-queue-on-paging-off']);
    expect(trace.scope.smm).toBe(true);
    expect(trace.violation.property).toBe('no-lost-wakeup');
  });

  it('is deterministic for a fixed seed', async () => {
    const argv = (file: string) => ['check', '--design', 'arm64-rfcv1', '--seed', '7', '--runs', '200', '--quiet', '--json', '--trace-out', file];
    const [fileA, fileB] = [tmpFile('det-a.json'), tmpFile('det-b.json')];
    const a = await run(...argv(fileA));
    const b = await run(...argv(fileB));
    expect(a.code).toBe(1);
    expect(b.code).toBe(1);
    const [ra, rb] = [JSON.parse(a.stdout), JSON.parse(b.stdout)] as Record<string, unknown>[];
    expect(ra!.seed).toBe(7);
    expect(rb!.property).toBe(ra!.property);
    expect(rb!.counterexampleLength).toBe(ra!.counterexampleLength);
    expect(fs.readFileSync(fileB)).toEqual(fs.readFileSync(fileA));
  });
});

describe('usage errors', () => {
  it('rejects an unknown design, naming the valid ones', async () => {
    const message = expectUsageError(await run('check', '--design', 'ppc'));
    expect(message).toContain("'ppc'");
    for (const name of DESIGN_NAMES) expect(message).toContain(name);
  });

  it('rejects an unknown bug, naming the valid ones', async () => {
    const message = expectUsageError(await run('check', '--bug', 'nope'));
    expect(message).toContain("unknown bug 'nope'");
    expect(message).toContain('clear-queue-on-paging-off');
  });

  it.each([
    [['--vcpus', '9'], /vcpus must be an integer from 1 to 4, got 9/],
    [['--vcpus', 'abc'], /--vcpus must be a whole number, got 'abc'/],
    [['--tasks', '0'], /tasks must be an integer from 1 to 6, got 0/],
    [['--design', 'arm64-rfcv1', '--smm'], /smm is an x86 switch; design 'arm64-rfcv1'/],
    [['--design', 'x86', '--bug', 'pending-exception-df'], /bug 'pending-exception-df' is a mutant of design 'x86-legacy', not 'x86'/],
    [['--all', '--design', 'x86'], /--all/],
    [['--max-states', '5'], /--max-states, --max-seconds, --symmetry and --workers belong to --mode exhaustive/],
    [['--workers', '2'], /--max-states, --max-seconds, --symmetry and --workers belong to --mode exhaustive/],
    [['--mode', 'exhaustive', '--workers', '0'], /--workers must be from 1 to 64, got 0/],
    [['--mode', 'exhaustive', '--symmetry'], /--symmetry is sound for the safety properties only .*: add --safety-only/],
    [['--depth', '0'], /--depth must be from 1 to 10000, got 0/],
    [['--design', 'x86', '--send-always'], /sendAlways with design 'x86' is a guest that never existed: .*designs with SEND_ALWAYS: x86-legacy, arm64-rfcv1/],
  ])('check %j exits 2 with one line', async (args, pattern) => {
    const message = expectUsageError(await run('check', '--quiet', '--seed', '1', '--runs', '1', ...args));
    expect(message).toMatch(pattern);
  });

  it('rejects --runs 0 rather than passing on no evidence', async () => {
    expect(expectUsageError(await run('check', '--quiet', '--runs', '0'))).toMatch(/--runs must be from 1 to/);
  });

  it.each([
    ['a missing directory', () => path.join(tmp, 'no-such-dir', 'x.json'), /--trace-out .*x\.json: the directory .*no-such-dir does not exist/],
    ['a directory', () => tmp, /that is a directory; name a file in it/],
  ])('reports an unwritable --trace-out (%s) in one line', async (_, target, pattern) => {
    const result = await run('check', '--design', 'arm64-rfcv1', '--mode', 'exhaustive', '--quiet', '--trace-out', target());
    expect(expectUsageError(result)).toMatch(pattern);
  });

  it('rejects an invalid --mode choice', async () => {
    const message = expectParseError(await run('check', '--mode', 'fast'));
    expect(message).toContain("'fast'");
    expect(message).toContain('random, exhaustive');
  });

  it('rejects an unknown option', async () => {
    expect(expectParseError(await run('check', '--frobnicate'))).toContain("unknown option '--frobnicate'");
  });

  it('rejects an unknown command', async () => {
    expect(expectParseError(await run('frobnicate'))).toContain("unknown command 'frobnicate'");
  });
});

describe('help', () => {
  it('--help exits 0 and lists the commands', async () => {
    const result = await run('--help');
    expect(result.code).toBe(0);
    for (const command of ['list', 'check', 'replay']) expect(result.stdout).toContain(command);
  });

  it('check --help exits 0 and lists the options', async () => {
    const result = await run('check', '--help');
    expect(result.code).toBe(0);
    for (const option of ['--design', '--bug', '--mode', '--trace-out', '--max-states']) expect(result.stdout).toContain(option);
  });
});

describe('replay', () => {
  it('replays a violating trace: step table and VIOLATED, exit 1', async () => {
    const trace = readJson(rfcv1Trace);
    const result = await run('replay', rfcv1Trace);
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/#\s+actor\s+action\s+effect/);
    for (const step of trace.steps as { label: string }[]) expect(result.stdout).toContain(step.label);
    expect(result.stdout).toContain(`VIOLATED no-self-deadlock after step ${trace.steps.length}`);
  });

  it('prints one JSON object with --json', async () => {
    const trace = readJson(rfcv1Trace);
    const result = await run('replay', '--json', rfcv1Trace);
    expect(result.code).toBe(1);
    expect(lines(result.stdout)).toHaveLength(1);
    const data = JSON.parse(result.stdout) as Record<string, any>;
    expect(data.status).toBe('violation');
    expect(data.file).toBe(rfcv1Trace);
    expect(data.design).toBe('arm64-rfcv1');
    expect(data.violation.property).toBe('no-self-deadlock');
    expect(data.recorded).toEqual(trace.violation);
    expect(data.steps).toHaveLength(trace.steps.length);
    expect(data.divergence).toBeNull();
  });

  it('prints byte-identical output twice', async () => {
    const a = await run('replay', rfcv1Trace);
    const b = await run('replay', rfcv1Trace);
    expect(b).toEqual(a);
    expect(await run('replay', '--json', rfcv1Trace)).toEqual(await run('replay', '--json', rfcv1Trace));
  });

  it('rejects a missing file', async () => {
    const missing = path.join(tmp, 'does-not-exist.json');
    const message = expectUsageError(await run('replay', missing));
    expect(message).toContain(missing);
    expect(message).toContain('ENOENT');
  });

  it('rejects a truncated file as not JSON', async () => {
    const text = fs.readFileSync(rfcv1Trace, 'utf8');
    const file = tmpFile('truncated.json');
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    const message = expectUsageError(await run('replay', file));
    expect(message).toContain('truncated');
    expect(message).toContain(file);
  });

  it('rejects another format version by name', async () => {
    const file = writeJson(tmpFile('v3.json'), { ...readJson(rfcv1Trace), format: 'apfcheck-trace/3' });
    expect(expectUsageError(await run('replay', file))).toContain("format 'apfcheck-trace/3' is not supported");
  });

  it('rejects a missing field, naming its path', async () => {
    const trace = readJson(rfcv1Trace);
    delete trace.steps[0].digest;
    const file = writeJson(tmpFile('no-digest.json'), trace);
    expect(expectUsageError(await run('replay', file))).toContain("field 'steps.0.digest'");
  });

  it('rejects edited design options whose hash was not updated', async () => {
    const trace = readJson(rfcv1Trace);
    trace.design.options.lapicGate = !trace.design.options.lapicGate;
    const file = writeJson(tmpFile('edited.json'), trace);
    expect(expectUsageError(await run('replay', file))).toContain('design.hash');
  });

  it('reports a trace whose step digest was altered as diverged at that step', async () => {
    const trace = readJson(rfcv1Trace);
    const digest: string = trace.steps[2].digest;
    trace.steps[2].digest = `${digest[0] === '0' ? '1' : '0'}${digest.slice(1)}`;
    const file = writeJson(tmpFile('diverged.json'), trace);
    const result = await run('replay', file);
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain('    at ');
    expect(lines(result.stderr)).toHaveLength(1);
    expect(result.stderr).toContain('diverged at step 3');
    expect(result.stdout).not.toContain('VIOLATED');

    const json = await run('replay', '--json', file);
    expect(json.code).toBe(2);
    const data = JSON.parse(json.stdout) as Record<string, any>;
    expect(data.status).toBe('diverged');
    expect(data.divergence.step).toBe(3);
    expect(data.steps).toHaveLength(2);
  });
});

describe('replay of a mutant trace', () => {
  it('recurs as a violation on the mutant', async () => {
    const result = await run('replay', mutantTrace);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('VIOLATED no-lost-wakeup');
  });

  it('runs clean when the same steps are replayed with the fix applied', async () => {
    const trace = parseTrace(fs.readFileSync(mutantTrace, 'utf8'), mutantTrace);
    const fixed = designByName('x86');
    expect(trace.design.options).not.toEqual(fixed);
    const config: SystemConfig = { design: fixed, scope: trace.scope };
    let state = initialState(config, trace.placement);
    const initialDigest = digestOf(state);
    const steps = trace.steps.map((recorded) => {
      const step = enabledSteps(state).find((s) => s.label === recorded.label);
      expect(step, `'${recorded.label}' is enabled in the fixed design`).toBeDefined();
      state = applyStep(state, step!);
      return { ...recorded, digest: digestOf(state) };
    });
    // the fix changes where the path goes (else this test would prove nothing)
    expect(steps.map((s) => s.digest)).not.toEqual(trace.steps.map((s) => s.digest));
    const patched: Trace = {
      ...trace,
      design: { name: fixed.name, options: fixed, hash: designHash(fixed) },
      // the fix applied: the trace no longer claims the bug (its design would contradict it)
      bugs: [],
      initialDigest,
      steps,
    };
    const file = writeJson(tmpFile('fixed.json'), patched);

    const result = await run('replay', file);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('runs clean');
    expect(result.stdout).not.toContain('VIOLATED');
  });
});

describe('report', () => {
  it('writes one self-contained HTML file for a trace', async () => {
    const out = path.join(tmp, 'report.html');
    const result = await run('report', rfcv1Trace, '-o', out);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^report written to .*report\.html \(\d+ KB, self-contained/);
    const html = fs.readFileSync(out, 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/);
    // the three machines and the sequence diagram, inline
    expect(html.match(/<figure class="machine"/g)).toHaveLength(3);
    expect(html).toContain('<svg xmlns="http://www.w3.org/2000/svg" class="sequence"');
    // nothing fetched: no scripts, no links, no external images
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
  });

  it('draws a design without a trace', async () => {
    const out = path.join(tmp, 'design.html');
    expect((await run('report', '--design', 'x86-legacy', '-o', out)).code).toBe(0);
    expect(fs.readFileSync(out, 'utf8')).toContain('apfcheck report: design x86-legacy');
  });

  it.each([
    [[], /give a trace file \(apfcheck report FILE\) or a design/],
    [['some.json', '--design', 'x86'], /not both/],
    [['--design', 'ppc'], /unknown design 'ppc'/],
    [['no-such-trace.json'], /cannot read no-such-trace\.json: ENOENT/],
  ])('report %j exits 2 with one line', async (args, pattern) => {
    expect(expectUsageError(await run('report', ...args))).toMatch(pattern);
  });

  it('reports an unwritable -o in one line', async () => {
    expect(expectUsageError(await run('report', rfcv1Trace, '-o', path.join(tmp, 'nope', 'r.html')))).toMatch(/cannot write -o .*ENOENT/);
  });
});

describe('hostile input and lost results (issue 19)', () => {
  it('prints its version', async () => {
    const result = await run('--version');
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe((JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version);
  });

  it('check --all --strict exits 1 when a property is violated, 0 without --strict', async () => {
    const dir = tmpFile('strict');
    expect((await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--trace-dir', dir)).code).toBe(0);
    expect((await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--strict', '--trace-dir', dir)).code).toBe(1);
    // nothing violated: 0 with --strict too
    expect((await run('check', '--all', '--tasks', '1', '--seed', '1', '--runs', '5', '--depth', '2', '--quiet', '--strict', '--trace-dir', dir)).code).toBe(0);
  });

  it('annotates each violation for GitHub Actions when GITHUB_ACTIONS=true, and only then', async () => {
    const dir = tmpFile('annotations');
    vi.stubEnv('GITHUB_ACTIONS', 'true');
    try {
      const annotated = await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--trace-dir', dir);
      const errors = lines(annotated.stdout).filter((l) => l.startsWith('::error '));
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]).toMatch(/^::error title=apfcheck x86-legacy%3A no-lost-wakeup::task0 \(cpu0\) sleeps on token 0x1000 .* \(3 steps\) replay: npx apfcheck replay .*x86-legacy--no-lost-wakeup\.json$/);
      // one JSON object stays one JSON object
      const json = await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--json', '--trace-dir', dir);
      expect(lines(json.stdout)).toHaveLength(1);
    } finally {
      vi.stubEnv('GITHUB_ACTIONS', '');
    }
    expect((await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--trace-dir', dir)).stdout).not.toContain('::error');
  });

  describe('--json-lines', () => {
    const parsed = (stdout: string) => lines(stdout).map((l) => JSON.parse(l) as { type: string } & Record<string, unknown>);

    it('streams progress, then the result, one JSON object per line', async () => {
      const result = await run('check', '--vcpus', '2', '--tasks', '2', '--runs', '50', '--seed', '1', '--json-lines', '--trace-out', tmpFile('jl.json'));
      expect(result.code).toBe(0);
      const out = parsed(result.stdout);
      expect(out[0]).toMatchObject({ type: 'progress' });
      expect(out.at(-1)).toMatchObject({ type: 'result', result: 'pass', design: 'x86', runs: 50 });
      expect(out.slice(0, -1).every((l) => l.type === 'progress')).toBe(true);
    });

    it('streams each design\'s verdicts as it is checked, then a summary with the exit code', async () => {
      const result = await run('check', '--all', '--seed', '1', '--runs', '20', '--json-lines', '--strict', '--trace-dir', tmpFile('jl-traces'));
      expect(result.code).toBe(1);
      const out = parsed(result.stdout);
      const verdicts = out.filter((l) => l.type === 'verdict');
      expect(verdicts).toHaveLength(DESIGN_NAMES.length * PROPERTY_IDS.length);
      expect(verdicts.slice(0, PROPERTY_IDS.length).map((v) => v.property)).toEqual(PROPERTY_IDS);
      expect(verdicts.find((v) => v.design === 'x86-legacy' && v.property === 'no-lost-wakeup')).toMatchObject({ result: 'violation', counterexampleLength: 3 });
      expect(out.at(-1)).toMatchObject({ type: 'summary', exitCode: 1 });
      // each design's verdicts come before the next design's progress: they are written as it finishes
      const firstLegacyVerdict = out.findIndex((l) => l.type === 'verdict' && l.design === 'x86-legacy');
      const lastX86Verdict = out.map((l) => l.type === 'verdict' && l.design === 'x86').lastIndexOf(true);
      expect(lastX86Verdict).toBeLessThan(firstLegacyVerdict);
    });

    it('is refused beside --json', async () => {
      expect(expectUsageError(await run('check', '--json', '--json-lines'))).toContain('give one of them');
    });
  });

  describe('--junit', () => {
    interface Case { name: string; classname: string; failure?: { message: string; inner?: string }[]; skipped?: { message: string }[]; error?: unknown[] }
    interface Suite { name: string; tests: number; failures: number; skipped: number; testcase: Case[] }
    const parseJunit = async (file: string) => (await parse(fs.readFileSync(file, 'utf8'))) as unknown as { tests: number; failures: number; testsuite: Suite[] };

    it('writes one testcase per design and property for --all, a violation as a failure with its steps and replay command', async () => {
      const file = tmpFile('all.xml');
      const result = await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--trace-dir', tmpFile('junit-traces'), '--junit', file);
      expect(result.code).toBe(0);
      const junit = await parseJunit(file);
      expect(junit.testsuite.map((s) => s.name.split(' ')[0])).toEqual(DESIGN_NAMES);
      expect(junit.tests).toBe(DESIGN_NAMES.length * PROPERTY_IDS.length);
      const legacy = junit.testsuite.find((s) => s.name.startsWith('x86-legacy '))!;
      expect(legacy.testcase.map((c) => c.name)).toEqual(PROPERTY_IDS);
      const lost = legacy.testcase.find((c) => c.name === 'no-lost-wakeup')!;
      expect(lost.failure![0]!.message).toMatch(/^task0 \(cpu0\) sleeps on token 0x1000/);
      expect(lost.failure![0]!.inner).toMatch(/^counterexample: 3 steps\n1 guest0 cpu0: task0 touches page0\n[\s\S]*replay: npx apfcheck replay .*x86-legacy--no-lost-wakeup\.json$/);
      expect(junit.failures).toBe(junit.testsuite.reduce((n, s) => n + s.failures, 0));
      expect(junit.testsuite.find((s) => s.name.startsWith('x86 '))!.failures).toBe(0);
    });

    it('marks the properties a refused switch leaves unchecked as skipped, with the reason', async () => {
      const file = tmpFile('skipped.xml');
      expect((await run('check', '--all', '--smm', '--seed', '1', '--runs', '5', '--quiet', '--trace-dir', tmpFile('junit-traces'), '--junit', file)).code).toBe(0);
      const rfcv1 = (await parseJunit(file)).testsuite.find((s) => s.name.startsWith('arm64-rfcv1 '))!;
      expect(rfcv1.skipped).toBe(PROPERTY_IDS.length);
      expect(rfcv1.testcase[0]!.skipped![0]!.message).toMatch(/^not checked: smm is an x86 switch/);
    });

    it('writes a single check: its violation failed, the properties after it not judged', async () => {
      const file = tmpFile('one.xml');
      expect((await run('check', '--bug', 'no-dummy', '--mode', 'exhaustive', '--quiet', '--trace-out', tmpFile('one.json'), '--junit', file)).code).toBe(1);
      const [suite] = (await parseJunit(file)).testsuite;
      expect(suite!.name).toMatch(/^x86\+no-dummy \(/);
      expect(suite!.testcase.find((c) => c.name === 'no-lost-wakeup')!.failure).toHaveLength(1);
      expect(suite!.skipped).toBe(PROPERTY_IDS.length - 1);
    });

    it('checks the file before the work', async () => {
      expect(expectUsageError(await run('check', '--junit', path.join(tmp, 'missing', 'x.xml')))).toMatch(/--junit .*x\.xml: the directory .*missing does not exist/);
    });
  });

  it('names one command when run with none, in one line', async () => {
    expect(expectUsageError(await run())).toContain('name a command: list, check, replay, export, inspect or report');
  });

  it('refuses --trace-dir without --all, --trace-out with --all, a bug given twice, --max-states 0 and --trace-out -', async () => {
    expect(expectUsageError(await run('check', '--trace-dir', tmpFile('d')))).toContain('--trace-dir goes with --all');
    expect(expectUsageError(await run('check', '--all', '--trace-out', tmpFile('t.json')))).toContain('--trace-out names one trace');
    expect(expectUsageError(await run('check', '--bug', 'no-dummy', '--bug', 'no-dummy'))).toContain("bug 'no-dummy' is given twice");
    expect(expectUsageError(await run('check', '--mode', 'exhaustive', '--max-states', '0'))).toContain('--max-states must be from 1');
    expect(expectUsageError(await run('check', '--trace-out', '-'))).toContain('a trace goes to a file');
  });

  it('checks --trace-dir before the work', async () => {
    const result = await run('check', '--all', '--mode', 'exhaustive', '--trace-dir', path.join(tmp, 'missing', 'deeper'));
    expect(expectUsageError(result)).toMatch(/--trace-dir .*deeper: the directory .*missing does not exist/);
  });

  it('prints the verdict and writes the trace elsewhere, named, when writing it fails after the search', async () => {
    // a name no file system accepts: the directory is writable, so only the write itself can fail
    const file = path.join(tmp, `${'x'.repeat(300)}.json`);
    const result = await run('check', '--bug', 'no-dummy', '--mode', 'exhaustive', '--quiet', '--trace-out', file);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('VIOLATED no-lost-wakeup');
    const fallback = /wrote it to (\S+) instead/.exec(result.stderr)?.[1];
    expect(fallback).toBeDefined();
    expect(result.stdout).toContain(`trace written to ${fallback}`);
    expect(readJson(fallback!).violation.property).toBe('no-lost-wakeup');
    fs.rmSync(fallback!);
  });

  it('--all keeps its table and writes the traces elsewhere, named, when the trace directory cannot be made', async () => {
    const dir = path.join(tmp, 'd'.repeat(300));
    const result = await run('check', '--all', '--seed', '1', '--runs', '20', '--quiet', '--trace-dir', dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^no-lost-wakeup +holds +VIOLATED/m);
    const fallback = /writing the traces to (\S+) instead/.exec(result.stderr)?.[1];
    expect(fallback).toBeDefined();
    expect(fs.readdirSync(fallback!).length).toBeGreaterThan(0);
    fs.rmSync(fallback!, { recursive: true, force: true });
  });

  it('prints no clock seed for --all in exhaustive mode, so identical runs print the same JSON', async () => {
    const result = await run('check', '--all', '--mode', 'exhaustive', '--tasks', '1', '--json', '--quiet', '--trace-dir', tmpFile('a'));
    const designs = JSON.parse(result.stdout) as { seed: unknown }[];
    expect(designs).toHaveLength(5);
    expect(designs.map((d) => d.seed)).toEqual([null, null, null, null, null]);
    // one vocabulary with check --json
    const results = new Set(designs.flatMap((d) => Object.values((d as unknown as { verdicts: Record<string, { result: string }> }).verdicts).map((v) => v.result)));
    expect([...results].every((r) => ['pass', 'violation', 'incomplete', 'not checked'].includes(r))).toBe(true);
    expect(results.has('pass')).toBe(true);
  });

  describe('edited traces are refused, in one line naming the file and the field', () => {
    const edited = (edit: (t: Record<string, unknown>) => void, text = (t: unknown) => JSON.stringify(t)): string => {
      const trace = readJson(path.join(import.meta.dirname, '..', 'examples', 'x86-legacy-no-kick.json')) as Record<string, unknown>;
      edit(trace);
      const file = tmpFile('edited.json');
      fs.writeFileSync(file, text(trace));
      return file;
    };
    it.each([
      ['no steps but a recorded violation', (t: Record<string, unknown>) => void (t.steps = []), /field 'steps': a recorded violation needs at least one step/],
      ['an unknown bug', (t: Record<string, unknown>) => void (t.bugs = ['no-such-bug']), /field 'bugs.0': unknown bug 'no-such-bug'/],
      ['a bug of another design', (t: Record<string, unknown>) => void (t.bugs = ['clear-queue-on-paging-off']), /bug 'clear-queue-on-paging-off' is catalogued, but the design is not x86 with it applied/],
      ['a switch the design does not model', (t: Record<string, unknown>) => void ((t.scope as Record<string, unknown>).migration = true), /field 'scope': migration moves L1's vCPU thread/],
    ])('%s', async (_, edit, pattern) => {
      const file = edited(edit);
      expect(expectUsageError(await run('replay', file))).toMatch(pattern);
    });

    it('escapes control characters read from the file', async () => {
      const file = edited((t) => {
        const steps = t.steps as { digest: string; label: string }[];
        steps[1]!.digest = '0'.repeat(16);
        steps[1]!.label = 'evil\u001b[2J';
      });
      const result = await run('replay', file);
      expect(result.code).toBe(2);
      expect(lines(result.stderr)).toHaveLength(1);
      expect(result.stderr).toContain('evil\\u001b[2J');
      expect(`${result.stdout}${result.stderr}`).not.toContain('\u001b');
    });

    it('reads a file that starts with a byte-order mark', async () => {
      const file = edited(() => undefined, (t) => `\ufeff${JSON.stringify(t)}`);
      expect((await run('replay', file)).code).toBe(1);
    });
  });
});
