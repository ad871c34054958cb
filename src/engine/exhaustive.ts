/**
 * Exhaustive bounded model checking: breadth-first search of every
 * interleaving in scope. Safety is checked on every state (and, for the
 * properties that judge a step, on every transition); a violation comes with
 * the shortest path to it. Liveness is checked on the complete graph: a state
 * from which no fair path (see properties/fair-continuation.ts) reaches the
 * goal is a violation, found by backward reachability from the goal states.
 */
import { getHeapStatistics } from 'node:v8';
import { guestDied, isFairStep } from '../../properties/fair-continuation.js';
import { ModelError } from '../system/component.js';
import { UsageError } from '../system/scope.js';
import type { PropertyId } from '../../properties/index.js';
import { PackedSystem, type StepVerdict } from '../system/packed.js';
import type { Step, SystemConfig } from '../system/system.js';
import { IntList } from './int-list.js';
import { StateTable } from './state-table.js';
import { PackedCanonicaliser } from './symmetry.js';
import { safetyViolation, type PropertySet, type Violation } from './verdict.js';

/** Why an exhaustive search stopped before covering its scope. */
export type StopReason = 'max-states' | 'max-seconds' | 'memory' | 'interrupted';

/**
 * Fraction of V8's heap limit the search may fill before it stops cleanly
 * rather than crash (the limit includes the young generation, so the old space
 * fills up before 100% of it).
 */
const HEAP_GUARD = 0.7;

export interface ExhaustiveOptions {
  /** merge states that differ by a permutation of interchangeable vCPUs, pages or one vCPU's tasks (safety properties only) */
  readonly symmetry?: boolean;
  readonly maxStates?: number;
  readonly maxSeconds?: number;
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
  /** states found but not yet expanded (every id after the one being expanded) */
  readonly frontier: number;
  /** bytes per stored state: the visited set, the parent links and the fair edges (the memoised moves are shared) */
  readonly bytesPerState: number;
  readonly counterexample?: { readonly labels: readonly string[]; readonly steps: readonly Step[]; readonly violation: Violation };
}

