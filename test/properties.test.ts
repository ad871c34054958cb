/**
 * Every property has a hand-built trace that violates it and one where it
 * holds. Where a mutant of bugs.md (or a design variant) makes the violation
 * reachable, the trace is a real interleaving; for the three properties no
 * design or mutant of the model can break (the machines themselves rule the
 * violation out), the state is edited by hand to show the check can fail.
 */
import { describe, expect, it } from 'vitest';
import { designByName, type DesignOptions } from '../machines/design.js';
import { livenessViolationAt } from '../src/judge/fair-continuation.js';
import { PROPERTIES, propertyById, type Property } from '../properties/index.js';
import { applyMutants, mutantById } from '../machines/mutants.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { initialState, machinesOf, type SystemState } from '../src/system/system.js';
import { play, roundRobin } from './support/script.js';

/** The states a scripted run goes through. */
function run(design: DesignOptions, scope: Partial<Scope>, labels: readonly string[]): SystemState[] {
  const full = { ...DEFAULT_SCOPE, ...scope };
  const states = [initialState({ design, scope: full }, roundRobin(full))];
  for (const label of labels) states.push(play(states.at(-1)!, label));
  return states;
}

const mutant = (id: string): DesignOptions => {
  const m = mutantById(id)!;
  return applyMutants(designByName(m.base), [m]);
};

/** The property's verdict on a run: safety on every state (with its predecessor), liveness on the last. */
function verdict(property: Property, states: readonly SystemState[]): string | undefined {
  if (property.kind === 'liveness') return livenessViolationAt(property, states.at(-1)!);
  for (let i = 0; i < states.length; i++) {
    const message = property.check(states[i]!, states[i - 1]);
    if (message !== undefined) return message;
  }
  return undefined;
}

const X86_NORMAL = [
  'cpu0: task0 touches page0',
  'cpu0: takes #PF (token 0x1000)',
  'cpu0: schedule() -> task1',
  'worker 0x1000: async_pf_execute done (page0 in)',
  'worker 0x1000: async_pf_execute returns',
  'vcpu0: vcpu_enter_guest',
  'cpu0: takes page-ready interrupt',
  'cpu0: wrmsr MSR_KVM_ASYNC_PF_ACK',
];

describe('every property holds on the x86 normal sequence', () => {
  const states = run(designByName('x86'), {}, X86_NORMAL);
  it.each(PROPERTIES.map((p) => [p.id, p] as const))('%s holds', (_, property) => {
    expect(verdict(property, states)).toBeUndefined();
  });
});

interface Case {
  readonly property: string;
  readonly why: string;
  readonly broken: DesignOptions;
  readonly fixed: DesignOptions;
  readonly scope: Partial<Scope>;
  readonly labels: readonly string[];
  /** the fixed design's steps, where its fix changes which are possible (default: `labels`) */
  readonly fixedLabels?: readonly string[];
  readonly message: RegExp;
}

const SMI_AFTER_SLEEP = ['cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)', 'cpu0: schedule() -> task1', 'cpu0: SMI: CR0.PG=0'];

/** Boot with the LAPIC still off (direct kernel boot): the first entry, then `setup_local_APIC`. */
const BOOT = ['vcpu0: vcpu_enter_guest', 'cpu0: LAPIC enable'];
/** The same boot with 2f15d027c05f: the boot wake-all waited for the LAPIC, whose enabling rescans, and is delivered and ACKed. */
const BOOT_FIXED = [...BOOT, 'vcpu0: vcpu_enter_guest', 'cpu0: takes page-ready interrupt', 'cpu0: wrmsr MSR_KVM_ASYNC_PF_ACK'];

/** The boot thread returns to user space and its first fault puts it to sleep. */
const FIRST_USER_FAULT = ['cpu0: return to user', 'cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)'];

