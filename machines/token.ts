/**
 * Token lifecycle, one per outstanding async fault (reference §2.6): the host's
 * view of the work item and the guest's view of its token, side by side. It is
 * an observer: the composed system feeds it what the host and guest machines
 * report, and the properties read it (each delivery is counted, so a second
 * one is visible rather than silently absorbed).
 */
import { assign, setup } from 'xstate';
import type { PageReadyOutcome } from './guest.js';
import type { Renaming } from './renaming.js';

export interface TokenContext {
  readonly token: number;
  readonly vcpu: number;
  readonly gfn: number;
  /** `notpresent_injected` at setup */
  readonly notified: boolean;
  /** not-present events the guest took for this token */
  readonly notPresentSeen: number;
  /** page-ready events the host raised for this token */
  readonly pageReadyRaised: number;
  /** times the item was dequeued from `done` */
  readonly dequeues: number;
  /** the item was freed while `async_pf_execute` still ran (use after free, 3d75b8aa5c29) */
  readonly freedWhileWorkerRan: boolean;
  /** its not-present was cancelled before the guest took it */
  readonly notPresentCancelled: boolean;
}

export type TokenEvent =
  /** `async_pf_execute` finished: the item is on `done` */
  | { type: 'COMPLETED' }
  /** ASYNC_PF_SYNC: the worker raised page-ready itself (`kvm_arch_async_page_present` from `async_pf_execute`, s390) */
  | { type: 'RAISED' }
  /** `kvm_check_async_pf_completion` dequeued it: announced to the guest or not */
  | { type: 'DEQUEUED'; delivered: boolean }
  /** the pending not-present was cancelled before the guest took it (`kvm_sdei_cancel`, 9a6e7c39810e) */
  | { type: 'NOT_PRESENT_CANCELLED' }
  /** the guest freed the slot after this token's page-ready (ACK, or reason read on no-ACK designs) */
  | { type: 'SLOT_RELEASED' }
  /** `kvm_clear_async_pf_completion_queue` */
  | { type: 'CANCELLED'; workerRunning: boolean }
  /** guest took not-present(token) and slept / consumed a dummy / halted / recorded it */
  | { type: 'GUEST_NOT_PRESENT'; outcome: 'sleeping' | 'dummy-consumed' | 'halted' | 'recorded' | 'rejected' }
  /** guest took page-ready(token) and woke the sleeper / filed a dummy / dropped it */
  | { type: 'GUEST_PAGE_READY'; outcome: PageReadyOutcome }
  /** the guest's own wake-all (`apf_task_wake_all`) or a `~0` woke the sleeper */
  | { type: 'GUEST_WOKEN_BY_ALL' };

export interface TokenInput {
  readonly token: number;
  readonly vcpu: number;
  readonly gfn: number;
  readonly notified: boolean;
}

const saturate = (n: number): number => Math.min(n + 1, 2);

/** The observer's context under a renaming of vCPUs, tokens and gfns. */
export function renameToken(c: TokenContext, r: Renaming): TokenContext {
  return { ...c, token: r.token(c.token), vcpu: r.vcpu(c.vcpu), gfn: r.gfn(c.gfn) };
}

