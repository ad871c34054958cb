/**
 * The composed system's state and what can be read off it without stepping
 * it: the machine instances of each vCPU, the token observers, the pages; the
 * tokens still in use; and the symmetries of the model (permutations of
 * interchangeable vCPUs, pages and tasks), applied through each machine's own
 * renaming (machines/renaming.ts), so that no code outside machines/ names a
 * context field to rename it.
 */
import type { StateValue } from 'xstate';
import type { DesignOptions } from '../../machines/design.js';
import { guestTokens, renameGuest, type GuestContext } from '../../machines/guest.js';
import { hostTokens, renameHost, WAKE_ALL, type GuestView, type HostContext } from '../../machines/host.js';
import { NO_RENAMING, permuted, type Renaming } from '../../machines/renaming.js';
import type { Scope } from '../../machines/scope.js';
import { renameToken, type TokenContext } from '../../machines/token.js';
import { renameVm, vmTokens, type VmContext } from '../../machines/vm.js';
import { ModelError, UsageError } from '../errors.js';

/** A machine's snapshot reduced to data: what the system stores and compares. */
export interface ComponentState<TContext> {
  readonly value: StateValue;
  readonly context: TContext;
}

export interface SystemConfig {
  readonly design: DesignOptions;
  readonly scope: Scope;
}

export interface SystemState {
  readonly config: SystemConfig;
  readonly hosts: readonly ComponentState<HostContext>[];
  readonly guests: readonly ComponentState<GuestContext>[];
  /** token observers, in `tokenOrder` */
  readonly tokens: readonly ComponentState<TokenContext>[];
  /** page p (gfn p) is resident in host memory */
  readonly resident: readonly boolean[];
  /** VM-wide interrupt state (s390 floating interrupts) */
  readonly vm: ComponentState<VmContext>;
}

export function formatToken(token: number): string {
  return token === WAKE_ALL ? '~0' : `0x${token.toString(16)}`;
}

/** The order of `SystemState.tokens`: by token, then vCPU (tokens of two vCPUs can be equal when a design's shift is 0). */
export function tokenOrder(a: ComponentState<TokenContext>, b: ComponentState<TokenContext>): number {
  return a.context.token - b.context.token || a.context.vcpu - b.context.vcpu;
}

/**
 * Every placement of the scope's tasks on its vCPUs, up to symmetry: how many
 * tasks each vCPU runs, in decreasing order (vCPUs and tasks are
 * interchangeable, so these are all the placements that behave differently).
 * The first one puts every task on vCPU 0.
 */
export function placementsOf(scope: Scope): number[][] {
  const out: number[][] = [];
  const extend = (prefix: number[], left: number, most: number): void => {
    if (prefix.length === scope.vcpus) {
      if (left === 0) out.push(prefix);
      return;
    }
    for (let n = Math.min(left, most); n >= 0; n--) extend([...prefix, n], left - n, n);
  };
  extend([], scope.tasks, scope.tasks);
  return out;
}

/** How many tasks each vCPU of `state` runs (a task never changes vCPU, so this is the placement it started from). */
export function placementOf(state: Pick<SystemState, 'guests'>): number[] {
  return state.guests.map((g) => g.context.tasks.length);
}

/** Global task number (the task's pid) of local task `local` on `vcpu`: tasks are named local * vcpus + vcpu. */
export function globalTask(scope: Scope, vcpu: number, local: number): number {
  return local * scope.vcpus + vcpu;
}

/** The vCPU a task runs on, and its local number there (globalTask undone). */
export function taskHome(scope: Scope, task: number): { readonly vcpu: number; readonly local: number } {
  return { vcpu: task % scope.vcpus, local: Math.floor(task / scope.vcpus) };
}

/** The host machine's run state (`running` or the synthetic halt `apfHalted`). */
export const hostRun = (h: ComponentState<HostContext>): string => (h.value as { run: string }).run;

