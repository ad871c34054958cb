/**
 * `npm run bench`: the standard scopes of the exhaustive search and the time
 * each catalogued mutant takes to be found, printed and written to
 * bench/results.json. Not a test: numbers depend on the machine.
 *
 * Every scope runs with a time budget (BENCH_SECONDS, default 120 s); a scope
 * that does not finish in it is reported as incomplete with what it covered.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { designByName } from '../machines/design.js';
import { propertyById } from '../properties/index.js';
import { runCheck } from '../src/engine/check.js';
import { MUTANTS } from '../src/engine/mutants.js';
import { DEFAULT_SCOPE } from '../src/system/scope.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 120);
const SCOPES: readonly [number, number, number][] = [
  [1, 2, 1],
  [2, 2, 2],
  [2, 3, 2],
  [2, 4, 2],
  [3, 3, 3],
];

const mb = (bytes: number) => Math.round(bytes / 1e6);

const scopes = SCOPES.map(([vcpus, tasks, pages]) => {
  const report = runCheck({
    design: designByName('x86'),
    mutants: [],
    scope: { ...DEFAULT_SCOPE, vcpus, tasks, pages },
    mode: 'exhaustive',
    seed: 1,
    runs: 1,
    depth: 1,
    maxSeconds: SECONDS,
  });
  const seconds = report.durationMs / 1000;
  const row = {
    scope: `${vcpus},${tasks},${pages}`,
    result: report.result,
    states: report.statesExplored,
    transitions: report.steps,
    seconds,
    statesPerSecond: Math.round(report.statesExplored / Math.max(seconds, 1e-3)),
    peakRssMB: mb(process.memoryUsage().rss),
    // the visited set, parent links and fair edges (typed arrays); the memoised moves are shared and counted in peak RSS
    bytesPerState: report.search?.bytesPerState ?? null,
  };
  console.log(JSON.stringify(row));
  return row;
});

const mutants = MUTANTS.map((m) => {
  const base = {
    design: designByName(m.base),
    mutants: [m],
    scope: { ...DEFAULT_SCOPE, ...m.scope },
    seed: 1,
    runs: 2000,
    depth: 40,
    maxSeconds: SECONDS,
    properties: [propertyById(m.breaks)],
  };
  const exhaustive = runCheck({ ...base, mode: 'exhaustive' });
  const random = runCheck({ ...base, mode: 'random' });
  const row = {
    mutant: m.id,
    property: m.breaks,
    exhaustive: { seconds: exhaustive.durationMs / 1000, result: exhaustive.result, length: exhaustive.counterexampleLength },
    random: { seconds: random.durationMs / 1000, result: random.result, length: random.counterexampleLength },
  };
  console.log(JSON.stringify(row));
  return row;
});

const file = join(import.meta.dirname, 'results.json');
writeFileSync(file, `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, budgetSeconds: SECONDS, scopes, mutants }, null, 2)}\n`);
console.log(`written to ${file}`);
