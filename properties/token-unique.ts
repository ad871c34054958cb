/**
 * token-unique (S6). Tokens of outstanding faults are unique across the VM,
 * so a page-ready names exactly one waiter. Upheld by `alloc_apf_token`:
 * `(id++ << 12) | vcpu_id` (RFCv1: `<< 16`), unique while a vCPU has fewer
 * than 2^20 faults in flight and `vcpu_id < 4096` (reference §2.2, §6 S6).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import { outstandingTokens } from './observe.js';
import type { SafetyProperty } from './types.js';

export const tokenUnique: SafetyProperty = {
  id: 'token-unique',
  label: 'S6',
  kind: 'safety',
  summary: 'outstanding tokens are unique across the VM',
  check(state: SystemState) {
    const owner = new Map<number, number>();
    for (const { vcpu, token } of outstandingTokens(state)) {
      const other = owner.get(token);
      if (other !== undefined) return `token ${formatToken(token)} is outstanding on vcpu${other} and vcpu${vcpu}`;
      owner.set(token, vcpu);
    }
    return undefined;
  },
};
