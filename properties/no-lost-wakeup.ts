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
import type { SystemConfig, SystemState } from '../src/system/system.js';
import { describeWaiter, waiters, waitersOn } from './observe.js';
import type { LivenessGoal, LivenessProperty } from './types.js';

export const noLostWakeup: LivenessProperty = {
  id: 'no-lost-wakeup',
  label: 'L1',
  kind: 'liveness',
  summary: 'every task sleeping on a token is eventually woken (page-ready, ~0, or the guest wake-all)',
  goals(config: SystemConfig): LivenessGoal[] {
    // one goal per task: "this task is not waiting on async PF"
    return Array.from({ length: config.scope.tasks }, (_, task) => {
      const waiter = (s: SystemState) => waiters(s).find((w) => w.task === task);
      return {
        pending: (s: SystemState) => waiter(s) !== undefined,
        reached: (s: SystemState) => waiter(s) === undefined,
        explain: (s: SystemState) => `${describeWaiter(waiter(s)!)} and no fair continuation wakes it`,
        explainCycle: (s: SystemState, steps: number) => `${describeWaiter(waiter(s)!)} and a fair cycle of ${steps} steps never wakes it`,
        // the task lives on one CPU: only there can it wait
        projection: (s: SystemState, v: number) => (waitersOn(s, v).some((w) => w.task === task) ? 'waits' : ''),
      };
    });
  },
};
