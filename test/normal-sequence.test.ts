/**
 * The reference's normal message sequence of each design, step by step through
 * the composed system (scope: 1 vCPU, 2 tasks, 1 page): fault, not-present,
 * task sleeps, another task runs, worker completes, page-ready, task woken, ACK.
 */
import { describe, expect, it } from 'vitest';
import { REASON_NOT_PRESENT, REASON_PAGE_READY } from '../machines/host.js';
import { designByName } from '../machines/design.js';
import { machinesOf } from '../src/system/system.js';
import { guestOf, hostOf, play, start, taskStatuses, tokenView } from './support/script.js';

describe('x86 normal sequence (reference §2.4)', () => {
  it('runs fault -> #PF -> sleep -> worker -> interrupt -> wake -> ACK', () => {
    let s = start('x86');
    const token = 0x1000; // alloc_apf_token: (1 << 12) | vcpu 0

    s = play(s, 'cpu0: task0 touches page0');
    expect(hostOf(s).context.items).toEqual([
      { token, pid: -1, gfn: 0, injected: true, wakeAll: false, completed: false, workerRunning: false },
    ]);
    expect(hostOf(s).context.area).toEqual({ reason: REASON_NOT_PRESENT, token: 0 });
    expect(hostOf(s).context.exception).toEqual({ kind: 'np', token, toL1: false, injected: false });
    expect(hostOf(s).context.gfns).toEqual([0]);
    expect(tokenView(s, token)).toEqual({ host: 'queuedNotified', guest: 'notSeen' });

    s = play(s, 'cpu0: takes #PF (token 0x1000)');
    expect(hostOf(s).context.exception).toBeNull();
    expect(hostOf(s).context.area.reason).toBe(0); // read-and-zeroed by kvm_read_and_reset_apf_flags
    expect(guestOf(s).value).toBe('idle');
    expect(guestOf(s).context.nodes).toEqual([{ token, task: 0 }]);
    expect(taskStatuses(s)).toEqual(['sleeping', 'runnable']);
    expect(tokenView(s, token)).toEqual({ host: 'queuedNotified', guest: 'sleeping' });

    s = play(s, 'cpu0: schedule() -> task1');
    expect(taskStatuses(s)).toEqual(['sleeping', 'running']);

    s = play(s, 'worker 0x1000: async_pf_execute done (page0 in)');
    expect(s.resident).toEqual([true]);
    expect(hostOf(s).context.done).toEqual([token]);
    expect(hostOf(s).context.readyRequest).toBe(true);
    expect(hostOf(s).context.ipiInFlight).toBe(true); // pageready_pending was false: kvm_vcpu_kick sends the IPI
    expect(hostOf(s).context.kicked).toBe(false); // the vCPU runs on until it lands
    expect(hostOf(s).context.items[0]?.workerRunning).toBe(true);
    expect(tokenView(s, token)).toEqual({ host: 'doneNotified', guest: 'sleeping' });

    s = play(s, 'worker 0x1000: async_pf_execute returns');
    expect(hostOf(s).context.items[0]?.workerRunning).toBe(false);

    s = play(s, 'vcpu0: vcpu_enter_guest');
    expect(hostOf(s).context.done).toEqual([]);
    expect(hostOf(s).context.items).toEqual([]);
    expect(hostOf(s).context.gfns).toEqual([]);
    expect(hostOf(s).context.area).toEqual({ reason: 0, token });
    expect(hostOf(s).context.irq).toBe(true);
    expect(hostOf(s).context.pageReadyPending).toBe(true);
    expect(tokenView(s, token)).toEqual({ host: 'delivered', guest: 'sleeping' });

    s = play(s, 'cpu0: takes page-ready interrupt');
    expect(taskStatuses(s)).toEqual(['runnable', 'running']);
    expect(guestOf(s).context.nodes).toEqual([]);
    expect(hostOf(s).context.area.token).toBe(0);
    expect(guestOf(s).value).toBe('acking');
    expect(tokenView(s, token)).toEqual({ host: 'delivered', guest: 'woken' });

    s = play(s, 'cpu0: wrmsr MSR_KVM_ASYNC_PF_ACK');
    expect(hostOf(s).context.pageReadyPending).toBe(false);
    expect(guestOf(s).value).toBe('running');
    expect(s.tokens).toEqual([]); // acked and referenced nowhere: the observer is retired
  });
});

