/**
 * Token lifecycle, one per outstanding async fault (reference §2.6): the host's
 * view of the work item and the guest's view of its token, side by side. It is
 * an observer: the composed system feeds it what the host and guest machines
 * report, and the properties read it (each delivery is counted, so a second
 * one is visible rather than silently absorbed).
 */
import { assign, setup } from 'xstate';
import type { PageReadyOutcome } from './guest.js';

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
}

export type TokenEvent =
  /** `async_pf_execute` finished: the item is on `done` */
  | { type: 'COMPLETED' }
  /** `kvm_check_async_pf_completion` dequeued it: announced to the guest or not */
  | { type: 'DEQUEUED'; delivered: boolean }
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
    /** the dequeue raised a guest event */
    announced: ({ event }) => event.type === 'DEQUEUED' && event.delivered,
    /** the guest filed a sleeper for the token (slept or halted or recorded) */
    guestWaits: ({ event }) =>
      event.type === 'GUEST_NOT_PRESENT' && (event.outcome === 'sleeping' || event.outcome === 'halted' || event.outcome === 'recorded'),
    /** the not-present found the dummy left by an earlier page-ready */
    dummyConsumed: ({ event }) => event.type === 'GUEST_NOT_PRESENT' && event.outcome === 'dummy-consumed',
    /** page-ready woke the sleeper */
    woke: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'woken',
    /** a second page-ready found the dummy and unhashed it */
    dummyUnhashed: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'dummy-unhashed',
    /** page-ready found no node and filed a dummy */
    filedDummy: ({ event }) => event.type === 'GUEST_PAGE_READY' && event.outcome === 'dummy-filed',
  },
  actions: {
    /** count a not-present the guest took */
    countNotPresent: assign(({ context }) => ({ notPresentSeen: saturate(context.notPresentSeen) })),
    /** count a page-ready the host raised */
    countPageReady: assign(({ context }) => ({ pageReadyRaised: saturate(context.pageReadyRaised) })),
    /** count a dequeue (the item is flushed and freed: `kvm_flush_and_free_async_pf_work`) */
    countDequeue: assign(({ context }) => ({ dequeues: saturate(context.dequeues) })),
    /** note a free under a running worker */
    noteFree: assign(({ context, event }) => ({
      freedWhileWorkerRan: context.freedWhileWorkerRan || (event.type === 'CANCELLED' && event.workerRunning),
    })),
  },
}).createMachine({
  /** one `struct kvm_async_pf` and its token */
  id: 'token',
  type: 'parallel',
  context: ({ input }) => ({ ...input, notPresentSeen: 0, pageReadyRaised: 0, dequeues: 0, freedWhileWorkerRan: false }),
  states: {
    /** the host's view (§2.6) */
    host: {
      initial: 'created',
      states: {
        /** `kvm_setup_async_pf` returned; decide by `notpresent_injected` */
        created: { always: [{ guard: 'wasNotified', target: 'queuedNotified' }, { target: 'queuedHalted' }] },
        /** on `queue`, not-present injected */
        queuedNotified: { on: { COMPLETED: 'doneNotified' } },
        /** on `queue`, vCPU in synthetic halt */
        queuedHalted: { on: { COMPLETED: 'doneHalted' } },
        /** on `done`, will be announced */
        doneNotified: {
          on: {
            DEQUEUED: [
              { guard: 'announced', target: 'delivered', actions: ['countDequeue', 'countPageReady'] },
              { target: 'dropped', actions: 'countDequeue' },
            ],
          },
        },
        /** on `done`, never announced: dropped at dequeue (2a18b7e7cd88) */
        doneHalted: {
          on: {
            DEQUEUED: [
              { guard: 'announced', target: 'delivered', actions: ['countDequeue', 'countPageReady'] },
              { target: 'dropped', actions: 'countDequeue' },
            ],
          },
        },
        /** token in the slot, page-ready raised, `pageready_pending` */
        delivered: { on: { SLOT_RELEASED: 'acked' } },
        /** the guest freed the slot */
        acked: {},
        /** dequeued without a guest event */
        dropped: {},
        /** freed by `kvm_clear_async_pf_completion_queue`: no page-ready ever */
        cancelled: {},
      },
      on: {
        /** disable / reset / destroy */
        CANCELLED: { target: '.cancelled', actions: 'noteFree' },
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
        /** the guest has not seen this token */
        notSeen: {
          on: {
            GUEST_NOT_PRESENT: { guard: 'guestWaits', target: 'sleeping', actions: 'countNotPresent' },
            GUEST_PAGE_READY: { guard: 'filedDummy', target: 'dummy' },
          },
        },
        /** a task sleeps (or halts, or is recorded for `do_notify_resume`) on the token */
        sleeping: {
          on: {
            GUEST_PAGE_READY: [{ guard: 'woke', target: 'woken' }, { guard: 'filedDummy', target: 'sleepingWithDummy' }],
            GUEST_WOKEN_BY_ALL: 'woken',
          },
        },
        /** a task sleeps and a dummy for the same token is hashed too (0547758a6de3's race) */
        sleepingWithDummy: {
          on: {
            GUEST_PAGE_READY: { guard: 'woke', target: 'woken' },
            GUEST_WOKEN_BY_ALL: 'woken',
          },
        },
        /** page-ready came first: a dummy node waits for the not-present */
        dummy: {
          on: {
            GUEST_NOT_PRESENT: [
              { guard: 'dummyConsumed', target: 'woken', actions: 'countNotPresent' },
              { guard: 'guestWaits', target: 'sleepingWithDummy', actions: 'countNotPresent' },
            ],
            GUEST_PAGE_READY: { guard: 'dummyUnhashed', target: 'notSeen' },
          },
        },
        /** the sleeper was woken, or never had to sleep */
        woken: {
          on: {
            /** a stale page-ready after a local wake-all files a dummy nobody consumes (§2.7, inferred) */
            GUEST_PAGE_READY: { guard: 'filedDummy', target: 'dummy' },
          },
        },
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
