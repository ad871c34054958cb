/**
 * Liveness on the complete graph of an exhaustive search. The fair graph's
 * strongly connected components are found once (Tarjan, fair-cycles.ts);
 * then, for up to eight goals at a time, one pass over them in reverse
 * topological order tells every state which goals a fair path from it
 * reaches (a goal state, or one where the guest died: a safety matter,
 * reported as such). Goal by goal, in order: a pending state that reaches no
 * goal state is a violation, the shallowest one (lowest id among equals)
 * reported; then fair cycles through pending states, the one entered
 * shallowest reported as a lasso. A cycle of pending states lies inside one
 * component of the whole graph, so each goal looks for its cycles in the
 * subgraph of the states on cycles only (x86 (2,3,2): 5,472 of 3,405,480
 * states).
 */
import type { PropertyId } from '../../../properties/types.js';
import type { Goal } from '../../judge/judge.js';
import { globalId, type FairEdges } from '../bfs/partition.js';
import type { FairMove, Partitions } from '../bfs/partitions.js';
import { components, fairCycle, forEachComponent, isFairComponent, type Components } from './fair-cycles.js';

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
export const LIVENESS_BYTES_PER_STATE = 32;

/** A liveness violation on the graph: the state, for a fair cycle its steps, the property and why. */
export interface GraphViolation {
  readonly state: number;
  readonly cycle?: readonly number[];
  readonly property: PropertyId;
  readonly message: string;
}

/**
 * The first liveness violation among `goals` on the graph the partitions
 * hold (`states[p]` states in partition p), or 'interrupted' when
 * `stopRequested` says so on the way.
 */
export function livenessViolation(partitions: Partitions, states: readonly number[], goals: readonly Goal[], stopRequested: () => boolean): GraphViolation | 'interrupted' | undefined {
  if (goals.length === 0) return undefined;
  const count = partitions.count;
  const edges = states.map((_, p) => partitions.fairEdges(p));
  const levelStarts = edges.map((e) => e.levelStarts);
  const size = Math.max(...states) * count;
  const { offsets, sources } = predecessorLists(size, edges);
  const graph = components(offsets, sources, undefined, stopRequested);
  if (graph === 'interrupted') return graph;
  let onCycles: CycleSubgraph | undefined;
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
      if (stopRequested()) return 'interrupted';
      onCycles ??= cycleSubgraph(graph, offsets, sources);
      const inside = Uint8Array.from(onCycles.ids, (id) => ((pending[id]! & ~reached[id]! & bit) !== 0 ? 1 : 0));
      if (!inside.includes(1)) continue;
      const cycle = fairCycleOf(partitions, onCycles, inside, levelStarts, states, stopRequested);
      if (cycle === 'interrupted') return cycle;
      if (cycle !== undefined) return { ...cycle, property, message: partitions.explain(cycle.state, first + g, cycle.cycle.length) };
      if (stopRequested()) return 'interrupted';
    }
  }
  return undefined;
}

/**
 * The fair cycle through the states of `onCycles` marked in `inside` that
 * is entered shallowest, if there is one: its entry state and its steps
 * (see fair-cycles.ts).
 */
function fairCycleOf(
  partitions: Partitions,
  onCycles: CycleSubgraph,
  inside: Uint8Array,
  levelStarts: readonly Int32Array[],
  states: readonly number[],
  stopRequested: () => boolean,
): { state: number; cycle: readonly number[] } | 'interrupted' | undefined {
  const fair: { component: Int32Array; movesOf: (id: number) => FairMove[] }[] = [];
  let interrupted = false;
  forEachComponent(onCycles.offsets, onCycles.sources, inside, (local) => {
    if (stopRequested()) return (interrupted = true);
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
