/**
 * bounded-outstanding (S5). `queued <= ASYNC_PF_PER_VCPU` (+1 for a transient
 * wake-all item, which `kvm_async_pf_wakeup_all` adds without the check), and,
 * where the host keeps the outstanding-gfn table, at most one outstanding item
 * per (vCPU, gfn). Upheld by the limit check in `kvm_setup_async_pf` and the
 * gfn hash (`kvm_find_async_pf_gfn` -> synthetic halt or re-fault), reference
 * §2.2, §2.5, §6 S5. s390 keeps no such table: each fault is its own work
 * item, with its own PFAULT_INIT/DONE pair for the task that took it
 * (s390-pfault §3.2), so two tasks faulting on one page are two items there.
 */
import type { SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const boundedOutstanding: SafetyProperty = {
  id: 'bounded-outstanding',
  label: 'S5',
  kind: 'safety',
  perVcpu: true,
  summary: 'queued <= limit (+1 wake-all) per vCPU, one outstanding item per (vCPU, gfn)',
  check(state: SystemState) {
    for (const [v, h] of state.hosts.entries()) {
      const { items, limit } = h.context;
      if (items.length > limit + 1) return `vcpu${v}: ${items.length} items queued, limit ${limit} (+1 wake-all)`;
      if (state.config.design.fallback === 'synchronous') continue;
      const gfns = items.filter((w) => !w.wakeAll).map((w) => w.gfn);
      if (new Set(gfns).size !== gfns.length) return `vcpu${v}: two outstanding items for the same gfn`;
    }
    return undefined;
  },
};
