/**
 * Validation of a run's scope against `ScopeSchema` (machines/scope.ts) and
 * the design: ranges, and the rules that tie fields together. Errors say
 * what is allowed, in one line.
 */
import { DESIGNS, pageReadyLandsInLockedSections, type DesignOptions } from '../../machines/design.js';
import { ScopeSchema, SCOPE_SIZES, type Scope } from '../../machines/scope.js';
import { UsageError } from '../errors.js';

/** The allowed range of a numeric scope field, as the schema states it. */
export function sizeRange(field: (typeof SCOPE_SIZES)[number]): readonly [number, number] {
  const schema = ScopeSchema.shape[field];
  return [schema.minValue ?? 0, schema.maxValue ?? Number.MAX_SAFE_INTEGER];
}

/** Checks a scope against the allowed ranges and the design; throws UsageError naming the field. */
export function validateScope(scope: Scope, design: DesignOptions): Scope {
  for (const field of SCOPE_SIZES) {
    const [lo, hi] = sizeRange(field);
    const value = scope[field];
    if (!Number.isInteger(value) || value < lo || value > hi) {
      throw new UsageError(`${field} must be an integer from ${lo} to ${hi}, got ${String(value)}`);
    }
  }
  if (scope.pfVmexit && !scope.nested) {
    throw new UsageError('pfVmexit is about nested async PF: it needs nested');
  }
  if (scope.migration && (!scope.pfVmexit || scope.vcpus < 2)) {
    throw new UsageError("migration moves L1's vCPU thread out of its #PF VM-exit window to another CPU: it needs nested, pfVmexit and at least 2 vcpus");
  }
  if (scope.migration && scope.hotplug) {
    // the migrated sleeper's node carries its new CPU (n->cpu), which this model does not track: a wake-all would be wrong
    throw new UsageError('migration and hotplug cannot be combined: the model files a migrated sleeper under the faulting CPU, whose wake-all would wrongly wake it');
  }
  if (scope.sendAlways) refuseSendAlways(design);
  for (const x86Only of ['nested', 'smm', 'lapic'] as const) {
    if (scope[x86Only] && !design.x86PlatformEvents) {
      throw new UsageError(`${x86Only} is an x86 switch; design '${design.name}' does not model it`);
    }
  }
  if (scope.pfVmexit && pageReadyLandsInLockedSections(design)) {
    // L1's page-ready handler runs inside the model's L2 window (the host still in guest mode), so a fault of its locked sections would go to L1 as L2's #PF VM-exit
    throw new UsageError(
      `pfVmexit with design '${design.name}': its page-ready exception ignores IF (pageReady 'exception' without interruptsGate, or raised by the worker), so L1's handler and its locked sections run inside the model's L2 window, where a fault of theirs would reach L1 as L2's #PF VM-exit; the model does not tell the two apart`,
    );
  }
  return scope;
}

/** SEND_ALWAYS exists for a guest that asks for it: one with the bit (not s390) that waits in kernel mode (not v5.8+). */
function sendAlwaysExists(design: DesignOptions): boolean {
  return design.registration !== 'diag258' && design.kernelModeNotPresent === 'wait';
}

function refuseSendAlways(design: DesignOptions): void {
  if (sendAlwaysExists(design) && design.notPresent !== 'sdei') return;
  if (sendAlwaysExists(design)) {
    throw new UsageError(
      `sendAlways: design '${design.name}' raises its SDEI not-present in user mode only (kvm_arch_async_not_present_allowed, §5): its handler leaves the sleep to do_notify_resume on the way back to user, which kernel code it interrupted would not reach before touching the page again, and the model does not follow that`,
    );
  }
  const fits = DESIGNS.filter(sendAlwaysExists).map((d) => d.name).join(', ');
  if (design.registration === 'diag258') {
    throw new UsageError(
      `sendAlways: design '${design.name}' has no such bit; its guest asks for not-present in user mode only, through the DIAG 0x258 select/compare masks (PSW problem state, s390-pfault §6.4); designs with SEND_ALWAYS: ${fits}`,
    );
  }
  // 3a7c8fafd1b4 (v5.8) stopped setting SEND_ALWAYS and made a kernel-mode not-present a panic in the same change
  throw new UsageError(
    `sendAlways with design '${design.name}' is a guest that never existed: it panics on a kernel-mode not-present, so it never asks for one (x86 stopped setting SEND_ALWAYS in 3a7c8fafd1b4, which added the panic); designs with SEND_ALWAYS: ${fits}`,
  );
}
