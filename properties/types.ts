/**
 * What a property is: a stable id users type, a doc in kernel terms, and a
 * check. Safety properties judge one state (and the step into it); liveness
 * properties judge what can still happen from a state.
 */
import type { SystemConfig, SystemState } from '../src/system/system.js';

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
  | 'guest-atomicity'
  | 'no-self-deadlock'
  | 'no-dummy-leak';

interface PropertyBase {
  readonly id: PropertyId;
  /** reference §6 label (S1..S9, L1..L3) */
  readonly label: string;
  /** one line for `apfcheck list properties` */
  readonly summary: string;
}

export interface SafetyProperty extends PropertyBase {
  readonly kind: 'safety';
  /**
   * The check reads `previous` too, so it must be run on every transition,
   * not only on each new state. It must not read the pages: the exhaustive
   * search judges each vCPU's step once per share, for any pages (reading
   * them there is an internal error).
   */
  readonly judgesSteps?: true;
  /**
   * The state breaks the property exactly when one vCPU's share of it (its
   * host machine, guest and token observers) does, whatever the other vCPUs
   * and the pages hold. The exhaustive search then judges each share once,
   * in a state whose other vCPUs are at their initial share and whose pages
   * cannot be read (test/per-vcpu.test.ts checks the claim on random walks of
   * every design).
   */
  readonly perVcpu?: true;
  /**
   * For a property that compares vCPUs (not perVcpu): what it reads of each
   * vCPU's share, so the exhaustive search judges each combination once.
   */
  readonly projection?: Projection;
  /** The violation message if `state` (reached from `previous`, if any) breaks the property. */
  check(state: SystemState, previous?: SystemState): string | undefined;
}

/**
 * What a check reads of vCPU `v`'s share of a state (its host machine, guest
 * machine and token observers; never the pages), as a string: the check gives
 * the same answer on any two states whose vCPUs project alike, one by one.
 * The exhaustive search computes each share's projection once, and the
 * check's answer once per combination of projections
 * (test/projection.test.ts checks every claim on random walks).
 */
export type Projection = (state: SystemState, v: number) => string;

/** One thing a liveness property asks to happen eventually. */
export interface LivenessGoal {
  /** the state is waiting for the progress */
  readonly pending: (state: SystemState) => boolean;
  /** the progress has been made */
  readonly reached: (state: SystemState) => boolean;
  /** why a pending state is a violation, in kernel terms */
  readonly explain: (state: SystemState) => string;
  /** why the pending goal at `state`, entering a fair cycle of `steps` steps that never reaches it, is a violation */
  readonly explainCycle: (state: SystemState, steps: number) => string;
  /** what `pending` and `reached` read of each vCPU */
  readonly projection: Projection;
}

/**
 * A liveness property: every goal that is pending in a state must be reachable
 * from it by a fair continuation (src/judge/fair-continuation.ts). The random
 * mode and replay decide this from a run's last state, the exhaustive mode on
 * the whole graph; both read the same goals.
 */
export interface LivenessProperty extends PropertyBase {
  readonly kind: 'liveness';
  goals(config: SystemConfig): readonly LivenessGoal[];
}

export type Property = SafetyProperty | LivenessProperty;
