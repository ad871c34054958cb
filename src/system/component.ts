/**
 * One machine instance inside the composed system: its state value and context
 * as plain data, stepped by the machine's own XState `transition`. XState is
 * the semantics; results are memoised per (component state, event), since each
 * component is small and deterministic.
 */
import { createActor, type ActorScope, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import { ModelError } from '../errors.js';
import { CoverageRecorder } from './coverage.js';
import type { ComponentState } from './state.js';

export interface ComponentStep<TContext, TEffect> {
  readonly next: ComponentState<TContext>;
  /** the state this step started from (in its shared form) */
  readonly from: ComponentState<TContext>;
  /** events the machine emitted (`emit` actions), in order */
  readonly effects: readonly TEffect[];
}

const MEMO_LIMIT = 1 << 20;
/** Distinct events a machine can be sent (one memo key is a state id times this plus an event id). */
const EVENT_SPAN = 1 << 21;

/**
 * Steps one kind of machine, with a memo of every (state, event) pair seen.
 * States are interned: equal states (same value and context) get one id and
 * one shared object, so the composed system compares components by identity
 * and keys them by small integers instead of their JSON.
 *
 * XState is consulted through the machine's own `transition` and
 * `getInitialSnapshot`, as XState's pure `transition()` does, but with one
 * actor scope for every call: `transition()` builds a fresh actor and system
 * per call, which was most of the cost of a memo miss. Whether the machine
 * accepts an event at all is asked of its public `getTransitionData` (see
 * step). The scope's system is inspected, so each miss also records the
 * transitions it took for machine coverage (coverage.ts).
 * None of the machines spawns or invokes actors, so no call leaves anything
 * behind in the shared system.
 */
export class ComponentStepper<TContext, TEvent extends EventObject, TEffect> {
  private readonly memo = new Map<number, ComponentStep<TContext, TEffect>>();
  /** initial states by input (JSON) */
  private readonly starts = new Map<string, ComponentState<TContext>>();
  /** the states and transitions every step and start so far reached (memo misses record them; hits add nothing new) */
  readonly coverage: CoverageRecorder;
  private readonly scope: ActorScope<AnyMachineSnapshot, TEvent>;
  /** the actions and transitions of the XState call in progress */
  private readonly actions: { type: string; params?: unknown }[] = [];
  private readonly taken: object[] = [];
  /** each interned state as an XState snapshot, by id, resolved on its first memo miss (kept as long as the state: one per interned state) */
  private readonly snapshots: (AnyMachineSnapshot | undefined)[] = [];
  /** the interned states, by id */
  private readonly states: ComponentState<TContext>[] = [];
  private readonly idsByKey = new Map<string, number>();
  /** the id of a state object, cached by identity (states are immutable and shared) */
  private readonly idsByObject = new WeakMap<object, number>();
  private readonly eventIds = new Map<string, number>();

  constructor(readonly machine: AnyStateMachine) {
    this.coverage = new CoverageRecorder(machine);
    const self = createActor(machine, { inspect: (event) => this.taken.push(...CoverageRecorder.transitionsOf(event)) });
    this.scope = {
      self,
      id: '',
      sessionId: '',
      logger: () => {},
      defer: () => {},
      emit: () => {},
      system: self.system,
      stopChild: () => {},
      actionExecutor: (action) => this.actions.push(action),
    };
  }

  /** Runs one XState call on the shared scope; records what it took and returns its snapshot and emitted events. */
  private consult(call: () => AnyMachineSnapshot): { snapshot: AnyMachineSnapshot; effects: TEffect[] } {
    this.actions.length = 0;
    this.taken.length = 0;
    const snapshot = call();
    this.coverage.noteTransitions(this.taken);
    this.coverage.noteStates(snapshot);
    const effects: TEffect[] = [];
    for (const action of this.actions) {
      if (action.type === 'xstate.emit') effects.push((action.params as { event: TEffect }).event);
    }
    return { snapshot, effects };
  }

  /** The id of `state`: equal states, even as different objects, have one id. */
  idOf(state: ComponentState<TContext>): number {
    let id = this.idsByObject.get(state);
    if (id === undefined) {
      const key = JSON.stringify([state.value, state.context]);
      id = this.idsByKey.get(key);
      if (id === undefined) {
        id = this.states.push(state) - 1;
        this.idsByKey.set(key, id);
      }
      this.idsByObject.set(state, id);
    }
    return id;
  }

  /** The one shared object of the states equal to `state`. */
  canonical(state: ComponentState<TContext>): ComponentState<TContext> {
    return this.states[this.idOf(state)]!;
  }

  private eventId(event: TEvent): number {
    const key = JSON.stringify(event);
    let id = this.eventIds.get(key);
    if (id === undefined) {
      id = this.eventIds.size;
      if (id >= EVENT_SPAN) throw new ModelError(`${this.machine.id} was sent more than ${EVENT_SPAN} distinct events: the step memo cannot key them`);
      this.eventIds.set(key, id);
    }
    return id;
  }

  /** The machine's initial state for an input. */
  initial(input: unknown): ComponentState<TContext> {
    const key = JSON.stringify(input);
    let start = this.starts.get(key);
    if (start === undefined) {
      const { snapshot } = this.consult(() => this.machine.getInitialSnapshot(this.scope, input));
      start = this.canonical({ value: snapshot.value, context: snapshot.context as TContext });
      if (this.starts.size >= MEMO_LIMIT) this.starts.clear();
      this.starts.set(key, start);
    }
    return start;
  }

  /** The state after `event`, and what the machine emitted. Throws ModelError if no transition of the machine takes the event. */
  step(state: ComponentState<TContext>, event: TEvent): ComponentStep<TContext, TEffect> {
    const id = this.idOf(state);
    const key = id * EVENT_SPAN + this.eventId(event);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const snapshot = (this.snapshots[id] ??= this.machine.resolveState({ value: state.value, context: state.context as Record<string, unknown> }));
    this.coverage.noteStates(snapshot);
    // the transitions the event selects; one counts even when it is targetless and action-less (XState's "forbidden"
    // transition: the machine takes the event and nothing changes), none means the system sent an event the machine refuses
    if (this.machine.getTransitionData(snapshot, event).length === 0) {
      throw new ModelError(`${this.machine.id} in ${JSON.stringify(state.value)} does not accept ${JSON.stringify(event)}`);
    }
    const { snapshot: next, effects } = this.consult(() => this.machine.transition(snapshot, event, this.scope));
    const result: ComponentStep<TContext, TEffect> = {
      next: this.canonical({ value: next.value, context: next.context as TContext }),
      from: this.canonical(state),
      effects,
    };
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, result);
    return result;
  }
}
