/**
 * Lassos: a path that ends in a cycle is a liveness counterexample only if
 * the cycle is fair (src/judge/fair-continuation.ts fairCycleViolation).
 * Checked on real paths of the x86 model, and on the trace format that
 * carries them.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { Judge } from '../src/judge/judge.js';
import { walkLabels } from './support/walk-labels.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { enabledSteps } from '../src/system/system.js';
import { buildTrace, parseTrace } from '../src/trace/trace.js';

const config = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, tasks: 3 } };
// task0 sleeps on its fault; cpu0 then switches between task1 and task2 for ever
const labels = ['cpu0: task0 touches page0', 'cpu0: takes #PF (token 0x1000)', 'cpu0: schedule() -> task1', 'cpu0: schedule() -> task2', 'cpu0: schedule() -> task1'];
const judge = new Judge({ safety: SAFETY, liveness: LIVENESS });

describe('a cycle of task switches while task0 sleeps', () => {
  const walked = walkLabels(config, labels)!;

  it('returns to the state it left', () => {
    expect(walked).toBeDefined();
    expect(walked.states.at(-1)).toEqual(walked.states[3]);
  });

  it('is not a violation: the worker that completes task0\'s page is enabled throughout and never runs', () => {
    for (const state of walked.states.slice(3)) expect(enabledSteps(state).map((s) => s.label)).toContain('worker 0x1000: async_pf_execute done (page0 in)');
    expect(judge.path(walked.states, { steps: walked.steps, cycleStart: 3 })).toBeUndefined();
  });

  it('is no cycle when it does not return where it started', () => {
    expect(judge.path(walked.states, { steps: walked.steps, cycleStart: 2 })).toBeUndefined();
  });
});

describe('the trace format of a lasso', () => {
  const walked = walkLabels(config, labels)!;
  const trace = (cycleStart: number) =>
    JSON.stringify(buildTrace(config, { bugs: [], mode: 'exhaustive', seed: null, cycleStart }, walked.steps, walked.states, { property: 'no-lost-wakeup', message: 'm' }));

  it('keeps cycleStart', () => {
    expect(parseTrace(trace(3), 'lasso.json').cycleStart).toBe(3);
  });

  it('refuses a cycleStart whose steps do not come back', () => {
    expect(() => parseTrace(trace(2), 'lasso.json')).toThrow(/field 'cycleStart' \(2\) does not start a cycle/);
  });
});
