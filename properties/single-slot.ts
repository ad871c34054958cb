/**
 * single-slot (S3). At most one async event is in flight per slot, and an
 * exception is never injected over one the guest has not yet taken: no #DF
 * from two #PFs (x86: the pending-exception check of 2a266f23550b in
 * `kvm_can_do_async_pf`), no data abort over an ELR_EL1 the guest has not
 * saved (arm64: RFCv1's vector-window check, and the "two data aborts at
 * once" of the seed's cover letter), nor over the exception state the guest
 * has not consumed yet: on arm64 the ELR_EL1/SPSR_EL1 `kernel_exit` restored
 * for its `eret`, and the ESR_EL1/FAR_EL1 the C handler has not read after
 * `kernel_entry`. Reference §2.5 step 1, §3, §6 S3.
 */
import { PANIC_MESSAGES } from '../machines/guest.js';
import type { SystemState } from '../src/system/system.js';
import type { SafetyProperty } from './types.js';

export const singleSlot: SafetyProperty = {
  id: 'single-slot',
  label: 'S3',
  kind: 'safety',
  perVcpu: true,
  summary: 'one async event in flight per slot; no exception injected over a pending one or over live exception state (#DF; arm64 ELR_EL1, SPSR_EL1, ESR_EL1, FAR_EL1)',
  check(state: SystemState) {
    for (const [v, h] of state.hosts.entries()) {
      if (h.context.exception?.kind !== 'df') continue;
      // arm64 injects by rewriting EL1 state (`inject_abt64`): the second abort overwrites the first's saved state
      if (state.config.design.exceptionEntryWindow) return `vcpu${v}: a second data abort was injected before the guest took the first: its ELR_EL1/SPSR_EL1 are overwritten`;
      return `vcpu${v}: a second async #PF was queued while one was pending: #DF`;
    }
    for (const [v, g] of state.guests.entries()) {
      const cause = g.context.panic;
      if (cause === 'double-fault' || cause === 'elr-clobbered' || cause === 'eret-clobbered' || cause === 'esr-clobbered') return `cpu${v}: ${PANIC_MESSAGES[cause]}`;
    }
    return undefined;
  },
};
