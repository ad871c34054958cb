/**
 * Host fault path, one per vCPU: `__kvm_mmu_faultin_pfn` and the async-PF core of
 * `virt/kvm/async_pf.c` plus the x86/arm64 arch hooks (reference §2.2, §2.4-§2.7, §3, §5).
 *
 * The host owns what KVM owns: the work items (`struct kvm_async_pf`) with the
 * `queue`/`done` lists, the gfn hash, `pageready_pending`, the requests, the
 * shared area as KVM writes it (`struct kvm_vcpu_pv_apf_data`), and the pending
 * exception / interrupt / SDEI lines of the vCPU. What it needs to know about
 * the guest (CPL, IF, PC) comes in the event, as KVM reads it at a VM exit.
 */
import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import type { DesignOptions } from './design.js';
import type { Renaming } from './renaming.js';
import type { Send } from './routing.js';

/** Token value meaning "wake all" (`~0`, `kvm_async_pf_wakeup_all`). */
export const WAKE_ALL = 0xffffffff;

/** Reason values in the single-slot layout (`KVM_PV_REASON_PAGE_NOT_PRESENT` / `_READY`); x86 `flags` uses 1 only. */
export const REASON_NOT_PRESENT = 1;
export const REASON_PAGE_READY = 2;

/** One `struct kvm_async_pf`. */
export interface WorkItem {
  readonly token: number;
  /** s390 (`guestToken: current-pid`): the pid of the task that faulted, which is what the guest is told names the fault; -1 where it is told the token */
  readonly pid: number;
  readonly gfn: number;
  /** `notpresent_injected` */
  readonly injected: boolean;
  /** `wakeup_all`: synthetic item from `kvm_async_pf_wakeup_all`, never on `queue`. */
  readonly wakeAll: boolean;
  /** the worker moved it to `done` */
  readonly completed: boolean;
  /** `async_pf_execute` has put it on `done` but not yet returned (wakes the vCPU, drops its mm reference) */
  readonly workerRunning: boolean;
}

/** `struct kvm_vcpu_pv_apf_data` as the two sides see it: x86 `flags`/`token`, single-slot `reason`/`token`. */
export interface ApfArea {
  readonly reason: number;
  readonly token: number;
}

/** `vcpu->arch.exception`: the event queued for injection at the next entry. */
export interface PendingException {
  /** 'np' async not-present, 'pr' page-ready (exception designs), 'df' #DF from two #PFs (`kvm_multiple_exception`). */
  readonly kind: 'np' | 'pr' | 'df';
  readonly token: number;
  /** the not-present hit L2 and goes to L1 as a #PF VM-exit (`kvm_inject_page_fault` -> `kvm_queue_exception_vmexit`, §2.7 "Nested") */
  readonly toL1: boolean;
  /**
   * `exception.injected`: its delivery began and a VM exit interrupted it (IDT-vectoring info, `vmx_complete_interrupts`),
   * so it is re-injected at the next entry; until then `kvm_event_needs_reinjection` holds. Otherwise it is only
   * `exception.pending` (queued, not yet delivered). Locks-and-delivery §4.4.
   */
  readonly injected: boolean;
}

export interface HostContext {
  readonly vcpu: number;
  /** ASYNC_PF_PER_VCPU as scoped by the run */
  readonly limit: number;
  /** `kvm_pv_async_pf_enabled`: MSR_KVM_ASYNC_PF_EN bits 0+3 / RFCv1 sysreg / SMCCC ENABLE */
  readonly msrEnabled: boolean;
  /** `apf.send_always` (older kernels: `!send_user_only`) */
  readonly sendAlways: boolean;
  /** every allocated item, in setup order: `async_pf.queue` plus wake-all items; `queued` is its length */
  readonly items: readonly WorkItem[];
  /** `async_pf.done`: tokens in completion order */
  readonly done: readonly number[];
  /** `apf.gfns`: outstanding gfns (sorted) */
  readonly gfns: readonly number[];
  /** `apf.pageready_pending` as other CPUs see it */
  readonly pageReadyPending: boolean;
  /** without 68c35f89d016's `smp_store_mb`: the ACK handler's `pageready_pending = false` still sits in the vCPU's store buffer */
  readonly ackStoreBuffered: boolean;
  /** without 68c35f89d016's `smp_mb__after_atomic`: a worker's `KVM_REQ_APF_READY` store not yet visible to the vCPU */
  readonly requestBuffered: boolean;
  /** `KVM_REQ_APF_READY` */
  readonly readyRequest: boolean;
  /** the vCPU is out of guest mode (an exit: MSR write, fault, HLT) and passes `vcpu_enter_guest` before more guest code runs */
  readonly kicked: boolean;
  /**
   * `kvm_vcpu_kick` from a worker: the IPI is on its way, and the vCPU runs guest code until it lands and the vCPU
   * exits (or, out of guest mode already, sees the request at its next entry).
   */
  readonly ipiInFlight: boolean;
  /** in-kernel LAPIC software-enabled (`kvm_lapic_enabled`, SPIV) */
  readonly lapicEnabled: boolean;
  /** guest CR0.PG as KVM tracks it (`is_paging`) */
  readonly paging: boolean;
  /** `is_guest_mode`: a nested L2 runs */
  readonly inL2: boolean;
  /** `apf.delivery_as_pf_vmexit`: L1 set KVM_ASYNC_PF_DELIVERY_AS_PF_VMEXIT (the host offered KVM_FEATURE_ASYNC_PF_VMEXIT) */
  readonly deliveryAsPfVmexit: boolean;
  readonly area: ApfArea;
  readonly exception: PendingException | null;
  /** page-ready interrupt pending: x86 `apf.vec` in the IRR, arm64 PPI level */
  readonly irq: boolean;
  /** token of a not-present SDEI event raised and not yet taken */
  readonly sdei: number | null;
  /** guest state read at the vCPU entry that started the current completion scan (null outside a scan) */
  readonly scanGuest: GuestView | null;
}

