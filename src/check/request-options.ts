/**
 * What a check may be asked for, shared by the command line and the library
 * (src/index.ts): the ranges of its numbers, design names and bug ids
 * resolved; every error a UsageError naming what it accepts.
 */
import { DESIGNS, designByName, type DesignOptions } from '../../machines/design.js';
import { MUTANTS, mutantById, type Bug, type Mutant } from '../../machines/mutants.js';
import { DEFAULT_SCOPE, type Scope } from '../../machines/scope.js';
import { z } from 'zod';
import { bugsOf, readDesignFile } from '../design/design-file.js';
import { UsageError } from '../errors.js';

/** Ranges of a check's numbers: the `check` flags, run files and the library are checked against the same. */
export const LIMITS = {
  seed: { min: 0, max: 2 ** 31 - 1 },
  runs: { min: 1, max: 10_000_000 },
  depth: { min: 1, max: 10_000 },
  maxStates: { min: 1 },
  maxSeconds: { min: 1 },
  workers: { min: 1, max: 64 },
} as const;

const whole = (limits: { readonly min: number; readonly max?: number }) => {
  const at = z.number().int().min(limits.min);
  return limits.max === undefined ? at : at.max(limits.max);
};

/** A check's numbers as JSON and library options carry them (the command line parses strings with `integer`). */
export const BudgetSchema = z.object({
  seed: whole(LIMITS.seed).optional(),
  runs: whole(LIMITS.runs).optional(),
  depth: whole(LIMITS.depth).optional(),
  maxStates: whole(LIMITS.maxStates).optional(),
  maxSeconds: whole(LIMITS.maxSeconds).optional(),
  workers: whole(LIMITS.workers).optional(),
});

export function design(name: string): DesignOptions {
  try {
    return designByName(name);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/** `--bug` ids, each once. */
export function bugIds(ids: readonly string[]): readonly string[] {
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new UsageError(`bug '${twice}' is given twice; each bug is applied once`);
  return ids;
}

export function mutants(ids: readonly string[]): Mutant[] {
  return ids.map((id) => {
    const found = mutantById(id);
    if (found === undefined) throw new UsageError(`unknown bug '${id}': valid bugs are ${MUTANTS.map((m) => m.id).join(', ')}`);
    return found;
  });
}

/** The design a set of mutants belongs to; they must share one base, and agree with --design if given. */
export function designForMutants(requested: string | undefined, chosen: readonly Mutant[]): DesignOptions {
  const bases = [...new Set(chosen.map((m) => m.base))];
  if (bases.length > 1) throw new UsageError(`bugs ${chosen.map((m) => m.id).join(', ')} belong to different designs (${bases.join(', ')}); combine bugs of one design`);
  const base = bases[0];
  if (requested !== undefined && base !== undefined && requested !== base) {
    throw new UsageError(`bug '${chosen[0]!.id}' is a mutant of design '${base}', not '${requested}'`);
  }
  return design(requested ?? base ?? DESIGNS[0]!.name);
}

/** A built-in design (or the bugs' base design) with catalogued bugs. */
export function builtInWithBugs(name: string | undefined, ids: readonly string[]): { design: DesignOptions; bugs: readonly Bug[] } {
  const bugs = mutants(ids);
  return { design: designForMutants(name, bugs), bugs };
}

/** A design file with bugs it (or a file it extends) defines, or catalogued bugs of its built-in root. */
export function fileWithBugs(path: string, ids: readonly string[]): { design: DesignOptions; bugs: readonly Bug[] } {
  const file = readDesignFile(path);
  return { design: file.design, bugs: bugsOf(file, ids, path) };
}

/** The default scope, then the bugs' smallest scope, then what the user set. */
export function scopeWith(bugs: readonly Bug[], set: Partial<Scope>): Scope {
  return { ...DEFAULT_SCOPE, ...Object.assign({}, ...bugs.map((b) => b.scope)), ...set };
}
