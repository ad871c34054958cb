/**
 * Judging a path: the one place that decides whether a sequence of steps
 * violates a property. Safety is checked on every state the path reaches,
 * liveness on the state it ends in. Random search, minimisation and replay
 * all go through here.
 */
import { fairCycleViolation, livenessViolationAt } from '../../properties/fair-continuation.js';
import type { LivenessProperty, PropertyId, SafetyProperty } from '../../properties/index.js';
import { initialState, successors, type Step, type SystemConfig, type SystemState } from '../system/system.js';

export interface Violation {
  readonly property: PropertyId;
  readonly message: string;
  /** number of steps of the path up to and including the violating state (liveness: the whole path) */
  readonly length: number;
}

export interface PropertySet {
  readonly safety: readonly SafetyProperty[];
  readonly liveness: readonly LivenessProperty[];
}

/** The first safety violation of `state` among `safety`, if any. */
export function safetyViolation(safety: readonly SafetyProperty[], state: SystemState, previous?: SystemState): [PropertyId, string] | undefined {
  for (const property of safety) {
    const message = property.check(state, previous);
    if (message !== undefined) return [property.id, message];
  }
  return undefined;
}

/** The position of each property in `safety` (the order reports prefer, when several break at once). */
export function propertyRank(safety: readonly SafetyProperty[]): (id: PropertyId) => number {
  const rank = new Map(safety.map((p, i) => [p.id, i]));
  return (id) => rank.get(id) ?? safety.length;
}

/** The first liveness violation at `state` among `liveness`, if any. */
export function livenessViolation(liveness: readonly LivenessProperty[], state: SystemState): [PropertyId, string] | undefined {
  for (const property of liveness) {
    const message = livenessViolationAt(property, state);
    if (message !== undefined) return [property.id, message];
  }
  return undefined;
}

/** A walk from the initial state: the states it went through and the steps it took. */
export interface Walk {
  readonly states: SystemState[];
  readonly steps: Step[];
}

/**
 * The one stepping driver: from the initial state, ask `choose` for the next
 * step among the enabled ones until it returns null (the walk ends there) or
 * undefined (the walk is not executable).
 */
export function walk(config: SystemConfig, choose: (enabled: readonly Step[], at: number) => Step | null | undefined): Walk | undefined {
  let state = initialState(config);
  const states = [state];
  const steps: Step[] = [];
  for (let at = 0; ; at++) {
    const next = successors(state);
    const step = choose(
      next.map((s) => s.step),
      at,
    );
    if (step === null) return { states, steps };
    if (step === undefined) return undefined;
    state = next.find((s) => s.step === step)!.next;
    states.push(state);
    steps.push(step);
  }
}

/** The walk that takes the steps with these labels, or undefined if some label is not enabled when its turn comes. */
export function walkLabels(config: SystemConfig, labels: readonly string[]): Walk | undefined {
  return walk(config, (enabled, at) => (at === labels.length ? null : enabled.find((s) => s.label === labels[at])));
}

/** The first violation along a path of labels (undefined if none, or if the path is not executable). */
export function judgeLabels(config: SystemConfig, labels: readonly string[], properties: PropertySet): Violation | undefined {
  const walked = walkLabels(config, labels);
  if (walked === undefined) return undefined;
  return judgeStates(walked.states, properties);
}

/** A path that ends in a cycle: its steps, and how many of them come before the cycle. */
export interface Lasso {
  readonly steps: readonly Step[];
  readonly cycleStart: number;
}

/**
 * The first violation along a sequence of states starting at the initial
 * one: safety on every state, liveness on the last one, or, for a lasso, on
 * its cycle (see fairCycleViolation).
 */
export function judgeStates(states: readonly SystemState[], properties: PropertySet, lasso?: Lasso): Violation | undefined {
  for (let i = 0; i < states.length; i++) {
    const found = safetyViolation(properties.safety, states[i]!, states[i - 1]);
    if (found !== undefined) return { property: found[0], message: found[1], length: i };
  }
  const live =
    lasso === undefined
      ? livenessViolation(properties.liveness, states.at(-1)!)
      : properties.liveness.flatMap((p): [PropertyId, string][] => {
          const message = fairCycleViolation(p, states, lasso.steps, lasso.cycleStart);
          return message === undefined ? [] : [[p.id, message]];
        })[0];
  return live === undefined ? undefined : { property: live[0], message: live[1], length: states.length - 1 };
}