/** Task 0 sleeps on page0; task 1, in non-preemptible kernel code, disables its LAPIC and touches the same page. */
const LAPIC_OFF_WHILE_ASLEEP = [
  ...FIRST_USER_FAULT,
  'cpu0: schedule() -> task1',
  'cpu0: syscall (enter kernel)',
  'cpu0: preempt_disable',
  'cpu0: LAPIC software-disable',
  'cpu0: task1 touches page0',
];

/** RFCv1: task0's not-present data abort; `do_lockdown` has zeroed `reason` and `kvm_pv_async_pf_wait` holds the bucket lock. */
const RFCV1_ENTRY = [
  'cpu0: task0 touches page0',
  'cpu0: takes data abort (token 0x10000)',
  'cpu0: branches out of the vector table',
  'cpu0: kernel_entry saved ELR_EL1',
  'cpu0: el0_sync_handler reads ESR_EL1, el0_da FAR_EL1 (token 0x10000)',
];
const RFCV1_WAIT_LOCKED = [...RFCV1_ENTRY, 'cpu0: raw_spin_lock (bucket of token 0x10000)'];
/** The page comes in and the next entry injects page-ready for the same token. */
const RFCV1_PAGE_READY = ['worker 0x10000: async_pf_execute done (page0 in)', 'vcpu0: vcpu_enter_guest', 'cpu0: takes data abort (token 0x10000)'];
/** RFCv1 with page-ready held back by the guest's IRQ mask, the direction the 2020 reviewers pointed. */
const RFCV1_MASKED = { ...designByName('arm64-rfcv1'), name: 'arm64-rfcv1-masked', interruptsGate: true };
/** RFCv1: task0 sleeps, `__schedule` switches to task1, which goes back to user through `kernel_exit` (ELR_EL1/SPSR_EL1 restored). */
const RFCV1_TO_TASK1_EXIT = [
  ...RFCV1_ENTRY,
  'cpu0: raw_spin_lock (bucket of token 0x10000)',
  'cpu0: hashes the sleeper node (token 0x10000), raw_spin_unlock',
  'cpu0: context_switch -> idle, raw_spin_unlock(rq->lock)',
  'cpu0: schedule() -> task1',
  'cpu0: context_switch -> task1, raw_spin_unlock(rq->lock)',
];
/** The same with page-ready masked: no locked sections, the waiter's `schedule()` is one step. */
const RFCV1_MASKED_TO_TASK1_EXIT = [...RFCV1_ENTRY, 'cpu0: schedule() -> task1'];
/** Task1, back in user mode, makes a syscall: `kernel_entry` has saved ELR_EL1, `el0_sync_handler` has not read ESR_EL1. */
const RFCV1_SYSCALL_SYNDROME = ['cpu0: kernel_exit restores x0-x30, eret', 'cpu0: syscall (enter kernel)', 'cpu0: branches out of the vector table', 'cpu0: kernel_entry saved ELR_EL1'];

