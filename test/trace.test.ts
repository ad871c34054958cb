import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { propertyById } from '../properties/index.js';
import { designByName, type DesignOptions } from '../machines/design.js';
import { applyMutants, definitionOf, mutantById } from '../machines/mutants.js';
import { runCheck } from '../src/check/check.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { applyStep, enabledSteps, initialState, type Step, type SystemConfig, type SystemState } from '../src/system/system.js';
import { replayTrace } from '../src/trace/replay.js';
import {
  buildTrace,
  describeChange,
  designHash,
  digestOf,
  parseTrace,
  TRACE_FORMAT,
  TraceFormatError,
  type Trace,
} from '../src/trace/trace.js';

// ---------------------------------------------------------------------------
// helpers

/** A deep, mutable copy of a trace as plain JSON (what a user editing the file would see). */
function editable(trace: Trace): Record<string, any> {
  return JSON.parse(JSON.stringify(trace)) as Record<string, any>;
}

/** The TraceFormatError `parseTrace` throws for `data`; fails the test if it parses. */
function parseError(data: unknown, source = 'edited.json'): TraceFormatError {
  const text = typeof data === 'string' ? data : JSON.stringify(data);
  try {
    parseTrace(text, source);
  } catch (error) {
    expect(error).toBeInstanceOf(TraceFormatError);
    return error as TraceFormatError;
  }
  throw new Error('parseTrace accepted the input');
}

/** Walks `labels` from the initial state, taking the enabled step with each label. */
function walk(config: SystemConfig, labels: readonly string[]): { steps: Step[]; states: SystemState[] } {
  let state = initialState(config);
  const steps: Step[] = [];
  const states: SystemState[] = [state];
  for (const label of labels) {
    const step = enabledSteps(state).find((s) => s.label === label);
    if (step === undefined) throw new Error(`'${label}' is not enabled`);
    state = applyStep(state, step);
    steps.push(step);
    states.push(state);
  }
  return { steps, states };
}

const HEX16 = /^[0-9a-f]{16}$/;

// the counterexample of the arm64 RFCv1 design (single-slot), found exhaustively: deterministic
let trace: Trace;
let config: SystemConfig;

beforeAll(() => {
  const report = runCheck({
    design: designByName('arm64-rfcv1'),
    mutants: [],
    scope: DEFAULT_SCOPE,
    mode: 'exhaustive',
    seed: 1,
    runs: 0,
    depth: 0,
    properties: [propertyById('single-slot')],
  });
  expect(report.result).toBe('violation');
  expect(report.trace).not.toBeNull();
  trace = report.trace!;
  config = { design: trace.design.options, scope: trace.scope };
});

// ---------------------------------------------------------------------------

describe('the trace runCheck returns', () => {
  it('is a well-formed apfcheck-trace/2 record of the violation, each step named by kind, vCPU and argument', () => {
    expect(trace.format).toBe(TRACE_FORMAT);
    expect(TRACE_FORMAT).toBe('apfcheck-trace/2');
    expect(trace.steps[0]).toMatchObject({ kind: 'touch', vcpu: 0, arg: 0, label: 'cpu0: task0 touches page0' });
    expect(trace.design.name).toBe('arm64-rfcv1');
    expect(trace.design.options).toEqual(designByName('arm64-rfcv1'));
    expect(trace.design.hash).toBe(designHash(designByName('arm64-rfcv1')));
    expect(trace.scope).toEqual(DEFAULT_SCOPE);
    expect(trace.bugs).toEqual([]);
    expect(trace.mode).toBe('exhaustive');
    expect(trace.seed).toBeNull();
    expect(trace.violation?.property).toBe('single-slot');
    // the apfcheck that wrote it
    expect(trace.writtenBy).toBe(`apfcheck ${(JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { version: string }).version}`);
    expect(trace.steps.length).toBeGreaterThan(0);
    expect(trace.initialDigest).toMatch(HEX16);
    for (const step of trace.steps) {
      expect(step.digest).toMatch(HEX16);
      expect(step.label.length).toBeGreaterThan(0);
      expect(step.summary.length).toBeGreaterThan(0);
    }
  });
});

