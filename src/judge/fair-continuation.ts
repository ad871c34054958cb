/**
 * Fair continuations, for the liveness properties judged on a single state
 * (random mode, replay): from a state, the environment stops disturbing the
 * guest and only lets what is pending finish (the fair steps, `isFairStep`).
 * A goal unreachable this way is one the guest can never reach without
 * outside help. A lasso (a path that ends in a cycle) is judged by the same
 * rules the exhaustive search's fair-cycle pass uses.
 */
import { guestDied } from '../../properties/observe.js';
import type { LivenessProperty } from '../../properties/types.js';
import { internedKey, isFairStep, sameState, successors, type Step, type SystemState } from '../system/system.js';

/** Default bound on the states a fair-continuation search visits. */
export const DEFAULT_FAIR_BUDGET = 20_000;

export type Reachability = 'reachable' | 'unreachable' | 'unknown';

/**
 * Whether a state satisfying `goal` is reachable from `start` by fair steps.
 * 'unknown' when the budget runs out first, or when a fair continuation kills
 * the guest: that is a safety violation, which the search reports as such.
 */
export function fairlyReachable(start: SystemState, goal: (s: SystemState) => boolean, budget = DEFAULT_FAIR_BUDGET): Reachability {
  if (goal(start)) return 'reachable';
  const seen = new Set<string>([internedKey(start)]);
  let frontier = [start];
  let deathSeen = false;
  while (frontier.length > 0) {
    const next: SystemState[] = [];
    for (const state of frontier) {
      for (const { step, next: successor } of successors(state)) {
        if (!isFairStep(step)) continue;
        if (goal(successor)) return 'reachable';
        if (guestDied(successor)) {
          deathSeen = true;
          continue;
        }
        const key = internedKey(successor);
        if (seen.has(key)) continue;
        if (seen.size >= budget) return 'unknown';
        seen.add(key);
        next.push(successor);
      }
    }
    frontier = next;
  }
  return deathSeen ? 'unknown' : 'unreachable';
}

/**
 * The violation message if the lasso whose states are `states` (the initial
 * state, then one per step of `steps`) postpones a goal of `property`
 * forever: from `cycleStart` on the steps return to the state they left,
 * every one of them is fair, the guest stays alive, the goal stays pending
 * on the whole cycle, and every fair step enabled in all of the cycle's
 * states is taken in it (weak fairness per step: a cycle that keeps a step
 * waiting forever is not a run a fair environment produces).
 */
export function fairCycleViolation(property: LivenessProperty, states: readonly SystemState[], steps: readonly Step[], cycleStart: number): string | undefined {
  const cycle = states.slice(cycleStart, -1);
  const cycleSteps = steps.slice(cycleStart);
  if (cycle.length === 0 || !sameState(states.at(-1)!, states[cycleStart]!)) return undefined;
  if (!cycleSteps.every(isFairStep) || cycle.some(guestDied)) return undefined;
  const taken = new Set(cycleSteps.map((s) => s.label));
  const enabled = cycle.map((state) => new Set(successors(state).flatMap((s) => (isFairStep(s.step) ? [s.step.label] : []))));
  if ([...enabled[0]!].some((label) => enabled.every((labels) => labels.has(label)) && !taken.has(label))) return undefined;
  const goal = property.goals(states[0]!.config).find((g) => cycle.every((state) => g.pending(state) && !g.reached(state)));
  return goal?.explainCycle(states[cycleStart]!, cycleSteps.length);
}

/**
 * The violation message if some goal of `property` is pending in `state` and
 * no fair continuation reaches it; undefined otherwise (also when the search
 * budget runs out: an unknown is not a violation).
 */
export function livenessViolationAt(property: LivenessProperty, state: SystemState, budget = DEFAULT_FAIR_BUDGET): string | undefined {
  if (guestDied(state)) return undefined;
  for (const goal of property.goals(state.config)) {
    if (goal.pending(state) && fairlyReachable(state, goal.reached, budget) === 'unreachable') return goal.explain(state);
  }
  return undefined;
}
