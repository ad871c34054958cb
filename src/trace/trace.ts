/**
 * Counterexample traces: the file format (`apfcheck-trace/2`), its schema,
 * state digests and the one-line summary of what each step changed.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { combinationProblem, DESIGNS, DesignSchema, withAsyncPfSync, type DesignOptions } from '../../machines/design.js';
import { applyMutants, BugDefinitionSchema, definitionOf, MUTANTS, mutantById, type Bug, type BugDefinition, type Mutant } from '../../machines/mutants.js';
import { ScopeSchema } from '../../machines/scope.js';
import type { PropertyId } from '../../properties/index.js';
import { PROPERTIES } from '../../properties/index.js';
import { TraceFormatError, UsageError } from '../errors.js';
import { VERSION } from '../version.js';
import { validateScope } from '../system/scope.js';
import { canonicalJson } from '../system/canonical-json.js';
import { formatToken, placementOf, placementsOf, stateKey, type Step, type SystemConfig, type SystemState } from '../system/system.js';

export { TraceFormatError } from '../errors.js';

/**
 * The trace format. /2 names each step by its kind, vCPU and argument (its
 * label is for reading, and may be reworded); /1 named steps by their label.
 */
export const TRACE_FORMAT = 'apfcheck-trace/2';

export interface TraceStep {
  /** what the step is: its identity, with which replay finds it again */
  readonly kind: string;
  readonly vcpu: number;
  readonly arg: number | string;
  /** how it reads */
  readonly label: string;
  readonly actor: string;
  /** what the step changed, in one line */
  readonly summary: string;
  /** digest of the state after the step */
  readonly digest: string;
}

export interface Trace {
  readonly format: typeof TRACE_FORMAT;
  /** the apfcheck that wrote it (`apfcheck VERSION`); absent in traces written before it was recorded */
  readonly writtenBy?: string;
  readonly design: { readonly name: string; readonly options: DesignOptions; readonly hash: string };
  readonly scope: SystemConfig['scope'];
  /** how many tasks each vCPU runs: which of the initial states (placementsOf) the trace starts from */
  readonly placement: readonly number[];
  readonly bugs: readonly string[];
  /**
   * The bugs of `bugs` the catalogue cannot vouch for: defined in a design file, or catalogued but applied to a
   * design file (whose name is not the bug's base design). With them the trace needs no file.
   */
  readonly bugDefinitions?: readonly BugDefinition[];
  readonly mode: 'random' | 'exhaustive';
  readonly seed: number | null;
  readonly initialDigest: string;
  readonly steps: readonly TraceStep[];
  /**
   * A lasso (a fair cycle, liveness): the steps from this index on form a
   * cycle, returning to the state after step `cycleStart` (the initial state
   * if 0), and repeat forever.
   */
  readonly cycleStart?: number;
  /** the properties the check judged, when it judged fewer than all (`--property`, `--safety-only`): replay judges these */
  readonly properties?: readonly PropertyId[];
  readonly violation: { readonly property: PropertyId; readonly message: string } | null;
}

