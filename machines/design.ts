/**
 * Design options: what distinguishes one async-PF protocol design from another.
 *
 * The three machines (host, guest, token) are built once from these options;
 * a design is data, and so is a mutant (an override of one fix, see
 * mutants.ts). `DesignSchema` is the one definition: the `DesignOptions` type
 * is inferred from it, every built-in design is validated by it, and its field
 * descriptions (what each option models, with the kernel function and the
 * reference section) are what `apfcheck list options` prints. Section numbers
 * refer to `../shared/protocol/async-pf-reference.md`.
 */
import { z } from 'zod';

export const DesignSchema = z
  .object({
    name: z.string().min(1).describe('design id users type (`--design`)'),
    summary: z.string().describe('one line shown by `apfcheck list designs`'),
    section: z.string().describe('reference section the design comes from'),

    // ---- ABI shape -------------------------------------------------------
    notPresent: z
      .enum(['exception', 'sdei', 'external-interrupt'])
      .describe('how "page not present" reaches the guest: a synthetic exception (x86 #PF with CR2 = token, `kvm_arch_async_page_not_present`, §2.1; RFCv1 data abort with FAR = token, §3), an SDEI event (NMI-like, `kvm_sdei_inject`, §5), or a vCPU-local external interrupt (s390 PFAULT_INIT, code 0x2603 subcode 0x0600, one pending slot `li->irq.ext`, `__inject_pfault_init`; s390-pfault §5.1)'),
    pageReady: z
      .enum(['exception', 'interrupt', 'floating-interrupt'])
      .describe('how "page ready" reaches the guest: the same exception as not-present (pre-5.8 x86 #PF, RFCv1 data abort, §2.8, §3), an interrupt of the faulting vCPU (x86 APIC vector `apf.vec` via `kvm_apic_set_irq`, §2.1; arm64 PPI, §5), or a floating interrupt of the whole VM that any vCPU may take (s390 PFAULT_DONE, `kvm_s390_inject_vm` -> `__inject_pfault_done`, FIFO; s390-pfault §5.2)'),
    slotLayout: z
      .enum(['split', 'single', 'none'])
      .describe('`struct kvm_vcpu_pv_apf_data`: `split` has separate u32 `flags` (not-present) and `token` (page-ready) fields (x86 v5.8+, §2.1); `single` has one `reason` u32 for both events (pre-5.8 x86, RFCv1, SDEI design), so one event cannot be written while the other is unread; `none`: no shared area, the token travels in the interrupt itself (s390 `ext_params2`, written to lowcore at delivery)'),
    guestToken: z
      .enum(['host-token', 'current-pid'])
      .describe('what the guest is told identifies a fault: the host\'s token (x86 `alloc_apf_token`, RFCv1, SDEI), or the value the guest registered, read from its lowcore at fault time (s390 `read_guest_real` of the DIAG 0x258 token address: `LPP_MAGIC << 32 | current pid`, s390-pfault §7); then a stale completion names the task, not the fault'),
    ack: z
      .enum(['msr', 'hypercall', 'none'])
      .describe('how the guest tells the host the slot is free again: x86 `MSR_KVM_ASYNC_PF_ACK` (§2.1), SDEI design `ARM_SMCCC_KVM_FUNC_ASYNC_PF_IRQ_ACK` (§5), or nothing (pre-5.8 x86 and RFCv1: the guest zeroes `reason`, the host polls it)'),
    tokenShift: z
      .number()
      .int()
      .min(0)
      .max(31)
      .describe('token = (id << tokenShift) | vcpu_id: 12 on x86 (`alloc_apf_token`, §2.2), 16 on RFCv1 (§3)'),

    // ---- host fault path (§2.5) -----------------------------------------
    fallback: z
      .enum(['synthetic-halt', 'refault', 'synchronous'])
      .describe('what the host does when a fault cannot be announced, or hits a gfn already outstanding: x86 `synthetic-halt` (`KVM_REQ_APF_HALT`, §2.5 steps 2 and 4); RFCv1 `refault` (`try_async_pf` returns to the guest unmapped, it faults again; a synchronous fault-in when injection is not allowed, §3); s390 `synchronous` (no outstanding-gfn check: each fault is its own work item; a fault that cannot go async is faulted in on the vCPU thread, `pfault_sync`, s390-pfault §3.1)'),
    checkPendingException: z
      .boolean()
      .describe('`kvm_can_do_async_pf` refuses async PF while an exception is pending (2a266f23550b, §2.5 step 1)'),
    userOnlyUnlessSendAlways: z
      .boolean()
      .describe('not-present only to user mode unless the guest set SEND_ALWAYS (`kvm_can_deliver_async_pf`: `!send_always && CPL == 0`, §2.5 step 4)'),
    guestSetsSendAlways: z
      .boolean()
      .describe('the guest sets `KVM_ASYNC_PF_SEND_ALWAYS` when it enables APF (pre-5.8 Linux did; 3a7c8fafd1b4 stopped, §2.7 "Guest in kernel mode")'),
    pagingGate: z.boolean().describe('`kvm_can_deliver_async_pf`: no not-present while CR0.PG=0 (57cb3bb0dc89, §2.5 step 4)'),
    interruptsGate: z
      .boolean()
      .describe('not-present and page-ready need guest IF=1 (`kvm_arch_interrupt_allowed` in `kvm_can_do_async_pf`, §2.5 step 1; legacy `kvm_arch_can_inject_async_page_present`, §2.8)'),
    vectorWindowGate: z
      .enum(['none', 'vector-page', 'exception-entry'])
      .describe('RFCv1 `kvm_arch_can_inject_async_page_not_present`/`_present` (§3): no injection while the guest PC is where ELR_EL1 still holds the interrupted return address. `vector-page`: [VBAR_EL1, VBAR_EL1 + 0x800), as RFCv1 does; `exception-entry` (hypothetical, no posted design has it): the vector page and `kernel_entry` until it has saved ELR_EL1/SPSR_EL1 (`mrs x22, elr_el1`), which the host can only know if the guest registers that code\'s PC range with it (as RFCv2\'s `no_fault_inst_range` registered the vectors, §4; locks-and-delivery §2.3); neither covers the other windows where an injected abort overwrites live exception state: after `kernel_entry`, until the C handler has read ESR_EL1/FAR_EL1 (`el0_sync_handler`/`el1_sync_handler`, `el0_da`/`el1_abort`), nor `kernel_exit` after it restored ELR_EL1/SPSR_EL1 for its `eret` (guest states `syndromeUnread`, `kernelExit`); `none`: no PC check (x86, SDEI, s390)'),
    notPresentNeedsFreeSlot: z
      .boolean()
      .describe('single-slot designs: not-present only while `reason` (and `token`) read 0 (RFCv1 §3, SDEI `kvm_arch_async_not_present_allowed` §5)'),
    pendingInterruptGate: z
      .boolean()
      .describe('s390 `kvm_arch_setup_async_pf`: no async fault while any interrupt is deliverable to the vCPU, a pending PFAULT_INIT or a floating PFAULT_DONE included (`kvm_s390_vcpu_has_irq(vcpu, 0)`, gate G4 of s390-pfault §3.2): the one thing that keeps a second INIT from overwriting the first'),
    sdeiBusyGate: z
      .boolean()
      .describe('SDEI design: no not-present while another SDEI event is pending or running (`critical_event`/`normal_event`, §5)'),

    // ---- host completion path (§2.4, §2.6) ------------------------------
    completion: z
      .enum(['scan', 'direct'])
      .describe('who raises page-ready: the vCPU thread when it scans `done` (`kvm_check_async_pf_completion` -> `kvm_arch_async_page_present`, x86 and arm64), or the worker itself, before it puts the item on `done` (`CONFIG_KVM_ASYNC_PF_SYNC`: `async_pf_execute` -> `kvm_arch_async_page_present`; s390, locks-and-delivery §6); then the scan only frees items, and clearing the queue flushes each worker, which raises its page-ready'),
    registration: z
      .enum(['enable-register', 'diag258'])
      .describe('how the guest turns async PF on and off for a vCPU: an enable register (x86 `MSR_KVM_ASYNC_PF_EN`, RFCv1 `SYS_ASYNC_PF_EL1`, SDEI `ENABLE`): enabling queues a wake-all (`kvm_async_pf_wakeup_all`), disabling clears the queue (`kvm_clear_async_pf_completion_queue`), §2.7; or s390 DIAG 0x258 TOKEN / CANCEL (`__diag_page_ref_service`): neither, and tokens already pending survive a cancel (s390-pfault §2.2)'),
    completionScan: z
      .enum(['request', 'every-entry'])
      .describe('`request`: the worker raises `KVM_REQ_APF_READY` on done\'s empty->non-empty transition and kicks unless `pageready_pending` (`kvm_arch_async_page_present_queued`, x86 v5.8+, §2.4); `every-entry`: `kvm_check_async_pf_completion` on every run-loop iteration (pre-5.8 x86, RFCv1, §2.8, §3)'),
    requestsAgainOnRefusal: z
      .boolean()
      .describe('`kvm_arch_can_dequeue_async_page_present` makes the request again when it refuses (SDEI series, its `fail:` label: `kvm_make_request(KVM_REQ_ASYNC_PF)`): the completion is polled at every later entry until `pageready_pending` clears and the slot is free (§5); x86 refuses silently and relies on the ACK\'s rescan (§2.4)'),
    pageReadyNeedsFreeSlot: z
      .boolean()
      .describe('the page-ready path writes the shared area only when the guest has freed it: x86 v5.8+ `apf_pageready_slot_free` (token == 0), RFCv1 and the SDEI design (reason == 0); pre-5.8 x86 `kvm_arch_async_page_present` overwrote `reason` with PAGE_READY unchecked (v5.4, locks-and-delivery §4.3), the reason 9a6e7c39810e\'s cancel existed'),
    pageReadyNeedsNotPresent: z
      .boolean()
      .describe('`kvm_arch_async_page_present` raises page-ready only if not-present was injected, or for a wake-all (`notpresent_injected`, 2a18b7e7cd88, §2.6)'),
    lapicGate: z
      .boolean()
      .describe('`kvm_arch_can_dequeue_async_page_present` requires `kvm_lapic_enabled` (2f15d027c05f, §2.7 "LAPIC")'),
    cancelPendingNotPresent: z
      .enum(['never', 'same-token', 'any-token'])
      .describe('a not-present still pending when page-ready is due is cancelled instead and no page-ready sent: SDEI design `same-token` (`kvm_sdei_cancel`, §5 step 4); 9a6e7c39810e (2017, reverted by 84b09f33a5de) `any-token`, on the #PF, without comparing tokens (§2.8)'),
    kickBarriers: z
      .boolean()
      .describe('full barriers between `kvm_make_request` and the `pageready_pending` read, and on the ACK\'s store (68c35f89d016, §2.4): without them the two may be reordered (store buffering)'),
    rescanOnLapicEnable: z.boolean().describe('LAPIC enable (`apic_set_spiv`, `kvm_lapic_set_base`) raises `KVM_REQ_APF_READY` (2f15d027c05f, §2.7)'),
    rescanOnPagingEnable: z.boolean().describe('CR0.PG set raises `KVM_REQ_APF_READY` (ab4e41eb9fab, §2.7 "paging disabled / SMM")'),
    flushWorkBeforeFree: z
      .boolean()
      .describe('`kvm_clear_async_pf_completion_queue` (disable, reset, vCPU teardown) flushes each done item before freeing it (3d75b8aa5c29, §2.7 "destruction"), so no `async_pf_execute` still runs when the vCPU or the module goes away'),
    clearQueueOnPagingToggle: z
      .boolean()
      .describe('bug before ab4e41eb9fab: `kvm_post_set_cr0` clears the completion queue on every CR0.PG toggle (§2.7)'),

    // ---- guest (§2.3, §3, §5) -------------------------------------------
    kernelModeNotPresent: z
      .enum(['panic', 'wait'])
      .describe('not-present taken in kernel mode: a v5.8+ x86 guest panics ("Host injected async #PF in kernel mode", `__kvm_handle_async_pf`); pre-5.8 x86 and RFCv1 guests sleep if they can schedule, else halt (`native_safe_halt` / `wfi`) until woken (§2.7)'),
    exceptionEntryWindow: z
      .boolean()
      .describe('arm64: an exception is entered in three steps (the vector table; `kernel_entry` saving ELR_EL1/SPSR_EL1; the C handler reading ESR_EL1/FAR_EL1) and left in two (`kernel_exit` restoring ELR_EL1/SPSR_EL1 from `pt_regs`, its loads and `eret`); an injected data abort in any of those windows overwrites the live register (ELR_EL1, ESR_EL1/FAR_EL1, or the ELR_EL1/SPSR_EL1 the `eret` was to use; §3, locks-and-delivery §2.3)'),
    disablesApfOnCrash: z
      .boolean()
      .describe('the crash path turns APF off before kdump reuses memory (`kvm_crash_shutdown` -> `kvm_pv_disable_apf`, 3d6b84132d2a, §2.7)'),
    offlineWake: z
      .enum(['local', 'all-cpus', 'none'])
      .describe('what the guest does for its waiters when a CPU goes offline: wake this CPU\'s sleepers (x86 `kvm_guest_cpu_offline` -> `apf_task_wake_all`), every waiter of every CPU (s390 `pfault_cpu_dead`), or nothing (arm64 RFCv1 `kvm_cpu_offline` only disables, locks-and-delivery §2.2)'),
    dummyNodes: z
      .boolean()
      .describe('`kvm_async_pf_task_wake` files a dummy node for a token with no sleeper yet (wake before wait, §2.3, §2.7); the SDEI design\'s PPI handler only looks its table up (§5 step 5)'),
    dummyAllocUnlocked: z
      .boolean()
      .describe('bug: `kvm_async_pf_task_wake` drops the bucket lock to allocate the dummy and hashes it without a second lookup: the first, rejected version of 0547758a6de3 (which re-checks after re-taking the lock)'),
    x86PlatformEvents: z
      .boolean()
      .describe('x86 only: SMI / CR0.PG toggles, LAPIC software-disable and L2 entry are environment events the scope may switch on (§2.7)'),
  })
  .strict();

