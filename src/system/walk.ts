/**
 * The one walker: stepping the composed system along a schedule. Random
 * search, the minimiser and replay all step through `walk`; the exhaustive
 * search steps through the packed system, which applies the same steps
 * (src/packed/packed.ts).
 */
import { applyStep, initialState, successors, type ComponentLog, type Step, type SystemConfig, type SystemState } from './system.js';

/** How many tasks each vCPU runs (see placementsOf). */
export type Placement = readonly number[];

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
 * Walks from the initial state of `placement` (every task on vCPU 0 if
 * none is given), asking `choose` for the next step among the enabled ones
 * (in `state`, after `at` steps) until it returns null (the walk ends there)
 * or undefined (the walk is not executable). `log`, if given, hears every
 * event each step sends a machine instance (step numbers from 1).
 */
export function walk(
  config: SystemConfig,
  choose: (enabled: readonly Step[], at: number, state: SystemState) => Step | null | undefined,
  options: { readonly placement?: Placement; readonly log?: (step: number, record: Parameters<ComponentLog>[0]) => void } = {},
): Walk | undefined {
  const { log } = options;
  let state = initialState(config, options.placement);
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

/** The walk from `placement` that takes the steps `ids` names, in order, or undefined if one is not enabled when its turn comes. */
export function walkSteps(config: SystemConfig, ids: readonly StepId[], placement?: Placement): Walk | undefined {
  return walk(config, (enabled, at) => (at === ids.length ? null : enabled.find((s) => isStep(s, ids[at]!))), placement === undefined ? {} : { placement });
}

/** Follows a schedule from `placement`: each number picks among the enabled steps (modulo their count); stops when nothing is enabled. */
export function followSchedule(config: SystemConfig, schedule: readonly number[], placement?: Placement): Walk {
  const choose = (enabled: readonly Step[], at: number) => (at === schedule.length || enabled.length === 0 ? null : enabled[schedule[at]! % enabled.length]!);
  return walk(config, choose, placement === undefined ? {} : { placement })!;
}
