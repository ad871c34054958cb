/**
 * The package as users get it. Cold start: `apfcheck --help` must not load
 * the model, the search or the view libraries, so the command line's entry
 * imports each command's module only when that command runs (checked here
 * on the static imports, which are what a start loads). The tarball:
 * built into a staging copy and packed there, installed into a fresh project
 * outside this repository (so neither tsx nor the sources are in reach),
 * runs its CLI and a user's vitest test of the library
 * (examples/library/verdicts.test.ts), which also type-checks against the
 * shipped .d.ts.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from './support/cli.js';

const root = path.resolve(import.meta.dirname, '..');

/** The packages a module loads when imported: its static value imports, followed through our own files (type-only imports are erased). */
function packagesLoadedBy(file: string, seen = new Set<string>()): Set<string> {
  const packages = new Set<string>();
  if (seen.has(file)) return packages;
  seen.add(file);
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  for (const [, specifier] of text.matchAll(/^(?:import|export)\s(?!type\s)(?:[^;]*?from\s+)?['"]([^'"]+)['"]/gm)) {
    if (!specifier!.startsWith('.')) {
      packages.add(specifier!);
      continue;
    }
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier!)).replace(/\.js$/, '.ts');
    for (const p of packagesLoadedBy(target, seen)) packages.add(p);
  }
  return packages;
}

describe('cold start', () => {
  it('the command line loads commander and nothing heavy before a command runs', () => {
    expect([...packagesLoadedBy('src/cli/run.ts')].sort()).toEqual(['commander', 'node:fs']);
  });

  const heavy = ['@viz-js/viz', '@statelyai/inspect', '@statelyai/inspect/server'];
  const loading = (file: string) => heavy.filter((p) => packagesLoadedBy(file).has(p));

  it('the commands that use a view library are the ones that load it', () => {
    expect(loading('src/cli/check-command.ts')).toEqual([]);
    expect(loading('src/cli/list-command.ts')).toEqual([]);
    expect(loading('src/cli/replay-command.ts')).toEqual([]);
    expect(loading('src/cli/export-command.ts')).toEqual([]);
    expect(loading('src/cli/report-command.ts')).toEqual(['@viz-js/viz']);
    // the relay's server only when a relay is served, not for --events-out
    expect(loading('src/cli/inspect-command.ts')).toEqual(['@statelyai/inspect']);
  });

  it('the library loads no view library', () => {
    expect(loading('src/index.ts')).toEqual([]);
  });
});

