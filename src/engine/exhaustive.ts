/**
 * Exhaustive bounded model checking: breadth-first search of every
 * interleaving in scope, level by level, over one partition of the states
 * or, with `workers`, several running in parallel (src/engine/parallel.ts).
 * Safety is checked on every state (and, for the properties that judge a
 * step, on every transition); a violation comes with the shortest path to
 * it (the level where one shows up is finished, and of its violations the
 * one breaking the property listed first is reported). Liveness is
 * checked on the complete graph: a state from which no fair path (see
 * properties/fair-continuation.ts) reaches the goal is a violation, found
 * over the fair graph's strongly connected components in reverse
 * topological order; so is a fair cycle of states where the goal stays
 * pending.
 */
import type { PropertyId } from '../../properties/index.js';
import { UsageError } from '../system/scope.js';
import type { Step, SystemConfig } from '../system/system.js';
import { components, fairCycle, forEachComponent, isFairComponent, knownTarget, type Components, type FairMove } from './fair-cycles.js';
import { MemoryGuard, POLLS_PER_READING } from './memory-guard.js';
import { spawnPartitions } from './parallel.js';
import { globalId, goalsOf, packedSystemFor, Partition, type FairEdges, type LevelReport, type Limits, type PartitionViolation, type StopReason } from './partition.js';
import { PackedCanonicaliser } from './symmetry.js';
import { propertyRank, type PropertySet, type Violation } from './verdict.js';

export type { StopReason } from './partition.js';

/** States between two progress reports. */
const PROGRESS_EVERY = 5000;
/**
 * Bytes per state the liveness pass holds at its peak besides the fair
 * edges (read in place with one thread; workers send copies, at most what
 * the search holds): the predecessor offsets (4) and, while Tarjan runs,
 * its discovery numbers, low links, stack and path, and the components'
 * members and starts (28). Afterwards
 * the goal bits (reached, pending, reached by a path: 3), one goal's flags
 * (1) and the projection class of every state (4) take less than Tarjan
 * gave back.
 */
