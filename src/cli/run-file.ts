/**
 * Run files (`check --config FILE`): what a CI job commits next to its design.
 * `{"format": "apfcheck-run/1", "designs": [...], "scope": {...}, "mode", ...}`:
 * every field is a `check` flag (camelCase), `designs` names built-in designs
 * or design files (relative to the run file), `scope` holds the sizes and
 * switches. A flag typed on the command line overrides the file's value.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DESIGNS } from '../../machines/design.js';
import { ScopeSchema } from '../../machines/scope.js';
import { PROPERTIES, type PropertyId } from '../../properties/index.js';
import { looksLikeDesignFile } from '../design/design-file.js';
import { describeJsonIssue, nearest, readJsonFile, type FieldsAt } from '../design/json-file.js';
import { UsageError } from '../errors.js';
import type { CheckFlags } from './check-command.js';
import { LIMITS } from './options.js';

export const RUN_FORMAT = 'apfcheck-run/1';

const count = (limits: { readonly min: number; readonly max?: number }) => {
  const at = z.number().int().min(limits.min);
  return limits.max === undefined ? at : at.max(limits.max);
};

const RunFileSchema = z
  .object({
    format: z.literal(RUN_FORMAT),
    summary: z.string().optional().describe('what the run is for (not used)'),
    designs: z.array(z.string().min(1)).min(1).optional().describe('built-in design names or design files, relative to the run file; several are checked like --all'),
    all: z.boolean().optional(),
    bugs: z.array(z.string()).optional(),
    asyncPfSync: z.boolean().optional(),
    scope: ScopeSchema.partial().strict().optional(),
    mode: z.enum(['random', 'exhaustive']).optional(),
    seed: count(LIMITS.seed).optional(),
    runs: count(LIMITS.runs).optional(),
    shard: z.string().optional(),
    depth: count(LIMITS.depth).optional(),
    maxStates: count(LIMITS.maxStates).optional(),
    maxSeconds: count(LIMITS.maxSeconds).optional(),
    workers: count(LIMITS.workers).optional(),
    symmetry: z.boolean().optional(),
    safetyOnly: z.boolean().optional(),
    properties: z.array(z.enum(PROPERTIES.map((p) => p.id) as [PropertyId, ...PropertyId[]])).min(1).optional(),
    traceOut: z.string().min(1).optional(),
    traceDir: z.string().min(1).optional(),
    junit: z.string().min(1).optional(),
    strict: z.boolean().optional(),
  })
  .strict();

type RunFile = z.infer<typeof RunFileSchema>;

const fieldsAt: FieldsAt = (path) =>
  path.at(-1) === 'scope' ? { valid: Object.keys(ScopeSchema.shape), kind: 'a scope field' } : { valid: Object.keys(RunFileSchema.shape), kind: 'a run file field' };

/** A run file's values as `check` flags (numbers as the strings a flag would carry; paths relative to the run file). */
function asFlags(run: RunFile, file: string, shown: string): Partial<Record<keyof CheckFlags, unknown>> {
  const here = (path: string) => resolve(dirname(file), path);
  const designs = (run.designs ?? []).map((ref, i) => {
    if (looksLikeDesignFile(ref)) return here(ref);
    if (DESIGNS.some((d) => d.name === ref)) return ref;
    const hint = nearest(ref, DESIGNS.map((d) => d.name));
    throw new UsageError(`${shown}: field 'designs.${i}': no built-in design '${ref}'${hint === undefined ? '' : `; did you mean '${hint}'?`} (or name a design file, e.g. ./mine.json)`);
  });
  const text = (n: number | undefined) => (n === undefined ? undefined : String(n));
  const scope = run.scope ?? {};
  const flags: Partial<Record<keyof CheckFlags, unknown>> = {
    ...(designs.length === 1 ? (looksLikeDesignFile(run.designs![0]!) ? { designFile: designs[0] } : { design: designs[0] }) : {}),
    ...(designs.length > 1 ? { designs } : {}),
    all: run.all,
    bug: run.bugs,
    asyncPfSync: run.asyncPfSync,
    vcpus: text(scope.vcpus),
    tasks: text(scope.tasks),
    pages: text(scope.pages),
    limit: text(scope.limit),
    sendAlways: scope.sendAlways,
    nested: scope.nested,
    pfVmexit: scope.pfVmexit,
    migration: scope.migration,
    hotplug: scope.hotplug,
    smm: scope.smm,
    lapic: scope.lapic,
    idlePoll: scope.idlePoll,
    timerExits: scope.timerExits,
    mode: run.mode,
    seed: text(run.seed),
    runs: text(run.runs),
    shard: run.shard,
    depth: text(run.depth),
    maxStates: text(run.maxStates),
    maxSeconds: text(run.maxSeconds),
    workers: text(run.workers),
    symmetry: run.symmetry,
    safetyOnly: run.safetyOnly,
    property: run.properties,
    traceOut: run.traceOut === undefined ? undefined : here(run.traceOut),
    traceDir: run.traceDir === undefined ? undefined : here(run.traceDir),
    junit: run.junit === undefined ? undefined : here(run.junit),
    strict: run.strict,
  };
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined && value !== false));
}

/** The flags that name the design(s): one typed on the command line replaces the run file's designs. */
const DESIGN_FLAGS: readonly (keyof CheckFlags)[] = ['design', 'designFile', 'designs', 'all'];

/**
 * `check --config FILE`: the run file's values under the flags typed on the command line (`typed(key)`: the user
 * gave that flag). Defaults of flags the user did not type give way to the file.
 */
export function withRunFile(flags: CheckFlags, typed: (key: keyof CheckFlags) => boolean): CheckFlags {
  const shown = flags.config!;
  const data = readJsonFile(resolve(shown), shown, 'run file');
  const format = (data as { format?: unknown } | null)?.format;
  if (format !== RUN_FORMAT) throw new UsageError(`${shown}: field 'format' must be "${RUN_FORMAT}", got ${JSON.stringify(format)}`);
  const parsed = RunFileSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(describeJsonIssue(shown, parsed.error.issues[0]!, data, fieldsAt));
  const fromFile = asFlags(parsed.data, resolve(shown), shown);
  const designTyped = DESIGN_FLAGS.some(typed);
  const kept = Object.entries(fromFile).filter(([key]) => !typed(key as keyof CheckFlags) && !(designTyped && DESIGN_FLAGS.includes(key as keyof CheckFlags)));
  return { ...flags, ...Object.fromEntries(kept) } as CheckFlags;
}
