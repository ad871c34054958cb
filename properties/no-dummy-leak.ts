/**
 * no-dummy-leak (S11). Every dummy node is consumed: `kvm_async_pf_task_wake`
 * files a dummy when page-ready finds no sleeper (wake before wait,
 * 0547758a6de3) and the not-present of the same token consumes it
 * (`kvm_async_pf_queue_task` / the RFCv1 wait). A page-ready whose
 * not-present never comes (2a18b7e7cd88's synthetic-halt fault; pre-5.8 x86
 * with a nested guest, whose L2 fault's not-present goes to L1's #PF exit)
 * leaves a dummy nobody frees, one kzalloc per such page-ready. The guest
 * machine bounds its table (tasks + ASYNC_PF_PER_VCPU nodes, guest.ts
 * `tableOverflows`) and stops following a guest that would exceed it, so a
 * leaking design fails here instead of making the search run forever.
 */
import { PANIC_MESSAGES } from '../machines/guest.js';
import type { SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const noDummyLeak: SafetyProperty = {
  id: 'no-dummy-leak',
  label: 'S11',
  kind: 'safety',
  perVcpu: true,
  summary: 'the sleeper table never outgrows its sleepers and the host\'s outstanding completions: no dummy node is filed for a not-present that never comes',
  check(state: SystemState) {
    for (const [v, g] of state.guests.entries()) {
      if (g.context.panic === 'dummy-leak') return `cpu${v}: ${PANIC_MESSAGES['dummy-leak']}`;
    }
    return undefined;
  },
};