/** A design's options, as `DesignSchema` defines them. */
export type DesignOptions = Readonly<z.infer<typeof DesignSchema>>;

/** The option fields (every key of `DesignSchema` but the name, summary and section). */
export type DesignOptionName = Exclude<keyof DesignOptions, 'name' | 'summary' | 'section'>;

/** Some design options set over a design: a design file's `options`, a bug's override (mutants.ts). */
export const DesignOverrideSchema = DesignSchema.omit({ name: true, summary: true, section: true }).partial().strict();

const x86: DesignOptions = DesignSchema.parse({
  name: 'x86',
  summary: 'mainline x86 (v5.8+): #PF not-present, APIC-interrupt page-ready, ACK MSR, user mode only',
  section: '§2',
  notPresent: 'exception',
  pageReady: 'interrupt',
  slotLayout: 'split',
  guestToken: 'host-token',
  ack: 'msr',
  tokenShift: 12,
  fallback: 'synthetic-halt',
  checkPendingException: true,
  userOnlyUnlessSendAlways: true,
  guestSetsSendAlways: false,
  pagingGate: true,
  interruptsGate: true,
  vectorWindowGate: 'none',
  notPresentNeedsFreeSlot: false,
  pendingInterruptGate: false,
  sdeiBusyGate: false,
  completion: 'scan',
  registration: 'enable-register',
  completionScan: 'request',
  requestsAgainOnRefusal: false,
  pageReadyNeedsFreeSlot: true,
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
  offlineWake: 'local',
  dummyNodes: true,
  dummyAllocUnlocked: false,
  x86PlatformEvents: true,
});

