/**
 * Drives the composed system by step labels, as a reviewer reads a trace.
 */
import { designByName } from '../../machines/design.js';
import { DEFAULT_SCOPE, type Scope } from '../../machines/scope.js';
import { applyStep, enabledSteps, initialState, type SystemState } from '../../src/system/system.js';

export function start(designName: string, scope: Partial<Scope> = {}): SystemState {
  return initialState({ design: designByName(designName), scope: { ...DEFAULT_SCOPE, ...scope } });
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