/** What KVM reads of the guest at an exit (VMCS/VMCB or arm64 PSTATE/PC). */
export interface GuestView {
  /** CPL 3 / EL0 */
  readonly user: boolean;
  /** RFLAGS.IF / PSTATE.I clear */
  readonly irqsOn: boolean;
  /** arm64: PC in [VBAR_EL1, VBAR_EL1 + 0x800) */
  readonly pcInVectors: boolean;
  /** arm64: PC in `kernel_entry`, branched out of the vector table, ELR_EL1/SPSR_EL1 not yet saved to `pt_regs` */
  readonly pcInKernelEntry: boolean;
}

export type HostEvent =
  /**
   * A guest access to a page that needs I/O. `reinjection`: the access is the delivery of an event the host injected
   * (an exception frame pushed onto a swapped-out stack): the VM exit interrupts that delivery, which must be re-injected
   * (`kvm_event_needs_reinjection`, locks-and-delivery §4.4). `current`: the pid of the task the CPU runs (-1: none), which s390 reads
   * from the guest's lowcore as the pfault token (`read_guest_real`, `__LC_CURRENT_PID`); `vmPending`: a floating
   * interrupt waits in the VM (s390: a PFAULT_DONE any vCPU could take).
   */
  | { type: 'EPT_VIOLATION'; gfn: number; token: number; guest: GuestView; current: number; vmPending: boolean; reinjection: boolean }
  | { type: 'WORKER_DONE'; token: number }
  | { type: 'WORKER_RETURNED'; token: number }
  | { type: 'STORE_BUFFER_DRAINS' }
  | { type: 'WORKER_STORES_DRAIN' }
  | { type: 'ENTER_GUEST'; guest: GuestView }
  | { type: 'EXCEPTION_TAKEN' }
  | { type: 'IRQ_TAKEN' }
  | { type: 'SDEI_TAKEN' }
  | { type: 'GUEST_CLEARS_AREA'; reason: boolean; token: boolean }
  | { type: 'ACK'; guest: GuestView }
  /** an exit of the guest's making that touches no async-PF state (an MSR write: steal time, PV EOI) */
  | { type: 'GUEST_EXIT' }
  | { type: 'APF_ENABLE'; sendAlways: boolean }
  | { type: 'APF_DISABLE' }
  | { type: 'VCPU_RESET' }
  | { type: 'LAPIC_DISABLE' }
  | { type: 'LAPIC_ENABLE' }
  | { type: 'PAGING_OFF' }
  | { type: 'PAGING_ON' }
  | { type: 'L2_ENTER' }
  | { type: 'L2_EXIT' };

/** Effects the host reports to the composed system (pages, token observers). */
export type HostEffect =
  | { type: 'fault.sync'; gfn: number }
  | { type: 'work.queued'; token: number; gfn: number; injected: boolean }
  | { type: 'work.dequeued'; token: number; delivered: boolean }
  | { type: 'work.cancelled'; tokens: readonly number[]; workerRunning: readonly number[] }
  | { type: 'notPresent.cancelled'; token: number }
  | Send;

export interface HostInput {
  readonly vcpu: number;
  readonly limit: number;
  /**
   * The boot CPU of a guest whose LAPIC is still software-disabled when it enables APF: `kvm_smp_prepare_boot_cpu` ->
   * `kvm_guest_cpu_init` runs before `setup_local_APIC` (locks-and-delivery §5, 2f15d027c05f's direct kernel boot);
   * the enabling write queued the boot wake-all.
   */
  readonly bootBeforeLapic: boolean;
  /** the guest enabled APF at boot with SEND_ALWAYS */
  readonly sendAlways: boolean;
  /** the guest enabled APF with DELIVERY_AS_PF_VMEXIT */
  readonly deliveryAsPfVmexit: boolean;
}

/** Every token the host context refers to: its work items, the area's token, the pending not-present lines. */
export function hostTokens(c: HostContext): number[] {
  const out = c.items.map((w) => w.token);
  out.push(c.area.token);
  if (c.exception !== null) out.push(c.exception.token);
  if (c.sdei !== null) out.push(c.sdei);
  return out;
}

/** The host context under a renaming of vCPUs, tokens and gfns (the outstanding-gfn list stays sorted). */
export function renameHost(c: HostContext, r: Renaming): HostContext {
  return {
    ...c,
    vcpu: r.vcpu(c.vcpu),
    items: c.items.map((w) => ({ ...w, token: r.token(w.token), pid: w.pid < 0 ? w.pid : r.pid(w.pid), gfn: r.gfn(w.gfn) })),
    done: c.done.map(r.token),
    gfns: c.gfns.map(r.gfn).sort((a, b) => a - b),
    area: { ...c.area, token: r.token(c.area.token) },
    exception: c.exception === null ? null : { ...c.exception, token: r.token(c.exception.token) },
    sdei: c.sdei === null ? null : r.token(c.sdei),
  };
}

/** The wake-all item of `kvm_async_pf_wakeup_all`: never on `queue`, no worker, on `done` at once. */
const BOOT_WAKE_ALL: WorkItem = { token: WAKE_ALL, pid: -1, gfn: -1, injected: true, wakeAll: true, completed: true, workerRunning: false };

/** The slot is free for a page-ready write (`apf_pageready_slot_free`; single-slot: reason and token zero). */
function slotFreeForReady(design: DesignOptions, area: ApfArea): boolean {
  return design.slotLayout === 'split' ? area.token === 0 : area.reason === 0 && area.token === 0;
}

type FaultEvent = Extract<HostEvent, { type: 'EPT_VIOLATION' }>;

/** What `raiseFrom` needs of XState's `enqueue`. */
interface RaiseQueue {
  assign(update: (args: { context: HostContext }) => Partial<HostContext>): void;
  emit(effect: Send): void;
}

/** The exception page-ready injects: over one still pending, x86 `kvm_multiple_exception` makes a #DF; an arm64 injection rewrites the pending one's ELR_EL1/SPSR_EL1. */
function pageReadyException(context: HostContext, token: number): PendingException {
  return context.exception === null ? { kind: 'pr', token, toL1: false, injected: false } : { kind: 'df', token, toL1: false, injected: false };
}

/**
 * Raising page-ready for `item` from its worker (ASYNC_PF_SYNC, s390
 * `__kvm_inject_pfault_token(start_token = false)`): PFAULT_DONE, carrying the
 * faulting task's pfault token, onto the VM's floating list; and the token's
 * observer told it was raised.
 */
