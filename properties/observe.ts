/**
 * Read-only views of a system state in the properties' own words.
 */
import { formatToken, globalTask, type SystemState } from '../src/system/system.js';

export interface Waiter {
  readonly vcpu: number;
  /** global task number */
  readonly task: number;
  /** index of the task on its CPU */
  readonly local: number;
  /** the token its sleeper node carries (undefined if the node is gone) */
  readonly token: number | undefined;
  readonly how: 'sleeping' | 'halted';
}

/** Tasks off the run queue in an async-PF wait (sleeping, or halted in the pre-5.8/RFCv1 loop). */
export function waiters(state: SystemState): Waiter[] {
  return state.guests.flatMap((_, vcpu) => waitersOn(state, vcpu));
}

/** The waiters of CPU `vcpu`. */
export function waitersOn(state: SystemState, vcpu: number): Waiter[] {
  const out: Waiter[] = [];
  const guest = state.guests[vcpu]!;
  guest.context.tasks.forEach((task, local) => {
    if (task.status !== 'sleeping' && task.status !== 'halted') return;
    const node = guest.context.nodes.find((n) => n.task === local);
    out.push({ vcpu, task: globalTask(state.config.scope, vcpu, local), local, token: node?.token, how: task.status });
  });
  return out;
}

export function describeWaiter(w: Waiter): string {
  const on = w.token === undefined ? 'with no sleeper node' : `on token ${formatToken(w.token)}`;
  return `task${w.task} (cpu${w.vcpu}) ${w.how === 'halted' ? 'halts' : 'sleeps'} ${on}`;
}

/** The vCPU is in synthetic halt (`apf.halted`). */
export function apfHalted(state: SystemState, vcpu: number): boolean {
  return (state.hosts[vcpu]!.value as { run: string }).run === 'apfHalted';
}

/** A guest died: liveness is left to the safety property that reports the death. */
export function guestDied(state: SystemState): boolean {
  return state.guests.some((_, v) => guestDiedOn(state, v));
}

/** CPU `v`'s guest died (a projection of guestDied, see properties/types.ts). */
export function guestDiedOn(state: SystemState, v: number): boolean {
  return state.guests[v]!.context.panic !== null;
}
