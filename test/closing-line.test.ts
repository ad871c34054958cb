/**
 * The closing line CI reads (test/support/ci-summary-reporter.ts) counts
 * every failure, also those outside a test body: the fixture suite has a
 * file whose beforeAll throws (2 tests never run), one that fails to load,
 * one whose afterAll throws after its test passed, and a healthy one. The
 * reporter's own line is asserted, not vitest's exit code.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

it('counts tests behind a failing hook, a file that does not load and a failing teardown as failed', () => {
  const run = spawnSync(process.execPath, [path.join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'test/fixtures/closing-line/vitest.config.ts'], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const closing = run.stdout.trimEnd().split('\n').at(-1);
  // passed: the teardown file's test and the healthy one; failed: 2 behind the hook, 1 for the load, 1 for the teardown
  expect(closing).toBe('2 passed, 4 failed');
  expect(run.status).toBe(1);
});