/** 16 hex digits of SHA-256: stable across machines and Node versions. */
function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Digest of a state (its canonical key: the order of its objects' keys cannot change it). */
export function digestOf(state: SystemState): string {
  return shortHash(stateKey(state));
}

/** Hash of design options, independent of key order. */
export function designHash(options: DesignOptions): string {
  return shortHash(canonicalJson(options));
}

const propertyIds = PROPERTIES.map((p) => p.id) as [PropertyId, ...PropertyId[]];

const hex16 = z.string().regex(/^[0-9a-f]{16}$/, 'expected 16 hex digits');

export const traceSchema = z.object({
  format: z.literal(TRACE_FORMAT),
  writtenBy: z.string().max(100).optional(),
  design: z.object({ name: z.string(), options: DesignSchema, hash: hex16 }),
  scope: ScopeSchema,
  placement: z.array(z.number().int().min(0)),
  bugs: z.array(z.string()),
  bugDefinitions: z.array(BugDefinitionSchema).min(1).optional(),
  mode: z.enum(['random', 'exhaustive']),
  seed: z.number().int().nullable(),
  initialDigest: hex16,
  steps: z.array(
    z.object({
      kind: z.string(),
      vcpu: z.number().int(),
      arg: z.union([z.number().int(), z.string()]),
      label: z.string(),
      actor: z.string(),
      summary: z.string(),
      digest: hex16,
    }),
  ),
  cycleStart: z.number().int().min(0).optional(),
  properties: z.array(z.enum(propertyIds)).min(1).optional(),
  violation: z.object({ property: z.enum(propertyIds), message: z.string() }).nullable(),
});

/** Reads and validates a trace file; an unreadable file is a TraceFormatError naming the system's reason. */
export function readTraceFile(file: string): Trace {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new TraceFormatError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseTrace(text, file);
}

/**
 * Whether the catalogue vouches for `bugs` on `design`: each is catalogued, and the design is exactly the built-in
 * design its name starts with (built with ASYNC_PF_SYNC when the name says so) with those bugs applied in order
 * (`applyMutants`). A trace then needs no definitions; otherwise it carries one for every bug.
 */
function catalogueVouches(design: DesignOptions, bugs: readonly string[]): boolean {
  const [baseName, sync] = design.name.split('+');
  const base = DESIGNS.find((d) => d.name === baseName);
  const mutants = bugs.map(mutantById);
  if (bugs.length === 0 || base === undefined || !mutants.every((m) => m?.base === baseName)) return false;
  const built = sync === 'async-pf-sync' ? withAsyncPfSync(base) : base;
  return typeof built !== 'string' && designHash(applyMutants(built, mutants as Mutant[])) === designHash(design);
}

/**
 * The trace's `bugs`, each once, agree with its design: the catalogue vouches for them, or `bugDefinitions` defines
 * every one of them (a catalogued id as the catalogue does), the design's name ends with them, and every option they
 * set has the value the last of them gives it.
 */
function checkBugs(design: DesignOptions, bugs: readonly string[], definitions: readonly BugDefinition[], source: string): void {
  const fail = (field: string, why: string) => new TraceFormatError(`${source}: field '${field}': ${why}`);
  bugs.forEach((id, i) => {
    if (bugs.indexOf(id) !== i) throw fail(`bugs.${i}`, `bug '${id}' is listed twice`);
  });
  if (catalogueVouches(design, bugs)) {
    if (definitions.length > 0) throw fail('bugDefinitions', `the catalogue vouches for these bugs on ${design.name}; definitions are for bugs it cannot vouch for`);
    return;
  }
  definitions.forEach((d, i) => {
    if (!bugs.includes(d.id)) throw fail(`bugDefinitions.${i}`, `'${d.id}' is not one of field 'bugs'`);
    if (definitions.findIndex((e) => e.id === d.id) !== i) throw fail(`bugDefinitions.${i}`, `'${d.id}' is defined twice`);
    const catalogued = mutantById(d.id);
    if (catalogued !== undefined && canonicalJson(definitionOf(catalogued)) !== canonicalJson({ ...d, scope: d.scope ?? {} })) {
      throw fail(`bugDefinitions.${i}`, `'${d.id}' is a catalogued bug, defined otherwise here`);
    }
  });
  if (bugs.length === 0) return;
  bugs.forEach((id, i) => {
    if (definitions.some((d) => d.id === id)) return;
    const mutant = mutantById(id);
    if (mutant === undefined) throw fail(`bugs.${i}`, `unknown bug '${id}' (not catalogued, not in 'bugDefinitions'); the catalogued bugs are ${MUTANTS.map((m) => m.id).join(', ')}`);
    throw fail(`bugs.${i}`, `bug '${id}' is catalogued, but the design is not ${mutant.base} with it applied: its definition belongs in 'bugDefinitions'`);
  });
  if (!design.name.endsWith(`+${bugs.join('+')}`)) throw fail('design.name', `'${design.name}' does not end with the bugs applied (+${bugs.join('+')})`);
  for (const id of bugs) {
    for (const [option, value] of Object.entries(definitions.find((d) => d.id === id)!.options)) {
      const last = [...bugs].reverse().find((b) => option in definitions.find((d) => d.id === b)!.options);
      if (last === id && canonicalJson(design[option as keyof DesignOptions]) !== canonicalJson(value)) {
        throw fail(`design.options.${option}`, `${JSON.stringify(design[option as keyof DesignOptions])}, but bug '${id}' sets it to ${JSON.stringify(value)}`);
      }
    }
  }
}

/** Parses and validates trace text; throws TraceFormatError with a one-line reason. */
export function parseTrace(text: string, source: string): Trace {
  let data: unknown;
  try {
    // a byte-order mark (some editors write one) is not part of the JSON
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new TraceFormatError(`${source}: not JSON (${(error as Error).message}); the file may be truncated`);
  }
  const format = (data as { format?: unknown } | null)?.format;
  if (typeof format === 'string' && format !== TRACE_FORMAT) {
    const why = format === 'apfcheck-trace/1' ? ' (it names steps by their label text; regenerate the trace with apfcheck check)' : '';
    throw new TraceFormatError(`${source}: format '${format}' is not supported; this apfcheck reads ${TRACE_FORMAT}${why}`);
  }
  const parsed = traceSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new TraceFormatError(`${source}: field '${field}': ${issue.message}`);
  }
  if (parsed.data.design.name !== parsed.data.design.options.name) {
    throw new TraceFormatError(`${source}: field 'design.name' ('${parsed.data.design.name}') does not match design.options.name`);
  }
  const problem = combinationProblem(parsed.data.design.options);
  // a trace written before a rule existed is refused too: its design was never one the model expresses
  if (problem !== undefined) throw new TraceFormatError(`${source}: field 'design.options': the model refuses this design's ${problem} (a trace written by an apfcheck before this rule cannot be replayed)`);
  const { cycleStart, steps, placement, scope } = parsed.data;
  try {
    // the command line's cross-field rules: switches that need one another, switches the design does not model
    validateScope(scope, parsed.data.design.options);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    throw new TraceFormatError(`${source}: field 'scope': ${error.message}`);
  }
  const placements = placementsOf(scope);
  if (!placements.some((p) => p.join() === placement.join())) {
    throw new TraceFormatError(`${source}: field 'placement' ([${placement.join(',')}]) is not a placement of ${scope.tasks} tasks on ${scope.vcpus} vCPUs: one of ${placements.map((p) => `[${p.join(',')}]`).join(' ')}`);
  }
  if (cycleStart !== undefined && (cycleStart >= steps.length || steps.at(-1)!.digest !== (cycleStart === 0 ? parsed.data.initialDigest : steps[cycleStart - 1]!.digest))) {
    throw new TraceFormatError(`${source}: field 'cycleStart' (${cycleStart}) does not start a cycle: the last step must return to the state after step ${cycleStart}`);
  }
  if (parsed.data.design.hash !== designHash(parsed.data.design.options)) {
    throw new TraceFormatError(`${source}: field 'design.hash' does not match design.options (the file was edited)`);
  }
  if (parsed.data.violation !== null && steps.length === 0) {
    throw new TraceFormatError(`${source}: field 'steps': a recorded violation needs at least one step (the initial state breaks no property)`);
  }
  checkBugs(parsed.data.design.options, parsed.data.bugs, parsed.data.bugDefinitions ?? [], source);
  const { properties, violation } = parsed.data;
  if (properties !== undefined && violation !== null && !properties.includes(violation.property)) {
    throw new TraceFormatError(`${source}: field 'violation.property' ('${violation.property}') is not one of the properties the check judged (field 'properties')`);
  }
  return parsed.data as Trace;
}

