/**
 * `npm run bench`: the standard scopes of the exhaustive search and the time
 * each catalogued mutant takes to be found, printed and written to
 * bench/results.json. Not a test: numbers depend on the machine.
 *
 * Every scope runs with a time budget (BENCH_SECONDS, default 120 s; the
 * symmetric (2,4,2) rows get the issue's 10 minutes, BENCH_LONG_SECONDS); a
 * scope that does not finish in it is reported as incomplete with what it
 * covered.
 * Each scope runs in a process of its own, so no run inherits another's
 * memoised machine steps and peak RSS is its own.
 *
 * First, the cold start of `apfcheck --help` through the compiled bin
 * (built here first), the median of COLD_RUNS runs; target 0.4 s.
 * `bench/run.ts --cold-start` measures that alone.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { designByName } from '../machines/design.js';
import { propertyById, SAFETY } from '../properties/index.js';
import { runCheck } from '../src/check/check.js';
import { MUTANTS } from '../machines/mutants.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 120);
const LONG_SECONDS = Number(process.env['BENCH_LONG_SECONDS'] ?? 600);
/**
 * The issue's standard scopes (every property), (2,3,2) with the safety
 * properties alone, then searches split over two workers or reduced by
 * symmetry (safety properties only).
 */
const SCOPES: readonly { scope: [number, number, number]; workers?: number; symmetry?: true; safetyOnly?: true; long?: true }[] = [
  { scope: [1, 2, 1] },
  { scope: [2, 2, 2] },
  { scope: [2, 3, 2] },
  { scope: [2, 4, 2] },
  { scope: [3, 3, 3] },
  { scope: [2, 3, 2], safetyOnly: true },
  { scope: [2, 3, 2], workers: 2 },
  { scope: [2, 4, 2], symmetry: true, long: true },
  { scope: [2, 4, 2], symmetry: true, workers: 2, long: true },
];

const mb = (bytes: number) => Math.round(bytes / 1e6);

/** One scope's row, measured in this process (`bench/run.ts --scope i`). */
function scopeRow({ scope: [vcpus, tasks, pages], workers, symmetry, safetyOnly, long }: (typeof SCOPES)[number]) {
  const budget = long === true ? LONG_SECONDS : SECONDS;
  const report = runCheck({
    design: designByName('x86'),
    mutants: [],
    scope: { ...DEFAULT_SCOPE, vcpus, tasks, pages },
    mode: 'exhaustive',
    seed: 1,
    runs: 1,
    depth: 1,
    maxSeconds: budget,
    ...(workers === undefined ? {} : { workers }),
    ...(symmetry === undefined ? {} : { symmetry }),
    ...(symmetry === true || safetyOnly === true ? { properties: SAFETY } : {}),
  });
  const seconds = report.durationMs / 1000;
  const row = {
    scope: `${vcpus},${tasks},${pages}`,
    workers: workers ?? 1,
    properties: symmetry === true || safetyOnly === true ? 'safety' : 'all',
    reductions: symmetry === undefined ? 'none' : 'symmetry',
    result: report.result,
    states: report.statesExplored,
    transitions: report.steps,
    depth: report.search?.depth ?? null,
    seconds,
    budgetSeconds: budget,
    statesPerSecond: Math.round(report.statesExplored / Math.max(seconds, 1e-3)),
    // the memoised moves and every worker's states
    peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
    // the visited set, parent links and fair edges (typed arrays); the memoised moves are shared and counted in peak RSS
    bytesPerState: report.search?.bytesPerState ?? null,
  };
  return row;
}

const COLD_RUNS = 11;
const COLD_TARGET_SECONDS = 0.4;

/** Wall seconds of `node bin/apfcheck.js --help` from the freshly built dist/: median, min and max of COLD_RUNS runs after one warm-up. */
function coldStart() {
  const root = join(import.meta.dirname, '..');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'inherit'] });
  if (build.status !== 0) throw new Error(`npm run build failed (exit ${build.status})`);
  const once = () => {
    const started = performance.now();
    const child = spawnSync(process.execPath, [join(root, 'bin/apfcheck.js'), '--help'], { stdio: 'ignore' });
    if (child.status !== 0) throw new Error(`apfcheck --help exited ${child.status}`);
    return (performance.now() - started) / 1000;
  };
  once();
  const seconds = Array.from({ length: COLD_RUNS }, once).sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 1000) / 1000;
  const row = { command: 'apfcheck --help', runs: COLD_RUNS, medianSeconds: round(seconds[COLD_RUNS >> 1]!), minSeconds: round(seconds[0]!), maxSeconds: round(seconds.at(-1)!), targetSeconds: COLD_TARGET_SECONDS };
  const verdict = row.medianSeconds <= COLD_TARGET_SECONDS ? 'met' : 'MISSED';
  console.log(`cold start of apfcheck --help (compiled bin): median ${row.medianSeconds} s of ${COLD_RUNS} runs (${row.minSeconds} to ${row.maxSeconds} s); target ${COLD_TARGET_SECONDS} s: ${verdict}`);
  return row;
}

if (process.argv[2] === '--cold-start') {
  coldStart();
  process.exit(0);
}

if (process.argv[2] === '--scope') {
  process.stdout.write(`${JSON.stringify(scopeRow(SCOPES[Number(process.argv[3])]!))}\n`);
  process.exit(0);
}

const cold = coldStart();

const scopes = SCOPES.map((_, i) => {
  const child = spawnSync(process.execPath, [...process.execArgv, import.meta.filename, '--scope', String(i)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.status !== 0) throw new Error(`bench scope ${i} failed (exit ${child.status})`);
  const row = JSON.parse(child.stdout) as ReturnType<typeof scopeRow>;
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
writeFileSync(file, `${JSON.stringify({ machine: `${process.platform} ${process.arch}, node ${process.version}`, budgetSeconds: SECONDS, longBudgetSeconds: LONG_SECONDS, coldStart: cold, scopes, mutants }, null, 2)}\n`);
console.log(`written to ${file}`);
