/**
 * One check: a design (with mutants), a scope, a mode and a budget in; a
 * verdict, the counterexample and its trace out. The CLI and the tests both
 * call this; the strategy of the mode (src/search/strategies.ts) searches,
 * the judge (src/judge/judge.ts) decides.
 */
import { combinationProblem, type DesignOptions } from '../../machines/design.js';
import { applyMutants, type Bug } from '../../machines/mutants.js';
import type { Scope } from '../../machines/scope.js';
import { LIVENESS, PROPERTIES, SAFETY, type Property, type PropertyId } from '../../properties/index.js';
import { ModelError, UsageError } from '../errors.js';
import { Judge, type PropertySet } from '../judge/judge.js';
import { STRATEGIES, type Mode, type SearchOutcome, type SearchRequest, type StopReason, type Strategy } from '../search/strategies.js';
import { coverageOf, type MachineCoverage } from '../system/coverage.js';
import { validateScope } from '../system/scope.js';
import { machinesOf, type SystemConfig } from '../system/system.js';
import { walkSteps } from '../system/walk.js';
import { buildTrace, type Trace } from '../trace/trace.js';

export type { Mode } from '../search/strategies.js';

export interface CheckRequest extends Omit<SearchRequest, 'onProgress'> {
  readonly design: DesignOptions;
  /** bugs applied to the design: catalogued mutants, or bugs a design file defines */
  readonly mutants: readonly Bug[];
  readonly scope: Scope;
  readonly mode: Mode;
  /** properties to check (default: all) */
  readonly properties?: readonly Property[];
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
  /** the properties checked (all of them unless `--property` / `--safety-only` chose fewer) */
  readonly properties: readonly PropertyId[];
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

/** Runs one check. Throws UsageError for an inconsistent scope, or a combination of design options the model refuses. */
export function runCheck(request: CheckRequest): CheckReport {
  const check = prepareCheck(request);
  return finishCheck(check, STRATEGIES[request.mode].run(check.config, check.judge, check.search));
}

/**
 * Runs one check, letting the event loop run during the search where the strategy can (random mode), so that a
 * SIGINT handler can set `shouldStop`: the same report as runCheck. Exhaustive mode is interrupted from its worker.
 */
export async function runCheckAsync(request: CheckRequest): Promise<CheckReport> {
  const check = prepareCheck(request);
  const strategy: Strategy = STRATEGIES[request.mode];
  const outcome = strategy.runAsync === undefined ? strategy.run(check.config, check.judge, check.search) : await strategy.runAsync(check.config, check.judge, check.search);
  return finishCheck(check, outcome);
}

/** What a check needs before its search and after it. */
function prepareCheck(request: CheckRequest) {
  const design = applyMutants(request.design, request.mutants);
  // a design file is checked when it is read; this catches the rest (bugs' options, --async-pf-sync, the library API)
  const problem = combinationProblem(design);
  if (problem !== undefined) throw new UsageError(`design '${design.name}': ${problem}`);
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
    properties: PROPERTIES.filter((p) => (properties.safety as readonly Property[]).includes(p) || (properties.liveness as readonly Property[]).includes(p)).map((p) => p.id),
  };

  const judge = new Judge(properties);
  const search: SearchRequest = {
    ...request,
    onProgress: (p) => request.onProgress?.('total' in p ? { design: design.name, ...p } : { design: design.name, ...p, seconds: (Date.now() - started) / 1000 }),
  };
  return { request, design, config, judge, base, started, search };
}

/** The report of a check from what its search found. */
function finishCheck(check: ReturnType<typeof prepareCheck>, outcome: SearchOutcome): CheckReport {
  const { request, design, config, judge, base, started } = check;
  const { runs, steps, statesExplored, counterexample, stoppedBy: incomplete, search } = outcome;
  // only a search that explored every state can say a transition is never taken in this scope
  const machines = machinesOf(design);
  const coverage = outcome.explored ? (['host', 'guest', 'token', 'vm'] as const).map((name) => coverageOf(name, machines[name])) : undefined;

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
  const walked = walkSteps(config, counterexample.steps, counterexample.placement)!;
  const violation = { property: counterexample.violation.property, message: counterexample.violation.message };
  const { cycleStart } = counterexample;
  if (cycleStart !== undefined) {
    // a lasso is judged again as replay will judge it: the search's liveness pass and the judge of lassos must agree
    const judged = judge.path(walked.states, { steps: walked.steps, cycleStart });
    if (judged?.property !== violation.property || judged.message !== violation.message) {
      throw new ModelError(`the fair cycle found for ${violation.property} is not one by the judge of lassos (${judged?.message ?? 'no violation'})`);
    }
  }
  const subset = base.properties.length < PROPERTIES.length ? { properties: base.properties } : {};
  const meta = { bugs: request.mutants, mode: request.mode, seed: request.mode === 'random' ? request.seed : null, ...(cycleStart === undefined ? {} : { cycleStart }), ...subset };
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
    // a violation found before Ctrl-C stopped the search: the stop still ends what comes after (checkEveryProperty)
    ...(incomplete === undefined ? {} : { stoppedBy: incomplete }),
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
    // stopped while it minimised the violation: the rest is not checked
    if (report.stoppedBy !== undefined) break;
  }
  return { verdicts, reports };
}
