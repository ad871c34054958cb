/**
 * The library API (src/index.ts, the package's entry) from the sources: it
 * gives the command line's verdicts, lists what `apfcheck list --json` lists,
 * replays traces, and refuses bad input with the typed errors before any
 * search. test/package.test.ts runs a user's test against the packed build.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  check,
  checkEachProperty,
  DEFAULT_SCOPE,
  listBugs,
  listDesigns,
  listProperties,
  loadDesignFile,
  parseTrace,
  readTraceFile,
  replay,
  TraceFormatError,
  UsageError,
  VERSION,
  type CheckReport,
  type DesignOptions,
} from '../src/index.js';
import { run } from './support/cli.js';

const root = path.resolve(import.meta.dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-library-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('lists', () => {
  it.each(['designs', 'properties', 'bugs'] as const)('list %s: the same entries as apfcheck list --json', async (what) => {
    const cli = JSON.parse((await run('list', what, '--json')).stdout) as { name?: string; id?: string }[];
    const listed = { designs: listDesigns, properties: listProperties, bugs: listBugs }[what]();
    expect(listed.map((e) => ('name' in e ? e.name : e.id))).toEqual(cli.map((e) => e.name ?? e.id));
    if (what !== 'designs') expect(listed).toEqual(cli);
  });

  it('knows its version', () => {
    expect(VERSION).toBe((JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version);
  });
});

describe('check', () => {
  it('x86 holds every property at the default scope, exhaustively, as the command line says', async () => {
    const report = await check({ design: 'x86', mode: 'exhaustive' });
    expect(report).toMatchObject({ design: 'x86', result: 'pass', scope: DEFAULT_SCOPE, properties: listProperties().map((p) => p.id) });
    const cli = JSON.parse((await run('check', '--design', 'x86', '--mode', 'exhaustive', '--json', '--quiet', '--trace-out', path.join(tmp, 'x86.json'))).stdout) as { statesExplored: number };
    expect(report.statesExplored).toBe(cli.statesExplored);
  });

  it('a catalogued bug runs on its base design at its smallest scope, and its trace replays to the same violation', async () => {
    const bug = listBugs().find((b) => b.id === 'clear-queue-on-paging-off')!;
    const report = await check({ bugs: [bug.id], mode: 'exhaustive' });
    expect(report).toMatchObject({ design: bug.base, bugs: [bug.id], result: 'violation', property: bug.breaks, scope: { ...DEFAULT_SCOPE, ...bug.scope } });
    const replayed = replay(report.trace!);
    expect(replayed.status).toBe('violation');
    expect(replayed.status === 'violation' && replayed.violation.property).toBe(bug.breaks);
    expect(replayed.steps).toHaveLength(report.counterexampleLength!);
  });

  it('checks design options and design files', async () => {
    const sdei = listDesigns().find((d) => d.name === 'arm64-sdei')!;
    expect((await check({ design: sdei, mode: 'exhaustive' })).design).toBe('arm64-sdei');
    const file = path.join(root, 'examples/designs/rfcv1-irq-ack.json');
    const loaded = loadDesignFile(file);
    const report = await check({ design: file, mode: 'exhaustive', properties: ['single-slot'] });
    expect(report.design).toBe(loaded.name);
    expect(report.properties).toEqual(['single-slot']);
  });

  it('applies a bug a design file defines, recording its definition in the trace', async () => {
    const file = path.join(tmp, 'own-bug.json');
    const own = { id: 'no-pending-check', description: 'async PF while an exception is pending', options: { checkPendingException: false }, scope: { tasks: 1 } };
    fs.writeFileSync(file, JSON.stringify({ format: 'apfcheck-design/1', name: 'legacy-mine', extends: 'x86-legacy', bugs: [own] }));
    const report = await check({ design: file, bugs: ['no-pending-check'], mode: 'exhaustive', properties: ['single-slot'] });
    expect(report).toMatchObject({ design: 'legacy-mine', bugs: ['no-pending-check'], result: 'violation', scope: { tasks: 1 } });
    expect(report.trace!.bugDefinitions).toEqual([own]);
    expect(replay(report.trace!).status).toBe('violation');
  });

  it('gives each property its verdict, as check --all does for each design', async () => {
    const { verdicts, reports } = await checkEachProperty({ bugs: ['clear-queue-on-paging-off'], mode: 'exhaustive' });
    expect(Object.keys(verdicts).sort()).toEqual(listProperties().map((p) => p.id).sort());
    const broken = Object.entries(verdicts).filter(([, v]) => v.result !== 'pass');
    // a lost wakeup leaves the task asleep: both liveness properties break, each with its own counterexample
    expect(broken.map(([id, v]) => [id, v.result, v.property])).toEqual([
      ['no-lost-wakeup', 'violation', 'no-lost-wakeup'],
      ['no-stuck-guest', 'violation', 'no-stuck-guest'],
    ]);
    // the properties that hold were decided by the last check, which found no violation
    expect(reports.map((r) => r.result)).toEqual(['violation', 'violation', 'pass']);
    expect(verdicts['token-unique']).toBe(reports[2]);
  });

  it('refuses bad options with a UsageError before any search', async () => {
    await expect(check({ design: 'x87' })).rejects.toThrow(UsageError);
    await expect(check({ design: 'x87' })).rejects.toThrow(/design: no built-in design 'x87'; did you mean 'x86'/);
    await expect(check({ bugs: ['no-such-bug'] })).rejects.toThrow(/unknown bug 'no-such-bug'/);
    await expect(check({ scope: { vcpu: 2 } as never })).rejects.toThrow(/scope: field 'vcpu'/);
    await expect(check({ scope: { vcpus: 9 } })).rejects.toThrow(UsageError);
    await expect(check({ mode: 'bfs' as never })).rejects.toThrow(/mode must be/);
    await expect(check({ design: { ...listDesigns()[0]!, tokenShift: 'x' } as unknown as DesignOptions })).rejects.toThrow(/design: field 'tokenShift'/);
    await expect(check({ design: listDesigns()[0]!, bugs: ['missed-kick'] })).rejects.toThrow(UsageError);
    await expect(check({ design: path.join(tmp, 'missing.json') })).rejects.toThrow(/cannot read the design file/);
    await expect(check({ properties: ['no-such-property' as never] })).rejects.toThrow(UsageError);
  });

  it('checks budgets as the command line does: ranges, and what belongs to exhaustive mode', async () => {
    await expect(check({ runs: 0 })).rejects.toThrow(/options: field 'runs'/);
    await expect(check({ depth: 0 })).rejects.toThrow(/options: field 'depth'/);
    await expect(check({ seed: -1 })).rejects.toThrow(/options: field 'seed'/);
    await expect(check({ seed: 1.5 })).rejects.toThrow(/options: field 'seed'/);
    await expect(check({ mode: 'exhaustive', workers: 65 })).rejects.toThrow(/options: field 'workers'/);
    await expect(check({ mode: 'exhaustive', maxStates: 0 })).rejects.toThrow(/options: field 'maxStates'/);
    await expect(check({ maxStates: 100, workers: 2 })).rejects.toThrow(/maxStates, workers belong to mode 'exhaustive'/);
    await expect(check({ mode: 'exhaustive', symmetry: true })).rejects.toThrow(/symmetry is sound for the safety properties only/);
  });

  it('reports a seed of 0 in exhaustive mode, so two identical runs report the same', async () => {
    const strip = ({ durationMs: _d, ...rest }: CheckReport) => rest;
    expect(strip(await check({ mode: 'exhaustive' }))).toEqual(strip(await check({ mode: 'exhaustive' })));
    expect((await check({ mode: 'exhaustive' })).seed).toBe(0);
  });

  it('hands out the built-in designs and the default scope frozen: a caller cannot change later checks', () => {
    expect(() => {
      (DEFAULT_SCOPE as { vcpus: number }).vcpus = 2;
    }).toThrow(TypeError);
    expect(() => {
      (listDesigns()[0] as { ack: string }).ack = 'none';
    }).toThrow(TypeError);
  });
});

describe('traces', () => {
  const example = path.join(root, 'examples/x86-legacy-no-kick.json');

  it('replays a trace file, as apfcheck replay does', async () => {
    const replayed = replay(example);
    const cli = JSON.parse((await run('replay', example, '--json')).stdout) as { status: string; steps: unknown[] };
    expect(replayed.status).toBe(cli.status);
    expect(replayed.steps).toEqual(cli.steps);
  });

  it('reads and parses traces, refusing a bad one with a TraceFormatError', () => {
    const trace = readTraceFile(example);
    expect(parseTrace(fs.readFileSync(example, 'utf8'), example)).toEqual(trace);
    expect(() => parseTrace('{"format": "apfcheck-trace/2"}', 'mine.json')).toThrow(TraceFormatError);
    expect(replay({ ...trace, initialDigest: '0'.repeat(16) })).toMatchObject({ status: 'diverged', at: 0, steps: [] });
    expect(() => replay({ ...trace, design: { ...trace.design, hash: '0000000000000000' } })).toThrow(/design.hash/);
    expect(() => readTraceFile(path.join(tmp, 'missing.json'))).toThrow(TraceFormatError);
  });
});
