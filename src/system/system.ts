/**
 * The composed system: N host vCPUs, N guest CPUs, the token observers of the
 * outstanding faults, P pages and their swap state (reference §1, §7).
 *
 * A step is one atomic action of §7, of a kind the step catalogue
 * (steps/catalogue.ts) describes: an environment event (a task touches a
 * page, the host reclaims a page, a worker completes, the guest switches task
 * or changes its CPU context, APF disable/enable, vCPU reset, SMI paging
 * toggle, LAPIC toggle, L2 entry/exit) or the delivery of a pending event.
 * Everything here is pure: `applyStep` returns a new state and never mutates.
 */
import { ModelError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { Draft, type ComponentLog } from './draft.js';
import { machineInputs, machinesOf } from './machines.js';
import { placementsOf, type ComponentState, type SystemConfig, type SystemState } from './state.js';
import { applyInto, candidateSteps, SWAP } from './steps/catalogue.js';
import type { Step } from './steps/types.js';

export type { ComponentRecord, ComponentLog } from './draft.js';
export { machineInputs, machinesOf, type DesignMachines, type MachineKind } from './machines.js';
export { formatToken, globalTask, guestView, placementOf, placementsOf, tokenOrder, type ComponentState, type SystemConfig, type SystemState } from './state.js';
export { candidateSteps, isFairStep, pageAwaited, SWAP } from './steps/catalogue.js';
export type { Actor, Step } from './steps/types.js';

/**
 * An initial system: `placement[v]` tasks on vCPU v (by default, every task on
 * vCPU 0), APF enabled on every CPU, the first task of each CPU running in
 * user mode, every page swapped out.
 */
export function initialState(config: SystemConfig, placement: readonly number[] = placementsOf(config.scope)[0]!): SystemState {
  if (placement.length !== config.scope.vcpus || placement.reduce((a, b) => a + b, 0) !== config.scope.tasks) {
    throw new ModelError(`placement [${placement.join(',')}] does not put ${config.scope.tasks} tasks on ${config.scope.vcpus} vCPUs`);
  }
  const machines = machinesOf(config.design);
  const inputs = machineInputs(config, placement);
  return {
    config,
    hosts: inputs.hosts.map((input) => machines.host.initial(input)),
    guests: inputs.guests.map((input) => machines.guest.initial(input)),
    tokens: [],
    resident: Array.from({ length: config.scope.pages }, () => false),
    vm: machines.vm.initial(undefined),
  };
}

/** The initial systems: one per placement of the tasks on the vCPUs (placementsOf), in that order. */
export function initialStates(config: SystemConfig): SystemState[] {
  return placementsOf(config.scope).map((placement) => initialState(config, placement));
}

/** Every step possible in `state`, in a stable order; steps that would change nothing are left out. */
export function enabledSteps(state: SystemState): Step[] {
  return successors(state).map((s) => s.step);
}

/** A step possible in a state, with the state it leads to. */
export interface Successor {
  readonly step: Step;
  readonly next: SystemState;
}

/**
 * Every step possible in `state` with its successor, in `enabledSteps` order.
 * Working out which steps change anything already computes the successors, so
 * the searches take them from here instead of applying each step twice.
 */
export function successors(state: SystemState): Successor[] {
  const out: Successor[] = [];
  for (let v = 0; v < state.hosts.length; v++) out.push(...successorsOf(state, v));
  out.push(...successorsOf(state, SWAP));
  return out;
}

/** The steps of one source (see candidateSteps) that change something, with their successors. */
export function successorsOf(state: SystemState, source: number): Successor[] {
  const out: Successor[] = [];
  for (const candidate of candidateSteps(state, source)) {
    const next = applyStep(state, candidate);
    if (!sameState(state, next)) out.push({ step: candidate, next });
  }
  return out;
}

/** The next state after `step`; `state` is left untouched. `log` hears every event sent to a machine instance. */
export function applyStep(state: SystemState, step: Step, log?: ComponentLog): SystemState {
  const d = new Draft(state, log);
  applyInto(d, step);
  d.collectTokens();
  return d.freeze();
}

// ---------------------------------------------------------------------------
// Keys

/** Canonical key of one component state (key order cannot change it), cached by identity: unchanged components are shared between states. */
const componentKeys = new WeakMap<object, string>();
function componentKey(c: ComponentState<unknown>): string {
  let key = componentKeys.get(c);
  if (key === undefined) {
    key = canonicalJson([c.value, c.context]);
    componentKeys.set(c, key);
  }
  return key;
}

/** Whether two states of one config are equal: their components have the same interned ids (ComponentStepper.idOf), the pages the same residency. */
export function sameState(a: SystemState, b: SystemState): boolean {
  const { host, guest, token, vm } = machinesOf(a.config.design);
  return (
    a.resident.every((r, page) => r === b.resident[page]) &&
    sameComponents(host, a.hosts, b.hosts) &&
    sameComponents(guest, a.guests, b.guests) &&
    sameComponents(token, a.tokens, b.tokens) &&
    (a.vm === b.vm || vm.idOf(a.vm) === vm.idOf(b.vm))
  );
}

/** Whether two lists of one machine's states are equal item by item (by interned id). A module function, not a closure: sameState runs for every candidate step. */
function sameComponents<T>(ids: { idOf(c: ComponentState<T>): number }, x: readonly ComponentState<T>[], y: readonly ComponentState<T>[]): boolean {
  return x.length === y.length && x.every((c, i) => c === y[i] || ids.idOf(c) === ids.idOf(y[i]!));
}

/**
 * A key of a state for this process only, from its components' interned ids:
 * equal states give equal keys, far shorter than stateKey's. Never stored
 * (trace digests use stateKey, which is the same on any machine).
 */
export function internedKey(state: SystemState): string {
  const { host, guest, token, vm } = machinesOf(state.config.design);
  let key = `${vm.idOf(state.vm)}|`;
  for (const h of state.hosts) key += `${host.idOf(h)},`;
  for (const g of state.guests) key += `${guest.idOf(g)},`;
  for (const t of state.tokens) key += `${token.idOf(t)};`;
  for (const r of state.resident) key += r ? '1' : '0';
  return key;
}

/** Canonical key of a state: equal states give equal keys, whatever order their objects' keys were built in (config excluded: one run has one config). */
export function stateKey(state: SystemState): string {
  const part = (cs: readonly ComponentState<unknown>[]) => cs.map(componentKey).join(',');
  return `${part(state.hosts)}|${part(state.guests)}|${part(state.tokens)}|${state.resident.map((r) => (r ? 1 : 0)).join('')}|${componentKey(state.vm)}`;
}
