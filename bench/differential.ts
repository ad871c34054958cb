/**
 * `npm run differential`: the verdicts a refactor must leave alone. Every
 * built-in design at (1,2,1), (2,2,2), (1,3,2) and (2,3,2), exhaustive with
 * every property, every catalogued mutant at its own scope in both modes, and
 * every design at the default scope in random mode (seed 1): the result, the
 * property, the message, states, transitions and counterexample length.
 *
 *   npx tsx bench/differential.ts --write bench/differential.json   # record
 *   npx tsx bench/differential.ts --compare bench/differential.json # check (exit 1 on a difference)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { DESIGNS } from '../machines/design.js';
import { runCheck, type CheckReport, type CheckRequest } from '../src/check/check.js';
import { MUTANTS } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';

interface Row {
  readonly run: string;
  readonly result: CheckReport['result'];
  readonly property: string | null;
  readonly message: string | null;
  readonly states: number;
  readonly transitions: number;
  readonly counterexampleLength: number | null;
}

const SCOPES: readonly [number, number, number][] = [
  [1, 2, 1],
  [2, 2, 2],
  [1, 3, 2],
  [2, 3, 2],
];

function row(run: string, request: Omit<CheckRequest, 'seed' | 'runs' | 'depth'> & Partial<CheckRequest>): Row {
  const report = runCheck({ seed: 1, runs: 500, depth: 60, ...request });
  process.stderr.write(`${run}: ${report.result} ${report.property ?? ''} ${report.statesExplored} states (${report.durationMs} ms)\n`);
  return {
    run,
    result: report.result,
    property: report.property,
    message: report.message,
    states: report.statesExplored,
    transitions: report.steps,
    counterexampleLength: report.counterexampleLength,
  };
}

function rows(): Row[] {
  const out: Row[] = [];
  for (const design of DESIGNS) {
    for (const [vcpus, tasks, pages] of SCOPES) {
      out.push(row(`${design.name} (${vcpus},${tasks},${pages}) exhaustive`, { design, mutants: [], scope: { ...DEFAULT_SCOPE, vcpus, tasks, pages }, mode: 'exhaustive' }));
    }
    out.push(row(`${design.name} default random seed 1`, { design, mutants: [], scope: DEFAULT_SCOPE, mode: 'random' }));
  }
  for (const mutant of MUTANTS) {
    const design = DESIGNS.find((d) => d.name === mutant.base)!;
    for (const mode of ['exhaustive', 'random'] as const) {
      out.push(row(`${mutant.id} ${mode}`, { design, mutants: [mutant], scope: { ...DEFAULT_SCOPE, ...mutant.scope }, mode }));
    }
  }
  return out;
}

const [flag, file] = process.argv.slice(2);
if ((flag !== '--write' && flag !== '--compare') || file === undefined) {
  process.stderr.write('usage: tsx bench/differential.ts --write FILE | --compare FILE\n');
  process.exit(2);
}
const now = rows();
if (flag === '--write') {
  writeFileSync(file, `${JSON.stringify(now, null, 1)}\n`);
} else {
  const before = JSON.parse(readFileSync(file, 'utf8')) as Row[];
  let differences = 0;
  for (const was of before) {
    const is = now.find((r) => r.run === was.run);
    if (JSON.stringify(is) !== JSON.stringify(was)) {
      differences++;
      process.stdout.write(`DIFFERS ${was.run}\n  before ${JSON.stringify(was)}\n  now    ${JSON.stringify(is ?? null)}\n`);
    }
  }
  process.stdout.write(`${before.length - differences} of ${before.length} runs identical\n`);
  process.exit(differences === 0 ? 0 : 1);
}
