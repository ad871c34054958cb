/**
 * Fair cycles on the explored graph, for the liveness properties. A goal can
 * be reachable from every state (no stuck state) and still be postponed
 * forever: by a cycle of fair steps (src/judge/fair-continuation.ts) through
 * states where it stays pending. Such a cycle only counts if it is fair to
 * every step: a step enabled in every state of the cycle must be taken in it
 * (weak fairness per step, as SPIN's weak fairness and TLC's WF are per
 * process or action). Within a strongly connected component K of the pending
 * states, the cycle through every edge of K is fair exactly when each step
 * enabled in all of K's states labels some edge inside K; and no cycle of K
 * is fair otherwise (a smaller cycle enables at least those steps and takes
 * at most those edges). So one pass of Tarjan's algorithm and one check per
 * component decide the question, as for SPIN's weak-fairness cycles.
 */

import type { FairMove } from '../bfs/partitions.js';

/** A fair move of a state: the step and the global id of the state it leads to. */
/**
 * The strongly connected components of the graph whose edges are the
 * predecessor lists `sources[offsets[t] .. offsets[t + 1])` of each state t,
 * restricted to the states marked 1 in `inside` (all states without it).
 * Components are numbered in the order Tarjan's algorithm closes them, which
 * here is a topological order of the graph: an edge from s to t (s among
 * t's predecessors) never goes from a higher number to a lower one.
 */
export interface Components {
  readonly count: number;
  /** the states inside, component by component in their order: component c is members[starts[c] .. starts[c + 1]) */
  readonly members: Int32Array;
  readonly starts: Int32Array;
}

/** The discovery number of a state whose component is closed: above every other, so it never lowers a low link. */
const CLOSED = 0x7fffffff;

/** States discovered between two polls of `shouldStop`. */
const POLL_EVERY = 1 << 16;

/**
 * The components of the graph (see Components): iterative Tarjan on typed
 * arrays, no recursion. `shouldStop` is asked every POLL_EVERY states
 * discovered; true ends the search with 'interrupted'.
 */
export function components(offsets: Int32Array, sources: Int32Array, inside?: Uint8Array): Components;
export function components(offsets: Int32Array, sources: Int32Array, inside: Uint8Array | undefined, shouldStop: () => boolean): Components | 'interrupted';
export function components(offsets: Int32Array, sources: Int32Array, inside?: Uint8Array, shouldStop?: () => boolean): Components | 'interrupted' {
  const size = offsets.length - 1;
  // discovery numbers (-1: not yet discovered; CLOSED once the state's component is closed, so an edge
  // into a closed component never lowers a low link: no separate on-stack mark to read per edge)
  const index = new Int32Array(size).fill(-1);
  const low = new Int32Array(size);
  const stack = new Int32Array(size);
  let top = 0;
  // the depth-first path: a state and the next of its edges to follow
  const pathState = new Int32Array(size);
  const pathEdge = new Int32Array(size);
  const members = new Int32Array(size);
  const starts = new Int32Array(size + 1);
  let count = 0;
  let closed = 0;
  let counter = 0;
  const discover = (state: number): boolean => {
    index[state] = low[state] = counter++;
    stack[top++] = state;
    return counter % POLL_EVERY === 0 && shouldStop?.() === true;
  };
  for (let root = 0; root < size; root++) {
    if (index[root] !== -1 || (inside !== undefined && inside[root] !== 1)) continue;
    let depth = 0;
    pathState[0] = root;
    pathEdge[0] = offsets[root]!;
    if (discover(root)) return 'interrupted';
    while (depth >= 0) {
      const state = pathState[depth]!;
      const edge = pathEdge[depth]!;
      if (edge < offsets[state + 1]!) {
        pathEdge[depth] = edge + 1;
        const next = sources[edge]!;
        if (inside !== undefined && inside[next] !== 1) continue;
        if (index[next] === -1) {
          depth++;
          pathState[depth] = next;
          pathEdge[depth] = offsets[next]!;
          if (discover(next)) return 'interrupted';
        } else if (index[next]! < low[state]!) {
          low[state] = index[next]!;
        }
        continue;
      }
      // every edge followed: close the component rooted here, if it is one
      if (low[state] === index[state]) {
        let start = top;
        do start--;
        while (stack[start] !== state);
        for (let i = start; i < top; i++) {
          index[stack[i]!] = CLOSED;
          members[closed++] = stack[i]!;
        }
        starts[++count] = closed;
        top = start;
      }
      depth--;
      if (depth >= 0) {
        const parent = pathState[depth]!;
        if (low[state]! < low[parent]!) low[parent] = low[state]!;
      }
    }
  }
  return { count, members: members.subarray(0, closed), starts: starts.subarray(0, count + 1) };
}

