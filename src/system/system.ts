/**
 * The composed system: N host vCPUs, N guest CPUs, the token observers of the
 * outstanding faults, P pages and their swap state (reference §1, §7).
 *
 * A step is one atomic action of §7: an environment event (a task touches a
 * page, the host reclaims a page, a worker completes, the guest switches task
 * or changes its CPU context, APF disable/enable, vCPU reset, SMI paging
 * toggle, LAPIC toggle, L2 entry/exit) or the delivery of a pending event.
 * Everything here is pure: `applyStep` returns a new state and never mutates.
 */
import type { DesignOptions } from '../../machines/design.js';
import type { GuestContext, GuestEffect, GuestEvent } from '../../machines/guest.js';
import { WAKE_ALL, type GuestView, type HostContext, type HostEffect, type HostEvent } from '../../machines/host.js';
import type { TokenContext, TokenEvent, TokenInput } from '../../machines/token.js';
import { ModelError } from '../errors.js';
import { canonicalJson } from './canonical-json.js';
import { machineInputs, machinesOf, type DesignMachines, type MachineKind } from './machines.js';
import {
  formatToken,
  freshToken,
  globalTask,
  guestExec,
  hostRun,
  machineTokens,
  tasksOn,
  tokenOrder,
  type ComponentState,
  type SystemConfig,
  type SystemState,
} from './state.js';

export type { ComponentState, SystemConfig, SystemState } from './state.js';
export { formatToken, globalTask, tasksOn, tokenOrder } from './state.js';
export { machineInputs, machinesOf, type DesignMachines, type MachineKind } from './machines.js';

/** Who acts in a step (for traces: one column per actor). */
export type Actor = `host${number}` | `guest${number}` | `worker${number}` | 'swap';

export type StepKind =
  | 'touch'
  | 'delivery-fault'
  | 'swap-out'
  | 'worker-done'
  | 'worker-return'
  | 'store-drain'
  | 'worker-drain'
  | 'enter-guest'
  | 'take-exception'
  | 'take-irq'
  | 'take-sdei'
  | 'leave-vectors'
  | 'kernel-entry-done'
  | 'notify-resume'
  | 'l1-handle-fault'
  | 'l1-migrate'
  | 'l1-remote-fault'
  | 'dummy-alloc'
  | 'ack'
  | 'schedule'
  | 'guest-context'
  | 'platform'
  | 'vcpu-reset';

export interface Step {
  readonly kind: StepKind;
  readonly vcpu: number;
  /** page, task, token or event name: what the kind needs */
  readonly arg: number | string;
  /** stable printable label, unique among a state's enabled steps */
  readonly label: string;
  readonly actor: Actor;
}

/**
 * What one step did to the machine instances, in the order the machines
 * took the events (an event is logged before the ones its effects cause):
 * for replaying a trace through live actors (`apfcheck inspect`) and drawing
 * it (`apfcheck report`). Host and guest instances are numbered by vCPU,
 * token observers by token.
 */
export type ComponentRecord =
  | {
      readonly kind: 'event';
      readonly machine: MachineKind;
      readonly instance: number;
      readonly event: HostEvent | GuestEvent | TokenEvent;
      readonly from: ComponentState<unknown>;
      readonly next: ComponentState<unknown>;
    }
  | { readonly kind: 'start'; readonly machine: 'token'; readonly instance: number; readonly input: TokenInput }
  | { readonly kind: 'stop'; readonly machine: 'token'; readonly instance: number };

export type ComponentLog = (record: ComponentRecord) => void;

/** The initial system: APF enabled on every CPU, the first task of each CPU running in user mode, every page swapped out. */
export function initialState(config: SystemConfig): SystemState {
  const machines = machinesOf(config.design);
  const inputs = machineInputs(config);
  return {
    config,
    hosts: inputs.hosts.map((input) => machines.host.initial(input)),
    guests: inputs.guests.map((input) => machines.guest.initial(input)),
    tokens: [],
    resident: Array.from({ length: config.scope.pages }, () => false),
  };
}

// ---------------------------------------------------------------------------
// Reading the state

