/**
 * The fair-cycle search (src/search/liveness/fair-cycles.ts) on graphs small enough
 * to check by hand: its components, the weak-fairness test of a component,
 * and the cycle it builds to show one; then the whole way through the
 * exhaustive search, on a goal of the test's own that a fair cycle of the
 * real model postpones (the shipped properties have none in the designs).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import type { LivenessProperty } from '../properties/types.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { components as componentsOf, fairCycle, forEachComponent, isFairComponent } from '../src/search/liveness/fair-cycles.js';
import type { FairMove } from '../src/search/bfs/partitions.js';
import { Judge } from '../src/judge/judge.js';
import { walkSteps } from '../src/system/walk.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import type { SystemState } from '../src/system/system.js';

/** Predecessor lists (compressed rows) of a graph given as forward edges. */
function predecessors(size: number, edges: readonly [number, number][]): { offsets: Int32Array; sources: Int32Array } {
  const offsets = new Int32Array(size + 1);
  for (const [, to] of edges) offsets[to + 1]!++;
  for (let i = 0; i < size; i++) offsets[i + 1]! += offsets[i]!;
  const sources = new Int32Array(edges.length);
  const fill = offsets.slice(0, size);
  for (const [from, to] of edges) sources[fill[to]!++] = from;
  return { offsets, sources };
}

function components(size: number, edges: readonly [number, number][], inside: (id: number) => boolean = () => true): number[][] {
  const { offsets, sources } = predecessors(size, edges);
  const out: number[][] = [];
  forEachComponent(offsets, sources, Uint8Array.from({ length: size }, (_, id) => (inside(id) ? 1 : 0)), (component) => {
    out.push([...component].sort((a, b) => a - b));
    return false;
  });
  return out.sort((a, b) => a[0]! - b[0]!);
}

describe('forEachComponent', () => {
  const edges: [number, number][] = [
    [0, 1],
    [1, 2],
    [2, 0],
    [2, 3],
    [3, 4],
    [4, 3],
    [4, 5],
    [6, 6],
  ];

  it('finds the strongly connected components of two or more states', () => {
    expect(components(7, edges)).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });

  it('keeps to the states it is told are inside', () => {
    expect(components(7, edges, (id) => id !== 4)).toEqual([[0, 1, 2]]);
  });

  it('handles a long chain and a long cycle without recursion', () => {
    const n = 200_000;
    const chain = Array.from({ length: n - 1 }, (_, i): [number, number] => [i, i + 1]);
    expect(components(n, chain)).toEqual([]);
    expect(components(n, [...chain, [n - 1, 0]])[0]!.length).toBe(n);
  });
});

/** Which states of `inside` each state reaches in one or more steps inside it (brute force). */
function reachability(size: number, edges: readonly [number, number][], inside: readonly boolean[]): boolean[][] {
  const reach = Array.from({ length: size }, () => Array<boolean>(size).fill(false));
  for (const [from, to] of edges) if (inside[from] && inside[to]) reach[from]![to] = true;
  for (let k = 0; k < size; k++) for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) if (reach[i]![k] && reach[k]![j]) reach[i]![j] = true;
  return reach;
}