/** Exhaustive search of `config` against `properties`. */
export function exhaustiveCheck(config: SystemConfig, properties: PropertySet, options: ExhaustiveOptions = {}): ExhaustiveResult {
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const deadline = options.maxSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.maxSeconds * 1000;
  const memoryLimit = getHeapStatistics().heap_size_limit * HEAP_GUARD;
  if (options.symmetry === true && properties.liveness.length > 0) {
    throw new UsageError('symmetry reduction is sound for the safety properties only here: check with safety properties alone');
  }
  const stepProperties = properties.safety.filter((p) => p.judgesSteps === true);
  const stateProperties = properties.safety.filter((p) => p.judgesSteps !== true);
  // per-vCPU properties are judged once per share (memoised with its moves); the rest on every new state
  const perVcpuProperties = stateProperties.filter((p) => p.perVcpu === true);
  const wholeStateProperties = stateProperties.filter((p) => p.perVcpu !== true);
  const rank = (id: PropertyId) => properties.safety.findIndex((p) => p.id === id);
  const packed = new PackedSystem(
    config,
    (next, previous) => safetyViolation(stepProperties, next, previous),
    (lone) => safetyViolation(perVcpuProperties, lone) !== undefined,
  );
  /** Whether the state in `tuple` breaks a state property (found by the memoised per-share verdicts and the whole-state checks). */
  const breaksStateProperty = (tuple: Int32Array): boolean => {
    for (let v = 0; v < vcpus; v++) if (packed.breaksLocally(tuple, v)) return true;
    return wholeStateProperties.length > 0 && safetyViolation(wholeStateProperties, packed.view(tuple)) !== undefined;
  };
  const fairSteps: boolean[] = [];
  const isFair = (step: number): boolean => (fairSteps[step] ??= isFairStep(packed.steps[step]!));
  const keepFairEdges = properties.liveness.length > 0;
  const vcpus = config.scope.vcpus;

  const table = new StateTable(packed.width);
  // with symmetry, states are found by their canonical image and stored as first seen, so paths stay concrete
  const canonicaliser = options.symmetry === true ? new PackedCanonicaliser(packed, config) : null;
  const canonicalTable = canonicaliser === null ? null : new StateTable(packed.width);
  const image = new Int32Array(packed.width);
  const parent = new IntList();
  const via = new IntList();
  const fairFrom = new IntList();
  const fairTo = new IntList();
  /** the id of `tuple`, or -1 after storing it as a new state */
  const lookup = (tuple: Int32Array): number => {
    if (canonicaliser === null) {
      const id = table.find(tuple);
      if (id < 0) table.add(tuple);
      return id;
    }
    const id = canonicalTable!.find(canonicaliser.canonical(tuple, image));
    if (id >= 0) return id;
    canonicalTable!.add(image);
    table.append(tuple);
    return -1;
  };
  const pathTo = (id: number): Step[] => {
    const path: Step[] = [];
    for (let at = id; parent.get(at) >= 0; at = parent.get(at)) path.push(packed.steps[via.get(at)]!);
    return path.reverse();
  };
  const counterexample = (path: Step[], property: PropertyId, message: string) => ({
    labels: path.map((s) => s.label),
    steps: path,
    violation: { property, message, length: path.length },
  });
  let transitions = 0;
  const result = (partial: Omit<ExhaustiveResult, 'states' | 'transitions' | 'bytesPerState'>): ExhaustiveResult => {
    const stored = table.bytes + (canonicalTable?.bytes ?? 0) + parent.bytes + via.bytes + fairFrom.bytes + fairTo.bytes;
    return { states: table.count, transitions, bytesPerState: Math.round(stored / table.count), ...partial };
  };

  const initial = packed.initial();
  lookup(initial);
  parent.push(-1);
  via.push(-1);
  const first = safetyViolation(properties.safety, packed.unpack(initial));
  if (first !== undefined) return result({ depth: 0, complete: false, frontier: 0, counterexample: counterexample([], first[0], first[1]) });

  const current = new Int32Array(packed.width);
  const next = new Int32Array(packed.width);
  let depth = 0;
  let nextProgress = PROGRESS_EVERY;
  let levelStart = 0;
  let levelEnd = 1;
  /** Visits the successor in `next`, reached from state `from` by `step`; a result when the search must stop. */
  const visit = (from: number, step: number, verdict: StepVerdict): ExhaustiveResult | undefined => {
    transitions++;
    let to = lookup(next);
    if (to < 0) {
      to = table.count - 1;
      parent.push(from);
      via.push(step);
      // a broken state is judged again as a whole, so the report names the same property and message as a direct check
      const broken = breaksStateProperty(next);
      const state = broken ? safetyViolation(stateProperties, packed.view(next)) : undefined;
      if (broken && state === undefined) throw new ModelError('a per-vCPU property broke in one share but not in the state: its perVcpu claim is wrong');
      // the first failing property in the list's order, as one check of all of them would report it
      const found = state === undefined ? verdict : verdict === undefined || rank(state[0]) < rank(verdict[0]) ? state : verdict;
      if (found !== undefined) {
        return result({ depth: depth + 1, complete: false, frontier: table.count - from - 1, counterexample: counterexample(pathTo(to), found[0], found[1]) });
      }
    } else if (verdict !== undefined) {
      const path = [...pathTo(from), packed.steps[step]!];
      return result({ depth: depth + 1, complete: false, frontier: table.count - from - 1, counterexample: counterexample(path, verdict[0], verdict[1]) });
    }
    if (keepFairEdges && isFair(step)) {
      fairFrom.push(from);
      fairTo.push(to);
    }
    const states = table.count;
    if (states >= nextProgress) {
      nextProgress += PROGRESS_EVERY;
      options.onProgress?.({ states, frontier: states - from - 1, depth: depth + 1 });
    }
    if (states >= maxStates) return result({ depth, complete: false, stoppedBy: 'max-states', frontier: states - from - 1 });
    if (transitions % 256 === 0) {
      if (Date.now() > deadline) return result({ depth, complete: false, stoppedBy: 'max-seconds', frontier: states - from - 1 });
      // memoryUsage() is not cheap: it is read every few thousand transitions; the typed arrays live outside the heap
      if (transitions % 4096 === 0 && memoryInUse() > memoryLimit) {
        return result({ depth, complete: false, stoppedBy: 'memory', frontier: states - from - 1 });
      }
      if (options.shouldStop?.() === true) return result({ depth, complete: false, stoppedBy: 'interrupted', frontier: states - from - 1 });
    }
    return undefined;
  };

  // ids are handed out in BFS order, so each level is the id range [levelStart, levelEnd)
  while (levelStart < levelEnd) {
    for (let id = levelStart; id < levelEnd; id++) {
      table.read(id, current);
      for (let v = 0; v < vcpus; v++) {
        for (const move of packed.movesOf(current, v)) {
          next.set(current);
          next[v] = move.local;
          next[vcpus] = move.resident;
          const stop = visit(id, move.step, move.verdict);
          if (stop !== undefined) return stop;
        }
      }
      for (let page = 0; page < config.scope.pages; page++) {
        const bit = 1 << page;
        if ((current[vcpus]! & bit) === 0) continue;
        const swap = packed.swapMove(current, page);
        next.set(current);
        next[vcpus] = current[vcpus]! & ~bit;
        const stop = visit(id, swap.step, swap.verdict);
        if (stop !== undefined) return stop;
      }
    }
    levelStart = levelEnd;
    levelEnd = table.count;
    if (levelEnd > levelStart) depth++;
  }

  const violation = livenessViolation(config, properties, packed, table, fairFrom, fairTo, options.shouldStop);
  if (violation === 'interrupted') return result({ depth, complete: false, stoppedBy: 'interrupted', frontier: 0 });
  if (violation !== undefined) {
    return result({ depth, complete: true, frontier: 0, counterexample: counterexample(pathTo(violation.state), violation.property, violation.message) });
  }
  return result({ depth, complete: true, frontier: 0 });
}

