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

/**
 * What a PackedSystem learnt since a mark, as plain data a worker thread can
 * receive: new shares, new steps and their verdicts, the swap moves, and for
 * some (vCPU, share, pages) triples (`factKeys`) their moves (flat,
 * `moveStart[i]` to `moveStart[i + 1]`) and whether they break a per-vCPU
 * property.
 */
export interface PackedTables {
  readonly firstLocal: number;
  readonly locals: readonly Local[];
  readonly firstStep: number;
  readonly steps: readonly Step[];
  readonly verdicts: readonly StepVerdict[];
  readonly swapSteps: readonly number[];
  readonly factKeys: Float64Array;
  readonly broken: Uint8Array;
  readonly moveStart: Int32Array;
  readonly moveStep: Int32Array;
  readonly moveLocal: Int32Array;
  readonly moveResident: Int32Array;
}

/** How far a replica has been told: shares and steps sent so far. */
export interface TablesMark {
  readonly locals: number;
  readonly steps: number;
}

export class PackedSystem {
  /** tuple length: one entry per vCPU, then the resident mask */
  readonly width: number;
  /** every step a move refers to, by index */
  readonly steps: Step[] = [];
  private readonly vcpus: number;
  /** how many resident masks there are: 2^pages */
  private readonly masks: number;
  private readonly locals: Local[] = [];
  private readonly localIds = new Map<string, number>();
  private readonly facts = new Map<number, LocalFacts>();
  /** what each step's move was judged (by step index) */
  private readonly verdicts: StepVerdict[] = [];
  private initialTuple: Int32Array | undefined;
  /** a replica of another thread's system (replicaOf): it learns shares and moves from there (learn), never from XState */
  private replica = false;
  private readonly swapMoves: (Omit<Move, 'local' | 'resident'> | undefined)[];

  constructor(
    readonly config: SystemConfig,
    private readonly judge: StepJudge,
    private readonly judgeLone: LoneJudge = () => false,
  ) {
    this.vcpus = config.scope.vcpus;
    this.width = this.vcpus + 1;
    this.masks = 2 ** config.scope.pages;
    this.swapMoves = Array.from({ length: config.scope.pages }, () => undefined);
  }

  /** How much this system knows: the mark of a replica that has been told everything. */
  get mark(): TablesMark {
    return { locals: this.locals.length, steps: this.steps.length };
  }

  /**
   * The facts of the triples `keys` (computed here if new, see factsKey), with
   * the shares and steps learnt since `mark`, for a replica that knows up to it.
   */
  tablesSince(mark: TablesMark, keys: readonly number[]): PackedTables {
    const facts = keys.map((key) => this.factsOfKey(key));
    const moveStart = new Int32Array(facts.length + 1);
    facts.forEach((f, i) => (moveStart[i + 1] = moveStart[i]! + f.moves.length));
    const moves = facts.flatMap((f) => f.moves);
    return {
      firstLocal: mark.locals,
      locals: this.locals.slice(mark.locals),
      firstStep: mark.steps,
      steps: this.steps.slice(mark.steps),
      verdicts: this.verdicts.slice(mark.steps),
      swapSteps: this.swapMoves.map((m) => m?.step ?? -1),
      factKeys: Float64Array.from(keys),
      broken: Uint8Array.from(facts, (f) => (f.broken ? 1 : 0)),
      moveStart,
      moveStep: Int32Array.from(moves, (m) => m.step),
      moveLocal: Int32Array.from(moves, (m) => m.local),
      moveResident: Int32Array.from(moves, (m) => m.resident),
    };
  }

  /** A replica of another thread's system: it knows what `tablesSince` sends it (learn), and never consults XState for a move. */
  static replicaOf(config: SystemConfig): PackedSystem {
    const packed = new PackedSystem(config, () => undefined);
    packed.replica = true;
    return packed;
  }

