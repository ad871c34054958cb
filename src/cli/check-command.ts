/**
 * `apfcheck check`: one design (stops at the first violation, writes its
 * trace) or `--all` (every design, property by property, a table).
 */
import { join } from 'node:path';
import { DESIGNS, withAsyncPfSync, type DesignOptions } from '../../machines/design.js';
import { DEATH_REPORTERS, PROPERTIES, SAFETY, type Property } from '../../properties/index.js';
import { checkEveryProperty, type CheckReport, type CheckRequest, type Mode } from '../check/check.js';
import { runCheckInterruptible } from '../check/interruptible.js';
import type { Bug } from '../../machines/mutants.js';
import { describeScope, type Scope } from '../../machines/scope.js';
import { designByRef } from '../design/design-file.js';
import { UsageError } from '../errors.js';
import { validateScope } from '../system/scope.js';
import { describeCycle } from '../trace/trace.js';
import { annotate, failureDetail, incompleteSummary, jsonLine, jsonProgress, junitSuite, verdictJson, writeJunit } from './ci-output.js';
import type { JunitCase } from './junit.js';
import { checkOutputFile, checkTraceDir, checkTraceOut, DEFAULT_TRACE_DIR, DEFAULT_TRACE_OUT, ensureDirectory, writeTrace } from './output-files.js';
import { bugIds, builtInWithBugs, fileWithBugs, LIMITS, scopeWith } from '../check/request-options.js';
import { integer } from './options.js';
import { bar, progressLine, stepTable, table } from './output.js';

/** The scope's flags (check and diff). */
export interface ScopeFlags {
  readonly vcpus?: string;
  readonly tasks?: string;
  readonly pages?: string;
  readonly limit?: string;
  readonly sendAlways?: boolean;
  readonly nested?: boolean;
  readonly pfVmexit?: boolean;
  readonly migration?: boolean;
  readonly hotplug?: boolean;
  readonly smm?: boolean;
  readonly lapic?: boolean;
  readonly idlePoll?: boolean;
  readonly timerExits?: boolean;
}

export interface CheckFlags extends ScopeFlags {
  readonly design?: string;
  readonly all?: boolean;
  readonly bug: readonly string[];
  readonly mode: Mode;
  readonly seed?: string;
  readonly runs: string;
  readonly shard?: string;
  readonly depth: string;
  readonly symmetry?: boolean;
  readonly workers?: string;
  readonly safetyOnly?: boolean;
  readonly property: readonly string[];
  readonly asyncPfSync?: boolean;
  readonly maxStates?: string;
  readonly maxSeconds?: string;
  readonly traceOut?: string;
  readonly traceDir?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
  readonly strict?: boolean;
  readonly junit?: string;
  readonly jsonLines?: boolean;
  readonly designFile?: string;
  /** a run file's designs (built-in names or design file paths), checked like --all when there are several */
  readonly designs?: readonly string[];
  /** the run file (`--config FILE`) */
  readonly config?: string;
}

/** `--async-pf-sync`: the design built with CONFIG_KVM_ASYNC_PF_SYNC, or a usage error saying why not. */
function syncIfAsked(flags: CheckFlags, design: DesignOptions): DesignOptions {
  if (flags.asyncPfSync !== true) return design;
  const built = withAsyncPfSync(design);
  if (typeof built === 'string') throw new UsageError(`--async-pf-sync: ${built}`);
  return built;
}

/** `--property ID` (repeatable) and `--safety-only`: the properties to check, or undefined for all of them. */
function chosenProperties(flags: CheckFlags): readonly Property[] | undefined {
  if (flags.property.length === 0) return flags.safetyOnly === true ? SAFETY : undefined;
  const ids = new Set(flags.property);
  for (const id of ids) {
    if (!PROPERTIES.some((p) => p.id === id)) throw new UsageError(`unknown property '${id}'; the properties are: ${PROPERTIES.map((p) => p.id).join(', ')}`);
  }
  const liveness = [...ids].filter((id) => !SAFETY.some((p) => p.id === id));
  if (flags.safetyOnly === true && liveness.length > 0) throw new UsageError(`--safety-only excludes the liveness properties, but --property names ${liveness.join(', ')}: drop one or the other`);
  return PROPERTIES.filter((p) => ids.has(p.id));
}

/**
 * `--shard i/n`: shard i (1-based) of n runs its share of the schedules with a
 * seed of its own, derived from the base seed, so n jobs together cover
 * `--runs` schedules and each is reproducible from (seed, shard).
 */
