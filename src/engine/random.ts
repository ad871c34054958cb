/**
 * Random interleavings: fast-check draws schedules (arrays of small integers,
 * each picking one of the enabled steps) and shrinks a failing one; the
 * minimiser then shortens it further. Every state is checked against the
 * safety properties; a run's last state against the liveness properties.
 */
import fc from 'fast-check';
import { stateKey, type Step, type SystemConfig } from '../system/system.js';
import { minimise } from './minimise.js';
import { judgeStates, walk, walkLabels, type PropertySet, type Violation, type Walk } from './verdict.js';

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
  readonly counterexample?: { readonly labels: readonly string[]; readonly steps: readonly Step[]; readonly violation: Violation };
}

/** Follows a schedule: each number picks among the enabled steps (modulo their count); stops when nothing is enabled. */
export function followSchedule(config: SystemConfig, schedule: readonly number[]): Walk {
  return walk(config, (enabled, at) => (at === schedule.length || enabled.length === 0 ? null : enabled[schedule[at]! % enabled.length]!))!;
}

/** Random search of `config` against `properties`. */
export function randomCheck(config: SystemConfig, properties: PropertySet, options: RandomOptions): RandomResult {
  let schedulesTried = 0;
  let stepsExecuted = 0;
  const seen = new Set<string>();
  // 'max' size: schedules as long as the depth allows, so runs go deep before shrinking cuts them down
  const schedules = fc.array(fc.nat({ max: 63 }), { maxLength: options.depth, size: 'max' });
  const outcome = fc.check(
    fc.property(schedules, (schedule) => {
      const walked = followSchedule(config, schedule);
      schedulesTried++;
      stepsExecuted += walked.steps.length;
      if (seen.size < SEEN_LIMIT) for (const state of walked.states) seen.add(stateKey(state));
      options.onProgress?.(schedulesTried);
      return judgeStates(walked.states, properties) === undefined;
    }),
    { seed: options.seed, numRuns: options.runs },
  );
  const summary = { runs: outcome.numRuns, steps: stepsExecuted, statesExplored: seen.size };
  if (!outcome.failed || outcome.counterexample === null) return summary;

  const [schedule] = outcome.counterexample;
  const walked = followSchedule(config, schedule);
  const violation = judgeStates(walked.states, properties);
  if (violation === undefined) throw new Error(`seed ${options.seed}: fast-check's counterexample does not fail on replay`);
  const labels = walked.steps.slice(0, violation.length).map((s) => s.label);
  const shortest = minimise(config, labels, violation, properties);
  const replayed = walkLabels(config, shortest.labels)!;
  return { ...summary, counterexample: { labels: shortest.labels, steps: replayed.steps, violation: shortest.violation } };
}

/** Distinct states remembered for the report; beyond this the count is a lower bound. */
const SEEN_LIMIT = 1_000_000;
