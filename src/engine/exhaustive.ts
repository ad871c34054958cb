/**
 * Exhaustive bounded model checking: breadth-first search of every
 * interleaving in scope, level by level, over one partition of the states
 * or, with `workers`, several running in parallel (src/engine/parallel.ts).
 * Safety is checked on every state (and, for the properties that judge a
 * step, on every transition); a violation comes with the shortest path to
 * it (the level where one shows up is finished, and of its violations the
 * one breaking the property listed first is reported). Liveness is checked on the complete graph: a state from which no fair
 * path (see properties/fair-continuation.ts) reaches the goal is a
 * violation, found by backward reachability from the goal states.
 */
import type { PropertyId } from '../../properties/index.js';
import { UsageError } from '../system/scope.js';
import type { Step, SystemConfig } from '../system/system.js';
import { fairCycle, forEachComponent, isFairComponent, knownTarget, type FairMove } from './fair-cycles.js';
import { MemoryGuard, POLLS_PER_READING } from './memory-guard.js';
import { spawnPartitions } from './parallel.js';
import { globalId, goalsOf, packedSystemFor, Partition, type FairEdges, type LevelReport, type Limits, type PartitionViolation, type StopReason } from './partition.js';
import { PackedCanonicaliser } from './symmetry.js';
import { propertyRank, type PropertySet, type Violation } from './verdict.js';

export type { StopReason } from './partition.js';

/** States between two progress reports. */
const PROGRESS_EVERY = 5000;
/**
 * Bytes per state the liveness pass allocates besides copies of the fair
 * edges (at most what the search holds): predecessor offsets and fill
 * pointers (8), a goal's flags, closure, stack and pending marks (10),
 * Tarjan's index, low link, stack mark, stack and path (21), the states on
 * cycles (2), and the projection class of every state (4).
 */
const LIVENESS_BYTES_PER_STATE = 45;

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
  /** states found but not yet expanded */
  readonly frontier: number;
  /** bytes per stored state: the visited set, the parent links and the fair edges (the memoised moves are shared) */
  readonly bytesPerState: number;
  /** for a fair cycle (liveness), the steps from `cycleStart` on return to the state they left */
  readonly counterexample?: { readonly labels: readonly string[]; readonly steps: readonly Step[]; readonly violation: Violation; readonly cycleStart?: number };
}

/**
 * The partitions of the states, in this thread or in workers: the search
 * runs a level in all of them, and afterwards asks about states by global
 * id (`local * count + partition`, see src/engine/partition.ts).
 */
