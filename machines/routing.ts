/**
 * A machine's `send` effect: an event for another machine instance of the
 * composed system, which the draft (src/system/draft.ts) delivers. It is how
 * a machine reaches beyond its own vCPU (an s390 worker's PFAULT_DONE goes to
 * the VM's floating list; `pfault_cpu_dead` wakes the waiters of every CPU)
 * or tells a token observer what it did, without the system knowing why.
 */
export type Address =
  /** the VM-wide state (machines/vm.ts) */
  | { readonly to: 'vm' }
  /** every vCPU's guest */
  | { readonly to: 'guests' }
  /** the observer of vCPU `vcpu`'s `token` */
  | { readonly to: 'token'; readonly vcpu: number; readonly token: number };

export interface Send {
  readonly type: 'send';
  readonly address: Address;
  /** an event of the addressed machine */
  readonly event: { readonly type: string };
}