/**
 * Calls `visit` with every strongly connected component of at least two
 * states (see components), in their order; stops when `visit` returns true.
 */
export function forEachComponent(offsets: Int32Array, sources: Int32Array, inside: Uint8Array, visit: (component: Int32Array) => boolean): void {
  const { count, members, starts } = components(offsets, sources, inside);
  for (let c = 0; c < count; c++) {
    if (starts[c + 1]! - starts[c]! > 1 && visit(members.subarray(starts[c]!, starts[c + 1]!))) return;
  }
}

/** Whether some cycle of `component` is fair (see the module comment); `movesOf` gives a state's fair moves. */
export function isFairComponent(component: Int32Array, movesOf: (id: number) => readonly FairMove[]): boolean {
  const members = new Set(component);
  let enabledEverywhere: Set<number> | undefined;
  const taken = new Set<number>();
  for (const state of component) {
    const enabled = new Set<number>();
    for (const { step, target } of movesOf(state)) {
      enabled.add(step);
      if (members.has(target)) taken.add(step);
    }
    enabledEverywhere = enabledEverywhere === undefined ? enabled : new Set([...enabledEverywhere].filter((step) => enabled.has(step)));
  }
  return [...enabledEverywhere!].every((step) => taken.has(step));
}

/**
 * A fair cycle inside the fair component `component`, from `entry` back to
 * it: while some step is enabled in every state the cycle has visited and
 * taken nowhere in it, the shortest way inside the component to an edge with
 * that step (taking it) or to a state where it is not enabled; then the
 * shortest way back to `entry`, until the cycle is fair (each leg only
 * removes such steps, so this ends). Returns the steps taken.
 */
export function fairCycle(component: Int32Array, entry: number, movesOf: (id: number) => readonly FairMove[]): number[] {
  const members = new Set(component);
  const inside = (id: number) => movesOf(id).filter((m) => members.has(m.target));
  const enables = (id: number, step: number) => movesOf(id).some((m) => m.step === step);
  /** The shortest path of inside moves from `from` ending with a move for which `done` holds. */
  const pathTo = (from: number, done: (move: FairMove) => boolean): { steps: number[]; states: number[] } => {
    const via = new Map<number, { from: number; step: number }>();
    let frontier = [from];
    const seen = new Set([from]);
    while (frontier.length > 0) {
      const next: number[] = [];
      for (const state of frontier) {
        for (const move of inside(state)) {
          if (done(move)) {
            const steps = [move.step];
            const states = [move.target];
            for (let at = state; at !== from; ) {
              const back = via.get(at)!;
              steps.push(back.step);
              states.push(at);
              at = back.from;
            }
            return { steps: steps.reverse(), states: states.reverse() };
          }
          if (seen.has(move.target)) continue;
          seen.add(move.target);
          via.set(move.target, { from: state, step: move.step });
          next.push(move.target);
        }
      }
      frontier = next;
    }
    throw new Error('fairCycle: the component is not strongly connected, or not fair');
  };
  const steps: number[] = [];
  const visited = [entry];
  for (;;) {
    const taken = new Set(steps);
    const waiting = movesOf(entry)
      .map((m) => m.step)
      .filter((step) => !taken.has(step) && visited.every((id) => enables(id, step)))
      .sort((a, b) => a - b);
    const at = visited.at(-1)!;
    if (waiting.length === 0 && steps.length > 0 && at === entry) return steps;
    const leg =
      waiting.length > 0
        ? pathTo(at, (move) => move.step === waiting[0] || !enables(move.target, waiting[0]!))
        : pathTo(at, (move) => move.target === entry);
    steps.push(...leg.steps);
    visited.push(...leg.states);
  }
}
