/**
 * What `check` writes for CI systems and other programs besides its report:
 * JUnit XML (`--junit`), JSON lines (`--json-lines`), GitHub Actions
 * annotations, and the one-line summary of a search that stopped early.
 */
import { writeFileSync } from 'node:fs';
import { describeScope } from '../../machines/scope.js';
import type { CheckReport } from '../check/check.js';
import { UsageError } from '../errors.js';
import { junitXml, type JunitCase, type JunitSuite } from './junit.js';

/** Why an incomplete exhaustive run stopped and what it covered (`effort`: its states, transitions, depth and rate). */
export function incompleteSummary(report: CheckReport, effort: string): string {
  const budget = report.stoppedBy === 'memory' ? 'the memory guard (70% of the V8 old-space limit, or 80% of the machine\'s memory)' : report.stoppedBy === 'interrupted' ? 'Ctrl-C (or SIGTERM)' : `--${report.stoppedBy}`;
  if (report.search?.livenessUnfinished === true) {
    const advice = report.stoppedBy === 'memory' ? ': its graph would not fit (check with --safety-only, or on a machine with more memory)' : '';
    return `INCOMPLETE: every state explored and no safety property breaks (${effort}), but the liveness pass after the search was stopped by ${budget}${advice}`;
  }
  if (report.search === undefined) return `INCOMPLETE: stopped at ${budget} after ${effort}; no violation so far`;
  return `INCOMPLETE: stopped at ${budget} after ${effort}; ${report.search.frontier} states found but not yet expanded; no violation so far`;
}

/** Writes the --junit file (checked before the search); failing still, it is the user's to fix: one line, after the verdict. */
export function writeJunit(file: string, suites: readonly JunitSuite[]): void {
  try {
    writeFileSync(file, junitXml(suites));
  } catch (error) {
    throw new UsageError(`cannot write the JUnit file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A failure's text: the counterexample's steps, and the command that replays it. */
export function failureDetail(report: CheckReport, file: string | null): string {
  const steps = report.trace!.steps.map((step, i) => `${i + 1} ${step.actor} ${step.label}`);
  return [`counterexample: ${report.counterexampleLength} steps`, ...steps, ...(file === null ? [] : [`replay: npx apfcheck replay ${file}`])].join('\n');
}

/** One check's verdicts as a JUnit suite: the checked properties, each passed, failed, errored or not judged. */
export function junitSuite(report: CheckReport, traceFile: string | null): JunitSuite {
  const context = `${describeScope(report.scope)}, ${report.mode} mode`;
  const cases = report.properties.map((property): JunitCase => {
    if (report.result === 'pass') return { property, outcome: 'pass' };
    if (report.result === 'incomplete') return { property, outcome: 'error', message: incompleteSummary(report, `${report.statesExplored} states`) };
    if (property === report.property) return { property, outcome: 'failure', message: report.message!, detail: failureDetail(report, traceFile) };
    return { property, outcome: 'skipped', message: `not judged: the check stops at its first violation (${report.property}); check --all judges each property` };
  });
  return { design: [report.design, ...report.bugs].join('+'), context, seconds: report.durationMs / 1000, cases };
}

/** `--json-lines` progress: a `{type: 'progress', line}` line at once and then at most every second. */
export function jsonProgress(): { update(line: string): void; done(): void } {
  let last: number | undefined;
  return {
    update(line) {
      const now = Date.now();
      if (last !== undefined && now - last < 1_000) return;
      last = now;
      jsonLine({ type: 'progress', line });
    },
    done: () => undefined,
  };
}

/** One line of `--json-lines` output on stdout. */
export function jsonLine(value: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One property's verdict for `--all --json` and `--json-lines`, in `check --json`'s words. */
export function verdictJson(v: CheckReport | 'holds', traceFile: string | undefined) {
  // the same words as `check --json`: pass, violation, incomplete
  if (v === 'holds') return { result: 'pass' };
  return { result: v.result, message: v.message, counterexampleLength: v.counterexampleLength, traceFile: traceFile ?? null };
}


/**
 * On GitHub Actions (GITHUB_ACTIONS=true), one workflow-command error annotation per violation on stdout, which the
 * job page shows: the design, the property, the message, the counterexample's length and how to replay it.
 */
export function annotate(violations: readonly { design: string; property: string; report: CheckReport; file: string | null }[]): void {
  if (process.env.GITHUB_ACTIONS !== 'true') return;
  // workflow commands end at a newline and treat '%' specially: escape both (GitHub's documented encoding)
  const escape = (text: string) => text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  for (const { design, property, report, file } of violations) {
    const replay = file === null ? '' : ` replay: npx apfcheck replay ${file}`;
    process.stdout.write(`::error title=${escape(`apfcheck ${design}: ${property}`).replace(/[:,]/g, (c) => (c === ':' ? '%3A' : '%2C'))}::${escape(`${report.message} (${report.counterexampleLength} steps)${replay}`)}\n`);
  }
}
