/**
 * Guest handler, one per vCPU: the Linux guest side of async PF
 * (`arch/x86/kernel/kvm.c`, RFCv1 `arch/arm64/mm/fault.c`, SDEI design
 * `arch/arm64/kernel/kvm.c`; reference §2.3, §2.4, §3, §5).
 *
 * It holds the CPU context of the running code, the tasks pinned to this CPU,
 * and this CPU's share of the sleeper table (`async_pf_sleepers`; page-ready
 * is raised on the faulting vCPU and tasks do not migrate, so each token's
 * nodes live in its own CPU's share: see machines/README.md).
 */
import { and, assign, emit, enqueueActions, not, setup } from 'xstate';
import { pageReadyLandsInLockedSections, type DesignOptions } from './design.js';
import { REASON_NOT_PRESENT, REASON_PAGE_READY, WAKE_ALL } from './host.js';
import { permuted, type Renaming } from './renaming.js';
import type { Send } from './routing.js';

export type TaskStatus =
  /** on the run queue */
  | 'runnable'
  /** the CPU's current task */
  | 'running'
  /** in `kvm_async_pf_task_wait_schedule` / `do_notify_resume`, off the run queue */
  | 'sleeping'
  /** pre-5.8/RFCv1 kernel-mode wait that cannot schedule: halts the CPU (`native_safe_halt` / `wfi`) */
  | 'halted'
  /** nested: L1's vCPU thread, preempted in its exit window, runs on another CPU (scope `migration`) */
  | 'away';

export interface GuestTask {
  readonly status: TaskStatus;
  /** SDEI design: `TIF_ASYNC_PF` set by the SDEI handler, cleared by the PPI handler */
  readonly tif: boolean;
  /**
   * s390 `tsk->thread.pfault_wait`: 0 idle; 1 PFAULT_INIT seen, on `pfault_list`, should sleep; -1 the completion came
   * first (arch/s390/mm/pfault.c). Always 0 in the other designs.
   */
  readonly pfaultWait: -1 | 0 | 1;
}

/** `struct kvm_task_sleep_node` in this CPU's buckets. */
export interface SleepNode {
  readonly token: number;
  /** local task index, or -1 for a dummy node filed by a wake that came first */
  readonly task: number;
}

/** The async event a guest handler is working on: token (CR2/FAR or area) and reason (flags/reason). */
export interface HandledEvent {
  readonly token: number;
  readonly reason: number;
}

/** Why a guest died. */
export type PanicCause =
  | 'elr-clobbered'
  | 'eret-clobbered'
  | 'esr-clobbered'
  | 'irqs-disabled'
  | 'kernel-mode'
  | 'double-fault'
  | 'pfault-kernel-mode'
  | 'bucket-self-deadlock'
  | 'rq-self-deadlock'
  | 'dummy-leak';

/** What the guest prints (x86 messages are the kernel's own). */
export const PANIC_MESSAGES: Readonly<Record<PanicCause, string>> = {
  'elr-clobbered': 'data abort injected before kernel_entry saved ELR_EL1: the interrupted return address is lost',
  // not the kernel's words: the eret goes back into kernel_exit, whose loads and eret run again from a popped stack
  'eret-clobbered': 'data abort injected in kernel_exit after it restored ELR_EL1/SPSR_EL1 for the eret: the return address and saved PSTATE are overwritten, the return state is lost',
  // not the kernel's words: the guest runs on (el0_inv -> bad_el0_sync, SIGILL for the task); the model stops following it
  'esr-clobbered': 'data abort injected after kernel_entry saved ELR_EL1, before the handler read ESR_EL1 (el0_sync_handler/el1_sync_handler) and FAR_EL1 (el0_da/el1_abort): the syndrome of the exception being entered is overwritten (a syscall\'s EC SVC64 reads as DABT_CUR: el0_inv, SIGILL; the syscall is lost)',
  'irqs-disabled': 'Host injected async #PF in interrupt disabled region',
  'kernel-mode': 'Host injected async #PF in kernel mode',
  'double-fault': 'double fault: a #PF was queued while a #PF was pending',
  // not the kernel's words: nothing in the s390 guest checks; the model stops following a guest whose state is corrupt
  'pfault-kernel-mode': 'PFAULT_INIT taken in kernel mode: pfault_interrupt overwrites the state of a kernel context it assumes is user space',
  // a raw spinlock does not recurse: the vCPU spins for good (the guest does not die; the model stops following it)
  'bucket-self-deadlock': 'a page-ready landed while the code it interrupted held the sleeper-bucket lock its handler takes: raw_spin_lock spins forever on this CPU',
  'rq-self-deadlock': 'a page-ready landed in __schedule() with this CPU\'s rq->lock held, and its waker wakes a task of this CPU: try_to_wake_up spins on rq->lock forever',
  // not the kernel's words: the guest runs on, leaking a kzalloc'd node per page-ready; the model stops following it
  'dummy-leak': 'the sleeper table would hold more nodes than its tasks and the host\'s outstanding completions explain: dummy nodes filed for not-presents that never come are never freed',
};

export interface GuestContext {
  readonly vcpu: number;
  /** the host's ASYNC_PF_PER_VCPU (SDEI `SLOTS`) */
  readonly slots: number;
  /** per-CPU `async_pf_enabled` (older: `apf_reason.enabled`) */
  readonly apfEnabled: boolean;
  /** CPL 3 / EL0 (arm64 in `kernelExit`: the mode its `eret` returns to, SPSR_EL1.M; the PC itself is at EL1) */
  readonly user: boolean;
  /** IF / PSTATE.I clear */
  readonly irqsOn: boolean;
  /** `preemptible()`: preempt count zero, not in an RCU read side */
  readonly preemptible: boolean;
  readonly tasks: readonly GuestTask[];
  /** local index of the current task, -1 in the idle loop / scheduler */
  readonly current: number;
  readonly nodes: readonly SleepNode[];
  /** the async event being handled (arm64: also while it is entered through the vectors) */
  readonly handling: HandledEvent | null;
  /** nested: the token of a #PF VM-exit L1's KVM has read (`host_apf_flags`) but not yet handled */
  readonly nestedToken: number | null;
  /**
   * nested + migration: this CPU's L1 vCPU thread (local task `task`) moved to another CPU
   * before `kvm_handle_page_fault` for `token`; the token's sleeper node still goes into this
   * CPU's share of the table (the share is the token's: x86 tokens carry the vCPU id)
   */
  readonly awayWaiter: { readonly task: number; readonly token: number } | null;
  /** why the guest died, null while alive */
  readonly panic: PanicCause | null;
  /** the `cpuhp/N` thread is in the offline callback (IRQs saved off, APF still on): a handler returns there */
  readonly cpuhp: boolean;
  /**
   * The token whose sleeper-table bucket lock (`raw_spin_lock(&b->lock)`) the handler holds at an interleaving point
   * (`WAKE_ALL`: the wake-all's walk over every bucket), or null. Only where a page-ready can land there
   * (`pageReadyLandsInLockedSections`).
   */
  readonly bucketHeld: number | null;
  /** the frames of the handlers nested page-readies interrupted, innermost last (saved on the stack) */
  readonly interrupted: readonly InterruptedFrame[];
  /**
   * The local task `__schedule` is switching to (-1: the idle task) while it holds this CPU's `rq->lock` with IRQs
   * off, or null. Only where a page-ready can land there (`pageReadyLandsInLockedSections`).
   */
  readonly rqNext: number | null;
}

/** A handler a nested page-ready interrupted: its event, and where it was (before or after taking its bucket lock). */
export interface InterruptedFrame {
  readonly event: HandledEvent;
  readonly at: 'reasonRead' | 'bucketLocked';
}

