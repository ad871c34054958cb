/**
 * Determinism and purity of the composed system, over random step sequences
 * drawn by fast-check (fixed seeds): applyStep never mutates its input, equal
 * states have equal keys (and only equal states), whatever the order of their
 * objects' keys, and a walk replayed from its steps' identities (kind, vCPU,
 * argument) reaches the same state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESIGNS } from '../machines/design.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { followAnyPlacement } from './support/script.js';
import { applyStep, enabledSteps, initialState, placementOf, placementsOf, stateKey, type Step, type SystemState } from '../src/system/system.js';
import { isStep } from '../src/system/walk.js';

const SCOPE: Scope = { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2 };

/** The state's data without the shared config: what must never change under applyStep. */
const dataOf = (s: SystemState) => ({ hosts: s.hosts, guests: s.guests, tokens: s.tokens, resident: s.resident, vm: s.vm });

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A walk of a design under a schedule (the random checker's own driver). */
function walk(designIndex: number, schedule: readonly number[]): { states: SystemState[]; steps: Step[] } {
  const design = DESIGNS[designIndex % DESIGNS.length]!;
  return followAnyPlacement({ design, scope: SCOPE }, schedule);
}

/** The same data with every object's keys in reverse order: another order in which code might have built it. */
function reversedKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(reversedKeys);
  return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversedKeys(v)]));
}

const designs = fc.nat({ max: DESIGNS.length - 1 });
const schedules = fc.array(fc.nat({ max: 1000 }), { maxLength: 40 });

describe('composed system purity', () => {
  it('applyStep never mutates the state it is given', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        const design = DESIGNS[d]!;
        const placements = placementsOf(SCOPE);
        let state = initialState({ design, scope: SCOPE }, placements[(schedule[0] ?? 0) % placements.length]);
        for (const choice of schedule) {
          const steps = enabledSteps(state);
          if (steps.length === 0) return;
          const before = structuredClone(dataOf(state));
          deepFreeze(dataOf(state)); // a write to a frozen object throws in module (strict) code
          const next = applyStep(state, steps[choice % steps.length]!);
          expect(dataOf(state)).toEqual(before);
          state = next;
        }
      }),
      { seed: 20261125, numRuns: 60 },
    );
  });

  it('gives equal keys to equal states and different keys to different ones', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        const { states } = walk(d, schedule);
        for (const a of states) {
          const copy: SystemState = { ...(JSON.parse(JSON.stringify(dataOf(a))) as ReturnType<typeof dataOf>), config: a.config };
          expect(stateKey(copy)).toBe(stateKey(a));
          const reordered = { ...(reversedKeys(dataOf(a)) as ReturnType<typeof dataOf>), config: a.config };
          expect(stateKey(reordered)).toBe(stateKey(a));
          for (const b of states) {
            const sameKey = stateKey(a) === stateKey(b);
            const sameData = JSON.stringify(dataOf(a)) === JSON.stringify(dataOf(b));
            expect(sameKey).toBe(sameData);
          }
        }
      }),
      { seed: 7, numRuns: 40 },
    );
  });

  it('replays a random walk from its steps\' identities to the same state', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        const { states, steps } = walk(d, schedule);
        let state = initialState(states[0]!.config, placementOf(states[0]!));
        for (const taken of steps) {
          const step = enabledSteps(state).find((s) => isStep(s, taken));
          expect(step, `step '${taken.label}' enabled on replay`).toBeDefined();
          state = applyStep(state, step!);
        }
        expect(stateKey(state)).toBe(stateKey(states.at(-1)!));
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('names and labels the enabled steps of a state uniquely', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        for (const state of walk(d, schedule).states) {
          const labels = enabledSteps(state).map((s) => s.label);
          expect(new Set(labels).size).toBe(labels.length);
          const ids = enabledSteps(state).map((s) => `${s.kind} ${s.vcpu} ${s.arg}`);
          expect(new Set(ids).size).toBe(ids.length);
        }
      }),
      { seed: 11, numRuns: 40 },
    );
  });
});
