/**
 * Replay: re-executes a trace's steps from the initial state, checks every
 * step's digest, and judges the path again with every property. A trace made
 * before a model change fails loudly at the first step that differs.
 */
import { LIVENESS, SAFETY, type PropertyId } from '../../properties/index.js';
import { TraceFormatError } from '../errors.js';
import { Judge, type Violation } from '../judge/judge.js';
import type { ComponentRecord, Step, SystemConfig, SystemState } from '../system/system.js';
import { isStep, walk } from '../system/walk.js';
import { describeChange, digestOf, type Trace } from './trace.js';

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
  let diverged: { at: number; reason: string } | undefined;
  const walked = walk(
    config,
    (enabled, at, state) => {
      // the state after step `at` (the initial one for 0) must be the one recorded
      const recorded = at === 0 ? trace.initialDigest : trace.steps[at - 1]!.digest;
      if (digestOf(state) !== recorded) {
        diverged = { at, reason: at === 0 ? 'the initial state differs from the one the trace was made from (the model changed)' : '' };
        return null;
      }
      const next = trace.steps[at];
      if (next === undefined) return null;
      const step = enabled.find((s) => isStep(s, next));
      if (step === undefined) diverged = { at: at + 1, reason: `step ${at + 1} '${next.label}' is not enabled here` };
      return step ?? null;
    },
    { placement: trace.placement, ...(log === undefined ? {} : { log }) },
  )!;
  const { states, steps } = walked;
  const rows: ReplayRow[] = steps.map((step, i) => ({ index: i + 1, actor: step.actor, label: step.label, summary: describeChange(states[i]!, states[i + 1]!) }));
  if (diverged !== undefined) {
    if (diverged.reason === '') {
      // the step reached a state other than the recorded one: say what it changed then and now
      const i = diverged.at;
      const recorded = trace.steps[i - 1]!;
      const now = rows[i - 1]!.summary;
      diverged.reason =
        now === recorded.summary
          ? `step ${i} '${recorded.label}' reaches a state whose digest is not the recorded ${recorded.digest}, though it changes the same ("${now}"): the digest was edited, or the model changed where the summary does not show`
          : `step ${i} '${recorded.label}' reaches a different state: recorded "${recorded.summary}", now "${now}"`;
    }
    return { status: 'diverged', rows: rows.slice(0, Math.max(0, diverged.at - 1)), at: diverged.at, reason: diverged.reason };
  }
  const lasso = trace.cycleStart === undefined ? undefined : { steps, cycleStart: trace.cycleStart };
  // the recorded property is judged first: a lasso found for one liveness property may break another too
  const recorded = trace.violation?.property;
  // the properties the check judged (all, unless the trace names fewer)
  const judged = (p: { id: PropertyId }) => trace.properties === undefined || trace.properties.includes(p.id);
  const liveness = LIVENESS.filter(judged).sort((a, b) => Number(b.id === recorded) - Number(a.id === recorded));
  const violation = new Judge({ safety: SAFETY.filter(judged), liveness }).path(states, lasso);
  return violation === undefined ? { status: 'clean', rows, states, steps } : { status: 'violation', rows, states, steps, violation };
}

/** Replays `trace` for a view of it; a trace that diverges is refused with a TraceFormatError saying where. */
export function replayForView(trace: Trace, log?: (step: number, record: ComponentRecord) => void, source = 'the trace'): Exclude<ReplayOutcome, { status: 'diverged' }> {
  const outcome = replayTrace(trace, log);
  if (outcome.status === 'diverged') {
    throw new TraceFormatError(`${source} diverges at step ${outcome.at}: ${outcome.reason} (regenerate it with apfcheck check)`);
  }
  return outcome;
}