/** The guest state KVM reads at an exit. */
export function guestView(g: ComponentState<GuestContext>): GuestView {
  const exec = guestExec(g);
  const inTask = exec === 'running';
  if (exec === 'notifyResume') return { user: true, irqsOn: true, pcInVectors: false };
  if (exec === 'l1ExitPending') return { user: false, irqsOn: true, pcInVectors: false };
  return {
    user: inTask && g.context.user,
    irqsOn: exec === 'idle' || exec === 'apfHalt' || (inTask && g.context.irqsOn),
    pcInVectors: exec === 'vectors',
  };
}

/**
 * The vCPU executes guest code now: not in synthetic halt, not kicked out,
 * not still finishing the ACK exit (a buffered store drains before VM entry,
 * which serialises), guest alive.
 */
function vcpuInGuest(state: SystemState, v: number): boolean {
  const h = state.hosts[v]!;
  return hostRun(h) === 'running' && !h.context.kicked && !h.context.ackStoreBuffered && guestExec(state.guests[v]!) !== 'panicked';
}

// ---------------------------------------------------------------------------
// Enabled steps

function step(kind: StepKind, vcpu: number, arg: number | string, actor: Actor, label: string): Step {
  return { kind, vcpu, arg, actor, label };
}

/**
 * Guest CPU-context events offered while a task runs, each only when it
 * changes something. SMM (paging off), a software-disabled LAPIC and a running
 * L2 are windows the task is not switched out of: the LAPIC and L2 ones are
 * opened by non-preemptible kernel code, an SMI at any point; the accesses
 * made inside stand for the SMM handler's and L2's (machines/README.md, item 6).
 */
function contextSteps(state: SystemState, v: number): Step[] {
  const { scope } = state.config;
  const g = state.guests[v]!.context;
  const h = state.hosts[v]!.context;
  const out: Step[] = [];
  const add = (event: string, what: string) => out.push(step('guest-context', v, event, `guest${v}`, `cpu${v}: ${what}`));
  const addPlatform = (event: string, what: string) => out.push(step('platform', v, event, `guest${v}`, `cpu${v}: ${what}`));
  const inWindow = !h.paging || !h.lapicEnabled || h.inL2;
  if (g.user) add('ENTER_KERNEL', 'syscall (enter kernel)');
  else {
    // user mode always runs with IF=1; IRQs and preemption are switched in the kernel
    if (g.irqsOn) add('IRQ_OFF', 'local_irq_disable');
    else add('IRQ_ON', 'local_irq_enable');
    if (!inWindow) {
      add('RETURN_TO_USER', 'return to user');
      if (g.preemptible) add('PREEMPT_OFF', 'preempt_disable');
      else add('PREEMPT_ON', 'preempt_enable');
    }
  }
  if (scope.hotplug && !inWindow) {
    if (g.apfEnabled) add('CPU_OFFLINE', 'kvm_guest_cpu_offline (APF off, wake all local)');
    else add('CPU_ONLINE', 'kvm_guest_cpu_init (APF on)');
  }
  // LAPIC and L2 windows are opened by non-preemptible kernel code; an SMI arrives whatever the CPU runs
  const canOpen = !g.user && !g.preemptible && !inWindow;
  if (!h.paging) addPlatform('PAGING_ON', 'RSM: CR0.PG=1');
  else if (scope.smm && !inWindow) addPlatform('PAGING_OFF', 'SMI: CR0.PG=0');
  if (!h.lapicEnabled) addPlatform('LAPIC_ENABLE', 'LAPIC enable');
  else if (scope.lapic && canOpen) addPlatform('LAPIC_DISABLE', 'LAPIC software-disable');
  if (h.inL2) addPlatform('L2_EXIT', 'nested VM-exit to L1');
  else if (scope.nested && canOpen) addPlatform('L2_ENTER', 'VM-entry to L2');
  return out;
}

/** x86 exception delivery writes the frame to the guest stack (an EPT violation can hit it); arm64 exception entry only sets registers. */
function deliveryWritesStack(design: DesignOptions): boolean {
  return design.notPresent === 'exception' && !design.exceptionEntryWindow;
}