describe('parseTrace', () => {
  it('round-trips a real trace through JSON.stringify', () => {
    expect(parseTrace(JSON.stringify(trace), 'mem')).toEqual(trace);
    expect(parseTrace(JSON.stringify(trace, null, 2), 'mem')).toEqual(trace);
  });

  it('reports text that is not JSON as possibly truncated, on one line', () => {
    const text = JSON.stringify(trace, null, 2);
    const error = parseError(text.slice(0, Math.floor(text.length / 2)), 'half.json');
    expect(error.message).toMatch(/^half\.json: not JSON \(.*\); the file may be truncated$/);
    expect(error.message).not.toContain('\n');
    expect(error.name).toBe('TraceFormatError');
  });

  it('rejects another format version by name before validating the rest', () => {
    const error = parseError({ format: 'apfcheck-trace/3' }, 'v3.json');
    expect(error.message).toBe("v3.json: format 'apfcheck-trace/3' is not supported; this apfcheck reads apfcheck-trace/2");
  });

  it('says why a /1 trace (steps named by their label) is refused, and how to get a new one', () => {
    const error = parseError({ format: 'apfcheck-trace/1' }, 'v1.json');
    expect(error.message).toBe(
      "v1.json: format 'apfcheck-trace/1' is not supported; this apfcheck reads apfcheck-trace/2 (it names steps by their label text; regenerate the trace with apfcheck check)",
    );
  });

  it.each([
    ['steps.0.digest', (t: Record<string, any>) => delete t.steps[0].digest],
    ['design.options.lapicGate', (t: Record<string, any>) => delete t.design.options.lapicGate],
    ['scope.vcpus', (t: Record<string, any>) => (t.scope.vcpus = '1')],
    ['initialDigest', (t: Record<string, any>) => (t.initialDigest = 'not-hex')],
    ['steps.1.digest', (t: Record<string, any>) => (t.steps[1].digest = t.steps[1].digest.toUpperCase())],
    ['violation.property', (t: Record<string, any>) => (t.violation.property = 'no-such-property')],
    ['mode', (t: Record<string, any>) => (t.mode = 'fast')],
    ['format', (t: Record<string, any>) => delete t.format],
  ])('names the field %s in a single-line error', (field, edit) => {
    const data = editable(trace);
    edit(data);
    const error = parseError(data);
    expect(error.message.startsWith(`edited.json: field '${field}': `)).toBe(true);
    expect(error.message).not.toContain('\n');
  });

  it('says "(top level)" when the document is not an object', () => {
    expect(parseError('null').message).toMatch(/^edited\.json: field '\(top level\)': /);
    expect(parseError('[1,2]').message).toMatch(/^edited\.json: field '\(top level\)': /);
  });

  it('rejects edited design options whose hash was not updated', () => {
    const data = editable(trace);
    data.design.options.lapicGate = !data.design.options.lapicGate;
    expect(parseError(data).message).toBe("edited.json: field 'design.hash' does not match design.options (the file was edited)");
  });

  it('accepts edited design options when the hash is recomputed', () => {
    const data = editable(trace);
    data.design.options.lapicGate = !data.design.options.lapicGate;
    data.design.hash = designHash(data.design.options as DesignOptions);
    expect(parseTrace(JSON.stringify(data), 'mem').design.options.lapicGate).toBe(!trace.design.options.lapicGate);
  });
});

describe('designHash', () => {
  it('is 16 hex digits and independent of key order', () => {
    const options = designByName('x86');
    const reversed = Object.fromEntries(Object.entries(options).reverse()) as unknown as DesignOptions;
    expect(Object.keys(reversed)[0]).not.toBe(Object.keys(options)[0]);
    expect(designHash(options)).toMatch(HEX16);
    expect(designHash(reversed)).toBe(designHash(options));
  });

  it('changes when any option changes, and differs between the built-in designs', () => {
    const x86 = designByName('x86');
    expect(designHash({ ...x86, lapicGate: !x86.lapicGate })).not.toBe(designHash(x86));
    expect(designHash({ ...x86, tokenShift: x86.tokenShift + 1 })).not.toBe(designHash(x86));
    const hashes = ['x86', 'x86-legacy', 'arm64-rfcv1', 'arm64-sdei'].map((n) => designHash(designByName(n)));
    expect(new Set(hashes).size).toBe(4);
  });
});

describe('digestOf', () => {
  it('is 16 hex digits, equal for equal states and different after a step', () => {
    const a = initialState(config);
    const b = initialState(config);
    expect(digestOf(a)).toMatch(HEX16);
    expect(digestOf(b)).toBe(digestOf(a));
    expect(digestOf(a)).toBe(trace.initialDigest);
    const next = applyStep(a, enabledSteps(a)[0]!);
    expect(digestOf(next)).not.toBe(digestOf(a));
  });

  it('reproduces every digest recorded in the trace', () => {
    const { states } = walk(config, trace.steps.map((s) => s.label));
    expect(states.slice(1).map(digestOf)).toEqual(trace.steps.map((s) => s.digest));
  });
});

