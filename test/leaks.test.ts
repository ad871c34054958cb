/**
 * Leaks end the search with a violation instead of growing the state without
 * end (issue 16): a dummy node filed for a not-present that never comes is
 * never freed, and the guest's sleeper table is bounded (guest.ts
 * `tableOverflows`, property no-dummy-leak). Before the bound, both designs
 * below ran past depth 480 and 2,700 without an answer.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { mutantById, type Mutant } from '../machines/mutants.js';
import type { Scope } from '../machines/scope.js';
import { checkOne } from './support/check-one.js';

const check = (design: string, mutants: readonly Mutant[], scope: Partial<Scope>, property: string) => checkOne(designByName(design), property, scope, mutants);

describe('no-dummy-leak', () => {
  it('ready-without-not-present: every synthetic-halt page-ready files a dummy nobody consumes', () => {
    const report = check('x86', [mutantById('ready-without-not-present')!], { tasks: 1, limit: 1 }, 'no-dummy-leak');
    expect(report.property).toBe('no-dummy-leak');
    expect(report.counterexampleLength).toBe(17);
  });

  it('pre-5.8 x86 with a nested guest: page-ready for an L2 fault whose not-present never went out', () => {
    const report = check('x86-legacy', [], { tasks: 1, limit: 1, nested: true }, 'no-dummy-leak');
    expect(report.property).toBe('no-dummy-leak');
    expect(report.counterexampleLength).toBe(17);
  });

  it('ends a search for another property on a leaking design (it used to run forever)', () => {
    const report = check('x86', [mutantById('ready-without-not-present')!], {}, 'no-lost-wakeup');
    expect(report.result).toBe('pass');
    expect(report.search?.depth).toBeLessThan(100);
  });

  it('holds where the not-present always comes: mainline x86 with a nested guest, and 2a18b7e7cd88', () => {
    expect(check('x86', [], { nested: true }, 'no-dummy-leak').result).toBe('pass');
    expect(check('x86', [], { vcpus: 2, tasks: 2, pages: 2 }, 'no-dummy-leak').result).toBe('pass');
  });
});
