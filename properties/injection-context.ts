/**
 * injection-context (S4). Not-present is only injected where the guest can
 * take it: never with IF=0, never at CPL0 unless the guest asked for
 * SEND_ALWAYS (and a v5.8+ Linux guest never does: it panics), never with
 * paging off (57cb3bb0dc89), never to an L2 whose L1 did not opt in. Upheld by
 * `kvm_can_do_async_pf` and `kvm_can_deliver_async_pf` (reference §2.5, §2.7,
 * §6 S4; 3a7c8fafd1b4). An injection into arm64's vector window, or over an
 * unsaved ELR_EL1, is the single-slot property's.
 */
import { PANIC_MESSAGES } from '../machines/guest.js';
import { globalTask, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const injectionContext: SafetyProperty = {
  id: 'injection-context',
  label: 'S4',
  kind: 'safety',
  perVcpu: true,
  summary: 'not-present never lands where the guest cannot sleep (IF=0, non-preemptible kernel), with paging off, or in L2',
  check(state: SystemState) {
    for (const [v, h] of state.hosts.entries()) {
      const c = h.context;
      const notPresentPending = c.exception?.kind === 'np' || c.sdei !== null;
      if (!notPresentPending) continue;
      if (!c.paging) return `vcpu${v}: not-present queued while the guest runs with CR0.PG=0`;
      if (c.inL2) return `vcpu${v}: not-present queued for L2, whose L1 did not set DELIVERY_AS_PF_VMEXIT`;
    }
    for (const [v, g] of state.guests.entries()) {
      const cause = g.context.panic;
      if (cause === 'kernel-mode' || cause === 'irqs-disabled' || cause === 'pfault-kernel-mode') return `cpu${v}: ${PANIC_MESSAGES[cause]}`;
    }
    // asked of every vCPU share the exhaustive search meets: the halted task is looked for directly, without listing every waiter
    for (const [v, g] of state.guests.entries()) {
      const local = g.context.tasks.findIndex((task) => task.status === 'halted');
      if (local >= 0) {
        return `task${globalTask(state.config.scope, v, local)} (cpu${v}) took not-present in kernel code that cannot sleep and halts its CPU until page-ready (3a7c8fafd1b4)`;
      }
    }
    return undefined;
  },
};