export type GuestEvent =
  /** the scheduler switches to local task `task` (from idle, or preempting the current one) */
  | { type: 'SCHEDULE'; task: number }
  /** the async #PF / data-abort handler runs: x86 `reason` is the flags value read-and-zeroed */
  | { type: 'ASYNC_EXCEPTION'; token: number; reason: number }
  /** arm64: branch from the vector table to `el1_sync`/`el0_sync` (PC leaves the window) */
  | { type: 'LEAVE_VECTORS' }
  /** arm64: `kernel_entry` has saved ELR_EL1/SPSR_EL1 (`mrs x22, elr_el1; mrs x23, spsr_el1`); ESR_EL1/FAR_EL1 still unread */
  | { type: 'KERNEL_ENTRY_DONE' }
  /** arm64: `el0_sync_handler`/`el1_sync_handler` read ESR_EL1 (an abort's `el0_da`/`el1_abort` FAR_EL1): the handler, or the syscall, runs */
  | { type: 'SYNDROME_READ' }
  /** arm64 `kernel_exit`: x0-x30 loaded from `pt_regs`, `eret` with the ELR_EL1/SPSR_EL1 it restored */
  | { type: 'ERET' }
  /** SDEI design: the SDEI not-present handler runs with the area's reason and token */
  | { type: 'SDEI_EVENT'; token: number; reason: number }
  /** page-ready interrupt handler (x86 `sysvec_kvm_asyncpf_interrupt`, SDEI PPI handler) with the area's token/reason */
  | { type: 'PAGE_READY_IRQ'; token: number; reason: number }
  /** the handler writes the ACK (MSR_KVM_ASYNC_PF_ACK / IRQ_ACK hypercall) */
  | { type: 'ACK_WRITTEN' }
  /** #DF from two #PFs */
  | { type: 'DOUBLE_FAULT' }
  | { type: 'IRQ_OFF' }
  | { type: 'IRQ_ON' }
  | { type: 'ENTER_KERNEL' }
  | { type: 'RETURN_TO_USER' }
  /** SDEI design: the self reschedule IPI, then `do_notify_resume` on the way back to user */
  | { type: 'NOTIFY_RESUME' }
  /** nested: L0 delivered not-present to this (L1) CPU as a #PF VM-exit of the L2 it was running */
  | { type: 'NESTED_PF_VMEXIT'; token: number }
  /** nested: L1's `kvm_handle_page_fault` runs for the saved `host_apf_flags` */
  | { type: 'L1_HANDLE_PAGE_FAULT' }
  /** nested + migration: L1's vCPU thread is preempted in its exit window and goes on on another CPU */
  | { type: 'L1_MIGRATE' }
  /** nested + migration: the migrated L1 thread, on the other CPU, runs `kvm_handle_page_fault` */
  | { type: 'L1_REMOTE_HANDLE_PAGE_FAULT' }
  /** `kvm_async_pf_task_wake` (dummyAllocUnlocked): the dummy allocated outside the lock is hashed */
  | { type: 'DUMMY_ALLOCATED' }
  | { type: 'PREEMPT_OFF' }
  | { type: 'PREEMPT_ON' }
  /** RFCv1 P1 / waker step 2: the handler takes its sleeper-bucket lock */
  | { type: 'BUCKET_LOCK' }
  /** the handler has done its work under the sleeper-bucket lock and `raw_spin_unlock`s it */
  | { type: 'BUCKET_UNLOCK' }
  /** `context_switch` to the task `__schedule` picked, then `finish_task_switch` unlocks `rq->lock` */
  | { type: 'RQ_UNLOCK' }
  /** CPU offline begins: the `cpuhp/N` thread saves IRQs off and makes the callback's first exits */
  | { type: 'CPU_DOWN_PREPARE' }
  /** `kvm_guest_cpu_offline`: disable APF, wake local sleepers (s390 `pfault_fini` and `pfault_cpu_dead`), restore IRQs */
  | { type: 'CPU_OFFLINE' }
  /** s390 `pfault_interrupt` completion (run on whichever CPU took the floating PFAULT_DONE) for this CPU's local task `task`; `token` names the work item for the observer only */
  | { type: 'PFAULT_DONE'; task: number; token: number }
  /** s390 `pfault_cpu_dead` (another CPU went offline): every task on `pfault_list` is woken */
  | { type: 'PFAULT_CPU_DEAD' }
  /** `kvm_guest_cpu_init`: enable APF */
  | { type: 'CPU_ONLINE' };

/** What the page-ready handler did with a token. */
export type PageReadyOutcome = 'woken' | 'dummy-unhashed' | 'dummy-filed' | 'dropped' | 'ignored';

/** Effects the guest reports to the composed system. */
export type GuestEffect =
  /** store 0 to the area's reason/flags and/or token */
  | { type: 'area.clear'; reason: boolean; token: boolean }
  /** the guest saw not-present(token): slept, consumed a dummy or was recorded */
  | { type: 'notPresent.seen'; token: number; outcome: 'sleeping' | 'dummy-consumed' | 'halted' | 'recorded' | 'rejected' }
  /** the guest saw page-ready(token) */
  | { type: 'pageReady.seen'; token: number; outcome: PageReadyOutcome }
  /** `apf_task_wake_all` on this CPU woke these tokens' sleepers */
  | { type: 'wakeAll.local'; tokens: readonly number[] }
  /** write MSR_KVM_ASYNC_PF_EN / sysreg / SMCCC: enable (with SEND_ALWAYS?) or disable */
  | { type: 'apf.enable'; sendAlways: boolean }
  | { type: 'apf.disable' }
  /** the ACK write reaches the host */
  | { type: 'ack' }
  | Send;

export interface GuestInput {
  readonly vcpu: number;
  readonly taskCount: number;
  /** the host's ASYNC_PF_PER_VCPU, as the SDEI guest learns it (`SLOTS`) */
  readonly slots: number;
  /**
   * The boot CPU is still in `start_kernel`, past `smp_prepare_boot_cpu` (APF on) and before `setup_local_APIC`: task 0
   * is the boot thread, in kernel mode and not preemptible (the preempt count start_kernel holds until `rest_init`),
   * with IRQs on (`local_irq_enable` comes before `late_time_init`). It becomes an ordinary task once its LAPIC is on.
   */
  readonly bootThread: boolean;
}

/** What the context factory gets for an actor built without input whose context nobody reads (see host.ts). */
const THROWAWAY_INPUT: GuestInput = { vcpu: 0, taskCount: 1, slots: 1, bootThread: false };

/** The initial guest CPU: APF enabled at boot (`kvm_guest_cpu_init`), task 0 running in user mode (or the boot thread), the rest runnable (no task: the idle loop). */
export function initialGuestContext(input: GuestInput): GuestContext {
  return {
    vcpu: input.vcpu,
    slots: input.slots,
    apfEnabled: true,
    user: !input.bootThread,
    irqsOn: true,
    preemptible: !input.bootThread,
    tasks: Array.from({ length: input.taskCount }, (_, i) => ({ status: i === 0 ? 'running' : 'runnable', tif: false, pfaultWait: 0 })),
    current: input.taskCount > 0 ? 0 : -1,
    nodes: [],
    handling: null,
    nestedToken: null,
    awayWaiter: null,
    panic: null,
    cpuhp: false,
    bucketHeld: null,
    interrupted: [],
    rqNext: null,
  };
}

type Ctx = GuestContext;

const setTask = (tasks: readonly GuestTask[], index: number, patch: Partial<GuestTask>): GuestTask[] =>
  tasks.map((t, i) => (i === index ? { ...t, ...patch } : t));

/**
 * `hlist_add_head` into the token's bucket. Order within the table carries no
 * meaning (lookups are by token), so nodes are kept sorted by (token, task):
 * states that differ only in insertion order are one state.
 */
const hashNode = (nodes: readonly SleepNode[], node: SleepNode): SleepNode[] =>
  [...nodes, node].sort((a, b) => a.token - b.token || a.task - b.task);

/** Wakes the sleeper of `node` (if it is one): back on the run queue, or back to running from the halt loop. */
const wakeNode = (tasks: readonly GuestTask[], node: SleepNode): GuestTask[] => {
  if (node.task < 0) return [...tasks];
  const status = tasks[node.task]?.status;
  if (status === 'sleeping') return setTask(tasks, node.task, { status: 'runnable', tif: false });
  if (status === 'halted') return setTask(tasks, node.task, { status: 'running', tif: false });
  return setTask(tasks, node.task, { tif: false });
};

/** `schedule()` switches to local task `next`: the current task (if any) goes back on the run queue; `next` resumes in user mode with IRQs on. */
function switched(context: GuestContext, next: number): Partial<GuestContext> {
  const tasks = context.current >= 0 ? setTask(context.tasks, context.current, { status: 'runnable' }) : [...context.tasks];
  return { tasks: setTask(tasks, next, { status: 'running' }), current: next, user: true, irqsOn: true, preemptible: true };
}

/** Every token the guest context refers to: sleeper nodes, the event being handled, a nested or migrated waiter's. */
export function guestTokens(c: GuestContext): number[] {
  const out = c.nodes.map((n) => n.token);
  if (c.handling !== null) out.push(c.handling.token);
  if (c.nestedToken !== null) out.push(c.nestedToken);
  if (c.awayWaiter !== null) out.push(c.awayWaiter.token);
  if (c.bucketHeld !== null) out.push(c.bucketHeld);
  for (const frame of c.interrupted) out.push(frame.event.token);
  return out;
}

/** The guest context under a renaming of vCPUs, tokens and this CPU's tasks (nodes kept in their canonical order). */
export function renameGuest(c: GuestContext, r: Renaming): GuestContext {
  const task = (i: number): number => (i < 0 ? i : r.task(i));
  const nodes = c.nodes.map((n) => ({ token: r.token(n.token), task: task(n.task) }));
  return {
    ...c,
    vcpu: r.vcpu(c.vcpu),
    tasks: permuted(c.tasks, r.task),
    current: task(c.current),
    nodes: nodes.sort((a, b) => a.token - b.token || a.task - b.task),
    handling: c.handling === null ? null : { ...c.handling, token: r.token(c.handling.token) },
    nestedToken: c.nestedToken === null ? null : r.token(c.nestedToken),
    awayWaiter: c.awayWaiter === null ? null : { task: task(c.awayWaiter.task), token: r.token(c.awayWaiter.token) },
    bucketHeld: c.bucketHeld === null ? null : r.token(c.bucketHeld),
    interrupted: c.interrupted.map((f) => ({ ...f, event: { ...f.event, token: r.token(f.event.token) } })),
    rqNext: c.rqNext === null ? null : task(c.rqNext),
  };
}

