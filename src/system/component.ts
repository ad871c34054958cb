/**
 * One machine instance inside the composed system: its state value and context
 * as plain data, stepped by XState's pure `transition()`. XState is the
 * semantics; results are memoised per (component state, event), since each
 * component is small and deterministic.
 */
import { initialTransition, transition, type AnyStateMachine, type EventObject, type StateValue } from 'xstate';

/** A machine's snapshot reduced to data: what the system stores and compares. */
export interface ComponentState<TContext> {
  readonly value: StateValue;
  readonly context: TContext;
}

export interface ComponentStep<TContext, TEffect> {
  readonly next: ComponentState<TContext>;
  /** the state and event this step started from */
  readonly from: ComponentState<TContext>;
  readonly event: EventObject;
  /** events the machine emitted (`emit` actions), in order */
  readonly effects: readonly TEffect[];
}

/** Thrown when the system sends a machine an event it does not accept: a modelling error, never user input. */
export class ModelError extends Error {
  override readonly name = 'ModelError';
}

const MEMO_LIMIT = 1 << 20;
/** Distinct events a machine can be sent (one memo key is a state id times this plus an event id). */
const EVENT_SPAN = 1 << 21;

/**
 * Steps one kind of machine, with a memo of every (state, event) pair seen.
 * States are interned: equal states (same value and context) get one id and
 * one shared object, so the composed system compares components by identity
 * and keys them by small integers instead of their JSON.
 */
export class ComponentStepper<TContext, TEvent extends EventObject, TEffect> {
  private readonly memo = new Map<number, ComponentStep<TContext, TEffect>>();
  private readonly inputs = new Map<string, unknown>();
  /** the interned states, by id */
  private readonly states: ComponentState<TContext>[] = [];
  private readonly idsByKey = new Map<string, number>();
  /** the id of a state object, cached by identity (states are immutable and shared) */
  private readonly idsByObject = new WeakMap<object, number>();
  private readonly eventIds = new Map<string, number>();

  constructor(readonly machine: AnyStateMachine) {}

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

  /** The distinct (state, event) pairs stepped so far (since the memo was last emptied). */
  steps(): IterableIterator<ComponentStep<TContext, TEffect>> {
    return this.memo.values();
  }

  /** The distinct inputs the machine was started with. */
  startInputs(): IterableIterator<unknown> {
    return this.inputs.values();
  }

  /** The machine's initial state for an input. */
  initial(input: unknown): ComponentState<TContext> {
    if (this.inputs.size < MEMO_LIMIT) this.inputs.set(JSON.stringify(input), input);
    const [snapshot] = initialTransition(this.machine, input);
    return this.canonical({ value: snapshot.value, context: snapshot.context as TContext });
  }

  /** The state after `event`, and what the machine emitted. Throws ModelError if no transition of the machine takes the event. */
  step(state: ComponentState<TContext>, event: TEvent): ComponentStep<TContext, TEffect> {
    const key = this.idOf(state) * EVENT_SPAN + this.eventId(event);
    const hit = this.memo.get(key);
    if (hit !== undefined) return hit;
    const snapshot = this.machine.resolveState({ value: state.value, context: state.context as Record<string, unknown> });
    // a selected transition counts even when it is targetless and action-less (XState's "forbidden" transition: the event changes nothing)
    if (this.machine.getTransitionData(snapshot, event).length === 0) {
      throw new ModelError(`${this.machine.id} in ${JSON.stringify(state.value)} does not accept ${JSON.stringify(event)}`);
    }
    const [next, actions] = transition(this.machine, snapshot, event);
    const effects: TEffect[] = [];
    for (const action of actions as readonly { type: string; params?: unknown }[]) {
      if (action.type === 'xstate.emit') effects.push((action.params as { event: TEffect }).event);
    }
    const result: ComponentStep<TContext, TEffect> = {
      next: this.canonical({ value: next.value, context: next.context as TContext }),
      from: this.canonical(state),
      event,
      effects,
    };
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(key, result);
    return result;
  }
}
