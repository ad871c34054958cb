/**
 * Random mode stops cleanly when asked (Ctrl-C, SIGTERM, the memory guard:
 * issue 19), and a violation found before the stop is kept.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { applyMutants, mutantById } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { Judge } from '../src/judge/judge.js';
import { checkEveryProperty, runCheck, type CheckRequest } from '../src/check/check.js';
import { randomCheck, randomCheckAsync } from '../src/search/random/random.js';

const mutant = mutantById('clear-queue-on-paging-off')!;
const config = { design: applyMutants(designByName(mutant.base), [mutant]), scope: { ...DEFAULT_SCOPE, ...mutant.scope } };
const judge = new Judge({ safety: SAFETY, liveness: LIVENESS });
const options = { seed: 1, runs: 500, depth: 60 };

/** Stops after `n` schedules were evaluated (fast-check's search and shrinking alike). */
const stopAfter = (n: number) => {
  let evaluated = 0;
  return { onProgress: () => void (evaluated += 1), shouldStop: () => evaluated >= n };
};

describe('random search, asked to stop', () => {
  const whole = randomCheck(config, judge, options);
  let evaluations = 0;
  randomCheck(config, judge, { ...options, onProgress: () => void (evaluations += 1) });

  it('finds the violation when nobody stops it, and evaluates more schedules shrinking it', () => {
    expect(whole.counterexample?.violation.property).toBe('no-lost-wakeup');
    expect(whole.stoppedBy).toBeUndefined();
    expect(evaluations).toBeGreaterThan(whole.runs);
  });

  it('before any violation: reports what it covered, stopped', () => {
    // the fixed design: no violation, so only the stop ends the search early
    const fixed = { design: designByName(mutant.base), scope: config.scope };
    const stopped = randomCheck(fixed, judge, { ...options, ...stopAfter(5) });
    expect(stopped.stoppedBy).toBe('interrupted');
    expect(stopped.counterexample).toBeUndefined();
    expect(stopped.runs).toBe(5);
    expect(stopped.statesExplored).toBeGreaterThan(0);
  });

  it('while shrinking: keeps the violation already found, and says it was stopped (so --all checks no more)', () => {
    const stopped = randomCheck(config, judge, { ...options, ...stopAfter(whole.runs + 1) });
    expect(stopped.stoppedBy).toBe('interrupted');
    expect(stopped.counterexample?.violation.property).toBe('no-lost-wakeup');
    expect(stopped.counterexample!.steps.length).toBeGreaterThanOrEqual(whole.counterexample!.steps.length);
  });

  it('checkEveryProperty checks no more properties after a check that was stopped while it minimised', async () => {
    const request = { design: config.design, mutants: [], scope: config.scope, mode: 'random' as const, seed: 1, runs: 500, depth: 60 };
    // every check of the design stops one evaluation after its first violation
    const stoppedEarly = (r: CheckRequest) => {
      let evaluated = 0;
      return runCheck({ ...r, onProgress: () => void (evaluated += 1), shouldStop: () => evaluated > whole.runs });
    };
    const { verdicts, reports } = await checkEveryProperty(request, stoppedEarly);
    expect(reports).toHaveLength(1);
    expect(reports[0]!.result).toBe('violation');
    expect(reports[0]!.stoppedBy).toBe('interrupted');
    expect([...verdicts.keys()]).toEqual(['no-lost-wakeup']);
  });

  it('the async search takes the same schedules: the same verdict and counterexample', async () => {
    const yielding = await randomCheckAsync(config, judge, options);
    expect(yielding.runs).toBe(whole.runs);
    expect(yielding.counterexample?.steps.map((s) => s.label)).toEqual(whole.counterexample?.steps.map((s) => s.label));
  });
});
