/**
 * Steps of guest code: what a vCPU's guest does between deliveries (the
 * arm64 exception entry and return, the SDEI design's notify-resume, L1's nested #PF
 * handling, the lock-dropping dummy allocation, the ACK, the scheduler, a
 * task's access to a swapped-out page).
 */
import { REASON_NOT_PRESENT } from '../../../machines/host.js';
import { formatToken, globalTask } from '../state.js';
import { faultOn } from './delivery.js';
import { swappedOut, type GuestSide, type StepEntry, type VcpuView } from './types.js';

const always = (): boolean => true;
const linux = (): GuestSide => 'linux';

/** Offered once while the guest runs and its machine is in `exec`. */
const whileIn = (exec: string) => (at: VcpuView) => (at.phase === 'runs' && at.exec === exec ? [0] : []);

/** nested + migration: the migrated L1 thread runs `kvm_handle_page_fault` on its new CPU, whatever this vCPU does meanwhile, even out of guest mode. */
export const l1RemoteFault: StepEntry = {
  kind: 'l1-remote-fault',
  actor: 'guest',
  // the migrated thread runs on another CPU, whatever this one does
  side: () => 'asynchronous',
  offered: (at) => (at.g.awayWaiter !== null && at.exec !== 'panicked' ? [0] : []),
  label: (at) => `cpu${at.v}'s L1 thread: L1 kvm_handle_page_fault (token ${formatToken(at.g.awayWaiter!.token)}) on another CPU`,
  apply: (d, v) => d.guest(v, { type: 'L1_REMOTE_HANDLE_PAGE_FAULT' }),
  fair: always,
};

/** arm64: the branch from the vector table to `el1_sync`/`el0_sync` (PC leaves the RFCv1 window, ELR_EL1 still unsaved). */
export const leaveVectors: StepEntry = {
  kind: 'leave-vectors',
  actor: 'guest',
  side: linux,
  offered: whileIn('vectors'),
  label: (at) => `cpu${at.v}: branches out of the vector table`,
  apply: (d, v) => d.guest(v, { type: 'LEAVE_VECTORS' }),
  fair: always,
};

/**
 * The task goes back to user with a reschedule pending: SDEI design, the self IPI, then `do_notify_resume` sleeps
 * while TIF_ASYNC_PF is set (§5 step 2); s390, `schedule()` in the exit to user mode (need_resched set by
 * `pfault_interrupt`) puts it to sleep unless a completion came meanwhile (s390-pfault §6.4).
 */
export const notifyResume: StepEntry = {
  kind: 'notify-resume',
  actor: 'guest',
  side: linux,
  offered: whileIn('notifyResume'),
  label: (at) => `cpu${at.v}: ${at.design.notPresent === 'sdei' ? 'reschedule IPI, do_notify_resume' : 'schedule() on the way back to user'}`,
  apply: (d, v) => d.guest(v, { type: 'NOTIFY_RESUME' }),
  fair: always,
};

/** nested: L1's `kvm_handle_page_fault` for the saved `host_apf_flags` (§2.7 "Nested"). */
export const l1HandleFault: StepEntry = {
  kind: 'l1-handle-fault',
  actor: 'guest',
  side: linux,
  offered: whileIn('l1ExitPending'),
  label: (at) => `cpu${at.v}: L1 kvm_handle_page_fault (token ${formatToken(at.g.nestedToken!)})`,
  apply: (d, v) => d.guest(v, { type: 'L1_HANDLE_PAGE_FAULT' }),
  fair: always,
};

/** nested + migration: L1's vCPU thread is preempted in its exit window (IRQs on) and goes on on another CPU. */
export const l1Migrate: StepEntry = {
  kind: 'l1-migrate',
  actor: 'guest',
  side: linux,
  offered: (at) => (at.phase === 'runs' && at.exec === 'l1ExitPending' && at.scope.migration && at.g.awayWaiter === null ? [0] : []),
  label: (at) => `cpu${at.v}: L1 vCPU thread preempted, migrates to another CPU`,
  apply: (d, v) => d.guest(v, { type: 'L1_MIGRATE' }),
  fair: always,
};

/** `kvm_async_pf_task_wake` (dummyAllocUnlocked): the dummy allocated outside the lock is hashed without a second lookup. */
export const dummyAlloc: StepEntry = {
  kind: 'dummy-alloc',
  actor: 'guest',
  side: linux,
  offered: whileIn('allocatingDummy'),
  label: (at) => `cpu${at.v}: dummy allocated, lock retaken, dummy hashed without a second lookup`,
  apply: (d, v) => d.guest(v, { type: 'DUMMY_ALLOCATED' }),
  fair: always,
};

