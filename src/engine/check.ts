/**
 * One check: a design (with mutants), a scope, a mode and a budget in; a
 * verdict, the counterexample and its trace out. The CLI and the tests both
 * call this; the random and exhaustive engines do the searching.
 */
import type { DesignOptions } from '../../machines/design.js';
import { LIVENESS, SAFETY, type Property, type PropertyId } from '../../properties/index.js';
import { ModelError } from '../system/component.js';
import { validateScope, type Scope } from '../system/scope.js';
import { coverageOf, type MachineCoverage } from '../system/coverage.js';
import { machinesOf, type SystemConfig } from '../system/system.js';
import { buildTrace, type Trace } from '../trace/trace.js';
import { exhaustiveCheck, type StopReason } from './exhaustive.js';
import { applyMutants, type Mutant } from './mutants.js';
import { randomCheck } from './random.js';
import { judgeStates, walkLabels, type PropertySet } from './verdict.js';

export type Mode = 'random' | 'exhaustive';

export interface CheckRequest {
  readonly design: DesignOptions;
  readonly mutants: readonly Mutant[];
  readonly scope: Scope;
  readonly mode: Mode;
  readonly seed: number;
  /** random mode: schedules to try */
  readonly runs: number;
  /** random mode: steps per schedule */
  readonly depth: number;
  /** exhaustive mode budgets */
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** properties to check (default: all) */
  readonly properties?: readonly Property[];
  /** exhaustive mode: symmetry reduction over vCPUs, pages and tasks (safety properties only) */
  readonly symmetry?: boolean;
  /** exhaustive mode: worker threads splitting the search (default 1: this thread) */
  readonly workers?: number;
  /** exhaustive mode: polled during the search; true stops it cleanly (stoppedBy 'interrupted') */
  readonly shouldStop?: () => boolean;
  readonly onProgress?: (progress: CheckProgress) => void;
}

/** Progress of a running check: schedules done (random) or states, frontier and depth (exhaustive). */
export type CheckProgress =
  | { readonly design: string; readonly done: number; readonly total: number }
  | { readonly design: string; readonly states: number; readonly frontier: number; readonly depth: number; readonly seconds: number };

export interface CheckReport {
  readonly design: string;
  readonly bugs: readonly string[];
  readonly scope: Scope;
  readonly mode: Mode;
  readonly seed: number;
  readonly result: 'pass' | 'violation' | 'incomplete';
  readonly property: PropertyId | null;
  readonly message: string | null;
  readonly runs: number;
  readonly steps: number;
  readonly statesExplored: number;
  readonly durationMs: number;
  readonly counterexampleLength: number | null;
  readonly trace: Trace | null;
  /** exhaustive mode: why it stopped early */
  readonly stoppedBy?: StopReason;
  /** exhaustive mode: BFS levels completed, states waiting at the end, heap bytes per stored state */
  readonly search?: {
    readonly depth: number;
    readonly frontier: number;
    readonly bytesPerState: number;
    /** every state was explored and no safety property broke, but the liveness pass after the search stopped (see stoppedBy) */
    readonly livenessUnfinished?: true;
  };
  /** exhaustive mode ran with symmetry reduction */
  readonly symmetry: boolean;
  /** only the safety properties were checked */
  readonly safetyOnly: boolean;
  /** exhaustive mode: machine transitions taken in this run; one never taken in a complete run is dead or out of scope */
  readonly coverage?: readonly MachineCoverage[];
}

function propertySet(properties: readonly Property[] | undefined): PropertySet {
  const chosen = properties ?? [...SAFETY, ...LIVENESS];
  return {
    safety: SAFETY.filter((p) => chosen.includes(p)),
    liveness: LIVENESS.filter((p) => chosen.includes(p)),
  };
}