const x86Legacy: DesignOptions = DesignSchema.parse({
  ...x86,
  name: 'x86-legacy',
  summary: 'pre-5.8 x86: both events as #PF, reason in one u32, no ACK, polled completion',
  section: '§2.8',
  pageReady: 'exception',
  slotLayout: 'single',
  ack: 'none',
  guestSetsSendAlways: true,
  completionScan: 'every-entry',
  // v5.4 kvm_arch_async_page_present: apf_put_user(vcpu, KVM_PV_REASON_PAGE_READY) whatever reason held
  pageReadyNeedsFreeSlot: false,
  pagingGate: false,
  pageReadyNeedsNotPresent: false,
  lapicGate: false,
  rescanOnLapicEnable: false,
  rescanOnPagingEnable: false,
  kernelModeNotPresent: 'wait',
  disablesApfOnCrash: false,
});

const arm64Rfcv1: DesignOptions = DesignSchema.parse({
  ...x86Legacy,
  name: 'arm64-rfcv1',
  summary: 'arm64 RFCv1 (2020-04, the seed): IMPDEF sysreg, one reason slot, data abort for both events',
  section: '§3',
  tokenShift: 16,
  fallback: 'refault',
  checkPendingException: false,
  guestSetsSendAlways: false,
  interruptsGate: false,
  vectorWindowGate: 'vector-page',
  notPresentNeedsFreeSlot: true,
  exceptionEntryWindow: true,
  // kvm_arch_can_inject_async_page_present: refuses while reason != 0 (patch 6/7)
  pageReadyNeedsFreeSlot: true,
  // kvm_cpu_offline only disables (patch 7/7 arch/arm64/kernel/smp.c, locks-and-delivery §2.2)
  offlineWake: 'none',
  x86PlatformEvents: false,
});

