/**
 * Prints the closing line CI reads: `N passed, N failed[, N skipped]`.
 * vitest's own summary is for people; this line is for `.ci/run`.
 *
 * A failure outside a test's own body still counts as a failure:
 * - a test meant to run that never ran because its file failed (a `beforeAll`
 *   that threw: vitest reports such tests as skipped) counts as failed;
 * - a file that failed with no failed test to show for it (it did not load,
 *   or an `afterAll` threw) counts one failure;
 * - every error vitest could not pin on a test (an unhandled rejection) counts one.
 * Only tests written as `skip` or `todo` count as skipped.
 */
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

export interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

/** The closing line's counts for a finished run. */
export function tally(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): Tally {
  const counts: Tally = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const mod of testModules) {
    const moduleFailed = mod.state() === 'failed';
    let failedHere = 0;
    for (const test of mod.children.allTests()) {
      const state = test.result().state;
      if (state === 'passed') counts.passed++;
      else if (state === 'failed' || (moduleFailed && test.options.mode === 'run')) failedHere++;
      else counts.skipped++;
    }
    counts.failed += moduleFailed && failedHere === 0 ? 1 : failedHere;
  }
  return counts;
}

export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<SerializedError>): void {
    const { passed, failed, skipped } = tally(testModules, unhandledErrors);
    const tail = skipped > 0 ? `, ${skipped} skipped` : '';
    process.stdout.write(`\n${passed} passed, ${failed} failed${tail}\n`);
  }
}