/** arm64 `kernel_entry` has saved ELR_EL1/SPSR_EL1 (`mrs x22, elr_el1; mrs x23, spsr_el1`); ESR_EL1/FAR_EL1 are still to be read. */
export const kernelEntryDone: StepEntry = {
  kind: 'kernel-entry-done',
  actor: 'guest',
  side: linux,
  offered: whileIn('kernelEntry'),
  label: (at) => `cpu${at.v}: kernel_entry saved ELR_EL1`,
  apply: (d, v) => d.guest(v, { type: 'KERNEL_ENTRY_DONE' }),
  fair: always,
};

/**
 * arm64: the C handler reads the syndrome (v5.10 `entry-common.c`): `el0_sync_handler` / `el1_sync_handler`
 * `read_sysreg(esr_el1)`, then for an abort `el0_da` / `el1_abort` `read_sysreg(far_el1)`; the handler (`do_mem_abort`
 * -> RFCv1 `do_lockdown`), or the syscall (`el0_svc`), runs.
 */
export const syndromeRead: StepEntry = {
  kind: 'syndrome-read',
  actor: 'guest',
  side: linux,
  offered: whileIn('syndromeUnread'),
  label: (at) => {
    const event = at.g.handling;
    if (event === null) return `cpu${at.v}: el0_sync_handler reads ESR_EL1 (SVC64): el0_svc`;
    const [handler, abort] = at.g.user ? ['el0_sync_handler', 'el0_da'] : ['el1_sync_handler', 'el1_abort'];
    return `cpu${at.v}: ${handler} reads ESR_EL1, ${abort} FAR_EL1 (token ${formatToken(event.token)})`;
  },
  apply: (d, v) => d.guest(v, { type: 'SYNDROME_READ' }),
  fair: always,
};

/** arm64 `kernel_exit`: the loads of x0-x30 from `pt_regs` after `msr elr_el1, x21; msr spsr_el1, x22`, then `eret`. */
export const eret: StepEntry = {
  kind: 'eret',
  actor: 'guest',
  side: linux,
  offered: whileIn('kernelExit'),
  label: (at) => `cpu${at.v}: kernel_exit restores x0-x30, eret`,
  apply: (d, v) => d.guest(v, { type: 'ERET' }),
  fair: always,
};

/**
 * arm64 `kernel_exit`'s loads from `pt_regs` (the kernel stack) fault at stage 2 on a swapped-out page, after it wrote
 * ELR_EL1/SPSR_EL1: an exit (synchronous: the PC is at EL1, so no not-present without SEND_ALWAYS), after which the
 * re-entry's completion poll may inject page-ready into the window, as at `kernel_entry`'s stores (delivery-fault).
 */
export const kernelExitFault: StepEntry = {
  kind: 'kernel-exit-fault',
  actor: 'guest',
  side: () => 'access',
  offered: (at) => (at.phase === 'runs' && at.exec === 'kernelExit' ? swappedOut(at.state) : []),
  label: (at, page) => `cpu${at.v}: kernel_exit faults on page${page} (stack)`,
  apply: (d, v, page) => faultOn(d, v, page as number),
  fair: () => false,
  awaitsPage: (page) => page as number,
};

/** RFCv1 P1 / waker step 2: after `do_lockdown` zeroed `reason`, the handler takes its bucket's `raw_spin_lock(&b->lock)`. */
export const bucketLock: StepEntry = {
  kind: 'bucket-lock',
  actor: 'guest',
  side: linux,
  offered: whileIn('reasonRead'),
  label: (at) => `cpu${at.v}: raw_spin_lock (bucket of token ${formatToken(at.g.handling!.token)})`,
  apply: (d, v) => d.guest(v, { type: 'BUCKET_LOCK' }),
  fair: always,
};

/** The handler's work under the sleeper-bucket lock, then `raw_spin_unlock(&b->lock)` (RFCv1 P2-P3, waker steps 3-5). */
export const bucketUnlock: StepEntry = {
  kind: 'bucket-unlock',
  actor: 'guest',
  side: linux,
  offered: whileIn('bucketLocked'),
  label: (at) => {
    const held = at.g.handling!;
    const work = held.reason === REASON_NOT_PRESENT ? 'hashes the sleeper node' : 'wakes';
    return `cpu${at.v}: ${work} (token ${formatToken(held.token)}), raw_spin_unlock`;
  },
  apply: (d, v) => d.guest(v, { type: 'BUCKET_UNLOCK' }),
  fair: always,
};

