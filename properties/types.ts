/**
 * What a property is: a stable id users type, a doc in kernel terms, and a
 * check. Safety properties judge one state (and the step into it); liveness
 * properties judge what can still happen from a state.
 */
import type { SystemState } from '../src/system/system.js';

export type PropertyId =
  | 'no-lost-wakeup'
  | 'no-double-injection'
  | 'no-stuck-guest'
  | 'no-orphan-page-ready'
  | 'single-slot'
  | 'injection-context'
  | 'bounded-outstanding'
  | 'token-unique'
  | 'work-lifetime'
  | 'no-stale-write'
  | 'guest-atomicity';

interface PropertyBase {
  readonly id: PropertyId;
  /** reference §6 label (S1..S9, L1..L3) */
  readonly label: string;
  /** one line for `apfcheck list properties` */
  readonly summary: string;
}

export interface SafetyProperty extends PropertyBase {
  readonly kind: 'safety';
  /** the check reads `previous` too, so it must be run on every transition, not only on each new state */
  readonly judgesSteps?: true;
  /** The violation message if `state` (reached from `previous`, if any) breaks the property. */
  check(state: SystemState, previous?: SystemState): string | undefined;
}

export interface LivenessProperty extends PropertyBase {
  readonly kind: 'liveness';
  /**
   * The violation message if, from `state`, no fair continuation makes the
   * progress the property asks for; undefined when progress is reachable or
   * the search budget ran out (see `ProgressVerdict`).
   */
  check(state: SystemState, budget?: number): string | undefined;
}

export type Property = SafetyProperty | LivenessProperty;