  /** Learns what the system this one replicates sent (the shares and steps must continue where this one stops). */
  learn(tables: PackedTables): void {
    if (tables.firstLocal !== this.locals.length || tables.firstStep !== this.steps.length) {
      throw new ModelError(`replica out of step: it has ${this.locals.length} shares and ${this.steps.length} steps, the tables start at ${tables.firstLocal} and ${tables.firstStep}`);
    }
    for (const local of tables.locals) {
      if (this.intern(local) !== this.locals.length - 1) throw new ModelError('replica out of step: a share it was sent is one it already had');
    }
    this.steps.push(...tables.steps);
    this.verdicts.push(...tables.verdicts);
    tables.swapSteps.forEach((step, page) => {
      if (step >= 0) this.swapMoves[page] = { step, verdict: this.verdicts[step] };
    });
    tables.factKeys.forEach((key, i) => {
      const moves: Move[] = [];
      for (let m = tables.moveStart[i]!; m < tables.moveStart[i + 1]!; m++) {
        const step = tables.moveStep[m]!;
        moves.push({ step, local: tables.moveLocal[m]!, resident: tables.moveResident[m]!, verdict: this.verdicts[step] });
      }
      this.facts.set(key, { moves, broken: tables.broken[i] === 1 });
    });
  }

  /** Whether the facts of vCPU `v` in `tuple` are known (a replica must be told them first). */
  knowsFacts(tuple: Int32Array, v: number): boolean {
    return this.facts.has(this.factsKey(tuple, v));
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

  /** What the step with index `step` was judged when its move was computed. */
  verdictOf(step: number): StepVerdict {
    return this.verdicts[step];
  }

  /** The memo key of vCPU `v`'s facts in `tuple`. */
  factsKey(tuple: Int32Array, v: number): number {
    return (tuple[v]! * this.vcpus + v) * this.masks + tuple[this.vcpus]!;
  }

  /** The moves of the triple with key `key` (see factsKey), computed if new. */
  movesOfKey(key: number): readonly Move[] {
    return this.factsOfKey(key).moves;
  }

  /** The vCPU of the triple with key `key`. */
  vcpuOfKey(key: number): number {
    return this.decodeKey(key).v;
  }

  /** The (share, vCPU, pages) triple of a facts key: factsKey undone. */
  private decodeKey(key: number): { share: number; v: number; mask: number } {
    const mask = key % this.masks;
    const shareAndVcpu = (key - mask) / this.masks;
    const v = shareAndVcpu % this.vcpus;
    return { share: (shareAndVcpu - v) / this.vcpus, v, mask };
  }

  private factsOfKey(key: number): LocalFacts {
    const { share, v, mask } = this.decodeKey(key);
    return this.factsOf(this.loneTuple(share, v, mask), v);
  }

  private factsOf(tuple: Int32Array, v: number): LocalFacts {
    const key = this.factsKey(tuple, v);
    let facts = this.facts.get(key);
    if (facts === undefined) {
      if (this.replica) throw new ModelError(`vcpu${v}'s share ${tuple[v]} with pages ${tuple[this.vcpus]} was not sent to this replica`);
      facts = { moves: this.computeMoves(tuple, v), broken: this.judgeLone(this.unpack(this.loneTuple(tuple[v]!, v, tuple[this.vcpus]!))) };
      this.facts.set(key, facts);
    }
    return facts;
  }

  /** The "lone" tuple of vCPU `v`'s `share` with pages `mask`: every other vCPU at its initial share. */
  loneTuple(share: number, v: number, mask: number): Int32Array {
    const lone = this.initial();
    lone[v] = share;
    lone[this.vcpus] = mask;
    return lone;
  }

  /** Reclaiming resident `page` (the swap device's one kind of step): it clears the page's bit, whatever the rest of the state. */
  swapMove(tuple: Int32Array, page: number): Omit<Move, 'local' | 'resident'> {
    let move = this.swapMoves[page];
    if (move === undefined) {
      const state = this.unpack(tuple);
      const swap = successorsOf(state, SWAP).find((s) => s.step.arg === page);
      if (swap === undefined) throw new ModelError(`page${page} is resident but cannot be reclaimed`);
      const verdict = this.judge(swap.next, state);
      move = { step: this.addStep(swap.step, verdict), verdict };
      this.swapMoves[page] = move;
    }
    return move;
  }

  private computeMoves(tuple: Int32Array, v: number): Move[] {
    const state = this.unpack(tuple);
    return successorsOf(state, v).map(({ step, next }) => {
      this.assertLocal(state, next, v, step);
      const packed = this.pack(next);
      const verdict = this.judge(next, state);
      return { step: this.addStep(step, verdict), local: packed[v]!, resident: packed[this.vcpus]!, verdict };
    });
  }

  private addStep(step: Step, verdict: StepVerdict): number {
    this.verdicts.push(verdict);
    return this.steps.push(step) - 1;
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
