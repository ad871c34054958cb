/**
 * A test a user of the library writes to gate a design's verdicts, as it runs in a project that installed
 * apfcheck (`npm install apfcheck vitest`, then `npx vitest run`). test/package.test.ts runs this very file
 * against the packed tarball installed into a fresh project; README "Library API" describes the calls.
 */
import { check, checkEachProperty, listBugs, listProperties, replay, UsageError } from 'apfcheck';
import { describe, expect, it } from 'vitest';

describe('x86 at the default scope, every interleaving', () => {
  it('holds every property', async () => {
    const { verdicts } = await checkEachProperty({ design: 'x86', mode: 'exhaustive' });
    for (const { id } of listProperties()) expect(verdicts[id]?.result, id).toBe('pass');
  });

  it('breaks the property its catalogued bug names when that fix is undone, and the counterexample replays', async () => {
    const bug = listBugs().find((b) => b.id === 'missed-kick')!;
    const report = await check({ bugs: [bug.id], mode: 'exhaustive', properties: [bug.breaks] });
    expect(report.result).toBe('violation');
    expect(report.property).toBe(bug.breaks);
    const replayed = replay(report.trace!);
    expect(replayed.status).toBe('violation');
    expect(replayed.steps).toHaveLength(report.counterexampleLength!);
  });

  it('refuses a design it does not know', async () => {
    await expect(check({ design: 'x87' })).rejects.toThrow(UsageError);
  });
});