const arm64Sdei: DesignOptions = DesignSchema.parse({
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
  requestsAgainOnRefusal: true,
  sdeiBusyGate: true,
  cancelPendingNotPresent: 'same-token',
  lapicGate: false,
  rescanOnLapicEnable: false,
  rescanOnPagingEnable: false,
  dummyNodes: false,
  disablesApfOnCrash: false,
  x86PlatformEvents: false,
});

const s390Pfault: DesignOptions = DesignSchema.parse({
  ...x86,
  name: 's390-pfault',
  summary: 's390 pfault: DIAG 0x258 token, PFAULT_INIT to the faulting vCPU, PFAULT_DONE floating to any vCPU, raised by the worker',
  section: 's390-pfault',
  notPresent: 'external-interrupt',
  pageReady: 'floating-interrupt',
  slotLayout: 'none',
  guestToken: 'current-pid',
  ack: 'none',
  fallback: 'synchronous',
  // G1 token registered, G2 PSW problem state (select = compare = PSW_MASK_PSTATE), G3 PSW ext enabled, G4 nothing deliverable
  checkPendingException: false,
  userOnlyUnlessSendAlways: true,
  guestSetsSendAlways: false,
  pagingGate: false,
  interruptsGate: true,
  pendingInterruptGate: true,
  completion: 'direct',
  registration: 'diag258',
  // vcpu_pre_run calls kvm_check_async_pf_completion on every entry (only to free items: the worker raised page-ready)
  completionScan: 'every-entry',
  pageReadyNeedsNotPresent: false,
  lapicGate: false,
  rescanOnLapicEnable: false,
  rescanOnPagingEnable: false,
  kernelModeNotPresent: 'wait',
  disablesApfOnCrash: false,
  offlineWake: 'all-cpus',
  dummyNodes: false,
  x86PlatformEvents: false,
});