function shardOf(text: string, mode: Mode, seed: number, runs: number): { seed: number; runs: number } {
  const match = /^(\d+)\/(\d+)$/.exec(text);
  if (mode !== 'random') throw new UsageError('--shard splits random runs; exhaustive mode cannot be sharded yet');
  if (match === null || Number(match[2]) < 1 || Number(match[1]) < 1 || Number(match[1]) > Number(match[2])) {
    throw new UsageError(`--shard must be i/n with 1 <= i <= n, got '${text}'`);
  }
  const i = Number(match[1]);
  const n = Number(match[2]);
  const share = Math.floor(runs / n) + (i <= runs % n ? 1 : 0);
  if (share === 0) throw new UsageError(`--runs ${runs} leaves shard ${i}/${n} nothing to do`);
  return { seed: (seed + Math.imul(i - 1, 0x9e3779b1)) >>> 1, runs: share };
}

/** Default scope, then the bugs' smallest scope, then what the user typed. */
export function scopeFrom(flags: ScopeFlags, chosen: readonly Bug[]): Scope {
  const typed: Partial<Scope> = {
    ...(flags.vcpus === undefined ? {} : { vcpus: integer('--vcpus')(flags.vcpus) }),
    ...(flags.tasks === undefined ? {} : { tasks: integer('--tasks')(flags.tasks) }),
    ...(flags.pages === undefined ? {} : { pages: integer('--pages')(flags.pages) }),
    ...(flags.limit === undefined ? {} : { limit: integer('--limit')(flags.limit) }),
    ...(flags.sendAlways ? { sendAlways: true } : {}),
    ...(flags.nested ? { nested: true } : {}),
    ...(flags.pfVmexit ? { pfVmexit: true } : {}),
    ...(flags.migration ? { migration: true } : {}),
    ...(flags.hotplug ? { hotplug: true } : {}),
    ...(flags.smm ? { smm: true } : {}),
    ...(flags.lapic ? { lapic: true } : {}),
    ...(flags.idlePoll ? { idlePoll: true } : {}),
    ...(flags.timerExits ? { timerExits: true } : {}),
  };
  return scopeWith(chosen, typed);
}

function jsonReport(report: CheckReport, traceFile: string | null) {
  const { trace: _trace, stoppedBy, coverage: _coverage, ...rest } = report;
  // exhaustive mode uses no randomness: its seed is reported as null
  return { ...rest, seed: report.mode === 'random' ? report.seed : null, stoppedBy: stoppedBy ?? null, cycleStart: report.trace?.cycleStart ?? null, traceFile };
}

/** The designs of a run file's list: a built-in name or a design file each, every name once (it heads a column and names traces). */
function designList(refs: readonly string[]): DesignOptions[] {
  const designs = refs.map((ref) => designByRef(ref, process.cwd(), 'designs'));
  const twice = designs.find((d, i) => designs.findIndex((e) => e.name === d.name) !== i);
  if (twice !== undefined) throw new UsageError(`two of the designs are named '${twice.name}': each design checked in one run needs its own name`);
  return designs;
}

