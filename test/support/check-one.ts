/** An exhaustive check of one property (tests of single verdicts). */
import type { DesignOptions } from '../../machines/design.js';
import type { Mutant } from '../../machines/mutants.js';
import { DEFAULT_SCOPE, type Scope } from '../../machines/scope.js';
import { propertyById } from '../../properties/index.js';
import { runCheck, type CheckReport } from '../../src/check/check.js';

export function checkOne(design: DesignOptions, property: string, scope: Partial<Scope> = {}, mutants: readonly Mutant[] = []): CheckReport {
  return runCheck({ design, mutants, scope: { ...DEFAULT_SCOPE, ...scope }, mode: 'exhaustive', seed: 1, runs: 1, depth: 1, properties: [propertyById(property)] });
}
