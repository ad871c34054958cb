/**
 * The one walker: stepping the composed system along a schedule. Random
 * search, the minimiser and replay all step through `walk`; the exhaustive
 * search steps through the packed system, which applies the same steps
 * (src/packed/packed.ts).
 */
import { applyStep, initialState, successors, type ComponentLog, type Step, type SystemConfig, type SystemState } from './system.js';

/** A walk from the initial state: the states it went through and the steps it took. */
export interface Walk {
  readonly states: SystemState[];
  readonly steps: Step[];
}

/** How a step is named in a trace and in a schedule: its kind, vCPU and argument (its label is for reading). */
export interface StepId {
  readonly kind: string;
  readonly vcpu: number;
  readonly arg: number | string;
}

/** Whether `step` is the step `id` names. */
export function isStep(step: StepId, id: StepId): boolean {
  return step.kind === id.kind && step.vcpu === id.vcpu && step.arg === id.arg;
}

/** The identity of a step, without its label and actor. */
export function idOf(step: StepId): StepId {
  return { kind: step.kind, vcpu: step.vcpu, arg: step.arg };
}

/**
 * Walks from the initial state, asking `choose` for the next step among the
 * enabled ones (in `state`, after `at` steps) until it returns null (the
 * walk ends there) or undefined (the walk is not executable). `log`, if
 * given, hears every event each step sends a machine instance (step numbers
 * from 1).
 */
export function walk(
  config: SystemConfig,
  choose: (enabled: readonly Step[], at: number, state: SystemState) => Step | null | undefined,
  log?: (step: number, record: Parameters<ComponentLog>[0]) => void,
): Walk | undefined {
  let state = initialState(config);
  const states = [state];
  const steps: Step[] = [];
  for (let at = 0; ; at++) {
    const next = successors(state);
    const step = choose(
      next.map((s) => s.step),
      at,
      state,
    );
    if (step === null) return { states, steps };
    if (step === undefined) return undefined;
    // stepping again with a log hears the events; without one, the successor is already at hand
    state = log === undefined ? next.find((s) => s.step === step)!.next : applyStep(state, step, (record) => log(at + 1, record));
    states.push(state);
    steps.push(step);
  }
}

/** The walk that takes the steps `ids` names, in order, or undefined if one is not enabled when its turn comes. */
export function walkSteps(config: SystemConfig, ids: readonly StepId[]): Walk | undefined {
  return walk(config, (enabled, at) => (at === ids.length ? null : enabled.find((s) => isStep(s, ids[at]!))));
}

/** Follows a schedule: each number picks among the enabled steps (modulo their count); stops when nothing is enabled. */
export function followSchedule(config: SystemConfig, schedule: readonly number[]): Walk {
  return walk(config, (enabled, at) => (at === schedule.length || enabled.length === 0 ? null : enabled[schedule[at]! % enabled.length]!))!;
}