describe('describeChange', () => {
  it("prints '-' when nothing changed", () => {
    const s = initialState(config);
    expect(describeChange(s, s)).toBe('-');
  });

  it('names what the first step of the counterexample changed', () => {
    const { states } = walk(config, [trace.steps[0]!.label]);
    const summary = describeChange(states[0]!, states[1]!);
    expect(summary).toBe(trace.steps[0]!.summary);
    expect(summary).toContain('reason=1');
    expect(summary).toContain('queued=1 done=0');
  });
});

describe('buildTrace', () => {
  it('refuses bugs that disagree with the design they claim to have made', () => {
    const labels = trace.steps.slice(0, 2).map((s) => s.label);
    const { steps, states } = walk(config, labels);
    const own = { id: 'own', description: 'd', override: { kickBarriers: false }, scope: {} };
    const made = { ...config, design: applyMutants(config.design, [own]) };
    const built = buildTrace(made, { bugs: [own], mode: 'random', seed: 1 }, steps, states, null);
    expect(parseTrace(JSON.stringify(built), 'mem')).toEqual(built);
    const edit = (change: (t: Record<string, any>) => void) => {
      const copy = JSON.parse(JSON.stringify(built)) as Record<string, any>;
      change(copy);
      copy.design.hash = designHash(copy.design.options);
      return () => parseTrace(JSON.stringify(copy), 'mem');
    };
    expect(edit((t) => (t.bugDefinitions[0].options = { ack: 'msr' }))).toThrow(/field 'design.options.ack': "none", but bug 'own' sets it to "msr"/);
    expect(edit((t) => (t.design.options.kickBarriers = true))).toThrow(/field 'design.options.kickBarriers': true, but bug 'own' sets it to false/);
    expect(edit((t) => ((t.design.options.name = 'arm64-rfcv1+other'), (t.design.name = 'arm64-rfcv1+other')))).toThrow(/field 'design.name': 'arm64-rfcv1\+other' does not end with the bugs applied \(\+own\)/);
    expect(edit((t) => ((t.bugs = ['missed-kick']), (t.bugDefinitions[0].id = 'missed-kick')))).toThrow(/'missed-kick' is a catalogued bug, defined otherwise here/);
  });

  it('records no definitions for catalogued bugs on their own base design, and refuses them there', () => {
    const m = mutantById('send-always-kernel')!;
    const made = { ...config, design: applyMutants(designByName('x86'), [m]) };
    const { steps, states } = walk(made, []);
    const built = buildTrace(made, { bugs: [m], mode: 'random', seed: 1 }, steps, states, null);
    expect(built.bugDefinitions).toBeUndefined();
    expect(() => parseTrace(JSON.stringify({ ...built, bugDefinitions: [definitionOf(m)] }), 'mem')).toThrow(/field 'bugDefinitions': the catalogue vouches for these bugs on x86\+send-always-kernel/);
  });

  it('rebuilds the same trace from the same path', () => {
    const { steps, states } = walk(config, trace.steps.map((s) => s.label));
    const rebuilt = buildTrace(config, { bugs: [], mode: 'exhaustive', seed: null, properties: ['single-slot'] }, steps, states, trace.violation);
    expect(rebuilt).toEqual(trace);
  });

  it('records the meta data and one summary per step', () => {
    const labels = trace.steps.slice(0, 3).map((s) => s.label);
    const { steps, states } = walk(config, labels);
    const someBug = { id: 'some-bug', description: 'a bug of my own', override: { kickBarriers: false }, scope: { pages: 2 } };
    const built = buildTrace({ ...config, design: applyMutants(config.design, [someBug]) }, { bugs: [someBug], mode: 'random', seed: 42 }, steps, states, null);
    expect(built.bugs).toEqual(['some-bug']);
    // a bug the catalogue cannot vouch for travels with its definition
    expect(built.bugDefinitions).toEqual([{ id: 'some-bug', description: 'a bug of my own', options: { kickBarriers: false }, scope: { pages: 2 } }]);
    expect(parseTrace(JSON.stringify(built), 'mem')).toEqual(built);
    expect(built.mode).toBe('random');
    expect(built.seed).toBe(42);
    expect(built.violation).toBeNull();
    expect(built.steps.map((s) => s.label)).toEqual(labels);
    expect(built.steps.map((s) => s.summary)).toEqual(states.slice(1).map((s, i) => describeChange(states[i]!, s)));
    // a bug neither catalogued nor defined is refused when the file is read, and so is a definition of no listed bug
    const { bugDefinitions, ...undefinedBug } = built;
    expect(() => parseTrace(JSON.stringify(undefinedBug), 'mem')).toThrow(/field 'bugs.0': unknown bug 'some-bug' \(not catalogued, not in 'bugDefinitions'\)/);
    expect(() => parseTrace(JSON.stringify({ ...built, bugs: [] }), 'mem')).toThrow(/field 'bugDefinitions.0': 'some-bug' is not one of field 'bugs'/);
    // a catalogued bug on a design that is not its base with it applied needs its definition
    expect(() => parseTrace(JSON.stringify({ ...undefinedBug, bugs: ['missed-kick'] }), 'mem')).toThrow(/field 'bugs.0': bug 'missed-kick' is catalogued, but the design is not x86 with it applied/);
    expect(bugDefinitions).toHaveLength(1);
    // a trace without a violation is still a valid file
    const plain = { ...undefinedBug, bugs: [] };
    expect(parseTrace(JSON.stringify(plain), 'mem')).toEqual(plain);
  });
});

