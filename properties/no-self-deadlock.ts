/**
 * no-self-deadlock (S10). A handler never waits for a lock that the context
 * it interrupted holds on the same CPU: raw spinlocks do not recurse. On x86
 * the sleeper table's sections run with IF=0, where neither page-ready event
 * can land; RFCv1 injects page-ready as a data abort, which no IRQ mask holds
 * back, so it can land while `kvm_pv_async_pf_wait` or `kvm_pv_async_pf_wake`
 * holds a bucket lock its own waker then takes, or inside `__schedule` while
 * it holds `rq->lock` that the waker's `try_to_wake_up` takes
 * (locks-and-delivery §2.3; the seed's "sometimes the guest can be stuck").
 */
import { PANIC_MESSAGES } from '../machines/guest.js';
import type { SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const noSelfDeadlock: SafetyProperty = {
  id: 'no-self-deadlock',
  label: 'S10',
  kind: 'safety',
  perVcpu: true,
  summary: 'no handler spins on a lock the code it interrupted holds on the same CPU (a sleeper-bucket lock, rq->lock)',
  check(state: SystemState) {
    for (const [v, g] of state.guests.entries()) {
      const cause = g.context.panic;
      if (cause === 'bucket-self-deadlock' || cause === 'rq-self-deadlock') return `cpu${v}: ${PANIC_MESSAGES[cause]}`;
    }
    return undefined;
  },
};