/** The guest machine's execution state (`running`, `idle`, a handler, `panicked`, ...). */
export const guestExec = (g: ComponentState<GuestContext>): string => g.value as string;

/**
 * The guest state KVM reads at an exit: CPL, IF, whether the PC is in the arm64 vector table or in `kernel_entry`
 * before ELR_EL1 is saved. arm64's other windows (`syndromeUnread`: ESR_EL1/FAR_EL1 not yet read; `kernelExit`:
 * ELR_EL1/SPSR_EL1 restored for the `eret`) are EL1 code with DAIF masked, whose PC is outside both.
 */
export function guestView(g: ComponentState<GuestContext>): GuestView {
  const exec = guestExec(g);
  const inTask = exec === 'running';
  if (exec === 'notifyResume') return { user: true, irqsOn: true, pcInVectors: false, pcInKernelEntry: false };
  if (exec === 'l1ExitPending') return { user: false, irqsOn: true, pcInVectors: false, pcInKernelEntry: false };
  if (exec === 'cpuhpOffline' || exec === 'reasonRead' || exec === 'bucketLocked' || exec === 'rqLocked' || exec === 'syndromeUnread' || exec === 'kernelExit') {
    return { user: false, irqsOn: false, pcInVectors: false, pcInKernelEntry: false };
  }
  return {
    user: inTask && g.context.user,
    irqsOn: exec === 'idle' || exec === 'apfHalt' || (inTask && g.context.irqsOn),
    pcInVectors: exec === 'vectors',
    pcInKernelEntry: exec === 'kernelEntry',
  };
}

/**
 * The vCPU executes guest code now: not in synthetic halt, not kicked out,
 * not still finishing the ACK exit (a buffered store drains before VM entry,
 * which serialises), guest alive.
 */
export function vcpuInGuest(state: SystemState, v: number): boolean {
  const h = state.hosts[v]!;
  return hostRun(h) === 'running' && !h.context.kicked && !h.context.ackStoreBuffered && guestExec(state.guests[v]!) !== 'panicked';
}

/** Every token of vCPU `v`'s work items the machines still refer to: its host and guest, and the VM's floating interrupts (the observers excluded). */
export function machineTokens(state: Pick<SystemState, 'hosts' | 'guests' | 'vm'>, v: number): Set<number> {
  const used = new Set([...hostTokens(state.hosts[v]!.context), ...guestTokens(state.guests[v]!.context)]);
  for (const { token, vcpu } of vmTokens(state.vm.context)) if (vcpu === v) used.add(token);
  return used;
}

/** Every token value the system still refers to on vCPU `v`: the machines' and the live observers'. */
export function tokensInUse(state: SystemState, v: number): Set<number> {
  const used = machineTokens(state, v);
  for (const t of state.tokens) if (t.context.vcpu === v) used.add(t.context.token);
  return used;
}

/**
 * `alloc_apf_token`: `(id << shift) | vcpu_id`, id never 0 (2022 fix). The
 * model takes the lowest id whose token nothing refers to any more: tokens are
 * only compared for equality, so this is the kernel's counter up to renaming.
 */
export function freshToken(state: SystemState, v: number): number {
  const used = tokensInUse(state, v);
  const shift = state.config.design.tokenShift;
  // ids wrap past 2^(32 - shift) in the u32 token; the design rules keep the model short of that (token-ids in design.ts)
  for (let id = 1; id < 2 ** (32 - shift); id++) {
    const token = ((id << shift) | v) >>> 0;
    if (!used.has(token)) return token;
  }
  throw new ModelError(`vcpu${v} has no free token id under tokenShift ${shift}: ${used.size} tokens in use`);
}

// ---------------------------------------------------------------------------
// Symmetries