export async function checkCommand(flags: CheckFlags): Promise<number> {
  const several = flags.all === true || (flags.designs?.length ?? 0) > 1;
  if (several && (flags.design !== undefined || flags.designFile !== undefined || flags.bug.length > 0 || flags.asyncPfSync === true)) {
    throw new UsageError(
      flags.all === true
        ? '--all checks the built-in designs as published; drop --design, --design-file, --bug and --async-pf-sync, or drop --all'
        : "several designs are checked as they are: --bug and --async-pf-sync (a run file's 'bugs' and 'asyncPfSync') go with one design; a design file can apply bugs itself",
    );
  }
  if (flags.mode !== 'exhaustive' && (flags.maxStates !== undefined || flags.maxSeconds !== undefined || flags.symmetry === true || flags.workers !== undefined)) {
    throw new UsageError('--max-states, --max-seconds, --symmetry and --workers belong to --mode exhaustive');
  }
  if (flags.symmetry === true && flags.safetyOnly !== true && !(flags.property.length > 0 && flags.property.every((id) => SAFETY.some((p) => p.id === id)))) {
    throw new UsageError('--symmetry is sound for the safety properties only here (liveness on the reduced graph is not implemented): add --safety-only, or name only safety properties with --property');
  }
  if (flags.designFile !== undefined && (flags.design !== undefined || flags.all === true)) {
    throw new UsageError('--design-file names the design: drop --design and --all');
  }
  const ids = bugIds(flags.bug);
  // on a design file --bug applies a bug the file defines, or a catalogued bug of the built-in design it extends
  const { design: chosenDesign, bugs: chosen } = flags.designFile === undefined ? builtInWithBugs(flags.design, ids) : fileWithBugs(flags.designFile, ids);
  const properties = chosenProperties(flags);
  if (!several && flags.traceDir !== undefined) throw new UsageError('--trace-dir goes with --all (or several designs); one check writes one trace: --trace-out FILE');
  if (several && flags.traceOut !== undefined) throw new UsageError('--trace-out names one trace; --all (or several designs) writes one per violation into --trace-dir DIR');
  // outputs are checked before the work, so a found violation is never lost to a bad path
  if (several) checkTraceDir(flags.traceDir ?? DEFAULT_TRACE_DIR);
  else checkTraceOut(flags.traceOut ?? DEFAULT_TRACE_OUT);
  if (flags.junit !== undefined) checkOutputFile(flags.junit, '--junit');
  const baseSeed = flags.seed === undefined ? Date.now() % 2 ** 31 : integer('--seed', LIMITS.seed.max, LIMITS.seed.min)(flags.seed);
  const totalRuns = integer('--runs', LIMITS.runs.max, LIMITS.runs.min)(flags.runs);
  const { seed, runs } = flags.shard === undefined ? { seed: baseSeed, runs: totalRuns } : shardOf(flags.shard, flags.mode, baseSeed, totalRuns);
  if (flags.json === true && flags.jsonLines === true) throw new UsageError('--json prints one object at the end and --json-lines streams lines as the run goes: give one of them');
  const progress = flags.jsonLines === true ? jsonProgress() : progressLine(flags.quiet !== true);
  const request = (design: DesignOptions, mutantList: readonly Bug[]): CheckRequest => ({
    design,
    mutants: mutantList,
    scope: scopeFrom(flags, mutantList),
    mode: flags.mode,
    seed,
    runs,
    depth: integer('--depth', LIMITS.depth.max, LIMITS.depth.min)(flags.depth),
    ...(flags.maxStates === undefined ? {} : { maxStates: integer('--max-states', undefined, LIMITS.maxStates.min)(flags.maxStates) }),
    ...(flags.maxSeconds === undefined ? {} : { maxSeconds: integer('--max-seconds', undefined, LIMITS.maxSeconds.min)(flags.maxSeconds) }),
    ...(flags.symmetry === true ? { symmetry: true } : {}),
    ...(flags.workers === undefined ? {} : { workers: integer('--workers', LIMITS.workers.max, LIMITS.workers.min)(flags.workers) }),
    ...(properties === undefined ? {} : { properties }),
    onProgress: (p) =>
      progress.update(
        'total' in p
          ? `${p.design} ${bar(p.done, p.total)} ${Math.min(p.done, p.total)}/${p.total} schedules`
          : `${p.design}: ${p.states} states, frontier ${p.frontier}, depth ${p.depth}, ${Math.round(p.states / Math.max(p.seconds, 1e-3))} states/s`,
      ),
  });

  if (several) return checkAll(flags, (flags.all === true ? DESIGNS : designList(flags.designs!)).map((d) => request(d, [])), seed, progress.done);

  // Ctrl-C or SIGTERM stops the search with a summary (exit 3)
  const one = request(syncIfAsked(flags, chosenDesign), chosen);
  const report = await runCheckInterruptible(one);
  progress.done();
  const traceFile = report.trace === null ? null : writeTrace(report, flags.traceOut ?? DEFAULT_TRACE_OUT);
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify(jsonReport(report, traceFile))}\n`);
  } else if (flags.jsonLines === true) {
    jsonLine({ type: 'result', ...jsonReport(report, traceFile) });
  } else {
    printReport(report, traceFile);
    if (report.result === 'violation') annotate([{ design: [report.design, ...report.bugs].join('+'), property: report.property!, report, file: traceFile }]);
  }
  if (flags.junit !== undefined) writeJunit(flags.junit, [junitSuite(report, traceFile)]);
  return report.result === 'pass' ? 0 : report.result === 'violation' ? 1 : 3;
}

function printReport(report: CheckReport, traceFile: string | null): void {
  const name = [report.design, ...report.bugs].join(' + ');
  const seed = report.mode === 'random' ? `, seed ${report.seed}` : '';
  const where = `${name} (${describeScope(report.scope)}), ${report.mode} mode${seed}`;
  const rate = Math.round(report.statesExplored / Math.max(report.durationMs / 1000, 1e-3));
  const effort =
    report.mode === 'random'
      ? `${report.runs} schedules, ${report.statesExplored} distinct states`
      : `${report.statesExplored} states, ${report.steps} transitions, depth ${report.search!.depth}, ${rate} states/s, ~${report.search!.bytesPerState} bytes/state, ${report.symmetry ? 'symmetry reduction (vCPUs, pages, tasks)' : 'no reductions'}`;
  const checked =
    report.properties.length === PROPERTIES.length ? '' : report.safetyOnly && report.properties.length === SAFETY.length ? ' (safety properties only)' : ` (checked: ${report.properties.join(', ')})`;
  // a subset without the properties that report deaths leaves the paths ending in one unjudged: say so
  const unjudged = DEATH_REPORTERS.filter((id) => !report.properties.includes(id));
  const deaths = unjudged.length === 0 ? '' : `paths that end in a guest's death are judged by ${unjudged.join(', ')}, not checked here\n`;
  if (report.result === 'pass') {
    process.stdout.write(`${where}\nevery property holds${checked} (${effort}, ${report.durationMs} ms)\n${deaths}${describeCoverage(report)}`);
    return;
  }
  if (report.result === 'incomplete') {
    process.stdout.write(`${where}\n${incompleteSummary(report, effort)}\n${describeCoverage(report)}`);
    return;
  }
  const rows = report.trace!.steps.map((step, i) => ({ index: i + 1, actor: step.actor, label: step.label, summary: step.summary }));
  process.stdout.write(`${where}\nVIOLATED ${report.property}: ${report.message}\ncounterexample: ${report.counterexampleLength} steps (${effort})\n\n`);
  const cycle = describeCycle(report.trace!.cycleStart, rows.length);
  process.stdout.write(`${stepTable(rows)}\n${cycle === undefined ? '' : `${cycle}\n`}\ntrace written to ${traceFile} (replay: apfcheck replay ${traceFile})\n`);
}

