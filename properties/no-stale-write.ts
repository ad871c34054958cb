/**
 * no-stale-write (S8). Once the guest has turned APF off on a CPU (offline;
 * reboot and hibernation are not steps yet, machines/README.md
 * "Completeness") or that CPU's kernel is gone (crash into kdump), the host writes
 * nothing more into its `kvm_vcpu_pv_apf_data` and raises no more async
 * events there: the memory may belong to someone else now. Upheld by the
 * guest writing MSR_KVM_ASYNC_PF_EN = 0 on every such path (8b79feffeca2,
 * 3d6b84132d2a) and the host's `kvm_clear_async_pf_completion_queue` on
 * disable (reference §2.7, §6 S8).
 */
import type { SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const noStaleWrite: SafetyProperty = {
  id: 'no-stale-write',
  label: 'S8',
  kind: 'safety',
  judgesSteps: true,
  summary: 'no host write or async event into a CPU that turned APF off or crashed',
  check(state: SystemState, previous?: SystemState) {
    if (previous === undefined) return undefined;
    for (const [v, h] of state.hosts.entries()) {
      const guest = state.guests[v]!.context;
      if (guest.apfEnabled) continue;
      const before = previous.hosts[v]!.context;
      const now = h.context;
      const wrote =
        (now.area.reason !== 0 && now.area.reason !== before.area.reason) ||
        (now.area.token !== 0 && now.area.token !== before.area.token);
      const raised = (now.exception !== null && before.exception === null) || (now.irq && !before.irq) || (now.sdei !== null && before.sdei === null);
      const why = guest.panic !== null ? 'crashed without turning APF off' : 'turned APF off';
      if (wrote) return `vcpu${v}: host wrote the async-PF area after the guest ${why}`;
      if (raised) return `vcpu${v}: host raised an async-PF event after the guest ${why}`;
    }
    return undefined;
  },
};
