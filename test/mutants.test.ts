/**
 * The bug catalogue: each expressible mutant of bugs.md breaks its listed
 * property at its stated scope (the smallest that shows it), exhaustive mode
 * finds the shortest counterexample, random mode finds one within the stated
 * budget, and the fixed design at the same scope keeps the property.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { propertyById } from '../properties/index.js';
import { runCheck, type CheckRequest } from '../src/check/check.js';
import { MUTANTS, type Mutant } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';

/** Random-mode budget for every mutant: 4000 schedules of up to 40 steps, seed 1 (dummy-alloc-unlocked, the rarest, needs 2001-4000). */
const RANDOM_BUDGET = { seed: 1, runs: 4000, depth: 40 } as const;

const request = (m: Mutant, mutants: readonly Mutant[], mode: CheckRequest['mode']): CheckRequest => ({
  design: designByName(m.base),
  mutants,
  scope: { ...DEFAULT_SCOPE, ...m.scope },
  mode,
  ...RANDOM_BUDGET,
  properties: [propertyById(m.breaks)],
});

describe.each(MUTANTS.map((m) => [m.id, m] as const))('%s', (_, m) => {
  it(`exhaustive mode finds a shortest violation of ${m.breaks} at scope ${JSON.stringify(m.scope)}`, () => {
    const report = runCheck(request(m, [m], 'exhaustive'));
    expect(report.result).toBe('violation');
    expect(report.property).toBe(m.breaks);
    expect(report.counterexampleLength).toBeGreaterThan(0);
  });

  it('random mode finds it too, never shorter than the exhaustive one', () => {
    const exhaustive = runCheck(request(m, [m], 'exhaustive'));
    const random = runCheck(request(m, [m], 'random'));
    expect(random.result).toBe('violation');
    expect(random.property).toBe(m.breaks);
    expect(random.counterexampleLength!).toBeGreaterThanOrEqual(exhaustive.counterexampleLength!);
  });

  it(`the fixed ${m.base} keeps ${m.breaks} at the same scope`, () => {
    const report = runCheck(request(m, [], 'exhaustive'));
    expect(report.result).toBe('pass');
  });
});

describe('dummy-alloc-unlocked', () => {
  it('files the duplicate entry bugs.md describes: guest-atomicity fails one step after no-lost-wakeup is sealed', () => {
    const m = MUTANTS.find((x) => x.id === 'dummy-alloc-unlocked')!;
    const lost = runCheck(request(m, [m], 'exhaustive'));
    const duplicate = runCheck({ ...request(m, [m], 'exhaustive'), properties: [propertyById('guest-atomicity')] });
    expect(duplicate.result).toBe('violation');
    expect(duplicate.message).toMatch(/two sleeper-table nodes for token/);
    // the wakeup is lost once the sleeper is hashed while the waker allocates; the duplicate is hashed at the waker's next step
    expect(duplicate.counterexampleLength).toBe(lost.counterexampleLength! + 1);
  });

  it('needs the migration: without it the waker holds the CPU while it allocates, and nothing goes wrong', () => {
    const m = MUTANTS.find((x) => x.id === 'dummy-alloc-unlocked')!;
    const pinned = runCheck({ ...request(m, [m], 'exhaustive'), scope: { ...DEFAULT_SCOPE, ...m.scope, migration: false }, properties: undefined });
    expect(pinned.result).toBe('pass');
  });
});

describe('mutants compose', () => {
  it('undoes two fixes of one design at once', () => {
    const a = MUTANTS.find((m) => m.id === 'clear-queue-on-paging-off')!;
    const b = MUTANTS.find((m) => m.id === 'deliver-with-paging-off')!;
    const report = runCheck({ ...request(a, [a, b], 'exhaustive'), properties: undefined });
    expect(report.bugs).toEqual([a.id, b.id]);
    expect(report.result).toBe('violation');
    // the shorter of the two bugs wins: the not-present queued inside SMM
    expect(report.property).toBe('injection-context');
  });
});