export interface Partitions {
  readonly count: number;
  runLevel(): LevelReport[];
  parentOf(id: number): { parent: number; step: number };
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

/** Exhaustive search of `config` against `properties`. */
export function exhaustiveCheck(config: SystemConfig, properties: PropertySet, options: ExhaustiveOptions = {}): ExhaustiveResult {
  if (options.symmetry === true && properties.liveness.length > 0) {
    throw new UsageError('symmetry reduction is sound for the safety properties only here: check with safety properties alone');
  }
  const workers = options.workers ?? 1;
  if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`workers must be a whole number >= 1, got ${workers}`);
  const search = new Search(config, properties, options);
  const partitions = workers === 1 ? search.localPartition() : spawnPartitions(config, properties, options, workers, () => search.depth);
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
    private readonly properties: PropertySet,
    private readonly options: ExhaustiveOptions,
  ) {}

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
        if (this.options.shouldStop?.() === true) return 'interrupted';
        return undefined;
      },
    };
    const packed = packedSystemFor(this.config, this.properties);
    const canonicaliser = this.options.symmetry === true ? new PackedCanonicaliser(packed, this.config) : null;
    const partition = new Partition(packed, this.properties, 0, 1, canonicaliser, limits);
    partition.seed();
    const goals = goalsOf(this.config, this.properties);
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
      step: (index) => packed.steps[index]!,
      fairEdges: () => partition.fairEdges(),
      goalFlags: (_, goal) => partition.goalFlags(goals[goal]!.goal, () => this.options.shouldStop?.() === true),
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
    const counterexample = (path: Step[], property: PropertyId, message: string, cycleStart?: number) => ({
      labels: path.map((s) => s.label),
      steps: path,
      violation: { property, message, length: path.length },
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
        return result({ depth: path.length, complete: false, counterexample: counterexample(path, found.property, found.message) });
      }
      const stoppedBy = reports.find((r) => r.stoppedBy !== undefined)?.stoppedBy;
      if (stoppedBy !== undefined) return result({ depth: this.depth, complete: false, stoppedBy });
      if (reports.every((r) => r.newStates === 0)) break;
      this.depth++;
    }
    // the liveness pass builds its graph in one go: it does not start if that would pass the memory guard
    if (this.properties.liveness.length > 0 && new MemoryGuard().exhausted(totals.states * LIVENESS_BYTES_PER_STATE + totals.bytes)) {
      return result({ depth: this.depth, complete: false, stoppedBy: 'memory' });
    }
    const violation = this.livenessViolation(partitions, statesPerPartition);
    if (violation === 'interrupted') return result({ depth: this.depth, complete: false, stoppedBy: 'interrupted' });
    if (violation !== undefined) {
      const prefix = pathTo(violation.state);
      const cycle = violation.cycle?.map((step) => partitions.step(step)) ?? [];
      const cycleStart = violation.cycle === undefined ? undefined : prefix.length;
      return result({ depth: this.depth, complete: true, counterexample: counterexample([...prefix, ...cycle], violation.property, violation.message, cycleStart) });
    }
    return result({ depth: this.depth, complete: true });
  }

  /** The violation to report among the partitions' (all of one length): the first property in the list's order, then the lowest partition. */
  private firstViolation(reports: readonly LevelReport[]): PartitionViolation | undefined {
    const rank = propertyRank(this.properties.safety);
    let best: PartitionViolation | undefined;
    for (const { violation } of reports) {
      if (violation !== undefined && (best === undefined || rank(violation.property) < rank(best.property))) best = violation;
    }
    return best;
  }

  /**
   * Liveness on the complete graph, goal by goal: first the states no fair
   * path leads from to the goal (the backward closure over fair edges from
   * the states that reach it, or where the guest died: a safety matter,
   * reported as such), the shallowest one (lowest id among equals) reported;
   * then fair cycles through pending states (src/engine/fair-cycles.ts), the
   * one entered shallowest reported as a lasso. A cycle of pending states
   * is a cycle of the whole fair graph, so the graph's own components are
   * found once and each goal looks for its cycles among their states only
   * (x86 (2,3,2): 5,472 of 3,405,480 states, where each goal's pass over
   * its pending states took as long as the one pass over all).
   */
  private livenessViolation(
    partitions: Partitions,
    states: readonly number[],
  ): { state: number; cycle?: readonly number[]; property: PropertyId; message: string } | 'interrupted' | undefined {
    if (this.properties.liveness.length === 0) return undefined;
    const count = partitions.count;
    const edges = states.map((_, p) => partitions.fairEdges(p));
    const levelStarts = edges.map((e) => e.levelStarts);
    const size = Math.max(...states) * count;
    // predecessors over fair edges, grouped by target (compressed rows)
    const offsets = new Int32Array(size + 1);
    for (const { targets } of edges) for (const target of targets) offsets[target + 1]!++;
    for (let id = 0; id < size; id++) offsets[id + 1]! += offsets[id]!;
    const sources = new Int32Array(offsets[size]!);
    const fill = offsets.slice(0, size);
    for (const run of edges) {
      for (let r = 0; r < run.sources.length; r++) {
        for (let e = run.starts[r]!; e < run.starts[r + 1]!; e++) sources[fill[run.targets[e]!]!++] = run.sources[r]!;
      }
    }

    let onCycles: Uint8Array | undefined;
    const goals = goalsOf(this.config, this.properties);
    for (let goal = 0; goal < goals.length; goal++) {
      // the goal's flags by global id: bit 0 reached (or the guest died), bit 1 pending
      const flags = new Uint8Array(size);
      for (let p = 0; p < count; p++) {
        const f = partitions.goalFlags(p, goal);
        if (f === 'interrupted') return 'interrupted';
        for (let local = 0; local < f.length; local++) flags[globalId(local, p, count)] = f[local]!;
      }
      const canReach = new Uint8Array(size);
      // every state enters the stack at most once
      const stack = new Int32Array(size);
      let top = 0;
      for (let id = 0; id < size; id++) {
        if ((flags[id]! & 1) === 0) continue;
        canReach[id] = 1;
        stack[top++] = id;
      }
      while (top > 0) {
        const id = stack[--top]!;
        for (let i = offsets[id]!; i < offsets[id + 1]!; i++) {
          const from = sources[i]!;
          if (canReach[from] === 0) {
            canReach[from] = 1;
            stack[top++] = from;
          }
        }
      }
      const { property } = goals[goal]!;
      const worst = shallowest(levelStarts, states, (id) => (flags[id]! & 2) !== 0 && canReach[id] === 0);
      if (worst >= 0) return { state: worst, property, message: partitions.explain(worst, goal) };
      if (this.options.shouldStop?.() === true) return 'interrupted';
      // no pending state, or none on a cycle: no fair cycle to look for
      if (!flags.some((f) => (f & 3) === 2)) continue;
      onCycles ??= statesOnCycles(offsets, sources);
      const cyclic = onCycles;
      const pending = flags.map((f, id) => ((f & 3) === 2 && cyclic[id] === 1 ? 1 : 0));
      if (!pending.includes(1)) continue;
      const cycle = this.fairCycleOf(partitions, offsets, sources, pending, levelStarts, states);
      if (cycle === 'interrupted') return cycle;
      if (cycle !== undefined) return { ...cycle, property, message: partitions.explain(cycle.state, goal, cycle.cycle.length) };
      if (this.options.shouldStop?.() === true) return 'interrupted';
    }
    return undefined;
  }

  /**
   * The fair cycle through `pending` states entered shallowest, if there is
   * one: its entry state and its steps (see src/engine/fair-cycles.ts).
   */
  private fairCycleOf(
    partitions: Partitions,
    offsets: Int32Array,
    sources: Int32Array,
    pending: Uint8Array,
    levelStarts: readonly Int32Array[],
    states: readonly number[],
  ): { state: number; cycle: readonly number[] } | 'interrupted' | undefined {
    const fair: { component: Int32Array; movesOf: (id: number) => FairMove[] }[] = [];
    let interrupted = false;
    forEachComponent(offsets, sources, pending, (component) => {
      if (this.options.shouldStop?.() === true) return (interrupted = true);
      const moves = new Map<number, FairMove[]>();
      const movesOf = (id: number): FairMove[] => {
        let found = moves.get(id);
        if (found === undefined) moves.set(id, (found = partitions.fairMoves(id)));
        return found;
      };
      if (isFairComponent(component, movesOf)) fair.push({ component, movesOf });
      return false;
    });
    if (interrupted) return 'interrupted';
    if (fair.length === 0) return undefined;
    const members = new Set(fair.flatMap(({ component }) => [...component]));
    const entry = shallowest(levelStarts, states, (id) => members.has(id));
    const chosen = fair.find(({ component }) => component.includes(entry))!;
    return { state: entry, cycle: fairCycle(chosen.component, entry, chosen.movesOf) };
  }
}

