/**
 * Design files (`check --design-file FILE`): a kernel developer's design as
 * data, `{"format": "apfcheck-design/1", "name", "summary", "extends",
 * "options", "bugs"}`. `extends` names a built-in design or another design
 * file (relative to this one; cycles refused); `options` overrides fields of
 * DesignSchema (the one definition of a design); a `bugs` entry that is a
 * string undoes a catalogued fix of the built-in design the chain starts
 * from, one that is an object `{id, description, options, scope}` defines a
 * bug of the user's own, which `check --bug ID` applies. Every error is one
 * line naming the file, the JSON path and the fix.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { combinationProblem, DESIGNS, DesignOverrideSchema, DesignSchema, type DesignOptions } from '../../machines/design.js';
import { applyMutants, BugDefinitionSchema, bugFromDefinition, definitionOf, MUTANTS, mutantById, type Bug } from '../../machines/mutants.js';
import { ScopeSchema } from '../../machines/scope.js';
import { UsageError } from '../errors.js';
import { describeJsonIssue, didYouMean, readJsonFile, valueAt } from './json-file.js';

export const DESIGN_FORMAT = 'apfcheck-design/1';

const DesignFileSchema = z
  .object({
    format: z.literal(DESIGN_FORMAT),
    // a design's name heads tables and trace file names, and `NAME+bug` records the bugs applied to it
    name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a design name is letters, digits, dots, dashes and underscores'),
    summary: z.string().optional(),
    extends: z.string().min(1),
    options: DesignOverrideSchema.optional(),
    // a catalogued bug's id (applied), or a bug defined here (BugDefinitionSchema, applied by `--bug`)
    bugs: z
      .array(z.union([z.string(), z.looseObject({})], { error: 'a bug is the id of one to apply (a string) or a bug of your own {"id", "description", "options", "scope"}' }))
      .optional(),
  })
  .strict();

/** A design file resolved: the design, the built-in design its chain starts from, the bugs its chain defines. */
export interface DesignFile {
  readonly design: DesignOptions;
  readonly root: string;
  readonly bugs: readonly Bug[];
}

/** The object at `path` in a design file: what its valid field names are, and what to call one. */
function fieldsAt(path: readonly PropertyKey[]): { valid: readonly string[]; kind: string } {
  const last = path.at(-1);
  if (last === 'options') return { valid: Object.keys(DesignOverrideSchema.shape), kind: 'a design option' };
  if (last === 'scope') return { valid: Object.keys(ScopeSchema.shape), kind: 'a scope field' };
  if (path[0] === 'bugs') return { valid: Object.keys(BugDefinitionSchema.shape), kind: 'a bug field' };
  return { valid: Object.keys(DesignFileSchema.shape), kind: 'a design file field' };
}

/** One line for the first problem zod found in a design file, with the path and the fix. */
const describeIssue = (file: string, issue: z.core.$ZodIssue, data: unknown): string => describeJsonIssue(file, issue, data, fieldsAt);

/**
 * What a design reference (`extends`, a run file's `designs`, `diff`'s arguments) names: a built-in design, or a
 * design file (a path ending in .json, containing a /, or an existing file), relative to `base`. `where` starts the
 * error for neither.
 */
export function designRef(ref: string, base: string, where: string): { kind: 'built-in'; design: DesignOptions } | { kind: 'file'; path: string } {
  const builtIn = DESIGNS.find((d) => d.name === ref);
  if (builtIn !== undefined) return { kind: 'built-in', design: builtIn };
  const path = resolve(base, ref);
  if (ref.endsWith('.json') || ref.includes('/') || existsSync(path)) return { kind: 'file', path };
  throw new UsageError(`${where}: no built-in design '${ref}'${didYouMean(ref, DESIGNS.map((d) => d.name))} (or name a design file, e.g. ./mine.json)`);
}

/** The design a reference names (designRef), loaded. */
export function designByRef(ref: string, base: string, where: string): DesignOptions {
  const found = designRef(ref, base, where);
  return found.kind === 'built-in' ? found.design : loadDesignFile(found.path);
}

/** Reads `file` and what it extends, down to a built-in design: the resolved design (catalogued bugs applied). */
export function loadDesignFile(file: string): DesignOptions {
  return readDesignFile(file).design;
}

/** Reads `file` and what it extends: the design, its built-in root, the bugs the chain defines. */
export function readDesignFile(file: string): DesignFile {
  const loaded = load(resolve(file), file, []);
  // the chain's end result: a file it extends may leave a combination half set that this one completes
  const problem = combinationProblem(loaded.design);
  if (problem !== undefined) throw new UsageError(`${file}: ${problem}`);
  return loaded;
}

/**
 * The bugs `--bug` names on a design file: each one its chain defines, or a catalogued bug of its built-in root
 * (what the file's `bugs` strings undo too).
 */
