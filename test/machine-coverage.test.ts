/**
 * Every transition of the three machines, listed from their definitions, is
 * taken at least once. The machines are driven through the composed system by
 * breadth-first exploration of each built-in design, plus the design variants
 * that switch on a path the fixed designs exclude (a mutant's undone fix, a
 * scope switch). A transition nobody takes is either dead or needs a variant
 * here: the test fails and names it.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { DESIGNS, designByName, type DesignOptions } from '../machines/design.js';
import { exhaustiveCheck } from '../src/search/exhaustive.js';
import { applyMutants, MUTANTS } from '../machines/mutants.js';
import type { EventObject } from 'xstate';
import type { GuestContext } from '../machines/guest.js';
import { ComponentStepper } from '../src/system/component.js';
import type { ComponentState } from '../src/system/state.js';
import { CoverageRecorder } from '../src/system/coverage.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { applyStep, enabledSteps, initialState, machineInputs, machinesOf, placementOf, type ComponentLog } from '../src/system/system.js';
import { Judge } from '../src/judge/judge.js';

interface Run {
  readonly design: DesignOptions;
  readonly scope: Scope;
  readonly maxStates: number;
}

const variant = (base: string, patch: Partial<DesignOptions>): DesignOptions => ({
  ...designByName(base),
  ...patch,
  name: `${base}+${Object.keys(patch).join('+')}`,
});

/** Every environment switch on (SMM, LAPIC and L2 where the design has them). */
const ALL_EVENTS = (design: DesignOptions): Scope => ({
  ...DEFAULT_SCOPE,
  hotplug: true,
  smm: design.x86PlatformEvents,
  lapic: design.x86PlatformEvents,
});

const RUNS: readonly Run[] = [
  ...DESIGNS.map((design) => ({ design, scope: ALL_EVENTS(design), maxStates: 20_000 })),
  // two pages against a limit of one: `kvm_setup_async_pf` refuses (queue full)
  ...DESIGNS.map((design) => ({ design, scope: { ...DEFAULT_SCOPE, pages: 2, limit: 1 }, maxStates: 8_000 })),
  // a host that ignores the CPL gate: not-present reaches kernel mode, and the v5.8+ guest panics
  { design: variant('x86', { userOnlyUnlessSendAlways: false }), scope: DEFAULT_SCOPE, maxStates: 8_000 },
  { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, nested: true }, maxStates: 8_000 },
  // L1 opts into #PF VM-exits: page-ready can overtake kvm_handle_page_fault, and the dummy is consumed
  { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, nested: true, pfVmexit: true }, maxStates: 8_000 },
  // the pre-5.8 page-ready #PF landing in L1's exit window
  { design: designByName('x86-legacy'), scope: { ...DEFAULT_SCOPE, nested: true, pfVmexit: true, timerExits: true }, maxStates: 8_000 },
  { design: designByName('x86-legacy'), scope: ALL_EVENTS(designByName('x86-legacy')), maxStates: 20_000 },
  // every catalogued mutant at its own scope
  ...MUTANTS.map((m) => ({ design: applyMutants(designByName(m.base), [m]), scope: { ...DEFAULT_SCOPE, ...m.scope }, maxStates: 8_000 })),
  // gates switched off beyond the catalogue
  // no IF gate and no CPL gate: not-present lands in the kernel with IF=0 (the x86 guest panics)
  { design: variant('x86', { interruptsGate: false, userOnlyUnlessSendAlways: false }), scope: DEFAULT_SCOPE, maxStates: 8_000 },
  { design: variant('x86', { dummyNodes: false }), scope: { ...DEFAULT_SCOPE, hotplug: true }, maxStates: 8_000 },
  // an s390 host that ignores the guest's select/compare masks: PFAULT_INIT lands in kernel code
  { design: variant('s390-pfault', { userOnlyUnlessSendAlways: false }), scope: DEFAULT_SCOPE, maxStates: 8_000 },
  { design: variant('arm64-rfcv1', { vectorWindowGate: 'none' }), scope: { ...DEFAULT_SCOPE, timerExits: true }, maxStates: 8_000 },
  // RFCv1's locked sections: a page-ready for another token lands in one and its handler runs nested
  { design: designByName('arm64-rfcv1'), scope: { ...DEFAULT_SCOPE, pages: 2, timerExits: true }, maxStates: 20_000 },
  // two outstanding tokens: a page-ready for one returns into the halt loop of the other
  { design: designByName('x86-legacy'), scope: { ...DEFAULT_SCOPE, pages: 2 }, maxStates: 20_000 },
  // arm64 exception return without RFCv1's locked sections (page-ready an interrupt): schedule() -> kernel_exit directly
  { design: variant('arm64-rfcv1', { pageReady: 'interrupt', ack: 'hypercall', interruptsGate: true }), scope: { ...DEFAULT_SCOPE, timerExits: true }, maxStates: 8_000 },
  // a pre-5.8 x86 host without the IF gate: the page-ready #PF lands in __schedule under rq->lock, whose switch to a
  // task returns at once (no kernel_exit window on x86)
  { design: variant('x86-legacy', { interruptsGate: false }), scope: DEFAULT_SCOPE, maxStates: 8_000 },
  // s390 with a synthetic halt: the worker raises PFAULT_DONE for a not-present never injected (no notpresent_injected check)
  { design: variant('s390-pfault', { fallback: 'synthetic-halt' }), scope: DEFAULT_SCOPE, maxStates: 8_000 },
];

