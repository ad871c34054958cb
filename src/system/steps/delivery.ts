/**
 * Steps that deliver an event the host queued to the guest: the async
 * exception (x86 #PF, arm64 data abort, x86 #DF, the nested #PF VM-exit),
 * the SDEI event, the page-ready interrupt, and the stage-2 fault that x86
 * event delivery itself can take on the guest stack. A new delivery
 * mechanism is a new entry here.
 */
import type { Draft } from '../draft.js';
import { formatToken, freshToken, guestView } from '../state.js';
import { swappedOut, type StepEntry, type VcpuView } from './types.js';

const always = (): boolean => true;

/** What the pending exception is called in a label. */
function exceptionName(at: VcpuView): string {
  const e = at.h.exception!;
  return e.kind === 'df' ? '#DF' : e.toL1 ? '#PF VM-exit to L1' : at.design.exceptionEntryWindow ? 'data abort' : '#PF';
}

/** x86 exception delivery writes the frame to the guest stack (an EPT violation can hit it); arm64 exception entry only sets registers. */
function deliveryWritesStack(at: VcpuView): boolean {
  const e = at.h.exception!;
  // a #PF VM-exit to L1 pushes no guest frame, nor does a #DF that ends the guest
  return at.design.notPresent === 'exception' && !at.design.exceptionEntryWindow && e.kind !== 'df' && !e.toL1;
}

/** `__kvm_mmu_faultin_pfn` on a guest access: the EPT/NPT violation or stage-2 abort, with what KVM reads of the guest at the exit. */
export function faultOn(d: Draft, v: number, page: number): void {
  d.host(v, { type: 'EPT_VIOLATION', gfn: page, token: freshToken(d.base, v), guest: guestView(d.guests[v]!) });
}

/** `kvm_inject_exception` at `vcpu_enter_guest` (arm64: the injected data abort is taken): the guest's handler runs. */
export const takeException: StepEntry = {
  kind: 'take-exception',
  actor: 'guest',
  offered: (at) => (at.phase === 'exception' ? [0] : []),
  label: (at) => `cpu${at.v}: takes ${exceptionName(at)} (token ${formatToken(at.h.exception!.token)})`,
  apply(d, v) {
    const h = d.hosts[v]!.context;
    const exception = h.exception!;
    d.host(v, { type: 'EXCEPTION_TAKEN' });
    if (exception.kind === 'df') d.guest(v, { type: 'DOUBLE_FAULT' });
    else if (exception.toL1) d.guest(v, { type: 'NESTED_PF_VMEXIT', token: exception.token });
    else d.guest(v, { type: 'ASYNC_EXCEPTION', token: exception.token, reason: h.area.reason });
  },
  fair: always,
};

/** `kvm_sdei_deliver`: the SDEI not-present handler runs with the area's reason and token (§5 step 2). */
export const takeSdei: StepEntry = {
  kind: 'take-sdei',
  actor: 'guest',
  offered: (at) => (at.phase === 'sdei' ? [0] : []),
  label: (at) => `cpu${at.v}: takes SDEI not-present (token ${formatToken(at.h.sdei!)})`,
  apply(d, v) {
    const area = d.hosts[v]!.context.area;
    d.host(v, { type: 'SDEI_TAKEN' });
    d.guest(v, { type: 'SDEI_EVENT', token: area.token, reason: area.reason });
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
 * The stage-2 fault an event's own delivery takes on a swapped-out page: x86
 * pushing the exception frame onto the guest stack, arm64 `kernel_entry`
 * storing the registers to the kernel stack.
 */
export const deliveryFault: StepEntry = {
  kind: 'delivery-fault',
  actor: 'guest',
  offered: (at) => ((at.phase === 'exception' && deliveryWritesStack(at)) || (at.phase === 'runs' && at.exec === 'kernelEntry') ? swappedOut(at.state) : []),
  label: (at, page) => `cpu${at.v}: ${at.phase === 'exception' ? `${exceptionName(at)} delivery` : 'kernel_entry'} faults on page${page} (stack)`,
  apply: (d, v, page) => faultOn(d, v, page as number),
  fair: () => false,
  awaitsPage: (page) => page as number,
};