/** Exhaustive runs: per-machine transition coverage, naming what a complete search never took. */
function describeCoverage(report: CheckReport): string {
  if (report.coverage === undefined) return '';
  const lines = report.coverage.map((c) => {
    const states = c.statesMissed.length === 0 ? '' : ` (never in: ${c.statesMissed.join(', ')})`;
    const missed = c.missed.length === 0 ? '' : ` (never taken: ${c.missed.join(', ')})`;
    return `  ${c.machine}: ${c.statesReached}/${c.statesTotal} states${states}, ${c.taken}/${c.total} transitions${missed}`;
  });
  return `machine coverage in this scope:\n${lines.join('\n')}\n`;
}

async function checkAll(flags: CheckFlags, requests: readonly CheckRequest[], seed: number, endProgress: () => void): Promise<number> {
  // the table's rows: the properties checked (--property, --safety-only), all of them by default
  const rows = requests[0]?.properties ?? PROPERTIES;
  // a switch a design does not model (e.g. --smm on arm64) leaves that design's column "not checked", and says why
  const refused = new Map<string, string>();
  const applicable = requests.filter((r) => {
    try {
      validateScope(r.scope, r.design);
      return true;
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      refused.set(r.design.name, error.message);
      return false;
    }
  });
  if (applicable.length === 0) validateScope(requests[0]!.scope, requests[0]!.design); // every design refuses: say why
  // Ctrl-C stops the check running; the designs after it are not checked
  const run = runCheckInterruptible;
  let interrupted = false;
  const results: { design: string; verdicts: ReadonlyMap<string, CheckReport | 'holds'>; ms: number }[] = [];
  // each design's traces are written as soon as it is checked (the directory made at the first), so a later stop loses none
  const files = new Map<string, string>();
  let traceDir: string | undefined;
  for (const request of requests) {
    const design = request.design.name;
    if (!applicable.includes(request) || interrupted) {
      results.push({ design, verdicts: new Map(), ms: 0 });
      continue;
    }
    const checked = await checkEveryProperty(request, run);
    interrupted = checked.reports.some((r) => r.stoppedBy === 'interrupted');
    results.push({ design, verdicts: checked.verdicts, ms: checked.reports.reduce((sum, r) => sum + r.durationMs, 0) });
    for (const [property, verdict] of checked.verdicts) {
      if (verdict === 'holds' || verdict.trace === null) continue;
      traceDir ??= ensureDirectory(flags.traceDir ?? DEFAULT_TRACE_DIR);
      files.set(`${design}/${property}`, writeTrace(verdict, join(traceDir, `${design}--${property}.json`)));
    }
    if (flags.jsonLines === true) {
      for (const { id } of rows) {
        const verdict = checked.verdicts.get(id);
        if (verdict !== undefined) jsonLine({ type: 'verdict', design, property: id, ...verdictJson(verdict, files.get(`${design}/${id}`)) });
      }
    }
  }
  endProgress();
  // --strict: a CI gate fails on any violation without parsing the output
  const violated = results.some((r) => [...r.verdicts.values()].some((v) => v !== 'holds' && v.result === 'violation'));
  const exitCode = interrupted ? 3 : flags.strict === true && violated ? 1 : 0;
  if (flags.junit !== undefined) {
    const context = requests[0] === undefined ? '' : `${describeScope(requests[0].scope)}, ${requests[0].mode} mode`;
    writeJunit(
      flags.junit,
      results.map(({ design, verdicts, ms }) => ({
        design,
        context,
        seconds: ms / 1000,
        cases: rows.map(({ id }): JunitCase => {
          const v = verdicts.get(id);
          if (v === undefined) return { property: id, outcome: 'skipped', message: `not checked: ${refused.get(design) ?? 'interrupted'}` };
          if (v === 'holds') return { property: id, outcome: 'pass' };
          if (v.result === 'incomplete') return { property: id, outcome: 'error', message: incompleteSummary(v, `${v.statesExplored} states`) };
          return { property: id, outcome: 'failure', message: v.message!, detail: failureDetail(v, files.get(`${design}/${id}`) ?? null) };
        }),
      })),
    );
  }
  if (flags.json !== true && flags.jsonLines !== true) {
    annotate(results.flatMap(({ design, verdicts }) => [...verdicts].flatMap(([property, v]) => (v !== 'holds' && v.result === 'violation' ? [{ design, property, report: v, file: files.get(`${design}/${property}`) ?? null }] : []))));
  }
  const cell = (design: string, property: string): string => {
    const verdict = results.find((r) => r.design === design)!.verdicts.get(property);
    if (verdict === undefined) return 'not checked';
    if (verdict === 'holds') return 'holds';
    if (verdict.result === 'incomplete') return verdict.stoppedBy === 'interrupted' ? 'interrupted' : 'incomplete';
    return `VIOLATED (${verdict.counterexampleLength} steps)`;
  };
  if (flags.json === true || flags.jsonLines === true) {
    const data = results.map(({ design, verdicts }) => ({
      design,
      // an exhaustive search uses no randomness: no seed, so two identical runs print the same
      seed: requests[0]?.mode === 'exhaustive' ? null : seed,
      verdicts: Object.fromEntries(
        rows.map((p) => {
          const v = verdicts.get(p.id);
          if (v === undefined) return [p.id, { result: 'not checked', reason: refused.get(design) ?? 'interrupted' }];
          // the same words as `check --json`: pass, violation, incomplete
          return [p.id, verdictJson(v, files.get(`${design}/${p.id}`))];
        }),
      ),
    }));
    if (flags.jsonLines === true) jsonLine({ type: 'summary', designs: data, exitCode });
    else process.stdout.write(`${JSON.stringify(data)}\n`);
    return exitCode;
  }
  const scope = requests[0] === undefined ? '' : describeScope(requests[0].scope);
  const mode = requests[0]?.mode ?? 'random';
  process.stdout.write(`${flags.all === true ? 'every design' : requests.map((r) => r.design.name).join(', ')} at ${scope}, ${mode} mode${mode === 'random' ? `, seed ${seed}` : ''}\n\n`);
  process.stdout.write(`${table(['property', ...results.map((r) => r.design)], rows.map((p) => [p.id, ...results.map((r) => cell(r.design, p.id))]))}\n`);
  if (refused.size > 0) {
    process.stdout.write(`\nnot checked:\n${[...refused].map(([design, why]) => `  ${design}: ${why}`).join('\n')}\n`);
  }
  if (files.size > 0) {
    process.stdout.write(`\ncounterexamples:\n${[...files].map(([what, file]) => `  ${what}: ${file}`).join('\n')}\n`);
  }
  if (interrupted) process.stdout.write('\nstopped at Ctrl-C: the designs after the interrupted one were not checked\n');
  return exitCode;
}
