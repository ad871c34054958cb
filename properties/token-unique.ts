/**
 * token-unique (S6). Tokens of outstanding faults are unique across the VM,
 * so a page-ready names exactly one waiter. Upheld by `alloc_apf_token`:
 * `(id++ << 12) | vcpu_id` (RFCv1: `<< 16`), unique while a vCPU has fewer
 * than 2^20 faults in flight and `vcpu_id < 4096` (reference §2.2, §6 S6).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const tokenUnique: SafetyProperty = {
  id: 'token-unique',
  label: 'S6',
  kind: 'safety',
  summary: 'outstanding tokens are unique across the VM',
  // runs on every new state of an exhaustive search (it is not per-vCPU), so it scans the items in place
  check(state: SystemState) {
    const { hosts } = state;
    for (let v = 0; v < hosts.length; v++) {
      for (const item of hosts[v]!.context.items) {
        if (item.wakeAll) continue;
        // the first earlier outstanding item with this token, in (vCPU, queue) order
        for (let u = 0; u <= v; u++) {
          const earlier = hosts[u]!.context.items.find((other) => !other.wakeAll && other.token === item.token);
          if (earlier !== undefined && earlier !== item) return `token ${formatToken(item.token)} is outstanding on vcpu${u} and vcpu${v}`;
          if (earlier === item) break;
        }
      }
    }
    return undefined;
  },
};
