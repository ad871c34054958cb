/**
 * Replays a trace through live XState actors, one per machine instance of the
 * composed system (a host and a guest per vCPU, a token observer per
 * outstanding token), so an inspector sees every machine and every event.
 *
 * The pure system decides which events go where (`applyStep`'s log); the
 * actors receive exactly those events. At the end every actor's snapshot is
 * compared with the pure state: they must agree, since both are XState.
 */
import { createActor, type AnyActorRef, type AnyStateMachine, type InspectionEvent, type Observer } from 'xstate';
import type { ComponentState } from '../system/state.js';
import {
  formatToken,
  machineInputs,
  machinesOf,
  type ComponentRecord,
  type MachineKind,
  type SystemState,
} from '../system/system.js';
import { replayForView, traceConfig } from '../trace/replay.js';
import type { Trace } from '../trace/trace.js';

export interface LiveReplay {
  /** the pure state after the last step */
  readonly final: SystemState;
  /** actors still running at the end, by id (`host[0]`, `guest[1]`, `token[0x1]`) */
  readonly actors: ReadonlyMap<string, AnyActorRef>;
  /** events sent to actors, in order */
  readonly events: number;
  /** where a live actor's snapshot differs from the pure state (empty when they agree) */
  readonly mismatches: readonly string[];
}

/** Actor id of a machine instance: `host[0]`, `guest[1]`, `token[0x1]`. */
export function actorId(machine: MachineKind, instance: number): string {
  return `${machine}[${machine === 'token' ? formatToken(instance) : instance}]`;
}

/**
 * Replays `trace` through live actors that report to `inspect`. Refuses a
 * trace that no longer replays (the same check as `apfcheck replay`).
 */
export function replayThroughActors(trace: Trace, inspect?: Observer<InspectionEvent>): LiveReplay {
  // refuse a diverging trace before any actor reports to the inspector
  replayForView(trace);
  const config = traceConfig(trace);
  const machines = machinesOf(config.design);
  const logicOf: Record<MachineKind, AnyStateMachine> = {
    host: machines.host.machine,
    guest: machines.guest.machine,
    token: machines.token.machine,
    vm: machines.vm.machine,
  };
  const actors = new Map<string, AnyActorRef>();
  const create = (machine: MachineKind, instance: number, input: unknown): AnyActorRef => {
    const id = actorId(machine, instance);
    const actor = createActor(logicOf[machine], { id, input, inspect });
    actors.set(id, actor);
    return actor;
  };
  // every vCPU's actors (and the VM's) announce themselves (`@xstate.actor`) before any starts
  const inputs = machineInputs(config, trace.placement);
  const initial = [...inputs.hosts.map((input, v) => create('host', v, input)), ...inputs.guests.map((input, v) => create('guest', v, input)), create('vm', 0, undefined)];
  for (const actor of initial) actor.start();

  let events = 0;
  const onRecord = (_: number, record: ComponentRecord): void => {
    if (record.kind === 'start') {
      create('token', record.instance, record.input).start();
      return;
    }
    const id = actorId(record.machine, record.instance);
    const actor = actors.get(id)!;
    if (record.kind === 'stop') {
      actor.stop();
      actors.delete(id);
      return;
    }
    actor.send(record.event);
    events += 1;
  };

  const final = replayForView(trace, onRecord).states.at(-1)!;
  return { final, actors, events, mismatches: compareWithPure(final, actors) };
}

/** Where live actors and the pure state disagree. */
function compareWithPure(state: SystemState, actors: ReadonlyMap<string, AnyActorRef>): string[] {
  const expected = new Map<string, ComponentState<unknown>>();
  state.hosts.forEach((h, v) => expected.set(actorId('host', v), h));
  state.guests.forEach((g, v) => expected.set(actorId('guest', v), g));
  for (const t of state.tokens) expected.set(actorId('token', t.context.token), t);
  expected.set(actorId('vm', 0), state.vm);
  const mismatches: string[] = [];
  for (const [id, pure] of expected) {
    const actor = actors.get(id);
    if (actor === undefined) {
      mismatches.push(`${id}: no live actor`);
      continue;
    }
    const snapshot = actor.getSnapshot() as { value: unknown; context: unknown };
    const live = JSON.stringify([snapshot.value, snapshot.context]);
    const want = JSON.stringify([pure.value, pure.context]);
    if (live !== want) mismatches.push(`${id}: live ${live}, pure ${want}`);
  }
  for (const id of actors.keys()) if (!expected.has(id)) mismatches.push(`${id}: live actor with no pure counterpart`);
  return mismatches;
}
