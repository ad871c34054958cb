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
  // it reads a vCPU's outstanding tokens in queue order, nothing else
  projection: (state, v) => state.hosts[v]!.context.items.flatMap((item) => (item.wakeAll ? [] : [item.token])).join(','),
  check(state: SystemState) {
    const { hosts } = state;
    for (let v = 0; v < hosts.length; v++) {
      const items = hosts[v]!.context.items;
      for (let k = 0; k < items.length; k++) {
        if (items[k]!.wakeAll) continue;
        const u = firstHolder(state, v, k);
        if (u >= 0) return `token ${formatToken(items[k]!.token)} is outstanding on vcpu${u} and vcpu${v}`;
      }
    }
    return undefined;
  },
};

/** The vCPU of the first outstanding item, in (vCPU, queue) order before item k of vCPU v, with that item's token; -1 if none. */
function firstHolder(state: SystemState, v: number, k: number): number {
  const token = state.hosts[v]!.context.items[k]!.token;
  for (let u = 0; u <= v; u++) {
    const items = state.hosts[u]!.context.items;
    const end = u === v ? k : items.length;
    for (let i = 0; i < end; i++) if (!items[i]!.wakeAll && items[i]!.token === token) return u;
  }
  return -1;
}
