/**
 * A system small enough to count by hand: x86, 1 vCPU, 1 task, 1 page,
 * default switches. The exhaustive search must find exactly these states.
 *
 *  - quiet, the task running: user mode (IF=1, preemptible) or kernel mode with
 *    IF on/off x preemptible on/off: 5 contexts x page in/out          = 10
 *  - a kernel-mode fault with IF=1 (CPL0: no not-present, synthetic halt) in
 *    2 contexts (preemptible or not) x { queued (page out); done with the
 *    worker running; done after it returned } with the page in or reclaimed
 *    again for the last two: 2 x (1 + 2 + 2)                             = 10
 *    (with IF=0 the fault is synchronous: no new state)
 *  - a user-mode fault, the #PF still pending at entry: { queued; done,
 *    worker running; done; page-ready raised (token in the slot, IRQ
 *    pending) } x page in/out (the #PF delivery may fault the stack page in
 *    synchronously)                                                      =  8
 *    and, for the two "done" states, the worker's kick IPI still in flight
 *    when the #PF delivery faulted (that exit already saw the request) or
 *    not: 2 x 2 more                                                     =  4
 *  - the same four after the #PF was taken: the task sleeps, the CPU idles = 8
 *  - the page-ready interrupt taken: the task is runnable, the ACK is next = 2
 *  - ACK written, the CPU still idle with the task runnable               = 2
 *                                                                 total = 44
 *
 * A raised page-ready interrupt is taken before the task runs on (IF=1), so
 * no state has it pending while the task runs user code.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { Judge } from '../src/judge/judge.js';

describe('a hand-computable system', () => {
  it('has exactly 44 states at x86 1 vCPU x 1 task x 1 page', () => {
    const result = exhaustiveCheck({ design: designByName('x86'), scope: { ...DEFAULT_SCOPE, tasks: 1 } }, new Judge({ safety: [], liveness: [] }));
    expect(result.complete).toBe(true);
    expect(result.states).toBe(44);
  });
});
