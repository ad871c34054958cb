/**
 * The bug catalogue of `../shared/protocol/bugs.md` as mutants: each undoes
 * exactly one fix of its base design by overriding design options (data, not
 * a forked machine), and names the smallest scope that shows it. Design data,
 * like the designs themselves (design.ts).
 */
import { z } from 'zod';
import { DesignOverrideSchema, type DesignOptions } from './design.js';
import { ScopeSchema, type Scope } from './scope.js';

/** A bug as data: design options set over a design, and the smallest scope that shows what they break. */
export interface Bug {
  /** the id users type (`--bug`) */
  readonly id: string;
  /** what goes wrong, in one line */
  readonly description: string;
  /** the design options the bug sets (for a catalogued bug: those its fix changed, set back) */
  readonly override: Partial<DesignOptions>;
  /** the smallest scope that shows the bug (switches and sizes on top of the default scope) */
  readonly scope: Partial<Scope>;
}

/** A catalogued kernel bug: a Bug with its history. */
export interface Mutant extends Bug {
  /** design the fix belongs to */
  readonly base: string;
  /** upstream commit of the fix (or of the change that introduced the bug) */
  readonly commit: string;
  /** the id of the property the mutant breaks (test/mutants.test.ts checks it names one) */
  readonly breaks: string;
}

/** Bug ids: what `--bug` takes and trace and design files record. */
const BUG_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * A bug a user writes down, in a design file's `bugs` (and a trace's `bugDefinitions`): `{id, description, options,
 * scope}`, the same data as a catalogued mutant without its history.
 */
export const BugDefinitionSchema = z
  .object({
    id: z.string().regex(BUG_ID, 'a bug id is lower-case letters, digits and dashes'),
    description: z.string().min(1),
    options: DesignOverrideSchema,
    scope: ScopeSchema.partial().strict().optional(),
  })
  .strict();

export type BugDefinition = z.infer<typeof BugDefinitionSchema>;

export const bugFromDefinition = (d: BugDefinition): Bug => ({ id: d.id, description: d.description, override: d.options, scope: d.scope ?? {} });

export const definitionOf = (b: Bug): BugDefinition => ({ id: b.id, description: b.description, options: b.override, scope: b.scope });

export const MUTANTS: readonly Mutant[] = [
  {
    id: 'pending-exception-df',
    base: 'x86-legacy',
    commit: '2a266f23550b',
    description: 'a second async #PF queued while one is pending combines into a double fault',
    breaks: 'single-slot',
    override: { checkPendingException: false },
    // the run loop's completion check after the exit that queued the not-present #PF (v5.4 `vcpu_run`)
    scope: {},
  },
  {
    id: 'cancel-unmatched-not-present',
    base: 'x86-legacy',
    commit: '9a6e7c39810e',
    description:
      'a page-ready that finds a not-present #PF pending cancels both, tokens unchecked: two valid events dropped, a task sleeps forever',
    breaks: 'no-lost-wakeup',
    // the cancel is only reachable without the pending-exception check of the page-ready path (84b09f33a5de's message)
    override: { cancelPendingNotPresent: 'any-token', checkPendingException: false },
    // timer exits: without them the pre-5.8 design loses wakeups on its own (no kick), which would hide this bug
    scope: { pages: 2, timerExits: true },
  },
  {
    id: 'send-always-kernel',
    base: 'x86',
    commit: '3a7c8fafd1b4',
    description: 'the guest asks for SEND_ALWAYS and waits in kernel mode: not-present lands in code that cannot sleep and halts the CPU',
    breaks: 'injection-context',
    override: { guestSetsSendAlways: true, kernelModeNotPresent: 'wait' },
    scope: {},
  },
  {
    id: 'ready-without-not-present',
    base: 'x86',
    commit: '2a18b7e7cd88',
    description: 'page-ready injected for a fault whose not-present never was (synthetic halt path): a dummy nobody frees',
    breaks: 'no-orphan-page-ready',
    override: { pageReadyNeedsNotPresent: false },
    scope: {},
  },
  {
    id: 'lapic-disabled-drop',
    base: 'x86',
    commit: '2f15d027c05f',
    description: 'token written while the LAPIC is software-disabled: the interrupt is dropped, the slot never clears',
    breaks: 'no-stuck-guest',
    override: { lapicGate: false, rescanOnLapicEnable: false },
    scope: { lapic: true },
  },
  {
    id: 'deliver-with-paging-off',
    base: 'x86',
    commit: '57cb3bb0dc89',
    description: 'not-present delivered while the guest runs with CR0.PG=0',
    breaks: 'injection-context',
    override: { pagingGate: false },
    scope: { smm: true },
  },
  {
    id: 'destroy-without-flush',
    base: 'x86',
    commit: '3d75b8aa5c29',
    description: 'clearing the completion queue (disable, INIT, teardown) frees items while async_pf_execute may still run',
    breaks: 'work-lifetime',
    override: { flushWorkBeforeFree: false },
    scope: { hotplug: true },
  },
  {
    id: 'clear-queue-on-paging-off',
    base: 'x86',
    commit: 'ab4e41eb9fab',
    description: 'an SMI (CR0.PG toggle) throws away queued and completed work without telling the guest',
    breaks: 'no-lost-wakeup',
    override: { clearQueueOnPagingToggle: true, rescanOnPagingEnable: false },
    scope: { smm: true },
  },
  {
    id: 'no-dummy',
    base: 'x86',
    commit: 'the dummy node of kvm_async_pf_task_wake (present since the guest side was merged)',
    description: 'a page-ready that arrives before its waiter is filed is dropped: the waiter then sleeps forever',
    breaks: 'no-lost-wakeup',
    override: { dummyNodes: false },
    // the only window in which page-ready precedes the wait: L1's KVM between the #PF VM-exit and kvm_handle_page_fault
    scope: { nested: true, pfVmexit: true },
  },
  {
    id: 'dummy-alloc-unlocked',
    base: 'x86',
    commit: '0547758a6de3 (the rejected first fix it describes)',
    description:
      'the waker drops the bucket lock to allocate a dummy and hashes it without looking again: a sleeper filed meanwhile is never woken',
    breaks: 'no-lost-wakeup',
    override: { dummyAllocUnlocked: true },
    // waker and waiter on two CPUs for one token: L1's vCPU thread migrates between the #PF VM-exit and kvm_handle_page_fault
    scope: { vcpus: 2, tasks: 2, nested: true, pfVmexit: true, migration: true },
  },
  {
    id: 'missed-kick',
    base: 'x86',
    commit: '68c35f89d016',
    description:
      'without full barriers the worker reads a stale pageready_pending and skips the kick while the ACK rescan misses the new item',
    breaks: 'no-stuck-guest',
    override: { kickBarriers: false },
    // two pages: the second fault must be outstanding before the first page-ready is ACKed, and a pending page-ready
    // interrupt is taken before the task could fault again on the same page
    scope: { idlePoll: true, pages: 2 },
  },
];

/** Looks up a mutant; the error names the valid ids. */
export function mutantById(id: string): Mutant | undefined {
  return MUTANTS.find((m) => m.id === id);
}

/** The design with the bugs' options set, in order (a catalogued bug's fix undone); the name records them. */
export function applyMutants(design: DesignOptions, mutants: readonly Bug[]): DesignOptions {
  if (mutants.length === 0) return design;
  return mutants.reduce<DesignOptions>(
    (d, m) => ({ ...d, ...m.override }),
    { ...design, name: `${design.name}+${mutants.map((m) => m.id).join('+')}` },
  );
}