/** The states that lie on a cycle of the graph of predecessor lists `sources[offsets[t] .. offsets[t + 1])` (1), the others 0. */
function statesOnCycles(offsets: Int32Array, sources: Int32Array): Uint8Array {
  const size = offsets.length - 1;
  const on = new Uint8Array(size);
  forEachComponent(offsets, sources, new Uint8Array(size).fill(1), (component) => {
    for (const id of component) on[id] = 1;
    return false;
  });
  return on;
}

/**
 * The first state, in BFS order (by level, then by global id), for which
 * `pending` holds, or -1: `levelStarts[p]` gives the local id where each
 * level starts in partition p, which holds `states[p]` states.
 */
function shallowest(levelStarts: readonly Int32Array[], states: readonly number[], pending: (id: number) => boolean): number {
  const count = states.length;
  const levels = Math.max(...levelStarts.map((starts) => starts.length));
  for (let level = 0; level < levels; level++) {
    let found = -1;
    levelStarts.forEach((starts, p) => {
      const end = starts[level + 1] ?? states[p]!;
      for (let local = starts[level] ?? end; local < end; local++) {
        const id = globalId(local, p, count);
        if (found >= 0 && id > found) break;
        if (pending(id)) {
          found = id;
          break;
        }
      }
    });
    if (found >= 0) return found;
  }
  return -1;
}
