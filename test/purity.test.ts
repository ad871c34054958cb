/**
 * Determinism and purity of the composed system, over random step sequences
 * drawn by fast-check (fixed seeds): applyStep never mutates its input, equal
 * states have equal keys (and only equal states), and a walk replayed from its
 * step labels reaches the same state.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DESIGNS } from '../machines/design.js';
import { DEFAULT_SCOPE, type Scope } from '../src/system/scope.js';
import { followSchedule } from '../src/engine/random.js';
import { applyStep, enabledSteps, initialState, stateKey, type SystemState } from '../src/system/system.js';

const SCOPE: Scope = { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2 };

/** The state's data without the shared config: what must never change under applyStep. */
const dataOf = (s: SystemState) => ({ hosts: s.hosts, guests: s.guests, tokens: s.tokens, resident: s.resident });

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** A walk of a design under a schedule (the random checker's own driver). */
function walk(designIndex: number, schedule: readonly number[]): { states: SystemState[]; labels: string[] } {
  const design = DESIGNS[designIndex % DESIGNS.length]!;
  const walked = followSchedule({ design, scope: SCOPE }, schedule);
  return { states: walked.states, labels: walked.steps.map((s) => s.label) };
}

const designs = fc.nat({ max: DESIGNS.length - 1 });
const schedules = fc.array(fc.nat({ max: 1000 }), { maxLength: 40 });

describe('composed system purity', () => {
  it('applyStep never mutates the state it is given', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        const design = DESIGNS[d]!;
        let state = initialState({ design, scope: SCOPE });
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

  it('replays a random walk from its step labels to the same state', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        const { states, labels } = walk(d, schedule);
        let state = initialState(states[0]!.config);
        for (const label of labels) {
          const step = enabledSteps(state).find((s) => s.label === label);
          expect(step, `label '${label}' enabled on replay`).toBeDefined();
          state = applyStep(state, step!);
        }
        expect(stateKey(state)).toBe(stateKey(states.at(-1)!));
      }),
      { seed: 42, numRuns: 60 },
    );
  });

  it('labels the enabled steps of a state uniquely', () => {
    fc.assert(
      fc.property(designs, schedules, (d, schedule) => {
        for (const state of walk(d, schedule).states) {
          const labels = enabledSteps(state).map((s) => s.label);
          expect(new Set(labels).size).toBe(labels.length);
        }
      }),
      { seed: 11, numRuns: 40 },
    );
  });
});