/** Runs a command to completion: its stdout, or an error carrying its exit status and stderr (a failed pack or install fails loudly). */
function sh(command: string, args: readonly string[], cwd: string): string {
  // the child vitest and npm must not take this run's settings for their own
  const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VITEST') && key !== 'NODE_OPTIONS'));
  try {
    return execFileSync(command, args, { cwd, env: { ...env, NO_COLOR: '1' }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
  } catch (error) {
    const { status, stdout, stderr } = error as { status: number | null; stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(' ')} (in ${cwd}) failed with status ${status}:\n${stderr ?? ''}${stdout ?? ''}`);
  }
}

/** Exit status and output of the installed CLI (it exits 1 on a violation, which is no failure here). */
function apfcheck(project: string, ...args: string[]): { status: number; stdout: string } {
  try {
    // a bound: a hung child (a worker that never starts) must fail this test, not run to the CI's time limit
    return { status: 0, stdout: execFileSync(path.join(project, 'node_modules/.bin/apfcheck'), args, { cwd: project, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 }) };
  } catch (error) {
    const { status, stdout, stderr } = error as { status: number; stdout: string; stderr: string };
    if (status !== 1) throw new Error(`apfcheck ${args.join(' ')} exited ${status}:\n${stderr}`);
    return { status, stdout };
  }
}

describe('the packed tarball, installed into a fresh project', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-package-'));
  const project = path.join(tmp, 'project');
  let packed: { filename: string; size: number; files: { path: string }[] };
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  beforeAll(() => {
    // packed from a staging copy with its own build: `npm pack` here would run `prepare`, which deletes and rebuilds
    // the repository's dist/ while other test files run the bin
    const stage = path.join(tmp, 'stage');
    fs.mkdirSync(stage);
    for (const file of ['package.json', 'README.md', 'LICENSE', 'bin']) fs.cpSync(path.join(root, file), path.join(stage, file), { recursive: true });
    sh(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', path.join(root, 'tsconfig.build.json'), '--outDir', path.join(stage, 'dist')], root);
    [packed] = JSON.parse(sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], stage)) as [typeof packed];
    fs.mkdirSync(path.join(project, 'test'), { recursive: true });
    fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'apfcheck-user', private: true, type: 'module' }));
    // the dependencies come from the npm cache when it has them (a CI machine without one fetches them)
    sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', path.join(tmp, packed.filename)], project);
  }, 180_000);

  it('ships what runs and nothing else: the bin, dist/ (JS and types), package.json, README, LICENSE', () => {
    const files = packed.files.map((f) => f.path);
    expect(files.filter((f) => !/^(README\.md|LICENSE|package\.json|bin\/apfcheck\.js|dist\/(src|machines|properties)\/.+\.(js|d\.ts))$/.test(f))).toEqual([]);
    expect(files).toEqual(expect.arrayContaining(['LICENSE', 'bin/apfcheck.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/run.js', 'dist/src/check/check-worker.js', 'dist/src/search/parallel/partition-worker.js']));
  });

  it('installs the runtime dependencies only: tsx is out of reach', () => {
    const require = createRequire(path.join(project, 'package.json'));
    expect(require.resolve('apfcheck/package.json')).toBe(path.join(project, 'node_modules/apfcheck/package.json'));
    expect(() => require.resolve('tsx')).toThrow(/Cannot find module/);
    expect(() => require.resolve('typescript')).toThrow(/Cannot find module/);
  });

  it('runs the CLI: --version and --help', () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(apfcheck(project, '--version').stdout).toBe(`${version}\n`);
    expect(apfcheck(project, '--help').stdout).toMatch(/^Usage: apfcheck \[options\] \[command\]/);
  });

  it('checks exhaustively in compiled worker threads (the check worker, --workers partitions) with the sources\' verdicts', async () => {
    const args = ['check', '--design', 'x86', '--mode', 'exhaustive', '--workers', '2', '--json', '--quiet', '--trace-out', path.join(tmp, 'x86.json')];
    const installed = apfcheck(project, ...args);
    const sources = await run(...args);
    expect(installed.status).toBe(0);
    expect(JSON.parse(installed.stdout)).toMatchObject({ design: 'x86', result: 'pass', statesExplored: JSON.parse(sources.stdout).statesExplored });

    const bug = apfcheck(project, 'check', '--bug', 'clear-queue-on-paging-off', '--mode', 'exhaustive', '--json', '--quiet', '--trace-out', path.join(tmp, 'bug.json'));
    expect(bug.status).toBe(1);
    expect(JSON.parse(bug.stdout)).toMatchObject({ result: 'violation', property: 'no-lost-wakeup' });
    expect(apfcheck(project, 'replay', path.join(tmp, 'bug.json')).status).toBe(1);
  });

  it('writes a report (Graphviz as WebAssembly, loaded only by report)', () => {
    const out = path.join(tmp, 'report.html');
    apfcheck(project, 'report', '--design', 'x86', '-o', out);
    expect(fs.readFileSync(out, 'utf8')).toContain('<svg');
  });

  describe("a user's vitest test of the library (examples/library/verdicts.test.ts)", () => {
    beforeAll(() => {
      fs.copyFileSync(path.join(root, 'examples/library/verdicts.test.ts'), path.join(project, 'test/verdicts.test.ts'));
      // the project's test runner and type definitions: this repository's own, linked, not installed again
      fs.mkdirSync(path.join(project, 'node_modules/@types'), { recursive: true });
      fs.symlinkSync(path.join(root, 'node_modules/vitest'), path.join(project, 'node_modules/vitest'));
      fs.symlinkSync(path.join(root, 'node_modules/@types/node'), path.join(project, 'node_modules/@types/node'));
    });

    it('passes against the installed package', () => {
      sh(process.execPath, [path.join(project, 'node_modules/vitest/vitest.mjs'), 'run', '--reporter=json', '--outputFile=result.json'], project);
      const result = JSON.parse(fs.readFileSync(path.join(project, 'result.json'), 'utf8')) as { success: boolean; numTotalTests: number; numPassedTests: number };
      expect(result.success).toBe(true);
      // none skipped or left out
      expect(result.numPassedTests).toBe(result.numTotalTests);
      expect(result.numTotalTests).toBeGreaterThanOrEqual(3);
    });

    it('type-checks against the shipped .d.ts (strict, library files checked too)', () => {
      const tsconfig = { compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: false, types: ['node'] }, include: ['test'] };
      fs.writeFileSync(path.join(project, 'tsconfig.json'), JSON.stringify(tsconfig));
      expect(sh(process.execPath, [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', project], project)).toBe('');
    });
  });
});
