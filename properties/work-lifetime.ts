/**
 * work-lifetime (S7). No work item is freed while `async_pf_execute` still
 * runs on it: `kvm_clear_async_pf_completion_queue` (disable, reset, vCPU
 * destroy) and `kvm_check_async_pf_completion` flush each item before freeing
 * it since 3d75b8aa5c29, so neither the item nor the module can go away under
 * a running worker (reference §2.4, §2.7 "destruction", §6 S7).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const workLifetime: SafetyProperty = {
  id: 'work-lifetime',
  label: 'S7',
  kind: 'safety',
  perVcpu: true,
  summary: 'no work item freed while its worker still runs',
  check(state: SystemState) {
    for (const t of state.tokens) {
      if (t.context.freedWhileWorkerRan) {
        return `work item ${formatToken(t.context.token)} (vcpu${t.context.vcpu}) freed while async_pf_execute still ran: use after free`;
      }
    }
    return undefined;
  },
};
