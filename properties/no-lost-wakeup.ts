/**
 * no-lost-wakeup (L1). Every task that sleeps on token t is eventually woken:
 * by page-ready(t), by a `~0` wake-all for its CPU, or by the guest's own
 * `apf_task_wake_all` when it takes the CPU offline. Upheld by
 * `kvm_check_async_pf_completion` delivering every announced item, the dummy
 * node for a wake that comes first, and the enable-time wake-all (reference
 * §2.4, §2.7). Broken by ab4e41eb9fab (SMI cleared the queue), 2f15d027c05f
 * (LAPIC off), 68c35f89d016 (missed kick) and 9a6e7c39810e (unmatched cancel).
 * Checked on the end of a run: some waiter must be wakeable by a fair
 * continuation (see fair-continuation.ts).
 */
import type { SystemState } from '../src/system/system.js';
import { DEFAULT_FAIR_BUDGET, fairlyReachable } from './fair-continuation.js';
import { describeWaiter, panicked, waiters } from './observe.js';
import type { LivenessProperty } from './types.js';

export const noLostWakeup: LivenessProperty = {
  id: 'no-lost-wakeup',
  label: 'L1',
  kind: 'liveness',
  summary: 'every task sleeping on a token is eventually woken (page-ready, ~0, or the guest wake-all)',
  check(state: SystemState, budget = DEFAULT_FAIR_BUDGET) {
    if (panicked(state).length > 0) return undefined; // a dead guest is reported by the safety properties
    for (const waiter of waiters(state)) {
      const stillWaiting = (s: SystemState) => {
        const status = s.guests[waiter.vcpu]!.context.tasks[waiter.local]?.status;
        return status === 'sleeping' || status === 'halted';
      };
      if (fairlyReachable(state, (s) => !stillWaiting(s), budget) === 'unreachable') {
        return `${describeWaiter(waiter)} and no fair continuation wakes it`;
      }
    }
    return undefined;
  },
};
