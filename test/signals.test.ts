/**
 * The checker as a process (issue 19): SIGTERM ends a search like Ctrl-C
 * (summary, exit 3), and random mode stops at the memory guard instead of
 * dying in V8 (`FATAL ERROR: Ineffective mark-compacts`, exit 134).
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const BIN = join(import.meta.dirname, '..', 'bin', 'apfcheck.js');
/** A random search that runs for minutes unless stopped: two vCPUs, three tasks, long schedules. */
const LONG_RANDOM = ['check', '--vcpus', '2', '--tasks', '3', '--pages', '2', '--runs', '1000000', '--depth', '200', '--seed', '3', '--trace-out', join(tmpdir(), 'apfcheck-signals-never.json')];

function apfcheck(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let started: () => void;
  // the first progress line: the search, and its signal handlers, are under way
  const searching = new Promise<void>((resolve) => (started = resolve));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
    if (stderr.includes('schedules')) started();
  });
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  // a child that exits before it searches (a bad build, a usage error) fails the wait at once, with what it said
  const searchingOrExit = Promise.race([
    searching,
    exit.then(({ code }) => Promise.reject(new Error(`apfcheck exited ${code} before searching: ${stderr}`))),
  ]);
  // a test that never waits for the search must not see this as an unhandled rejection
  searchingOrExit.catch(() => undefined);
  return { child, exit, searching: searchingOrExit, output: () => ({ stdout, stderr }) };
}

describe('apfcheck as a process', () => {
  it('shows progress as plain lines without a terminal, and ends a random search at SIGTERM with its summary and exit 3', async () => {
    const run = apfcheck(LONG_RANDOM);
    // without a terminal, progress is a plain line at the start and every few seconds: wait for the first
    await run.searching;
    expect(run.output().stderr).toMatch(/^x86 .* 1\/1000000 schedules\n/);
    run.child.kill('SIGTERM');
    const { code, signal } = await run.exit;
    expect(signal).toBeNull();
    expect(code).toBe(3);
    expect(run.output().stdout).toMatch(/INCOMPLETE: stopped at Ctrl-C \(or SIGTERM\) after \d+ schedules/);
  }, 30_000);

  it('stops a random search at the memory guard, with a small heap, instead of crashing', async () => {
    const env = { ...process.env, NODE_OPTIONS: '--max-old-space-size=110' };
    const run = apfcheck(['check', '--vcpus', '2', '--tasks', '3', '--pages', '2', '--depth', '10000', '--runs', '20000', '--seed', '1', '--quiet', '--trace-out', join(tmpdir(), 'apfcheck-signals-never.json')], env);
    const { code } = await run.exit;
    expect(run.output().stderr).not.toContain('FATAL ERROR');
    expect(code).toBe(3);
    expect(run.output().stdout).toMatch(/INCOMPLETE: stopped at the memory guard .* after \d+ schedules, \d+ distinct states/);
  }, 60_000);
});