function raised(vcpu: number, item: WorkItem): Send[] {
  return [
    { type: 'send', address: { to: 'vm' }, event: { type: 'FLOATING_INJECT', interrupt: { token: item.token, vcpu, value: item.pid } } as { type: string } },
    { type: 'send', address: { to: 'token', vcpu, token: item.token }, event: { type: 'RAISED' } },
  ];
}

/** The initial host vCPU: the guest enabled APF at boot (its boot wake-all already drained), nothing queued, LAPIC and paging on, L1 running. */
export function initialHostContext(input: HostInput): HostContext {
  return {
    vcpu: input.vcpu,
    limit: input.limit,
    msrEnabled: true,
    sendAlways: input.sendAlways,
    // `kvm_async_pf_wakeup_all` at the enabling write: a `~0` item straight onto `done`, with the request it makes
    items: input.bootBeforeLapic ? [BOOT_WAKE_ALL] : [],
    done: input.bootBeforeLapic ? [WAKE_ALL] : [],
    gfns: [],
    pageReadyPending: false,
    ackStoreBuffered: false,
    requestBuffered: false,
    readyRequest: input.bootBeforeLapic,
    kicked: input.bootBeforeLapic,
    ipiInFlight: false,
    lapicEnabled: !input.bootBeforeLapic,
    paging: true,
    inL2: false,
    deliveryAsPfVmexit: input.deliveryAsPfVmexit,
    area: { reason: 0, token: 0 },
    exception: null,
    irq: false,
    sdei: null,
    scanGuest: null,
  };
}

/**
 * What the context factory gets when XState builds an actor without input
 * whose context nobody reads: the actor scope each stepper keeps
 * (src/system/component.ts), and the throwaway actor XState's pure
 * `transition()` builds first (statelyai/xstate#4774). Building one from
 * defaults instead of throwing lets those actors be built at all (and, back
 * when the search stepped through `transition()`, saved an exception of
 * about 80 us on every step).
 */
const THROWAWAY_INPUT: HostInput = { vcpu: 0, limit: 1, bootBeforeLapic: false, sendAlways: false, deliveryAsPfVmexit: false };