/** Runs one check. Throws UsageError for an inconsistent scope. */
export function runCheck(request: CheckRequest): CheckReport {
  const design = applyMutants(request.design, request.mutants);
  const scope = validateScope(request.scope, design);
  const config: SystemConfig = { design, scope };
  const properties = propertySet(request.properties);
  const started = Date.now();
  const base = {
    design: request.design.name,
    bugs: request.mutants.map((m) => m.id),
    scope,
    mode: request.mode,
    seed: request.seed,
    symmetry: request.symmetry === true,
    safetyOnly: properties.liveness.length === 0,
  };

  let runs: number;
  let steps: number;
  let statesExplored: number;
  let counterexample: { labels: readonly string[]; violation: { property: PropertyId; message: string }; cycleStart?: number } | undefined;
  let incomplete: StopReason | undefined;
  let coverage: readonly MachineCoverage[] | undefined;
  let search: CheckReport['search'];
  if (request.mode === 'random') {
    const result = randomCheck(config, properties, {
      seed: request.seed,
      runs: request.runs,
      depth: request.depth,
      onProgress: (done) => request.onProgress?.({ design: design.name, done, total: request.runs }),
    });
    ({ runs, steps, statesExplored } = result);
    counterexample = result.counterexample;
  } else {
    const result = exhaustiveCheck(config, properties, {
      ...(request.symmetry === true ? { symmetry: true } : {}),
      ...(request.workers === undefined ? {} : { workers: request.workers }),
      ...(request.maxStates === undefined ? {} : { maxStates: request.maxStates }),
      ...(request.maxSeconds === undefined ? {} : { maxSeconds: request.maxSeconds }),
      ...(request.shouldStop === undefined ? {} : { shouldStop: request.shouldStop }),
      onProgress: (p) => request.onProgress?.({ design: design.name, ...p, seconds: (Date.now() - started) / 1000 }),
    });
    runs = 1;
    steps = result.transitions;
    statesExplored = result.states;
    counterexample = result.counterexample;
    incomplete = result.stoppedBy;
    search = { depth: result.depth, frontier: result.frontier, bytesPerState: result.bytesPerState, ...(result.livenessUnfinished === true ? { livenessUnfinished: true } : {}) };
    // only a search that explored every state can say a transition is never taken in this scope
    if (result.complete || result.livenessUnfinished === true) {
      const machines = machinesOf(design);
      coverage = (['host', 'guest', 'token'] as const).map((name) => coverageOf(name, machines[name]));
    }
  }

  const durationMs = Date.now() - started;
  if (counterexample === undefined) {
    return {
      ...base,
      result: incomplete === undefined ? 'pass' : 'incomplete',
      property: null,
      message: null,
      runs,
      steps,
      statesExplored,
      durationMs,
      counterexampleLength: null,
      trace: null,
      ...(incomplete === undefined ? {} : { stoppedBy: incomplete }),
      ...(search === undefined ? {} : { search }),
      ...(coverage === undefined ? {} : { coverage }),
    };
  }
  const walked = walkLabels(config, counterexample.labels)!;
  const violation = { property: counterexample.violation.property, message: counterexample.violation.message };
  const { cycleStart } = counterexample;
  if (cycleStart !== undefined) {
    // a lasso is judged again as replay will judge it: the search and the judge of fair cycles must agree
    const judged = judgeStates(walked.states, properties, { steps: walked.steps, cycleStart });
    if (judged?.property !== violation.property || judged.message !== violation.message) {
      throw new ModelError(`the fair cycle found for ${violation.property} is not one by the judge of lassos (${judged?.message ?? 'no violation'})`);
    }
  }
  const meta = { bugs: base.bugs, mode: request.mode, seed: request.mode === 'random' ? request.seed : null, ...(cycleStart === undefined ? {} : { cycleStart }) };
  const trace = buildTrace(config, meta, walked.steps, walked.states, violation);
  return {
    ...base,
    result: 'violation',
    property: violation.property,
    message: violation.message,
    runs,
    steps,
    statesExplored,
    durationMs,
    counterexampleLength: walked.steps.length,
    trace,
    ...(search === undefined ? {} : { search }),
    ...(coverage === undefined ? {} : { coverage }),
  };
}

/**
 * Per-property verdicts for one design: after each violation, the violated
 * property is set aside and the rest checked again. `run` runs one check
 * (the CLI runs exhaustive ones in a worker, so Ctrl-C can stop them).
 */
export async function checkEveryProperty(
  request: CheckRequest,
  run: (request: CheckRequest) => CheckReport | Promise<CheckReport> = runCheck,
): Promise<{ readonly verdicts: ReadonlyMap<PropertyId, CheckReport | 'holds'>; readonly reports: readonly CheckReport[] }> {
  let remaining: readonly Property[] = request.properties ?? [...SAFETY, ...LIVENESS];
  const verdicts = new Map<PropertyId, CheckReport | 'holds'>();
  const reports: CheckReport[] = [];
  while (remaining.length > 0) {
    const report = await run({ ...request, properties: remaining });
    reports.push(report);
    if (report.result !== 'violation') {
      for (const p of remaining) verdicts.set(p.id, report.result === 'pass' ? 'holds' : report);
      break;
    }
    verdicts.set(report.property!, report);
    remaining = remaining.filter((p) => p.id !== report.property);
  }
  return { verdicts, reports };
}
