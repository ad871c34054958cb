/**
 * Combinations of design options (issue 17): the model either handles a
 * combination (a check ends in pass, violation or incomplete, never an
 * internal error) or refuses it with one line saying why
 * (`COMBINATION_RULES` in machines/design.ts). fast-check draws designs from
 * the schema itself, over a random built-in design: the options a kernel
 * developer might change a few at a time, and every option at once.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { COMBINATION_RULES, combinationProblem, DESIGNS, DesignOverrideSchema, DesignSchema, designByName, withAsyncPfSync, type DesignOptions } from '../machines/design.js';
import { applyMutants, MUTANTS, type Bug } from '../machines/mutants.js';
import { DEFAULT_SCOPE, type Scope } from '../machines/scope.js';
import { runCheck } from '../src/check/check.js';
import { loadDesignFile } from '../src/design/design-file.js';
import { TraceFormatError, UsageError } from '../src/errors.js';
import { validateScope } from '../src/system/scope.js';
import { designHash, parseTrace } from '../src/trace/trace.js';
import { checkOne } from './support/check-one.js';
import { run } from './support/cli.js';
import { refusal } from './support/design-refusal.js';
import { walkLabels } from './support/walk-labels.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'apfcheck-combinations-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function designFile(base: string, options: Record<string, unknown>): string {
  const file = path.join(tmp, `c${(counter += 1)}.json`);
  fs.writeFileSync(file, JSON.stringify({ format: 'apfcheck-design/1', name: 'combo', extends: base, options }));
  return file;
}


// ---------------------------------------------------------------------------
// designs drawn from the schema

type Overrides = Record<string, unknown>;
const OPTION_NAMES = Object.keys(DesignOverrideSchema.shape);

/** Every value an option can take, read off its zod schema (a new kind of option fails here, not silently). */
function valuesOf(name: string): fc.Arbitrary<unknown> {
  const schema = DesignSchema.shape[name as keyof typeof DesignSchema.shape] as unknown as { def: { type: string }; options?: string[]; minValue?: number; maxValue?: number };
  if (schema.def.type === 'enum') return fc.constantFrom(...schema.options!);
  if (schema.def.type === 'boolean') return fc.boolean();
  if (schema.def.type === 'number') return fc.integer({ min: schema.minValue!, max: schema.maxValue! });
  throw new Error(`no values for design option '${name}' (zod type ${schema.def.type})`);
}

/** A few options changed, as a kernel developer tries a design, or any of them at once. */
const fewOptions: fc.Arbitrary<Overrides> = fc
  .shuffledSubarray(OPTION_NAMES, { minLength: 1, maxLength: 4 })
  .chain((names) => fc.tuple(...names.map((n) => valuesOf(n).map((v) => [n, v] as const))))
  .map((pairs) => Object.fromEntries(pairs));
const anyOptions: fc.Arbitrary<Overrides> = fc.record(Object.fromEntries(OPTION_NAMES.map((n) => [n, valuesOf(n)])), { requiredKeys: [] });
const drawn = fc.tuple(fc.constantFrom(...DESIGNS.map((d) => d.name)), fc.oneof({ arbitrary: fewOptions, weight: 3 }, { arbitrary: anyOptions, weight: 1 }));

const designOf = (base: string, options: Overrides): DesignOptions => DesignSchema.parse({ ...designByName(base), ...options, name: 'combo' });

/** A small exhaustive check and a short random run: whatever the verdict, nothing may throw. */
function checkBoth(design: DesignOptions, scope: Scope): void {
  const exhaustive = runCheck({ design, mutants: [], scope, mode: 'exhaustive', seed: 1, runs: 1, depth: 1, maxStates: 1500 });
  expect(['pass', 'violation', 'incomplete']).toContain(exhaustive.result);
  const random = runCheck({ design, mutants: [], scope, mode: 'random', seed: 1, runs: 5, depth: 40 });
  expect(['pass', 'violation', 'incomplete']).toContain(random.result);
}

