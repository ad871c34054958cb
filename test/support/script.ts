/**
 * Drives the composed system by step labels, as a reviewer reads a trace.
 */
import { designByName } from '../../machines/design.js';
import { DEFAULT_SCOPE, type Scope } from '../../machines/scope.js';
import { applyStep, enabledSteps, initialState, placementsOf, type SystemConfig, type SystemState } from '../../src/system/system.js';
import { followSchedule, type Walk } from '../../src/system/walk.js';

/** The placement scripts are written for: tasks dealt round-robin, task i on vCPU i mod vcpus (one each on two vCPUs with two tasks). */
export function roundRobin(scope: Scope): number[] {
  return Array.from({ length: scope.vcpus }, (_, v) => Array.from({ length: scope.tasks }, (_, i) => i).filter((i) => i % scope.vcpus === v).length);
}

export function start(designName: string, scope: Partial<Scope> = {}): SystemState {
  const full = { ...DEFAULT_SCOPE, ...scope };
  return initialState({ design: designByName(designName), scope: full }, roundRobin(full));
}

/** Applies the enabled step with exactly this label; fails listing the enabled ones if there is none. */
export function play(state: SystemState, label: string): SystemState {
  const steps = enabledSteps(state);
  const found = steps.find((s) => s.label === label);
  if (found === undefined) {
    throw new Error(`step '${label}' is not enabled; enabled: ${steps.map((s) => s.label).join(' | ')}`);
  }
  return applyStep(state, found);
}

export const hostOf = (state: SystemState, v = 0) => state.hosts[v]!;
export const guestOf = (state: SystemState, v = 0) => state.guests[v]!;
export const taskStatuses = (state: SystemState, v = 0) => guestOf(state, v).context.tasks.map((t) => t.status);
export const tokenView = (state: SystemState, token: number) => state.tokens.find((t) => t.context.token === token)?.value;

/** A random walk from any placement: the schedule's first number picks the placement (placementsOf), the rest the steps. */
export function followAnyPlacement(config: SystemConfig, schedule: readonly number[]): Walk {
  const placements = placementsOf(config.scope);
  return followSchedule(config, schedule.slice(1), placements[(schedule[0] ?? 0) % placements.length]);
}
