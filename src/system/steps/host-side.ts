/**
 * Host-side steps of a vCPU: its workers (`async_pf_execute`), the store
 * buffers of the missed-kick race, the run loop's `vcpu_enter_guest`, and
 * INIT (`kvm_vcpu_reset`).
 */
import { formatToken, guestView } from '../state.js';
import type { StepEntry } from './types.js';

const always = (): boolean => true;

/** `async_pf_execute`: the page is in; the item moves to `done` (and, on done's empty->non-empty transition, request and kick). */
export const workerDone: StepEntry = {
  kind: 'worker-done',
  actor: 'worker',
  offered: (at) => at.h.items.flatMap((item) => (!item.completed && !item.wakeAll ? [item.token] : [])),
  label: (at, token) => `worker ${formatToken(token as number)}: async_pf_execute done (page${at.h.items.find((w) => w.token === token)!.gfn} in)`,
  apply(d, v, token) {
    const item = d.hosts[v]!.context.items.find((w) => w.token === token)!;
    d.resident[item.gfn] = true;
    d.host(v, { type: 'WORKER_DONE', token: item.token });
    d.token(v, item.token, { type: 'COMPLETED' });
  },
  fair: always,
};

/** `async_pf_execute` returns after `__kvm_vcpu_wake_up` and `mmput`: what `kvm_flush_and_free_async_pf_work` waits for. */
export const workerReturn: StepEntry = {
  kind: 'worker-return',
  actor: 'worker',
  offered: (at) => at.h.items.flatMap((item) => (item.workerRunning ? [item.token] : [])),
  label: (_, token) => `worker ${formatToken(token as number)}: async_pf_execute returns`,
  apply: (d, v, token) => d.host(v, { type: 'WORKER_RETURNED', token: token as number }),
  fair: always,
};

/** The vCPU's store buffer drains the ACK handler's `pageready_pending = false` (missed-kick, 68c35f89d016). */
export const storeDrain: StepEntry = {
  kind: 'store-drain',
  actor: 'host',
  offered: (at) => (at.h.ackStoreBuffered ? [0] : []),
  label: (at) => `vcpu${at.v}: store buffer drains (pageready_pending=0 visible)`,
  apply: (d, v) => d.host(v, { type: 'STORE_BUFFER_DRAINS' }),
  fair: always,
};

/** The worker's store buffer drains its `KVM_REQ_APF_READY` (missed-kick, 68c35f89d016). */
export const workerDrain: StepEntry = {
  kind: 'worker-drain',
  actor: 'worker',
  offered: (at) => (at.h.requestBuffered ? [0] : []),
  label: () => `worker: store buffer drains (KVM_REQ_APF_READY visible)`,
  apply: (d, v) => d.host(v, { type: 'WORKER_STORES_DRAIN' }),
  fair: always,
};

/**
 * `vcpu_enter_guest` when something is due: a kick (an exit, or a worker's
 * IPI landing: until it does the vCPU runs on), the wake from synthetic
 * halt (`kvm_vcpu_has_events`: done non-empty or an interrupt pending), a
 * `KVM_REQ_APF_READY` seen on an exit, or (pre-5.8, RFCv1) the poll of `done`
 * on every run-loop iteration. An exit happens on a kick, a HLT (not with
 * idle=poll), the pre-5.8/RFCv1 halt loop, or the host timer (`timerExits`).
 * A vCPU with an exception still to inject is between the exit that queued it
 * and the entry that injects it: a worker may complete before the run loop's
 * completion check (`vcpu_run`), which can then raise a page-ready first
 * (s390's entry check only frees items, and take-exception runs it already).
 */
export const enterGuest: StepEntry = {
  kind: 'enter-guest',
  actor: 'host',
  offered(at) {
    const { h, exec, scope } = at;
    const halted = at.run === 'apfHalted';
    const wakesFromHalt = halted && (h.done.length > 0 || h.irq);
    const idleExits = exec === 'idle' && !scope.idlePoll;
    const injectsAtEntry = at.phase === 'exception' && at.design.completion === 'scan';
    // a worker's kick IPI lands: the vCPU exits (or was out already)
    const outOfGuest = h.kicked || h.ipiInFlight || idleExits || exec === 'apfHalt' || scope.timerExits || injectsAtEntry;
    const requestDue = h.readyRequest && outOfGuest && !halted;
    const pollDue = at.design.completionScan === 'every-entry' && h.done.length > 0 && outOfGuest && !halted && exec !== 'panicked';
    return (h.kicked || h.ipiInFlight || wakesFromHalt || requestDue || pollDue) && !h.ackStoreBuffered ? [0] : [];
  },
  label: (at) => `vcpu${at.v}: vcpu_enter_guest${at.run === 'apfHalted' ? ' (leaves synthetic halt)' : ''}`,
  apply: (d, v) => d.host(v, { type: 'ENTER_GUEST', guest: guestView(d.guests[v]!) }),
  fair: always,
};

/** INIT (`kvm_vcpu_reset`), offered for a CPU the guest has taken offline (the guest offlines before it resets a CPU), with the hotplug switch. */
export const vcpuReset: StepEntry = {
  kind: 'vcpu-reset',
  actor: 'host',
  offered: (at) => (at.scope.hotplug && !at.g.apfEnabled ? [0] : []),
  label: (at) => `vcpu${at.v}: INIT (kvm_vcpu_reset)`,
  apply: (d, v) => d.host(v, { type: 'VCPU_RESET' }),
  fair: () => false,
};

/** The host-side steps, in offer order. */
export const HOST_SIDE_STEPS: readonly StepEntry[] = [workerDone, workerReturn, storeDrain, workerDrain, enterGuest, vcpuReset];
