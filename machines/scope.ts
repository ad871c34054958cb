/**
 * The scope of a run: how many vCPUs, tasks and pages the model has, the
 * per-vCPU limit, and the environment switches (which platform events and
 * guest behaviours may happen). Like the design options, a scope is a
 * constant of a run, never an edit of the model. `ScopeSchema` is the one
 * definition: the `Scope` type is inferred from it, and its ranges and
 * descriptions are what the command line, trace files and `apfcheck list`
 * check against and print. Cross-field rules (switches that need one
 * another, switches a design does not model) are in src/system/scope.ts.
 */
import { z } from 'zod';

export const ScopeSchema = z
  .object({
    vcpus: z.number().int().min(1).max(4).describe('vCPUs'),
    tasks: z
      .number()
      .int()
      .min(1)
      .max(6)
      .describe('guest tasks; the search starts from every placement of them on the vCPUs (up to symmetry: how many on each), and a task stays on its vCPU'),
    pages: z.number().int().min(1).max(4).describe('guest pages the tasks touch'),
    limit: z.number().int().min(1).max(64).describe('ASYNC_PF_PER_VCPU (the kernel uses 64; checks default to 2)'),
    sendAlways: z.boolean().describe('the guest enables APF with KVM_ASYNC_PF_SEND_ALWAYS'),
    nested: z.boolean().describe('the guest may run a nested L2 (x86 only)'),
    pfVmexit: z
      .boolean()
      .describe('with nested: the host offers KVM_FEATURE_ASYNC_PF_VMEXIT and L1 sets DELIVERY_AS_PF_VMEXIT (QEMU does not offer it)'),
    migration: z
      .boolean()
      .describe("with pfVmexit and 2+ vCPUs: L1's vCPU thread may be preempted in its exit window (IRQs on, between the #PF VM-exit and `kvm_handle_page_fault`) and go on on another CPU"),
    hotplug: z.boolean().describe('the guest may take CPUs offline and online (APF disable/enable, local wake-all, INIT)'),
    smm: z.boolean().describe('SMIs may clear CR0.PG while work is outstanding (x86 only)'),
    lapic: z.boolean().describe('the guest may software-disable its LAPIC (x86 only)'),
    idlePoll: z.boolean().describe('the guest idles with idle=poll: an idle vCPU stays in guest mode and leaves it only when kicked'),
    timerExits: z
      .boolean()
      .describe('the host timer makes the vCPU exit now and then, so every entry path runs sooner or later; off, the vCPU leaves guest mode only when it faults, writes an MSR, halts or is kicked'),
  })
  .strict();

/** A run's scope, as `ScopeSchema` defines it. */
export type Scope = Readonly<z.infer<typeof ScopeSchema>>;

/** The default scope: the core protocol (faults, workers, task switches, IRQ and preemption windows), no platform events. Frozen, like the designs: the library exports it. */
export const DEFAULT_SCOPE: Scope = Object.freeze(ScopeSchema.parse({
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
}));

/** The numeric fields of a scope. */
export const SCOPE_SIZES = ['vcpus', 'tasks', 'pages', 'limit'] as const;

/** Names of the boolean scope switches, as the scope spells them. */
export const SCOPE_SWITCHES = ['sendAlways', 'nested', 'pfVmexit', 'migration', 'hotplug', 'smm', 'lapic', 'idlePoll', 'timerExits'] as const;

/** `vcpus=2 tasks=3 pages=2 limit=2 +hotplug`: a scope in one line. */
export function describeScope(scope: Scope): string {
  const switches = SCOPE_SWITCHES.filter((s) => scope[s]);
  return `vcpus=${scope.vcpus} tasks=${scope.tasks} pages=${scope.pages} limit=${scope.limit}${switches.length > 0 ? ` +${switches.join(' +')}` : ''}`;
}
