/**
 * `--workers`: the search split over worker threads finds the same states,
 * transitions, depth and verdict as one thread (on a violation too: both
 * finish its level and report the best-ranked property), the same
 * counterexample length (and a counterexample that replays), the same
 * coverage, and the same result run after run.
 */
import { describe, expect, it } from 'vitest';
import { DESIGNS, designByName } from '../machines/design.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { runCheck, type CheckRequest } from '../src/check/check.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { applyMutants, MUTANTS } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { Judge } from '../src/judge/judge.js';
import { walkSteps } from '../src/system/walk.js';

const request = (patch: Partial<CheckRequest>): CheckRequest => ({
  design: designByName('x86'),
  mutants: [],
  scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2 },
  mode: 'exhaustive',
  seed: 1,
  runs: 1,
  depth: 1,
  ...patch,
});

// x86 with three workers; the SDEI design (the largest of the per-vCPU ones here) and s390 (one group of all vCPUs) with two;
// the mutants below cover the x86 designs with two
describe.each(DESIGNS.filter((d) => ['x86', 'arm64-sdei', 's390-pfault'].includes(d.name)).map((d) => [d.name, d] as const))('%s', (_, design) => {
  const counts = design.name === 'x86' ? [1, 2, 3] : [1, 2];
  it(`covers the same graph with ${counts.join(', ')} workers, liveness included`, () => {
    const [one, ...others] = counts.map((workers) => runCheck(request({ design, workers })));
    for (const other of others) {
      expect(other.result).toBe(one!.result);
      expect(other.property).toBe(one!.property);
      expect(other.counterexampleLength).toBe(one!.counterexampleLength);
      if (one!.result === 'pass') {
        expect(other.statesExplored).toBe(one!.statesExplored);
        expect(other.steps).toBe(one!.steps);
        expect(other.search?.depth).toBe(one!.search?.depth);
        expect(other.coverage).toEqual(one!.coverage);
      }
    }
  });
});

describe('fair cycles', () => {
  it('are judged alike with 1 and 2 workers (one vCPU switching between two tasks while a third sleeps: unfair cycles)', () => {
    const [one, two] = [1, 2].map((workers) => runCheck(request({ scope: { ...DEFAULT_SCOPE, tasks: 3 }, workers })));
    expect(one!.result).toBe('pass');
    expect([two!.result, two!.statesExplored, two!.steps]).toEqual([one!.result, one!.statesExplored, one!.steps]);
  });
});

describe('with symmetry', () => {
  it.each([
    ['x86', { vcpus: 2, tasks: 2, pages: 1 }],
    ['arm64-rfcv1', { vcpus: 2, tasks: 4, pages: 2 }],
    ['x86-legacy', { vcpus: 2, tasks: 4, timerExits: true }],
  ] as const)('%s %o: the same states, or the same violation, with 1 and 2 workers', (name, patch) => {
    const config = { design: designByName(name), scope: { ...DEFAULT_SCOPE, ...patch } };
    const safety = new Judge({ safety: SAFETY, liveness: [] });
    const one = exhaustiveCheck(config, safety, { symmetry: true });
    const two = exhaustiveCheck(config, safety, { symmetry: true, workers: 2 });
    expect(two.complete).toBe(one.complete);
    expect(two.counterexample?.violation.property).toBe(one.counterexample?.violation.property);
    expect(two.counterexample?.steps.length).toBe(one.counterexample?.steps.length);
    if (one.complete) expect([two.states, two.transitions, two.depth]).toEqual([one.states, one.transitions, one.depth]);
  });
});

describe('mutants', () => {
  it.each(MUTANTS.map((m) => [m.id, m] as const))('%s: the same property, counterexample length and state count with 2 workers, and the trace replays', (_, m) => {
    const base = request({ design: designByName(m.base), mutants: [m], scope: { ...DEFAULT_SCOPE, ...m.scope } });
    const one = runCheck(base);
    const two = runCheck({ ...base, workers: 2 });
    expect(two.result).toBe('violation');
    expect(two.property).toBe(one.property);
    expect(two.counterexampleLength).toBe(one.counterexampleLength);
    expect(two.search?.depth).toBe(one.search?.depth);
    // both finish the level of the violation
    expect([two.statesExplored, two.steps]).toEqual([one.statesExplored, one.steps]);
    expect(walkSteps({ design: applyMutants(designByName(m.base), [m]), scope: two.scope }, two.trace!.steps)).toBeDefined();
  });

  it('reports the best-ranked of two properties broken at one depth, whatever the number of workers', () => {
    const bugs = ['destroy-without-flush', 'ready-without-not-present'].map((id) => MUTANTS.find((m) => m.id === id)!);
    const base = request({ mutants: bugs, scope: { ...DEFAULT_SCOPE, hotplug: true }, properties: SAFETY });
    const reports = [1, 2, 3].map((workers) => runCheck({ ...base, workers }));
    // both break at depth 4: no-orphan-page-ready comes before work-lifetime in the catalogue
    for (const report of reports) expect([report.property, report.counterexampleLength]).toEqual(['no-orphan-page-ready', 4]);
  });

  it('gives the same counterexample run after run', () => {
    const m = MUTANTS.find((x) => x.id === 'dummy-alloc-unlocked')!;
    const base = request({ design: designByName(m.base), mutants: [m], scope: { ...DEFAULT_SCOPE, ...m.scope }, workers: 2 });
    expect(runCheck(base).trace).toEqual(runCheck(base).trace);
  });
});

describe('budgets and refusals', () => {
  it('stops at --max-states with what it covered', () => {
    const config = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2 } };
    const result = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: LIVENESS }), { workers: 2, maxStates: 2000 });
    expect(result.stoppedBy).toBe('max-states');
    expect(result.complete).toBe(false);
    expect(result.states).toBeGreaterThanOrEqual(2000);
    expect(result.frontier).toBeGreaterThan(0);
  });

  it('judges the states a level stored before a stop: the violation one thread finds is not lost', () => {
    const m = MUTANTS.find((x) => x.id === 'dummy-alloc-unlocked')!;
    const config = { design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope } };
    const one = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [] }), {});
    // the budget runs out in the level (depth 11) where the single thread finds guest-atomicity broken
    const two = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [] }), { workers: 2, maxStates: one.states + 50 });
    expect(two.counterexample?.violation.property).toBe(one.counterexample?.violation.property);
    expect(two.depth).toBe(one.depth);
  });

  it('a time budget that runs out after the last state was found does not interrupt the liveness pass', () => {
    const config = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, tasks: 1 } };
    const result = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: LIVENESS }), { workers: 2, maxSeconds: 0.001 });
    expect(result.complete).toBe(true);
    expect(result.stoppedBy).toBeUndefined();
  });

  it('refuses a worker count below 1', () => {
    const config = { design: designByName('x86'), scope: DEFAULT_SCOPE };
    expect(() => exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [] }), { workers: 0 })).toThrow(/whole number >= 1/);
  });
});