// The pre-5.8 and RFCv1 hosts poll `done` on each run-loop iteration and never kick a running vCPU:
// these sequences need the host timer's exits (--timer-exits) for page-ready to go out.
describe('x86-legacy normal sequence (reference §2.8)', () => {
  it('delivers both events as #PF with the reason in one u32 and no ACK', () => {
    let s = start('x86-legacy', { timerExits: true });
    const token = 0x1000;
    s = play(s, 'cpu0: task0 touches page0');
    expect(hostOf(s).context.area).toEqual({ reason: REASON_NOT_PRESENT, token: 0 });
    expect(hostOf(s).context.exception).toEqual({ kind: 'np', token, toL1: false, injected: false });

    s = play(s, 'cpu0: takes #PF (token 0x1000)');
    expect(taskStatuses(s)).toEqual(['sleeping', 'runnable']);
    s = play(s, 'cpu0: schedule() -> task1');
    s = play(s, 'worker 0x1000: async_pf_execute done (page0 in)');
    expect(hostOf(s).context.readyRequest).toBe(false); // polled, no request

    s = play(s, 'vcpu0: vcpu_enter_guest');
    expect(hostOf(s).context.area).toEqual({ reason: REASON_PAGE_READY, token: 0 });
    expect(hostOf(s).context.exception).toEqual({ kind: 'pr', token, toL1: false, injected: false });
    expect(hostOf(s).context.pageReadyPending).toBe(false);

    s = play(s, 'cpu0: takes #PF (token 0x1000)');
    expect(taskStatuses(s)).toEqual(['runnable', 'running']);
    expect(hostOf(s).context.area).toEqual({ reason: 0, token: 0 });
    expect(guestOf(s).value).toBe('running');
    expect(s.tokens).toEqual([]);
  });
});

describe('arm64-rfcv1 normal sequence (reference §3)', () => {
  it('delivers both events as data aborts entered through the vectors', () => {
    let s = start('arm64-rfcv1', { timerExits: true });
    const token = 0x10000; // (1 << 16) | vcpu 0
    s = play(s, 'cpu0: task0 touches page0');
    expect(hostOf(s).context.exception).toEqual({ kind: 'np', token, toL1: false, injected: false });

    s = play(s, 'cpu0: takes data abort (token 0x10000)');
    expect(guestOf(s).value).toBe('vectors');
    s = play(s, 'cpu0: branches out of the vector table');
    expect(guestOf(s).value).toBe('kernelEntry');
    s = play(s, 'cpu0: kernel_entry saved ELR_EL1');
    // ESR_EL1 and FAR_EL1 stay live until the C handler reads them
    expect(guestOf(s).value).toBe('syndromeUnread');
    s = play(s, 'cpu0: el0_sync_handler reads ESR_EL1, el0_da FAR_EL1 (token 0x10000)');
    // do_lockdown read and zeroed the reason (D1); kvm_pv_async_pf_wait then takes the bucket lock (P1, locks-and-delivery §2.2)
    expect(guestOf(s).value).toBe('reasonRead');
    expect(hostOf(s).context.area.reason).toBe(0);
    s = play(s, 'cpu0: raw_spin_lock (bucket of token 0x10000)');
    expect(guestOf(s).value).toBe('bucketLocked');
    s = play(s, 'cpu0: hashes the sleeper node (token 0x10000), raw_spin_unlock');
    expect(taskStatuses(s)).toEqual(['sleeping', 'runnable']);
    // the waiter's own schedule(): __schedule switches to the idle task under rq->lock
    expect(guestOf(s).value).toBe('rqLocked');
    s = play(s, 'cpu0: context_switch -> idle, raw_spin_unlock(rq->lock)');
    expect(guestOf(s).value).toBe('idle');

    // __schedule holds rq->lock with IRQs off until finish_task_switch
    s = play(s, 'cpu0: schedule() -> task1');
    expect(guestOf(s).value).toBe('rqLocked');
    s = play(s, 'cpu0: context_switch -> task1, raw_spin_unlock(rq->lock)');
    expect(taskStatuses(s)).toEqual(['sleeping', 'running']);
    // task1 goes back to user through ret_to_user -> kernel_exit 0
    expect(guestOf(s).value).toBe('kernelExit');
    s = play(s, 'cpu0: kernel_exit restores x0-x30, eret');
    expect(guestOf(s).value).toBe('running');
    s = play(s, 'worker 0x10000: async_pf_execute done (page0 in)');
    s = play(s, 'vcpu0: vcpu_enter_guest');
    expect(hostOf(s).context.area).toEqual({ reason: REASON_PAGE_READY, token: 0 });
    expect(hostOf(s).context.exception).toEqual({ kind: 'pr', token, toL1: false, injected: false });

    s = play(s, 'cpu0: takes data abort (token 0x10000)');
    s = play(s, 'cpu0: branches out of the vector table');
    s = play(s, 'cpu0: kernel_entry saved ELR_EL1');
    s = play(s, 'cpu0: el0_sync_handler reads ESR_EL1, el0_da FAR_EL1 (token 0x10000)');
    s = play(s, 'cpu0: raw_spin_lock (bucket of token 0x10000)');
    s = play(s, 'cpu0: wakes (token 0x10000), raw_spin_unlock');
    expect(taskStatuses(s)).toEqual(['runnable', 'running']);
    expect(guestOf(s).value).toBe('kernelExit');
    s = play(s, 'cpu0: kernel_exit restores x0-x30, eret');
    expect(guestOf(s).value).toBe('running');
    expect(hostOf(s).context.area).toEqual({ reason: 0, token: 0 });
    expect(s.tokens).toEqual([]);
  });
});

