/**
 * Design options: what distinguishes one async-PF protocol design from another.
 *
 * The three machines (host, guest, token) are built once from these options;
 * a design is data, and so is a mutant (an override of one fix). A user can
 * build a variant by copying a built-in design and changing fields.
 */

/** How "page not present" reaches the guest. */
export type NotPresentDelivery =
  /** x86 synthetic #PF (vector 14, CR2 = token) / arm64 RFCv1 data abort (FAR = token). */
  | 'exception'
  /** arm64 SDEI event (NMI-like, software-delegated exception), §5. */
  | 'sdei';

/** How "page ready" reaches the guest. */
export type PageReadyDelivery =
  /** the same exception as not-present (pre-5.8 x86 #PF, RFCv1 data abort), §2.8, §3. */
  | 'exception'
  /** an interrupt: x86 APIC vector apf.vec (§2.1), arm64 PPI (§5). */
  | 'interrupt';

export interface DesignOptions {
  /** design id users type (`--design`). */
  readonly name: string;
  /** one-line description shown by `apfcheck list designs`. */
  readonly summary: string;
  /** reference section the design comes from. */
  readonly section: string;

  // ---- ABI shape -------------------------------------------------------
  readonly notPresent: NotPresentDelivery;
  readonly pageReady: PageReadyDelivery;
  /**
   * 'split': x86 `flags` (not-present) and `token` (page-ready) are separate
   * u32 fields (§2.1). 'single': one `reason` u32 for both events
   * (pre-5.8 x86, RFCv1, SDEI design), so a page-ready cannot be written while
   * a not-present is unread and vice versa.
   */
  readonly slotLayout: 'split' | 'single';
  /**
   * How the guest tells the host the slot is free again: x86 `MSR_KVM_ASYNC_PF_ACK`
   * (§2.1), SDEI design `ARM_SMCCC_KVM_FUNC_ASYNC_PF_IRQ_ACK` (§5), or nothing
   * (pre-5.8 x86 and RFCv1: the guest zeroes `reason`, the host polls it).
   */
  readonly ack: 'msr' | 'hypercall' | 'none';
  /** token = (id << tokenShift) | vcpu_id: 12 on x86 (`alloc_apf_token`), 16 on RFCv1 (§3). */
  readonly tokenShift: number;

  // ---- host fault path (§2.5) -----------------------------------------
  /**
   * What the host does when the fault cannot be announced, or hits a gfn that is
   * already outstanding: x86 'synthetic-halt' (`KVM_REQ_APF_HALT`), RFCv1
   * 'refault' (return to the guest unmapped; it faults again) with a
   * synchronous fault-in when injection is not allowed (§3 `try_async_pf`).
   */
  readonly fallback: 'synthetic-halt' | 'refault';
  /** `kvm_can_do_async_pf`: refuse async when an exception is pending (2a266f23550b). */
  readonly checkPendingException: boolean;
  /** not-present only to user mode unless the guest set SEND_ALWAYS (`send_user_only`). */
  readonly userOnlyUnlessSendAlways: boolean;
  /** the guest sets KVM_ASYNC_PF_SEND_ALWAYS when it enables APF (pre-5.8 Linux did; 3a7c8fafd1b4 stopped). */
  readonly guestSetsSendAlways: boolean;
  /** `kvm_can_deliver_async_pf`: no not-present while CR0.PG=0 (57cb3bb0dc89). */
  readonly pagingGate: boolean;
  /** not-present and page-ready need guest IF=1 (`kvm_arch_interrupt_allowed`, legacy `kvm_can_do_async_pf`). */
  readonly interruptsGate: boolean;
  /** RFCv1: no injection while the guest PC is in [VBAR_EL1, VBAR_EL1 + 0x800) (§3). */
  readonly vectorWindowGate: boolean;
  /** single-slot designs: not-present only while `reason` (and `token`) read 0 (RFCv1, SDEI `kvm_arch_async_not_present_allowed`). */
  readonly notPresentNeedsFreeSlot: boolean;
  /** SDEI design: no not-present while another SDEI event is pending or running (`critical_event`/`normal_event`, §5). */
  readonly sdeiBusyGate: boolean;

