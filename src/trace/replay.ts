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

/** What a replay that did not diverge went through. */
interface Replayed {
  readonly rows: readonly ReplayRow[];
  /** the initial state, then the state after each step */
  readonly states: readonly SystemState[];
  readonly steps: readonly Step[];
}

export type ReplayOutcome =
  /** the trace's violation (or another) recurs */
  | ({ readonly status: 'violation'; readonly violation: Violation } & Replayed)
  /** every step replayed and no property fails */
  | ({ readonly status: 'clean' } & Replayed)
  /** a step is not enabled, or leads to a different state than recorded */
  | { readonly status: 'diverged'; readonly rows: readonly ReplayRow[]; readonly at: number; readonly reason: string };

/** The system configuration a trace was made with. */
export function traceConfig(trace: Trace): SystemConfig {
  return { design: trace.design.options, scope: trace.scope };
}

/** Replays `trace`; `log` hears every machine event of step i (from 1). */
export function replayTrace(trace: Trace, log?: (step: number, record: ComponentRecord) => void): ReplayOutcome {
  const config = traceConfig(trace);
  let state = initialState(config);
  const rows: ReplayRow[] = [];
  if (digestOf(state) !== trace.initialDigest) {
    return { status: 'diverged', rows, at: 0, reason: 'the initial state differs from the one the trace was made from (the model changed)' };
  }
  const states: SystemState[] = [state];
  const steps: Step[] = [];
  for (const [i, recorded] of trace.steps.entries()) {
    const step = enabledSteps(state).find((s) => s.label === recorded.label);
    if (step === undefined) {
      return { status: 'diverged', rows, at: i + 1, reason: `step ${i + 1} '${recorded.label}' is not enabled here` };
    }
    const next = applyStep(state, step, log === undefined ? undefined : (record) => log(i + 1, record));
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
    steps.push(step);
    state = next;
  }
  const lasso = trace.cycleStart === undefined ? undefined : { steps, cycleStart: trace.cycleStart };
  // the recorded property is judged first: a lasso found for one liveness property may break another too
  const recorded = trace.violation?.property;
  const liveness = [...LIVENESS].sort((a, b) => Number(b.id === recorded) - Number(a.id === recorded));
  const violation = judgeStates(states, { safety: SAFETY, liveness }, lasso);
  return violation === undefined ? { status: 'clean', rows, states, steps } : { status: 'violation', rows, states, steps, violation };
}

/** Replays `trace` for a view of it; a trace that diverges is refused with a TraceFormatError saying where. */
export function replayForView(trace: Trace, log?: (step: number, record: ComponentRecord) => void): Exclude<ReplayOutcome, { status: 'diverged' }> {
  const outcome = replayTrace(trace, log);
  if (outcome.status === 'diverged') {
    throw new TraceFormatError(`the trace diverges at step ${outcome.at}: ${outcome.reason} (regenerate it with apfcheck check)`);
  }
  return outcome;
}