/**
 * Transitions no design reaches through the composed system, taken here
 * directly on the machine. Each is a path that only a broken protocol (or a
 * race the model's atomic steps exclude) can take; machines/README.md says why.
 */
function directCases(): { machine: MachineName; design?: string; state: ComponentState<unknown>; events: EventObject[] }[] {
  const x86 = machinesOf(designByName('x86'));
  const sdei = machinesOf(designByName('arm64-sdei'));
  const s390 = machinesOf(designByName('s390-pfault'));
  const rfcv1 = machinesOf(designByName('arm64-rfcv1'));
  const rfcv1Guest = rfcv1.guest.initial({ vcpu: 0, taskCount: 2 }) as ComponentState<GuestContext>;
  // __schedule (switching to task1) interrupted by a page-ready for 0x20000; task0 sleeps on 0x10000
  const inSchedulerWithSleeper: GuestContext = {
    ...rfcv1Guest.context,
    current: -1,
    tasks: [{ status: 'sleeping', tif: false, pfaultWait: 0 }, { status: 'runnable', tif: false, pfaultWait: 0 }],
    nodes: [{ token: 0x10000, task: 0 }],
    rqNext: 1,
    handling: { token: 0x20000, reason: 0 },
  };
  const guest0 = x86.guest.initial({ vcpu: 0, taskCount: 2 }) as ComponentState<GuestContext>;
  const withNodes = (nodes: GuestContext['nodes']): ComponentState<GuestContext> => ({
    value: guest0.value,
    context: { ...guest0.context, nodes },
  });
  const token = x86.token.initial({ token: 0x1000, vcpu: 0, gfn: 0, notified: true });
  const np = (outcome: 'sleeping' | 'dummy-consumed') => ({ type: 'GUEST_NOT_PRESENT', outcome }) as EventObject;
  const pr = (outcome: 'woken' | 'dummy-unhashed' | 'dummy-filed') => ({ type: 'GUEST_PAGE_READY', outcome }) as EventObject;
  return [
    // wake before wait: a dummy for the token is consumed by the not-present (kvm_async_pf_queue_task)
    { machine: 'guest', state: withNodes([{ token: 0x1000, task: -1 }]), events: [{ type: 'ASYNC_EXCEPTION', token: 0x1000, reason: 1 } as EventObject] },
    // a second page-ready for a token with a dummy unhashes the dummy (apf_task_wake_one)
    { machine: 'guest', state: withNodes([{ token: 0x1000, task: -1 }]), events: [{ type: 'PAGE_READY_IRQ', token: 0x1000, reason: 0 } as EventObject] },
    // s390 completion for a task that neither waits nor runs (asleep for another reason, which the model's tasks never are): ignored
    {
      machine: 'guest',
      state: { value: 'running', context: { ...s390.guest.initial({ vcpu: 0, taskCount: 2 }).context, tasks: [{ status: 'running', tif: false, pfaultWait: 0 }, { status: 'sleeping', tif: false, pfaultWait: 0 }] } },
      events: [{ type: 'PFAULT_DONE', task: 1, token: 0x1000 } as EventObject],
    },
    // SDEI handler with a reason that is not NOT_PRESENT (or a full table): nothing recorded
    { machine: 'guest', state: sdei.guest.initial({ vcpu: 0, taskCount: 1 }), events: [{ type: 'SDEI_EVENT', token: 0x1000, reason: 0 } as EventObject] },
    // RFCv1: a page-ready with no task of this CPU to wake lands in __schedule (rq->lock held), runs nested and returns
    // there; the scopes never deliver one (a page-ready follows its sleeper's wait, a wake-all comes at the entry right
    // after the enable), the kernel would (a token whose sleeper an earlier wake-all already woke)
    {
      machine: 'guest',
      design: 'arm64-rfcv1',
      state: { value: 'rqLocked', context: { ...rfcv1Guest.context, current: -1, tasks: [{ status: 'runnable', tif: false, pfaultWait: 0 }, { status: 'runnable', tif: false, pfaultWait: 0 }], rqNext: 1 } },
      events: [{ type: 'ASYNC_EXCEPTION', token: 0x10000, reason: 2 } as EventObject, { type: 'BUCKET_LOCK' } as EventObject, { type: 'BUCKET_UNLOCK' } as EventObject, { type: 'ERET' } as EventObject],
    },
    // RFCv1: a page-ready nested in __schedule, under its bucket lock or before it, and a second one lands there to wake
    // task0 of this CPU: __schedule below still holds rq->lock (no scope here nests three frames)
    ...(['bucketLocked', 'reasonRead'] as const).map((value) => ({
      machine: 'guest' as const,
      design: 'arm64-rfcv1',
      state: { value, context: { ...inSchedulerWithSleeper, ...(value === 'bucketLocked' ? { bucketHeld: 0x20000 } : {}) } },
      events: [{ type: 'ASYNC_EXCEPTION', token: 0x10000, reason: 2 } as EventObject],
    })),
    // token observer: dummy first, then the not-present consumes it / files a sleeper beside it (0547758a6de3)
    { machine: 'token', state: token, events: [pr('dummy-filed'), np('dummy-consumed'), np('sleeping')] },
    { machine: 'token', state: token, events: [pr('dummy-filed'), np('sleeping'), pr('woken')] },
    { machine: 'token', state: token, events: [pr('dummy-filed'), np('sleeping'), { type: 'GUEST_WOKEN_BY_ALL' }] },
    { machine: 'token', state: token, events: [pr('dummy-filed'), pr('dummy-unhashed')] },
    { machine: 'token', state: token, events: [np('sleeping'), pr('dummy-filed')] },
    // a second dequeue of one item (double delivery) is counted, not absorbed
    {
      machine: 'token',
      state: token,
      events: [{ type: 'COMPLETED' }, ...[true, true, false].map((delivered) => ({ type: 'DEQUEUED', delivered }) as EventObject)],
    },
  ];
}

