/**
 * A bigger scope never finds less. Every placement of the tasks on the vCPUs
 * is an initial state (placementsOf), so (2,2,2) contains (1,2,1)'s runs: both
 * tasks on vCPU 0, the second vCPU idle, a second page never touched. For
 * every design and every mutant, with the mutant's switches: a property
 * broken at (1,2,1) is broken at (2,2,2) too (checked for that property
 * alone, exhaustively). Before placements, tasks were pinned one per vCPU
 * and clear-queue-on-paging-off, lapic-disabled-drop and missed-kick held at
 * (2,2,2) although they broke at (1,2,1).
 */
import { describe, expect, it } from 'vitest';
import { DESIGNS, designByName } from '../machines/design.js';
import { MUTANTS, type Mutant } from '../machines/mutants.js';
import { DEFAULT_SCOPE, SCOPE_SWITCHES, type Scope } from '../machines/scope.js';
import { propertyById } from '../properties/index.js';
import { runCheck, type CheckRequest } from '../src/check/check.js';
import { validateScope } from '../src/system/scope.js';

/** The switches a mutant's scope turns on, on top of a size. */
const withSwitches = (m: Mutant | undefined, size: Pick<Scope, 'vcpus' | 'tasks' | 'pages'>): Scope => ({
  ...DEFAULT_SCOPE,
  ...Object.fromEntries(SCOPE_SWITCHES.filter((s) => m?.scope[s] === true).map((s) => [s, true])),
  ...size,
});

const check = (m: Mutant | undefined, design: string, scope: Scope, property?: string): ReturnType<typeof runCheck> => {
  const request: CheckRequest = {
    design: designByName(design),
    mutants: m === undefined ? [] : [m],
    scope,
    mode: 'exhaustive',
    seed: 1,
    runs: 1,
    depth: 1,
    ...(property === undefined ? {} : { properties: [propertyById(property)] }),
  };
  return runCheck(request);
};

const CASES: readonly [string, Mutant | undefined, string][] = [
  ...DESIGNS.map((d): [string, Mutant | undefined, string] => [d.name, undefined, d.name]),
  ...MUTANTS.map((m): [string, Mutant | undefined, string] => [m.id, m, m.base]),
];

describe.each(CASES)('%s', (_, m, design) => {
  const small = withSwitches(m, { vcpus: 1, tasks: 2, pages: 1 });
  const large = withSwitches(m, { vcpus: 2, tasks: 2, pages: 2 });
  const smallExists = (() => {
    try {
      validateScope(small, designByName(design));
      return true;
    } catch {
      return false; // e.g. --migration needs two vCPUs
    }
  })();

  it('breaks at (2,2,2) whatever it breaks at (1,2,1)', () => {
    const broken = smallExists ? check(m, design, small) : undefined;
    if (broken?.result === 'violation') {
      const again = check(m, design, large, broken.property!);
      expect(again.result, `${broken.property} at (2,2,2)`).toBe('violation');
    } else if (m !== undefined) {
      // where (1,2,1) is too small (or shows nothing), the mutant still breaks its property at (2,2,2)
      expect(check(m, design, large, m.breaks).result).toBe('violation');
    }
  }, 60_000);
});