/** The built-in designs, in the order `apfcheck list designs` prints them. */
/** Frozen: the library hands these to its callers, and a change would alter every later check of the design. */
export const DESIGNS: readonly DesignOptions[] = Object.freeze([x86, x86Legacy, arm64Rfcv1, arm64Sdei, s390Pfault].map((d) => Object.freeze(d)));

/**
 * Whether every step of the design changes only the machines of the vCPU it
 * starts on (and the pages): not when page-ready is a floating interrupt
 * another vCPU takes, nor when a CPU going offline wakes the waiters of every
 * CPU (s390 `pfault_cpu_dead`). The packed system keeps vCPUs in one group
 * then (src/packed/packed.ts).
 */
export function vcpuLocal(design: DesignOptions): boolean {
  return design.pageReady !== 'floating-interrupt' && design.offlineWake !== 'all-cpus';
}

/**
 * Page-ready is an exception the host injects without looking at the guest's IRQ mask (RFCv1's data abort: no PSTATE
 * bit masks a synchronous exception, and patch 6/7 only checks `reason == 0` and the vector page, locks-and-delivery
 * §2.1): it can land while a handler holds the sleeper-bucket lock. On x86 those sections run with IF=0 and the host
 * injects only with IF=1 (`kvm_can_do_async_pf`), from the vCPU's completion scan; raised by the worker instead
 * (`completion: 'direct'`, `async_pf_execute` -> `kvm_arch_async_page_present`), the exception is queued with no IF
 * check at all and lands there too. The SDEI design's PPI is masked there and its SDEI event only
 * interrupts user mode. A page-ready interrupt is taken to be masked wherever the table's locks are held, as x86's
 * (IF=0) and the SDEI design's are; a design that takes those locks with interrupts on is not expressible here.
 */