  // ---- host completion path (§2.4, §2.6) ------------------------------
  /**
   * 'request': x86 `KVM_REQ_APF_READY` raised by the worker on done's
   * empty->non-empty transition, plus a kick unless `pageready_pending`.
   * 'every-entry': `kvm_check_async_pf_completion` on every run-loop iteration
   * (pre-5.8 x86, RFCv1).
   */
  readonly completionScan: 'request' | 'every-entry';
  /** page-ready only if not-present was injected, or wake-all (2a18b7e7cd88). */
  readonly pageReadyNeedsNotPresent: boolean;
  /** `kvm_arch_can_dequeue_async_page_present` requires `kvm_lapic_enabled` (2f15d027c05f). */
  readonly lapicGate: boolean;
  /**
   * A not-present still pending when page-ready is about to be raised is cancelled
   * instead, and no page-ready is sent: SDEI design 'same-token' (`kvm_sdei_cancel`,
   * §5 step 4); 9a6e7c39810e (2017, reverted by 84b09f33a5de) 'any-token', on the
   * #PF exception, without comparing tokens (§2.8).
   */
  readonly cancelPendingNotPresent: 'never' | 'same-token' | 'any-token';
  /** full barriers around the request/kick and ACK paths (68c35f89d016): no store buffering between them. */
  readonly kickBarriers: boolean;
  /** LAPIC enable (SPIV, APICBASE) raises `KVM_REQ_APF_READY` (2f15d027c05f). */
  readonly rescanOnLapicEnable: boolean;
  /** CR0.PG set raises `KVM_REQ_APF_READY` (ab4e41eb9fab). */
  readonly rescanOnPagingEnable: boolean;
  /**
   * `kvm_clear_async_pf_completion_queue` (disable, reset, vCPU teardown) flushes each done item
   * before freeing it (3d75b8aa5c29), so no `async_pf_execute` still runs when the vCPU or the
   * module goes away. (The completion scan's free was always safe: the worker touches no item
   * after `list_add_tail`.)
   */
  readonly flushWorkBeforeFree: boolean;
  /** bug before ab4e41eb9fab: `kvm_post_set_cr0` clears the completion queue on every CR0.PG toggle. */
  readonly clearQueueOnPagingToggle: boolean;

  // ---- guest (§2.3, §3, §5) -------------------------------------------
  /**
   * Not-present taken in kernel mode: modern x86 guest panics ("Host injected
   * async #PF in kernel mode"); pre-5.8 x86 and RFCv1 guests sleep if they can
   * schedule, else halt (`native_safe_halt` / `wfi`) until woken.
   */
  readonly kernelModeNotPresent: 'panic' | 'wait';
  /** arm64: an exception is entered in two steps (vectors, then kernel_entry saving ELR_EL1); a second one in between clobbers ELR. */
  readonly exceptionEntryWindow: boolean;
  /** the crash path turns APF off before kdump reuses memory (`kvm_crash_shutdown`, 3d6b84132d2a; x86 since 2021). */
  readonly disablesApfOnCrash: boolean;
  /** `kvm_async_pf_task_wake` files a dummy node for a token with no sleeper yet (wake before wait, §2.7); the SDEI design's PPI handler only looks its table up (§5 step 5). */
  readonly dummyNodes: boolean;
  /**
   * bug: `kvm_async_pf_task_wake` drops the bucket lock to allocate the dummy and hashes it
   * without looking the token up again: the first, rejected version of 0547758a6de3 (which
   * re-checks after re-taking the lock). Off, the wake is one atomic step: the fixed code's
   * effect is that of a wake done entirely at the re-lock.
   */
  readonly dummyAllocUnlocked: boolean;
  /** x86 only: SMI / CR0.PG toggles, LAPIC software-disable and L2 entry are environment events (§2.7). */
  readonly x86PlatformEvents: boolean;
}