// ---------------------------------------------------------------------------
// What changed in a step

function describeTasks(state: SystemState, v: number): string[] {
  return state.guests[v]!.context.tasks.map((t) => t.status);
}

/** One line naming what a step changed: slot contents, events raised, task states, queue/done sizes. */
export function describeChange(before: SystemState, after: SystemState): string {
  const parts: string[] = [];
  after.hosts.forEach((h, v) => {
    const was = before.hosts[v]!.context;
    const now = h.context;
    const tag = after.hosts.length > 1 ? `v${v} ` : '';
    if (now.area.reason !== was.area.reason) parts.push(`${tag}reason=${now.area.reason}`);
    if (now.area.token !== was.area.token) parts.push(`${tag}token=${now.area.token === 0 ? '0' : formatToken(now.area.token)}`);
    if (JSON.stringify(now.exception) !== JSON.stringify(was.exception)) {
      parts.push(now.exception === null ? `${tag}exception taken` : `${tag}${now.exception.kind} exception queued (${formatToken(now.exception.token)})`);
    }
    if (now.irq !== was.irq) parts.push(`${tag}irq ${now.irq ? 'raised' : 'taken'}`);
    if (now.sdei !== was.sdei) parts.push(now.sdei === null ? `${tag}sdei taken` : `${tag}sdei raised (${formatToken(now.sdei)})`);
    if (now.items.length !== was.items.length || now.done.length !== was.done.length) {
      parts.push(`${tag}queued=${now.items.length} done=${now.done.length}`);
    }
    if (now.pageReadyPending !== was.pageReadyPending) parts.push(`${tag}pageready_pending=${now.pageReadyPending ? 1 : 0}`);
    const run = (h.value as { run: string }).run;
    if (run !== (before.hosts[v]!.value as { run: string }).run) parts.push(`${tag}${run === 'apfHalted' ? 'synthetic halt' : 'vcpu runs'}`);
    if (now.msrEnabled !== was.msrEnabled) parts.push(`${tag}APF ${now.msrEnabled ? 'on' : 'off'} (host)`);
    if (now.paging !== was.paging) parts.push(`${tag}CR0.PG=${now.paging ? 1 : 0}`);
    if (now.lapicEnabled !== was.lapicEnabled) parts.push(`${tag}LAPIC ${now.lapicEnabled ? 'enabled' : 'disabled'}`);
    if (now.inL2 !== was.inL2) parts.push(`${tag}${now.inL2 ? 'in L2' : 'in L1'}`);
    if (now.kicked !== was.kicked && now.kicked) parts.push(`${tag}kicked`);
    if (now.ipiInFlight !== was.ipiInFlight && now.ipiInFlight) parts.push(`${tag}kick IPI sent`);
    if (now.readyRequest !== was.readyRequest) parts.push(`${tag}KVM_REQ_APF_READY ${now.readyRequest ? 'set' : 'cleared'}`);
  });
  after.guests.forEach((g, v) => {
    const wasTasks = describeTasks(before, v);
    describeTasks(after, v).forEach((status, local) => {
      if (status !== wasTasks[local]) parts.push(`task${local * after.config.scope.vcpus + v} ${status}`);
    });
    g.context.tasks.forEach((task, local) => {
      if (task.pfaultWait !== before.guests[v]!.context.tasks[local]!.pfaultWait) parts.push(`task${local * after.config.scope.vcpus + v} pfault_wait=${task.pfaultWait}`);
    });
    const exec = g.value as string;
    if (exec !== (before.guests[v]!.value as string) && exec !== 'panicked') parts.push(`cpu${v} ${exec}`);
    if (g.context.panic !== null && before.guests[v]!.context.panic === null) parts.push(`cpu${v} PANIC (${g.context.panic})`);
  });
  after.resident.forEach((r, p) => {
    if (r !== before.resident[p]) parts.push(`page${p} ${r ? 'in' : 'out'}`);
  });
  const floating = after.vm.context.floating.length;
  if (floating !== before.vm.context.floating.length) parts.push(`floating=${floating}`);
  return parts.length > 0 ? parts.join(', ') : '-';
}

