/**
 * Machine coverage: which states and transitions of a machine definition a set
 * of component steps reached. Transitions are listed from the machine's own
 * definition (every candidate of every `on` and `always` entry), and the ones
 * taken are read from XState's inspection stream (`@xstate.microstep`), so the
 * eventless dispatch transitions count too.
 */
import { createActor, type AnyStateMachine, type EventObject } from 'xstate';
import type { ComponentState } from './state.js';

/** A transition of a machine definition with a readable id: `source.state:EVENT[i]` or `source.state:always[i]`. */
export interface TransitionRef {
  readonly id: string;
  readonly definition: object;
}

interface StateNodeLike {
  readonly id: string;
  readonly transitions: Map<string, readonly object[]>;
  readonly always?: readonly object[];
  readonly states: Record<string, StateNodeLike>;
}

/** Every transition of `machine`, in document order. */
export function transitionsOf(machine: AnyStateMachine): TransitionRef[] {
  const out: TransitionRef[] = [];
  const walk = (node: StateNodeLike): void => {
    for (const [event, candidates] of node.transitions) {
      candidates.forEach((definition, i) => out.push({ id: `${node.id}:${event}[${i}]`, definition }));
    }
    node.always?.forEach((definition, i) => out.push({ id: `${node.id}:always[${i}]`, definition }));
    for (const child of Object.values(node.states)) walk(child);
  };
  walk(machine.root as unknown as StateNodeLike);
  return out;
}

/** Every state node id of `machine` (the root excluded). */
export function stateIdsOf(machine: AnyStateMachine): string[] {
  const out: string[] = [];
  const walk = (node: StateNodeLike): void => {
    for (const child of Object.values(node.states)) {
      out.push(child.id);
      walk(child);
    }
  };
  walk(machine.root as unknown as StateNodeLike);
  return out;
}

/**
 * The transition definitions taken when `event` is sent in `state` (eventless
 * ones included), or, without a state, by starting the machine with `input`.
 */
export function takenTransitions(
  machine: AnyStateMachine,
  from: { readonly state: ComponentState<unknown>; readonly event: EventObject } | { readonly input: unknown },
): object[] {
  const taken: object[] = [];
  const inspect = (ev: { type: string }) => taken.push(...CoverageRecorder.transitionsOf(ev));
  if ('input' in from) {
    const actor = createActor(machine, { input: from.input, inspect });
    actor.start();
    actor.stop();
    return taken;
  }
  const snapshot = machine.resolveState({ value: from.state.value, context: from.state.context as Record<string, unknown> });
  const actor = createActor(machine, { snapshot, inspect });
  actor.start();
  actor.send(from.event);
  actor.stop();
  return taken;
}

/** Accumulates the transitions and states a machine was seen to take. */
export class CoverageRecorder {
  private readonly taken = new Set<object>();
  private readonly states = new Set<string>();
  readonly all: readonly TransitionRef[];

  constructor(readonly machine: AnyStateMachine) {
    this.all = transitionsOf(machine);
  }

  /**
   * The transitions an inspection event reports taken: those of a
   * `@xstate.microstep`, eventless ones included. XState names them only in the
   * event's `_transitions` (its public `getTransitionData` answers for an event,
   * not for the eventless dispatch that follows it), so coverage reads them
   * there, and nothing else does.
   */
  static transitionsOf(event: { type: string }): readonly object[] {
    return event.type === '@xstate.microstep' ? (event as unknown as { _transitions: object[] })._transitions : [];
  }

  /** Records one component step, or a start with an input, by running it on an inspected actor. */
  record(from: { readonly state: ComponentState<unknown>; readonly event: EventObject } | { readonly input: unknown }): void {
    this.noteTransitions(takenTransitions(this.machine, from));
  }

  /** Records transitions seen taken; the states a taken transition enters count as reached (transient ones too). */
  noteTransitions(transitions: readonly object[]): void {
    for (const t of transitions) {
      this.taken.add(t);
      const { source, target } = t as { source: { id: string }; target?: readonly { id: string }[] };
      this.states.add(source.id);
      for (const node of target ?? []) this.states.add(node.id);
    }
  }

  /** Records the state nodes active in a snapshot of the machine. */
  noteStates(snapshot: object): void {
    for (const node of (snapshot as { _nodes: { id: string }[] })._nodes) this.states.add(node.id);
  }

  /** Ids of the transitions taken so far. */
  takenIds(): string[] {
    return this.all.filter((t) => this.taken.has(t.definition)).map((t) => t.id);
  }

  /** Records the state nodes active in a component state. */
  recordState(state: ComponentState<unknown>): void {
    this.noteStates(this.machine.resolveState({ value: state.value, context: state.context as Record<string, unknown> }));
  }

  /** Ids of the state nodes seen active (parents included), transient ones too. */
  reachedStates(): ReadonlySet<string> {
    return this.states;
  }

  /** Transitions never taken, by id. */
  missedTransitions(): string[] {
    return this.all.filter((t) => !this.taken.has(t.definition)).map((t) => t.id);
  }

  /** State nodes never active, by id (a parent counts as active when a descendant was). */
  missedStates(): string[] {
    const reached = [...this.states];
    return stateIdsOf(this.machine).filter((id) => !reached.some((r) => r === id || r.startsWith(`${id}.`)));
  }
}

/** Coverage of one machine kind: transitions and state nodes taken, and the ones never taken. */
export interface MachineCoverage {
  readonly machine: string;
  readonly taken: number;
  readonly total: number;
  readonly missed: readonly string[];
  readonly statesReached: number;
  readonly statesTotal: number;
  readonly statesMissed: readonly string[];
}

/** Coverage of everything a stepper has stepped or started so far (in this process, for this design). */
export function coverageOf(name: string, stepper: { readonly machine: AnyStateMachine; readonly coverage: CoverageRecorder }): MachineCoverage {
  const recorder = stepper.coverage;
  const missed = recorder.missedTransitions();
  const statesMissed = recorder.missedStates();
  const statesTotal = stateIdsOf(stepper.machine).length;
  return {
    machine: name,
    taken: recorder.all.length - missed.length,
    total: recorder.all.length,
    missed,
    statesReached: statesTotal - statesMissed.length,
    statesTotal,
    statesMissed,
  };
}
