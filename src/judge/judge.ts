/**
 * The one judge: whether a state, a step or a path violates the properties
 * of a run. Random search, the minimiser, replay, the exhaustive search (and
 * its worker threads) and the liveness pass all ask it; the exhaustive search
 * asks it about vCPU shares and projections (`forShares`) so that its memos
 * of verdicts are memos of these same answers, never a judge of their own.
 *
 * Safety is checked on every state a path reaches (and, for the properties
 * that judge steps, on every step); liveness on the state it ends in, or, for
 * a lasso, on its cycle (fair-continuation.ts).
 */
import { guestDiedOn } from '../../properties/observe.js';
import type { LivenessGoal, LivenessProperty, PropertyId, SafetyProperty } from '../../properties/types.js';
import type { Step, SystemConfig, SystemState } from '../system/system.js';
import { fairCycleViolation, livenessViolationAt } from './fair-continuation.js';

/** The properties a run checks. */
export interface PropertySet {
  readonly safety: readonly SafetyProperty[];
  readonly liveness: readonly LivenessProperty[];
}

/** A property broken, and why. */
export type Verdict = readonly [property: PropertyId, message: string];

export interface Violation {
  readonly property: PropertyId;
  readonly message: string;
  /** number of steps of the path up to and including the violating state (liveness: the whole path) */
  readonly length: number;
}

/** A path that ends in a cycle: its steps, and how many of them come before the cycle. */
export interface Lasso {
  readonly steps: readonly Step[];
  readonly cycleStart: number;
}

/** One liveness goal of a run, with the property it belongs to. */
export interface Goal {
  readonly property: PropertyId;
  readonly goal: LivenessGoal;
}

/** The first property of `properties` that `state` (reached from `previous`) breaks. */
function firstBroken(properties: readonly SafetyProperty[], state: SystemState, previous?: SystemState): Verdict | undefined {
  for (const property of properties) {
    const message = property.check(state, previous);
    if (message !== undefined) return [property.id, message];
  }
  return undefined;
}

export class Judge {
  /** safety properties that judge a state (not a step) */
  readonly stateProperties: readonly SafetyProperty[];
  /** safety properties that judge a step (they read the state before it) */
  readonly stepProperties: readonly SafetyProperty[];
  /** state properties that break exactly when one vCPU's share does */
  readonly perVcpu: readonly SafetyProperty[];
  /** state properties that compare vCPUs through a projection */
  readonly projected: readonly SafetyProperty[];
  /** state properties judged on the whole state only */
  readonly unprojected: readonly SafetyProperty[];
  private readonly ranks: ReadonlyMap<PropertyId, number>;

  constructor(readonly properties: PropertySet) {
    const { safety } = properties;
    this.stateProperties = safety.filter((p) => p.judgesSteps !== true);
    this.stepProperties = safety.filter((p) => p.judgesSteps === true);
    this.perVcpu = this.stateProperties.filter((p) => p.perVcpu === true);
    this.projected = this.stateProperties.filter((p) => p.perVcpu !== true && p.projection !== undefined);
    this.unprojected = this.stateProperties.filter((p) => p.perVcpu !== true && p.projection === undefined);
    this.ranks = new Map(safety.map((p, i) => [p.id, i]));
  }

  get checksLiveness(): boolean {
    return this.properties.liveness.length > 0;
  }

  /** The position of a property in the run's list: when several break at once, the first is reported. */
  rank(id: PropertyId): number {
    return this.ranks.get(id) ?? this.properties.safety.length;
  }

  /** The first safety violation of `state`, reached from `previous` (the step properties need it). */
  safety(state: SystemState, previous?: SystemState): Verdict | undefined {
    return firstBroken(this.properties.safety, state, previous);
  }

  /** The first violation among the state properties (not the step ones). */
  state(state: SystemState): Verdict | undefined {
    return firstBroken(this.stateProperties, state);
  }

  /** The first violation among the projected state properties (asked once per class of projections). */
  projectedState(state: SystemState): Verdict | undefined {
    return firstBroken(this.projected, state);
  }

  /** The first violation among the state properties that declare neither perVcpu nor a projection. */
  unprojectedState(state: SystemState): Verdict | undefined {
    return firstBroken(this.unprojected, state);
  }

  /** Every liveness goal of the run, in order (one index per goal). */
  goals(config: SystemConfig): Goal[] {
    return this.properties.liveness.flatMap((p) => p.goals(config).map((goal) => ({ property: p.id, goal })));
  }

  /**
   * What the exhaustive search asks about one vCPU's share of a state (its
   * host, guest and token observers), in a state whose pages it may not read
   * (the packed system's ShareJudge): the verdict on a step of that vCPU,
   * whether the share breaks a per-vCPU property, and what the whole-state
   * checks and the liveness goals read of it.
   */
  forShares(config: SystemConfig): {
    step(next: SystemState, previous: SystemState): Verdict | undefined;
    lone(lone: SystemState): boolean;
    projection(lone: SystemState, v: number): string;
  } {
    const projections = [
      ...this.projected.map((p) => p.projection!),
      ...this.goals(config).map(({ goal }) => goal.projection),
      ...(this.checksLiveness ? [(lone: SystemState, v: number) => (guestDiedOn(lone, v) ? 'died' : '')] : []),
    ];
    return {
      step: (next, previous) => firstBroken(this.stepProperties, next, previous),
      lone: (lone) => firstBroken(this.perVcpu, lone) !== undefined,
      projection: (lone, v) => JSON.stringify(projections.map((project) => project(lone, v))),
    };
  }

  /** The first liveness violation at `state`: a pending goal no fair continuation reaches. */
  livenessAt(state: SystemState): Verdict | undefined {
    for (const property of this.properties.liveness) {
      const message = livenessViolationAt(property, state);
      if (message !== undefined) return [property.id, message];
    }
    return undefined;
  }

  /** The first liveness property the lasso's cycle postpones forever. */
  lasso(states: readonly SystemState[], lasso: Lasso): Verdict | undefined {
    for (const property of this.properties.liveness) {
      const message = fairCycleViolation(property, states, lasso.steps, lasso.cycleStart);
      if (message !== undefined) return [property.id, message];
    }
    return undefined;
  }

  /**
   * The first violation along a sequence of states starting at the initial
   * one: safety on every state, liveness on the last one, or, for a lasso, on
   * its cycle.
   */
  path(states: readonly SystemState[], lasso?: Lasso): Violation | undefined {
    for (let i = 0; i < states.length; i++) {
      const found = this.safety(states[i]!, states[i - 1]);
      if (found !== undefined) return { property: found[0], message: found[1], length: i };
    }
    const live = lasso === undefined ? this.livenessAt(states.at(-1)!) : this.lasso(states, lasso);
    return live === undefined ? undefined : { property: live[0], message: live[1], length: states.length - 1 };
  }
}
