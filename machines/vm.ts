/**
 * VM-wide interrupt state, one per system: what KVM keeps outside any vCPU.
 * For s390 this is the floating interrupt list (`kvm->arch.float_int`, lists
 * `FIRQ_LIST_PFAULT`): a PFAULT_DONE injected by `kvm_s390_inject_vm` waits
 * there, in FIFO order, until whichever vCPU can take it first delivers it
 * (`__deliver_pfault_done`). Designs whose events all go to one vCPU never
 * touch it.
 */
import { assign, setup } from 'xstate';
import type { Renaming } from './renaming.js';

/** One floating interrupt: the work item it completes (its token and vCPU, for the observer) and what the guest reads of it. */
export interface FloatingInterrupt {
  /** the work item's token (the system's name for it) */
  readonly token: number;
  /** the vCPU whose work item it completes */
  readonly vcpu: number;
  /** what the interrupt carries to the guest (`ext_params2`): on s390 the pfault token the guest chose, the faulting task's pid */
  readonly value: number;
}

export interface VmContext {
  /** pending floating interrupts, oldest first */
  readonly floating: readonly FloatingInterrupt[];
}

export type VmEvent =
  /** `kvm_s390_inject_vm` -> `__inject_pfault_done`: `list_add_tail` on the floating list */
  | { type: 'FLOATING_INJECT'; interrupt: FloatingInterrupt }
  /** `__deliver_pfault_done`: the first entry is taken off the list */
  | { type: 'FLOATING_TAKEN' };

/** The VM with no interrupt pending. */
export function initialVmContext(): VmContext {
  return { floating: [] };
}

/** Every token the VM state refers to, with the vCPU whose work item it names. */
export function vmTokens(c: VmContext): readonly { readonly token: number; readonly vcpu: number }[] {
  return c.floating;
}

/** The VM context under a renaming of vCPUs and tokens. */
export function renameVm(c: VmContext, r: Renaming): VmContext {
  return { floating: c.floating.map((i) => ({ token: r.token(i.token), vcpu: r.vcpu(i.vcpu), value: r.pid(i.value) })) };
}

/** The VM machine (the same for every design). */
export const vmMachine = setup({
  types: {
    context: {} as VmContext,
    events: {} as VmEvent,
  },
  actions: {
    /** `list_add_tail(&inti->list, &fi->lists[FIRQ_LIST_PFAULT])`, `set_bit(IRQ_PEND_PFAULT_DONE)` */
    appendFloating: assign(({ context, event }) => ({
      floating: [...context.floating, (event as Extract<VmEvent, { type: 'FLOATING_INJECT' }>).interrupt],
    })),
    /** `__deliver_pfault_done`: take the first entry (`list_first_entry`, `list_del`) */
    takeFirstFloating: assign(({ context }) => ({ floating: context.floating.slice(1) })),
  },
  guards: {
    /** the floating list has an entry to deliver */
    floatingPending: ({ context }) => context.floating.length > 0,
  },
}).createMachine({
  /** the VM's interrupt controller state (`kvm->arch.float_int`) */
  id: 'vm',
  context: initialVmContext,
  initial: 'running',
  states: {
    /** the VM runs */
    running: {
      on: {
        FLOATING_INJECT: { actions: 'appendFloating' },
        FLOATING_TAKEN: { guard: 'floatingPending', actions: 'takeFirstFloating' },
      },
    },
  },
});

export type VmMachine = typeof vmMachine;
