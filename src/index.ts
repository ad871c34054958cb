/**
 * apfcheck as a library: `import { check } from 'apfcheck'`. Check a design
 * (built-in, a design file or design options) at a scope in a mode and get
 * the report the command line prints; replay a trace; list the designs,
 * properties and bugs; load and validate design and trace files. The names
 * exported here are the package's public API (README "Library API"): they
 * follow semantic versioning, and nothing else in dist/ does. Every function
 * is a thin layer over what the command line runs (src/check, src/trace,
 * src/design), so both give the same verdicts.
 */
import { DESIGNS, DesignSchema, type DesignOptions } from '../machines/design.js';
import { MUTANTS, type Bug } from '../machines/mutants.js';
import { DEFAULT_SCOPE, ScopeSchema, type Scope } from '../machines/scope.js';
import { PROPERTIES, propertyById, type PropertyId } from '../properties/index.js';
import { checkEveryProperty, runCheckAsync, type CheckProgress, type CheckReport, type CheckRequest, type Mode } from './check/check.js';
import { BudgetSchema, bugIds, builtInWithBugs, fileWithBugs, scopeWith } from './check/request-options.js';
import { designRef, loadDesignFile } from './design/design-file.js';
import { UsageError } from './errors.js';
import { replayTrace } from './trace/replay.js';
import { parseTrace, readTraceFile, type Trace } from './trace/trace.js';

export { UsageError, TraceFormatError } from './errors.js';
export { VERSION } from './version.js';
export { DEFAULT_SCOPE, loadDesignFile, parseTrace, readTraceFile };
export type { CheckProgress, CheckReport, DesignOptions, Mode, PropertyId, Scope, Trace };
export type { StopReason } from './search/strategies.js';
export type { MachineCoverage } from './system/coverage.js';
export type { TraceStep } from './trace/trace.js';

/** What to check; every field is optional and defaults as on the command line. */
export interface CheckOptions {
  /**
   * A built-in design's name (`listDesigns()`), a design file's path (one ending in `.json` or containing a `/`,
   * format apfcheck-design/1), or design options (validated against the schema). Default: x86, or the design `bugs`
   * belong to.
   */
  readonly design?: string | DesignOptions;
  /** bugs to apply: catalogued ones (ids from `listBugs()`) of one built-in design; with a design file, also the bugs it defines */
  readonly bugs?: readonly string[];
  /** the scope fields to set; the others are DEFAULT_SCOPE's, with the bugs' smallest scope on top */
  readonly scope?: Partial<Scope>;
  /** 'random' (fast-check interleavings) or 'exhaustive' (every interleaving in scope); default 'random' */
  readonly mode?: Mode;
  /** the properties to check (default every one) */
  readonly properties?: readonly PropertyId[];
  /** random mode: seed (default from the clock; the report has it; exhaustive mode reports 0), schedules (500), steps per schedule (60) */
  readonly seed?: number;
  readonly runs?: number;
  readonly depth?: number;
  /** exhaustive mode: budgets; a search that hits one ends 'incomplete' */
  readonly maxStates?: number;
  readonly maxSeconds?: number;
  /** exhaustive mode: worker threads splitting the states (default 1: the calling thread) */
  readonly workers?: number;
  /** exhaustive mode: symmetry reduction (safety properties only) */
  readonly symmetry?: boolean;
  readonly onProgress?: (progress: CheckProgress) => void;
}

/** Per-property verdicts of one design (`apfcheck check --all`, for one design). */
export interface PropertyVerdicts {
  /** each checked property's verdict: the report of the check that decided it (`result` pass, violation or incomplete) */
  readonly verdicts: Readonly<Partial<Record<PropertyId, CheckReport>>>;
  /** every check that ran, in order: after each violation the rest of the properties are checked again */
  readonly reports: readonly CheckReport[];
}

/** One step of a replayed trace, as `apfcheck replay` prints it. */
export interface ReplayStep {
  readonly index: number;
  readonly actor: string;
  readonly label: string;
  /** what the step changed, in one line */
  readonly summary: string;
}

/** What replaying a trace found: its violation (or another) recurs, the path runs clean, or it no longer matches the model. */
export type ReplayResult =
  | { readonly status: 'violation'; readonly violation: { readonly property: PropertyId; readonly message: string; readonly length: number }; readonly steps: readonly ReplayStep[] }
  | { readonly status: 'clean'; readonly steps: readonly ReplayStep[] }
  | { readonly status: 'diverged'; readonly at: number; readonly reason: string; readonly steps: readonly ReplayStep[] };

/** A property as `apfcheck list properties` shows it. */
export interface PropertyInfo {
  readonly id: PropertyId;
  /** its label in the protocol reference (S1, S2, ... for safety, L1, ... for liveness) */
  readonly label: string;
  readonly kind: 'safety' | 'liveness';
  readonly summary: string;
}

/** A catalogued bug as `apfcheck list bugs` shows it. */
export interface BugInfo {
  readonly id: string;
  /** the built-in design whose fix it undoes */
  readonly base: string;
  /** the upstream commit of the fix */
  readonly commit: string;
  readonly description: string;
  /** the property it breaks (checking that property alone finds it at `scope`) */
  readonly breaks: PropertyId;
  /** the smallest scope that shows it (on top of DEFAULT_SCOPE) */
  readonly scope: Partial<Scope>;
}

/** The built-in designs. */
export function listDesigns(): readonly DesignOptions[] {
  return DESIGNS;
}

/** The properties, in the order reports print them. */
export function listProperties(): readonly PropertyInfo[] {
  return PROPERTIES.map(({ id, label, kind, summary }) => ({ id, label, kind, summary }));
}

