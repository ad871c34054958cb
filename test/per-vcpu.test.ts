/**
 * The per-vCPU claim (properties/types.ts `perVcpu`): a state breaks such a
 * property exactly when one of its vCPUs' shares does, judged in a "lone"
 * state where the other vCPUs are at their initial share. The exhaustive
 * search relies on it to judge each share once; here it is checked on random
 * walks of every design and of every mutant (whose walks do break properties).
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DESIGNS, designByName } from '../machines/design.js';
import { SAFETY, type SafetyProperty } from '../properties/index.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { applyMutants, MUTANTS } from '../machines/mutants.js';
import { followAnyPlacement } from './support/script.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { PackedSystem } from '../src/packed/packed.js';
import type { SystemConfig } from '../src/system/system.js';
import { Judge } from '../src/judge/judge.js';
import { NO_SHARE_JUDGE } from './support/share-judge.js';

const PER_VCPU = SAFETY.filter((p) => p.perVcpu === true);

const CONFIGS: readonly [string, SystemConfig][] = [
  ...DESIGNS.map((design): [string, SystemConfig] => [design.name, { design, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2 } }]),
  ...MUTANTS.map((m): [string, SystemConfig] => [
    m.id,
    { design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope, vcpus: Math.max(2, m.scope.vcpus ?? 2) } },
  ]),
];

// the claim is only tested where it matters if some walks do break the properties (the mutants' do)
let brokenStates = 0;
afterAll(() => expect(brokenStates).toBeGreaterThan(100));

describe.each(CONFIGS)('%s', (_, config) => {
  it('breaks a per-vCPU property exactly when one vCPU share, alone, does', () => {
    const systems = PER_VCPU.map((p) => new PackedSystem(config, { ...NO_SHARE_JUDGE, lone: (lone) => p.check(lone) !== undefined }));
    fc.assert(
      fc.property(fc.array(fc.nat(30), { maxLength: 40 }), (schedule) => {
        for (const state of followAnyPlacement(config, schedule).states) {
          PER_VCPU.forEach((property, i) => {
            const tuple = systems[i]!.pack(state);
            const whole = property.check(state) !== undefined;
            const byShare = systems[i]!.groups.some((_, g) => systems[i]!.breaks(systems[i]!.factOf(tuple, g)));
            expect(byShare, `${property.id} on ${JSON.stringify(schedule)}`).toBe(whole);
            if (whole) brokenStates++;
          });
        }
      }),
      { seed: 1, numRuns: 300 },
    );
  });
});

/** `property` without its per-vCPU or projection claim: the search must judge it on every whole state. */
function wholeState(property: SafetyProperty): SafetyProperty {
  const { perVcpu: _perVcpu, projection: _projection, ...rest } = property;
  return rest;
}

describe('the exhaustive search judges a state property alike by its memo and on whole states', () => {
  const stateProperties = SAFETY.filter((p) => p.judgesSteps !== true);
  // [name, config, properties, whether the run breaks one]
  const runs: readonly [string, SystemConfig, readonly SafetyProperty[], boolean][] = [
    ['x86 (2,2,2), every state property', { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 } }, stateProperties, false],
    ...MUTANTS.flatMap((m): [string, SystemConfig, readonly SafetyProperty[], boolean][] => {
      const broken = stateProperties.find((p) => p.id === m.breaks);
      return broken === undefined ? [] : [[m.id, { design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope } }, [broken], true]];
    }),
  ];

  it.each(runs)('%s', (_, config, properties, breaks) => {
    const memo = exhaustiveCheck(config, new Judge({ safety: properties, liveness: [] }));
    const whole = exhaustiveCheck(config, new Judge({ safety: properties.map(wholeState), liveness: [] }));
    expect(memo.counterexample !== undefined).toBe(breaks);
    expect(whole.states).toBe(memo.states);
    expect(whole.counterexample?.violation).toEqual(memo.counterexample?.violation);
    expect(whole.counterexample?.steps).toEqual(memo.counterexample?.steps);
  });

  it('covers broken runs', () => {
    expect(runs.filter(([, , , breaks]) => breaks).length).toBeGreaterThan(3);
  });
});
