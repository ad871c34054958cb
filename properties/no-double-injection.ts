/**
 * no-double-injection (S2). A token's not-present reaches the guest at most
 * once, its page-ready is raised at most once, and each work item is dequeued
 * from `done` exactly once. Upheld by `kvm_setup_async_pf` creating one item
 * per fault, the gfn hash turning repeated faults into synthetic halt, and
 * `kvm_check_async_pf_completion` unlinking the item it delivers (reference
 * §2.4, §2.6, §6 S2).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const noDoubleInjection: SafetyProperty = {
  id: 'no-double-injection',
  label: 'S2',
  kind: 'safety',
  perVcpu: true,
  summary: "a token's not-present and page-ready reach the guest at most once; each item is dequeued once",
  check(state: SystemState) {
    for (const t of state.tokens) {
      const c = t.context;
      const token = formatToken(c.token);
      if (c.notPresentSeen > 1) return `not-present for token ${token} reached the guest twice`;
      if (c.pageReadyRaised > 1) return `page-ready for token ${token} was raised twice`;
      if (c.dequeues > 1) return `work item ${token} was dequeued twice`;
    }
    for (const [v, h] of state.hosts.entries()) {
      if (new Set(h.context.done).size !== h.context.done.length) return `vcpu${v}: an item is on done twice`;
    }
    return undefined;
  },
};
