/**
 * Replay: re-executes a trace's steps from the initial state, checks every
 * step's digest, and judges the path again with every property. A trace made
 * before a model change fails loudly at the first step that differs.
 */
import { LIVENESS, SAFETY } from '../../properties/index.js';
import { judgeStates, type Violation } from '../engine/verdict.js';
import { applyStep, enabledSteps, initialState, type ComponentRecord, type Step, type SystemConfig, type SystemState } from '../system/system.js';
import { describeChange, digestOf, TraceFormatError, type Trace } from './trace.js';

export interface ReplayRow {
  readonly index: number;
  readonly actor: string;
  readonly label: string;
  readonly summary: string;
}

export type ReplayOutcome =
  /** the trace's violation (or another) recurs */
  | { readonly status: 'violation'; readonly rows: readonly ReplayRow[]; readonly violation: Violation }
  /** every step replayed and no property fails */
  | { readonly status: 'clean'; readonly rows: readonly ReplayRow[] }
  /** a step is not enabled, or leads to a different state than recorded */
  | { readonly status: 'diverged'; readonly rows: readonly ReplayRow[]; readonly at: number; readonly reason: string };

/** The system configuration a trace was made with. */
export function traceConfig(trace: Trace): SystemConfig {
  return { design: trace.design.options, scope: trace.scope };
}

/** Replays `trace`. */
export function replayTrace(trace: Trace): ReplayOutcome {
  const config = traceConfig(trace);
  let state = initialState(config);
  const rows: ReplayRow[] = [];
  if (digestOf(state) !== trace.initialDigest) {
    return { status: 'diverged', rows, at: 0, reason: 'the initial state differs from the one the trace was made from (the model changed)' };
  }
  const states: SystemState[] = [state];
  for (const [i, recorded] of trace.steps.entries()) {
    const step = enabledSteps(state).find((s) => s.label === recorded.label);
    if (step === undefined) {
      return { status: 'diverged', rows, at: i + 1, reason: `step ${i + 1} '${recorded.label}' is not enabled here` };
    }
    const next = applyStep(state, step);
    const summary = describeChange(state, next);
    if (digestOf(next) !== recorded.digest) {
      return {
        status: 'diverged',
        rows,
        at: i + 1,
        reason: `step ${i + 1} '${recorded.label}' reaches a different state: recorded "${recorded.summary}", now "${summary}"`,
      };
    }
    rows.push({ index: i + 1, actor: step.actor, label: step.label, summary });
    states.push(next);
    state = next;
  }
  const violation = judgeStates(states, { safety: SAFETY, liveness: LIVENESS });
  return violation === undefined ? { status: 'clean', rows } : { status: 'violation', rows, violation };
}

/**
 * The states a trace goes through (initial state first) and its steps,
 * re-executed by label; `log` hears every machine event of step i (from 1).
 * For a trace `replayTrace` accepted: a label that is not enabled is a
 * TraceFormatError.
 */
export function walkTrace(trace: Trace, log?: (step: number, record: ComponentRecord) => void): { states: SystemState[]; steps: Step[] } {
  let state = initialState(traceConfig(trace));
  const states = [state];
  const steps: Step[] = [];
  for (const [i, recorded] of trace.steps.entries()) {
    const step = enabledSteps(state).find((s) => s.label === recorded.label);
    if (step === undefined) throw new TraceFormatError(`step ${i + 1} '${recorded.label}' is not enabled here`);
    state = applyStep(state, step, log === undefined ? undefined : (record) => log(i + 1, record));
    states.push(state);
    steps.push(step);
  }
  return { states, steps };
}
