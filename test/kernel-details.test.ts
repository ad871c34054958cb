/**
 * Details of the kernel the model once had wrong (issue 16), each checked
 * against the source and pinned by a run that went otherwise before the fix.
 */
import { describe, expect, it } from 'vitest';
import { designByName, withAsyncPfSync } from '../machines/design.js';
import { applyMutants, mutantById } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { WAKE_ALL } from '../machines/host.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { Judge } from '../src/judge/judge.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { initialState } from '../src/system/system.js';
import { checkOne } from './support/check-one.js';
import { guestOf, hostOf, play, start } from './support/script.js';

describe('kvm_vcpu_reset (INIT)', () => {
  it('leaves apf.pageready_pending set and software-disables the LAPIC', () => {
    let s = start('x86', { hotplug: true });
    for (const label of [
      'cpu0: task0 touches page0',
      'cpu0: takes #PF (token 0x1000)',
      'cpu0: schedule() -> task1',
      'cpu0: CPU offline starts: local_irq_save, the callback\'s first exits',
      'worker 0x1000: async_pf_execute done (page0 in)',
      'vcpu0: vcpu_enter_guest',
      'cpu0: kvm_guest_cpu_offline (APF off, wake all local), local_irq_restore',
      // taken with APF off: the handler ignores it, no ACK clears pageready_pending
      'cpu0: takes page-ready interrupt',
    ]) {
      s = play(s, label);
    }
    expect(hostOf(s).context.pageReadyPending).toBe(true);
    s = play(s, 'vcpu0: INIT (kvm_vcpu_reset)');
    expect(hostOf(s).context.pageReadyPending).toBe(true);
    expect(hostOf(s).context.lapicEnabled).toBe(false);
    expect(hostOf(s).context.msrEnabled).toBe(false);
  });
});

describe('kvm_event_needs_reinjection', () => {
  it('makes the fault of an interrupted #PF delivery synchronous, even without the pending-exception check', () => {
    const m = mutantById('pending-exception-df')!;
    const design = applyMutants(designByName(m.base), [m]);
    const scope = { ...DEFAULT_SCOPE, pages: 2 };
    let s = initialState({ design, scope });
    s = play(s, 'cpu0: task0 touches page0');
    s = play(s, 'cpu0: #PF delivery faults on page1 (stack)');
    // the page came in while the vCPU thread waited; the #PF is re-injected, no second #PF and no #DF
    expect(s.resident).toEqual([false, true]);
    expect(hostOf(s).context.items.map((w) => w.gfn)).toEqual([0]);
    expect(hostOf(s).context.exception).toEqual({ kind: 'np', token: 0x1000, toL1: false, injected: true });
  });

  it('keeps the pre-5.8 page-ready #PF out while a delivery is re-injected', () => {
    const m = mutantById('pending-exception-df')!;
    const design = applyMutants(designByName(m.base), [m]);
    let s = initialState({ design, scope: { ...DEFAULT_SCOPE, pages: 2 } });
    for (const label of ['cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)', 'cpu0: #PF delivery faults on page1 (stack)']) {
      s = play(s, label);
    }
    s = play(s, 'vcpu0: vcpu_enter_guest');
    // the completion check ran and left the item on done: no page-ready #PF over the re-injected one, no #DF
    expect(hostOf(s).context.done).toEqual([0x1000]);
    expect(hostOf(s).context.exception).toEqual({ kind: 'np', token: 0x1000, toL1: false, injected: true });
  });
});

describe('pre-5.8 kvm_arch_async_page_present', () => {
  it('writes PAGE_READY over whatever reason holds (no free-slot check); v5.8+, RFCv1 and SDEI wait for a free slot', () => {
    expect(designByName('x86-legacy').pageReadyNeedsFreeSlot).toBe(false);
    for (const name of ['x86', 'arm64-rfcv1', 'arm64-sdei']) expect(designByName(name).pageReadyNeedsFreeSlot).toBe(true);
  });
});

describe('boot order with the LAPIC switch (direct kernel boot, 2f15d027c05f)', () => {
  it('starts with APF on, the boot wake-all on done, the LAPIC off and the boot thread in non-preemptible kernel code', () => {
    const s = start('x86', { lapic: true });
    expect(hostOf(s).context.done).toEqual([WAKE_ALL]);
    expect(hostOf(s).context.lapicEnabled).toBe(false);
    expect(hostOf(s).context.readyRequest).toBe(true);
    expect(guestOf(s).context).toMatchObject({ user: false, preemptible: false, irqsOn: true, apfEnabled: true });
  });

  it('holds the wake-all until the LAPIC is on with the fix, and writes it into a dead LAPIC without', () => {
    const fixed = play(start('x86', { lapic: true }), 'vcpu0: vcpu_enter_guest');
    expect(hostOf(fixed).context.done).toEqual([WAKE_ALL]);
    const m = mutantById('lapic-disabled-drop')!;
    const design = applyMutants(designByName(m.base), [m]);
    const broken = play(initialState({ design, scope: { ...DEFAULT_SCOPE, lapic: true } }), 'vcpu0: vcpu_enter_guest');
    expect(hostOf(broken).context.area.token).toBe(WAKE_ALL);
    expect(hostOf(broken).context.irq).toBe(false);
  });

  it('starts secondary vCPUs with their LAPIC on and a user task', () => {
    const s = start('x86', { lapic: true, vcpus: 2, tasks: 2 });
    expect(hostOf(s, 1).context.lapicEnabled).toBe(true);
    expect(hostOf(s, 1).context.done).toEqual([]);
    expect(guestOf(s, 1).context.user).toBe(true);
  });
});