const CASES: readonly Case[] = [
  {
    property: 'no-self-deadlock',
    why: 'RFCv1: the page-ready data abort lands while kvm_pv_async_pf_wait holds the bucket lock its waker takes',
    broken: designByName('arm64-rfcv1'),
    fixed: RFCV1_MASKED,
    scope: { timerExits: true },
    labels: [...RFCV1_WAIT_LOCKED, ...RFCV1_PAGE_READY],
    fixedLabels: [...RFCV1_ENTRY, ...RFCV1_PAGE_READY],
    message: /sleeper-bucket lock/,
  },
  {
    property: 'no-self-deadlock',
    why: 'RFCv1: the page-ready data abort lands in the waiter\'s own __schedule (rq->lock held), and its waker wakes that waiter',
    broken: designByName('arm64-rfcv1'),
    fixed: RFCV1_MASKED,
    scope: { timerExits: true },
    labels: [...RFCV1_WAIT_LOCKED, 'cpu0: hashes the sleeper node (token 0x10000), raw_spin_unlock', ...RFCV1_PAGE_READY],
    fixedLabels: [...RFCV1_ENTRY, ...RFCV1_PAGE_READY],
    message: /rq->lock/,
  },
  {
    property: 'no-self-deadlock',
    why: 'RFCv1: the page-ready data abort lands in __schedule switching from idle to task1, and its waker wakes task0 of this CPU',
    broken: designByName('arm64-rfcv1'),
    fixed: RFCV1_MASKED,
    scope: { timerExits: true },
    labels: [
      ...RFCV1_WAIT_LOCKED,
      'cpu0: hashes the sleeper node (token 0x10000), raw_spin_unlock',
      'cpu0: context_switch -> idle, raw_spin_unlock(rq->lock)',
      'cpu0: schedule() -> task1',
      ...RFCV1_PAGE_READY,
    ],
    fixedLabels: [...RFCV1_ENTRY, 'cpu0: schedule() -> task1', 'cpu0: kernel_exit restores x0-x30, eret', ...RFCV1_PAGE_READY],
    message: /rq->lock/,
  },
  {
    property: 'single-slot',
    why: 'RFCv1: the page-ready data abort lands in kernel_exit after it restored ELR_EL1/SPSR_EL1 for the eret to user',
    broken: designByName('arm64-rfcv1'),
    // masked, the page-ready waits for the eret: kernel_exit runs with DAIF masked
    fixed: RFCV1_MASKED,
    scope: { timerExits: true },
    labels: [...RFCV1_TO_TASK1_EXIT, ...RFCV1_PAGE_READY],
    fixedLabels: [...RFCV1_MASKED_TO_TASK1_EXIT, 'worker 0x10000: async_pf_execute done (page0 in)', 'cpu0: kernel_exit restores x0-x30, eret', 'vcpu0: vcpu_enter_guest', 'cpu0: takes data abort (token 0x10000)'],
    message: /in kernel_exit after it restored ELR_EL1\/SPSR_EL1 for the eret/,
  },
  {
    property: 'single-slot',
    why: 'RFCv1: the page-ready data abort lands after a syscall\'s kernel_entry, before el0_sync_handler read ESR_EL1',
    broken: designByName('arm64-rfcv1'),
    fixed: RFCV1_MASKED,
    scope: { timerExits: true },
    labels: [...RFCV1_TO_TASK1_EXIT, ...RFCV1_SYSCALL_SYNDROME, ...RFCV1_PAGE_READY],
    // masked, the page-ready waits until el0_svc has unmasked IRQs
    fixedLabels: [...RFCV1_MASKED_TO_TASK1_EXIT, ...RFCV1_SYSCALL_SYNDROME, 'worker 0x10000: async_pf_execute done (page0 in)', 'cpu0: el0_sync_handler reads ESR_EL1 (SVC64): el0_svc', 'vcpu0: vcpu_enter_guest', 'cpu0: takes data abort (token 0x10000)'],
    message: /before the handler read ESR_EL1 .*a syscall's EC SVC64 reads as DABT_CUR/,
  },
  {
    property: 'no-lost-wakeup',
    why: 'clear-queue-on-paging-off: the SMI drops the sleeper\'s work item',
    broken: mutant('clear-queue-on-paging-off'),
    fixed: designByName('x86'),
    scope: { smm: true },
    labels: SMI_AFTER_SLEEP,
    message: /task0 \(cpu0\) sleeps on token 0x1000 and no fair continuation wakes it/,
  },
  {
    property: 'no-stuck-guest',
    why: 'lapic-disabled-drop: the page-ready interrupt is dropped, the slot stays busy',
    broken: mutant('lapic-disabled-drop'),
    fixed: designByName('x86'),
    scope: { lapic: true },
    labels: [...BOOT, ...LAPIC_OFF_WHILE_ASLEEP],
    fixedLabels: [...BOOT_FIXED, ...LAPIC_OFF_WHILE_ASLEEP],
    message: /stuck: .*vcpu0 is in synthetic halt/,
  },
  {
    property: 'no-orphan-page-ready',
    why: 'ready-without-not-present: the synthetic-halt fault still gets a page-ready',
    broken: mutant('ready-without-not-present'),
    fixed: designByName('x86'),
    scope: {},
    labels: ['cpu0: syscall (enter kernel)', 'cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)', 'vcpu0: vcpu_enter_guest (leaves synthetic halt)'],
    message: /page-ready for token 0x1000 raised on vcpu0, whose not-present was never injected/,
  },
  {
    property: 'no-lost-wakeup',
    why: 'lapic-disabled-drop: direct kernel boot, the boot wake-all is written while the LAPIC is off and its interrupt dropped',
    broken: mutant('lapic-disabled-drop'),
    fixed: designByName('x86'),
    scope: { lapic: true, tasks: 1 },
    labels: [...BOOT, ...FIRST_USER_FAULT],
    fixedLabels: [...BOOT_FIXED, ...FIRST_USER_FAULT],
    message: /task0 \(cpu0\) sleeps on token 0x1000 and no fair continuation wakes it/,
  },
  {
    property: 'single-slot',
    why: 'pending-exception-df: the page-ready #PF is queued at the run loop\'s completion check over the not-present #PF still pending',
    broken: mutant('pending-exception-df'),
    fixed: designByName('x86-legacy'),
    scope: {},
    labels: ['cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)', 'vcpu0: vcpu_enter_guest'],
    // with the check, the completion waits until the not-present #PF is taken
    fixedLabels: ['cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)', 'cpu0: takes #PF (token 0x1000)', 'vcpu0: vcpu_enter_guest'],
    message: /#DF/,
  },
  {
    property: 'injection-context',
    why: 's390 host that ignores the guest\'s select/compare masks: PFAULT_INIT lands in kernel code',
    broken: { ...designByName('s390-pfault'), name: 's390-no-select-mask', userOnlyUnlessSendAlways: false },
    fixed: designByName('s390-pfault'),
    scope: {},
    labels: ['cpu0: syscall (enter kernel)', 'cpu0: task0 touches page0', 'cpu0: takes PFAULT_INIT (token 0x1000)'],
    // with the masks the kernel-mode fault is resolved synchronously: the task goes on
    fixedLabels: ['cpu0: syscall (enter kernel)', 'cpu0: task0 touches page0'],
    message: /PFAULT_INIT taken in kernel mode/,
  },
  {
    property: 'injection-context',
    why: 'deliver-with-paging-off: not-present queued inside SMM',
    broken: mutant('deliver-with-paging-off'),
    fixed: designByName('x86'),
    scope: { smm: true },
    labels: ['cpu0: SMI: CR0.PG=0', 'cpu0: task0 touches page0'],
    message: /CR0\.PG=0/,
  },
  {
    property: 'work-lifetime',
    why: 'destroy-without-flush: INIT frees a done item whose worker has not returned',
    broken: mutant('destroy-without-flush'),
    fixed: designByName('x86'),
    scope: { hotplug: true },
    labels: [
      'cpu0: CPU offline starts: local_irq_save, the callback\'s first exits',
      'cpu0: kvm_guest_cpu_offline (APF off, wake all local), local_irq_restore',
      'cpu0: task0 touches page0',
      'worker 0x1000: async_pf_execute done (page0 in)',
      'vcpu0: INIT (kvm_vcpu_reset)',
    ],
    message: /freed while async_pf_execute still ran/,
  },
  {
    property: 'token-unique',
    why: 'a variant with no vCPU bits in the token (shift 0): both vCPUs allocate token 1',
    broken: { ...designByName('x86'), name: 'x86-shift0', tokenShift: 0 },
    fixed: designByName('x86'),
    scope: { vcpus: 2, tasks: 2 },
    labels: ['cpu0: task0 touches page0', 'cpu1: task1 touches page0'],
    message: /outstanding on vcpu0 and vcpu1/,
  },
];