/** Steps of vCPU `v` that run guest code or deliver an event to it. */
function guestSteps(state: SystemState, v: number): Step[] {
  const { design, scope } = state.config;
  const h = state.hosts[v]!.context;
  const guest = state.guests[v]!;
  const g = guest.context;
  const exec = guestExec(guest);
  const out: Step[] = [];
  if (g.awayWaiter !== null && exec !== 'panicked') {
    // the migrated thread runs on another CPU: whatever this vCPU does, even out of guest mode
    const what = `L1 kvm_handle_page_fault (token ${formatToken(g.awayWaiter.token)}) on another CPU`;
    out.push(step('l1-remote-fault', v, 0, `guest${v}`, `cpu${v}'s L1 thread: ${what}`));
  }
  if (!vcpuInGuest(state, v)) return out;
  const restingExec = exec === 'running' || exec === 'idle' || exec === 'apfHalt';

  // An exception or SDEI event queued by the host is injected at the very entry: no guest instruction runs first.
  if (h.exception !== null) {
    const what = h.exception.kind === 'df' ? '#DF' : h.exception.toL1 ? '#PF VM-exit to L1' : design.exceptionEntryWindow ? 'data abort' : '#PF';
    const take = step('take-exception', v, 0, `guest${v}`, `cpu${v}: takes ${what} (token ${formatToken(h.exception.token)})`);
    // a #PF VM-exit to L1 pushes no guest frame
    if (!deliveryWritesStack(design) || h.exception.kind === 'df' || h.exception.toL1) return [take];
    // x86 event delivery pushes the exception frame onto the guest stack, which the host may have swapped out
    const faults = state.resident.flatMap((isResident, page) =>
      isResident ? [] : [step('delivery-fault', v, page, `guest${v}`, `cpu${v}: ${what} delivery faults on page${page} (stack)`)],
    );
    return [take, ...faults];
  }
  if (h.sdei !== null && restingExec) {
    return [step('take-sdei', v, 0, `guest${v}`, `cpu${v}: takes SDEI not-present (token ${formatToken(h.sdei)})`)];
  }
  if (h.irq && (restingExec || exec === 'l1ExitPending') && guestView(guest).irqsOn && h.lapicEnabled) {
    out.push(step('take-irq', v, 0, `guest${v}`, `cpu${v}: takes page-ready interrupt`));
  }
  if (exec === 'vectors') out.push(step('leave-vectors', v, 0, `guest${v}`, `cpu${v}: branches out of the vector table`));
  if (exec === 'notifyResume') out.push(step('notify-resume', v, 0, `guest${v}`, `cpu${v}: reschedule IPI, do_notify_resume`));
  if (exec === 'l1ExitPending') {
    out.push(step('l1-handle-fault', v, 0, `guest${v}`, `cpu${v}: L1 kvm_handle_page_fault (token ${formatToken(g.nestedToken!)})`));
    if (scope.migration && g.awayWaiter === null) {
      out.push(step('l1-migrate', v, 0, `guest${v}`, `cpu${v}: L1 vCPU thread preempted, migrates to another CPU`));
    }
  }
  if (exec === 'allocatingDummy') {
    out.push(step('dummy-alloc', v, 0, `guest${v}`, `cpu${v}: dummy allocated, lock retaken, dummy hashed without a second lookup`));
  }
  if (exec === 'kernelEntry') {
    out.push(step('kernel-entry-done', v, 0, `guest${v}`, `cpu${v}: kernel_entry saved ELR_EL1`));
    // kernel_entry stores the registers to the kernel stack, which the host may have swapped out
    state.resident.forEach((isResident, page) => {
      if (!isResident) out.push(step('delivery-fault', v, page, `guest${v}`, `cpu${v}: kernel_entry faults on page${page} (stack)`));
    });
  }
  if (exec === 'acking') {
    const how = design.ack === 'msr' ? 'wrmsr MSR_KVM_ASYNC_PF_ACK' : 'IRQ_ACK hypercall';
    out.push(step('ack', v, 0, `guest${v}`, `cpu${v}: ${how}`));
  }
  const locals = tasksOn(scope, v);
  const preemptible = exec === 'running' && g.irqsOn && g.preemptible;
  if (exec === 'idle' || preemptible) {
    locals.forEach((task, local) => {
      if (g.tasks[local]?.status === 'runnable') {
        out.push(step('schedule', v, local, `guest${v}`, `cpu${v}: schedule() -> task${task}`));
      }
    });
  }
  if (exec === 'running') {
    const task = globalTask(scope, v, g.current);
    state.resident.forEach((isResident, page) => {
      if (!isResident) out.push(step('touch', v, page, `guest${v}`, `cpu${v}: task${task} touches page${page}`));
    });
    out.push(...contextSteps(state, v));
  }
  return out;
}

