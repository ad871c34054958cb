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
import { minimise } from './minimise.js';

export interface RandomOptions {
  readonly seed: number;
  /** number of schedules fast-check tries */
  readonly runs: number;
  /** maximum steps per schedule */
  readonly depth: number;
  /** called after each schedule with the number done so far */
  readonly onProgress?: (runsDone: number) => void;
}

export interface RandomResult {
  readonly runs: number;
  /** steps executed over all runs */
  readonly steps: number;
  /** distinct states seen (by key) */
  readonly statesExplored: number;
  readonly counterexample?: { readonly steps: readonly Step[]; readonly violation: Violation; readonly placement: Placement };
}

/** Distinct states remembered for the report; beyond this the count is a lower bound. */
const SEEN_LIMIT = 1_000_000;

/** Random search of `config` against the judge's properties. */
export function randomCheck(config: SystemConfig, judge: Judge, options: RandomOptions): RandomResult {
  let schedulesTried = 0;
  let stepsExecuted = 0;
  const seen = new Set<string>();
  // 'max' size: schedules as long as the depth allows, so runs go deep before shrinking cuts them down
  const schedules = fc.array(fc.nat({ max: 63 }), { maxLength: options.depth, size: 'max' });
  const placements = placementsOf(config.scope);
  // one placement (one vCPU): no draw for it, so such runs take the same schedules as when there was no choice
  const runs: fc.Arbitrary<readonly [Placement, number[]]> =
    placements.length === 1 ? schedules.map((s): readonly [Placement, number[]] => [placements[0]!, s]) : fc.tuple(fc.constantFrom(...placements), schedules);
  const outcome = fc.check(
    fc.property(runs, ([placement, schedule]) => {
      const walked = followSchedule(config, schedule, placement);
      schedulesTried++;
      stepsExecuted += walked.steps.length;
      if (seen.size < SEEN_LIMIT) for (const state of walked.states) seen.add(stateKey(state));
      options.onProgress?.(schedulesTried);
      return judge.path(walked.states) === undefined;
    }),
    { seed: options.seed, numRuns: options.runs },
  );
  const summary = { runs: outcome.numRuns, steps: stepsExecuted, statesExplored: seen.size };
  if (!outcome.failed || outcome.counterexample === null) return summary;

  const [[placement, schedule]] = outcome.counterexample;
  const walked = followSchedule(config, schedule, placement);
  const violation = judge.path(walked.states);
  if (violation === undefined) throw new Error(`seed ${options.seed}: fast-check's counterexample does not fail on replay`);
  const shortest = minimise(config, walked.steps.slice(0, violation.length), violation, judge, placement);
  const replayed = walkSteps(config, shortest.steps, placement)!;
  return { ...summary, counterexample: { steps: replayed.steps, violation: shortest.violation, placement } };
}