describe.each(CASES)('$property', (c) => {
  it(`is violated: ${c.why}`, () => {
    expect(verdict(propertyById(c.property), run(c.broken, c.scope, c.labels))).toMatch(c.message);
  });
  it('holds in the fixed design, on the same steps where the fix allows them', () => {
    expect(verdict(propertyById(c.property), run(c.fixed, c.scope, c.fixedLabels ?? c.labels))).toBeUndefined();
  });
});

describe('no-stale-write', () => {
  // a host variant that ignores the CPL gate: the v5.8+ guest panics on the kernel-mode not-present
  const cplBlind = { ...designByName('x86'), name: 'x86-cpl-blind', userOnlyUnlessSendAlways: false };
  const panicThenComplete = ['cpu0: syscall (enter kernel)', 'cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)'];
  it('is violated when the guest crashes without turning APF off and the host still writes page-ready', () => {
    const crashKeepsApf = { ...cplBlind, name: 'x86-cpl-blind-no-crash-shutdown', disablesApfOnCrash: false };
    const states = run(crashKeepsApf, {}, [
      ...panicThenComplete,
      'worker 0x1000: async_pf_execute done (page0 in)',
      'vcpu0: vcpu_enter_guest',
    ]);
    expect(verdict(propertyById('no-stale-write'), states)).toMatch(/host wrote the async-PF area after the guest crashed without turning APF off/);
  });
  it('holds when kvm_crash_shutdown turns APF off: the work is cancelled, nothing is written', () => {
    const states = run(cplBlind, {}, panicThenComplete);
    expect(states.at(-1)!.hosts[0]!.context.msrEnabled).toBe(false);
    expect(states.at(-1)!.hosts[0]!.context.items).toEqual([]);
    expect(verdict(propertyById('no-stale-write'), states)).toBeUndefined();
  });
});

