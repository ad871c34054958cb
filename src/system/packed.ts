/**
 * The composed system packed for exhaustive search. A state is a tuple of
 * small integers: one per vCPU (its host machine, guest machine and token
 * observers, interned together as a "local" state) and the pages' residency
 * as a bit mask. A vCPU's steps change only its own local state and the pages
 * (checked whenever a move is computed), so the moves of a vCPU are memoised
 * per (vCPU, local state, pages): the composed system (and through it XState)
 * is consulted once per distinct triple, and the search itself only copies
 * integers and looks them up.
 */
import type { GuestContext } from '../../machines/guest.js';
import type { HostContext } from '../../machines/host.js';
import type { TokenContext } from '../../machines/token.js';
import type { PropertyId } from '../../properties/index.js';
import { ModelError, type ComponentState } from './component.js';
import { initialState, stateKey, successorsOf, SWAP, tokenOrder, type Step, type SystemConfig, type SystemState } from './system.js';

/** One vCPU's share of a state. */
interface Local {
  readonly host: ComponentState<HostContext>;
  readonly guest: ComponentState<GuestContext>;
  /** its token observers, in the state's order */
  readonly tokens: readonly ComponentState<TokenContext>[];
}

/** A memoised step of one vCPU: where it leads, and what the search needs to know about it. */
export interface Move {
  /** index into `steps` */
  readonly step: number;
  readonly local: number;
  readonly resident: number;
  /** what `judge` said about the step (a step property's violation), computed once */
  readonly verdict: StepVerdict;
}

/** A step property's violation: the property and its message. */
export type StepVerdict = readonly [PropertyId, string] | undefined;

/** Judges a step from `previous` to `next` (the step properties, which look only at what a step changed). */
export type StepJudge = (next: SystemState, previous: SystemState) => StepVerdict;

/**
 * Whether a state breaks one of the per-vCPU properties: it is asked about
 * "lone" states, where every vCPU but one is at its initial share.
 */
export type LoneJudge = (lone: SystemState) => boolean;

/** What is memoised per (vCPU, share, pages). */
interface LocalFacts {
  readonly moves: readonly Move[];
  /** the share, with these pages, breaks a per-vCPU property */
  readonly broken: boolean;
}

export class PackedSystem {
  /** tuple length: one entry per vCPU, then the resident mask */
  readonly width: number;
  /** every step a move refers to, by index */
  readonly steps: Step[] = [];
  private readonly vcpus: number;
  private readonly locals: Local[] = [];
  private readonly localIds = new Map<string, number>();
  private readonly facts = new Map<number, LocalFacts>();
  private initialTuple: Int32Array | undefined;
  private readonly swapMoves: (Omit<Move, 'local' | 'resident'> | undefined)[];

  constructor(
    readonly config: SystemConfig,
    private readonly judge: StepJudge,
    private readonly judgeLone: LoneJudge = () => false,
  ) {
    this.vcpus = config.scope.vcpus;
    this.width = this.vcpus + 1;
    this.swapMoves = Array.from({ length: config.scope.pages }, () => undefined);
  }

  /** The initial state's tuple (a fresh copy). */
  initial(): Int32Array {
    this.initialTuple ??= this.pack(initialState(this.config));
    return this.initialTuple.slice();
  }

  /** The full state of a tuple (its components are shared, not copied). */
  unpack(tuple: Int32Array): SystemState {
    const view = this.view(tuple);
    return { config: this.config, hosts: [...view.hosts], guests: [...view.guests], tokens: [...view.tokens], resident: [...view.resident] };
  }

  private readonly scratch = {
    hosts: [] as ComponentState<HostContext>[],
    guests: [] as ComponentState<GuestContext>[],
    tokens: [] as ComponentState<TokenContext>[],
    resident: [] as boolean[],
  };

  /**
   * The full state of a tuple in arrays reused from call to call: for reading
   * it at once (judging properties), never for keeping. Saves the search an
   * allocation of five objects per state.
   */
  view(tuple: Int32Array): SystemState {
    const { hosts, guests, tokens, resident } = this.scratch;
    hosts.length = 0;
    guests.length = 0;
    tokens.length = 0;
    resident.length = 0;
    let tokenSources = 0;
    for (let v = 0; v < this.vcpus; v++) {
      const local = this.locals[tuple[v]!]!;
      hosts.push(local.host);
      guests.push(local.guest);
      if (local.tokens.length > 0) tokenSources++;
      for (const t of local.tokens) tokens.push(t);
    }
    if (tokenSources > 1) tokens.sort(tokenOrder);
    const mask = tuple[this.vcpus]!;
    for (let page = 0; page < this.config.scope.pages; page++) resident.push((mask & (1 << page)) !== 0);
    return { config: this.config, ...this.scratch };
  }