/** For a lasso (a fair cycle), the sentence saying which of its `steps` steps repeat from `cycleStart` on; undefined otherwise. */
export function describeCycle(cycleStart: number | undefined, steps: number): string | undefined {
  if (cycleStart === undefined) return undefined;
  const from = cycleStart === 0 ? 'the initial state' : `the state after step ${cycleStart}`;
  return `steps ${cycleStart + 1}-${steps} form a fair cycle: they return to ${from} and can repeat forever`;
}

/** Builds a trace from a path of steps and the states it went through. */
export function buildTrace(
  config: SystemConfig,
  meta: { readonly bugs: readonly Bug[]; readonly mode: Trace['mode']; readonly seed: number | null; readonly cycleStart?: number; readonly properties?: readonly PropertyId[] },
  steps: readonly Step[],
  states: readonly SystemState[],
  violation: Trace['violation'],
): Trace {
  const ids = meta.bugs.map((b) => b.id);
  const definitions = catalogueVouches(config.design, ids) ? [] : meta.bugs.map(definitionOf);
  return {
    format: TRACE_FORMAT,
    writtenBy: `apfcheck ${VERSION}`,
    design: { name: config.design.name, options: config.design, hash: designHash(config.design) },
    scope: config.scope,
    placement: placementOf(states[0]!),
    bugs: ids,
    ...(definitions.length === 0 ? {} : { bugDefinitions: definitions }),
    mode: meta.mode,
    seed: meta.seed,
    initialDigest: digestOf(states[0]!),
    steps: steps.map((step, i) => ({
      kind: step.kind,
      vcpu: step.vcpu,
      arg: step.arg,
      label: step.label,
      actor: step.actor,
      summary: describeChange(states[i]!, states[i + 1]!),
      digest: digestOf(states[i + 1]!),
    })),
    ...(meta.cycleStart === undefined ? {} : { cycleStart: meta.cycleStart }),
    ...(meta.properties === undefined ? {} : { properties: meta.properties }),
    violation,
  };
}