describe('properties no design of the model can break, shown failing on edited states', () => {
  const x86 = designByName('x86');
  const sleeping = run(x86, {}, X86_NORMAL.slice(0, 2)).at(-1)!;

  it('no-double-injection: a second dequeue of one item (the token observer counts it)', () => {
    const delivered = run(x86, {}, X86_NORMAL.slice(0, 6)).at(-1)!;
    expect(propertyById('no-double-injection').kind).toBe('safety');
    const observer = delivered.tokens[0]!;
    const twice = machinesOf(x86).token.step(observer, { type: 'DEQUEUED', delivered: true }).next;
    const edited: SystemState = { ...delivered, tokens: [twice] };
    expect(verdict(propertyById('no-double-injection'), [edited])).toMatch(/page-ready for token 0x1000 was raised twice/);
    expect(verdict(propertyById('no-double-injection'), [delivered])).toBeUndefined();
  });

  it('bounded-outstanding: two items for one gfn on a vCPU', () => {
    const host = sleeping.hosts[0]!;
    const item = host.context.items[0]!;
    const edited: SystemState = {
      ...sleeping,
      hosts: [{ ...host, context: { ...host.context, items: [item, { ...item, token: 0x2000 }] } }],
    };
    expect(verdict(propertyById('bounded-outstanding'), [edited])).toMatch(/two outstanding items for the same gfn/);
    expect(verdict(propertyById('bounded-outstanding'), [sleeping])).toBeUndefined();
  });

  it('guest-atomicity: a dummy node beside the sleeper of the same token', () => {
    const guest = sleeping.guests[0]!;
    const edited: SystemState = {
      ...sleeping,
      guests: [{ ...guest, context: { ...guest.context, nodes: [...guest.context.nodes, { token: 0x1000, task: -1 }] } }],
    };
    expect(verdict(propertyById('guest-atomicity'), [edited])).toMatch(/two sleeper-table nodes for token 0x1000/);
    expect(verdict(propertyById('guest-atomicity'), [sleeping])).toBeUndefined();
  });
});