type MachineName = 'host' | 'guest' | 'token' | 'vm';
const MACHINE_NAMES: readonly MachineName[] = ['host', 'guest', 'token', 'vm'];

describe('machine transition coverage', () => {
  const listed = new Map<MachineName, Set<string>>(MACHINE_NAMES.map((m) => [m, new Set()]));
  const taken = new Map<MachineName, Set<string>>(MACHINE_NAMES.map((m) => [m, new Set()]));
  const unreachedStates = new Map<MachineName, Set<string> | undefined>(MACHINE_NAMES.map((m) => [m, undefined]));
  const noteStates = (machine: MachineName, recorder: CoverageRecorder) => {
    const missed = new Set(recorder.missedStates());
    const before = unreachedStates.get(machine);
    unreachedStates.set(machine, before === undefined ? missed : new Set([...before].filter((id) => missed.has(id))));
  };
  const missed = (machine: MachineName) => {
    // a machine with nothing listed was never driven: that must fail, not pass
    expect(listed.get(machine)!.size, `${machine} transitions listed`).toBeGreaterThan(0);
    return [...listed.get(machine)!].filter((id) => !taken.get(machine)!.has(id));
  };

  // every test below reads what this fills, so each one checks the whole coverage even when run alone
  const explored: number[] = [];
  let directEvents = 0;
  beforeAll(() => {
    for (const run of RUNS) {
      const result = exhaustiveCheck({ design: run.design, scope: run.scope }, new Judge({ safety: [], liveness: [] }), { maxStates: run.maxStates });
      explored.push(result.states);
      const machines = machinesOf(run.design);
      for (const name of MACHINE_NAMES) {
        const stepper = machines[name];
        const recorder = stepper.coverage;
        for (const t of recorder.all) listed.get(name)!.add(t.id);
        for (const id of recorder.takenIds()) taken.get(name)!.add(id);
        noteStates(name, recorder);
      }
    }
    for (const { machine, state, events, ...named } of directCases()) {
      const design = named.design ?? (events[0]?.type === 'SDEI_EVENT' ? 'arm64-sdei' : events[0]?.type === 'PFAULT_DONE' ? 's390-pfault' : 'x86');
      const stepper = machinesOf(designByName(design))[machine];
      const recorder = new CoverageRecorder(stepper.machine);
      let at = state;
      for (const event of events) {
        recorder.record({ state: at, event });
        at = stepper.step(at as never, event as never).next;
        directEvents += 1;
      }
      for (const id of recorder.takenIds()) taken.get(machine)!.add(id);
      noteStates(machine, recorder);
    }
  }, 150_000);

  it('drives every design and variant through the composed system', () => {
    expect(explored).toHaveLength(RUNS.length);
    for (const states of explored) expect(states).toBeGreaterThan(10);
  });

  it('takes the paths only a broken protocol reaches, directly on the machines', () => {
    expect(directEvents).toBe(directCases().reduce((n, c) => n + c.events.length, 0));
    expect(directEvents).toBeGreaterThan(0);
  });

  it('enters every state node of every machine', () => {
    for (const machine of MACHINE_NAMES) expect([...(unreachedStates.get(machine) ?? [])], machine).toEqual([]);
  });

  it('takes every host transition', () => {
    expect(missed('host')).toEqual([]);
  });

  it('takes every guest transition', () => {
    expect(missed('guest')).toEqual([]);
  });

  it('takes every token-lifecycle transition', () => {
    expect(missed('token')).toEqual([]);
  });

  it('takes every VM transition (s390 floating interrupts)', () => {
    expect(listed.get('vm')!.size).toBeGreaterThan(0);
    expect(missed('vm')).toEqual([]);
  });
});