/** Host-side steps of vCPU `v`: workers, `vcpu_enter_guest`, reset. */
function hostSteps(state: SystemState, v: number): Step[] {
  const { design } = state.config;
  const host = state.hosts[v]!;
  const h = host.context;
  const exec = guestExec(state.guests[v]!);
  const out: Step[] = [];
  for (const item of h.items) {
    if (!item.completed && !item.wakeAll) {
      out.push(step('worker-done', v, item.token, `worker${v}`, `worker ${formatToken(item.token)}: async_pf_execute done (page${item.gfn} in)`));
    }
    if (item.workerRunning) {
      out.push(step('worker-return', v, item.token, `worker${v}`, `worker ${formatToken(item.token)}: async_pf_execute returns`));
    }
  }
  if (h.ackStoreBuffered) {
    out.push(step('store-drain', v, 0, `host${v}`, `vcpu${v}: store buffer drains (pageready_pending=0 visible)`));
  }
  if (h.requestBuffered) {
    out.push(step('worker-drain', v, 0, `worker${v}`, `worker: store buffer drains (KVM_REQ_APF_READY visible)`));
  }
  const halted = hostRun(host) === 'apfHalted';
  const wakesFromHalt = halted && (h.done.length > 0 || h.irq);
  // HLT (and the pre-5.8/RFCv1 halt loop) exits to the host; idle=poll stays in guest mode until kicked
  const idleExits = exec === 'idle' && !state.config.scope.idlePoll;
  const outOfGuest = h.kicked || idleExits || exec === 'apfHalt' || state.config.scope.timerExits;
  const requestDue = h.readyRequest && outOfGuest && !halted;
  const pollDue = design.completionScan === 'every-entry' && h.done.length > 0 && outOfGuest && !halted && exec !== 'panicked';
  if ((h.kicked || wakesFromHalt || requestDue || pollDue) && !h.ackStoreBuffered) {
    out.push(step('enter-guest', v, 0, `host${v}`, `vcpu${v}: vcpu_enter_guest${halted ? ' (leaves synthetic halt)' : ''}`));
  }
  if (state.config.scope.hotplug && !state.guests[v]!.context.apfEnabled) {
    out.push(step('vcpu-reset', v, 0, `host${v}`, `vcpu${v}: INIT (kvm_vcpu_reset)`));
  }
  return out;
}

/** Guest CPU-context and platform events that undo what the environment switched off: a fair continuation takes them. */
const RESTORING_EVENTS = new Set(['IRQ_ON', 'PREEMPT_ON', 'RETURN_TO_USER', 'CPU_ONLINE', 'PAGING_ON', 'LAPIC_ENABLE', 'L2_EXIT']);

/**
 * True for the steps a fair environment keeps taking: it lets what is
 * pending finish (workers complete and return, the vCPU enters the guest,
 * pending events are taken and acknowledged, tasks are scheduled) and undoes
 * what it had switched off (IRQs, preemption, user return, LAPIC, paging,
 * L2, APF); it makes no new fault, reclaim, offline, reset or SMI.
 */
