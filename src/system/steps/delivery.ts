/**
 * Steps that deliver an event the host queued to the guest: the async
 * exception (x86 #PF, arm64 data abort, x86 #DF, the nested #PF VM-exit),
 * the SDEI event, the page-ready interrupt, and the stage-2 fault that x86
 * event delivery itself can take on the guest stack. A new delivery
 * mechanism is a new entry here.
 */
import { REASON_NOT_PRESENT } from '../../../machines/host.js';
import type { Draft } from '../draft.js';
import { formatToken, freshToken, globalTask, guestView, taskHome } from '../state.js';
import { swappedOut, type GuestSide, type StepEntry, type VcpuView } from './types.js';

const always = (): boolean => true;
const delivery = (): GuestSide => 'delivery';

/** What the pending exception is called in a label. */
function exceptionName(at: VcpuView): string {
  const e = at.h.exception!;
  if (at.design.notPresent === 'external-interrupt') return 'PFAULT_INIT';
  if (e.kind === 'df') return at.design.exceptionEntryWindow ? 'data abort (its ELR_EL1 overwritten)' : '#DF';
  return e.toL1 ? '#PF VM-exit to L1' : at.design.exceptionEntryWindow ? 'data abort' : '#PF';
}

/** x86 exception delivery writes the frame to the guest stack (an EPT violation can hit it); arm64 exception entry only sets registers. */
function deliveryWritesStack(at: VcpuView): boolean {
  const e = at.h.exception!;
  // a #PF VM-exit to L1 pushes no guest frame, nor does a #DF that ends the guest
  return at.design.notPresent === 'exception' && !at.design.exceptionEntryWindow && e.kind !== 'df' && !e.toL1;
}

/**
 * `__kvm_mmu_faultin_pfn` on a guest access: the EPT/NPT violation or stage-2
 * abort (s390: the DAT fault `vcpu_post_run_handle_fault` handles), with what
 * KVM reads at the exit: the guest's state, the pid of the task it runs
 * (s390's lowcore pfault token), and whether a floating interrupt waits.
 */
export function faultOn(d: Draft, v: number, page: number, reinjection = false): void {
  const g = d.guests[v]!.context;
  const current = g.current < 0 ? -1 : globalTask(d.base.config.scope, v, g.current);
  const vmPending = d.vmState.context.floating.length > 0;
  d.host(v, { type: 'EPT_VIOLATION', gfn: page, token: freshToken(d.base, v), guest: guestView(d.guests[v]!), current, vmPending, reinjection });
}

/**
 * s390 delivers interrupts only on the way into SIE: `vcpu_pre_run` runs
 * `kvm_check_async_pf_completion` (which, with the worker raising page-ready
 * itself, only frees the items on `done`) and then
 * `kvm_s390_deliver_pending_interrupts` (kvm-s390.c). A vCPU running guest
 * code is made to exit for it (`CPUSTAT_EXT_INT`, `__floating_irq_kick`).
 */
function entryScanFirst(d: Draft, v: number): void {
  if (d.design.completion === 'direct') d.host(v, { type: 'ENTER_GUEST', guest: guestView(d.guests[v]!) });
}

/** `kvm_inject_exception` at `vcpu_enter_guest` (arm64: the injected data abort is taken): the guest's handler runs. */
export const takeException: StepEntry = {
  kind: 'take-exception',
  actor: 'guest',
  side: delivery,
  offered: (at) => (at.phase === 'exception' ? [0] : []),
  label: (at) => `cpu${at.v}: takes ${exceptionName(at)} (token ${formatToken(at.h.exception!.token)})`,
  apply(d, v) {
    entryScanFirst(d, v);
    const h = d.hosts[v]!.context;
    const exception = h.exception!;
    d.host(v, { type: 'EXCEPTION_TAKEN' });
    if (exception.kind === 'df') d.guest(v, { type: 'DOUBLE_FAULT' });
    else if (exception.toL1) d.guest(v, { type: 'NESTED_PF_VMEXIT', token: exception.token });
    // an s390 external interrupt says what it is in its subcode (0x0600: PFAULT_INIT), not in a shared area
    else d.guest(v, { type: 'ASYNC_EXCEPTION', token: exception.token, reason: d.design.slotLayout === 'none' ? REASON_NOT_PRESENT : h.area.reason });
  },
  fair: always,
};

