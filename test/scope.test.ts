import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { UsageError } from '../src/errors.js';
import { validateScope } from '../src/system/scope.js';
import { placementsOf } from '../src/system/state.js';

describe('scope validation', () => {
  const x86 = designByName('x86');

  it('accepts the default scope and the edges of each range', () => {
    expect(validateScope(DEFAULT_SCOPE, x86)).toEqual(DEFAULT_SCOPE);
    expect(() => validateScope({ ...DEFAULT_SCOPE, vcpus: 4, tasks: 6, pages: 4, limit: 64 }, x86)).not.toThrow();
  });

  it('accepts fewer tasks than vCPUs: a vCPU may be placed with none and idle', () => {
    expect(() => validateScope({ ...DEFAULT_SCOPE, vcpus: 3, tasks: 2 }, x86)).not.toThrow();
  });
  it.each([
    [{ vcpus: 0 }, 'vcpus must be an integer from 1 to 4, got 0'],
    [{ vcpus: 5, tasks: 6 }, 'vcpus must be an integer from 1 to 4, got 5'],
    [{ tasks: 7 }, 'tasks must be an integer from 1 to 6, got 7'],
    [{ pages: 0 }, 'pages must be an integer from 1 to 4, got 0'],
    [{ limit: 65 }, 'limit must be an integer from 1 to 64, got 65'],
    [{ limit: 1.5 }, 'limit must be an integer from 1 to 64, got 1.5'],
    [{ pfVmexit: true }, 'pfVmexit is about nested async PF: it needs nested'],
    [
      { vcpus: 2, migration: true },
      "migration moves L1's vCPU thread out of its #PF VM-exit window to another CPU: it needs nested, pfVmexit and at least 2 vcpus",
    ],
    [
      { vcpus: 2, nested: true, pfVmexit: true, migration: true, hotplug: true },
      'migration and hotplug cannot be combined: the model files a migrated sleeper under the faulting CPU, whose wake-all would wrongly wake it',
    ],
    [
      { nested: true, pfVmexit: true, migration: true },
      "migration moves L1's vCPU thread out of its #PF VM-exit window to another CPU: it needs nested, pfVmexit and at least 2 vcpus",
    ],
  ])('rejects %o with a message saying what is allowed', (patch, message) => {
    expect(() => validateScope({ ...DEFAULT_SCOPE, ...patch }, x86)).toThrow(new UsageError(message));
  });

  it.each(['nested', 'smm', 'lapic'] as const)('rejects the x86 switch %s on an arm64 design', (flag) => {
    expect(() => validateScope({ ...DEFAULT_SCOPE, [flag]: true }, designByName('arm64-rfcv1'))).toThrow(
      `${flag} is an x86 switch; design 'arm64-rfcv1' does not model it`,
    );
  });

  it('rejects SEND_ALWAYS for a guest that panics on a kernel-mode not-present: no v5.8+ guest sets it (3a7c8fafd1b4)', () => {
    expect(() => validateScope({ ...DEFAULT_SCOPE, sendAlways: true }, x86)).toThrow(/sendAlways with design 'x86' is a guest that never existed/);
    // the guests that set it wait in kernel mode
    expect(() => validateScope({ ...DEFAULT_SCOPE, sendAlways: true }, designByName('x86-legacy'))).not.toThrow();
    expect(() => validateScope({ ...DEFAULT_SCOPE, sendAlways: true }, designByName('arm64-rfcv1'))).not.toThrow();
  });


  it('rejects SEND_ALWAYS for s390 pfault, which has no such bit (select/compare masks instead)', () => {
    expect(() => validateScope({ ...DEFAULT_SCOPE, sendAlways: true }, designByName('s390-pfault'))).toThrow(/sendAlways: design 's390-pfault' has no such bit/);
  });

  it('names the valid designs for an unknown one', () => {
    expect(() => designByName('ppc')).toThrow("unknown design 'ppc': valid designs are x86, x86-legacy, arm64-rfcv1, arm64-sdei, s390-pfault");
  });
});

describe('placements of the tasks on the vCPUs (one initial state each)', () => {
  it.each([
    [1, 2, [[2]]],
    [2, 2, [[2, 0], [1, 1]]],
    [2, 3, [[3, 0], [2, 1]]],
    [3, 3, [[3, 0, 0], [2, 1, 0], [1, 1, 1]]],
    [3, 2, [[2, 0, 0], [1, 1, 0]]],
    [4, 6, [[6, 0, 0, 0], [5, 1, 0, 0], [4, 2, 0, 0], [4, 1, 1, 0], [3, 3, 0, 0], [3, 2, 1, 0], [3, 1, 1, 1], [2, 2, 2, 0], [2, 2, 1, 1]]],
  ])('%i vCPUs, %i tasks: every distribution of counts, up to symmetry, largest first', (vcpus, tasks, expected) => {
    expect(placementsOf({ ...DEFAULT_SCOPE, vcpus, tasks })).toEqual(expected);
  });
});
