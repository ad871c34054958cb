/**
 * Parsing of command-line values into the engine's types; every error is a
 * UsageError naming the option and what it accepts.
 */
import { DESIGNS, designByName, type DesignOptions } from '../../machines/design.js';
import { MUTANTS, mutantById, type Mutant } from '../../machines/mutants.js';
import { UsageError } from '../errors.js';

/** Ranges of the numeric `check` flags; run files (run-file.ts) are checked against the same. */
export const LIMITS = {
  seed: { min: 0, max: 2 ** 31 - 1 },
  runs: { min: 1, max: 10_000_000 },
  depth: { min: 1, max: 10_000 },
  maxStates: { min: 1 },
  maxSeconds: { min: 1 },
  workers: { min: 1, max: 64 },
} as const;

/** A whole-number option value within [min, max] when given (ranges of scope fields are checked by the scope). */
export function integer(name: string, max?: number, min = 0) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new UsageError(`${name} must be a whole number, got '${value}'`);
    const n = Number(value);
    if (n < min || (max !== undefined && n > max)) {
      throw new UsageError(`${name} must be from ${min} to ${max ?? 'any size'}, got ${value}`);
    }
    return n;
  };
}

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