/** The token lifecycle machine (the same for every design). */
export const tokenMachine = setup({
  types: {
    context: {} as TokenContext,
    events: {} as TokenEvent,
    input: {} as TokenInput,
  },
  guards: {
    /** `notpresent_injected` was set by `kvm_arch_async_page_not_present` */
    wasNotified: ({ context }) => context.notified,
    /** `kvm_arch_async_page_present` raised page-ready for the dequeued item (§2.6 DELIVERED) */
    announced: ({ event }) => event.type === 'DEQUEUED' && event.delivered,
    /** `kvm_async_pf_task_wait_schedule` hashed a sleeper (or the RFCv1 halt loop, or the SDEI table entry) for the token */
    guestWaits: ({ event }) =>
      event.type === 'GUEST_NOT_PRESENT' && (event.outcome === 'sleeping' || event.outcome === 'halted' || event.outcome === 'recorded'),
    /** `kvm_async_pf_queue_task` found the dummy left by an earlier page-ready (§2.6 DUMMY -> consumed) */
    dummyConsumed: ({ event }) => event.type === 'GUEST_NOT_PRESENT' && event.outcome === 'dummy-consumed',
    /** `kvm_async_pf_task_wake` -> `apf_task_wake_one` woke the sleeper */
    woke: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'woken',
    /** `kvm_async_pf_task_wake` found a dummy (a second page-ready) and unhashed it */
    dummyUnhashed: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'dummy-unhashed',
    /** `kvm_async_pf_task_wake` found no node and hashed a dummy (wake before wait, §2.7) */
    filedDummy: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'dummy-filed',
  },
  actions: {
    /** S2 bookkeeping: a not-present the guest took (`exc_page_fault` / `do_lockdown` / SDEI handler) */
    countNotPresent: assign(({ context }) => ({ notPresentSeen: saturate(context.notPresentSeen) })),
    /** S2 bookkeeping: a page-ready `kvm_arch_async_page_present` raised */
    countPageReady: assign(({ context }) => ({ pageReadyRaised: saturate(context.pageReadyRaised) })),
    /** S2 bookkeeping: `kvm_check_async_pf_completion` dequeued and freed the item */
    countDequeue: assign(({ context }) => ({ dequeues: saturate(context.dequeues) })),
    /** S1 bookkeeping: `kvm_sdei_cancel` / 9a6e7c39810e dropped the not-present, the guest will never take it */
    noteNotPresentCancelled: assign({ notPresentCancelled: true }),
    /** S7 bookkeeping: `kvm_clear_async_pf_completion_queue` freed the item under a running worker (no flush) */
    noteFree: assign(({ context, event }) => ({
      freedWhileWorkerRan: context.freedWhileWorkerRan || (event.type === 'CANCELLED' && event.workerRunning),
    })),
  },
}).createMachine({
  /** one `struct kvm_async_pf` and its token */
  id: 'token',
  type: 'parallel',
  context: ({ input }) => ({
    ...input,
    notPresentSeen: 0,
    pageReadyRaised: 0,
    dequeues: 0,
    freedWhileWorkerRan: false,
    notPresentCancelled: false,
  }),
  states: {
    /** the host's view (§2.6) */
    host: {
      initial: 'created',
      states: {
        /** `kvm_setup_async_pf` returned; branch on `notpresent_injected` (§2.6) */
        created: { always: [{ guard: 'wasNotified', target: 'queuedNotified' }, { target: 'queuedHalted' }] },
        /** §2.6 QUEUED_NOTIFIED: on `async_pf.queue`, not-present injected */
        queuedNotified: {
          on: {
            COMPLETED: 'doneNotified',
            /** ASYNC_PF_SYNC: page-ready raised by the worker, before the item goes on `done` */
            RAISED: { target: 'delivered', actions: 'countPageReady' },
          },
        },
        /** §2.6 QUEUED_HALTED: on `async_pf.queue`, the vCPU in synthetic halt */
        queuedHalted: {
          on: {
            COMPLETED: 'doneHalted',
            /** ASYNC_PF_SYNC without 2a18b7e7cd88's check: the worker's `kvm_arch_async_page_present` raises page-ready for a not-present never injected (s390's raises unconditionally) */
            RAISED: { target: 'delivered', actions: 'countPageReady' },
          },
        },
        /** §2.6 DONE (notified): on `async_pf.done`, page-ready due at dequeue */
        doneNotified: {
          on: {
            DEQUEUED: [
              { guard: 'announced', target: 'delivered', actions: ['countDequeue', 'countPageReady'] },
              { target: 'dropped', actions: 'countDequeue' },
            ],
          },
        },
        /** §2.6 DONE (halted): on `async_pf.done`, dropped at dequeue since 2a18b7e7cd88 (a mutant may still announce it) */
        doneHalted: {
          on: {
            DEQUEUED: [
              { guard: 'announced', target: 'delivered', actions: ['countDequeue', 'countPageReady'] },
              { target: 'dropped', actions: 'countDequeue' },
            ],
          },
        },
        /** §2.6 DELIVERED: token in the slot, page-ready raised, `pageready_pending` (ASYNC_PF_SYNC: raised by the worker, the item on `done` until the vCPU frees it) */
        delivered: {
          on: {
            SLOT_RELEASED: 'acked',
            /** ASYNC_PF_SYNC: the worker puts the item it raised on `done` */
            COMPLETED: {},
          },
        },
        /** §2.6 ACKED: the guest zeroed the slot (and wrote MSR_KVM_ASYNC_PF_ACK / IRQ_ACK) */
        acked: {},
        /** §2.6 DROPPED: dequeued without a guest event (APF off, never announced, or SDEI cancel) */
        dropped: {},
        /**
         * §2.6 CANCELLED: freed by `kvm_clear_async_pf_completion_queue`. No page-ready comes after, except on s390,
         * where the flush lets the worker finish and raise its PFAULT_DONE first (ASYNC_PF_SYNC): such an item was
         * RAISED before it was cancelled.
         */
        cancelled: {},
      },
      on: {
        /** disable / reset / destroy */
        CANCELLED: { target: '.cancelled', actions: 'noteFree' },
        /** `kvm_sdei_cancel` / 9a6e7c39810e dropped the pending not-present */
        NOT_PRESENT_CANCELLED: { actions: 'noteNotPresentCancelled' },
        /** a second dequeue of the same item: only a broken protocol gets here, and it is counted */
        DEQUEUED: [
          { guard: 'announced', actions: ['countDequeue', 'countPageReady'] },
          { actions: 'countDequeue' },
        ],
      },
    },
    /** the guest's view (§2.6) */
    guest: {
      initial: 'notSeen',
      states: {
        /** §2.6 NOT_SEEN */
        notSeen: {
          on: {
            GUEST_NOT_PRESENT: { guard: 'guestWaits', target: 'sleeping', actions: 'countNotPresent' },
            GUEST_PAGE_READY: { guard: 'filedDummy', target: 'dummy' },
          },
        },
        /** §2.6 SLEEPING: node on the sleeper's stack (RFCv1 halt loop, SDEI table entry) */
        sleeping: {
          on: {
            GUEST_PAGE_READY: [{ guard: 'woke', target: 'woken' }, { guard: 'filedDummy', target: 'sleepingWithDummy' }],
            GUEST_WOKEN_BY_ALL: 'woken',
          },
        },
        /** a sleeper and a dummy hashed for one token: the race 0547758a6de3 + baec4f5a018f close */
        sleepingWithDummy: {
          on: {
            GUEST_PAGE_READY: { guard: 'woke', target: 'woken' },
            GUEST_WOKEN_BY_ALL: 'woken',
          },
        },
        /** §2.6 DUMMY: page-ready came first, `kzalloc`'d dummy node waits for the not-present */
        dummy: {
          on: {
            GUEST_NOT_PRESENT: [
              { guard: 'dummyConsumed', target: 'woken', actions: 'countNotPresent' },
              { guard: 'guestWaits', target: 'sleepingWithDummy', actions: 'countNotPresent' },
            ],
            GUEST_PAGE_READY: { guard: 'dummyUnhashed', target: 'notSeen' },
          },
        },
        /**
         * §2.6 WOKEN: the sleeper was woken (or consumed the dummy and never slept). The stale page-ready §2.7 infers
         * after a local wake-all (filing a dummy nobody consumes) does not come: the offline callback runs with IRQs
         * off and clears the queue with APF, so a page-ready raised before is taken with APF off and ignored
         * (machines/README.md, "What the model shows about paths").
         */
        woken: {},
      },
      on: {
        /** any other not-present is counted where it lands */
        GUEST_NOT_PRESENT: { actions: 'countNotPresent' },
        /** any other page-ready leaves the guest view as it is (a forbidden transition: taken, no change) */
        GUEST_PAGE_READY: {},
      },
    },
  },
});

export type TokenMachine = typeof tokenMachine;
