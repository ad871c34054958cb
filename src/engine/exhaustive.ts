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
import { UsageError } from '../system/scope.js';
import { canonicalKey, vcpuPermutations } from './symmetry.js';
import { initialState, stateKey, successors, type Step, type SystemConfig, type SystemState } from '../system/system.js';
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
  /** merge states that differ by a permutation of interchangeable vCPUs (safety properties only) */
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
  readonly frontier: number;
  /** heap growth per stored state while searching (an estimate: V8 collects garbage when it likes) */
  readonly bytesPerState: number;
  readonly counterexample?: { readonly labels: readonly string[]; readonly steps: readonly Step[]; readonly violation: Violation };
}

/** Exhaustive search of `config` against `properties`. */
export function exhaustiveCheck(config: SystemConfig, properties: PropertySet, options: ExhaustiveOptions = {}): ExhaustiveResult {
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const deadline = options.maxSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.maxSeconds * 1000;
  const stepProperties = properties.safety.filter((p) => p.judgesSteps === true);
  const heapLimit = getHeapStatistics().heap_size_limit * HEAP_GUARD;
  if (options.symmetry === true && properties.liveness.length > 0) {
    throw new UsageError('symmetry reduction is sound for the safety properties only here: check with safety properties alone');
  }
  const perms = options.symmetry === true ? vcpuPermutations(config) : null;
  const keyOf = (state: SystemState, key: string): string => (perms === null ? key : canonicalKey(state, perms));

  const initial = initialState(config);
  const ids = new Map<string, number>([[keyOf(initial, stateKey(initial)), 0]]);
  const states: SystemState[] = [initial];
  const parent: number[] = [-1];
  const via: (Step | null)[] = [null];
  const reverseFair: number[][] = [[]];
  const pathTo = (id: number): Step[] => {
    const path: Step[] = [];
    for (let at = id; parent[at]! >= 0; at = parent[at]!) path.push(via[at]!);
    return path.reverse();
  };
  const counterexample = (path: Step[], property: Violation['property'], message: string) => ({
    labels: path.map((s) => s.label),
    steps: path,
    violation: { property, message, length: path.length },
  });
  const heapAtStart = process.memoryUsage().heapUsed;
  let heapPeak = heapAtStart;
  const result = (partial: Omit<ExhaustiveResult, 'states' | 'transitions' | 'bytesPerState'>): ExhaustiveResult => ({
    states: states.length,
    transitions,
    bytesPerState: Math.max(0, Math.round((heapPeak - heapAtStart) / states.length)),
    ...partial,
  });

  let transitions = 0;
  const first = safetyViolation(properties.safety, initial);
  if (first !== undefined) return result({ depth: 0, complete: false, frontier: 0, counterexample: counterexample([], first[0], first[1]) });

  let frontier = [0];
  let depth = 0;
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const id of frontier) {
      const state = states[id]!;
      for (const { step, next: successor, key: concreteKey } of successors(state)) {
        transitions++;
        const key = keyOf(successor, concreteKey);
        let successorId = ids.get(key);
        if (successorId === undefined) {
          successorId = states.length;
          ids.set(key, successorId);
          states.push(successor);
          parent.push(id);
          via.push(step);
          reverseFair.push([]);
          const found = safetyViolation(properties.safety, successor, state);
          if (found !== undefined) {
            return result({ depth: depth + 1, complete: false, frontier: next.length, counterexample: counterexample(pathTo(successorId), found[0], found[1]) });
          }
          next.push(successorId);
        } else if (stepProperties.length > 0) {
          const found = safetyViolation(stepProperties, successor, state);
          if (found !== undefined) {
            return result({ depth: depth + 1, complete: false, frontier: next.length, counterexample: counterexample([...pathTo(id), step], found[0], found[1]) });
          }
        }
        if (isFairStep(step)) reverseFair[successorId]!.push(id);
        if (states.length % 5000 === 0) options.onProgress?.({ states: states.length, frontier: next.length, depth: depth + 1 });
        if (states.length >= maxStates) return result({ depth, complete: false, stoppedBy: 'max-states', frontier: next.length });
        if (transitions % 256 === 0) {
          if (Date.now() > deadline) return result({ depth, complete: false, stoppedBy: 'max-seconds', frontier: next.length });
          heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed);
          if (heapPeak > heapLimit) return result({ depth, complete: false, stoppedBy: 'memory', frontier: next.length });
          if (options.shouldStop?.() === true) return result({ depth, complete: false, stoppedBy: 'interrupted', frontier: next.length });
        }
      }
    }
    frontier = next;
    if (next.length > 0) depth++;
  }

  for (const property of properties.liveness) {
    for (const { pending, reached, explain } of property.goals(config)) {
      // backward closure: the states from which a fair path reaches the goal, or kills the guest
      // (a death is a safety violation, reported as such, as the random mode's fair search does)
      const canReach = new Uint8Array(states.length);
      const queue: number[] = [];
      states.forEach((s, id) => {
        if (reached(s) || guestDied(s)) {
          canReach[id] = 1;
          queue.push(id);
        }
      });
      while (queue.length > 0) {
        const id = queue.pop()!;
        for (const from of reverseFair[id]!) {
          if (canReach[from] === 0) {
            canReach[from] = 1;
            queue.push(from);
          }
        }
      }
      // states are numbered in BFS order, so the first stuck one is the shallowest
      const stuck = states.findIndex((s, id) => canReach[id] === 0 && pending(s));
      if (stuck >= 0) {
        return result({ depth, complete: true, frontier: 0, counterexample: counterexample(pathTo(stuck), property.id, explain(states[stuck]!)) });
      }
    }
  }
  return result({ depth, complete: true, frontier: 0 });
}