export function isFairStep(step: Step): boolean {
  switch (step.kind) {
    case 'touch':
    case 'delivery-fault':
    case 'swap-out':
    case 'vcpu-reset':
      return false;
    case 'guest-context':
    case 'platform':
      return RESTORING_EVENTS.has(step.arg as string);
    default:
      return true;
  }
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
 * the search engines take them from here instead of applying each step twice.
 */
export function successors(state: SystemState): Successor[] {
  const out: Successor[] = [];
  for (let v = 0; v < state.hosts.length; v++) out.push(...successorsOf(state, v));
  out.push(...successorsOf(state, SWAP));
  return out;
}

/** The source of the swap device's steps in `successorsOf`. */
export const SWAP = -1;

/**
 * The steps one source (a vCPU's guest, host and worker, or `SWAP`) offers
 * in `state`, some of which may change nothing (successorsOf leaves those
 * out).
 *
 * A vCPU's steps change only that vCPU's machines, its token observers and
 * the pages; the swap device's only the pages. A vCPU reads the pages only
 * to offer a touch or a delivery fault on a swapped-out page (pageAwaited),
 * and its steps only ever make pages resident (`fault.sync`, a worker's
 * swap-in): what a vCPU's step does to its machines, and which pages it
 * makes resident, never depends on the other pages. The packed system
 * memoises steps per vCPU share on that (PackedSystem.templateOf;
 * test/packed.test.ts checks it).
 */
export function candidateSteps(state: SystemState, source: number): Step[] {
  if (source !== SWAP) return [...guestSteps(state, source), ...hostSteps(state, source)];
  const candidates: Step[] = [];
  state.resident.forEach((isResident, page) => {
    if (isResident) candidates.push(step('swap-out', -1, page, 'swap', `host reclaims page${page} (swap out)`));
  });
  return candidates;
}

/** The page a step is offered on only while it is swapped out (touches and delivery faults), if any (see candidateSteps). */
export function pageAwaited(s: Step): number | undefined {
  return s.kind === 'touch' || s.kind === 'delivery-fault' ? (s.arg as number) : undefined;
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

// ---------------------------------------------------------------------------
// Applying a step

/** Token-lifecycle host states after which nothing more happens to the work item. */
const FINISHED_HOST_STATES: ReadonlySet<string> = new Set(['acked', 'dropped', 'cancelled']);

/** A mutable working copy of the state for the duration of one step. */
class Draft {
  readonly hosts: ComponentState<HostContext>[];
  readonly guests: ComponentState<GuestContext>[];
  tokens: ComponentState<TokenContext>[];
  readonly resident: boolean[];
  private readonly machines: DesignMachines;

  constructor(
    readonly base: SystemState,
    private readonly log: ComponentLog | undefined,
  ) {
    this.hosts = [...base.hosts];
    this.guests = [...base.guests];
    this.tokens = [...base.tokens];
    this.resident = [...base.resident];
    this.machines = machinesOf(base.config.design);
  }

  get design(): DesignOptions {
    return this.base.config.design;
  }

  host(v: number, event: HostEvent): void {
    const result = this.machines.host.step(this.hosts[v]!, event);
    this.hosts[v] = result.next;
    this.log?.({ kind: 'event', machine: 'host', instance: v, event, from: result.from, next: result.next });
    for (const effect of result.effects) this.onHostEffect(v, effect);
  }

  guest(v: number, event: GuestEvent): void {
    const result = this.machines.guest.step(this.guests[v]!, event);
    this.guests[v] = result.next;
    this.log?.({ kind: 'event', machine: 'guest', instance: v, event, from: result.from, next: result.next });
    for (const effect of result.effects) this.onGuestEffect(v, effect);
  }

  /** Steps the observer of vCPU `v`'s `token` (two vCPUs' tokens can be equal when a design's shift is 0). */
  token(v: number, token: number, event: TokenEvent): void {
    if (token === WAKE_ALL) return;
    const index = this.tokens.findIndex((t) => t.context.token === token && t.context.vcpu === v);
    if (index < 0) throw new ModelError(`no token observer for ${formatToken(token)} (event ${event.type})`);
    const result = this.machines.token.step(this.tokens[index]!, event);
    this.tokens[index] = result.next;
    this.log?.({ kind: 'event', machine: 'token', instance: token, event, from: result.from, next: result.next });
  }

  private onHostEffect(v: number, effect: HostEffect): void {
    switch (effect.type) {
      case 'fault.sync':
        this.resident[effect.gfn] = true;
        return;
      case 'work.queued': {
        const input: TokenInput = { token: effect.token, vcpu: v, gfn: effect.gfn, notified: effect.injected };
        this.log?.({ kind: 'start', machine: 'token', instance: effect.token, input });
        const observer = this.machines.token.initial(input);
        this.tokens = [...this.tokens, observer].sort(tokenOrder);
        return;
      }
      case 'work.dequeued':
        this.token(v, effect.token, { type: 'DEQUEUED', delivered: effect.delivered });
        return;
      case 'work.cancelled':
        for (const token of effect.tokens) {
          this.token(v, token, { type: 'CANCELLED', workerRunning: effect.workerRunning.includes(token) });
        }
        return;
      case 'notPresent.cancelled':
        this.token(v, effect.token, { type: 'NOT_PRESENT_CANCELLED' });
        return;
    }
  }

  private onGuestEffect(v: number, effect: GuestEffect): void {
    switch (effect.type) {
      case 'area.clear':
        this.host(v, { type: 'GUEST_CLEARS_AREA', reason: effect.reason, token: effect.token });
        return;
      case 'notPresent.seen':
        this.token(v, effect.token, { type: 'GUEST_NOT_PRESENT', outcome: effect.outcome });
        return;
      case 'pageReady.seen':
        this.token(v, effect.token, { type: 'GUEST_PAGE_READY', outcome: effect.outcome });
        if (this.design.ack === 'none' && effect.outcome !== 'ignored') this.releaseSlot(v, effect.token);
        return;
      case 'wakeAll.local':
        for (const token of effect.tokens) this.token(v, token, { type: 'GUEST_WOKEN_BY_ALL' });
        return;
      case 'apf.enable':
        this.host(v, { type: 'APF_ENABLE', sendAlways: effect.sendAlways || this.base.config.scope.sendAlways });
        return;
      case 'apf.disable':
        this.host(v, { type: 'APF_DISABLE' });
        return;
      case 'ack':
        this.host(v, { type: 'ACK', guest: guestView(this.guests[v]!) });
        return;
    }
  }

  /** The guest freed the slot that carried `token`'s page-ready. */
  releaseSlot(v: number, token: number): void {
    const observer = this.tokens.find((t) => t.context.token === token && t.context.vcpu === v);
    if (observer !== undefined && (observer.value as { host: string }).host === 'delivered') {
      this.token(v, token, { type: 'SLOT_RELEASED' });
    }
  }

  /** Drops observers whose story is over: host side final, the token referenced nowhere, no worker still on the freed item. */
  collectTokens(): void {
    const referenced = new Map<number, Set<number>>(); // per vCPU, computed once when needed
    this.tokens = this.tokens.filter((t) => {
      if (!FINISHED_HOST_STATES.has((t.value as { host: string }).host) || t.context.freedWhileWorkerRan) return true;
      const v = t.context.vcpu;
      let tokens = referenced.get(v);
      if (tokens === undefined) {
        tokens = machineTokens(this, v);
        referenced.set(v, tokens);
      }
      if (tokens.has(t.context.token)) return true;
      this.log?.({ kind: 'stop', machine: 'token', instance: t.context.token });
      return false;
    });
  }

  freeze(): SystemState {
    return { config: this.base.config, hosts: this.hosts, guests: this.guests, tokens: this.tokens, resident: this.resident };
  }
}

/** Delivers the pending exception of vCPU `v` to its guest. */
function takeException(d: Draft, v: number): void {
  const h = d.hosts[v]!.context;
  const exception = h.exception!;
  d.host(v, { type: 'EXCEPTION_TAKEN' });
  if (exception.kind === 'df') {
    d.guest(v, { type: 'DOUBLE_FAULT' });
    return;
  }
  if (exception.toL1) {
    d.guest(v, { type: 'NESTED_PF_VMEXIT', token: exception.token });
    return;
  }
  d.guest(v, { type: 'ASYNC_EXCEPTION', token: exception.token, reason: h.area.reason });
}

/** Steps that are one event to the vCPU's host machine. */
const HOST_STEPS: Partial<Record<StepKind, Extract<HostEvent, { type: 'STORE_BUFFER_DRAINS' | 'WORKER_STORES_DRAIN' | 'VCPU_RESET' }>['type']>> = {
  'store-drain': 'STORE_BUFFER_DRAINS',
  'worker-drain': 'WORKER_STORES_DRAIN',
  'vcpu-reset': 'VCPU_RESET',
};

/** Steps that are one event to the vCPU's guest machine. */
type PlainGuestEvent = Extract<
  GuestEvent,
  { type: 'LEAVE_VECTORS' | 'KERNEL_ENTRY_DONE' | 'NOTIFY_RESUME' | 'L1_HANDLE_PAGE_FAULT' | 'L1_MIGRATE' | 'L1_REMOTE_HANDLE_PAGE_FAULT' | 'DUMMY_ALLOCATED' }
>['type'];
const GUEST_STEPS: Partial<Record<StepKind, PlainGuestEvent>> = {
  'leave-vectors': 'LEAVE_VECTORS',
  'kernel-entry-done': 'KERNEL_ENTRY_DONE',
  'notify-resume': 'NOTIFY_RESUME',
  'l1-handle-fault': 'L1_HANDLE_PAGE_FAULT',
  'l1-migrate': 'L1_MIGRATE',
  'l1-remote-fault': 'L1_REMOTE_HANDLE_PAGE_FAULT',
  'dummy-alloc': 'DUMMY_ALLOCATED',
};

/** The next state after `step`; `state` is left untouched. `log` hears every event sent to a machine instance. */
export function applyStep(state: SystemState, s: Step, log?: ComponentLog): SystemState {
  const d = new Draft(state, log);
  const v = s.vcpu;
  const hostEvent = HOST_STEPS[s.kind];
  const guestEvent = GUEST_STEPS[s.kind];
  if (hostEvent !== undefined) d.host(v, { type: hostEvent });
  else if (guestEvent !== undefined) d.guest(v, { type: guestEvent });
  else applyComposite(d, s);
  d.collectTokens();
  return d.freeze();
}

/** The steps that involve several machines or read the state first. */
function applyComposite(d: Draft, s: Step): void {
  const v = s.vcpu;
  switch (s.kind) {
    case 'touch':
    case 'delivery-fault':
      d.host(v, { type: 'EPT_VIOLATION', gfn: s.arg as number, token: freshToken(d.base, v), guest: guestView(d.guests[v]!) });
      break;
    case 'swap-out':
      d.resident[s.arg as number] = false;
      break;
    case 'worker-done': {
      const item = d.hosts[v]!.context.items.find((w) => w.token === s.arg)!;
      d.resident[item.gfn] = true;
      d.host(v, { type: 'WORKER_DONE', token: item.token });
      d.token(v, item.token, { type: 'COMPLETED' });
      break;
    }
    case 'worker-return':
      d.host(v, { type: 'WORKER_RETURNED', token: s.arg as number });
      break;
    case 'enter-guest':
      d.host(v, { type: 'ENTER_GUEST', guest: guestView(d.guests[v]!) });
      break;
    case 'take-exception':
      takeException(d, v);
      break;
    case 'take-irq': {
      const area = d.hosts[v]!.context.area;
      d.host(v, { type: 'IRQ_TAKEN' });
      d.guest(v, { type: 'PAGE_READY_IRQ', token: area.token, reason: area.reason });
      break;
    }
    case 'take-sdei': {
      const area = d.hosts[v]!.context.area;
      d.host(v, { type: 'SDEI_TAKEN' });
      d.guest(v, { type: 'SDEI_EVENT', token: area.token, reason: area.reason });
      break;
    }
    case 'ack': {
      const token = d.guests[v]!.context.handling?.token;
      d.guest(v, { type: 'ACK_WRITTEN' });
      if (token !== undefined) d.releaseSlot(v, token);
      break;
    }
    case 'schedule':
      d.guest(v, { type: 'SCHEDULE', task: s.arg as number });
      break;
    case 'guest-context':
      d.guest(v, { type: s.arg as Extract<GuestEvent, { type: 'IRQ_OFF' }>['type'] });
      break;
    case 'platform':
      d.host(v, { type: s.arg as Extract<HostEvent, { type: 'LAPIC_DISABLE' }>['type'] });
      break;
  }
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
  const { host, guest, token } = machinesOf(a.config.design);
  return a.resident.every((r, page) => r === b.resident[page]) && sameComponents(host, a.hosts, b.hosts) && sameComponents(guest, a.guests, b.guests) && sameComponents(token, a.tokens, b.tokens);
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
  const { host, guest, token } = machinesOf(state.config.design);
  let key = '';
  for (const h of state.hosts) key += `${host.idOf(h)},`;
  for (const g of state.guests) key += `${guest.idOf(g)},`;
  for (const t of state.tokens) key += `${token.idOf(t)};`;
  for (const r of state.resident) key += r ? '1' : '0';
  return key;
}

/** Canonical key of a state: equal states give equal keys, whatever order their objects' keys were built in (config excluded: one run has one config). */
export function stateKey(state: SystemState): string {
  const part = (cs: readonly ComponentState<unknown>[]) => cs.map(componentKey).join(',');
  return `${part(state.hosts)}|${part(state.guests)}|${part(state.tokens)}|${state.resident.map((r) => (r ? 1 : 0)).join('')}`;
}