export function pageReadyLandsInLockedSections(design: DesignOptions): boolean {
  // raised by the worker (ASYNC_PF_SYNC), `kvm_arch_async_page_present` queues the exception with no IF check at all
  return design.pageReady === 'exception' && (!design.interruptsGate || design.completion === 'direct');
}

/**
 * The design built with `CONFIG_KVM_ASYNC_PF_SYNC` (locks-and-delivery §6): the worker raises page-ready itself
 * (`async_pf_execute` -> `kvm_arch_async_page_present`) and the vCPU's scan only frees items. s390 selects it (built
 * in); RFCv1 left it off ("the exception injection can't work in nested mode"). The model raises from the worker for
 * s390's floating interrupt and RFCv1's data abort; x86 (either design) and the SDEI design never selected it and are
 * refused.
 */
export function withAsyncPfSync(design: DesignOptions): DesignOptions | string {
  if (design.completion === 'direct') return `${design.name} is built with ASYNC_PF_SYNC already`;
  if (design.pageReady !== 'exception' || design.x86PlatformEvents) return `x86 and the SDEI design never selected ASYNC_PF_SYNC; the model raises page-ready from the worker for s390-pfault (built in) and arm64-rfcv1`;
  return { ...design, name: `${design.name}+async-pf-sync`, completion: 'direct' };
}

/**
 * A combination of options the model refuses: one the kernel gives no meaning, or one the machines do not express
 * (they would stop on it with an internal error, or quietly model something else). Each rule is a predicate on the
 * design, the options it reads, and one line in kernel terms saying why and what to set. A combination that only
 * breaks a property is never refused: that is an answer.
 */
export interface CombinationRule {
  /** short name (tests, machines/README.md) */
  readonly id: string;
  /** the options the predicate reads, named with their values in the message */
  readonly options: readonly DesignOptionName[];
  /** true when the design has the combination */
  readonly refuses: (design: DesignOptions) => boolean;
  /** why, naming the options, and what to set instead */
  readonly reason: string;
}

/** s390's PFAULT_DONE: a floating interrupt handled by `pfault_interrupt`, which finds its task by pid. */
const pfaultDone = (d: DesignOptions): boolean => d.pageReady === 'floating-interrupt';

