/**
 * Symmetry reduction (vCPUs, pages, tasks): the verdict (and the counterexample length) is the
 * same with and without it on every design, with strictly fewer states; a
 * permuted state has the same canonical image as the original.
 */
import { describe, expect, it } from 'vitest';
import { DESIGNS } from '../machines/design.js';
import { SAFETY } from '../properties/index.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { PackedCanonicaliser } from '../src/packed/canonicaliser.js';
import { permutePages, permuteTasks, permuteVcpus as permute, vcpuPermutations } from '../src/system/state.js';
import { followSchedule } from '../src/system/walk.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { PackedSystem } from '../src/packed/packed.js';
import { stateKey, type SystemState } from '../src/system/system.js';
import { Judge } from '../src/judge/judge.js';
import { NO_SHARE_JUDGE } from './support/share-judge.js';

const SCOPES: readonly Partial<Scope>[] = [
  { vcpus: 2, tasks: 2 },
  { vcpus: 2, tasks: 2, pages: 2 },
  { vcpus: 2, tasks: 4, timerExits: true },
];

describe.each(DESIGNS.map((d) => [d.name, d] as const))('%s', (_, design) => {
  it.each(SCOPES)('gives the same safety verdict with fewer states at %o', (patch) => {
    const config = { design, scope: { ...DEFAULT_SCOPE, ...patch } };
    const plain = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [] }), { maxStates: 20_000 });
    const reduced = exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [] }), { maxStates: 20_000, symmetry: true });
    expect(reduced.counterexample?.violation.property).toBe(plain.counterexample?.violation.property);
    expect(reduced.counterexample?.steps.length).toBe(plain.counterexample?.steps.length);
    if (plain.complete) {
      expect(reduced.complete).toBe(true);
      expect(reduced.states).toBeLessThan(plain.states);
    }
  });
});

describe('canonical images', () => {
  it('maps a state and its vCPU-swapped image to one packed tuple', () => {
    const config = { design: DESIGNS[0]!, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 } };
    const perms = vcpuPermutations(config);
    expect(perms).toEqual([
      [0, 1],
      [1, 0],
    ]);
    const packed = new PackedSystem(config, NO_SHARE_JUDGE);
    const canonicaliser = new PackedCanonicaliser(packed, config);
    const canonical = (state: SystemState) => [...canonicaliser.canonical(packed.pack(state), new Int32Array(packed.width))];
    const { states } = followSchedule(config, [0, 3, 1, 4, 2, 5, 0, 1]);
    const distinct = new Set<string>();
    for (const state of states) {
      const swapped = permute(state, [1, 0]);
      expect(canonical(swapped)).toEqual(canonical(state));
      expect(stateKey(permute(swapped, [1, 0]))).toBe(stateKey(state));
      distinct.add(canonical(state).join(','));
    }
    // it does not merge everything: states outside one orbit keep apart
    expect(distinct.size).toBeGreaterThan(1);
  });

  it('maps a state and its images under page and task permutations to one packed tuple', () => {
    const config = { design: DESIGNS[0]!, scope: { ...DEFAULT_SCOPE, vcpus: 1, tasks: 3, pages: 2 } };
    const packed = new PackedSystem(config, NO_SHARE_JUDGE);
    const canonicaliser = new PackedCanonicaliser(packed, config);
    const canonical = (state: SystemState) => [...canonicaliser.canonical(packed.pack(state), new Int32Array(packed.width))];
    // task0 touches page0 and sleeps, task1 touches page1, ...: states where tasks and pages differ in role
    const { states } = followSchedule(config, [0, 0, 1, 0, 0, 1, 2, 0, 3, 1, 0, 2]);
    let moved = 0;
    for (const state of states) {
      const images = [permutePages(state, [1, 0]), permuteTasks(state, 0, [2, 0, 1]), permuteTasks(permutePages(state, [1, 0]), 0, [1, 0, 2])];
      for (const image of images) {
        expect(canonical(image)).toEqual(canonical(state));
        if (stateKey(image) !== stateKey(state)) moved++;
      }
    }
    // the permutations really changed states (the test is not vacuous)
    expect(moved).toBeGreaterThan(states.length);
  });

  it('refuses liveness properties with symmetry', () => {
    const config = { design: DESIGNS[0]!, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2 } };
    expect(() => exhaustiveCheck(config, new Judge({ safety: SAFETY, liveness: [{} as never] }), { symmetry: true })).toThrow(/safety properties only/);
  });
});
