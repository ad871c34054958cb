/**
 * Breadth-first exploration of the composed system: every enabled step from
 * every reachable state, each distinct state (by `stateKey`) stored once, with
 * a parent link so the path to any state is a shortest one.
 */
import { applyStep, enabledSteps, initialState, stateKey, type Step, type SystemConfig, type SystemState } from '../system/system.js';

export interface ExploreOptions {
  /** stop after this many distinct states (the run is then incomplete) */
  readonly maxStates?: number;
  /** called once per new state; return a string to stop the search there (e.g. a violated property) */
  readonly onState?: (state: SystemState, depth: number) => string | undefined;
}

export interface ExploreResult {
  readonly states: number;
  readonly transitions: number;
  /** depth of the deepest level completed or started */
  readonly depth: number;
  /** true when every reachable state was explored */
  readonly complete: boolean;
  /** set when onState stopped the search: its message and the shortest path to that state */
  readonly stopped?: { readonly message: string; readonly path: readonly Step[]; readonly state: SystemState };
}

/** Explores `config` breadth first. */
export function explore(config: SystemConfig, options: ExploreOptions = {}): ExploreResult {
  const maxStates = options.maxStates ?? Number.POSITIVE_INFINITY;
  const initial = initialState(config);
  const index = new Map<string, number>([[stateKey(initial), 0]]);
  const parent: number[] = [-1];
  const via: (Step | null)[] = [null];
  const pathTo = (i: number): Step[] => {
    const path: Step[] = [];
    for (let at = i; parent[at]! >= 0; at = parent[at]!) path.push(via[at]!);
    return path.reverse();
  };
  const first = options.onState?.(initial, 0);
  if (first !== undefined) return { states: 1, transitions: 0, depth: 0, complete: false, stopped: { message: first, path: [], state: initial } };

  let frontier: { state: SystemState; id: number }[] = [{ state: initial, id: 0 }];
  let transitions = 0;
  let depth = 0;
  while (frontier.length > 0) {
    const next: { state: SystemState; id: number }[] = [];
    for (const { state, id } of frontier) {
      for (const step of enabledSteps(state)) {
        transitions++;
        const successor = applyStep(state, step);
        const key = stateKey(successor);
        if (index.has(key)) continue;
        const newId = parent.length;
        index.set(key, newId);
        parent.push(id);
        via.push(step);
        const stop = options.onState?.(successor, depth + 1);
        if (stop !== undefined) {
          return { states: index.size, transitions, depth: depth + 1, complete: false, stopped: { message: stop, path: pathTo(newId), state: successor } };
        }
        if (index.size >= maxStates) return { states: index.size, transitions, depth: depth + 1, complete: false };
        next.push({ state: successor, id: newId });
      }
    }
    frontier = next;
    if (next.length > 0) depth++;
  }
  return { states: index.size, transitions, depth, complete: true };
}