describe('arm64-sdei normal sequence (reference §5)', () => {
  it('records the task in the SDEI handler, sleeps in do_notify_resume, wakes from the PPI, IRQ_ACK', () => {
    let s = start('arm64-sdei');
    const token = 0x1000;
    s = play(s, 'cpu0: task0 touches page0');
    expect(hostOf(s).context.area).toEqual({ reason: REASON_NOT_PRESENT, token });
    expect(hostOf(s).context.sdei).toBe(token);

    s = play(s, 'cpu0: takes SDEI not-present (token 0x1000)');
    expect(hostOf(s).context.area).toEqual({ reason: 0, token: 0 });
    expect(guestOf(s).context.tasks[0]).toEqual({ status: 'running', tif: true, pfaultWait: 0 });
    expect(guestOf(s).value).toBe('notifyResume');

    s = play(s, 'cpu0: reschedule IPI, do_notify_resume');
    expect(taskStatuses(s)).toEqual(['sleeping', 'runnable']);
    s = play(s, 'cpu0: schedule() -> task1');
    s = play(s, 'worker 0x1000: async_pf_execute done (page0 in)');
    s = play(s, 'vcpu0: vcpu_enter_guest');
    expect(hostOf(s).context.area).toEqual({ reason: REASON_PAGE_READY, token });
    expect(hostOf(s).context.irq).toBe(true);
    expect(hostOf(s).context.pageReadyPending).toBe(true);

    s = play(s, 'cpu0: takes page-ready interrupt');
    expect(guestOf(s).context.tasks[0]).toEqual({ status: 'runnable', tif: false, pfaultWait: 0 });
    expect(hostOf(s).context.area).toEqual({ reason: 0, token: 0 });

    s = play(s, 'cpu0: IRQ_ACK hypercall');
    expect(hostOf(s).context.pageReadyPending).toBe(false);
    expect(s.tokens).toEqual([]);
  });
});

describe('CPU offline: what the guest does for its waiters', () => {
  /** A guest CPU whose task0 sleeps on token 0x1000, and whose cpuhp thread has begun taking it offline. */
  const withSleeper = (design: string) => {
    const guest = machinesOf(designByName(design)).guest;
    const start = guest.initial({ vcpu: 0, taskCount: 2, slots: 2, bootThread: false });
    return {
      guest,
      state: {
        value: 'running',
        context: { ...start.context, tasks: [{ status: 'sleeping' as const, tif: false, pfaultWait: 0 as const }, { status: 'running' as const, tif: false, pfaultWait: 0 as const }], current: 1, nodes: [{ token: 0x1000, task: 0 }] },
      },
    };
  };
  const offlining = (design: string) => {
    const { guest, state } = withSleeper(design);
    const prepared = guest.step(state, { type: 'CPU_DOWN_PREPARE' }).next;
    expect(prepared.value).toBe('cpuhpOffline');
    return { guest, state: prepared };
  };

  it('x86 kvm_guest_cpu_offline wakes this CPU\'s sleepers (apf_task_wake_all)', () => {
    const { guest, state } = offlining('x86');
    const next = guest.step(state, { type: 'CPU_OFFLINE' }).next;
    expect(next.context.tasks[0]!.status).toBe('runnable');
    // local_irq_restore: the CPU goes on with the task the cpuhp thread preempted
    expect(next.value).toBe('running');
    expect(next.context.cpuhp).toBe(false);
  });

  it('arm64 RFCv1 kvm_cpu_offline only disables: the sleeper sleeps on (locks-and-delivery §2.2)', () => {
    const { guest, state } = offlining('arm64-rfcv1');
    const next = guest.step(state, { type: 'CPU_OFFLINE' }).next;
    expect(next.context.apfEnabled).toBe(false);
    expect(next.context.tasks[0]!.status).toBe('sleeping');
    expect(next.context.nodes).toEqual([{ token: 0x1000, task: 0 }]);
  });
});