describe('design combinations', () => {
  it('every built-in design, every catalogued bug on its design, and RFCv1 with ASYNC_PF_SYNC are taken', () => {
    for (const design of DESIGNS) expect(combinationProblem(design), design.name).toBeUndefined();
    for (const m of MUTANTS) expect(combinationProblem(applyMutants(designByName(m.base), [m])), m.id).toBeUndefined();
    expect(combinationProblem(withAsyncPfSync(designByName('arm64-rfcv1')) as DesignOptions)).toBeUndefined();
  });

  it('each rule names real options, reads only those, and says why in one line', () => {
    for (const rule of COMBINATION_RULES) {
      for (const option of rule.options) expect(OPTION_NAMES, rule.id).toContain(option);
      expect(rule.reason, rule.id).not.toMatch(/\n/);
    }
    expect(new Set(COMBINATION_RULES.map((r) => r.id)).size).toBe(COMBINATION_RULES.length);
  });

  it('a drawn design is checked without an internal error, or refused with one line by the design-file loader (fast-check)', () => {
    let taken = 0;
    let refused = 0;
    fc.assert(
      fc.property(drawn, ([base, options]) => {
        const design = designOf(base, options);
        const problem = combinationProblem(design);
        if (problem === undefined) {
          taken += 1;
          checkBoth(design, DEFAULT_SCOPE);
        } else {
          refused += 1;
          const file = designFile(base, options);
          expect(refusal(file)).toBe(`${file}: ${problem}`);
        }
      }),
      { seed: 17, numRuns: 120 },
    );
    // the draw must exercise both sides
    expect(taken).toBeGreaterThan(40);
    expect(refused).toBeGreaterThan(20);
  });

  it('a drawn design taken by the rules runs at two vCPUs too (fast-check)', () => {
    const scope = { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2 };
    fc.assert(
      fc.property(drawn, ([base, options]) => {
        const design = designOf(base, options);
        if (combinationProblem(design) === undefined) checkBoth(design, validateScope(scope, design));
      }),
      { seed: 23, numRuns: 40 },
    );
  });

  // one refused file per rule: a built-in design with the fewest options changed that only this rule refuses first
  const EXAMPLES: Readonly<Record<string, readonly [string, Overrides]>> = {
    'pfault-pair': ['s390-pfault', { pageReady: 'interrupt' }],
    'pid-token': ['x86', { guestToken: 'current-pid' }],
    'token-in-interrupt': ['x86', { slotLayout: 'none' }],
    'ack-without-slot': ['s390-pfault', { ack: 'msr' }],
    'sdei-user-mode': ['arm64-sdei', { userOnlyUnlessSendAlways: false }],
    'page-ready-same-exception': ['arm64-sdei', { pageReady: 'exception' }],
    'page-ready-exception-reason': ['x86-legacy', { slotLayout: 'split' }],
    'page-ready-from-worker': ['x86', { completion: 'direct' }],
    'cancel-needs-scan': ['s390-pfault', { cancelPendingNotPresent: 'same-token' }],
    'exception-in-ack-window': ['arm64-rfcv1', { ack: 'msr' }],
    'one-architecture': ['x86', { exceptionEntryWindow: true }],
    'offline-wake-list': ['x86', { offlineWake: 'all-cpus' }],
    'token-ids': ['x86', { tokenShift: 28 }],
  };

  it('has an example for every rule', () => {
    expect(Object.keys(EXAMPLES).sort()).toEqual(COMBINATION_RULES.map((r) => r.id).sort());
  });

  it.each(COMBINATION_RULES.map((r) => [r.id, r] as const))('refuses %s: the file, the options with their values, the reason', (id, rule) => {
    const [base, options] = EXAMPLES[id]!;
    const design = designOf(base, options);
    expect(COMBINATION_RULES.find((r) => r.refuses(design))?.id).toBe(id);
    const file = designFile(base, options);
    const values = rule.options.map((o) => `${o} ${typeof design[o] === 'string' ? `'${design[o] as string}'` : String(design[o])}`).join(', ');
    expect(refusal(file)).toBe(`${file}: options ${values}: ${rule.reason}`);
  });

  it('the command line gives exit 2 and one line for a refused design file', async () => {
    const file = designFile('x86', { completion: 'direct' });
    const result = await run('check', '--design-file', file, '--mode', 'random', '--runs', '1');
    expect(result.code).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/^apfcheck: .*c\d+\.json: options completion 'direct', pageReady 'interrupt': completion 'direct' \(CONFIG_KVM_ASYNC_PF_SYNC/);
  });

  it('a design file completing a combination its parent left half set is taken', () => {
    const parent = designFile('s390-pfault', { cancelPendingNotPresent: 'same-token' });
    const child = path.join(tmp, 'child.json');
    fs.writeFileSync(child, JSON.stringify({ format: 'apfcheck-design/1', name: 'child', extends: parent, options: { cancelPendingNotPresent: 'never' } }));
    expect(loadDesignFile(child).cancelPendingNotPresent).toBe('never');
  });

  it('a check refuses a bug whose options make a refused combination (UsageError, before any search)', () => {
    const bug: Bug = { id: 'raise-from-worker', description: 'page-ready from async_pf_execute', override: { completion: 'direct' }, scope: {} };
    expect(() => runCheck({ design: designByName('x86'), mutants: [bug], scope: DEFAULT_SCOPE, mode: 'random', seed: 1, runs: 1, depth: 1 })).toThrow(
      new UsageError(`design 'x86+raise-from-worker': ${combinationProblem({ ...designByName('x86'), completion: 'direct' })!}`),
    );
  });

  it('a trace whose design the model refuses is a trace format error', () => {
    const trace = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'examples', 'x86-legacy-no-kick.json'), 'utf8')) as { design: { options: DesignOptions; hash: string } };
    trace.design.options = { ...trace.design.options, slotLayout: 'split' };
    trace.design.hash = designHash(trace.design.options);
    expect(() => parseTrace(JSON.stringify(trace), 'edited.json')).toThrow(TraceFormatError);
    expect(() => parseTrace(JSON.stringify(trace), 'edited.json')).toThrow(/^edited\.json: field 'design\.options': the model refuses this design's options pageReady 'exception', slotLayout 'split': /);
  });
});

