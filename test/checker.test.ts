/**
 * The random and exhaustive checkers on the built-in designs at the default
 * scope (1 vCPU, 2 tasks, 1 page, limit 2), with fixed seeds and budgets.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DESIGNS, designByName } from '../machines/design.js';
import { propertyById } from '../properties/index.js';
import { incompleteSummary } from '../src/cli/ci-output.js';
import { runCheck, type CheckRequest } from '../src/check/check.js';
import { runCheckInterruptible } from '../src/check/interruptible.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';

const request = (design: string, mode: CheckRequest['mode'], seed = 1): CheckRequest => ({
  design: designByName(design),
  mutants: [],
  scope: DEFAULT_SCOPE,
  mode,
  seed,
  runs: 300,
  depth: 60,
});

describe('x86 at the default scope', () => {
  it('passes every property in random mode (seed 1, 300 schedules of up to 60 steps)', () => {
    const report = runCheck(request('x86', 'random'));
    expect(report.result).toBe('pass');
    expect(report.runs).toBe(300);
    expect(report.statesExplored).toBeGreaterThan(100);
  });

  it('passes every property in exhaustive mode, covering the whole scope', () => {
    const report = runCheck(request('x86', 'exhaustive'));
    expect(report.result).toBe('pass');
    // the figure of bench/differential.json's "x86 (1,2,1) exhaustive" row
    expect(report.statesExplored).toBe(222);
  });
});

describe.each(DESIGNS.map((d) => d.name))('%s: random and exhaustive agree', (design) => {
  it('reports the same verdict; the property random mode breaks, exhaustive mode breaks too, never with a longer trace', () => {
    const random = runCheck(request(design, 'random'));
    const exhaustive = runCheck(request(design, 'exhaustive'));
    expect(random.result).toBe(exhaustive.result);
    if (random.property === null) return;
    // both stop at their first violation, which may be of different properties: ask exhaustive mode about random's
    const same = runCheck({ ...request(design, 'exhaustive'), properties: [propertyById(random.property)] });
    expect(same.property).toBe(random.property);
    expect(same.counterexampleLength!).toBeLessThanOrEqual(random.counterexampleLength!);
  });
});

describe('the seed determines the result', () => {
  it('gives the same counterexample for the same seed', () => {
    const a = runCheck(request('arm64-rfcv1', 'random', 42));
    const b = runCheck(request('arm64-rfcv1', 'random', 42));
    expect(a.result).toBe('violation');
    expect(a.trace!.steps.map((s) => s.label)).toEqual(b.trace!.steps.map((s) => s.label));
    expect(a.trace).toEqual(b.trace);
  });
});

describe('the seed design (arm64-rfcv1)', () => {
  it('loses the ELR_EL1/SPSR_EL1 kernel_exit restored when page-ready is injected before its eret (single-slot)', () => {
    // with every property the self-deadlock comes first (examples/README.md)
    const report = runCheck({ ...request('arm64-rfcv1', 'exhaustive'), properties: [propertyById('single-slot')] });
    expect(report.property).toBe('single-slot');
    expect(report.message).toMatch(/in kernel_exit after it restored ELR_EL1\/SPSR_EL1/);
    const labels = report.trace!.steps.map((s) => s.label);
    expect(labels).toContain('cpu0: kernel_exit faults on page0 (stack)');
    expect(labels.at(-1)).toBe('cpu0: takes data abort (token 0x10000)');
  });
});

describe('exhaustive budgets', () => {
  it('stops at --max-states as incomplete, without a verdict', () => {
    const report = runCheck({ ...request('x86', 'exhaustive'), maxStates: 40 });
    expect(report.result).toBe('incomplete');
    expect(report.stoppedBy).toBe('max-states');
    expect(report.statesExplored).toBe(40);
  });
});

describe('exhaustive search stops cleanly at its budgets', () => {
  it('stops at --max-seconds with what it covered', () => {
    const report = runCheck({ ...request('x86', 'exhaustive'), scope: { ...DEFAULT_SCOPE, vcpus: 2, pages: 2 }, maxSeconds: 0 });
    expect(report.result).toBe('incomplete');
    expect(report.stoppedBy).toBe('max-seconds');
    expect(report.statesExplored).toBeLessThan(1000);
  });

  it('stops at the memory guard instead of dying out of memory (exit 3)', () => {
    const cli = join(import.meta.dirname, '..', 'src', 'cli', 'run.ts');
    const run = spawnSync(
      process.execPath,
      // one vCPU with four tasks and SMIs: its shares (on the heap) outgrow a 100 MiB old space long before the scope is covered
      ['--max-old-space-size=100', '--import', 'tsx', cli, 'check', '--mode', 'exhaustive', '--vcpus', '1', '--tasks', '4', '--pages', '2', '--smm', '--quiet'],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(run.status).toBe(3);
    expect(run.stdout).toContain('INCOMPLETE: stopped at the memory guard');
    expect(run.stdout).toMatch(/\d+ states found but not yet expanded/);
    expect(run.stderr).toBe('');
  }, 120_000);
});

describe('the packed exhaustive search', () => {
  it('keeps equal tokens of two vCPUs apart (token shift 0): token-unique fails, nothing crashes', () => {
    const shift0 = { ...designByName('x86'), tokenShift: 0 };
    const report = runCheck({ ...request('x86', 'exhaustive'), design: shift0, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2 } });
    expect(report.result).toBe('violation');
    expect(report.property).toBe('token-unique');
    expect(report.counterexampleLength).toBe(2);
  });
});

describe('Ctrl-C stops an exhaustive search cleanly (the worker-thread check)', () => {
  const large: CheckRequest = { ...request('x86', 'exhaustive'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2, hotplug: true } };

  it('a SIGINT during the search ends it with what it covered', async () => {
    let interrupted = false;
    const report = await runCheckInterruptible({
      ...large,
      onProgress: () => {
        // the first progress report (5000 states) stands in for the user pressing Ctrl-C
        if (!interrupted) process.emit('SIGINT');
        interrupted = true;
      },
    });
    expect(report.result).toBe('incomplete');
    expect(report.stoppedBy).toBe('interrupted');
    expect(report.statesExplored).toBeGreaterThanOrEqual(5000);
    expect(report.search!.frontier).toBeGreaterThan(0);
    expect(report.search!.depth).toBeGreaterThan(0);
  }, 60_000);

  it('gives the same report as the in-process check when nobody interrupts', async () => {
    const small: CheckRequest = { ...request('arm64-rfcv1', 'exhaustive'), properties: [propertyById('single-slot')] };
    const inWorker = await runCheckInterruptible(small);
    const inProcess = runCheck(small);
    const { durationMs: _a, search: searchA, ...a } = inWorker;
    const { durationMs: _b, search: searchB, ...b } = inProcess;
    expect(a).toEqual(b);
    expect(searchA!.depth).toBe(searchB!.depth);
    expect(a.result).toBe('violation');
  }, 60_000);
});

describe('a liveness pass that does not finish', () => {
  const scope = { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 };

  it('says every state was explored and the safety properties hold, with the coverage of the full search', () => {
    // the search polls shouldStop as it goes and the liveness pass after each goal: the last poll of a full run is the pass's
    let polls = 0;
    const full = runCheck({ ...request('x86', 'exhaustive'), scope, shouldStop: () => (polls++, false) });
    expect(full.result).toBe('pass');
    let asked = 0;
    const stopped = runCheck({ ...request('x86', 'exhaustive'), scope, shouldStop: () => ++asked >= polls });
    expect(stopped.result).toBe('incomplete');
    expect(stopped.stoppedBy).toBe('interrupted');
    expect(stopped.statesExplored).toBe(full.statesExplored);
    expect(stopped.search).toEqual({ ...full.search, livenessUnfinished: true });
    expect(stopped.coverage).toEqual(full.coverage);
    expect(incompleteSummary(stopped, 'EFFORT')).toBe(
      'INCOMPLETE: every state explored and no safety property breaks (EFFORT), but the liveness pass after the search was stopped by Ctrl-C (or SIGTERM)',
    );
    expect(incompleteSummary({ ...stopped, stoppedBy: 'memory' }, 'EFFORT')).toContain('its graph would not fit (check with --safety-only');
  });

  it('is not claimed for a search stopped before it explored every state', () => {
    const stopped = runCheck({ ...request('x86', 'exhaustive'), scope, maxStates: 100 });
    expect(stopped.stoppedBy).toBe('max-states');
    expect(stopped.search!.livenessUnfinished).toBeUndefined();
    expect(stopped.coverage).toBeUndefined();
    expect(incompleteSummary(stopped, 'EFFORT')).toMatch(/^INCOMPLETE: stopped at --max-states after EFFORT; \d+ states found but not yet expanded; no violation so far$/);
  });
});