  /** The moves of vCPU `v` from `tuple`: computed by the composed system on first sight, then remembered. */
  movesOf(tuple: Int32Array, v: number): readonly Move[] {
    return this.factsOf(tuple, v).moves;
  }

  /** Whether vCPU `v`'s share of `tuple` breaks a per-vCPU property (judged once per share and pages). */
  breaksLocally(tuple: Int32Array, v: number): boolean {
    return this.factsOf(tuple, v).broken;
  }

  private factsOf(tuple: Int32Array, v: number): LocalFacts {
    const key = (tuple[v]! * this.vcpus + v) * 2 ** this.config.scope.pages + tuple[this.vcpus]!;
    let facts = this.facts.get(key);
    if (facts === undefined) {
      facts = { moves: this.computeMoves(tuple, v), broken: this.judgeLone(this.unpack(this.lone(tuple, v))) };
      this.facts.set(key, facts);
    }
    return facts;
  }

  /** `tuple` with every vCPU but `v` put back at its initial share. */
  private lone(tuple: Int32Array, v: number): Int32Array {
    const lone = this.initial();
    lone[v] = tuple[v]!;
    lone[this.vcpus] = tuple[this.vcpus]!;
    return lone;
  }

  /** Reclaiming resident `page` (the swap device's one kind of step): it clears the page's bit, whatever the rest of the state. */
  swapMove(tuple: Int32Array, page: number): Omit<Move, 'local' | 'resident'> {
    let move = this.swapMoves[page];
    if (move === undefined) {
      const state = this.unpack(tuple);
      const swap = successorsOf(state, SWAP).find((s) => s.step.arg === page);
      if (swap === undefined) throw new ModelError(`page${page} is resident but cannot be reclaimed`);
      move = { step: this.steps.push(swap.step) - 1, verdict: this.judge(swap.next, state) };
      this.swapMoves[page] = move;
    }
    return move;
  }

  private computeMoves(tuple: Int32Array, v: number): Move[] {
    const state = this.unpack(tuple);
    return successorsOf(state, v).map(({ step, next }) => {
      this.assertLocal(state, next, v, step);
      const packed = this.pack(next);
      return { step: this.steps.push(step) - 1, local: packed[v]!, resident: packed[this.vcpus]!, verdict: this.judge(next, state) };
    });
  }

  /** The memo is only sound if a step of vCPU `v` leaves every other vCPU's machines and observers alone. */
  private assertLocal(before: SystemState, after: SystemState, v: number, step: Step): void {
    for (let u = 0; u < this.vcpus; u++) {
      if (u === v) continue;
      const same =
        before.hosts[u] === after.hosts[u] &&
        before.guests[u] === after.guests[u] &&
        sameItems(before.tokens.filter((t) => t.context.vcpu === u), after.tokens.filter((t) => t.context.vcpu === u));
      if (!same) throw new ModelError(`step '${step.label}' of vcpu${v} changed vcpu${u}: moves cannot be memoised per vCPU`);
    }
  }

  /** The vCPU a share belongs to. */
  vcpuOf(share: number): number {
    return this.locals[share]!.host.context.vcpu;
  }

  /** The tuple of a full state (its vCPUs' shares interned). */
  pack(state: SystemState): Int32Array {
    const tuple = new Int32Array(this.width);
    for (let v = 0; v < this.vcpus; v++) {
      tuple[v] = this.intern({ host: state.hosts[v]!, guest: state.guests[v]!, tokens: state.tokens.filter((t) => t.context.vcpu === v) });
    }
    tuple[this.vcpus] = state.resident.reduce((mask, isResident, page) => (isResident ? mask | (1 << page) : mask), 0);
    return tuple;
  }

  private intern(local: Local): number {
    const key = stateKey({ config: this.config, hosts: [local.host], guests: [local.guest], tokens: local.tokens, resident: [] });
    let id = this.localIds.get(key);
    if (id === undefined) {
      id = this.locals.push(local) - 1;
      this.localIds.set(key, id);
    }
    return id;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