/** The state with every component renamed by `r` (and, for vCPUs, moved to their new index by `vcpuTo`). */
function renamed(state: SystemState, r: Renaming, vcpuTo?: (v: number) => number): SystemState {
  const move = <T>(items: readonly T[]): T[] => (vcpuTo === undefined ? [...items] : permuted(items, vcpuTo));
  const hosts = move(state.hosts.map((h) => ({ value: h.value, context: renameHost(h.context, r) })));
  const guests = move(state.guests.map((g) => ({ value: g.value, context: renameGuest(g.context, r) })));
  const tokens = state.tokens.map((t) => ({ value: t.value, context: renameToken(t.context, r) })).sort(tokenOrder);
  return { config: state.config, hosts, guests, tokens, resident: state.resident, vm: { value: state.vm.value, context: renameVm(state.vm.context, r) } };
}

/**
 * Every permutation of the vCPUs (the identity first): the vCPU symmetries of
 * the model. vCPUs behave alike, and a state and its image under a
 * permutation start from placements that are images of each other, so every
 * permutation is one. A token names its vCPU in its low bits and a task's pid
 * names its vCPU too, so both are renamed with it.
 */
export function vcpuPermutations(config: SystemConfig): number[][] {
  const { vcpus } = config.scope;
  if (config.design.tokenShift === 0 || 1 << config.design.tokenShift < vcpus) {
    throw new UsageError(`symmetry needs the vCPU id in the token's low bits; design '${config.design.name}' has tokenShift ${config.design.tokenShift}`);
  }
  return permutationsOf(vcpus);
}

/** The state with vCPU v renamed to perm[v] (its host, guest, tokens, observers and tasks' pids moved along). */
export function permuteVcpus(state: SystemState, perm: readonly number[]): SystemState {
  const { scope } = state.config;
  const mask = (1 << state.config.design.tokenShift) - 1;
  const token = (t: number): number => (t === 0 || t === WAKE_ALL ? t : ((t & ~mask) | perm[t & mask]!) >>> 0);
  const pid = (p: number): number => {
    const home = taskHome(scope, p);
    return globalTask(scope, perm[home.vcpu]!, home.local);
  };
  return renamed(state, { ...NO_RENAMING, vcpu: (v) => perm[v]!, token, pid }, (v) => perm[v]!);
}

/** Every permutation of 0..n-1 (the identity first). */
export function permutationsOf(n: number): number[][] {
  if (n === 0) return [[]];
  return permutationsOf(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, n - 1 - at), n - 1, ...p.slice(n - 1 - at)]));
}

/** Every permutation of the pages (the identity first): the page symmetries of the model. */
export function pagePermutations(config: SystemConfig): number[][] {
  return permutationsOf(config.scope.pages);
}

/** The state with page p renamed to perm[p]: gfns everywhere, and the residency. */
export function permutePages(state: SystemState, perm: readonly number[]): SystemState {
  const next = renamed(state, { ...NO_RENAMING, gfn: (g) => (g < 0 ? g : perm[g]!) });
  return { ...next, guests: state.guests, vm: state.vm, resident: permuted(state.resident, (p) => perm[p]!) };
}

/** The state with vCPU v's local task i renamed to perm[i] (in its guest, and wherever its pid is held). */
export function permuteTasks(state: SystemState, v: number, perm: readonly number[]): SystemState {
  const { scope } = state.config;
  const pid = (p: number): number => {
    const home = taskHome(scope, p);
    return home.vcpu === v ? globalTask(scope, v, perm[home.local]!) : p;
  };
  const tasks: Renaming = { ...NO_RENAMING, task: (i) => perm[i]!, pid };
  const pids: Renaming = { ...NO_RENAMING, pid };
  return {
    ...state,
    hosts: state.hosts.map((h) => ({ value: h.value, context: renameHost(h.context, pids) })),
    guests: state.guests.map((g, u) => (u === v ? { value: g.value, context: renameGuest(g.context, tasks) } : g)),
    vm: { value: state.vm.value, context: renameVm(state.vm.context, pids) },
  };
}
