/**
 * Parsing of command-line values; every error is a UsageError naming the
 * option and what it accepts.
 */
import { UsageError } from '../errors.js';

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
