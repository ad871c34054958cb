/**
 * What the breadth-first search takes and gives, and the interface over its
 * partitions of the states (one in this thread, or several in worker threads:
 * src/search/parallel/parallel.ts), shared by the levels (src/search/exhaustive.ts),
 * the liveness pass and the workers.
 */
import { ModelError } from '../../errors.js';
import type { Violation } from '../../judge/judge.js';
import type { Step } from '../../system/system.js';
import type { Placement } from '../../system/walk.js';
import type { FairEdges, LevelReport, StopReason } from './partition.js';

/** A fair move of a state: the step and the global id of the state it leads to. */
export interface FairMove {
  readonly step: number;
  readonly target: number;
}

/** A fair move's target, which must be a stored state: in a complete search every successor of a stored state is one. */
export function knownTarget(id: number): number {
  if (id < 0) throw new ModelError('a fair move leads to a state the search did not store');
  return id;
}

export interface ExhaustiveOptions {
  /** merge states that differ by a permutation of interchangeable vCPUs, pages or one vCPU's tasks (safety properties only) */
  readonly symmetry?: boolean;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** threads searching in parallel, each owning a hash partition of the states (default 1: this thread) */
  readonly workers?: number;
  /** polled every few hundred transitions: true stops the search cleanly (Ctrl-C) */
  readonly shouldStop?: () => boolean;
  /** called every few thousand states */
  readonly onProgress?: (progress: { states: number; frontier: number; depth: number }) => void;
}

export interface ExhaustiveResult {
  readonly states: number;
  readonly transitions: number;
  /** BFS levels completed */
  readonly depth: number;
  /** every reachable state was explored */
  readonly complete: boolean;
  /** why the search stopped early, if it did without a violation */
  readonly stoppedBy?: StopReason;
  /** every state was explored and no safety property broke, but the liveness pass after the search stopped (stoppedBy says why) */
  readonly livenessUnfinished?: true;
  /** states found but not yet expanded */
  readonly frontier: number;
  /** bytes per stored state: the visited set, the parent links and the fair edges (the memoised moves are shared) */
  readonly bytesPerState: number;
  /** for a fair cycle (liveness), the steps from `cycleStart` on return to the state they left */
  readonly counterexample?: { readonly steps: readonly Step[]; readonly violation: Violation; readonly placement: Placement; readonly cycleStart?: number };
}

/**
 * The partitions of the states, in this thread or in workers: the search
 * runs a level in all of them, and afterwards asks about states by global
 * id (`local * count + partition`, see partition.ts).
 */
export interface Partitions {
  readonly count: number;
  runLevel(): LevelReport[];
  parentOf(id: number): { parent: number; step: number };
  /** how many tasks each vCPU runs in state `id`: the placement of the initial state its path starts from */
  placementOf(id: number): number[];
  step(index: number): Step;
  fairEdges(partition: number): FairEdges;
  /** per local state of `partition` for goal number `goal` (see goalsOf): bit 0 reached, bit 1 pending */
  goalFlags(partition: number, goal: number): Uint8Array | 'interrupted';
  /** the fair moves of state `id` (global ids) */
  fairMoves(id: number): FairMove[];
  /** why state `id` breaks goal number `goal`: no fair continuation reaches it, or (with `cycleSteps`) a fair cycle entered there never does */
  explain(id: number, goal: number, cycleSteps?: number): string;
  close(): void;
}

