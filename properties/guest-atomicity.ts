/**
 * guest-atomicity (S9). The guest's sleeper table stays consistent: at most
 * one node (sleeper or dummy) per token, so a page-ready wakes the one task
 * waiting for it; and no task goes to sleep from atomic context (the pre-5.8
 * and RFCv1 guests halt instead). Upheld by the #PF path running with IRQs off
 * until the node is hashed, and `kvm_async_pf_task_wake` re-checking for a
 * node after allocating its dummy outside the raw bucket lock (0547758a6de3,
 * baec4f5a018f; reference §2.3, §2.7, §6 S9).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const guestAtomicity: SafetyProperty = {
  id: 'guest-atomicity',
  label: 'S9',
  kind: 'safety',
  summary: 'one sleeper-table node per token; no task sleeps from atomic context',
  check(state: SystemState) {
    for (const [v, g] of state.guests.entries()) {
      const tokens = g.context.nodes.map((n) => n.token);
      const duplicate = tokens.find((t, i) => tokens.indexOf(t) !== i);
      if (duplicate !== undefined) return `cpu${v}: two sleeper-table nodes for token ${formatToken(duplicate)}`;
      const current = g.context.tasks[g.context.current];
      if (current?.status === 'sleeping') return `cpu${v}: the current task is asleep (slept from atomic context)`;
    }
    return undefined;
  },
};