describe('SDEI kvm_arch_can_dequeue_async_page_present', () => {
  // task0 sleeps on 0x1000; task1's not-present 0x2000 takes the shared slot while 0x1000's page-ready waits on done
  const SLOT_TAKEN = [
    'cpu0: task0 touches page0',
    'cpu0: takes SDEI not-present (token 0x1000)',
    'cpu0: reschedule IPI, do_notify_resume',
    'cpu0: schedule() -> task1',
    'worker 0x1000: async_pf_execute done (page0 in)',
    'cpu0: task1 touches page1',
    'vcpu0: vcpu_enter_guest',
  ];

  it('makes KVM_REQ_ASYNC_PF again when the slot is busy, and the SDEI_EVENT_COMPLETE exit polls it', () => {
    let s = start('arm64-sdei', { pages: 2 });
    for (const label of SLOT_TAKEN) s = play(s, label);
    // refused: the not-present 0x2000 holds the slot; the request stays for the next entry (its `fail:` label)
    expect(hostOf(s).context.done).toEqual([0x1000]);
    expect(hostOf(s).context.readyRequest).toBe(true);
    s = play(s, 'cpu0: takes SDEI not-present (token 0x2000)');
    s = play(s, 'vcpu0: vcpu_enter_guest');
    expect(hostOf(s).context.area).toEqual({ reason: 2, token: 0x1000 });
    expect(hostOf(s).context.done).toEqual([]);
  });

  it('leaves no sleeper behind at one vCPU with two pages (exhaustive)', () => {
    const result = exhaustiveCheck({ design: designByName('arm64-sdei'), scope: { ...DEFAULT_SCOPE, pages: 2 } }, new Judge({ safety: SAFETY, liveness: LIVENESS }));
    expect(result.counterexample?.violation).toBeUndefined();
    expect(result.complete).toBe(true);
  });
});

describe('CONFIG_KVM_ASYNC_PF_SYNC on RFCv1 (locks-and-delivery §6)', () => {
  const rfcv1 = (sync: boolean, property: string) => {
    const built = withAsyncPfSync(designByName('arm64-rfcv1'));
    if (typeof built === 'string') throw new Error(built);
    return checkOne(sync ? built : designByName('arm64-rfcv1'), property);
  };

  it('injects the worker\'s page-ready abort over a not-present the guest has not taken: two data aborts at once', () => {
    const report = rfcv1(true, 'single-slot');
    expect(report.message).toBe('vcpu0: a second data abort was injected before the guest took the first: its ELR_EL1/SPSR_EL1 are overwritten');
    expect(report.trace!.steps.map((s) => s.label)).toEqual(['cpu0: task0 touches page0', 'worker 0x10000: async_pf_execute done (page0 in)']);
  });

  it('disabling APF flushes the worker without a page-ready landing in the guest', () => {
    const built = withAsyncPfSync(designByName('arm64-rfcv1'));
    if (typeof built === 'string') throw new Error(built);
    let s = initialState({ design: built, scope: { ...DEFAULT_SCOPE, hotplug: true } });
    for (const label of [
      'cpu0: task0 touches page0',
      'cpu0: takes data abort (token 0x10000)',
      'cpu0: branches out of the vector table',
      'cpu0: kernel_entry saved ELR_EL1',
      'cpu0: el0_sync_handler reads ESR_EL1, el0_da FAR_EL1 (token 0x10000)',
      'cpu0: raw_spin_lock (bucket of token 0x10000)',
      'cpu0: hashes the sleeper node (token 0x10000), raw_spin_unlock',
      'cpu0: context_switch -> idle, raw_spin_unlock(rq->lock)',
      "cpu0: CPU offline starts: local_irq_save, the callback's first exits",
      'cpu0: APF off (no wake), local_irq_restore',
    ]) {
      s = play(s, label);
    }
    // disabling flushes the worker (kvm_clear_async_pf_completion_queue), whose page-ready finds APF already off
    expect(hostOf(s).context.msrEnabled).toBe(false);
    expect(hostOf(s).context.items).toEqual([]);
    expect(hostOf(s).context.exception).toBeNull();
    expect(hostOf(s).context.area.reason).toBe(0);
  });

  it('needs no exit to deliver page-ready: the lost wakeup of the scanning RFCv1 is gone', () => {
    expect(rfcv1(false, 'no-lost-wakeup').result).toBe('violation');
    expect(rfcv1(true, 'no-lost-wakeup').result).toBe('pass');
  });

  it('is refused where the design raises page-ready as an interrupt, or is built with it already', () => {
    expect(withAsyncPfSync(designByName('x86'))).toMatch(/never selected ASYNC_PF_SYNC/);
    expect(withAsyncPfSync(designByName('x86-legacy'))).toMatch(/never selected ASYNC_PF_SYNC/);
    expect(withAsyncPfSync(designByName('arm64-sdei'))).toMatch(/never selected ASYNC_PF_SYNC/);
    expect(withAsyncPfSync(designByName('s390-pfault'))).toMatch(/built with ASYNC_PF_SYNC already/);
  });
});
