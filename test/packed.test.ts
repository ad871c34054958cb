/**
 * The packed system's facts against the composed system. A fact's moves are
 * built from step outcomes memoised per (share, step) and worked out with
 * every page swapped out (PackedSystem.templateOf and workOut), on the claim that what a
 * vCPU's step does never depends on the other pages (system.ts
 * candidateSteps). Here every fact a search meets, at every pages mask, is
 * compared with `successorsOf` run on its own state: the same steps in the
 * same order, the same successors, the same step verdicts.
 */
import { describe, expect, it } from 'vitest';
import { DESIGNS, designByName, vcpuLocal } from '../machines/design.js';
import { SAFETY } from '../properties/index.js';
import { applyMutants, MUTANTS } from '../machines/mutants.js';
import { packedSystemFor } from '../src/search/bfs/partition.js';
import { Judge } from '../src/judge/judge.js';
import type { SafetyProperty } from '../properties/types.js';
import { ModelError } from '../src/errors.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { PackedSystem } from '../src/packed/packed.js';
import { stateKey, successorsOf, type SystemConfig } from '../src/system/system.js';

/** Facts compared per configuration at most (the searches below meet fewer or about as many). */
const MAX_FACTS = 3000;

const CONFIGS: readonly [string, SystemConfig][] = [
  ...DESIGNS.map((design): [string, SystemConfig] => [`${design.name} (2,2,2)`, { design, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 } }]),
  ['x86 (1,2,3)', { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 1, tasks: 2, pages: 3 } }],
  ...MUTANTS.map((m): [string, SystemConfig] => [m.id, { design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope } }]),
];

describe.each(CONFIGS)('%s', (_, config) => {
  it('gives every fact the moves the composed system gives its state, at every pages mask', () => {
    const judge = new Judge({ safety: SAFETY, liveness: [] });
    const packed = packedSystemFor(config, judge);
    const groups = packed.width - 1;
    const seen = new Set<string>();
    const queue = [packed.initial()];
    const checked = new Set<number>();
    const masks = new Set<number>();
    while (queue.length > 0 && checked.size < MAX_FACTS) {
      const tuple = queue.shift()!;
      for (let g = 0; g < groups; g++) {
        const fact = packed.factOf(tuple, g);
        const moves = [];
        for (let move = packed.movesStart(fact); move < packed.movesEnd(fact); move++) {
          const next = packed.moveInto(tuple, g, move, new Int32Array(packed.width));
          const verdict = packed.verdictOf(move);
          moves.push([packed.steps[packed.stepOf(move)]!.label, next[g], next[groups], verdict < 0 ? undefined : packed.verdicts[verdict]]);
          const key = next.join();
          if (!seen.has(key)) {
            seen.add(key);
            queue.push(next);
          }
        }
        const key = packed.factKey(tuple, g);
        if (checked.has(key)) continue;
        checked.add(key);
        masks.add(tuple[groups]!);
        // the group's moves are its vCPUs' successors, vCPU by vCPU, in its lone state
        const lone = packed.unpack(packed.loneTuple(tuple[g]!, g, tuple[groups]!));
        const direct = packed.groups[g]!.flatMap((v) =>
          successorsOf(lone, v).map(({ step, next }) => {
            const packedNext = packed.pack(next);
            return [step.label, packedNext[g], packedNext[groups], judge.forShares(config).step(next, lone)];
          }),
        );
        expect(moves, `group ${g}, share ${tuple[g]}, pages ${tuple[groups]}`).toEqual(direct);
      }
    }
    // the claim is only tested if shares are met with pages resident as well as swapped out
    expect(masks.size).toBeGreaterThan(1);
  });
});

describe('the checks judged once per vCPU share', () => {
  const config: SystemConfig = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 } };
  const readsPages: SafetyProperty = {
    id: 'no-stale-write',
    kind: 'safety',
    label: 'S0',
    summary: 'a check of this test that reads the pages',
    perVcpu: true,
    check: (state) => (state.resident[0] === true ? 'page0 resident' : undefined),
  };

  it('may not read the pages: a per-vCPU check that does is a model error, not an answer for one pages mask', () => {
    const packed = packedSystemFor(config, new Judge({ safety: [readsPages], liveness: [] }));
    expect(() => packed.factOf(packed.initial(), 0)).toThrow(ModelError);
    expect(() => packed.factOf(packed.initial(), 0)).toThrow(/read the pages/);
  });
});

/** Every state a packed system reaches from its initial state (by canonical key), and its edges as (from, step, to) keys. */
function reach(packed: PackedSystem<unknown>): { states: Set<string>; edges: Set<string> } {
  const groups = packed.width - 1;
  const key = (tuple: Int32Array) => stateKey(packed.unpack(tuple));
  const seen = new Map<string, Int32Array>([[packed.initial().join(), packed.initial()]]);
  const states = new Set<string>([key(packed.initial())]);
  const edges = new Set<string>();
  const queue = [packed.initial()];
  const visit = (from: Int32Array, next: Int32Array, step: number) => {
    edges.add(`${key(from)} -${packed.steps[step]!.label}-> ${key(next)}`);
    if (seen.has(next.join())) return;
    seen.set(next.join(), next);
    states.add(key(next));
    queue.push(next);
  };
  while (queue.length > 0) {
    const tuple = queue.shift()!;
    for (let g = 0; g < groups; g++) {
      const fact = packed.factOf(tuple, g);
      for (let move = packed.movesStart(fact); move < packed.movesEnd(fact); move++) visit(tuple, packed.moveInto(tuple, g, move, new Int32Array(packed.width)), packed.stepOf(move));
    }
    for (let page = 0; page < packed.config.scope.pages; page++) {
      if ((tuple[groups]! & (1 << page)) === 0) continue;
      const next = tuple.slice();
      next[groups] = tuple[groups]! & ~(1 << page);
      visit(tuple, next, packed.swapStep(tuple, page));
    }
  }
  return { states, edges };
}

describe('one group of all vCPUs (for designs whose steps reach other vCPUs)', () => {
  // (2,2,1): every placement, small enough to compare every state and step by key
  it.each([
    // the designs packed one group per vCPU (s390-pfault is packed as one group already)
    ...DESIGNS.filter(vcpuLocal).map((design): [string, SystemConfig] => [`${design.name} (2,2,1)`, { design, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 1 } }]),
    ...MUTANTS.filter((m) => m.id === 'dummy-alloc-unlocked').map((m): [string, SystemConfig] => [m.id, { design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope } }]),
  ])('%s: reaches the same states by the same steps as one group per vCPU', (_, config) => {
    const judge = new Judge({ safety: SAFETY, liveness: [] }).forShares(config);
    const apart = reach(new PackedSystem(config, judge));
    const together = new PackedSystem(config, judge, true);
    expect(together.width).toBe(2);
    const joined = reach(together);
    expect(joined.states.size).toBe(apart.states.size);
    expect([...joined.states].sort()).toEqual([...apart.states].sort());
    expect([...joined.edges].sort()).toEqual([...apart.edges].sort());
  });
});