const LIVENESS_BYTES_PER_STATE = 32;

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
    const edgeCopies = partitions.count > 1 ? totals.bytes : 0;
    if (this.properties.liveness.length > 0 && new MemoryGuard().exhausted(totals.states * LIVENESS_BYTES_PER_STATE + edgeCopies)) {
      return result({ depth: this.depth, complete: false, stoppedBy: 'memory', livenessUnfinished: true });
    }
    const violation = this.livenessViolation(partitions, statesPerPartition);
    if (violation === 'interrupted') return result({ depth: this.depth, complete: false, stoppedBy: 'interrupted', livenessUnfinished: true });
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
   * Liveness on the complete graph. The fair graph's strongly connected
   * components are found once (Tarjan, src/engine/fair-cycles.ts); then, for
   * up to eight goals at a time, one pass over them in reverse topological order
   * tells every state which goals a fair path from it reaches (a goal state,
   * or one where the guest died: a safety matter, reported as such). Goal by
   * goal, in order: a pending state that reaches no goal state is a
   * violation, the shallowest one (lowest id among equals) reported; then
   * fair cycles through pending states, the one entered shallowest reported
   * as a lasso. A cycle of pending states lies inside one component of the
   * whole graph, so each goal looks for its cycles in the subgraph of the
   * states on cycles only (x86 (2,3,2): 5,472 of 3,405,480 states).
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
    const { offsets, sources } = predecessorLists(size, edges);
    const graph = components(offsets, sources, undefined, this.stopRequested);
    if (graph === 'interrupted') return graph;
    let onCycles: CycleSubgraph | undefined;
    const goals = goalsOf(this.config, this.properties);
    for (let first = 0; first < goals.length; first += GOALS_PER_PASS) {
      const group = Math.min(GOALS_PER_PASS, goals.length - first);
      // per state, one bit per goal of the group: reached (or the guest died), pending
      const reached = new Uint8Array(size);
      const pending = new Uint8Array(size);
      for (let g = 0; g < group; g++) {
        for (let p = 0; p < count; p++) {
          const f = partitions.goalFlags(p, first + g);
          if (f === 'interrupted') return 'interrupted';
          for (let local = 0; local < f.length; local++) {
            const id = globalId(local, p, count);
            reached[id]! |= (f[local]! & 1) << g;
            pending[id]! |= ((f[local]! >> 1) & 1) << g;
          }
        }
      }
      const reaches = goalsReached(graph, offsets, sources, reached);
      for (let g = 0; g < group; g++) {
        const bit = 1 << g;
        const { property } = goals[first + g]!;
        const worst = shallowest(levelStarts, states, (id) => (pending[id]! & ~reaches[id]! & bit) !== 0);
        if (worst >= 0) return { state: worst, property, message: partitions.explain(worst, first + g) };
        if (this.stopRequested()) return 'interrupted';
        onCycles ??= cycleSubgraph(graph, offsets, sources);
        const inside = Uint8Array.from(onCycles.ids, (id) => ((pending[id]! & ~reached[id]! & bit) !== 0 ? 1 : 0));
        if (!inside.includes(1)) continue;
        const cycle = this.fairCycleOf(partitions, onCycles, inside, levelStarts, states);
        if (cycle === 'interrupted') return cycle;
        if (cycle !== undefined) return { ...cycle, property, message: partitions.explain(cycle.state, first + g, cycle.cycle.length) };
        if (this.stopRequested()) return 'interrupted';
      }
    }
    return undefined;
  }

  /**
   * The fair cycle through the states of `onCycles` marked in `inside` that
   * is entered shallowest, if there is one: its entry state and its steps
   * (see src/engine/fair-cycles.ts).
   */
  private fairCycleOf(
    partitions: Partitions,
    onCycles: CycleSubgraph,
    inside: Uint8Array,
    levelStarts: readonly Int32Array[],
    states: readonly number[],
  ): { state: number; cycle: readonly number[] } | 'interrupted' | undefined {
    const fair: { component: Int32Array; movesOf: (id: number) => FairMove[] }[] = [];
    let interrupted = false;
    forEachComponent(onCycles.offsets, onCycles.sources, inside, (local) => {
      if (this.stopRequested()) return (interrupted = true);
      const component = Int32Array.from(local, (i) => onCycles.ids[i]!);
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

/** Goals whose reachability one pass works out: one bit each of a byte per state (a byte array stays in cache where wider ones do not). */
const GOALS_PER_PASS = 8;

/** The fair edges as predecessor lists grouped by target (compressed rows): state t's are sources[offsets[t] .. offsets[t + 1]). */
function predecessorLists(size: number, edges: readonly FairEdges[]): { offsets: Int32Array; sources: Int32Array } {
  const offsets = new Int32Array(size + 1);
  for (const { targets } of edges) for (let e = 0; e < targets.length; e++) offsets[targets[e]! + 1]!++;
  for (let id = 0; id < size; id++) offsets[id + 1]! += offsets[id]!;
  const sources = new Int32Array(offsets[size]!);
  const fill = offsets.slice(0, size);
  for (const { sources: from, starts, targets } of edges) {
    for (let r = 0; r < from.length; r++) {
      for (let e = starts[r]!; e < starts[r + 1]!; e++) sources[fill[targets[e]!]!++] = from[r]!;
    }
  }
  return { offsets, sources };
}

/**
 * Per state, the goals (bits, as in `reached`) a fair path from it reaches,
 * itself included. Components come in topological order, so walking them
 * backwards each one's goals are complete (its own states' and those handed
 * back by the components after it) before they are handed to the states
 * with an edge into it.
 */
function goalsReached(graph: Components, offsets: Int32Array, sources: Int32Array, reached: Uint8Array): Uint8Array {
  const { count, members, starts } = graph;
  const reaches = reached.slice();
  for (let c = count - 1; c >= 0; c--) {
    let bits = 0;
    for (let i = starts[c]!; i < starts[c + 1]!; i++) bits |= reaches[members[i]!]!;
    if (bits === 0) continue;
    for (let i = starts[c]!; i < starts[c + 1]!; i++) {
      const state = members[i]!;
      reaches[state] = bits;
      for (let e = offsets[state]!; e < offsets[state + 1]!; e++) reaches[sources[e]!]! |= bits;
    }
  }
  return reaches;
}

/** The states on a cycle of the fair graph (ids, ascending), and the fair edges inside each one's component as predecessor lists by index in `ids`. */
interface CycleSubgraph {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
  readonly sources: Int32Array;
}

/** The subgraph of `graph`'s components of two or more states: every cycle lies inside one of them. */
function cycleSubgraph(graph: Components, offsets: Int32Array, sources: Int32Array): CycleSubgraph {
  const { count, members, starts } = graph;
  const componentOf = new Map<number, number>();
  for (let c = 0; c < count; c++) if (starts[c + 1]! - starts[c]! > 1) for (let i = starts[c]!; i < starts[c + 1]!; i++) componentOf.set(members[i]!, c);
  const ids = Int32Array.from(componentOf.keys()).sort();
  const indexOf = new Map<number, number>();
  ids.forEach((id, i) => indexOf.set(id, i));
  const subOffsets = new Int32Array(ids.length + 1);
  const subSources: number[] = [];
  ids.forEach((id, i) => {
    for (let e = offsets[id]!; e < offsets[id + 1]!; e++) {
      if (componentOf.get(sources[e]!) === componentOf.get(id)) subSources.push(indexOf.get(sources[e]!)!);
    }
    subOffsets[i + 1] = subSources.length;
  });
  return { ids, offsets: subOffsets, sources: Int32Array.from(subSources) };
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