describe('forEachComponent on random graphs', () => {
  const graphs = fc.integer({ min: 1, max: 12 }).chain((size) =>
    fc.record({
      size: fc.constant(size),
      edges: fc.array(fc.tuple(fc.nat(size - 1), fc.nat(size - 1)), { maxLength: size * 3 }),
      inside: fc.array(fc.nat(4).map((n) => n > 0), { minLength: size, maxLength: size }),
    }),
  );

  it('finds exactly the strongly connected components of two or more states (against a brute-force closure)', () => {
    fc.assert(
      fc.property(graphs, ({ size, edges, inside }) => {
        const reach = reachability(size, edges, inside);
        const expected = new Map<string, number[]>();
        for (let i = 0; i < size; i++) {
          if (!inside[i] || !reach[i]![i]) continue;
          const members = Array.from({ length: size }, (_, j) => j).filter((j) => j === i || (reach[i]![j] && reach[j]![i]));
          if (members.length > 1) expected.set(members.join(), members);
        }
        const want = [...expected.values()].sort((a, b) => a[0]! - b[0]!);
        expect(components(size, edges, (id) => inside[id]!)).toEqual(want);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });

  it('numbers every inside state\'s component, in an order no edge goes back against', () => {
    fc.assert(
      fc.property(graphs, ({ size, edges, inside }) => {
        const reach = reachability(size, edges, inside);
        const { offsets, sources } = predecessors(size, edges);
        const found = componentsOf(offsets, sources, Uint8Array.from(inside, (i) => (i ? 1 : 0)));
        // members list each inside state once
        expect([...found.members].sort((a, b) => a - b)).toEqual(inside.flatMap((isInside, id) => (isInside ? [id] : [])));
        const of = new Map<number, number>();
        for (let c = 0; c < found.count; c++) for (let k = found.starts[c]!; k < found.starts[c + 1]!; k++) of.set(found.members[k]!, c);
        for (let i = 0; i < size; i++) {
          for (let j = 0; j < size; j++) {
            if (inside[i] && inside[j]) expect(of.get(i) === of.get(j)).toBe(i === j || (reach[i]![j]! && reach[j]![i]!));
          }
        }
        for (const [from, to] of edges) if (inside[from] && inside[to]) expect(of.get(from)!).toBeLessThanOrEqual(of.get(to)!);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });

  it('stops when asked to, between discoveries', () => {
    const n = 200_000;
    const chain = Array.from({ length: n - 1 }, (_, i): [number, number] => [i, i + 1]);
    const { offsets, sources } = predecessors(n, chain);
    let asked = 0;
    expect(componentsOf(offsets, sources, undefined, () => ++asked > 1)).toBe('interrupted');
    expect(asked).toBe(2);
  });
});

describe('isFairComponent and fairCycle', () => {
  // states 0 and 1 toggle by steps 10 and 11; step 20 leaves the component (it would reach the goal)
  const moves = (leaveFrom: readonly number[]) => (id: number): FairMove[] => [
    { step: id === 0 ? 10 : 11, target: 1 - id },
    ...(leaveFrom.includes(id) ? [{ step: 20, target: 9 }] : []),
  ];
  const component = Int32Array.of(0, 1);

  it('rejects a component that keeps a step enabled everywhere and never takes it', () => {
    expect(isFairComponent(component, moves([0, 1]))).toBe(false);
  });

  it('accepts it when no step is enabled in every state but left untaken', () => {
    expect(isFairComponent(component, moves([0]))).toBe(true);
  });

  it('takes every step enabled in all the states its cycle visits', () => {
    // three states in a ring, each also able to take step 7 to the next one: 7 is enabled everywhere and taken inside
    const ring = (id: number): FairMove[] => [
      { step: 1 + id, target: (id + 1) % 3 },
      { step: 7, target: (id + 2) % 3 },
    ];
    expect(isFairComponent(Int32Array.of(0, 1, 2), ring)).toBe(true);
    const steps = fairCycle(Int32Array.of(0, 1, 2), 0, ring);
    expect(steps).toContain(7);
    // walk it: it must come back to 0
    let at = 0;
    for (const step of steps) at = ring(at).find((m) => m.step === step)!.target;
    expect(at).toBe(0);
  });

  it('builds a cycle of at least one step, leaving the state that enables the exit so the exit is not waiting forever', () => {
    expect(fairCycle(component, 0, moves([0]))).toEqual([10, 11]);
  });

  it('goes out of its way when the shortest cycle would keep a step waiting', () => {
    // 0 <-> 1 by steps 1 and 2; 1 <-> 2 by steps 3 and 4; step 9 (leaving) is enabled in 0 and 1 but not in 2
    const detour = (id: number): FairMove[] =>
      [
        [{ step: 1, target: 1 }, { step: 9, target: 7 }],
        [{ step: 2, target: 0 }, { step: 3, target: 2 }, { step: 9, target: 7 }],
        [{ step: 4, target: 1 }],
      ][id]!;
    expect(isFairComponent(Int32Array.of(0, 1, 2), detour)).toBe(true);
    expect(fairCycle(Int32Array.of(0, 1, 2), 0, detour)).toEqual([1, 3, 4, 2]);
  });
});

describe('the exhaustive search finds a fair cycle and shows it as a lasso', () => {
  // a goal the model can always reach by fair steps, and can also postpone forever: "cpu0 runs task0 while cpu1 runs task3";
  // the CPUs switching task0 -> task2, task1 -> task3, then back by way of (task2, task1), never pass through it,
  // and no schedule() is enabled in all three of those states, so that cycle is fair
  const runs = (s: SystemState, v: number, local: number) => s.guests[v]!.value === 'running' && s.guests[v]!.context.current === local;
  const together = (s: SystemState) => runs(s, 0, 0) && runs(s, 1, 1);
  const twoEach = (s: SystemState) => s.guests.every((g) => g.context.tasks.length === 2);
  const property: LivenessProperty = {
    id: 'no-stuck-guest',
    label: 'test',
    kind: 'liveness',
    summary: 'cpu0 runs task0 while cpu1 runs task3, eventually',
    goals: () => [
      {
        // only where each CPU was placed with two tasks (the other placements cannot reach it at all)
        pending: (s) => twoEach(s) && !together(s),
        reached: together,
        explain: () => 'stuck',
        explainCycle: (_, steps) => `a fair cycle of ${steps} steps`,
        projection: (s, v) => `${String(s.guests[v]!.value)} ${s.guests[v]!.context.current} ${s.guests[v]!.context.tasks.length}`,
      },
    ],
  };
  const config = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 4 } };

  // one thread: worker threads look properties up by id, and this one is the test's own
  it('a prefix, then a fair cycle that returns to its start and never reaches the goal', () => {
    const result = exhaustiveCheck(config, new Judge({ safety: [], liveness: [property] }));
    const found = result.counterexample!;
    expect(found.cycleStart).toBeDefined();
    expect(found.violation.message).toBe(`a fair cycle of ${found.steps.length - found.cycleStart!} steps`);
    const walked = walkSteps(config, found.steps, found.placement)!;
    // the judge of lassos (which replay uses) agrees
    expect(new Judge({ safety: [], liveness: [property] }).path(walked.states, { steps: walked.steps, cycleStart: found.cycleStart! })?.message).toBe(found.violation.message);
    expect(walked.states.slice(found.cycleStart!).some(together)).toBe(false);
  });
});
