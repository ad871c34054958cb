/**
 * The minimiser minimises (issue 19: with its step-dropping pass switched off
 * the suite stayed green while a counterexample grew from 18 to 30 steps).
 * A known shortest counterexample, padded with steps that do not matter, must
 * come back at its shortest length, for a few mutants.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { applyMutants, mutantById } from '../machines/mutants.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { Judge } from '../src/judge/judge.js';
import { minimise } from '../src/search/random/minimise.js';
import { idOf } from '../src/system/walk.js';
import { walkLabels } from './support/walk-labels.js';

/** Steps that change nothing a property reads here: a task enters the kernel and leaves it again. */
const DETOUR = ['cpu0: syscall (enter kernel)', 'cpu0: return to user'];

const CASES: readonly { bug: string; scope: Partial<Scope>; shortest: readonly string[]; padded: readonly string[] }[] = [
  {
    bug: 'clear-queue-on-paging-off',
    scope: { smm: true },
    shortest: ['cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)', 'cpu0: SMI: CR0.PG=0'],
    padded: [...DETOUR, ...DETOUR, 'cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)', 'cpu0: schedule() -> task1', ...DETOUR, 'cpu0: SMI: CR0.PG=0'],
  },
  {
    bug: 'deliver-with-paging-off',
    scope: { smm: true },
    shortest: ['cpu0: SMI: CR0.PG=0', 'cpu0: task0 touches page0'],
    padded: [...DETOUR, ...DETOUR, ...DETOUR, 'cpu0: SMI: CR0.PG=0', 'cpu0: task0 touches page0'],
  },
];

describe.each(CASES)('minimise: $bug', ({ bug, scope, shortest, padded }) => {
  const mutant = mutantById(bug)!;
  const config = { design: applyMutants(designByName(mutant.base), [mutant]), scope: { ...DEFAULT_SCOPE, ...scope } };
  const judge = new Judge({ safety: SAFETY, liveness: LIVENESS });

  it('brings a padded counterexample back to the shortest one', () => {
    const long = walkLabels(config, padded)!;
    const target = judge.path(long.states)!;
    expect(target.property).toBe(mutant.breaks);
    const short = walkLabels(config, shortest)!;
    expect(judge.path(short.states)?.property).toBe(mutant.breaks);

    const result = minimise(config, long.steps.map(idOf), target, judge, [config.scope.tasks]);
    expect(result.steps).toHaveLength(shortest.length);
    expect(result.violation.property).toBe(mutant.breaks);
  });
});