export function bugsOf(file: DesignFile, ids: readonly string[], shown: string): Bug[] {
  return ids.map((id) => {
    const found = file.bugs.find((b) => b.id === id) ?? MUTANTS.find((m) => m.id === id && m.base === file.root);
    if (found !== undefined) return found;
    const valid = [...file.bugs.map((b) => b.id), ...MUTANTS.filter((m) => m.base === file.root).map((m) => m.id)];
    throw new UsageError(`--bug '${id}' is neither defined in ${shown} nor a catalogued bug of ${file.root}${didYouMean(id, valid, ` (valid: ${valid.join(', ')})`)}`);
  });
}

/** A bug the file's `bugs` applies by id: one a file it extends defines, or a catalogued bug of the chain's built-in root. */
function bugToApply(id: string, at: string, shown: string, root: string, inherited: readonly Bug[]): Bug {
  const own = inherited.find((b) => b.id === id);
  if (own !== undefined) return own;
  const mutant = mutantById(id);
  const valid = [...inherited.map((b) => b.id), ...MUTANTS.map((m) => m.id)];
  if (mutant === undefined) throw new UsageError(`${shown}: field '${at}': unknown bug '${id}'${didYouMean(id, valid)} (or define a bug of your own: {"id", "description", "options", "scope"})`);
  if (mutant.base !== root) throw new UsageError(`${shown}: field '${at}': bug '${id}' undoes a fix of ${mutant.base}; this design starts from ${root}`);
  return mutant;
}

/** A bug the file defines: valid data, an id no catalogued or earlier-defined bug has. */
function definedBug(data: unknown, i: number, shown: string, defined: readonly Bug[]): Bug {
  const at = `bugs.${i}`;
  const parsed = BugDefinitionSchema.safeParse(valueAt(data, ['bugs', i]));
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(describeIssue(shown, { ...issue, path: ['bugs', i, ...issue.path] }, data));
  }
  const { id } = parsed.data;
  if (mutantById(id) !== undefined) throw new UsageError(`${shown}: field '${at}.id': '${id}' is a catalogued bug; give yours another id (or write "${id}" as a string to apply the catalogued one)`);
  if (defined.some((b) => b.id === id)) throw new UsageError(`${shown}: field '${at}.id': bug '${id}' is defined twice in this design's 'extends' chain`);
  return bugFromDefinition(parsed.data);
}

/** A design file resolved: the design, the built-in design its `extends` chain starts from (whose bugs it may undo), the bugs the chain defines. */
function load(path: string, shown: string, chain: readonly string[]): DesignFile {
  if (chain.includes(path)) throw new UsageError(`${shown}: 'extends' makes a cycle: ${[...chain, path].join(' -> ')}`);
  const data = readJsonFile(path, shown, 'design file');
  const format = (data as { format?: unknown } | null)?.format;
  if (format !== DESIGN_FORMAT) throw new UsageError(`${shown}: field 'format' must be "${DESIGN_FORMAT}", got ${JSON.stringify(format)}`);
  const parsed = DesignFileSchema.safeParse(data);
  if (!parsed.success) throw new UsageError(describeIssue(shown, parsed.error.issues[0]!, data));
  const spec = parsed.data;

  const ref = designRef(spec.extends, dirname(path), `${shown}: field 'extends'`);
  const parent: DesignFile = ref.kind === 'file' ? load(ref.path, spec.extends, [...chain, path]) : { design: ref.design, root: ref.design.name, bugs: [] };
  const { design: base, root } = parent;
  const merged = DesignSchema.safeParse({ ...base, ...spec.options, name: spec.name, summary: spec.summary ?? `${spec.name} (extends ${spec.extends})`, section: base.section });
  if (!merged.success) throw new UsageError(describeIssue(shown, merged.error.issues[0]!, data));
  const applied: Bug[] = [];
  const defined: Bug[] = [...parent.bugs];
  (spec.bugs ?? []).forEach((entry, i) => {
    if (typeof entry === 'string') applied.push(bugToApply(entry, `bugs.${i}`, shown, root, parent.bugs));
    else defined.push(definedBug(data, i, shown, defined));
  });
  return { design: applied.length === 0 ? merged.data : { ...applyMutants(merged.data, applied), name: spec.name }, root, bugs: defined };
}

/**
 * `design` as a complete design file (`export --format design`): every option written out, `extends` the built-in
 * design `root` it comes from, the bugs it defines; loading the file gives `design` and `bugs` back. The way to start a
 * design of one's own.
 */
export function toDesignFile(design: DesignOptions, root: string, bugs: readonly Bug[] = []): string {
  const { name, summary, section: _section, ...options } = design;
  return `${JSON.stringify({ format: DESIGN_FORMAT, name, summary, extends: root, options, ...(bugs.length === 0 ? {} : { bugs: bugs.map(definitionOf) }) }, null, 2)}\n`;
}
