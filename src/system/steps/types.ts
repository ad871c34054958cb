/**
 * What a step is, and how a kind of step describes itself: when it is
 * offered, what it does, whether a fair environment keeps taking it, who
 * acts, and how it reads. Each kind is one `StepEntry`; the catalogue
 * (catalogue.ts) lists them, and nothing else in the system knows a kind by
 * name.
 */
import type { DesignOptions } from '../../../machines/design.js';
import type { GuestContext } from '../../../machines/guest.js';
import type { HostContext } from '../../../machines/host.js';
import type { Scope } from '../../../machines/scope.js';
import type { Draft } from '../draft.js';
import { guestExec, hostRun, vcpuInGuest, type ComponentState, type SystemState } from '../state.js';

/** Who acts in a step (for traces: one column per actor). */
export type Actor = `host${number}` | `guest${number}` | `worker${number}` | 'swap';

/** One atomic action of the composed system (reference §7). */
export interface Step {
  /** its kind: the name of its catalogue entry */
  readonly kind: string;
  /** the vCPU whose machines it starts with (-1: the swap device) */
  readonly vcpu: number;
  /** page, task, token or event name: what the kind needs */
  readonly arg: number | string;
  /** stable printable label, unique among a state's enabled steps */
  readonly label: string;
  readonly actor: Actor;
}

/**
 * Where the guest of a vCPU stands, for the steps that run guest code or
 * deliver an event to it: out of guest mode; an exception, or an SDEI event,
 * the host queued and injects at the very entry, before any guest instruction
 * runs (`kvm_check_and_inject_events`, locks-and-delivery §3); or running.
 */
export type GuestPhase = 'out' | 'exception' | 'sdei' | 'runs';

/** What the step kinds read of one vCPU to decide what they offer. */
export interface VcpuView {
  readonly state: SystemState;
  readonly v: number;
  readonly design: DesignOptions;
  readonly scope: Scope;
  readonly host: ComponentState<HostContext>;
  readonly h: HostContext;
  readonly guest: ComponentState<GuestContext>;
  readonly g: GuestContext;
  /** the guest machine's state (`running`, `idle`, a handler, `panicked`, ...) */
  readonly exec: string;
  /** the host machine's run state (`running`, `apfHalted`) */
  readonly run: string;
  /** the guest rests between handlers: a task runs, it idles, or it waits in the pre-5.8/RFCv1 halt loop */
  readonly resting: boolean;
  readonly phase: GuestPhase;
}

/** The view of vCPU `v` in `state`. */
export function viewOf(state: SystemState, v: number): VcpuView {
  const host = state.hosts[v]!;
  const guest = state.guests[v]!;
  const h = host.context;
  const exec = guestExec(guest);
  const resting = exec === 'running' || exec === 'idle' || exec === 'apfHalt';
  const phase: GuestPhase = !vcpuInGuest(state, v) ? 'out' : h.exception !== null ? 'exception' : h.sdei !== null && resting ? 'sdei' : 'runs';
  return { state, v, design: state.config.design, scope: state.config.scope, host, h, guest, g: guest.context, exec, run: hostRun(host), resting, phase };
}

/**
 * What runs a guest step, for the two rules by which the CPU holds a vCPU's
 * Linux code back (`candidateSteps`): `linux`, Linux instructions (task code,
 * handlers, the scheduler, CPU-hotplug callbacks); `access`, a memory access,
 * Linux's or, inside SMM, the SMM handler's; `delivery`, the CPU delivering an
 * event to Linux; `asynchronous`, what arrives whatever Linux does (an SMI,
 * RSM) or runs on another CPU.
 */
export type GuestSide = 'linux' | 'access' | 'delivery' | 'asynchronous';

/** The vCPU is in SMM: the model's only CR0.PG=0 window is the one an SMI opens (`--smm`, `kvm_post_set_cr0`). */
export const inSmm = (at: VcpuView): boolean => !at.h.paging;

/** One kind of step of a vCPU. */
export interface StepEntry {
  readonly kind: string;
  /** the actor column it belongs to: the vCPU's host side, its guest, or its worker */
  readonly actor: 'host' | 'guest' | 'worker';
  /** the arguments it is offered with now (when): none, or one per page, task, token or event */
  offered(at: VcpuView): readonly (number | string)[];
  /** how the step with `arg` reads */
  label(at: VcpuView, arg: number | string): string;
  /** what it does: the events it sends (the draft routes what they cause) */
  apply(d: Draft, v: number, arg: number | string): void;
  /** a fair environment keeps taking it: it lets what is pending finish, or undoes what the environment switched off */
  fair(arg: number | string): boolean;
  /** the page the step waits on, if it is offered only while that page is swapped out (touches, delivery faults) */
  awaitsPage?(arg: number | string): number;
  /** guest steps: what runs it (see GuestSide) */
  side?(arg: number | string): GuestSide;
  /**
   * An interrupt the CPU takes before Linux's next instruction once it is pending and unmasked (x86: injected at the
   * entry by `kvm_check_and_inject_events`, or at the IRQ-window exit as IF becomes 1; arm64: the vGIC's list register
   * at entry): while it is offered, the vCPU's `linux` and `access` steps wait.
   */
  readonly takenAtOnce?: boolean;
}

/** Pages that are swapped out, in order. */
export function swappedOut(state: SystemState): number[] {
  return state.resident.flatMap((isResident, page) => (isResident ? [] : [page]));
}
