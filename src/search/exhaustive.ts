/**
 * Exhaustive bounded model checking: breadth-first search of every
 * interleaving in scope, level by level, over one partition of the states
 * or, with `workers`, several running in parallel (parallel/).
 * Safety is checked on every state (and, for the properties that judge a
 * step, on every transition); a violation comes with the shortest path to
 * it (the level where one shows up is finished, and of its violations the
 * one breaking the property listed first is reported). Liveness is then
 * checked on the complete graph (liveness/liveness-pass.ts).
 */
import { UsageError } from '../errors.js';
import type { Judge } from '../judge/judge.js';
import { PackedCanonicaliser } from '../packed/canonicaliser.js';
import type { Step, SystemConfig } from '../system/system.js';
import type { PropertyId } from '../../properties/types.js';
import { LIVENESS_BYTES_PER_STATE, livenessViolation } from './liveness/liveness-pass.js';
import { spawnPartitions } from './parallel/parallel.js';
import { MemoryGuard, POLLS_PER_READING } from './store/memory-guard.js';
import { packedSystemFor, Partition, type LevelReport, type Limits, type PartitionViolation } from './bfs/partition.js';
import { knownTarget, type ExhaustiveOptions, type ExhaustiveResult, type Partitions } from './bfs/partitions.js';

export type { StopReason } from './bfs/partition.js';
export type { ExhaustiveOptions, ExhaustiveResult, Partitions } from './bfs/partitions.js';

/** States between two progress reports. */
const PROGRESS_EVERY = 5000;

/** Exhaustive search of `config` against `properties`. */
export function exhaustiveCheck(config: SystemConfig, judge: Judge, options: ExhaustiveOptions = {}): ExhaustiveResult {
  if (options.symmetry === true && judge.checksLiveness) {
    throw new UsageError('symmetry reduction is sound for the safety properties only here: check with safety properties alone');
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`workers must be a whole number >= 1, got ${workers}`);
  const search = new Search(config, judge, options);
  const partitions = workers === 1 ? search.localPartition() : spawnPartitions(config, judge, options, workers, () => search.depth);
  try {
    return search.run(partitions);
  } finally {
    partitions.close();
  }
}

/** The BFS levels, the verdict and the liveness pass over a set of partitions. */
class Search {
  /** BFS levels completed */
  depth = 0;

  constructor(
    private readonly config: SystemConfig,
    private readonly judge: Judge,
    private readonly options: ExhaustiveOptions,
  ) {}

  /** Whether the caller asked the run to stop (Ctrl-C); an arrow, so it can be handed on as a callback. */
  private readonly stopRequested = (): boolean => this.options.shouldStop?.() === true;

  /** The whole search as one partition in this thread, with the budgets checked as it goes. */
  localPartition(): Partitions {
    const maxStates = this.options.maxStates ?? Number.POSITIVE_INFINITY;
    const deadline = this.options.maxSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + this.options.maxSeconds * 1000;
    const memory = new MemoryGuard();
    let nextProgress = PROGRESS_EVERY;
    let polls = 0;
    const limits: Limits = {
      maxStates,
      poll: (partition) => {
        const states = partition.states;
        if (states >= nextProgress) {
          nextProgress = states + PROGRESS_EVERY;
          this.options.onProgress?.({ states, frontier: partition.frontier, depth: this.depth + 1 });
        }
        if (Date.now() > deadline) return 'max-seconds';
        if (++polls % POLLS_PER_READING === 0 && memory.exhausted(partition.growthBytes())) return 'memory';
        if (this.stopRequested()) return 'interrupted';
        return undefined;
      },
    };
    const packed = packedSystemFor(this.config, this.judge);
    const canonicaliser = this.options.symmetry === true ? new PackedCanonicaliser(packed, this.config) : null;
    const partition = new Partition(packed, this.judge, 0, 1, canonicaliser, limits);
    partition.seed();
    const goals = this.judge.goals(this.config);
    return {
      count: 1,
      runLevel: () => {
        const before = { states: partition.states, transitions: partition.transitions };
        partition.expandLevel(() => {
          throw new Error('a single partition owns every state');
        });
        return [partition.report(before.states, before.transitions)];
      },
      parentOf: (id) => partition.parentOf(id),
      placementOf: (id) => partition.placementAt(id),
      step: (index) => packed.steps[index]!,
      fairEdges: () => partition.fairEdges(),
      goalFlags: (_, goal) => partition.goalFlags(goals[goal]!.goal, this.stopRequested),
      fairMoves: (id) => partition.fairSuccessors(id).map(({ step, tuple }) => ({ step, target: knownTarget(partition.idOf(tuple)) })),
      explain: (id, goal, cycleSteps) => partition.explain(id, goals[goal]!.goal, cycleSteps),
      close: () => undefined,
    };
  }