/** States between two progress reports. */
const PROGRESS_EVERY = 5000;

/** What the search holds: the V8 heap and the typed arrays' buffers outside it. */
function memoryInUse(): number {
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/**
 * Liveness on the complete graph: for each goal, the backward closure over
 * fair edges from the states that reach it (or where the guest died: a safety
 * matter, reported as such); the first pending state outside it, in BFS
 * order the shallowest, is a violation.
 */
function livenessViolation(
  config: SystemConfig,
  properties: PropertySet,
  packed: PackedSystem,
  table: StateTable,
  fairFrom: IntList,
  fairTo: IntList,
  shouldStop: (() => boolean) | undefined,
): { state: number; property: PropertyId; message: string } | 'interrupted' | undefined {
  if (properties.liveness.length === 0) return undefined;
  const count = table.count;
  // predecessors over fair edges, grouped by target (compressed rows)
  const offsets = new Int32Array(count + 1);
  for (let e = 0; e < fairTo.length; e++) offsets[fairTo.get(e) + 1]!++;
  for (let id = 0; id < count; id++) offsets[id + 1]! += offsets[id]!;
  const sources = new Int32Array(fairTo.length);
  const fill = offsets.slice(0, count);
  for (let e = 0; e < fairTo.length; e++) sources[fill[fairTo.get(e)]!++] = fairFrom.get(e);

  const tuple = new Int32Array(packed.width);
  const stateOf = (id: number) => packed.view(table.read(id, tuple));
  for (const property of properties.liveness) {
    for (const { pending, reached, explain } of property.goals(config)) {
      const canReach = new Uint8Array(count);
      const queue: number[] = [];
      for (let id = 0; id < count; id++) {
        if (id % 65536 === 0 && shouldStop?.() === true) return 'interrupted';
        const s = stateOf(id);
        if (reached(s) || guestDied(s)) {
          canReach[id] = 1;
          queue.push(id);
        }
      }
      while (queue.length > 0) {
        const id = queue.pop()!;
        for (let i = offsets[id]!; i < offsets[id + 1]!; i++) {
          const from = sources[i]!;
          if (canReach[from] === 0) {
            canReach[from] = 1;
            queue.push(from);
          }
        }
      }
      for (let id = 0; id < count; id++) {
        if (canReach[id] === 0 && pending(stateOf(id))) return { state: id, property: property.id, message: explain(stateOf(id)) };
      }
    }
  }
  return undefined;
}
