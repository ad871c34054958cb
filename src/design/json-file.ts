/**
 * The user's JSON files (design files, run files): reading one, and one-line
 * errors naming the file, the JSON path and the fix.
 */
import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UsageError } from '../errors.js';

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
export function nearest(name: string, valid: readonly string[]): string | undefined {
  const best = [...valid].sort((x, y) => distance(name, x) - distance(name, y))[0];
  return best !== undefined && distance(name, best) <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

/** "; did you mean 'x'?" for a near valid name, else `otherwise`. */
export function didYouMean(name: string, valid: readonly string[], otherwise = ''): string {
  const hint = nearest(name, valid);
  return hint === undefined ? otherwise : `; did you mean '${hint}'?`;
}

/** What a JSON file's object at a path may hold: its valid field names, and what to call one ("a design option"). */
export type FieldsAt = (path: readonly PropertyKey[]) => { readonly valid: readonly string[]; readonly kind: string };

/** One line for the first problem zod found in a JSON file, with the JSON path and the fix (nearest name, allowed values). */
export function describeJsonIssue(file: string, issue: z.core.$ZodIssue, data: unknown, fieldsAt: FieldsAt): string {
  const at = issue.path.length === 0 ? '(top level)' : issue.path.join('.');
  if (issue.code === 'unrecognized_keys') {
    const parent = issue.path.length === 0 ? '' : `${at}.`;
    const { valid, kind } = fieldsAt(issue.path);
    const key = issue.keys[0]!;
    return `${file}: field '${parent}${key}' is not ${kind}${didYouMean(key, valid, ` (valid: ${valid.join(', ')})`)}`;
  }
  if (issue.code === 'invalid_value') return `${file}: field '${at}' must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, got ${JSON.stringify(valueAt(data, issue.path))}`;
  return `${file}: field '${at}': ${issue.message}`;
}

export function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((o, k) => (o !== null && typeof o === 'object' ? (o as Record<PropertyKey, unknown>)[k] : undefined), data);
}

/** Reads and parses a JSON file the user wrote (`what` names it in errors); a byte-order mark is ignored. */
export function readJsonFile(path: string, shown: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the ${what} ${shown}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new UsageError(`${shown}: not JSON (${(error as Error).message})`);
  }
}