  run(partitions: Partitions): ExhaustiveResult {
    let totals = { states: 0, transitions: 0, frontier: 0, bytes: 0 };
    const result = (partial: Omit<ExhaustiveResult, 'states' | 'transitions' | 'bytesPerState' | 'frontier'>): ExhaustiveResult => ({
      states: totals.states,
      transitions: totals.transitions,
      frontier: totals.frontier,
      bytesPerState: Math.round(totals.bytes / Math.max(totals.states, 1)),
      ...partial,
    });
    const pathTo = (id: number): Step[] => {
      const path: Step[] = [];
      for (let at = id; ; ) {
        const { parent, step } = partitions.parentOf(at);
        if (parent < 0) break;
        path.push(partitions.step(step));
        at = parent;
      }
      return path.reverse();
    };
    /** A counterexample through state `via` (any state of its path tells the placement it starts from). */
    const counterexample = (via: number, path: Step[], property: PropertyId, message: string, cycleStart?: number) => ({
      steps: path,
      violation: { property, message, length: path.length },
      placement: partitions.placementOf(via),
      ...(cycleStart === undefined ? {} : { cycleStart }),
    });
    let transitions = 0;
    let statesPerPartition: number[] = [];
    for (;;) {
      const reports = partitions.runLevel();
      transitions += reports.reduce((sum, r) => sum + r.transitions, 0);
      statesPerPartition = reports.map((r) => r.states);
      totals = {
        states: reports.reduce((sum, r) => sum + r.states, 0),
        transitions,
        frontier: reports.reduce((sum, r) => sum + r.frontier, 0),
        bytes: reports.reduce((sum, r) => sum + r.bytes, 0),
      };
      const found = this.firstViolation(reports);
      if (found !== undefined) {
        const path = found.step < 0 ? [] : [...pathTo(found.parent), partitions.step(found.step)];
        // the violating state is as deep as its shortest path is long
        return result({ depth: path.length, complete: false, counterexample: counterexample(found.parent, path, found.property, found.message) });
      }
      const stoppedBy = reports.find((r) => r.stoppedBy !== undefined)?.stoppedBy;
      if (stoppedBy !== undefined) return result({ depth: this.depth, complete: false, stoppedBy });
      if (reports.every((r) => r.newStates === 0)) break;
      this.depth++;
    }
    // the liveness pass builds its graph in one go: it does not start if that would pass the memory guard
    const edgeCopies = partitions.count > 1 ? totals.bytes : 0;
    if (this.judge.checksLiveness && new MemoryGuard().exhausted(totals.states * LIVENESS_BYTES_PER_STATE + edgeCopies)) {
      return result({ depth: this.depth, complete: false, stoppedBy: 'memory', livenessUnfinished: true });
    }
    const violation = livenessViolation(partitions, statesPerPartition, this.judge.goals(this.config), this.stopRequested);
    if (violation === 'interrupted') return result({ depth: this.depth, complete: false, stoppedBy: 'interrupted', livenessUnfinished: true });
    if (violation !== undefined) {
      const prefix = pathTo(violation.state);
      const cycle = violation.cycle?.map((step) => partitions.step(step)) ?? [];
      const cycleStart = violation.cycle === undefined ? undefined : prefix.length;
      return result({ depth: this.depth, complete: true, counterexample: counterexample(violation.state, [...prefix, ...cycle], violation.property, violation.message, cycleStart) });
    }
    return result({ depth: this.depth, complete: true });
  }

  /** The violation to report among the partitions' (all of one length): the first property in the list's order, then the lowest partition. */
  private firstViolation(reports: readonly LevelReport[]): PartitionViolation | undefined {
    let best: PartitionViolation | undefined;
    for (const { violation } of reports) {
      if (violation !== undefined && (best === undefined || this.judge.rank(violation.property) < this.judge.rank(best.property))) best = violation;
    }
    return best;
  }
}