const x86: DesignOptions = {
  name: 'x86',
  summary: 'mainline x86 (v5.8+): #PF not-present, APIC-interrupt page-ready, ACK MSR, user mode only',
  section: '§2',
  notPresent: 'exception',
  pageReady: 'interrupt',
  slotLayout: 'split',
  ack: 'msr',
  tokenShift: 12,
  fallback: 'synthetic-halt',
  checkPendingException: true,
  userOnlyUnlessSendAlways: true,
  guestSetsSendAlways: false,
  pagingGate: true,
  interruptsGate: true,
  vectorWindowGate: false,
  notPresentNeedsFreeSlot: false,
  sdeiBusyGate: false,
  completionScan: 'request',
  pageReadyNeedsNotPresent: true,
  lapicGate: true,
  cancelPendingNotPresent: 'never',
  kickBarriers: true,
  rescanOnLapicEnable: true,
  rescanOnPagingEnable: true,
  flushWorkBeforeFree: true,
  clearQueueOnPagingToggle: false,
  kernelModeNotPresent: 'panic',
  exceptionEntryWindow: false,
  disablesApfOnCrash: true,
  dummyNodes: true,
  dummyAllocUnlocked: false,
  x86PlatformEvents: true,
};

const x86Legacy: DesignOptions = {
  ...x86,
  name: 'x86-legacy',
  summary: 'pre-5.8 x86: both events as #PF, reason in one u32, no ACK, polled completion',
  section: '§2.8',
  pageReady: 'exception',
  slotLayout: 'single',
  ack: 'none',
  guestSetsSendAlways: true,
  completionScan: 'every-entry',
  pagingGate: false,
  pageReadyNeedsNotPresent: false,
  lapicGate: false,
  rescanOnLapicEnable: false,
  rescanOnPagingEnable: false,
  kernelModeNotPresent: 'wait',
  disablesApfOnCrash: false,
};

const arm64Rfcv1: DesignOptions = {
  ...x86Legacy,
  name: 'arm64-rfcv1',
  summary: 'arm64 RFCv1 (2020-04, the seed): IMPDEF sysreg, one reason slot, data abort for both events',
  section: '§3',
  tokenShift: 16,
  fallback: 'refault',
  checkPendingException: false,
  guestSetsSendAlways: false,
  interruptsGate: false,
  vectorWindowGate: true,
  notPresentNeedsFreeSlot: true,
  exceptionEntryWindow: true,
  x86PlatformEvents: false,
};

const arm64Sdei: DesignOptions = {
  ...x86,
  name: 'arm64-sdei',
  summary: 'arm64 SDEI/PPI (2021 v4): SMCCC enable, SDEI not-present, PPI page-ready, IRQ_ACK, SDEI cancel',
  section: '§5',
  notPresent: 'sdei',
  slotLayout: 'single',
  ack: 'hypercall',
  checkPendingException: false,
  pagingGate: false,
  interruptsGate: false,
  notPresentNeedsFreeSlot: true,
  sdeiBusyGate: true,
  cancelPendingNotPresent: 'same-token',
  lapicGate: false,
  rescanOnLapicEnable: false,
  rescanOnPagingEnable: false,
  dummyNodes: false,
  disablesApfOnCrash: false,
  x86PlatformEvents: false,
};

/** The built-in designs, in the order `apfcheck list designs` prints them. */
export const DESIGNS: readonly DesignOptions[] = [x86, x86Legacy, arm64Rfcv1, arm64Sdei];

/** Looks up a built-in design; throws an error naming the valid ones. */
export function designByName(name: string): DesignOptions {
  const found = DESIGNS.find((d) => d.name === name);
  if (!found) {
    throw new Error(`unknown design '${name}': valid designs are ${DESIGNS.map((d) => d.name).join(', ')}`);
  }
  return found;
}