/** Builds the host machine of a design. */
export function createHostMachine(design: DesignOptions) {
  /**
   * RFCv1 `kvm_arch_can_inject_async_page_not_present`/`_present` (§3): the guest PC is where an injection would
   * clobber a live ELR_EL1: the vector page (RFCv1), or also `kernel_entry` before it saved ELR_EL1 (the widened,
   * hypothetical window of `vectorWindowGate: exception-entry`; locks-and-delivery §2.3). Neither covers the syndrome
   * reads after `kernel_entry` nor `kernel_exit` (the guest's `syndromeUnread` and `kernelExit`, outside both ranges).
   */
  const pcInNoInjectWindow = (guest: GuestView): boolean =>
    (design.vectorWindowGate !== 'none' && guest.pcInVectors) || (design.vectorWindowGate === 'exception-entry' && guest.pcInKernelEntry);

  /** `kvm_can_deliver_async_pf` (x86) / `kvm_arch_can_inject_async_page_not_present` (RFCv1) / `kvm_arch_async_not_present_allowed` (SDEI). */
  const canDeliver = (c: HostContext, guest: GuestView): boolean => {
    if (!c.msrEnabled) return false;
    // in guest mode KVM reads L2's CPL; the model's L2 runs user code
    if (design.userOnlyUnlessSendAlways && !c.sendAlways && !(guest.user || c.inL2)) return false;
    if (c.inL2 && !c.deliveryAsPfVmexit) return false;
    if (design.pagingGate && !c.paging) return false;
    if (design.notPresentNeedsFreeSlot && (c.area.reason !== 0 || c.area.token !== 0)) return false;
    if (pcInNoInjectWindow(guest)) return false;
    if (design.sdeiBusyGate && c.sdei !== null) return false;
    return true;
  };

  /** The not-present still waiting to be taken: an SDEI event, or a queued async #PF. */
  const pendingNotPresent = (c: HostContext): number | null => c.sdei ?? (c.exception?.kind === 'np' ? c.exception.token : null);

  /** A pending not-present is cancelled instead of raising page-ready: SDEI `kvm_sdei_cancel` (same token), 9a6e7c39810e (any token). */
  const headCancellable = (c: HostContext): boolean => {
    const pending = pendingNotPresent(c);
    if (design.cancelPendingNotPresent === 'never' || pending === null) return false;
    return design.cancelPendingNotPresent === 'any-token' || c.done[0] === pending;
  };

  /** `kvm_arch_can_dequeue_async_page_present` (x86) / `kvm_arch_can_inject_async_page_present` (legacy, RFCv1) / SDEI; s390: always (the worker raised page-ready, dequeue only frees). */
  /**
   * ASYNC_PF_SYNC: the worker's `kvm_arch_async_page_present`. s390: PFAULT_DONE onto the floating list. RFCv1
   * (page-ready an exception): reason READY into the area and the data abort injected, without
   * `kvm_arch_can_inject_async_page_present`'s `reason == 0` / vector-page checks (locks-and-delivery §6).
   */
  const raiseFrom = (enqueue: RaiseQueue, context: HostContext, item: WorkItem): void => {
    // 2a18b7e7cd88 in `kvm_arch_async_page_present`: no page-ready for a fault whose not-present was never injected (s390's has no such check)
    const unannounced = design.pageReadyNeedsNotPresent && !item.injected && !item.wakeAll;
    if (design.pageReady !== 'exception') {
      // s390's __kvm_inject_pfault_token raises PFAULT_DONE whatever the registration (a cancelled token's DONE still
      // comes, s390-pfault §2.2): no APF-on gate here, unlike x86's kvm_pv_async_pf_enabled on the exception path below
      if (unannounced) return;
      for (const effect of raised(context.vcpu, item)) enqueue.emit(effect);
      return;
    }
    // the same gates as the scan's kvm_arch_async_page_present: APF on, and (2a18b7e7cd88) a not-present announced
    if (!context.msrEnabled || unannounced) return;
    enqueue.assign(({ context: now }) => ({ area: { reason: REASON_PAGE_READY, token: 0 }, exception: pageReadyException(now, item.token) }));
    enqueue.emit({ type: 'send', address: { to: 'token', vcpu: context.vcpu, token: item.token }, event: { type: 'RAISED' } });
  };

  const canDequeue = (c: HostContext): boolean => {
    if (c.done.length === 0) return false;
    if (!c.msrEnabled || design.completion === 'direct') return true;
    if (headCancellable(c)) return true;
    if (design.lapicGate && !c.lapicEnabled) return false;
    const guest = c.scanGuest;
    if (design.pageReady === 'exception') {
      // `kvm_can_do_async_pf`: nothing to re-inject (`kvm_event_needs_reinjection`), no pending exception (2a266f23550b)
      if (c.exception?.injected === true) return false;
      if (design.checkPendingException && c.exception !== null) return false;
      if (design.interruptsGate && guest !== null && !guest.irqsOn) return false;
      if (guest !== null && pcInNoInjectWindow(guest)) return false;
    }
    if (design.ack === 'hypercall' && c.pageReadyPending) return false;
    return !design.pageReadyNeedsFreeSlot || slotFreeForReady(design, c.area);
  };

  const head = (c: HostContext): WorkItem => {
    const token = c.done[0];
    const item = c.items.find((w) => w.token === token);
    if (item === undefined) throw new Error(`host vcpu${c.vcpu}: done token ${token} has no work item`);
    return item;
  };

  return setup({
    types: {
      context: {} as HostContext,
      events: {} as HostEvent,
      input: {} as HostInput,
      emitted: {} as HostEffect,
    },
    guards: {
      /**
       * Synchronous fault-in (§2.5 step 1, §3; s390 `kvm_arch_setup_async_pf` false, s390-pfault §3.2): `kvm_can_do_async_pf`
       * false (pending exception 2a266f23550b, IF off), RFCv1 injection not allowed, or an s390 gate (token registered,
       * problem state, PSW ext on, and nothing deliverable: `kvm_s390_vcpu_has_irq`, which counts a pending PFAULT_INIT and
       * a floating PFAULT_DONE).
       */
      mustFaultInSynchronously: ({ context, event }) => {
        const e = event as FaultEvent;
        // an event whose delivery this exit interrupted must be re-injected first (`kvm_event_needs_reinjection`)
        if (e.reinjection) return true;
        if (design.checkPendingException && context.exception !== null) return true;
        if (design.interruptsGate && !e.guest.irqsOn) return true;
        if (design.pendingInterruptGate && (context.exception !== null || e.vmPending)) return true;
        return design.fallback !== 'synthetic-halt' && !canDeliver(context, e.guest);
      },
      /** `kvm_find_async_pf_gfn`: a repeated fault on an outstanding gfn (§2.5 step 2); s390 keeps no gfn table (each fault is its own item). */
      gfnOutstanding: ({ context, event }) => design.fallback !== 'synchronous' && context.gfns.includes((event as FaultEvent).gfn),
      /** x86 answers a repeated fault with synthetic halt (`KVM_REQ_APF_HALT`); RFCv1 returns to the guest (§3). */
      haltsOnRepeatedFault: () => design.fallback === 'synthetic-halt',
      /** `kvm_setup_async_pf` fails: `queued >= ASYNC_PF_PER_VCPU` (§2.5 step 3). */
      queueFull: ({ context }) => context.items.length >= context.limit,
      /** `kvm_arch_async_page_not_present` returns true: not-present can be delivered now (§2.5 step 4). */
      canDeliverNotPresent: ({ context, event }) => canDeliver(context, (event as FaultEvent).guest),
      /** `kvm_arch_async_page_present_queued` runs only on done's empty->non-empty transition (§2.4). */
      doneWasEmpty: ({ context }) => context.done.length === 0,
      /** x86 v5.8+: completion raises `KVM_REQ_APF_READY` (`kvm_arch_async_page_present_queued`); older designs poll. */
      signalsCompletion: () => design.completionScan === 'request',
      /** the kick is skipped while `pageready_pending` (the ACK will rescan, §2.4). */
      kickNeeded: ({ context }) => !context.pageReadyPending,
      /** without the barriers of 68c35f89d016 the ACK handler's store and the rescan's loads may be reordered */
      storesReorder: () => !design.kickBarriers,
      /** x86 `KVM_REQ_APF_READY` pending, or pre-5.8/RFCv1 polling on every entry. */
      scanDue: ({ context }) => context.readyRequest || design.completionScan === 'every-entry',
      /** `kvm_check_async_pf_completion` loop: head to be dequeued and announced to the guest (not when the worker announced it: ASYNC_PF_SYNC). */
      headDelivers: ({ context }) => {
        if (design.completion === 'direct' || !canDequeue(context) || !context.msrEnabled || headCancellable(context)) return false;
        const item = head(context);
        return item.wakeAll || item.injected || !design.pageReadyNeedsNotPresent;
      },
      /** a not-present is still pending: cancel it, raise no page-ready (SDEI §5 step 4; 9a6e7c39810e). */
      headCancelsPendingNotPresent: ({ context }) => canDequeue(context) && context.msrEnabled && headCancellable(context),
      /** loop: head dequeued without a guest event (APF off, or never announced: 2a18b7e7cd88). */
      headDropped: ({ context }) => canDequeue(context),
      /** `kvm_async_pf_wakeup_all` queues a wake-all item only when `done` is empty. */
      doneEmpty: ({ context }) => context.done.length === 0,
      /** LAPIC enable raises `KVM_REQ_APF_READY` (2f15d027c05f). */
      rescansOnLapicEnable: ({ context }) => design.rescanOnLapicEnable && context.msrEnabled,
      /** paging re-enable raises `KVM_REQ_APF_READY` if APF is on (ab4e41eb9fab). */
      rescansOnPagingEnable: ({ context }) => design.rescanOnPagingEnable && context.msrEnabled,
      /** bug before ab4e41eb9fab: `kvm_post_set_cr0` clears the completion queue on CR0.PG toggles. */
      clearsQueueOnPagingToggle: () => design.clearQueueOnPagingToggle,
      /** `CONFIG_KVM_ASYNC_PF_SYNC`: `async_pf_execute` itself raises page-ready (`kvm_arch_async_page_present`) before the item goes on `done` (s390). */
      raisesFromWorker: () => design.completion === 'direct',
      /** the enable register's enabling write runs `kvm_async_pf_wakeup_all`; s390's DIAG 0x258 TOKEN does not. */
      wakesAllOnEnable: () => design.registration === 'enable-register',
      /** the enable register's disabling write clears the queue; s390's DIAG 0x258 CANCEL lets pending tokens survive (`__diag_page_ref_service`). */
      disableKeepsQueue: () => design.registration === 'diag258',
    },
    actions: {
      /** GUP without FOLL_NOWAIT: the vCPU thread blocks in the host until the page is in (§2.5 step 1). */
      faultInSync: emit(({ event }) => ({ type: 'fault.sync' as const, gfn: (event as FaultEvent).gfn })),
      /**
       * `vmx_complete_interrupts` -> `kvm_requeue_exception`: the exit interrupted the pending exception's delivery, which
       * is re-injected. Recorded where a guard reads it, the page-ready #PF (`canDequeue`); elsewhere the fault path reads
       * it from the event and a pending exception already blocks all that `injected` would.
       */
      requeueInterruptedDelivery: assign(({ context, event }) =>
        design.pageReady === 'exception' && (event as FaultEvent).reinjection && context.exception !== null
          ? { exception: { ...context.exception, injected: true } }
          : {},
      ),
      /** `kvm_setup_async_pf` + `kvm_add_async_pf_gfn`: allocate, add to `queue`, `queued++`, `schedule_work`. */
      queueAsyncWork: assign(({ context, event }, params: { injected: boolean }) => {
        const e = event as FaultEvent;
        const item: WorkItem = {
          token: e.token,
          pid: design.guestToken === 'current-pid' ? e.current : -1,
          gfn: e.gfn,
          injected: params.injected,
          wakeAll: false,
          completed: false,
          workerRunning: false,
        };
        // s390 keeps no outstanding-gfn table (no `kvm_add_async_pf_gfn`)
        const gfns = design.fallback === 'synchronous' ? context.gfns : [...context.gfns, e.gfn].sort((a, b) => a - b);
        return { items: [...context.items, item], gfns };
      }),
      /** trace point (`trace_kvm_async_pf_not_present` / `_doublefault`): the new item, its token lifecycle starts. */
      reportQueued: emit(({ event }, params: { injected: boolean }) => {
        const e = event as FaultEvent;
        return { type: 'work.queued' as const, token: e.token, gfn: e.gfn, injected: params.injected };
      }),
      /** s390 `__inject_pfault_init` overwrites the one pending slot (`li->irq.ext = ...`): the INIT pending there is lost. */
      reportOverwrittenInit: enqueueActions(({ context, enqueue }) => {
        if (design.notPresent === 'external-interrupt' && context.exception !== null) {
          enqueue.emit({ type: 'notPresent.cancelled' as const, token: context.exception.token });
        }
      }),
      /**
       * `kvm_arch_async_page_not_present`: write flags/reason (SDEI: and token), queue #PF / data abort / SDEI; s390
       * `__kvm_inject_pfault_token(start_token = true)`: PFAULT_INIT into the vCPU's one local slot, the token in the
       * interrupt (no shared area).
       */
      injectNotPresent: assign(({ context, event }) => {
        const token = (event as FaultEvent).token;
        if (design.notPresent === 'external-interrupt') return { exception: { kind: 'np' as const, token, toL1: false, injected: false } };
        const area = { reason: REASON_NOT_PRESENT, token: design.notPresent === 'sdei' ? token : context.area.token };
        if (design.notPresent === 'sdei') return { area, sdei: token };
        // a second #PF while one is pending: kvm_multiple_exception() makes it a #DF
        const toL1 = context.inL2 && context.deliveryAsPfVmexit;
        const exception: PendingException = context.exception === null ? { kind: 'np', token, toL1, injected: false } : { kind: 'df', token, toL1: false, injected: false };
        // a #PF VM-exit takes the vCPU out of L2 (nested_vmx_vmexit); without the opt-in the gate keeps this path shut
        return { area, exception, inL2: context.inL2 && !toL1 };
      }),
      /**
       * ASYNC_PF_SYNC `async_pf_execute`: `kvm_arch_async_page_present` from the worker, before `list_add_tail` to `done`
       * (s390: `kvm_s390_inject_vm` puts PFAULT_DONE, with the faulting task's pfault token, on the VM's floating list).
       */
      raiseFromWorker: enqueueActions(({ context, event, enqueue }) => {
        const item = context.items.find((w) => w.token === (event as Extract<HostEvent, { type: 'WORKER_DONE' }>).token)!;
        raiseFrom(enqueue, context, item);
      }),
      /**
       * ASYNC_PF_SYNC `kvm_clear_async_pf_completion_queue` (`kvm_arch_vcpu_ioctl_normal_reset`): `flush_work` on every
       * queued item lets its worker finish, which faults the page in and raises its page-ready; `kvm_s390_clear_local_irqs`
       * drops a PFAULT_INIT still pending.
       */
      flushWorkers: enqueueActions(({ context, enqueue }) => {
        if (design.completion !== 'direct') return;
        if (context.exception !== null) enqueue.emit({ type: 'notPresent.cancelled' as const, token: context.exception.token });
        for (const item of context.items) {
          if (item.completed || item.wakeAll) continue;
          enqueue.emit({ type: 'fault.sync' as const, gfn: item.gfn });
          raiseFrom(enqueue, context, item);
          enqueue.emit({ type: 'send' as const, address: { to: 'token' as const, vcpu: context.vcpu, token: item.token }, event: { type: 'COMPLETED' } });
        }
      }),
      /** `async_pf_execute` tail: move the item to `done` under `async_pf.lock`. */
      moveToDone: assign(({ context, event }) => {
        const token = (event as Extract<HostEvent, { type: 'WORKER_DONE' }>).token;
        return {
          items: context.items.map((w) => (w.token === token ? { ...w, completed: true, workerRunning: true } : w)),
          done: [...context.done, token],
        };
      }),
      /** `async_pf_execute` returns: the work item is no longer in use by the worker. */
      workerReturned: assign(({ context, event }) => {
        const token = (event as Extract<HostEvent, { type: 'WORKER_RETURNED' }>).token;
        return { items: context.items.map((w) => (w.token === token ? { ...w, workerRunning: false } : w)) };
      }),
      /** `kvm_make_request(KVM_REQ_APF_READY)`. */
      requestReady: assign({ readyRequest: true }),
      /** The vCPU is out of guest mode (the MSR/APIC write or RSM that caused this was an exit). */
      kick: assign({ kicked: true }),
      /** `kvm_vcpu_kick` from the worker: an IPI to a vCPU that may be running guest code. */
      sendKickIpi: assign({ ipiInFlight: true }),
      /** `vcpu_enter_guest`: consume the kick and the request; note the guest state for the scan. */
      startScan: assign(({ event }) => ({
        kicked: false,
        ipiInFlight: false,
        readyRequest: false,
        scanGuest: (event as Extract<HostEvent, { type: 'ENTER_GUEST' | 'ACK' }>).guest,
      })),
      /** the fault was an exit: the vCPU passes `vcpu_enter_guest` again, which handles a pending request or (pre-5.8, RFCv1) polls `done`. */
      noteEntryWork: assign(({ context }) => ({
        kicked: context.kicked || context.readyRequest || (design.completionScan === 'every-entry' && context.done.length > 0),
      })),
      /** `vcpu_enter_guest` with no `KVM_REQ_APF_READY` (x86): just re-enter. */
      consumeKick: assign({ kicked: false, ipiInFlight: false }),
      /** `kvm_check_async_pf_completion` returns (its loop condition failed: `done` empty, or the head refused). */
      endScan: assign(({ context }) => ({
        scanGuest: null,
        // SDEI: the refused head is polled again at the next entry (`fail:` -> `kvm_make_request(KVM_REQ_ASYNC_PF)`)
        readyRequest: context.readyRequest || (design.requestsAgainOnRefusal && context.done.length > 0),
      })),
      /** `kvm_arch_async_page_present`: token (or `~0`) / reason READY into the area, raise the event, set `pageready_pending`. */
      deliverHead: assign(({ context }) => {
        const token = head(context).token;
        const area: ApfArea =
          design.slotLayout === 'split'
            ? { reason: context.area.reason, token }
            : { reason: REASON_PAGE_READY, token: design.pageReady === 'interrupt' ? token : 0 };
        const pageReadyPending = design.ack !== 'none';
        // a buffered `pageready_pending = false` is followed by this store: stores drain in order, so this one wins
        const ackStoreBuffered = context.ackStoreBuffered && !pageReadyPending;
        // `kvm_apic_set_irq` on a software-disabled LAPIC drops the interrupt
        if (design.pageReady === 'interrupt') return { area, irq: context.lapicEnabled, pageReadyPending, ackStoreBuffered };
        // over a still-pending #PF, kvm_multiple_exception() makes a #DF (no check before 2a266f23550b)
        return { area, exception: pageReadyException(context, token), pageReadyPending, ackStoreBuffered };
      }),
      /**
       * trace point: the head was dequeued and announced. Freeing it under a still-running worker is
       * safe here (`async_pf_execute` touches no item after `list_add_tail`); the hazard is teardown.
       */
      reportDelivered: emit(({ context }) => ({ type: 'work.dequeued' as const, token: head(context).token, delivered: true })),
      /** `kvm_sdei_cancel` / 9a6e7c39810e: drop the pending not-present and clear the area it was announced in. */
      cancelPendingNotPresent: assign(({ context }) => ({
        sdei: null,
        exception: context.exception?.kind === 'np' ? null : context.exception,
        area: { reason: 0, token: 0 },
      })),
      /** trace point: the not-present that `kvm_sdei_cancel` / 9a6e7c39810e dropped. */
      reportNotPresentCancelled: emit(({ context }) => ({ type: 'notPresent.cancelled' as const, token: pendingNotPresent(context)! })),
      /** trace point: the head was dequeued without a guest event. */
      reportDropped: emit(({ context }) => ({ type: 'work.dequeued' as const, token: head(context).token, delivered: false })),
      /** `list_del(queue)`, `queued--`, `kvm_flush_and_free_async_pf_work` (waits for the worker), free; `kvm_del_async_pf_gfn`. */
      dequeueHead: assign(({ context }) => {
        const item = head(context);
        return {
          items: context.items.filter((w) => w !== item),
          done: context.done.slice(1),
          gfns: item.wakeAll ? context.gfns : context.gfns.filter((g) => g !== item.gfn),
        };
      }),
      /** `kvm_pv_enable_async_pf` with the enable bits: cache SEND_ALWAYS. */
      enableApf: assign(({ event }) => ({
        msrEnabled: true,
        sendAlways: (event as Extract<HostEvent, { type: 'APF_ENABLE' }>).sendAlways,
      })),
      /** `kvm_async_pf_wakeup_all`: a `~0` item straight onto `done`, `queued++` without the limit check. */
      queueWakeAll: assign(({ context }) => ({
        items: [
          ...context.items,
          BOOT_WAKE_ALL,
        ],
        done: [...context.done, WAKE_ALL],
      })),
      /** `kvm_pv_enable_async_pf` without the enable bits. */
      disableApf: assign({ msrEnabled: false, sendAlways: false }),
      /** report every item `kvm_clear_async_pf_completion_queue` is about to cancel or free. */
      reportCancelled: emit(({ context }) => ({
        type: 'work.cancelled' as const,
        tokens: context.items.map((w) => w.token),
        // without the flush (3d75b8aa5c29) a done item is freed while async_pf_execute may still run
        workerRunning: design.flushWorkBeforeFree ? [] : context.items.filter((w) => w.workerRunning).map((w) => w.token),
      })),
      /** `kvm_clear_async_pf_completion_queue` + `kvm_async_pf_hash_reset`: cancel queued work, free done items. */
      clearQueue: assign({ items: [], done: [], gfns: [] }),
      /**
       * `kvm_vcpu_reset`: APF MSRs zero, pending events dropped (`kvm_clear_interrupt_queue`, `kvm_clear_exception_queue`,
       * the IRR by `kvm_lapic_reset`, which also software-disables the LAPIC: SPIV = 0xff). `apf.pageready_pending` is not
       * touched (locks-and-delivery §4.1; read in `kvm_vcpu_reset`, v6.x).
       */
      resetVcpu: assign({
        msrEnabled: false,
        sendAlways: false,
        exception: null,
        irq: false,
        sdei: null,
        kicked: false,
        ipiInFlight: false,
        readyRequest: false,
        lapicEnabled: !design.x86PlatformEvents,
      }),
      /** `kvm_inject_exception` at `vcpu_enter_guest` (arm64: the injected data abort is taken): the line is free again. */
      takeException: assign({ exception: null }),
      /** the guest accepts the interrupt (`kvm_cpu_get_interrupt`: IRR -> ISR; arm64: the PPI is acknowledged). */
      takeIrq: assign({ irq: false }),
      /** the SDEI event is delivered (`kvm_sdei_deliver`): no longer pending. */
      takeSdei: assign({ sdei: null }),
      /** the guest writes zero to the area: flags/reason read-and-zeroed, token zeroed. */
      guestClearsArea: assign(({ context, event }) => {
        const e = event as Extract<HostEvent, { type: 'GUEST_CLEARS_AREA' }>;
        return { area: { reason: e.reason ? 0 : context.area.reason, token: e.token ? 0 : context.area.token } };
      }),
      /** ACK: `pageready_pending = false` (x86 MSR write, SDEI IRQ_ACK). */
      clearPageReadyPending: assign({ pageReadyPending: false }),
      /** SDEI IRQ_ACK also lowers the level-triggered PPI; x86's ACK MSR leaves the APIC alone. */
      lowerPpiOnAck: assign(({ context }) => ({ irq: design.ack === 'hypercall' ? false : context.irq })),
      /** ACK without `smp_store_mb`: the store waits in the store buffer; the MSR write exited, so `vcpu_enter_guest` runs before guest code. */
      bufferPendingClear: assign({ ackStoreBuffered: true, kicked: true }),
      /** without `smp_mb__after_atomic`: the worker's request store is not yet visible when it reads `pageready_pending`. */
      bufferRequest: assign({ requestBuffered: true }),
      /** the worker's stores drain: `KVM_REQ_APF_READY` becomes visible (nobody kicks). */
      drainRequest: assign({ requestBuffered: false, readyRequest: true }),
      /** the store buffer drains: `pageready_pending = false` becomes visible. */
      drainPendingClear: assign({ ackStoreBuffered: false, pageReadyPending: false }),
      /** SPIV write clearing / setting APIC_SPIV_APIC_ENABLED. */
      setLapic: assign((_, params: { enabled: boolean }) => ({ lapicEnabled: params.enabled })),
      /** `kvm_post_set_cr0`: CR0.PG changed (SMI entry / RSM). */
      setPaging: assign((_, params: { on: boolean }) => ({ paging: params.on })),
      /** nested VM-entry to L2 / VM-exit to L1 (`is_guest_mode`). */
      setL2: assign((_, params: { on: boolean }) => ({ inL2: params.on })),
    },
  }).createMachine({
    /** one host vCPU: `struct kvm_vcpu` with `arch.apf` and `async_pf` */
    id: 'host',
    type: 'parallel',
    context: ({ input }) => initialHostContext(input ?? THROWAWAY_INPUT),
    states: {
      /** `apf.halted` */
      run: {
        initial: 'running',
        states: {
          /** the vCPU runs guest code (a guest HLT is the guest's idle, not this) */
          running: {
            on: {
              /** EPT/NPT violation or stage-2 abort on a page that needs I/O (`__kvm_mmu_faultin_pfn`, §2.5) */
              EPT_VIOLATION: [
                /** §2.5 step 1 */
                { guard: 'mustFaultInSynchronously', actions: ['faultInSync', 'requeueInterruptedDelivery', 'noteEntryWork'] },
                /** §2.5 step 2: x86 synthetic halt */
                { guard: and(['gfnOutstanding', 'haltsOnRepeatedFault']), target: 'apfHalted' },
                /** §3: RFCv1 returns to the guest unmapped; it will fault again (each re-fault is a run-loop iteration) */
                { guard: 'gfnOutstanding', actions: 'noteEntryWork' },
                /** §2.5 step 3: `kvm_setup_async_pf` refuses */
                { guard: 'queueFull', actions: ['faultInSync', 'noteEntryWork'] },
                /** §2.5 step 4: queue work and inject not-present */
                {
                  guard: 'canDeliverNotPresent',
                  actions: [
                    { type: 'queueAsyncWork', params: { injected: true } },
                    { type: 'reportQueued', params: { injected: true } },
                    'reportOverwrittenInit',
                    'injectNotPresent',
                    'noteEntryWork',
                  ],
                },
                /** §2.5 step 4: queue work, cannot announce it: synthetic halt (RFCv1 never gets here) */
                {
                  target: 'apfHalted',
                  actions: [
                    { type: 'queueAsyncWork', params: { injected: false } },
                    { type: 'reportQueued', params: { injected: false } },
                  ],
                },
              ],
            },
          },
          /** synthetic halt: `kvm_vcpu_running` false until `kvm_vcpu_has_events` */
          apfHalted: {
            on: {
              /** `vcpu_block` woken (done non-empty or interrupt pending): `apf.halted = false`, then `vcpu_enter_guest` */
              ENTER_GUEST: { target: 'running' },
            },
          },
        },
      },
      /** `kvm_check_async_pf_completion`: the dequeue loop */
      completion: {
        initial: 'idle',
        states: {
          /** no scan running */
          idle: {
            on: {
              /** `vcpu_enter_guest`: `KVM_REQ_APF_READY` (x86) or every iteration (pre-5.8, RFCv1) */
              ENTER_GUEST: [{ guard: 'scanDue', target: 'scanning', actions: 'startScan' }, { actions: 'consumeKick' }],
              /** MSR_KVM_ASYNC_PF_ACK / IRQ_ACK: clear `pageready_pending`, lower the PPI, rescan */
              ACK: [
                /** no barrier: the rescan's loads run before the cleared flag is visible (store buffering) */
                { guard: 'storesReorder', target: 'scanning', actions: ['bufferPendingClear', 'lowerPpiOnAck', 'startScan'] },
                { target: 'scanning', actions: ['clearPageReadyPending', 'lowerPpiOnAck', 'startScan'] },
              ],
            },
          },
          /** `while (!list_empty_careful(&done) && can_dequeue)` */
          scanning: {
            always: [
              /** `kvm_arch_async_page_present`: announce the head */
              { guard: 'headDelivers', actions: ['deliverHead', 'reportDelivered', 'dequeueHead'] },
              /** cancel the still-pending not-present, raise no page-ready (SDEI; 9a6e7c39810e) */
              {
                guard: 'headCancelsPendingNotPresent',
                actions: ['reportNotPresentCancelled', 'cancelPendingNotPresent', 'reportDropped', 'dequeueHead'],
              },
              /** dequeue without a guest event */
              { guard: 'headDropped', actions: ['reportDropped', 'dequeueHead'] },
              /** loop exit */
              { target: 'idle', actions: 'endScan' },
            ],
          },
        },
      },
    },
    on: {
      /** `async_pf_execute`: the page is in; item to `done`; on empty->non-empty request + kick unless pending */
      WORKER_DONE: [
        /** ASYNC_PF_SYNC (s390): the worker raises page-ready itself, then puts the item on `done`; no request, no kick (`__kvm_vcpu_wake_up` only wakes a blocked vCPU) */
        { guard: 'raisesFromWorker', actions: ['raiseFromWorker', 'moveToDone'] },
        { guard: and(['signalsCompletion', 'doneWasEmpty', 'kickNeeded']), actions: ['moveToDone', 'requestReady', 'sendKickIpi'] },
        /** no kick, and without the barrier the request store may still be buffered (LKMM store buffering) */
        { guard: and(['signalsCompletion', 'doneWasEmpty', 'storesReorder']), actions: ['moveToDone', 'bufferRequest'] },
        { guard: and(['signalsCompletion', 'doneWasEmpty']), actions: ['moveToDone', 'requestReady'] },
        /** pre-5.8 / RFCv1: only `swake_up` of a blocked vCPU; the run loop polls `done` */
        { actions: 'moveToDone' },
      ],
      /** `async_pf_execute` returns after `__kvm_vcpu_wake_up` and `mmput` */
      WORKER_RETURNED: { actions: 'workerReturned' },
      /** the vCPU's store buffer drains the ACK handler's `pageready_pending = false` */
      STORE_BUFFER_DRAINS: { actions: 'drainPendingClear' },
      /** the worker's store buffer drains its `KVM_REQ_APF_READY` */
      WORKER_STORES_DRAIN: { actions: 'drainRequest' },
      /** `kvm_pv_enable_async_pf` enabling: `kvm_async_pf_wakeup_all` (request + kick via present_queued) */
      APF_ENABLE: [
        /** s390 DIAG 0x258 TOKEN: register the token address, nothing queued */
        { guard: not('wakesAllOnEnable'), actions: 'enableApf' },
        { guard: and(['doneEmpty', 'signalsCompletion']), actions: ['enableApf', 'queueWakeAll', 'requestReady', 'kick'] },
        { guard: 'doneEmpty', actions: ['enableApf', 'queueWakeAll', 'kick'] },
        { actions: ['enableApf', 'kick'] },
      ],
      /** `kvm_pv_enable_async_pf` disabling: clear the queue, reset the hash (§2.7) */
      APF_DISABLE: [
        /** s390 DIAG 0x258 CANCEL: the token is invalid from now on; outstanding work and pending interrupts stay ("all outstanding tokens are already pending") */
        { guard: 'disableKeepsQueue', actions: 'disableApf' },
        { actions: ['disableApf', 'reportCancelled', 'clearQueue'] },
      ],
      /** `kvm_vcpu_reset` (INIT/RESET, §2.7): queue cleared, hash reset, `apf.halted = false` */
      VCPU_RESET: { target: '.run.running', actions: ['flushWorkers', 'reportCancelled', 'clearQueue', 'resetVcpu'] },
      /** injection of the pending exception at entry (`kvm_inject_exception`) */
      EXCEPTION_TAKEN: { actions: 'takeException' },
      /** the guest accepted the page-ready interrupt */
      IRQ_TAKEN: { actions: 'takeIrq' },
      /** the guest took the SDEI event */
      SDEI_TAKEN: { actions: 'takeSdei' },
      /** guest stores to `struct kvm_vcpu_pv_apf_data` */
      GUEST_CLEARS_AREA: { actions: 'guestClearsArea' },
      /** the vCPU exited and passes `vcpu_enter_guest` on its way back */
      GUEST_EXIT: { actions: 'noteEntryWork' },
      /** SPIV: LAPIC software-disable (an APIC write: an exit) */
      LAPIC_DISABLE: { actions: [{ type: 'setLapic', params: { enabled: false } }, 'noteEntryWork'] },
      /** SPIV: LAPIC enable (`KVM_REQ_APF_READY` since 2f15d027c05f) */
      LAPIC_ENABLE: [
        { guard: 'rescansOnLapicEnable', actions: [{ type: 'setLapic', params: { enabled: true } }, 'requestReady', 'kick'] },
        { actions: { type: 'setLapic', params: { enabled: true } } },
      ],
      /** SMI entry: CR0.PG cleared (`kvm_post_set_cr0`) */
      PAGING_OFF: [
        { guard: 'clearsQueueOnPagingToggle', actions: [{ type: 'setPaging', params: { on: false } }, 'reportCancelled', 'clearQueue'] },
        { actions: { type: 'setPaging', params: { on: false } } },
      ],
      /** RSM: CR0.PG set (`KVM_REQ_APF_READY` since ab4e41eb9fab) */
      PAGING_ON: [
        { guard: 'clearsQueueOnPagingToggle', actions: [{ type: 'setPaging', params: { on: true } }, 'reportCancelled', 'clearQueue'] },
        { guard: 'rescansOnPagingEnable', actions: [{ type: 'setPaging', params: { on: true } }, 'requestReady', 'kick'] },
        { actions: { type: 'setPaging', params: { on: true } } },
      ],
      /** nested VM-entry */
      L2_ENTER: { actions: { type: 'setL2', params: { on: true } } },
      /** nested VM-exit */
      L2_EXIT: { actions: { type: 'setL2', params: { on: false } } },
    },
  });
}

export type HostMachine = ReturnType<typeof createHostMachine>;