export const COMBINATION_RULES: readonly CombinationRule[] = [
  {
    id: 'pfault-pair',
    options: ['notPresent', 'pageReady'],
    refuses: (d) => (d.notPresent === 'external-interrupt') !== pfaultDone(d),
    reason:
      "s390's pfault_interrupt takes PFAULT_INIT and PFAULT_DONE (notPresent 'external-interrupt', pageReady 'floating-interrupt') as two subcodes of one handler that keeps the waiter in thread.pfault_wait, while the #PF, SDEI and page-ready interrupt handlers file sleeper nodes by token (kvm_async_pf_task_wait_schedule) that a PFAULT_DONE never looks up: set both or neither",
  },
  {
    id: 'pid-token',
    options: ['guestToken', 'pageReady'],
    refuses: (d) => (d.guestToken === 'current-pid') !== pfaultDone(d),
    reason:
      "guestToken 'current-pid' is s390's pfault token, the pid the guest registered, which only PFAULT_DONE's handler reads (pageReady 'floating-interrupt', find_task_by_pid_ns); the other page-ready handlers look the host's token up (kvm_async_pf_task_wake): set 'current-pid' exactly with 'floating-interrupt'",
  },
  {
    id: 'token-in-interrupt',
    options: ['slotLayout', 'notPresent'],
    refuses: (d) => (d.slotLayout === 'none') !== (d.notPresent === 'external-interrupt'),
    reason:
      "slotLayout 'none' (no struct kvm_vcpu_pv_apf_data: the token travels in the interrupt, s390's ext_params2) goes with notPresent 'external-interrupt' only: the #PF, data abort and SDEI handlers read flags or reason (and the SDEI token) from the shared area, and PFAULT_INIT carries its token itself",
  },
  {
    id: 'ack-without-slot',
    options: ['slotLayout', 'ack'],
    refuses: (d) => d.slotLayout === 'none' && d.ack !== 'none',
    reason: "slotLayout 'none' has no shared slot for an ACK to free (MSR_KVM_ASYNC_PF_ACK and IRQ_ACK tell the host the slot is free again): set ack 'none'",
  },
  {
    id: 'sdei-user-mode',
    options: ['notPresent', 'userOnlyUnlessSendAlways', 'guestSetsSendAlways'],
    refuses: (d) => d.notPresent === 'sdei' && (!d.userOnlyUnlessSendAlways || d.guestSetsSendAlways),
    reason:
      "the SDEI not-present is raised for user mode only (kvm_arch_async_not_present_allowed, §5): its handler records the fault and leaves the sleep to do_notify_resume on the way back to user, where the model sends the task at once; kernel code it interrupted would run on first (and touch the page again), which the model does not follow: set userOnlyUnlessSendAlways true and guestSetsSendAlways false",
  },
  {
    id: 'page-ready-same-exception',
    options: ['pageReady', 'notPresent'],
    refuses: (d) => d.pageReady === 'exception' && d.notPresent !== 'exception',
    reason:
      "pageReady 'exception' is the not-present exception again, told apart by reason (pre-5.8 x86 #PF, RFCv1 data abort): it needs notPresent 'exception'; an SDEI or external-interrupt not-present has no exception to share, so set pageReady 'interrupt' or 'floating-interrupt'",
  },
  {
    id: 'page-ready-exception-reason',
    options: ['pageReady', 'slotLayout'],
    refuses: (d) => d.pageReady === 'exception' && d.slotLayout !== 'single',
    reason:
      "pageReady 'exception' is told apart from not-present by the one reason u32 (kvm_read_and_reset_pf_reason: PAGE_NOT_PRESENT or PAGE_READY), so it needs slotLayout 'single'; the split layout writes page-ready into token, which the exception handler never reads",
  },
  {
    id: 'page-ready-from-worker',
    options: ['completion', 'pageReady'],
    refuses: (d) => (d.completion === 'direct' && d.pageReady === 'interrupt') || (d.completion === 'scan' && pfaultDone(d)),
    reason:
      "completion 'direct' (CONFIG_KVM_ASYNC_PF_SYNC: async_pf_execute calls kvm_arch_async_page_present) is modelled for s390's floating PFAULT_DONE and for pageReady 'exception' (RFCv1's data abort, the pre-5.8 #PF); an interrupt page-ready (x86 APIC vector, arm64 PPI) is modelled only as raised by the vCPU's kvm_check_async_pf_completion, and that scan has no floating-interrupt raise in the model (an s390 without ASYNC_PF_SYNC is not expressible): set completion 'scan' for pageReady 'interrupt', 'direct' for 'floating-interrupt'",
  },
  {
    id: 'cancel-needs-scan',
    options: ['cancelPendingNotPresent', 'completion'],
    refuses: (d) => d.cancelPendingNotPresent !== 'never' && d.completion === 'direct',
    reason:
      "cancelPendingNotPresent is the vCPU's kvm_arch_async_page_present cancelling a not-present still pending instead of raising page-ready (kvm_sdei_cancel, 9a6e7c39810e); with completion 'direct' the worker raised page-ready before the vCPU saw the item: set cancelPendingNotPresent 'never' or completion 'scan'",
  },
  {
    id: 'exception-in-ack-window',
    options: ['pageReady', 'interruptsGate', 'completion', 'ack', 'dummyAllocUnlocked'],
    refuses: (d) => pageReadyLandsInLockedSections(d) && (d.ack !== 'none' || d.dummyAllocUnlocked),
    reason:
      "a page-ready exception injected without waiting for IF=1 (pageReady 'exception' with interruptsGate false, or raised by the worker, completion 'direct') can land anywhere in the page-ready handler, and the model nests one only where RFCv1's handler can be interrupted (machines/README.md 3a): not between the token clear and the ACK write (ack 'msr' / 'hypercall'), nor in dummyAllocUnlocked's allocation with the bucket lock dropped; set ack 'none' and dummyAllocUnlocked false, or interruptsGate true with completion 'scan'",
  },
  {
    id: 'one-architecture',
    options: ['exceptionEntryWindow', 'x86PlatformEvents'],
    refuses: (d) => d.exceptionEntryWindow && d.x86PlatformEvents,
    reason:
      "exceptionEntryWindow is arm64's two-step exception entry (the vector table, then kernel_entry saving ELR_EL1) and x86PlatformEvents are x86's SMM, LAPIC and nested VMX (a not-present for L2 as a #PF VM-exit): no CPU has both, so set one of them false",
  },
  {
    id: 'offline-wake-list',
    options: ['offlineWake', 'pageReady'],
    refuses: (d) => (d.offlineWake === 'all-cpus' && !pfaultDone(d)) || (d.offlineWake === 'local' && pfaultDone(d)),
    reason:
      "offlineWake 'all-cpus' is s390's pfault_cpu_dead walking pfault_list (pageReady 'floating-interrupt'), 'local' is x86's apf_task_wake_all walking this CPU's sleeper table (the other page-ready kinds): set the one whose list the guest's waiters are on, or 'none'",
  },
  {
    id: 'token-ids',
    options: ['tokenShift'],
    refuses: (d) => d.tokenShift > 24,
    reason:
      'tokenShift above 24 leaves fewer than 256 ids per vCPU in the u32 token (alloc_apf_token: id << tokenShift | vcpu_id); the model allocates the lowest free id and takes ids never to wrap, which needs room for up to 64 work items (ASYNC_PF_PER_VCPU) and the dummy nodes of the sleeper table: x86 uses 12, RFCv1 16',
  },
];

/** `notPresent 'exception', pageReady 'floating-interrupt'`: the options a rule reads, with the design's values. */
function optionValues(design: DesignOptions, options: readonly DesignOptionName[]): string {
  return options.map((o) => `${o} ${typeof design[o] === 'string' ? `'${design[o]}'` : String(design[o])}`).join(', ');
}

/**
 * Why the model refuses the design's combination of options, in one line (`options A 'x', B 'y': reason`, the first
 * rule it breaks), or undefined if it takes it.
 */
export function combinationProblem(design: DesignOptions): string | undefined {
  const rule = COMBINATION_RULES.find((r) => r.refuses(design));
  return rule === undefined ? undefined : `options ${optionValues(design, rule.options)}: ${rule.reason}`;
}

/** Looks up a built-in design; undefined if there is none of that name. */
function builtInDesign(name: string): DesignOptions | undefined {
  return DESIGNS.find((d) => d.name === name);
}

/** Looks up a built-in design; throws naming the valid ones (for code that knows the name exists: tests, benches). */
export function designByName(name: string): DesignOptions {
  const found = builtInDesign(name);
  if (found === undefined) throw new Error(`unknown design '${name}': valid designs are ${DESIGNS.map((d) => d.name).join(', ')}`);
  return found;
}
