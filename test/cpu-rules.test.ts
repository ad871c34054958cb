/**
 * How the CPU lets guest steps run (src/system/steps/catalogue.ts
 * `cpuAllows`, environment.ts): a pending unmasked interrupt is taken before
 * the guest's next instruction, SMM runs no Linux code, environment events
 * reach an idle vCPU, and a worker's kick is an IPI the vCPU has not yet
 * taken. Each fails on the model before these rules.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { applyMutants, mutantById } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { propertyById } from '../properties/index.js';
import { runCheck } from '../src/check/check.js';
import { enabledSteps, type SystemState } from '../src/system/system.js';
import { hostOf, play, start } from './support/script.js';

const guestSteps = (s: SystemState): string[] => enabledSteps(s).filter((step) => step.actor === 'guest0').map((step) => step.label);

/** Task1 runs in user mode; task0 sleeps on 0x1000, whose page-ready is raised at the next entry. */
function pageReadyRaised(scope = {}): SystemState {
  let s = start('x86', scope);
  for (const label of [
    'cpu0: task0 touches page0',
    'cpu0: takes #PF (token 0x1000)',
    'cpu0: schedule() -> task1',
    'worker 0x1000: async_pf_execute done (page0 in)',
    'vcpu0: vcpu_enter_guest',
  ]) {
    s = play(s, label);
  }
  return s;
}

describe('a pending, unmasked interrupt', () => {
  it('is taken before the task runs on', () => {
    const s = pageReadyRaised();
    expect(hostOf(s).context.irq).toBe(true);
    expect(guestSteps(s)).toEqual(['cpu0: takes page-ready interrupt']);
  });

  it('waits while IRQs are off, and is the only guest step once they are back on', () => {
    let s = start('x86');
    for (const label of [
      'cpu0: task0 touches page0',
      'cpu0: takes #PF (token 0x1000)',
      'cpu0: schedule() -> task1',
      'cpu0: syscall (enter kernel)',
      'cpu0: local_irq_disable',
      'worker 0x1000: async_pf_execute done (page0 in)',
      'vcpu0: vcpu_enter_guest',
    ]) {
      s = play(s, label);
    }
    expect(guestSteps(s)).not.toContain('cpu0: takes page-ready interrupt');
    expect(guestSteps(s)).toContain('cpu0: local_irq_enable');
    s = play(s, 'cpu0: local_irq_enable');
    expect(guestSteps(s)).toEqual(['cpu0: takes page-ready interrupt']);
  });

  it('lets an SMI in first; in SMM only RSM and the SMM handler\'s accesses run', () => {
    const s = pageReadyRaised({ smm: true });
    expect(guestSteps(s)).toEqual(['cpu0: takes page-ready interrupt', 'cpu0: SMI: CR0.PG=0']);
    const smm = play(play(s, 'cpu0: SMI: CR0.PG=0'), 'host reclaims page0 (swap out)');
    expect(guestSteps(smm)).toEqual(['cpu0: task1 touches page0', 'cpu0: RSM: CR0.PG=1']);
  });
});

describe('environment events reach an idle vCPU', () => {
  it('an SMI during HLT with the only task asleep: clear-queue-on-paging-off shows at one task (ab4e41eb9fab)', () => {
    const m = mutantById('clear-queue-on-paging-off')!;
    const report = runCheck({
      design: designByName(m.base),
      mutants: [m],
      scope: { ...DEFAULT_SCOPE, ...m.scope, tasks: 1 },
      mode: 'exhaustive',
      seed: 1,
      runs: 1,
      depth: 1,
      properties: [propertyById('no-lost-wakeup')],
    });
    expect(report.result).toBe('violation');
    expect(report.counterexampleLength).toBe(3);
  });

  it('CPU offline from the idle loop, in two steps with IRQs off between them', () => {
    let s = start('x86', { hotplug: true, tasks: 1 });
    s = play(s, 'cpu0: task0 touches page0');
    s = play(s, 'cpu0: takes #PF (token 0x1000)');
    s = play(s, "cpu0: CPU offline starts: local_irq_save, the callback's first exits");
    s = play(s, 'worker 0x1000: async_pf_execute done (page0 in)');
    s = play(s, 'vcpu0: vcpu_enter_guest');
    // raised at one of the callback's exits: pending in the IRR while IF=0
    expect(hostOf(s).context.irq).toBe(true);
    expect(guestSteps(s)).toEqual(['cpu0: kvm_guest_cpu_offline (APF off, wake all local), local_irq_restore']);
  });
});

describe("a worker's kick", () => {
  it('is an IPI the vCPU has not yet taken: the task runs on until it lands', () => {
    let s = start('x86', { pages: 2 });
    for (const label of ['cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)', 'cpu0: schedule() -> task1']) s = play(s, label);
    s = play(s, 'worker 0x1000: async_pf_execute done (page0 in)');
    expect(hostOf(s).context.ipiInFlight).toBe(true);
    expect(guestSteps(s)).toContain('cpu0: task1 touches page1');
    expect(enabledSteps(s).map((step) => step.label)).toContain('vcpu0: vcpu_enter_guest');
  });

  it('missed-kick needs two pages now that a raised page-ready is taken at once', () => {
    const m = mutantById('missed-kick')!;
    const design = applyMutants(designByName(m.base), [m]);
    const check = (pages: number) =>
      runCheck({ design, mutants: [], scope: { ...DEFAULT_SCOPE, idlePoll: true, pages }, mode: 'exhaustive', seed: 1, runs: 1, depth: 1, properties: [propertyById('no-lost-wakeup')] }).result;
    expect(check(1)).toBe('pass');
    expect(check(2)).toBe('violation');
  });
});