/** `context_switch` to the task `__schedule` picked; `finish_task_switch` drops `rq->lock` and enables IRQs (RFCv1 P6). */
export const rqUnlock: StepEntry = {
  kind: 'rq-unlock',
  actor: 'guest',
  side: linux,
  offered: whileIn('rqLocked'),
  label: (at) => `cpu${at.v}: context_switch -> ${at.g.rqNext! < 0 ? 'idle' : `task${globalTask(at.scope, at.v, at.g.rqNext!)}`}, raw_spin_unlock(rq->lock)`,
  apply: (d, v) => d.guest(v, { type: 'RQ_UNLOCK' }),
  fair: always,
};

/** The guest code around the locks that touches memory, by guest state: what the fault label calls it. */
const LOCKED_SECTIONS: Readonly<Record<string, string>> = {
  reasonRead: 'do_lockdown (before raw_spin_lock)',
  bucketLocked: 'the sleeper-table code (bucket lock held)',
  rqLocked: '__schedule (rq->lock held)',
};

/**
 * The code under a lock, or on its way to one (`do_lockdown` after D1, `raw_spin_lock`'s own access to the table),
 * touches a swapped-out page: the sleeper-table bucket and node (`kvm_pv_async_pf_wait` /
 * `_wake`), the run queue (`__schedule`). Guest kernel data is host memory like any other; the stage-2 fault is an
 * exit (synchronous without SEND_ALWAYS), and the re-entry's completion poll may inject page-ready into the section.
 */
export const lockedSectionFault: StepEntry = {
  kind: 'locked-section-fault',
  actor: 'guest',
  side: () => 'access',
  // with SEND_ALWAYS that fault would be an async not-present nested in the lock holder, whose halted wait
  // (`preempt_count() > 1`) the model does not follow: not offered then (machines/README.md 3a)
  offered: (at) => (at.phase === 'runs' && !at.scope.sendAlways && LOCKED_SECTIONS[at.exec] !== undefined ? swappedOut(at.state) : []),
  label: (at, page) => `cpu${at.v}: ${LOCKED_SECTIONS[at.exec]} faults on page${page}`,
  apply: (d, v, page) => faultOn(d, v, page as number),
  fair: () => false,
  awaitsPage: (page) => page as number,
};

/** The page-ready handler's ACK: `wrmsrl(MSR_KVM_ASYNC_PF_ACK, 1)` / the IRQ_ACK hypercall (§2.1, §5 step 5). */
export const ack: StepEntry = {
  kind: 'ack',
  actor: 'guest',
  side: linux,
  offered: whileIn('acking'),
  label: (at) => `cpu${at.v}: ${at.design.ack === 'msr' ? 'wrmsr MSR_KVM_ASYNC_PF_ACK' : 'IRQ_ACK hypercall'}`,
  apply(d, v) {
    const token = d.guests[v]!.context.handling?.token;
    d.guest(v, { type: 'ACK_WRITTEN' });
    if (token !== undefined) d.releaseSlot(v, token);
  },
  fair: always,
};

/** `schedule()` picks a runnable task: from the idle loop, or preempting a task that runs preemptible with IRQs on. */
export const schedule: StepEntry = {
  kind: 'schedule',
  actor: 'guest',
  side: linux,
  offered(at) {
    const preemptible = at.exec === 'running' && at.g.irqsOn && at.g.preemptible;
    if (at.phase !== 'runs' || !(at.exec === 'idle' || preemptible)) return [];
    return at.g.tasks.flatMap((task, local) => (task.status === 'runnable' ? [local] : []));
  },
  label: (at, local) => `cpu${at.v}: schedule() -> task${globalTask(at.scope, at.v, local as number)}`,
  apply: (d, v, local) => d.guest(v, { type: 'SCHEDULE', task: local as number }),
  fair: always,
};

/** The running task touches a swapped-out page: an EPT/NPT violation (stage-2 abort) the host handles (§2.5). */
export const touch: StepEntry = {
  kind: 'touch',
  actor: 'guest',
  side: () => 'access',
  offered: (at) => (at.phase === 'runs' && at.exec === 'running' ? swappedOut(at.state) : []),
  label: (at, page) => `cpu${at.v}: task${globalTask(at.scope, at.v, at.g.current)} touches page${page}`,
  apply: (d, v, page) => faultOn(d, v, page as number),
  fair: () => false,
  awaitsPage: (page) => page as number,
};

/** The guest-code steps, in offer order. */
export const GUEST_CODE_STEPS: readonly StepEntry[] = [l1RemoteFault, leaveVectors, notifyResume, l1HandleFault, l1Migrate, dummyAlloc, kernelEntryDone, syndromeRead, eret, kernelExitFault, bucketLock, bucketUnlock, rqUnlock, lockedSectionFault, ack, schedule, touch];
