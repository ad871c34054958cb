/**
 * The step catalogue: every kind of step, in the order a state offers them
 * (deliveries first, then guest code, the environment and the host side of
 * each vCPU; the swap device last). The order is only the order successors
 * are listed in: which schedule a random search draws, which of several
 * shortest paths a breadth-first search keeps.
 */
import { ModelError } from '../../errors.js';
import type { Draft } from '../draft.js';
import type { SystemState } from '../state.js';
import { DELIVERY_STEPS } from './delivery.js';
import { ENVIRONMENT_STEPS } from './environment.js';
import { GUEST_CODE_STEPS } from './guest-code.js';
import { HOST_SIDE_STEPS } from './host-side.js';
import { inSmm, viewOf, type GuestSide, type Step, type StepEntry } from './types.js';

/** The kinds of step of a vCPU, in offer order: each file's, in the order it lists them. */
export const VCPU_STEPS: readonly StepEntry[] = [...DELIVERY_STEPS, ...GUEST_CODE_STEPS, ...ENVIRONMENT_STEPS, ...HOST_SIDE_STEPS];

for (const entry of VCPU_STEPS) {
  if ((entry.actor === 'guest') !== (entry.side !== undefined)) throw new ModelError(`step kind '${entry.kind}': a guest step says what runs it (side), and only a guest step`);
}

/**
 * Whether the CPU lets a guest step run now. In SMM Linux does not run: only
 * the SMM handler's accesses and RSM (and what runs elsewhere) go on, and the
 * SMI has masked interrupts. An unmasked pending interrupt is taken before
 * Linux's next instruction, so Linux's code and accesses wait for it.
 */
function cpuAllows(side: GuestSide, smm: boolean, interruptDue: boolean): boolean {
  if (smm) return side === 'access' || side === 'asynchronous';
  return !interruptDue || side === 'delivery' || side === 'asynchronous';
}

/** The swap device's one kind of step: the host reclaims a resident page (it may at any time). */
const SWAP_OUT = {
  kind: 'swap-out',
  apply: (d: Draft, page: number) => {
    d.resident[page] = false;
  },
};

/** The source of the swap device's steps (`candidateSteps`). */
export const SWAP = -1;

const byKind: ReadonlyMap<string, StepEntry> = new Map(VCPU_STEPS.map((e) => [e.kind, e]));

function entryOf(kind: string): StepEntry {
  const entry = byKind.get(kind);
  if (entry === undefined) throw new ModelError(`no step kind '${kind}' in the catalogue`);
  return entry;
}

/**
 * The steps one source offers in `state`: a vCPU (its guest, host and
 * workers), or the swap device (`SWAP`); some may change nothing (see
 * successorsOf). A vCPU reads the pages only to offer touches and delivery
 * faults on swapped-out pages (`pageAwaited`), and its steps only ever make
 * pages resident: the packed system memoises steps per share on that.
 */
export function candidateSteps(state: SystemState, source: number): Step[] {
  if (source === SWAP) {
    return state.resident.flatMap((isResident, page) => (isResident ? [{ kind: SWAP_OUT.kind, vcpu: SWAP, arg: page, actor: 'swap' as const, label: `host reclaims page${page} (swap out)` }] : []));
  }
  const at = viewOf(state, source);
  const offers = VCPU_STEPS.map((entry) => ({ entry, args: entry.offered(at) }));
  const smm = inSmm(at);
  const interruptDue = !smm && offers.some(({ entry, args }) => entry.takenAtOnce === true && args.length > 0);
  const out: Step[] = [];
  for (const { entry, args } of offers) {
    for (const arg of args) {
      if (entry.side !== undefined && !cpuAllows(entry.side(arg), smm, interruptDue)) continue;
      out.push({ kind: entry.kind, vcpu: source, arg, actor: `${entry.actor}${source}`, label: entry.label(at, arg) });
    }
  }
  return out;
}

/** Sends the step's events into the draft. */
export function applyInto(d: Draft, step: Step): void {
  if (step.kind === SWAP_OUT.kind) SWAP_OUT.apply(d, step.arg as number);
  else entryOf(step.kind).apply(d, step.vcpu, step.arg);
}

/** True for the steps a fair environment keeps taking (reclaiming a page is never one: it only ever disturbs). */
export function isFairStep(step: Step): boolean {
  return step.kind !== SWAP_OUT.kind && entryOf(step.kind).fair(step.arg);
}

/** The page a step is offered on only while it is swapped out (touches and delivery faults), if any. */
export function pageAwaited(step: Step): number | undefined {
  return step.kind === SWAP_OUT.kind ? undefined : entryOf(step.kind).awaitsPage?.(step.arg);
}