describe('replayTrace', () => {
  it('replays the real trace as the recorded violation, one row per step', () => {
    const outcome = replayTrace(trace);
    expect(outcome.status).toBe('violation');
    if (outcome.status !== 'violation') return;
    expect(outcome.violation.property).toBe(trace.violation!.property);
    expect(outcome.violation.message).toBe(trace.violation!.message);
    expect(outcome.rows).toHaveLength(trace.steps.length);
    expect(outcome.rows.map((r) => r.index)).toEqual(trace.steps.map((_, i) => i + 1));
    expect(outcome.rows.map((r) => r.label)).toEqual(trace.steps.map((s) => s.label));
    expect(outcome.rows.map((r) => r.actor)).toEqual(trace.steps.map((s) => s.actor));
    expect(outcome.rows.map((r) => r.summary)).toEqual(trace.steps.map((s) => s.summary));
  });

  it('is deterministic', () => {
    expect(replayTrace(trace)).toEqual(replayTrace(trace));
  });

  it('runs a violation-free prefix clean', () => {
    const outcome = replayTrace({ ...trace, steps: trace.steps.slice(0, 2), violation: null });
    expect(outcome.status).toBe('clean');
    expect(outcome.rows).toHaveLength(2);
  });

  it('diverges at a step that is not enabled', () => {
    const steps = trace.steps.map((s, i) => (i === 3 ? { ...s, kind: 'no-such-kind', label: 'cpu0: no such action' } : s));
    const outcome = replayTrace({ ...trace, steps });
    expect(outcome.status).toBe('diverged');
    if (outcome.status !== 'diverged') return;
    expect(outcome.at).toBe(4);
    expect(outcome.reason).toBe("step 4 'cpu0: no such action' is not enabled here");
    expect(outcome.rows).toHaveLength(3);
  });

  it('finds a step by its kind, vCPU and argument, not by its label: a reworded label still replays', () => {
    const steps = trace.steps.map((s) => ({ ...s, label: `reworded: ${s.label}` }));
    const outcome = replayTrace({ ...trace, steps });
    expect(outcome.status).toBe('violation');
    expect(outcome.rows.map((r) => r.label)).toEqual(trace.steps.map((s) => s.label));
  });

  it('diverges at a step whose recorded digest differs', () => {
    const steps = trace.steps.map((s, i) => (i === 2 ? { ...s, digest: '0000000000000000' } : s));
    const outcome = replayTrace({ ...trace, steps });
    expect(outcome.status).toBe('diverged');
    if (outcome.status !== 'diverged') return;
    expect(outcome.at).toBe(3);
    // the step changes what it changed when recorded: the message says so instead of printing the same text twice
    expect(outcome.reason).toMatch(/^step 3 '.*' reaches a state whose digest is not the recorded 0000000000000000, though it changes the same \(".*"\): the digest was edited/);
    expect(outcome.rows).toHaveLength(2);
  });

  it('diverges at step 0 when the initial state differs', () => {
    const outcome = replayTrace({ ...trace, initialDigest: '0000000000000000' });
    expect(outcome.status).toBe('diverged');
    if (outcome.status !== 'diverged') return;
    expect(outcome.at).toBe(0);
    expect(outcome.rows).toEqual([]);
  });

  it('diverges when the model differs from the one the trace was made with', () => {
    // x86 options, same steps: the first arm64 label is worded differently or leads elsewhere
    const x86 = designByName('x86');
    const outcome = replayTrace({ ...trace, design: { name: 'x86', options: x86, hash: designHash(x86) } });
    expect(outcome.status).toBe('diverged');
  });
});