describe('scopes the model refuses for a design', () => {
  it('SEND_ALWAYS with an SDEI not-present, which the SDEI design raises for user mode only', () => {
    const design = designOf('arm64-sdei', { kernelModeNotPresent: 'wait' });
    expect(() => validateScope({ ...DEFAULT_SCOPE, sendAlways: true }, design)).toThrow(/^sendAlways: design 'combo' raises its SDEI not-present in user mode only/);
  });

  it('pfVmexit where the page-ready exception ignores IF: L1\'s locked sections would run in the model\'s L2 window', () => {
    const scope = { ...DEFAULT_SCOPE, nested: true, pfVmexit: true };
    expect(() => validateScope(scope, designOf('x86-legacy', { interruptsGate: false }))).toThrow(/^pfVmexit with design 'combo': its page-ready exception ignores IF/);
    expect(() => validateScope(scope, designByName('x86-legacy'))).not.toThrow();
  });
});

describe('combinations the model handles since the fuzzing', () => {
  it('a page-ready handler that reads an empty slot names no fault (kvm_async_pf_task_wake(0)): pre-5.8 x86 with an interrupt page-ready', () => {
    // the #PF reads PAGE_READY (the unchecked write overwrote PAGE_NOT_PRESENT), wakes CR2's token and zeroes the area; the interrupt then reads token 0
    const config = { design: designOf('x86-legacy', { pageReady: 'interrupt' }), scope: DEFAULT_SCOPE };
    const walked = walkLabels(config, ['cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)', 'vcpu0: vcpu_enter_guest', 'cpu0: takes #PF (token 0x1000)', 'cpu0: takes page-ready interrupt']);
    expect(walked?.states.at(-1)!.guests[0]!.context.nodes).toContainEqual({ token: 0, task: -1 });
  });

  it('s390 with a synthetic halt: the worker raises PFAULT_DONE for a not-present never injected (no notpresent_injected check), which no-orphan-page-ready reports', () => {
    const design = designOf('s390-pfault', { fallback: 'synthetic-halt' });
    const report = runCheck({ design, mutants: [], scope: DEFAULT_SCOPE, mode: 'exhaustive', seed: 1, runs: 1, depth: 1 });
    expect([report.property, report.counterexampleLength]).toEqual(['no-orphan-page-ready', 3]);
    // with 2a18b7e7cd88's check in the worker's kvm_arch_async_page_present, no PFAULT_DONE is raised for it
    const checked = { design: { ...design, pageReadyNeedsNotPresent: true }, scope: DEFAULT_SCOPE };
    const walked = walkLabels(checked, ['cpu0: syscall (enter kernel)', 'cpu0: task0 touches page0', 'worker 0x1000: async_pf_execute done (page0 in)']);
    expect(walked?.states.at(-1)!.vm.context.floating).toEqual([]);
  });

  it('a page-ready #PF the worker raises (ASYNC_PF_SYNC) ignores IF, so it lands in the pre-5.8 handler\'s bucket lock', () => {
    const report = checkOne(designOf('x86-legacy', { completion: 'direct' }), 'no-self-deadlock');
    expect([report.property, report.counterexampleLength]).toEqual(['no-self-deadlock', 5]);
  });
});
