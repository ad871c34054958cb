/**
 * `apfcheck diff A B`: what a change to a design fixed and what it broke.
 * A and B are built-in designs or design files. The options that differ,
 * then both checked at the same scope, property by property, side by side:
 * verdicts, states explored, counterexample lengths, and for each property
 * whose verdict changes, the counterexample on the side that breaks it.
 */
import { join } from 'node:path';
import { DesignSchema, type DesignOptions } from '../../machines/design.js';
import { describeScope } from '../../machines/scope.js';
import { PROPERTIES } from '../../properties/index.js';
import { checkEveryProperty, type CheckReport } from '../check/check.js';
import { runCheckInterruptible } from '../check/interruptible.js';
import { designByRef } from '../design/design-file.js';
import { validateScope } from '../system/scope.js';
import { scopeFrom, type ScopeFlags } from './check-command.js';
import { verdictJson } from './ci-output.js';
import { checkTraceDir, DEFAULT_TRACE_DIR, ensureDirectory, writeTrace } from './output-files.js';
import { integer } from './options.js';
import { stepTable, table } from './output.js';

export interface DiffFlags extends ScopeFlags {
  readonly mode: 'random' | 'exhaustive';
  readonly seed?: string;
  readonly runs: string;
  readonly depth: string;
  readonly maxSeconds?: string;
  readonly traceDir?: string;
  readonly json?: boolean;
}


type Verdict = CheckReport | 'holds' | undefined;
const word = (v: Verdict): string => (v === undefined ? 'not checked' : v === 'holds' ? 'holds' : v.result === 'violation' ? `VIOLATED (${v.counterexampleLength} steps)` : 'incomplete');
const broken = (v: Verdict): v is CheckReport => v !== undefined && v !== 'holds' && v.result === 'violation';

export async function diffCommand(a: string, b: string, flags: DiffFlags): Promise<number> {
  const designs = [designByRef(a, process.cwd(), 'diff'), designByRef(b, process.cwd(), 'diff')] as const;
  const scope = scopeFrom(flags, []);
  for (const d of designs) validateScope(scope, d);
  const traceDir = flags.traceDir ?? DEFAULT_TRACE_DIR;
  checkTraceDir(traceDir);
  const differences = Object.keys(DesignSchema.shape)
    .filter((option) => !['name', 'summary', 'section'].includes(option))
    .filter((option) => JSON.stringify(designs[0][option as keyof DesignOptions]) !== JSON.stringify(designs[1][option as keyof DesignOptions]))
    .map((option) => ({ option, a: designs[0][option as keyof DesignOptions], b: designs[1][option as keyof DesignOptions] }));

  const seed = flags.seed === undefined ? Date.now() % 2 ** 31 : integer('--seed', 2 ** 31 - 1)(flags.seed);
  const sides = [];
  for (const design of designs) {
    const request = {
      design,
      mutants: [],
      scope,
      mode: flags.mode,
      seed,
      runs: integer('--runs', 10_000_000, 1)(flags.runs),
      depth: integer('--depth', 10_000, 1)(flags.depth),
      ...(flags.maxSeconds === undefined ? {} : { maxSeconds: integer('--max-seconds', undefined, 1)(flags.maxSeconds) }),
    };
    sides.push(await checkEveryProperty(request, runCheckInterruptible));
  }
  const [left, right] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const states = sides.map((s) => s.reports.reduce((n, r) => n + r.statesExplored, 0));
  const interrupted = sides.some((s) => s.reports.some((r) => r.stoppedBy === 'interrupted'));
  const files = new Map<string, string>();
  for (const [i, side] of sides.entries()) {
    for (const [property, v] of side.verdicts) {
      if (!broken(v) || v.trace === null) continue;
      files.set(`${i}/${property}`, writeTrace(v, join(ensureDirectory(traceDir), `${designs[i]!.name}--${property}.json`)));
    }
  }
  const changed = PROPERTIES.map((p) => p.id).filter((id) => broken(left.verdicts.get(id)) !== broken(right.verdicts.get(id)));

  if (flags.json === true) {
    const json = (v: Verdict, i: number, id: string) => (v === undefined ? { result: 'not checked' } : verdictJson(v, files.get(`${i}/${id}`)));
    const verdicts = PROPERTIES.map(({ id }) => ({ property: id, a: json(left.verdicts.get(id), 0, id), b: json(right.verdicts.get(id), 1, id) }));
    process.stdout.write(`${JSON.stringify({ a: designs[0].name, b: designs[1].name, scope, mode: flags.mode, seed: flags.mode === 'random' ? seed : null, differences, statesExplored: { a: states[0], b: states[1] }, verdicts, changed })}\n`);
    return interrupted ? 3 : 0;
  }
  const [na, nb] = [designs[0].name, designs[1].name];
  const out: string[] = [];
  out.push(differences.length === 0 ? `${na} and ${nb} have the same options` : `options that differ (${na} -> ${nb}):\n${table(['option', na, nb], differences.map((d) => [d.option, String(d.a), String(d.b)]))}`);
  out.push(`\nboth at ${describeScope(scope)}, ${flags.mode} mode${flags.mode === 'random' ? `, seed ${seed}` : ''}\n`);
  out.push(table(['property', na, nb], PROPERTIES.map(({ id }) => [id, word(left.verdicts.get(id)), word(right.verdicts.get(id))])));
  out.push(`\nstates explored: ${na} ${states[0]}, ${nb} ${states[1]}`);
  for (const id of changed) {
    const [i, v] = broken(left.verdicts.get(id)) ? [0, left.verdicts.get(id) as CheckReport] : [1, right.verdicts.get(id) as CheckReport];
    const rows = v.trace!.steps.map((step, n) => ({ index: n + 1, actor: step.actor, label: step.label, summary: step.summary }));
    out.push(`\n${id} breaks in ${designs[i]!.name} only: ${v.message}\n${stepTable(rows)}\ntrace: ${files.get(`${i}/${id}`) ?? '-'}`);
  }
  if (interrupted) out.push('\nstopped at Ctrl-C: the verdicts are those found so far');
  process.stdout.write(`${out.join('\n')}\n`);
  if (changed.length === 0) process.stdout.write('no property changes verdict\n');
  return interrupted ? 3 : 0;
}