describe('coverage recorded while stepping', () => {
  // A stepper records what its XState calls took as it makes them. Here fresh steppers
  // take the machine steps of random walks, and the same steps are replayed on inspected actors.
  it.each(DESIGNS.map((d) => [d.name, d] as const))('%s: a stepper records what a replay on inspected actors records', (_, design) => {
    const config = { design, scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 3, pages: 2, hotplug: true } };
    const machines = machinesOf(design);
    const fresh = new Map(MACHINE_NAMES.map((m) => [m, new ComponentStepper(machines[m].machine)] as const));
    const replayed = new Map(MACHINE_NAMES.map((m) => [m, new CoverageRecorder(machines[m].machine)] as const));
    const start = (m: MachineName, input: unknown) => {
      const initial = fresh.get(m)!.initial(input);
      replayed.get(m)!.record({ input });
      replayed.get(m)!.recordState(initial);
    };
    const inputs = machineInputs(config, placementOf(initialState(config)));
    for (const input of inputs.hosts) start('host', input);
    for (const input of inputs.guests) start('guest', input);
    start('vm', undefined);
    const log: ComponentLog = (record) => {
      if (record.kind === 'start') start('token', record.input);
      if (record.kind !== 'event') return;
      const { next } = fresh.get(record.machine)!.step(record.from as never, record.event as never);
      expect(next).toEqual(record.next);
      replayed.get(record.machine)!.record({ state: record.from, event: record.event });
      replayed.get(record.machine)!.recordState(record.from);
      replayed.get(record.machine)!.recordState(record.next);
    };
    let seed = 7;
    const pick = (n: number) => {
      // a 32-bit linear congruential generator (Math.imul keeps it exact), its high bits drawn
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor((seed / 2 ** 32) * n);
    };
    for (let walk = 0; walk < 30; walk++) {
      let state = initialState(config);
      for (let depth = 0; depth < 40; depth++) {
        const steps = enabledSteps(state);
        if (steps.length === 0) break;
        state = applyStep(state, steps[pick(steps.length)]!, log);
      }
    }
    for (const m of MACHINE_NAMES) {
      const recorded = fresh.get(m)!.coverage;
      expect(recorded.takenIds(), m).toEqual(replayed.get(m)!.takenIds());
      expect([...recorded.reachedStates()].sort(), m).toEqual([...replayed.get(m)!.reachedStates()].sort());
    }
    expect(fresh.get('guest')!.coverage.takenIds().length).toBeGreaterThan(5);
  });
});
