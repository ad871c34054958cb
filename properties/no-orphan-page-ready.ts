/**
 * no-orphan-page-ready (S1). The guest receives page-ready(t) only if it was
 * sent not-present(t), except the broadcast `~0`. Upheld since 2a18b7e7cd88 by
 * `kvm_arch_async_page_present` checking `notpresent_injected`: a fault that
 * went through synthetic halt (CPL0, APF off) is completed silently. Before
 * it, the guest filed a dummy node for the unknown token that nothing ever
 * consumed (reference §2.6, §6 S1).
 */
import { formatToken, type SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const noOrphanPageReady: SafetyProperty = {
  id: 'no-orphan-page-ready',
  label: 'S1',
  kind: 'safety',
  perVcpu: true,
  summary: 'page-ready(t) only follows a not-present(t) that was injected (~0 excepted)',
  check(state: SystemState) {
    for (const t of state.tokens) {
      if (t.context.pageReadyRaised === 0) continue;
      const token = formatToken(t.context.token);
      if (!t.context.notified) {
        return `page-ready for token ${token} raised on vcpu${t.context.vcpu}, whose not-present was never injected (synthetic halt path)`;
      }
      if (t.context.notPresentCancelled) {
        return `page-ready for token ${token} raised on vcpu${t.context.vcpu}, whose not-present was cancelled before the guest took it`;
      }
    }
    return undefined;
  },
};
