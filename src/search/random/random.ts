/**
 * Random interleavings: fast-check draws a placement of the tasks on the
 * vCPUs (when there are several) and a schedule (an array of small integers,
 * each picking one of the enabled steps) and shrinks a failing pair; the
 * minimiser then shortens it further. Every state is checked against the
 * safety properties; a run's last state against the liveness properties.
 */
import fc from 'fast-check';
import type { Judge, Violation } from '../../judge/judge.js';
import { placementsOf, stateKey, type Step, type SystemConfig } from '../../system/system.js';
import { followSchedule, walkSteps, type Placement } from '../../system/walk.js';
import { MemoryGuard } from '../store/memory-guard.js';
import { minimise } from './minimise.js';

export interface RandomOptions {
  readonly seed: number;
  /** number of schedules fast-check tries */
  readonly runs: number;
  /** maximum steps per schedule */
  readonly depth: number;
  /** called after each schedule with the number done so far */
  readonly onProgress?: (runsDone: number) => void;
  /** polled before each schedule; true stops the search cleanly (stoppedBy 'interrupted') */
  readonly shouldStop?: () => boolean;
}

export interface RandomResult {
  readonly runs: number;
  /** steps executed over all runs */
  readonly steps: number;
  /** distinct states seen (by key) */
  readonly statesExplored: number;
  readonly counterexample?: { readonly steps: readonly Step[]; readonly violation: Violation; readonly placement: Placement };
  /** why the search stopped before trying every schedule: Ctrl-C, or the memory guard (also with a violation found before) */
  readonly stoppedBy?: 'interrupted' | 'memory';
}

/** Distinct states remembered for the report; beyond this the count is a lower bound. */
const SEEN_LIMIT = 1_000_000;
/** Schedules between two readings of the memory guard, and between two yields to the event loop (async). */
const SCHEDULES_PER_POLL = 32;

/** Thrown inside the property to end fast-check's run: every later evaluation throws it too, so shrinking ends at once. */
class Stopped extends Error {
  constructor(readonly reason: 'interrupted' | 'memory') {
    super(`random search stopped (${reason})`);
  }
}

/**
 * One random search, for the synchronous and the asynchronous runner: the
 * arbitrary, the property's body, and what to make of fast-check's answer.
 */
function randomSearch(config: SystemConfig, judge: Judge, options: RandomOptions) {
  let schedulesTried = 0;
  let stepsExecuted = 0;
  let stopped: Stopped | undefined;
  // the last input that broke a property (shrinking's latest): kept if the search is stopped while shrinking
  let lastFailing: readonly [Placement, number[]] | undefined;
  const guard = new MemoryGuard();
  const seen = new Set<string>();
  // 'max' size: schedules as long as the depth allows, so runs go deep before shrinking cuts them down
  const schedules = fc.array(fc.nat({ max: 63 }), { maxLength: options.depth, size: 'max' });
  const placements = placementsOf(config.scope);
  // one placement (one vCPU): no draw for it, so such runs take the same schedules as when there was no choice
  const runs: fc.Arbitrary<readonly [Placement, number[]]> =
    placements.length === 1 ? schedules.map((s): readonly [Placement, number[]] => [placements[0]!, s]) : fc.tuple(fc.constantFrom(...placements), schedules);

  const holds = ([placement, schedule]: readonly [Placement, number[]]): boolean => {
    if (stopped === undefined && options.shouldStop?.() === true) stopped = new Stopped('interrupted');
    if (stopped === undefined && schedulesTried % SCHEDULES_PER_POLL === 0 && guard.exhausted()) stopped = new Stopped('memory');
    if (stopped !== undefined) throw stopped;
    const walked = followSchedule(config, schedule, placement);
    schedulesTried++;
    stepsExecuted += walked.steps.length;
    if (seen.size < SEEN_LIMIT) for (const state of walked.states) seen.add(stateKey(state));
    options.onProgress?.(schedulesTried);
    if (judge.path(walked.states) === undefined) return true;
    lastFailing = [placement, schedule];
    return false;
  };

  const result = (outcome: fc.RunDetails<[readonly [Placement, number[]]]>): RandomResult => {
    const summary = { runs: schedulesTried, steps: stepsExecuted, statesExplored: seen.size };
    // stopped: a violation already found is still reported (shrunk as far as it got), else what was covered
    const failing = stopped === undefined ? (outcome.failed ? outcome.counterexample?.[0] : undefined) : lastFailing;
    const stop = stopped === undefined ? {} : { stoppedBy: stopped.reason };
    if (failing === undefined) return stopped === undefined ? { ...summary, runs: outcome.numRuns } : { ...summary, ...stop };
    const [placement, schedule] = failing;
    const walked = followSchedule(config, schedule, placement);
    const violation = judge.path(walked.states);
    if (violation === undefined) throw new Error(`seed ${options.seed}: fast-check's counterexample does not fail on replay`);
    const shortest = minimise(config, walked.steps.slice(0, violation.length), violation, judge, placement);
    const replayed = walkSteps(config, shortest.steps, placement)!;
    return { ...summary, runs: stopped === undefined ? outcome.numRuns : schedulesTried, counterexample: { steps: replayed.steps, violation: shortest.violation, placement }, ...stop };
  };

  return { runs, holds, result, parameters: { seed: options.seed, numRuns: options.runs } };
}

/** Random search of `config` against the judge's properties (stops at the memory guard; Ctrl-C needs the async one). */
export function randomCheck(config: SystemConfig, judge: Judge, options: RandomOptions): RandomResult {
  const search = randomSearch(config, judge, options);
  return search.result(fc.check(fc.property(search.runs, search.holds), search.parameters));
}

/**
 * The same search, yielding to the event loop every SCHEDULES_PER_POLL schedules so that a SIGINT handler (which only
 * runs when the loop is free) can set `shouldStop`: the same schedules, verdict and counterexample as randomCheck.
 */
export async function randomCheckAsync(config: SystemConfig, judge: Judge, options: RandomOptions): Promise<RandomResult> {
  const search = randomSearch(config, judge, options);
  let evaluated = 0;
  const property = fc.asyncProperty(search.runs, async (run) => {
    evaluated++;
    if (evaluated % SCHEDULES_PER_POLL === 0) await new Promise((resolve) => setImmediate(resolve));
    return search.holds(run);
  });
  return search.result(await fc.check(property, search.parameters));
}
