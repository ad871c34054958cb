/**
 * Run files (`check --config FILE`): what a CI job commits next to its design.
 * `{"format": "apfcheck-run/1", "designs": [...], "scope": {...}, "mode", ...}`:
 * every field is a `check` flag (camelCase), `designs` names built-in designs
 * or design files (relative to the run file), `scope` holds the sizes and
 * switches. A flag typed on the command line overrides the file's value.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ScopeSchema } from '../../machines/scope.js';
import { PROPERTIES, type PropertyId } from '../../properties/index.js';
import { designRef } from '../design/design-file.js';
import { describeJsonIssue, readJsonFile, type FieldsAt } from '../design/json-file.js';
import { UsageError } from '../errors.js';
import type { CheckFlags } from './check-command.js';
import { BudgetSchema } from '../check/request-options.js';

export const RUN_FORMAT = 'apfcheck-run/1';


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
    ...BudgetSchema.shape,
    shard: z.string().regex(/^\d+\/\d+$/, 'a shard is i/n, e.g. "1/4"').optional(),
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
  if (run.all === true && run.designs !== undefined) throw new UsageError(`${shown}: fields 'all' and 'designs' both say which designs to check: give one of them`);
  const here = (path: string) => resolve(dirname(file), path);
  // a design file's path made absolute, so the check finds it wherever it runs
  const refs = (run.designs ?? []).map((ref, i) => designRef(ref, dirname(file), `${shown}: field 'designs.${i}'`));
  const designs = refs.map((ref) => (ref.kind === 'file' ? ref.path : ref.design.name));
  const text = (value: unknown) => (typeof value === 'number' ? String(value) : value);
  const flags: Partial<Record<keyof CheckFlags, unknown>> = {
    ...(refs.length === 1 ? (refs[0]!.kind === 'file' ? { designFile: designs[0] } : { design: designs[0] }) : {}),
    ...(designs.length > 1 ? { designs } : {}),
    all: run.all,
    bug: run.bugs,
    asyncPfSync: run.asyncPfSync,
    // the scope's sizes and switches carry the names of their flags
    ...Object.fromEntries(Object.entries(run.scope ?? {}).map(([key, value]) => [key, text(value)])),
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
    // a run file is a CI gate: any violation fails it, unless it says "strict": false
    strict: run.strict ?? true,
  };
  return Object.fromEntries(Object.entries(flags).filter(([, value]) => value !== undefined && value !== false));
}

/**
 * Run-file fields that go together: a flag typed for one member replaces the file's whole group, so a value the user
 * did not type never contradicts one they did (a typed design drops the file's designs, their bugs and trace paths;
 * a typed property list or --safety-only the other; a typed mode what only the other mode takes, ONLY_FOR).
 */
const GROUPS: readonly { readonly typed: readonly (keyof CheckFlags)[]; readonly drops: readonly (keyof CheckFlags)[] }[] = [
  { typed: ['design', 'designFile', 'all'], drops: ['design', 'designFile', 'designs', 'all', 'bug', 'asyncPfSync', 'traceOut', 'traceDir'] },
  { typed: ['property', 'safetyOnly'], drops: ['property', 'safetyOnly'] },
];

/** What only the other mode takes: a typed --mode drops it from the file. */
const ONLY_FOR: Record<CheckFlags['mode'], readonly (keyof CheckFlags)[]> = { random: ['shard'], exhaustive: ['maxStates', 'maxSeconds', 'symmetry', 'workers'] };

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
  const dropped = new Set([...GROUPS.filter((g) => g.typed.some(typed)).flatMap((g) => g.drops), ...(typed('mode') ? ONLY_FOR[flags.mode === 'random' ? 'exhaustive' : 'random'] : [])]);
  const kept = Object.entries(fromFile).filter(([key]) => !typed(key as keyof CheckFlags) && !dropped.has(key as keyof CheckFlags));
  return { ...flags, ...Object.fromEntries(kept) } as CheckFlags;
}
