/**
 * Design files (`check --design-file FILE`): a kernel developer's design as
 * data, `{"format": "apfcheck-design/1", "name", "summary", "extends",
 * "options", "bugs"}`. `extends` names a built-in design or another design
 * file (relative to this one; cycles refused); `options` overrides fields of
 * DesignSchema (the one definition of a design); `bugs` undoes catalogued
 * fixes of the built-in design the chain starts from. Every error is one
 * line naming the file, the JSON path and the fix.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { DESIGNS, DesignSchema, type DesignOptions } from '../../machines/design.js';
import { applyMutants, MUTANTS, mutantById } from '../../machines/mutants.js';
import { UsageError } from '../errors.js';

export const DESIGN_FORMAT = 'apfcheck-design/1';

/** The fields a design file may override: every design option, not the identity fields it sets itself. */
const OptionsSchema = DesignSchema.omit({ name: true, summary: true, section: true }).partial().strict();

const DesignFileSchema = z
  .object({
    format: z.literal(DESIGN_FORMAT),
    name: z.string().min(1),
    summary: z.string().optional(),
    extends: z.string().min(1),
    options: OptionsSchema.optional(),
    bugs: z.array(z.string()).optional(),
  })
  .strict();

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

/** The valid name nearest to `name`, if it is near enough to be a typo. */
function nearest(name: string, valid: readonly string[]): string | undefined {
  const best = [...valid].sort((x, y) => distance(name, x) - distance(name, y))[0];
  return best !== undefined && distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** One line for the first problem zod found, with the path and the fix. */
function describeIssue(file: string, issue: z.core.$ZodIssue, data: unknown): string {
  const at = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.length === 0 ? '' : `${at}.`;
    const valid = issue.path[0] === 'options' ? Object.keys(OptionsSchema.shape) : Object.keys(DesignFileSchema.shape);
    const key = issue.keys[0]!;
    const hint = nearest(key, valid);
    return `${file}: field '${parent}${key}' is not a${issue.path[0] === 'options' ? ' design option' : ' design file field'}${hint === undefined ? ` (valid: ${valid.join(', ')})` : `; did you mean '${hint}'?`}`;
  }
  if (issue.code === 'invalid_value') return `${file}: field '${at}' must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(data, issue.path))}`;
  return `${file}: field '${at}': ${issue.message}`;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), data);
}

/** Reads `file` and what it extends, down to a built-in design: the resolved design, bugs applied. */
export function loadDesignFile(file: string): DesignOptions {
  return load(resolve(file), file, []).design;
}

/** The built-in design the `extends` chain of `file` starts from. */
export function designFileRoot(file: string): string {
  return load(resolve(file), file, []).root;
}

/** A design file resolved, and the built-in design its `extends` chain starts from (whose bugs it may undo). */
function load(path: string, shown: string, chain: readonly string[]): { design: DesignOptions; root: string } {
  if (chain.includes(path)) throw new UsageError(`${shown}: 'extends' makes a cycle: ${[...chain, path].join(' -> ')}`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the design file ${shown}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${shown}: not JSON (${(error as Error).message})`);
  }
  const format = (data as { format?: unknown } | null)?.format;
  if (format !== DESIGN_FORMAT) throw new UsageError(`${shown}: field 'format' must be "${DESIGN_FORMAT}", got ${JSON.stringify(format)}`);
  const parsed = DesignFileSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(describeIssue(shown, parsed.error.issues[0]!, data));
  const spec = parsed.data;

  const builtIn = DESIGNS.find((d) => d.name === spec.extends);
  const looksLikeFile = spec.extends.endsWith('.json') || spec.extends.includes('/');
  if (builtIn === undefined && !looksLikeFile) {
    const hint = nearest(spec.extends, DESIGNS.map((d) => d.name));
    throw new UsageError(`${shown}: field 'extends': no built-in design '${spec.extends}'${hint === undefined ? '' : `; did you mean '${hint}'?`} (or name a design file, e.g. ./base.json)`);
  }
  const { design: base, root } = builtIn === undefined ? load(resolve(dirname(path), spec.extends), spec.extends, [...chain, path]) : { design: builtIn, root: builtIn.name };
  const merged = DesignSchema.safeParse({ ...base, ...spec.options, name: spec.name, summary: spec.summary ?? `${spec.name} (extends ${spec.extends})`, section: base.section });
  if (!merged.success) throw new UsageError(describeIssue(shown, merged.error.issues[0]!, data));
  const bugs = (spec.bugs ?? []).map((id, i) => {
    const mutant = mutantById(id);
    if (mutant === undefined) throw new UsageError(`${shown}: field 'bugs.${i}': unknown bug '${id}'${nearest(id, MUTANTS.map((m) => m.id)) === undefined ? '' : `; did you mean '${nearest(id, MUTANTS.map((m) => m.id))}'?`}`);
    if (mutant.base !== root) throw new UsageError(`${shown}: field 'bugs.${i}': bug '${id}' undoes a fix of ${mutant.base}; this design starts from ${root}`);
    return mutant;
  });
  return { design: bugs.length === 0 ? merged.data : { ...applyMutants(merged.data, bugs), name: spec.name }, root };
}

/**
 * `design` as a complete design file (`export --format design`): every option written out, `extends` the built-in
 * design `root` it comes from; loading the file gives `design` back. The way to start a design of one's own.
 */
export function toDesignFile(design: DesignOptions, root: string): string {
  const { name, summary, section: _section, ...options } = design;
  return `${JSON.stringify({ format: DESIGN_FORMAT, name, summary, extends: root, options }, null, 2)}\n`;
}
