/**
 * no-stuck-guest (L2/L3). From every reachable state the system can get back
 * to progress: no task waiting on async PF, no vCPU in synthetic halt, every
 * `done` list drained, with the environment fair (workers finish, the guest
 * re-enables IRQs, LAPIC and paging come back). Upheld by the wake from
 * synthetic halt on `kvm_vcpu_has_events`, the request and kick on done's
 * empty->non-empty transition, and the ACK-triggered rescan (reference §2.4,
 * §2.5, §6 L2/L3). Broken by 2f15d027c05f (slot wedged behind a dropped
 * interrupt) and 68c35f89d016 (kick lost to store buffering).
 */
import type { SystemState } from '../src/system/system.js';
import { apfHalted, describeWaiter, waiters, waitersOn } from './observe.js';
import type { LivenessGoal, LivenessProperty } from './types.js';

/** Progress: nobody waits on async PF, no synthetic halt, nothing left on `done`. */
export function atRest(state: SystemState): boolean {
  return state.hosts.every((_, v) => restsOn(state, v));
}

/** Progress on one vCPU: none of its tasks waits on async PF, it is not in synthetic halt, its `done` list is empty. */
function restsOn(state: SystemState, v: number): boolean {
  return waitersOn(state, v).length === 0 && !apfHalted(state, v) && state.hosts[v]!.context.done.length === 0;
}

function describeStuck(state: SystemState): string {
  const parts = waiters(state).map(describeWaiter);
  state.hosts.forEach((h, v) => {
    if (apfHalted(state, v)) parts.push(`vcpu${v} is in synthetic halt`);
    if (h.context.done.length > 0) parts.push(`vcpu${v} has ${h.context.done.length} item(s) on done`);
  });
  return parts.join('; ');
}

const REST: LivenessGoal = {
  pending: (s) => !atRest(s),
  reached: atRest,
  explain: (s) => `stuck: ${describeStuck(s)}, and no fair continuation makes progress`,
  explainCycle: (s, steps) => `stuck: ${describeStuck(s)}, and a fair cycle of ${steps} steps never makes progress`,
  projection: (s, v) => (restsOn(s, v) ? 'rests' : ''),
};

export const noStuckGuest: LivenessProperty = {
  id: 'no-stuck-guest',
  label: 'L2/L3',
  kind: 'liveness',
  summary: 'no waiting task, synthetic halt or done list that a fair continuation can never clear',
  goals: () => [REST],
};
