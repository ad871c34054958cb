/**
 * The search strategies a check can run, by mode: each turns a
 * configuration, the judge and a budget into an outcome of one shape, so the
 * check (src/check/check.ts) never asks which one ran.
 */
import type { Judge, Violation } from '../judge/judge.js';
import type { Step, SystemConfig } from '../system/system.js';
import type { Placement } from '../system/walk.js';
import { exhaustiveCheck, type StopReason } from './exhaustive.js';
import { randomCheck, randomCheckAsync, type RandomOptions, type RandomResult } from './random/random.js';

export type { StopReason } from './exhaustive.js';

/** What a search is asked, besides the configuration and the judge. */
export interface SearchRequest {
  readonly seed: number;
  /** random mode: schedules to try */
  readonly runs: number;
  /** random mode: steps per schedule */
  readonly depth: number;
  /** exhaustive mode budgets */
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** exhaustive mode: symmetry reduction over vCPUs, pages and tasks (safety properties only) */
  readonly symmetry?: boolean;
  /** exhaustive mode: worker threads splitting the search (default 1: this thread) */
  readonly workers?: number;
  /** polled during the search; true stops it cleanly (stoppedBy 'interrupted') */
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (progress: SearchProgress) => void;
}

/** Progress of a running search: schedules done (random) or states, frontier and depth (exhaustive). */
export type SearchProgress = { readonly done: number; readonly total: number } | { readonly states: number; readonly frontier: number; readonly depth: number };

/** What a search found, whatever the strategy. */
export interface SearchOutcome {
  readonly runs: number;
  /** steps executed (random) or transitions (exhaustive) */
  readonly steps: number;
  readonly statesExplored: number;
  /** for a lasso (a fair cycle), the steps from `cycleStart` on return to the state they left */
  readonly counterexample?: { readonly steps: readonly Step[]; readonly violation: Violation; readonly placement: Placement; readonly cycleStart?: number };
  /** why the search stopped before covering its scope, without a violation */
  readonly stoppedBy?: StopReason;
  /** exhaustive: BFS levels completed, states waiting at the end, bytes per stored state */
  readonly search?: { readonly depth: number; readonly frontier: number; readonly bytesPerState: number; readonly livenessUnfinished?: true };
  /** every reachable state was explored, so a machine transition never taken is never taken in this scope */
  readonly explored: boolean;
}

export interface Strategy {
  run(config: SystemConfig, judge: Judge, request: SearchRequest): SearchOutcome;
  /** the same search, yielding to the event loop as it goes (so a SIGINT handler can run), where the strategy can */
  runAsync?(config: SystemConfig, judge: Judge, request: SearchRequest): Promise<SearchOutcome>;
}

const randomOptions = (request: SearchRequest): RandomOptions => ({
  seed: request.seed,
  runs: request.runs,
  depth: request.depth,
  onProgress: (done) => request.onProgress?.({ done, total: request.runs }),
  ...(request.shouldStop === undefined ? {} : { shouldStop: request.shouldStop }),
});

const randomOutcome = (result: RandomResult): SearchOutcome => ({
  runs: result.runs,
  steps: result.steps,
  statesExplored: result.statesExplored,
  explored: false,
  ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }),
  ...(result.counterexample === undefined ? {} : { counterexample: result.counterexample }),
});

const random: Strategy = {
  run: (config, judge, request) => randomOutcome(randomCheck(config, judge, randomOptions(request))),
  runAsync: async (config, judge, request) => randomOutcome(await randomCheckAsync(config, judge, randomOptions(request))),
};

const exhaustive: Strategy = {
  run(config, judge, request) {
    const result = exhaustiveCheck(config, judge, {
      ...(request.symmetry === true ? { symmetry: true } : {}),
      ...(request.workers === undefined ? {} : { workers: request.workers }),
      ...(request.maxStates === undefined ? {} : { maxStates: request.maxStates }),
      ...(request.maxSeconds === undefined ? {} : { maxSeconds: request.maxSeconds }),
      ...(request.shouldStop === undefined ? {} : { shouldStop: request.shouldStop }),
      onProgress: (p) => request.onProgress?.(p),
    });
    return {
      runs: 1,
      steps: result.transitions,
      statesExplored: result.states,
      explored: result.complete || result.livenessUnfinished === true,
      search: { depth: result.depth, frontier: result.frontier, bytesPerState: result.bytesPerState, ...(result.livenessUnfinished === true ? { livenessUnfinished: true } : {}) },
      ...(result.stoppedBy === undefined ? {} : { stoppedBy: result.stoppedBy }),
      ...(result.counterexample === undefined ? {} : { counterexample: result.counterexample }),
    };
  },
};

/** The strategies by mode (`--mode`). */
export const STRATEGIES = { random, exhaustive } as const satisfies Record<string, Strategy>;

export type Mode = keyof typeof STRATEGIES;

/** The modes, in the order `--mode` lists them. */
export const MODES = Object.keys(STRATEGIES) as Mode[];