/** Builds the guest machine of a design. */
export function createGuestMachine(design: DesignOptions) {
  type Async = Extract<GuestEvent, { type: 'ASYNC_EXCEPTION' | 'SDEI_EVENT' | 'PAGE_READY_IRQ' }>;
  const handled = (context: Ctx): HandledEvent => {
    if (context.handling === null) throw new Error(`guest cpu${context.vcpu}: handler runs without an event`);
    return context.handling;
  };
  const tokenOf = (context: Ctx): number => handled(context).token;
  const reasonOf = (context: Ctx): number => handled(context).reason;

  /**
   * CPU hotplug, from a task or the idle loop (the `cpuhp/N` thread runs the callbacks). Offline starts with IRQs
   * saved off (`kvm_cpu_down_prepare`: `local_irq_save`; s390 `__cpu_disable` under stop_machine) and the callback's
   * first exits (x86 `kvm_disable_steal_time`, the PV-EOI `wrmsr`). Online: `kvm_guest_cpu_init`.
   */
  const HOTPLUG = {
    CPU_DOWN_PREPARE: { target: 'cpuhpOffline', actions: 'enterCpuhp' },
    CPU_ONLINE: { actions: ['enableApf', 'reportEnable'] },
  } as const;

  /**
   * Entry into the design's async-PF handlers, holding the event for the handler (§2.4 guest column).
   * Not-present only ever interrupts the task that faulted; page-ready can interrupt anything.
   */
  /**
   * A page-ready landing in `__schedule`, or in a handler nested above it: its waker's `try_to_wake_up` needs this CPU's
   * `rq->lock`, which the code below holds (locks-and-delivery §2.3).
   */
  /**
   * arm64: an injected data abort (`inject_abt64`) lands where a register it writes is still live (ELR_EL1/SPSR_EL1
   * not yet saved, or restored for the `eret`): the return state is lost and the guest with it.
   */
  const lost = (cause: 'elr-clobbered' | 'eret-clobbered') =>
    ({ target: 'panicked', actions: [{ type: 'panic', params: { cause } }, 'crashShutdown'] }) as const;

  const RQ_SELF_DEADLOCK = {
    guard: and(['inScheduler', 'wakesTaskHere']),
    target: 'panicked',
    actions: { type: 'stopFollowing', params: { cause: 'rq-self-deadlock' } },
  } as const;

  /**
   * Where a handler goes when it is done: the exception / interrupt return. On arm64 that is `kernel_exit` (state
   * `kernelExit`: ELR_EL1/SPSR_EL1 restored, the `eret` still to come), then the code it returns to (`returning`); on
   * x86 and s390 the return is one instruction (`iret` / `lpswe`), taken at once.
   */
  const RETURN = design.exceptionEntryWindow ? 'kernelExit' : 'returning';

  const handlerEntries = (from: 'running' | 'idle' | 'apfHalt' | 'irqsMasked') => {
    const exceptionTarget = design.exceptionEntryWindow ? 'vectors' : 'handlingException';
    const entries: Record<string, { target: string; actions: 'holdEvent' }> = {};
    // not-present (an exception, or s390's PFAULT_INIT external interrupt) only interrupts the running task that faulted
    const notPresentHere = from === 'running' && design.notPresent !== 'sdei';
    const exceptionCarriesEvent = notPresentHere || design.pageReady === 'exception';
    if (exceptionCarriesEvent) {
      /** the async #PF / data abort is delivered (arm64: into the vectors) */
      entries['ASYNC_EXCEPTION'] = { target: exceptionTarget, actions: 'holdEvent' };
    }
    if (from === 'running' && design.notPresent === 'sdei') {
      /** SDEI not-present event (taken even with IRQs masked) */
      entries['SDEI_EVENT'] = { target: 'handlingSdei', actions: 'holdEvent' };
    }
    if (design.pageReady === 'interrupt' && from !== 'irqsMasked') {
      /** page-ready interrupt (x86 `sysvec_kvm_asyncpf_interrupt`, SDEI design PPI) */
      entries['PAGE_READY_IRQ'] = { target: 'handlingPageReady', actions: 'holdEvent' };
    }
    return entries;
  };

  return setup({
    types: {
      context: {} as GuestContext,
      events: {} as GuestEvent,
      input: {} as GuestInput,
      emitted: {} as GuestEffect,
    },
    guards: {
      /** the async #PF / data abort carries not-present (`flags`/`reason` == KVM_PV_REASON_PAGE_NOT_PRESENT). */
      isNotPresent: ({ context }) => reasonOf(context) === REASON_NOT_PRESENT,
      /** the data abort / #PF carries page-ready (pre-5.8 x86, RFCv1: `reason` == KVM_PV_REASON_PAGE_READY). */
      isPageReady: ({ context }) => reasonOf(context) === REASON_PAGE_READY,
      /** v5.8+ x86 `__kvm_handle_async_pf` dies on a not-present in a context it cannot sleep in (3a7c8fafd1b4). */
      panicsOnBadContext: () => design.kernelModeNotPresent === 'panic',
      /** per-CPU `async_pf_enabled` is false (CPU offline, or crashed). */
      apfOff: ({ context }) => !context.apfEnabled,
      /** `__kvm_handle_async_pf`: `!(regs->flags & X86_EFLAGS_IF)`, the event interrupted code with IF=0. */
      interruptsDisabled: ({ context }) => !context.irqsOn,
      /** `__kvm_handle_async_pf`: `!user_mode(regs)`, the event interrupted kernel code. */
      inKernelMode: ({ context }) => !context.user,
      /** arm64 `el1_sync`/`el0_sync` after `kernel_entry`: an async data abort goes to `do_mem_abort`, a syscall to `el0_svc` (§3). */
      enteringAsyncEvent: ({ context }) => context.handling !== null,
      /** arm64: exceptions enter through the vectors and `kernel_entry`. */
      entersThroughVectors: () => design.exceptionEntryWindow,
      /** arm64: exceptions (and a task's way back to user after `schedule()`) return through `kernel_exit` and `eret`. */
      returnsThroughKernelExit: () => design.exceptionEntryWindow,
      /** a dummy node for this token exists: the wake came first (§2.6). */
      dummyFiled: ({ context }) => context.nodes.some((n) => n.token === tokenOf(context) && n.task < 0),
      /** the waiter may `schedule()`: user mode, or pre-5.8/RFCv1 kernel code that is preemptible (IRQs on, no preempt count) and not the idle task. */
      canSchedule: ({ context }) => context.current >= 0 && (context.user || (context.preemptible && context.irqsOn)),
      /** `kvm_async_pf_task_wake`: `token == ~0` means `apf_task_wake_all` (§2.6). */
      isWakeAll: ({ context }) => tokenOf(context) === WAKE_ALL,
      /** `_find_apf_task`: a node (sleeper or dummy) for this token. */
      nodeFound: ({ context }) => context.nodes.some((n) => n.token === tokenOf(context)),
      /** `kvm_async_pf_task_wake` files a dummy when no node exists. */
      filesDummy: () => design.dummyNodes,
      /** exception/IRQ return (`irqentry_exit`, arm64 `kernel_exit`) into a running task, or into the halted waiter it just woke. */
      returnsToTask: ({ context }) => context.tasks[context.current]?.status === 'running',
      /** return into the pre-5.8/RFCv1 `kvm_async_pf_task_wait` halt loop, whose waiter is still hashed (`native_safe_halt` / `wfi` again). */
      returnsToHaltLoop: ({ context }) => context.tasks[context.current]?.status === 'halted',
      /** the design acknowledges page-ready (x86 ACK MSR, SDEI IRQ_ACK). */
      hasAck: () => design.ack !== 'none',
      /** `kvm_async_pf_sdei_handler`: the per-CPU table (2 x the host's SLOTS) has room; else -ENOSPC (§5 step 2). */
      sdeiTableHasRoom: ({ context }) => context.nodes.length < 2 * context.slots,
      /**
       * Filing one more dummy would leave more nodes than sleepers (at most one per task) and dummies for completions
       * the host can have outstanding (at most `ASYNC_PF_PER_VCPU` = `slots`) explain: some dummy was filed for a
       * not-present that never comes, and `kzalloc`'d memory leaks with every page-ready like it. The model bounds the
       * table here so that such a design fails (no-dummy-leak) instead of growing without end.
       */
      tableOverflows: ({ context }) => context.nodes.length >= context.tasks.length + context.slots,
      /** a page-ready can land while this handler holds its bucket lock, and no outer handler holds one (a nested handler runs to its end in one step) */
      locksInWindow: ({ context }) => pageReadyLandsInLockedSections(design) && context.bucketHeld === null,
      /**
       * The nested page-ready's waker takes the bucket of its token (`hash_32(token, 8)`), a wake-all every bucket in
       * turn: the held token again, or a wake-all on either side, needs the held lock (with APF on: `do_lockdown` looks
       * at the reason only if `apf_data.enabled`). Two different tokens sharing a bucket (1 in 256) is not modelled.
       */
      needsHeldBucket: ({ context, event }) => {
        const token = (event as Async).token;
        return context.apfEnabled && (token === context.bucketHeld || token === WAKE_ALL || context.bucketHeld === WAKE_ALL);
      },
      /** return from a nested handler into the one it interrupted, before its bucket lock */
      returnsToReasonRead: ({ context }) => context.interrupted.at(-1)?.at === 'reasonRead',
      /** return from a nested handler into the one it interrupted, still holding its bucket lock */
      returnsToLockHolder: ({ context }) => context.interrupted.at(-1)?.at === 'bucketLocked',
      /** `__schedule` takes `rq->lock` with IRQs off, where a page-ready can still land (RFCv1 P6, locks-and-delivery §2.2) */
      schedulesUnderLock: () => pageReadyLandsInLockedSections(design),
      /**
       * The page-ready's waker would `swake_up_one` a task of this CPU (its token's sleeper, or any sleeper for a
       * wake-all): `try_to_wake_up` then takes this CPU's `rq->lock` (`ttwu_queue`; `ttwu_remote` when still queued).
       * The model takes `select_task_rq` keeping the task on its CPU, as it must with one vCPU (locks-and-delivery §2.3).
       * A halted waiter gets `smp_send_reschedule`, which takes no lock; with APF off `do_lockdown` wakes nobody.
       */
      wakesTaskHere: ({ context, event }) => {
        const token = (event as Async).token;
        return context.apfEnabled && context.nodes.some((n) => n.task >= 0 && (token === WAKE_ALL || n.token === token) && context.tasks[n.task]?.status === 'sleeping');
      },
      /** `__schedule` is switching to the idle task */
      switchesToIdle: ({ context }) => context.rqNext === -1,
      /** the code below this handler is `__schedule`, holding `rq->lock` (a return goes back there) */
      inScheduler: ({ context }) => context.rqNext !== null,
      /** exception return into the offline callback the event interrupted. */
      returnsToCpuhp: ({ context }) => context.cpuhp,
      /** exception/IRQ return into L1's exit path, which still has to run `kvm_handle_page_fault`. */
      returnsToNestedExit: ({ context }) => context.nestedToken !== null,
      /** `kvm_async_pf_queue_task` in L1 finds the dummy a page-ready left in the exit window. */
      nestedDummyFiled: ({ context }) => context.nodes.some((n) => n.token === context.nestedToken && n.task < 0),
      /** the migrated L1 thread's `kvm_async_pf_queue_task` finds a dummy for its token. */
      awayDummyFiled: ({ context }) => context.nodes.some((n) => n.token === context.awayWaiter?.token && n.task < 0),
      /** this CPU's L1 thread is away and has not yet handled its #PF VM-exit. */
      hasAwayWaiter: ({ context }) => context.awayWaiter !== null,
      /** the rejected first version of 0547758a6de3: the dummy is allocated with the bucket lock dropped. */
      allocatesUnlocked: () => design.dummyAllocUnlocked,
      /** s390 `pfault_interrupt`, initial branch: the external interrupt carries PFAULT_INIT. */
      pfaultInit: ({ context }) => design.notPresent === 'external-interrupt' && reasonOf(context) === REASON_NOT_PRESENT,
      /** s390 `pfault_wait == -1`: the completion for this task came before its initial interrupt. */
      completionCameFirst: ({ context }) => context.tasks[context.current]?.pfaultWait === -1,
      /** s390: the task still has `pfault_wait == 1` when it reaches `schedule()` on its way back to user (no completion yet). */
      currentWaitsForPfault: ({ context }) => context.tasks[context.current]?.pfaultWait === 1,
      /** the way back to user is s390's `schedule()` with need_resched, not the SDEI design's `do_notify_resume`. */
      blocksOnNeedResched: () => design.notPresent === 'external-interrupt',
      /** s390 completion: the task waits (`pfault_wait == 1`, on `pfault_list`). */
      doneTaskWaits: ({ context, event }) => context.tasks[(event as Extract<GuestEvent, { type: 'PFAULT_DONE' }>).task]?.pfaultWait === 1,
      /** s390 completion: `task_is_running(tsk)` (TASK_RUNNING: on the run queue or running). */
      doneTaskRunning: ({ context, event }) => {
        const status = context.tasks[(event as Extract<GuestEvent, { type: 'PFAULT_DONE' }>).task]?.status;
        return status === 'running' || status === 'runnable';
      },
      /** `kvm_guest_cpu_offline` wakes this CPU's sleepers (`apf_task_wake_all`). */
      offlineWakesLocal: () => design.offlineWake === 'local',
      /** s390: the offline CPU's `pfault_cpu_dead` wakes every waiter of every CPU. */
      offlineWakesAll: () => design.offlineWake === 'all-cpus',
      /** the CPU has no task to run (it was placed with none) */
      noTask: ({ context }) => context.current < 0,
      /** `schedule()` / `pick_next_task`: the chosen task is on the run queue. */
      taskRunnable: ({ context, event }) =>
        context.tasks[(event as Extract<GuestEvent, { type: 'SCHEDULE' }>).task]?.status === 'runnable',
    },
    actions: {
      /** `panic()`: the guest is dead. */
      panic: assign((_, params: { cause: PanicCause }) => ({ panic: params.cause, apfEnabled: false })),
      /** the CPU is not dead and APF stays on (a raw spinlock spins for good; a leak runs on), but the model stops following it */
      stopFollowing: assign((_, params: { cause: PanicCause }) => ({ panic: params.cause })),
      /** `kvm_crash_shutdown` -> `kvm_pv_disable_apf` before kdump takes the memory (3d6b84132d2a); older guests leave APF on. */
      crashShutdown: enqueueActions(({ enqueue }) => {
        if (design.disablesApfOnCrash) enqueue.emit({ type: 'apf.disable' as const });
      }),
      /** the handler read-and-zeroes flags/reason (`kvm_read_and_reset_apf_flags`, RFCv1 `do_lockdown`). */
      clearReason: emit({ type: 'area.clear' as const, reason: true, token: false }),
      /** page-ready handler frees the slot: x86 `__this_cpu_write(apf_reason.token, 0)`; single-slot designs zero reason and token. */
      clearToken: emit({ type: 'area.clear' as const, reason: design.slotLayout === 'single', token: true }),
      /** SDEI handlers zero token and reason. */
      clearArea: emit({ type: 'area.clear' as const, reason: true, token: true }),
      /** `kvm_async_pf_task_wait_schedule`: consume the dummy, the task goes on (§2.6). */
      consumeDummy: assign(({ context }) => ({
        nodes: context.nodes.filter((n) => !(n.token === tokenOf(context) && n.task < 0)),
      })),
      /** insert node{token, cpu} under the bucket lock, task sleeps, `schedule()`. */
      sleepOnToken: assign(({ context }) => ({
        nodes: hashNode(context.nodes, { token: tokenOf(context), task: context.current }),
        tasks: setTask(context.tasks, context.current, { status: 'sleeping' }),
        current: -1,
      })),
      /** pre-5.8/RFCv1 kernel-mode wait that cannot schedule: insert node, halt the CPU with IRQs on. */
      haltOnToken: assign(({ context }) => ({
        nodes: hashNode(context.nodes, { token: tokenOf(context), task: context.current }),
        tasks: setTask(context.tasks, context.current, { status: 'halted' }),
      })),
      /** SDEI handler: record (current, token), set TIF_ASYNC_PF, self reschedule IPI. */
      recordForResume: assign(({ context }) => ({
        nodes: hashNode(context.nodes, { token: tokenOf(context), task: context.current }),
        tasks: setTask(context.tasks, context.current, { tif: true }),
      })),
      /** s390 `pfault_interrupt` (initial, `pfault_wait == -1`): set 0, the task goes on (`dummy-consumed`: the completion was waiting). */
      consumeEarlyCompletion: assign(({ context }) => ({ tasks: setTask(context.tasks, context.current, { pfaultWait: 0 }) })),
      /**
       * s390 `pfault_interrupt` (initial, `pfault_wait == 0`): `get_task_struct`, `pfault_wait = 1`, `list_add` to
       * `pfault_list`; then "block": TASK_UNINTERRUPTIBLE and need_resched, so the task sleeps in `schedule()` on its
       * way back to user (unless a completion wakes it first).
       */
      pfaultBlock: assign(({ context }) => ({ tasks: setTask(context.tasks, context.current, { pfaultWait: 1 }) })),
      /** s390 `pfault_interrupt` completion, `pfault_wait == 1`: set 0, `list_del`, `wake_up_process` (a sleeper goes back on the run queue). */
      pfaultWake: assign(({ context, event }) => {
        const task = (event as Extract<GuestEvent, { type: 'PFAULT_DONE' }>).task;
        const status = context.tasks[task]!.status === 'sleeping' ? 'runnable' : context.tasks[task]!.status;
        return { tasks: setTask(context.tasks, task, { pfaultWait: 0, status }) };
      }),
      /** s390 completion for a running task: `pfault_wait = -1` ("completion was faster"). */
      pfaultEarly: assign(({ context, event }) => ({ tasks: setTask(context.tasks, (event as Extract<GuestEvent, { type: 'PFAULT_DONE' }>).task, { pfaultWait: -1 }) })),
      /** trace point: what the s390 completion handler did with the work item's completion. */
      reportPfaultDone: emit(({ event }, params: { outcome: PageReadyOutcome }) => ({
        type: 'pageReady.seen' as const,
        token: (event as Extract<GuestEvent, { type: 'PFAULT_DONE' }>).token,
        outcome: params.outcome,
      })),
      /** s390 `pfault_cpu_dead`: `pfault_wait = 0`, `list_del`, `wake_up_process` for every task on `pfault_list`. */
      wakeAllPfaultWaiters: assign(({ context }) => ({
        tasks: context.tasks.map((t) => (t.pfaultWait === 1 ? { ...t, pfaultWait: 0 as const, status: t.status === 'sleeping' ? ('runnable' as const) : t.status } : t)),
      })),
      /** s390 `__cpu_disable` -> `pfault_fini`, then `pfault_cpu_dead` runs for the dead CPU: it reaches every CPU's waiters. */
      sendCpuDead: emit({ type: 'send' as const, address: { to: 'guests' as const }, event: { type: 'PFAULT_CPU_DEAD' } }),
      /** `do_notify_resume`: the task with TIF_ASYNC_PF sleeps until the PPI handler clears it. */
      sleepInNotifyResume: assign(({ context }) => ({
        tasks: setTask(context.tasks, context.current, { status: 'sleeping' }),
        current: -1,
      })),
      /** trace point: what the not-present handler did with the token (feeds the token lifecycle, §2.6 guest view). */
      reportNotPresent: emit(({ context }, params: { outcome: 'sleeping' | 'dummy-consumed' | 'halted' | 'recorded' | 'rejected' }) => ({
        type: 'notPresent.seen' as const,
        token: tokenOf(context),
        outcome: params.outcome,
      })),
      /** `kvm_async_pf_task_wake`: unhash the node for the token, wake its task (`apf_task_wake_one`). */
      wakeToken: assign(({ context }) => {
        const node = context.nodes.find((n) => n.token === tokenOf(context));
        if (node === undefined) return {};
        return { nodes: context.nodes.filter((n) => n !== node), tasks: wakeNode(context.tasks, node) };
      }),
      /** `kvm_async_pf_task_wake`: no node yet: allocate and hash a dummy (0547758a6de3 + baec4f5a018f). */
      fileDummy: assign(({ context }) => ({ nodes: hashNode(context.nodes, { token: tokenOf(context), task: -1 }) })),
      /** `apf_task_wake_all`: unhash every node of this CPU, wake the sleepers (dummies are dropped). */
      wakeAllLocal: assign(({ context }) => ({
        nodes: [],
        tasks: context.nodes.reduce<GuestTask[]>((tasks, node) => wakeNode(tasks, node), [...context.tasks]),
      })),
      /** trace point: the tokens whose sleepers `apf_task_wake_all` woke on this CPU. */
      reportWakeAll: emit(({ context }) => ({
        type: 'wakeAll.local' as const,
        tokens: context.nodes.filter((n) => n.task >= 0).map((n) => n.token),
      })),
      /** trace point: what `kvm_async_pf_task_wake` did with the token (§2.6 guest view). */
      reportPageReady: emit(({ context }, params: { outcome: PageReadyOutcome }) => ({
        type: 'pageReady.seen' as const,
        token: tokenOf(context),
        outcome: params.outcome,
      })),
      /** the ACK write: MSR_KVM_ASYNC_PF_ACK = 1 / `ARM_SMCCC_KVM_FUNC_ASYNC_PF_IRQ_ACK`. */
      writeAck: emit({ type: 'ack' as const }),
      /** exception/IRQ entry: the token (CR2 / FAR / area) and flags/reason the handler will read (`exc_page_fault` -> `kvm_handle_async_pf`, `do_lockdown`). */
      holdEvent: assign(({ event }) => ({ handling: { token: (event as Async).token, reason: (event as Async).reason } })),
      /** `raw_spin_lock(&b->lock)` for the handled token's bucket */
      takeBucket: assign(({ context }) => ({ bucketHeld: tokenOf(context) })),
      /** a nested page-ready: the interrupted handler's frame (and where it was) is saved, the new event handled */
      nestHandler: assign(({ context, event }, params: { at: InterruptedFrame['at'] }) => ({
        interrupted: [...context.interrupted, { event: context.handling!, at: params.at }],
        handling: { token: (event as Async).token, reason: (event as Async).reason },
      })),
      /**
       * The nested handler returns: the interrupted one goes on with its own event. A frame interrupted before its
       * lock holds none (the nested one took and dropped its own); one interrupted under its lock still holds it.
       */
      resumeInterrupted: assign(({ context }) => {
        const frame = context.interrupted.at(-1)!;
        return { handling: frame.event, interrupted: context.interrupted.slice(0, -1), ...(frame.at === 'reasonRead' ? { bucketHeld: null } : {}) };
      }),
      /** the `cpuhp/N` thread enters the offline callback */
      enterCpuhp: assign({ cpuhp: true }),
      /** `local_irq_restore` at the end of the offline callback */
      leaveCpuhp: assign({ cpuhp: false }),
      /** the handler returns (`irqentry_exit` / `kernel_exit`): it is done with the event, and with the bucket lock it took (`raw_spin_unlock`). */
      releaseEvent: assign({ handling: null, bucketHeld: null }),
      /** `schedule()`: switch to the chosen task; it resumes in user mode with IRQs on. */
      switchTo: assign(({ context, event }) => switched(context, (event as Extract<GuestEvent, { type: 'SCHEDULE' }>).task)),
      /** `__schedule`: `rq_lock(rq)` with IRQs off, `pick_next_task` chose `task` */
      lockRq: assign(({ event }) => ({ rqNext: (event as Extract<GuestEvent, { type: 'SCHEDULE' }>).task })),
      /** `__schedule` from a task that sleeps: `rq_lock(rq)` with IRQs off, switching to the idle task (`rqNext` -1) */
      lockRqToIdle: assign({ rqNext: -1 }),
      /** `finish_task_switch` drops `rq->lock` (after `context_switch` to the idle task: with 'enterIdle') */
      unlockRq: assign({ rqNext: null }),
      /** `context_switch` to the chosen task; `finish_task_switch` drops `rq->lock` and enables IRQs */
      switchToNext: assign(({ context }) => ({ ...switched(context, context.rqNext!), rqNext: null })),
      /** nested #PF VM-exit: `vmx_vcpu_run` reads and resets the flags (`host_apf_flags`), then `vcpu_enter_guest` re-enables IRQs before `handle_exit`. */
      takeNestedExit: assign(({ event }) => ({
        nestedToken: (event as Extract<GuestEvent, { type: 'NESTED_PF_VMEXIT' }>).token,
        user: false,
        irqsOn: true,
        preemptible: true,
      })),
      /** L1's `kvm_handle_page_fault` -> `kvm_async_pf_task_wait_schedule` consumes the dummy and returns. */
      consumeNestedDummy: assign(({ context }) => ({
        nodes: context.nodes.filter((n) => !(n.token === context.nestedToken && n.task < 0)),
        nestedToken: null,
      })),
      /** L1's `kvm_async_pf_task_wait_schedule`: hash the sleeper, the L1 vCPU thread sleeps. */
      sleepOnNestedToken: assign(({ context }) => ({
        nodes: hashNode(context.nodes, { token: context.nestedToken!, task: context.current }),
        tasks: setTask(context.tasks, context.current, { status: 'sleeping' }),
        current: -1,
        nestedToken: null,
      })),
      /** L1's vCPU thread is preempted in the exit window and migrates: this CPU runs something else. */
      migrateNestedThread: assign(({ context }) => ({
        awayWaiter: { task: context.current, token: context.nestedToken! },
        tasks: setTask(context.tasks, context.current, { status: 'away' }),
        nestedToken: null,
      })),
      /** the migrated thread's `kvm_async_pf_task_wait_schedule` consumes the dummy and goes on (runnable again). */
      consumeAwayDummy: assign(({ context }) => ({
        nodes: context.nodes.filter((n) => !(n.token === context.awayWaiter!.token && n.task < 0)),
        tasks: setTask(context.tasks, context.awayWaiter!.task, { status: 'runnable' }),
        awayWaiter: null,
      })),
      /** the migrated thread's `kvm_async_pf_task_wait_schedule`: hash its sleeper under the bucket lock and sleep. */
      sleepAway: assign(({ context }) => ({
        nodes: hashNode(context.nodes, { token: context.awayWaiter!.token, task: context.awayWaiter!.task }),
        tasks: setTask(context.tasks, context.awayWaiter!.task, { status: 'sleeping' }),
        awayWaiter: null,
      })),
      /** trace point: what the migrated L1 thread did with its not-present. */
      reportAwayNotPresent: emit(({ context }, params: { outcome: 'sleeping' | 'dummy-consumed' }) => ({
        type: 'notPresent.seen' as const,
        token: context.awayWaiter!.token,
        outcome: params.outcome,
      })),
      /** trace point: what L1 did with the nested not-present (§2.6 guest view). */
      reportNestedNotPresent: emit(({ context }, params: { outcome: 'sleeping' | 'dummy-consumed' }) => ({
        type: 'notPresent.seen' as const,
        token: context.nestedToken!,
        outcome: params.outcome,
      })),
      /** `schedule()` finds nothing runnable: `do_idle` (kernel, IRQs on, HLT / WFI). */
      enterIdle: assign({ current: -1, user: false, irqsOn: true, preemptible: false }),
      /** `local_irq_disable` / `local_irq_enable`. */
      setIrqs: assign((_, params: { on: boolean }) => ({ irqsOn: params.on })),
      /** syscall / interrupt entry into the kernel, or return to user. */
      setUser: assign((_, params: { user: boolean }) => ({ user: params.user, irqsOn: true, preemptible: true })),
      /** `preempt_disable` / `preempt_enable` (also RCU read side). */
      setPreemptible: assign((_, params: { on: boolean }) => ({ preemptible: params.on })),
      /** `kvm_pv_disable_apf`: write 0 to the enable register; `async_pf_enabled = false`. */
      disableApf: assign({ apfEnabled: false }),
      /** the MSR_KVM_ASYNC_PF_EN = 0 write reaches the host (`kvm_pv_enable_async_pf` disabling). */
      reportDisable: emit({ type: 'apf.disable' as const }),
      /** `kvm_guest_cpu_init`: write the area address with the enable bits. */
      enableApf: assign({ apfEnabled: true }),
      /** the MSR_KVM_ASYNC_PF_EN write with the enable bits reaches the host (RFCv1: the IMPDEF sysreg, SDEI: SMCCC ENABLE). */
      reportEnable: emit({ type: 'apf.enable' as const, sendAlways: design.guestSetsSendAlways }),
    },
  }).createMachine({
    /** one guest CPU of the Linux guest */
    id: 'guest',
    // actors built without input (the steppers' scopes, XState's throwaway actors): see THROWAWAY_INPUT in host.ts
    context: ({ input }) => initialGuestContext(input ?? THROWAWAY_INPUT),
    initial: 'running',
    states: {
      /** a task runs on this CPU */
      running: {
        /** a CPU placed with no task runs the idle loop from the start */
        always: { guard: 'noTask', target: 'idle', actions: 'enterIdle' },
        on: {
          ...handlerEntries('running'),
          /** preemption: `schedule()` picks another runnable task */
          SCHEDULE: [
            { guard: and(['taskRunnable', 'schedulesUnderLock']), target: 'rqLocked', actions: 'lockRq' },
            /** arm64: the task switched to goes back to user through `ret_to_user` -> `kernel_exit 0` */
            { guard: and(['taskRunnable', 'returnsThroughKernelExit']), target: 'kernelExit', actions: 'switchTo' },
            { guard: 'taskRunnable', actions: 'switchTo' },
          ],
          /** `local_irq_disable` */
          IRQ_OFF: { actions: { type: 'setIrqs', params: { on: false } } },
          /** `local_irq_enable` */
          IRQ_ON: { actions: { type: 'setIrqs', params: { on: true } } },
          /** syscall entry to the kernel (arm64: `svc` goes through the vectors and `kernel_entry` like any exception) */
          ENTER_KERNEL: [
            { guard: 'entersThroughVectors', target: 'vectors', actions: { type: 'setUser', params: { user: false } } },
            { actions: { type: 'setUser', params: { user: false } } },
          ],
          /** return to user (arm64: `ret_to_user` masks DAIF, then `kernel_exit 0` restores ELR_EL1/SPSR_EL1 and `eret`s) */
          RETURN_TO_USER: [
            { guard: 'returnsThroughKernelExit', target: 'kernelExit', actions: { type: 'setUser', params: { user: true } } },
            { actions: { type: 'setUser', params: { user: true } } },
          ],
          /** `preempt_disable` / `rcu_read_lock` */
          PREEMPT_OFF: { actions: { type: 'setPreemptible', params: { on: false } } },
          /** `preempt_enable` */
          PREEMPT_ON: { actions: { type: 'setPreemptible', params: { on: true } } },
          ...HOTPLUG,
          /** §2.7 "Nested": not-present for the L2 this CPU ran arrives as a #PF VM-exit to L1's KVM */
          NESTED_PF_VMEXIT: { target: 'l1ExitPending', actions: ['takeNestedExit', 'clearReason'] },
        },
      },
      /** nested: L1's KVM is between the #PF VM-exit and `kvm_handle_page_fault`, with IRQs enabled */
      l1ExitPending: {
        on: {
          /** a page-ready (interrupt, or the pre-5.8 #PF) can land in the window */
          ...handlerEntries('idle'),
          /** `kvm_handle_page_fault`: KVM_PV_REASON_PAGE_NOT_PRESENT -> `kvm_async_pf_task_wait_schedule(fault_address)` */
          L1_HANDLE_PAGE_FAULT: [
            {
              guard: 'nestedDummyFiled',
              target: 'running',
              actions: [{ type: 'reportNestedNotPresent', params: { outcome: 'dummy-consumed' } }, 'consumeNestedDummy'],
            },
            {
              target: 'idle',
              actions: [{ type: 'reportNestedNotPresent', params: { outcome: 'sleeping' } }, 'sleepOnNestedToken', 'enterIdle'],
            },
          ],
          /** preemption in the window (IRQs on, `vcpu_enter_guest` after `local_irq_enable`): the thread migrates, this CPU idles */
          L1_MIGRATE: { target: 'idle', actions: ['migrateNestedThread', 'enterIdle'] },
        },
      },
      /**
       * The `cpuhp/N` thread in the offline callback, IRQs off, APF still on. Then `kvm_guest_cpu_offline` disables APF
       * and `apf_task_wake_all`s; s390 `pfault_fini` (DIAG 0x258 CANCEL), then `pfault_cpu_dead` on every CPU; RFCv1 only
       * disables. `local_irq_restore`, and the CPU goes on with what the thread preempted (a task, or the idle loop).
       */
      cpuhpOffline: {
        on: {
          /** an unmaskable page-ready (RFCv1's data abort) still lands here */
          ...handlerEntries('irqsMasked'),
          CPU_OFFLINE: [
            { guard: 'offlineWakesLocal', target: 'running', actions: ['disableApf', 'reportDisable', 'reportWakeAll', 'wakeAllLocal', 'leaveCpuhp'] },
            { guard: 'offlineWakesAll', target: 'running', actions: ['disableApf', 'reportDisable', 'sendCpuDead', 'leaveCpuhp'] },
            { target: 'running', actions: ['disableApf', 'reportDisable', 'leaveCpuhp'] },
          ],
        },
      },
      /** idle loop / scheduler: no task runs; HLT (x86) or WFI (arm64) with IRQs on */
      idle: {
        on: {
          ...handlerEntries('idle'),
          ...HOTPLUG,
          /** `schedule()` picks a runnable task */
          SCHEDULE: [
            { guard: and(['taskRunnable', 'schedulesUnderLock']), target: 'rqLocked', actions: 'lockRq' },
            /** arm64: the task switched to goes back to user through `ret_to_user` -> `kernel_exit 0` */
            { guard: and(['taskRunnable', 'returnsThroughKernelExit']), target: 'kernelExit', actions: 'switchTo' },
            { guard: 'taskRunnable', target: 'running', actions: 'switchTo' },
          ],
        },
      },
      /** pre-5.8 x86 / RFCv1 `kvm_async_pf_task_wait` halt loop: `native_safe_halt` / `dsb(sy); wfi`, IRQs on */
      apfHalt: {
        on: handlerEntries('apfHalt'),
      },
      /** arm64: PC in [VBAR_EL1, VBAR_EL1 + 0x800), ELR_EL1 live */
      vectors: {
        on: {
          /** branch out of the vector table: PC leaves the RFCv1 window, ELR_EL1 still unsaved */
          LEAVE_VECTORS: { target: 'kernelEntry' },
          /** an injected data abort overwrites ELR_EL1/SPSR_EL1: the interrupted return address is lost */
          ASYNC_EXCEPTION: lost('elr-clobbered'),
        },
      },
      /** arm64 `kernel_entry`: registers being saved, ELR_EL1 not yet on the stack */
      kernelEntry: {
        on: {
          /** `mrs x22, elr_el1; mrs x23, spsr_el1`: the return state is in registers a nested exception would save */
          KERNEL_ENTRY_DONE: { target: 'syndromeUnread' },
          /** an injected data abort before ELR_EL1 was saved: the same loss */
          ASYNC_EXCEPTION: lost('elr-clobbered'),
        },
      },
      /**
       * arm64, ELR_EL1/SPSR_EL1 saved, the syndrome not yet read: the rest of `kernel_entry` (its stores of the
       * return state to `pt_regs`), `mov x0, sp; bl el0_sync_handler` (`el1_sync_handler`), whose first statement is
       * `read_sysreg(esr_el1)`, and for an abort `el0_da`/`el1_abort`'s `read_sysreg(far_el1)` (v5.10
       * `entry-common.c`). `pt_regs` keeps neither register, and DAIF is still masked from the exception entry (the
       * handlers unmask with `local_daif_restore`/`local_daif_inherit` after these reads). A nested page-ready is
       * taken with the interrupted frame saved, so its handler runs; the interrupted entry then reads its ESR_EL1.
       */
      syndromeUnread: {
        on: {
          /** ESR_EL1 read: an async abort goes to `do_mem_abort` -> `do_lockdown`, a syscall (EC SVC64) to `el0_svc` */
          SYNDROME_READ: [{ guard: 'enteringAsyncEvent', target: 'handlingException' }, { target: 'running' }],
          /**
           * An injected data abort rewrites ESR_EL1 (EC DABT_CUR, the async-PF DFSC) and FAR_EL1 (its token) before the
           * handler read them: `el0_sync_handler` sends DABT_CUR to `el0_inv` (`bad_el0_sync`: SIGILL, the syscall
           * lost); an async abort's handler would read the second abort's token
           */
          ASYNC_EXCEPTION: { target: 'panicked', actions: { type: 'stopFollowing', params: { cause: 'esr-clobbered' } } },
        },
      },
      /**
       * arm64 `kernel_exit` (v5.10 `entry.S`), reached with DAIF masked (`ret_to_user`'s `disable_daif`, the EL1
       * handlers' `local_daif_mask`): `msr elr_el1, x21; msr spsr_el1, x22` restored the return state, then about 15
       * `ldp`/`ldr lr`/`add sp` from `pt_regs` and `eret` (to EL0 with KPTI through `tramp_exit_native`, not modelled).
       * Every exception and interrupt return passes here, and so does a task `schedule()` switched to, on its way back
       * to user.
       */
      kernelExit: {
        on: {
          /** the loads done, `eret`: the code the exception interrupted (or the task switched to) runs */
          ERET: { target: 'returning' },
          /** an injected data abort overwrites the ELR_EL1/SPSR_EL1 the `eret` was to use */
          ASYNC_EXCEPTION: lost('eret-clobbered'),
        },
      },
      /** async #PF / data-abort handler (`kvm_handle_async_pf` / RFCv1 `do_lockdown`) */
      handlingException: {
        always: [
          /**
           * s390 PFAULT_INIT that interrupted kernel code: `pfault_interrupt` assumes user space ("no kernel task state to
           * overwrite", s390-pfault §6.4) and sets TASK_UNINTERRUPTIBLE over whatever state the kernel context had. Only a
           * host that ignores the guest's select/compare masks (G2) gets here.
           */
          {
            guard: and(['pfaultInit', 'inKernelMode']),
            target: 'panicked',
            actions: [{ type: 'panic', params: { cause: 'pfault-kernel-mode' } }, 'crashShutdown'],
          },
          /** s390 PFAULT_INIT, `pfault_wait == -1`: the completion came first; the task goes on */
          {
            guard: and(['pfaultInit', 'completionCameFirst']),
            target: RETURN,
            actions: ['consumeEarlyCompletion', { type: 'reportNotPresent', params: { outcome: 'dummy-consumed' } }],
          },
          /** s390 PFAULT_INIT: `pfault_wait = 1`, on `pfault_list`, block: the task sleeps in `schedule()` on its way back to user */
          {
            guard: 'pfaultInit',
            target: 'notifyResume',
            actions: ['pfaultBlock', { type: 'reportNotPresent', params: { outcome: 'sleeping' } }, 'releaseEvent'],
          },
          /** not-present with IF=0 on a v5.8+ guest */
          {
            guard: and(['isNotPresent', 'panicsOnBadContext', 'interruptsDisabled']),
            target: 'panicked',
            actions: [{ type: 'panic', params: { cause: 'irqs-disabled' } }, 'crashShutdown'],
          },
          /** not-present at CPL0 on a v5.8+ guest */
          {
            guard: and(['isNotPresent', 'panicsOnBadContext', 'inKernelMode']),
            target: 'panicked',
            actions: [{ type: 'panic', params: { cause: 'kernel-mode' } }, 'crashShutdown'],
          },
          /** RFCv1 `do_lockdown` D1: reason read and zeroed; `kvm_pv_async_pf_wait` has still to take its lock (locks-and-delivery §2.2) */
          { guard: and(['isNotPresent', 'locksInWindow']), target: 'reasonRead', actions: 'clearReason' },
          /** wake came first: consume the dummy and return */
          {
            guard: and(['isNotPresent', 'dummyFiled']),
            target: RETURN,
            actions: ['clearReason', 'consumeDummy', { type: 'reportNotPresent', params: { outcome: 'dummy-consumed' } }],
          },
          /** RFCv1 P6: the waiter's own `schedule()`; `__schedule` holds `rq->lock` while it switches away (to the idle task here) */
          {
            guard: and(['isNotPresent', 'canSchedule', 'schedulesUnderLock']),
            target: 'rqLocked',
            actions: ['clearReason', { type: 'reportNotPresent', params: { outcome: 'sleeping' } }, 'sleepOnToken', 'releaseEvent', 'lockRqToIdle'],
          },
          /** `kvm_async_pf_task_wait_schedule`: file the sleeper and `schedule()` */
          {
            guard: and(['isNotPresent', 'canSchedule']),
            target: 'idle',
            actions: [
              'clearReason',
              { type: 'reportNotPresent', params: { outcome: 'sleeping' } },
              'sleepOnToken',
              'releaseEvent',
              'enterIdle',
            ],
          },
          /** pre-5.8 / RFCv1 wait that cannot schedule: halt until woken */
          {
            guard: 'isNotPresent',
            target: 'apfHalt',
            actions: ['clearReason', { type: 'reportNotPresent', params: { outcome: 'halted' } }, 'haltOnToken', 'releaseEvent'],
          },
          /** pre-5.8 / RFCv1: the same exception carries page-ready */
          { guard: 'isPageReady', target: 'handlingPageReady', actions: 'clearReason' },
        ],
      },
      /**
       * RFCv1 between D1 and P1: `do_lockdown` has zeroed `reason`, the wait or wake has not yet taken its bucket lock
       * (locks-and-delivery §2.2): a page-ready can land, and its handler runs nested and returns here.
       */
      reasonRead: {
        on: {
          ASYNC_EXCEPTION: [
            RQ_SELF_DEADLOCK,
            { target: 'handlingException', actions: { type: 'nestHandler', params: { at: 'reasonRead' } } },
          ],
          /** P1 (waker step 2): `raw_spin_lock(&b->lock)` */
          BUCKET_LOCK: { target: 'bucketLocked', actions: 'takeBucket' },
        },
      },
      /**
       * The handler holds the sleeper-bucket lock of its token, the async reason already zeroed (RFCv1 P1-P3 and waker
       * steps 2-5, locks-and-delivery §2.2): the host may inject the next page-ready data abort here.
       */
      bucketLocked: {
        on: {
          ASYNC_EXCEPTION: [
            /** its handler spins on the lock the interrupted code holds (locks-and-delivery §2.3) */
            { guard: 'needsHeldBucket', target: 'panicked', actions: { type: 'stopFollowing', params: { cause: 'bucket-self-deadlock' } } },
            RQ_SELF_DEADLOCK,
            /** another bucket: the nested handler runs (its entry is not the vector-window race: `reason` covers it) */
            { target: 'handlingException', actions: { type: 'nestHandler', params: { at: 'bucketLocked' } } },
          ],
          /** the work under the lock (the handler's own, which finds the lock taken), then `raw_spin_unlock` at its end */
          BUCKET_UNLOCK: [{ guard: 'isNotPresent', target: 'handlingException' }, { target: 'handlingPageReady' }],
        },
      },
      /**
       * `__schedule` between `rq_lock` and `finish_task_switch`: IRQs off, this CPU's `rq->lock` held (RFCv1 P6,
       * locks-and-delivery §2.2); the host may inject the next page-ready data abort here.
       */
      rqLocked: {
        on: {
          ASYNC_EXCEPTION: [
            RQ_SELF_DEADLOCK,
            /** a dummy to file, a halted waiter to IPI, or nothing: the handler runs nested (`reason` covers its vector window) */
            { target: 'handlingException', actions: 'holdEvent' },
          ],
          RQ_UNLOCK: [
            { guard: 'switchesToIdle', target: 'idle', actions: ['unlockRq', 'enterIdle'] },
            /** arm64: the task switched to goes back to user through `ret_to_user` -> `kernel_exit 0` */
            { guard: 'returnsThroughKernelExit', target: 'kernelExit', actions: 'switchToNext' },
            { target: 'running', actions: 'switchToNext' },
          ],
        },
      },
      /** SDEI not-present handler (`kvm_async_pf_sdei_handler`) */
      handlingSdei: {
        always: [
          /** record (current, token), set TIF_ASYNC_PF, zero the area, self reschedule IPI */
          {
            guard: and(['isNotPresent', 'sdeiTableHasRoom']),
            target: 'notifyResume',
            actions: ['recordForResume', 'clearArea', { type: 'reportNotPresent', params: { outcome: 'recorded' } }, 'releaseEvent'],
          },
          /** table full (-ENOSPC) or reason not NOT_PRESENT: nothing recorded (the SDEI handler returns by `SDEI_EVENT_COMPLETE`, not `kernel_exit`) */
          { target: 'returning', actions: ['clearArea', { type: 'reportNotPresent', params: { outcome: 'rejected' } }] },
        ],
      },
      /**
       * The task is on its way back to user with a reschedule pending: SDEI design, the self IPI then
       * `do_notify_resume`; s390, need_resched set by `pfault_interrupt`, then `schedule()` in the exit to user mode
       */
      notifyResume: {
        on: {
          NOTIFY_RESUME: [
            /** s390 `schedule()`: still TASK_UNINTERRUPTIBLE (`pfault_wait == 1`), the task sleeps */
            { guard: and(['blocksOnNeedResched', 'currentWaitsForPfault']), target: 'idle', actions: ['sleepInNotifyResume', 'enterIdle'] },
            /** s390: a completion set the task running meanwhile; `schedule()` picks it again and it returns to user */
            { guard: 'blocksOnNeedResched', target: 'running' },
            /** SDEI: the IPI (an SGI, taken before the page-ready PPI): `do_notify_resume` sleeps while TIF_ASYNC_PF is set */
            { target: 'idle', actions: ['sleepInNotifyResume', 'enterIdle'] },
          ],
        },
      },
      /** page-ready: `kvm_async_pf_task_wake(token)`, then zero the token */
      handlingPageReady: {
        always: [
          /** `if (__this_cpu_read(async_pf_enabled))`: with APF off the handler does nothing, the area is left as it is */
          {
            guard: 'apfOff',
            target: RETURN,
            actions: { type: 'reportPageReady', params: { outcome: 'ignored' } },
          },
          /** RFCv1 `kvm_pv_async_pf_wake`, reason already zeroed (D1), before `raw_spin_lock(&b->lock)` (wake-all: each bucket in turn) */
          { guard: 'locksInWindow', target: 'reasonRead' },
          /** `~0`: `apf_task_wake_all` */
          { guard: 'isWakeAll', target: 'acking', actions: ['reportWakeAll', 'wakeAllLocal', 'clearToken'] },
          /** a dummy found (a second page-ready for the token): unhash it */
          {
            guard: 'dummyFiled',
            target: 'acking',
            actions: [{ type: 'reportPageReady', params: { outcome: 'dummy-unhashed' } }, 'wakeToken', 'clearToken'],
          },
          /** node found: unhash and wake (`apf_task_wake_one`) */
          {
            guard: 'nodeFound',
            target: 'acking',
            actions: [{ type: 'reportPageReady', params: { outcome: 'woken' } }, 'wakeToken', 'clearToken'],
          },
          /** wake before wait, rejected first fix of 0547758a6de3: `raw_spin_unlock`, allocate the dummy, lock again */
          /** `kzalloc` of one dummy too many: the table leaks (see tableOverflows) */
          { guard: and(['filesDummy', 'tableOverflows']), target: 'panicked', actions: { type: 'stopFollowing', params: { cause: 'dummy-leak' } } },
          { guard: and(['filesDummy', 'allocatesUnlocked']), target: 'allocatingDummy' },
          /** wake before wait: file a dummy */
          {
            guard: 'filesDummy',
            target: 'acking',
            actions: [{ type: 'reportPageReady', params: { outcome: 'dummy-filed' } }, 'fileDummy', 'clearToken'],
          },
          /** no dummy: the wake is lost */
          { target: 'acking', actions: [{ type: 'reportPageReady', params: { outcome: 'dropped' } }, 'clearToken'] },
        ],
      },
      /** `kvm_async_pf_task_wake` with the bucket lock dropped, allocating the dummy (dummyAllocUnlocked) */
      allocatingDummy: {
        on: {
          /** lock again and `hlist_add_head` the dummy without looking the token up again: a sleeper filed meanwhile is never woken */
          DUMMY_ALLOCATED: {
            target: 'acking',
            actions: [{ type: 'reportPageReady', params: { outcome: 'dummy-filed' } }, 'fileDummy', 'clearToken'],
          },
        },
      },
      /** token zeroed; the ACK write is the handler's next store */
      acking: {
        always: [{ guard: not('hasAck'), target: RETURN }],
        on: {
          /** `wrmsrl(MSR_KVM_ASYNC_PF_ACK, 1)` / IRQ_ACK hypercall */
          ACK_WRITTEN: { target: RETURN, actions: 'writeAck' },
        },
      },
      /** exception / interrupt return (arm64: the `eret` at the end of `kernel_exit`) lands in the interrupted code */
      returning: {
        always: [
          { guard: 'returnsToReasonRead', target: 'reasonRead', actions: 'resumeInterrupted' },
          { guard: 'returnsToLockHolder', target: 'bucketLocked', actions: 'resumeInterrupted' },
          { guard: 'inScheduler', target: 'rqLocked', actions: 'releaseEvent' },
          { guard: 'returnsToCpuhp', target: 'cpuhpOffline', actions: 'releaseEvent' },
          { guard: 'returnsToNestedExit', target: 'l1ExitPending', actions: 'releaseEvent' },
          { guard: 'returnsToTask', target: 'running', actions: 'releaseEvent' },
          { guard: 'returnsToHaltLoop', target: 'apfHalt', actions: 'releaseEvent' },
          { target: 'idle', actions: ['releaseEvent', 'enterIdle'] },
        ],
      },
      /** the guest kernel died (panic, #DF, lost return address) */
      panicked: { type: 'final' },
    },
    on: {
      /** s390 `pfault_interrupt` completion for one of this CPU's tasks, taken on any CPU, whatever this CPU does meanwhile */
      PFAULT_DONE: [
        { guard: 'doneTaskWaits', actions: ['pfaultWake', { type: 'reportPfaultDone', params: { outcome: 'woken' } }] },
        { guard: 'doneTaskRunning', actions: ['pfaultEarly', { type: 'reportPfaultDone', params: { outcome: 'dummy-filed' } }] },
        /** not running and not waiting: per the source comment, a leftover of a PFAULT CANCEL; ignored */
        { actions: { type: 'reportPfaultDone', params: { outcome: 'dropped' } } },
      ],
      /** s390 `pfault_cpu_dead` for another CPU */
      PFAULT_CPU_DEAD: { actions: 'wakeAllPfaultWaiters' },
      /** the migrated L1 thread runs `kvm_handle_page_fault` on its new CPU, whatever this CPU does meanwhile */
      L1_REMOTE_HANDLE_PAGE_FAULT: [
        {
          guard: and(['hasAwayWaiter', 'awayDummyFiled']),
          actions: [{ type: 'reportAwayNotPresent', params: { outcome: 'dummy-consumed' } }, 'consumeAwayDummy'],
        },
        { guard: 'hasAwayWaiter', actions: [{ type: 'reportAwayNotPresent', params: { outcome: 'sleeping' } }, 'sleepAway'] },
      ],
      /** #DF delivered: `exc_double_fault` -> panic */
      /** x86: #DF from two #PFs (`kvm_multiple_exception`); arm64: the second injected abort rewrote the first's ELR_EL1/SPSR_EL1 (`inject_abt64`) */
      DOUBLE_FAULT: { target: '.panicked', actions: [{ type: 'panic', params: { cause: design.exceptionEntryWindow ? 'elr-clobbered' : 'double-fault' } }, 'crashShutdown'] },
    },
  });
}

export type GuestMachine = ReturnType<typeof createGuestMachine>;
