/**
 * guest-atomicity (S9). The guest's sleeper table stays consistent: at most
 * one node (sleeper or dummy) per token, so a page-ready wakes the one task
 * waiting for it. Upheld by the #PF path running with IRQs off until the node
 * is hashed, and `kvm_async_pf_task_wake` re-checking for a node after
 * allocating its dummy outside the raw bucket lock (0547758a6de3,
 * baec4f5a018f; reference §2.3, §2.7, §6 S9). The other half of S9, no
 * sleeping from atomic context, is built into the guest machine: a waiter
 * that cannot schedule halts instead (and injection-context reports that).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const guestAtomicity: SafetyProperty = {
  id: 'guest-atomicity',
  label: 'S9',
  kind: 'safety',
  perVcpu: true,
  summary: 'one sleeper-table node (sleeper or dummy) per token',
  check(state: SystemState) {
    for (const [v, g] of state.guests.entries()) {
      const tokens = g.context.nodes.map((n) => n.token);
      const duplicate = tokens.find((t, i) => tokens.indexOf(t) !== i);
      if (duplicate !== undefined) return `cpu${v}: two sleeper-table nodes for token ${formatToken(duplicate)}`;
    }
    return undefined;
  },
};