/** `kvm_sdei_deliver`: the SDEI not-present handler runs with the area's reason and token, then completes the event (§5 step 2). */
export const takeSdei: StepEntry = {
  kind: 'take-sdei',
  actor: 'guest',
  side: delivery,
  offered: (at) => (at.phase === 'sdei' ? [0] : []),
  label: (at) => `cpu${at.v}: takes SDEI not-present (token ${formatToken(at.h.sdei!)})`,
  apply(d, v) {
    const area = d.hosts[v]!.context.area;
    d.host(v, { type: 'SDEI_TAKEN' });
    d.guest(v, { type: 'SDEI_EVENT', token: area.token, reason: area.reason });
    // the handler ends with the SDEI_EVENT_COMPLETE hypercall: an exit, whose re-entry handles a pending request
    d.host(v, { type: 'GUEST_EXIT' });
  },
  fair: always,
};

/**
 * The guest takes the page-ready interrupt (x86 `sysvec_kvm_asyncpf_interrupt`
 * via `kvm_cpu_get_interrupt`; arm64 PPI): pending, IRQs on, the LAPIC enabled.
 */
export const takeIrq: StepEntry = {
  kind: 'take-irq',
  actor: 'guest',
  side: delivery,
  takenAtOnce: true,
  offered: (at) => (at.phase === 'runs' && at.h.irq && (at.resting || at.exec === 'l1ExitPending') && guestView(at.guest).irqsOn && at.h.lapicEnabled ? [0] : []),
  label: (at) => `cpu${at.v}: takes page-ready interrupt`,
  apply(d, v) {
    const area = d.hosts[v]!.context.area;
    d.host(v, { type: 'IRQ_TAKEN' });
    d.guest(v, { type: 'PAGE_READY_IRQ', token: area.token, reason: area.reason });
  },
  fair: always,
};

/**
 * s390 `__deliver_pfault_done`: a vCPU whose PSW enables external interrupts
 * takes the first PFAULT_DONE of the VM's floating list, whichever vCPU's
 * worker raised it; `pfault_interrupt` then runs for the task the token names
 * (`find_task_by_pid_ns`), wherever that task is (s390-pfault §5.2, §6.3). A
 * pending PFAULT_INIT of this vCPU goes first (it is taken in the exception
 * phase, and its priority is higher).
 */
export const takeFloating: StepEntry = {
  kind: 'take-floating',
  actor: 'guest',
  side: delivery,
  offered: (at) =>
    at.state.vm.context.floating.length > 0 && at.phase === 'runs' && (at.resting || at.exec === 'notifyResume') && guestView(at.guest).irqsOn ? [0] : [],
  label: (at) => {
    const first = at.state.vm.context.floating[0]!;
    return `cpu${at.v}: takes PFAULT_DONE (token ${formatToken(first.token)}, task${first.value})`;
  },
  apply(d, v) {
    entryScanFirst(d, v);
    const first = d.vmState.context.floating[0]!;
    d.vm({ type: 'FLOATING_TAKEN' });
    const home = taskHome(d.base.config.scope, first.value);
    d.guest(home.vcpu, { type: 'PFAULT_DONE', task: home.local, token: first.token });
  },
  fair: always,
};

/** arm64 `kernel_entry`'s stores to the kernel stack, by guest state: before `mrs x22, elr_el1`, and after (the return state to `pt_regs`). */
const KERNEL_ENTRY_STORES: Readonly<Record<string, string>> = {
  kernelEntry: 'kernel_entry',
  syndromeUnread: 'kernel_entry (ELR_EL1 saved, ESR_EL1 unread)',
};

/**
 * The stage-2 fault an event's own delivery takes on a swapped-out page: x86
 * pushing the exception frame onto the guest stack, arm64 `kernel_entry`
 * storing the registers to the kernel stack (before and after it read
 * ELR_EL1).
 */
export const deliveryFault: StepEntry = {
  kind: 'delivery-fault',
  actor: 'guest',
  side: delivery,
  offered: (at) => ((at.phase === 'exception' && deliveryWritesStack(at)) || (at.phase === 'runs' && KERNEL_ENTRY_STORES[at.exec] !== undefined) ? swappedOut(at.state) : []),
  label: (at, page) => `cpu${at.v}: ${at.phase === 'exception' ? `${exceptionName(at)} delivery` : KERNEL_ENTRY_STORES[at.exec]!} faults on page${page} (stack)`,
  // the exception frame's stores fault while the exception is being delivered (x86: IDT vectoring, re-injected after)
  apply: (d, v, page) => faultOn(d, v, page as number, d.hosts[v]!.context.exception !== null),
  fair: () => false,
  awaitsPage: (page) => page as number,
};

/** The delivery steps, in offer order (the catalogue lists them first). */
export const DELIVERY_STEPS: readonly StepEntry[] = [takeException, takeSdei, takeIrq, takeFloating, deliveryFault];