/** The bug catalogue: catalogued kernel fixes, each of which `bugs` can undo. */
export function listBugs(): readonly BugInfo[] {
  // test/mutants.test.ts checks that each bug's `breaks` names a property
  return MUTANTS.map(({ id, base, commit, description, breaks, scope }) => ({ id, base, commit, description, breaks: breaks as PropertyId, scope }));
}

/** A UsageError naming the first field zod refused in `what`. */
function refused(what: string, issue: { readonly code: string; readonly path: readonly PropertyKey[]; readonly message: string; readonly keys?: readonly string[] }): UsageError {
  const field = issue.code === 'unrecognized_keys' ? issue.keys![0]! : issue.path.join('.');
  return new UsageError(`${what}: field '${field}': ${issue.message}`);
}

/** The design and the check request `options` describe; a UsageError for anything invalid, before any search. */
function requestOf(options: CheckOptions): CheckRequest {
  const ids = bugIds(options.bugs ?? []);
  const { design } = options;
  if (typeof design !== 'string' && design !== undefined && ids.length > 0) throw new UsageError('bugs go with a built-in design or a design file: design options already say what they model');
  let resolved: DesignOptions;
  let mutants: readonly Bug[];
  if (typeof design === 'object') {
    const parsed = DesignSchema.safeParse(design);
    if (!parsed.success) throw refused('design', parsed.error.issues[0]!);
    resolved = parsed.data;
    mutants = [];
  } else {
    // as `check --design NAME --bug ID` or `check --design-file F --bug ID`
    const chosen = design !== undefined && designRef(design, process.cwd(), 'design').kind === 'file' ? fileWithBugs(design, ids) : builtInWithBugs(design, ids);
    resolved = chosen.design;
    mutants = chosen.bugs;
  }
  const scope = ScopeSchema.partial().safeParse(options.scope ?? {});
  if (!scope.success) throw refused('scope', scope.error.issues[0]!);
  const mode = options.mode ?? 'random';
  if (mode !== 'random' && mode !== 'exhaustive') throw new UsageError(`mode must be 'random' or 'exhaustive', got ${JSON.stringify(mode)}`);
  // the command line's ranges (LIMITS) and its rules between mode and budgets
  const { seed, runs, depth, maxStates, maxSeconds, workers } = options;
  const budgets = BudgetSchema.safeParse({ seed, runs, depth, maxStates, maxSeconds, workers });
  if (!budgets.success) throw refused('options', budgets.error.issues[0]!);
  const exhaustiveOnly = (['maxStates', 'maxSeconds', 'workers', 'symmetry'] as const).filter((key) => options[key] !== undefined && options[key] !== false);
  if (mode === 'random' && exhaustiveOnly.length > 0) throw new UsageError(`${exhaustiveOnly.join(', ')} belong to mode 'exhaustive'`);
  if (options.symmetry === true && !(options.properties !== undefined && options.properties.every((id) => propertyById(id).kind === 'safety'))) {
    throw new UsageError('symmetry is sound for the safety properties only: name safety properties in properties');
  }
  return {
    design: resolved,
    mutants,
    scope: scopeWith(mutants, scope.data),
    mode,
    // exhaustive mode uses no randomness: its report's seed is 0 unless given, so two identical runs report the same
    seed: options.seed ?? (mode === 'random' ? Date.now() % 2 ** 31 : 0),
    runs: options.runs ?? 500,
    depth: options.depth ?? 60,
    ...(options.maxStates === undefined ? {} : { maxStates: options.maxStates }),
    ...(options.maxSeconds === undefined ? {} : { maxSeconds: options.maxSeconds }),
    ...(options.workers === undefined ? {} : { workers: options.workers }),
    ...(options.symmetry === true ? { symmetry: true } : {}),
    ...(options.properties === undefined ? {} : { properties: options.properties.map(propertyById) }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  };
}

/**
 * Checks one design and stops at the first violated property (`apfcheck check`): the report says pass, violation
 * (with the counterexample's trace) or incomplete (a budget stopped the search). Exhaustive mode searches in the
 * calling thread unless `workers` asks for more. Throws UsageError for invalid options, before any search.
 */
export async function check(options: CheckOptions = {}): Promise<CheckReport> {
  return runCheckAsync(requestOf(options));
}

/** Checks one design property by property: after each violation, that property is set aside and the others checked again. */
export async function checkEachProperty(options: CheckOptions = {}): Promise<PropertyVerdicts> {
  const { verdicts, reports } = await checkEveryProperty(requestOf(options), runCheckAsync);
  // a property that holds was decided by the last check, the one that found no violation
  const entries = [...verdicts].map(([id, verdict]) => [id, verdict === 'holds' ? reports.at(-1)! : verdict] as const);
  return { verdicts: Object.fromEntries(entries), reports };
}

/**
 * Replays a trace (a Trace, e.g. a report's `trace`, or a trace file's path), judging the path again with the
 * properties it was checked for. Throws TraceFormatError for a file or object that is not a valid trace.
 */
export function replay(trace: Trace | string): ReplayResult {
  const valid = typeof trace === 'string' ? readTraceFile(trace) : parseTrace(JSON.stringify(trace), 'the trace');
  const outcome = replayTrace(valid);
  const { rows: steps } = outcome;
  if (outcome.status === 'diverged') return { status: 'diverged', at: outcome.at, reason: outcome.reason, steps };
  return outcome.status === 'clean' ? { status: 'clean', steps } : { status: 'violation', violation: outcome.violation, steps };
}
