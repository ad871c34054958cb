/**
 * Scope of a run (how many vCPUs, tasks, pages; the per-vCPU limit; switches)
 * and its validation. Errors say what is allowed, in one line.
 */
import type { DesignOptions } from '../../machines/design.js';

export interface Scope {
  /** vCPUs, 1-4 */
  readonly vcpus: number;
  /** guest tasks, 1-6, pinned round-robin (task i on vCPU i mod vcpus); at least one per vCPU */
  readonly tasks: number;
  /** guest pages the tasks touch, 1-4 */
  readonly pages: number;
  /** ASYNC_PF_PER_VCPU, 1-64 (the kernel uses 64; checks default to 2) */
  readonly limit: number;
  /** the guest enables APF with KVM_ASYNC_PF_SEND_ALWAYS */
  readonly sendAlways: boolean;
  /** the guest may run a nested L2 (x86 only) */
  readonly nested: boolean;
  /** with nested: the host offers KVM_FEATURE_ASYNC_PF_VMEXIT and L1 sets DELIVERY_AS_PF_VMEXIT (QEMU does not offer it) */
  readonly pfVmexit: boolean;
  /**
   * with pfVmexit: L1's vCPU thread may be preempted in its exit window (IRQs on, between the
   * #PF VM-exit and `kvm_handle_page_fault`) and go on on another CPU, so the waiter runs on one
   * CPU while the page-ready handler runs on the faulting one (needs 2 vCPUs)
   */
  readonly migration: boolean;
  /** the guest may take CPUs offline and online (APF disable/enable, local wake-all, INIT) */
  readonly hotplug: boolean;
  /** SMIs may clear CR0.PG while work is outstanding (x86 only) */
  readonly smm: boolean;
  /** the guest may software-disable its LAPIC (x86 only) */
  readonly lapic: boolean;
  /** the guest idles with idle=poll: an idle vCPU stays in guest mode and leaves it only when kicked */
  readonly idlePoll: boolean;
  /**
   * the host's timer makes the vCPU exit now and then, so every entry path
   * (requests, the pre-5.8/RFCv1 poll of `done`) runs sooner or later; off, the
   * vCPU leaves guest mode only when it faults, writes an MSR, halts or is kicked
   */
  readonly timerExits: boolean;
}

/** The default scope: the core protocol (faults, workers, task switches, IRQ and preemption windows), no platform events. */
export const DEFAULT_SCOPE: Scope = {
  vcpus: 1,
  tasks: 2,
  pages: 1,
  limit: 2,
  sendAlways: false,
  nested: false,
  pfVmexit: false,
  migration: false,
  hotplug: false,
  smm: false,
  lapic: false,
  idlePoll: false,
  timerExits: false,
};

/** Names of the boolean scope switches, as the CLI spells them. */
export const SCOPE_SWITCHES = ['sendAlways', 'nested', 'pfVmexit', 'migration', 'hotplug', 'smm', 'lapic', 'idlePoll', 'timerExits'] as const;

/** `vcpus=2 tasks=3 pages=2 limit=2 +hotplug`: a scope in one line. */
export function describeScope(scope: Scope): string {
  const switches = SCOPE_SWITCHES.filter((s) => scope[s]);
  return `vcpus=${scope.vcpus} tasks=${scope.tasks} pages=${scope.pages} limit=${scope.limit}${switches.length > 0 ? ` +${switches.join(' +')}` : ''}`;
}

/** Thrown for input a user can fix; the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

const RANGES: Record<'vcpus' | 'tasks' | 'pages' | 'limit', readonly [number, number]> = {
  vcpus: [1, 4],
  tasks: [1, 6],
  pages: [1, 4],
  limit: [1, 64],
};

/** Checks a scope against the allowed ranges and the design; throws UsageError naming the field. */
export function validateScope(scope: Scope, design: DesignOptions): Scope {
  for (const [field, [lo, hi]] of Object.entries(RANGES) as [keyof typeof RANGES, readonly [number, number]][]) {
    const value = scope[field];
    if (!Number.isInteger(value) || value < lo || value > hi) {
      throw new UsageError(`${field} must be an integer from ${lo} to ${hi}, got ${String(value)}`);
    }
  }
  if (scope.tasks < scope.vcpus) {
    throw new UsageError(`tasks (${scope.tasks}) must be at least vcpus (${scope.vcpus}): every vCPU runs at least one task`);
  }
  if (scope.pfVmexit && !scope.nested) {
    throw new UsageError('pfVmexit is about nested async PF: it needs nested');
  }
  if (scope.migration && (!scope.pfVmexit || scope.vcpus < 2)) {
    throw new UsageError('migration moves L1\'s vCPU thread out of its #PF VM-exit window to another CPU: it needs nested, pfVmexit and at least 2 vcpus');
  }
  if (scope.migration && scope.hotplug) {
    // the migrated sleeper's node carries its new CPU (n->cpu), which this model does not track: a wake-all would be wrong
    throw new UsageError('migration and hotplug cannot be combined: the model files a migrated sleeper under the faulting CPU, whose wake-all would wrongly wake it');
  }
  for (const x86Only of ['nested', 'smm', 'lapic'] as const) {
    if (scope[x86Only] && !design.x86PlatformEvents) {
      throw new UsageError(`${x86Only} is an x86 switch; design '${design.name}' does not model it`);
    }
  }
  return scope;
}
