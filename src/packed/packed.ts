/**
 * The composed system packed for exhaustive search. A state is a tuple of
 * small integers: one per group of vCPUs (its vCPUs' host machines, guest
 * machines and token observers, interned together as a "share") and the
 * pages' residency as a bit mask. In most designs every vCPU is a group of
 * its own: a vCPU's steps change only its own machines and the pages. In a
 * design where a step of one vCPU can change another's (`vcpuLocal` false in
 * machines/design.ts: an s390 floating interrupt any vCPU takes) all vCPUs
 * form one group, which also holds the VM-wide state. Either way a group's
 * steps change only its own share and the pages (checked whenever a step is
 * worked out), so what the search needs of a group is kept per (share,
 * pages) as a "fact": its moves, whether the share breaks a per-vCPU
 * property, and its projection (what the whole-state checks read of it). A
 * fact is assembled from its share's template (templateOf), so the composed
 * system (and through it XState) is consulted once per (share, step),
 * whatever the pages; the search itself reads flat integer arrays.
 */
import type { GuestContext } from '../../machines/guest.js';
import type { HostContext } from '../../machines/host.js';
import { vcpuLocal } from '../../machines/design.js';
import type { TokenContext } from '../../machines/token.js';
import type { VmContext } from '../../machines/vm.js';
import { ModelError } from '../errors.js';
import {
  applyStep,
  candidateSteps,
  initialState,
  initialStates,
  machinesOf,
  pageAwaited,
  successorsOf,
  SWAP,
  tokenOrder,
  type ComponentState,
  type Step,
  type SystemConfig,
  type SystemState,
} from '../system/system.js';
import { grown, IntList } from './int-list.js';

/** One group's share of a state: its vCPUs' machines, in vCPU order. */
interface Share {
  readonly hosts: readonly ComponentState<HostContext>[];
  readonly guests: readonly ComponentState<GuestContext>[];
  /** its vCPUs' token observers, in the state's order */
  readonly tokens: readonly ComponentState<TokenContext>[];
  /** the VM-wide state, held by the one group of a design whose vCPUs are not local (else null: it never changes) */
  readonly vm: ComponentState<VmContext> | null;
}

/** The vCPUs of each group, in order: one group per vCPU, or (`together`) one group of all. */
export function groupsOf(config: SystemConfig, together: boolean): number[][] {
  const vcpus = Array.from({ length: config.scope.vcpus }, (_, v) => v);
  return together ? [vcpus] : vcpus.map((v) => [v]);
}

/**
 * What the packed system asks about one vCPU's machines in a state (its
 * host, guest and token observers), always in a state whose pages it may not
 * read: the verdict (of type V, kept as given) on a step, whether a state
 * breaks a per-vCPU property (asked of "lone" states, where every group but
 * one is at its initial share), and what the whole-state checks read of
 * vCPU v (a string: equal strings look alike to them). src/judge/judge.ts
 * answers it.
 */
export interface ShareJudge<V> {
  step(next: SystemState, previous: SystemState): V | undefined;
  lone(lone: SystemState): boolean;
  projection(lone: SystemState, v: number): string;
}

/** The judge of a replica, which learns every verdict from the system it replicates and asks none. */
const NO_JUDGE: ShareJudge<never> = {
  step: () => {
    throw new ModelError('a replica judged a step');
  },
  lone: () => {
    throw new ModelError('a replica judged a share');
  },
  projection: () => {
    throw new ModelError('a replica projected a share');
  },
};

/**
 * A share's template in PackedSystem.templates: a header (the number of
 * candidate steps, whether the share breaks a per-vCPU property, its
 * projection id), then per candidate step an entry (the step, the page it
 * waits on or NO_PAGE, the share it leads to or UNKNOWN until asked, the
 * pages it makes resident, its verdict index).
 */
const HEADER = 3;
const ENTRY = 5;
const NO_PAGE = -1;
const UNKNOWN = -1;

/** No verdict: a step no step property objects to. */
export const NO_VERDICT = -1;

/**
 * What a PackedSystem learnt since a mark, as plain data a worker thread can
 * receive: new shares, steps and step verdicts, the swap moves, and the facts
 * of some (share, pages) pairs (`factKeys`, see factKey): their moves (flat,
 * `moveStart[i]` to `moveStart[i + 1]`), per-vCPU verdicts and projections.
 */
export interface PackedTables<V = unknown> {
  readonly firstShare: number;
  readonly shares: readonly Share[];
  readonly firstStep: number;
  readonly steps: readonly Step[];
  readonly firstVerdict: number;
  readonly verdicts: readonly V[];
  readonly firstProjection: number;
  readonly projections: readonly string[];
  readonly swapSteps: Int32Array;
  readonly swapVerdicts: Int32Array;
  readonly factKeys: Float64Array;
  readonly broken: Uint8Array;
  readonly projection: Int32Array;
  readonly moveStart: Int32Array;
  readonly moveStep: Int32Array;
  readonly moveShare: Int32Array;
  readonly moveResident: Int32Array;
  readonly moveVerdict: Int32Array;
}

/** How far a replica has been told: the lengths of the lists sent so far. */
export interface TablesMark {
  readonly shares: number;
  readonly steps: number;
  readonly verdicts: number;
  readonly projections: number;
}

export class PackedSystem<V = unknown> {
  /** tuple length: one entry per group, then the resident mask */
  readonly width: number;
  /** the vCPUs of each group (see groupsOf) */
  readonly groups: readonly (readonly number[])[];
  /** every step a move refers to, by index (equal steps share one index) */
  readonly steps: Step[] = [];
  /** the step properties' violations, by index (see moveVerdict) */
  readonly verdicts: V[] = [];
  /** the distinct projections, by id (see projectionOf) */
  private readonly projections: string[] = [];
  private readonly projectionIds = new Map<string, number>();
  private readonly stepIds = new Map<string, number>();
  /** per share, what its facts at every pages mask have in common (see templateOf): the templates, and where each share's starts + 1 (0: not made yet) */
  private readonly templates = new IntList();
  private templateStarts = new Int32Array(1024);
  /** number of groups (the tuple's entries before the mask) */
  private readonly count: number;
  /** how many resident masks there are: 2^pages */
  private readonly masks: number;
  private readonly shares: Share[] = [];
  private readonly shareIds = new Map<string, number>();
  /** each share's index among its group's shares, and each group's shares in that order */
  private readonly localIndices = new IntList();
  private readonly sharesByGroup: IntList[];
  /** the group of each share, and of each vCPU */
  private readonly groupOfShare = new IntList();
  private readonly groupOfVcpu: readonly number[];
  /** the VM-wide state of every state, when no group holds it (see Share.vm) */
  private readonly constantVm: ComponentState<VmContext>;
  /** whether the one group holds the VM-wide state (a design whose steps reach other vCPUs) */
  private readonly vmInShare: boolean;
  /** fact id + 1 of each (share, pages) pair, at factKey (0: not known yet) */
  private factIds = new Int32Array(1024);
  /** per fact: where its moves start (its moves end where the next fact's start) */
  private readonly moveStart = new IntList();
  private readonly broken = new IntList();
  private readonly projection = new IntList();
  /** per move: the step, the share and pages it leads to, the verdict index or NO_VERDICT */
  private readonly moveStep = new IntList();
  private readonly moveShare = new IntList();
  private readonly moveResident = new IntList();
  private readonly moveVerdict = new IntList();
  private readonly swapSteps: Int32Array;
  private readonly swapVerdicts: Int32Array;
  private initialTuple: Int32Array | undefined;
  /** a replica of another thread's system (replicaOf): it learns shares and facts from there (learn), never from XState */
  private replica = false;

  constructor(
    readonly config: SystemConfig,
    /** asked about lone shares (every other group at its initial share) and their steps, in states whose pages cannot be read */
    private readonly judge: ShareJudge<V>,
    /** all vCPUs in one group, with the VM-wide state: needed when a step of one vCPU can change another's (machines/design.ts vcpuLocal) */
    together = !vcpuLocal(config.design),
  ) {
    this.groups = groupsOf(config, together);
    this.groupOfVcpu = this.groups.flatMap((group, g) => group.map(() => g));
    this.count = this.groups.length;
    this.width = this.count + 1;
    this.sharesByGroup = Array.from({ length: this.count }, () => new IntList());
    this.vmInShare = together;
    this.constantVm = machinesOf(config.design).vm.initial(undefined);
    this.masks = 2 ** config.scope.pages;
    this.swapSteps = new Int32Array(config.scope.pages).fill(-1);
    this.swapVerdicts = new Int32Array(config.scope.pages).fill(NO_VERDICT);
    this.moveStart.push(0);
  }

  /** How much this system knows: the mark of a replica that has been told everything. */
  get mark(): TablesMark {
    return { shares: this.shares.length, steps: this.steps.length, verdicts: this.verdicts.length, projections: this.projections.length };
  }

  /**
   * The facts of the pairs `keys` (computed here if new, see factKey), with
   * the shares, steps, verdicts and projections learnt since `mark`, for a
   * replica that knows up to it.
   */
  tablesSince(mark: TablesMark, keys: readonly number[]): PackedTables<V> {
    const facts = keys.map((key) => this.factOfKey(key));
    const moveStart = new Int32Array(facts.length + 1);
    facts.forEach((f, i) => (moveStart[i + 1] = moveStart[i]! + this.movesEnd(f) - this.movesStart(f)));
    const moves = facts.flatMap((f) => Array.from({ length: this.movesEnd(f) - this.movesStart(f) }, (_, i) => this.movesStart(f) + i));
    return {
      firstShare: mark.shares,
      shares: this.shares.slice(mark.shares),
      firstStep: mark.steps,
      steps: this.steps.slice(mark.steps),
      firstVerdict: mark.verdicts,
      verdicts: this.verdicts.slice(mark.verdicts),
      firstProjection: mark.projections,
      projections: this.projections.slice(mark.projections),
      swapSteps: this.swapSteps.slice(),
      swapVerdicts: this.swapVerdicts.slice(),
      factKeys: Float64Array.from(keys),
      broken: Uint8Array.from(facts, (f) => this.broken.get(f)),
      projection: Int32Array.from(facts, (f) => this.projection.get(f)),
      moveStart,
      moveStep: Int32Array.from(moves, (m) => this.moveStep.get(m)),
      moveShare: Int32Array.from(moves, (m) => this.moveShare.get(m)),
      moveResident: Int32Array.from(moves, (m) => this.moveResident.get(m)),
      moveVerdict: Int32Array.from(moves, (m) => this.moveVerdict.get(m)),
    };
  }

  /** A replica of another thread's system: it knows what `tablesSince` sends it (learn), and never consults XState for a move. */
  static replicaOf<V>(config: SystemConfig): PackedSystem<V> {
    const packed = new PackedSystem<V>(config, NO_JUDGE);
    packed.replica = true;
    return packed;
  }

  /** Learns what the system this one replicates sent (its lists must continue where this one's stop). */
  learn(tables: PackedTables<V>): void {
    const mark = this.mark;
    if (tables.firstShare !== mark.shares || tables.firstStep !== mark.steps || tables.firstVerdict !== mark.verdicts || tables.firstProjection !== mark.projections) {
      throw new ModelError(`replica out of step: it has ${JSON.stringify(mark)}, the tables start at ${JSON.stringify([tables.firstShare, tables.firstStep, tables.firstVerdict, tables.firstProjection])}`);
    }
    for (const share of tables.shares) {
      if (this.intern(share) !== this.shares.length - 1) throw new ModelError('replica out of step: a share it was sent is one it already had');
    }
    for (const step of tables.steps) this.addStep(step);
    this.verdicts.push(...tables.verdicts);
    for (const projection of tables.projections) this.projectionId(projection);
    this.swapSteps.set(tables.swapSteps);
    this.swapVerdicts.set(tables.swapVerdicts);
    tables.factKeys.forEach((key, i) => {
      for (let m = tables.moveStart[i]!; m < tables.moveStart[i + 1]!; m++) {
        this.addMove(tables.moveStep[m]!, tables.moveShare[m]!, tables.moveResident[m]!, tables.moveVerdict[m]!);
      }
      this.addFact(key, tables.broken[i] === 1, tables.projection[i]!);
    });
  }

  /** Whether the fact of group `g` in `tuple` is known (a replica must be told it first). */
  knowsFact(tuple: Int32Array, g: number): boolean {
    const key = this.factKey(tuple, g);
    return key < this.factIds.length && this.factIds[key] !== 0;
  }

  /** The first initial state's tuple (a fresh copy): every task on vCPU 0. Lone tuples put the other groups at its shares. */
  initial(): Int32Array {
    this.initialTuple ??= this.pack(initialState(this.config));
    return this.initialTuple.slice();
  }

  /** Every initial state's tuple, one per placement of the tasks (initialStates). */
  initials(): Int32Array[] {
    return initialStates(this.config).map((state) => this.pack(state));
  }

  /** The full state of a tuple (its components are shared, not copied). */
  unpack(tuple: Int32Array): SystemState {
    const view = this.view(tuple);
    return { config: this.config, hosts: [...view.hosts], guests: [...view.guests], tokens: [...view.tokens], resident: [...view.resident], vm: view.vm };
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
    let vm = this.constantVm;
    for (let g = 0; g < this.count; g++) {
      const share = this.shares[tuple[g]!]!;
      for (const h of share.hosts) hosts.push(h);
      for (const guest of share.guests) guests.push(guest);
      if (share.tokens.length > 0) tokenSources++;
      for (const t of share.tokens) tokens.push(t);
      if (share.vm !== null) vm = share.vm;
    }
    if (tokenSources > 1) tokens.sort(tokenOrder);
    const mask = tuple[this.count]!;
    for (let page = 0; page < this.config.scope.pages; page++) resident.push((mask & (1 << page)) !== 0);
    return { config: this.config, ...this.scratch, vm };
  }

  /** The memo key of group `g`'s fact in `tuple`: its share and the pages (a share belongs to one group). */
  factKey(tuple: Int32Array, g: number): number {
    return tuple[g]! * this.masks + tuple[this.count]!;
  }

  /** The fact of group `g` in `tuple`, computed by the composed system on first sight. */
  factOf(tuple: Int32Array, g: number): number {
    return this.factOfKey(this.factKey(tuple, g));
  }

  /** The fact of the pair with key `key` (see factKey), computed if new. */
  factOfKey(key: number): number {
    const id = key < this.factIds.length ? this.factIds[key]! - 1 : -1;
    return id >= 0 ? id : this.computeFact(key);
  }

  /** The first move of fact `fact`. */
  movesStart(fact: number): number {
    return this.moveStart.get(fact);
  }

  /** One past the last move of fact `fact`. */
  movesEnd(fact: number): number {
    return this.moveStart.get(fact + 1);
  }

  /** Writes into `out` the tuple group `g`'s move `move` leads to from `tuple`. */
  moveInto(tuple: Int32Array, g: number, move: number, out: Int32Array): Int32Array {
    for (let i = 0; i < this.width; i++) out[i] = tuple[i]!;
    out[g] = this.moveShare.get(move);
    out[this.count] = this.moveResident.get(move);
    return out;
  }

  /** The share move `move` leads to (for the group whose fact it belongs to). */
  moveTarget(move: number): number {
    return this.moveShare.get(move);
  }


  /** The step of move `move`. */
  stepOf(move: number): number {
    return this.moveStep.get(move);
  }

  /** The verdict index of move `move` (NO_VERDICT if no step property objects). */
  verdictOf(move: number): number {
    return this.moveVerdict.get(move);
  }

  /** Whether the share of fact `fact`, with its pages, breaks a per-vCPU property. */
  breaks(fact: number): boolean {
    return this.broken.get(fact) === 1;
  }

  /** The projection id of fact `fact`: facts with equal projections look alike to the whole-state checks. */
  projectionOf(fact: number): number {
    return this.projection.get(fact);
  }

  /** The group of the pair with key `key` (see factKey). */
  groupOfKey(key: number): number {
    return this.groupOf(Math.floor(key / this.masks));
  }

  private computeFact(key: number): number {
    const mask = key % this.masks;
    const share = (key - mask) / this.masks;
    if (this.replica) throw new ModelError(`share ${share} with pages ${mask} was not sent to this replica`);
    const { templates } = this;
    const template = this.templateOf(share);
    const candidates = templates.get(template);
    for (let c = 0, at = template + HEADER; c < candidates; c++, at += ENTRY) {
      const page = templates.get(at + 1);
      // a touch or a delivery fault is only offered on a page that is swapped out (candidateSteps)
      if (page !== NO_PAGE && (mask & (1 << page)) !== 0) continue;
      if (templates.get(at + 2) === UNKNOWN) this.workOut(share, at);
      const target = templates.get(at + 2);
      const resident = mask | templates.get(at + 3);
      // a step that changes nothing here is no move (successorsOf leaves it out)
      if (target === share && resident === mask) continue;
      this.addMove(templates.get(at), target, resident, templates.get(at + 4));
    }
    return this.addFact(key, templates.get(template + 1) === 1, templates.get(template + 2));
  }

  /**
   * Where the template of `share` starts in `templates`, made on first use:
   * what a share's facts at every pages mask have in common. A group's steps
   * never depend on the pages but for touches and delivery faults being
   * offered on swapped-out pages only, and they only ever make pages
   * resident (see candidateSteps); the checks judged per share never read
   * the pages (pagesHidden). So the candidates are listed once, on the share
   * with every page swapped out, and each is worked out there once, when a
   * fact first offers it (workOut): the composed system runs once per
   * (share, step), where a fact per (share, pages) would run it per mask.
   */
  private templateOf(share: number): number {
    if (share < this.templateStarts.length && this.templateStarts[share] !== 0) return this.templateStarts[share]! - 1;
    const g = this.groupOf(share);
    const swappedOut = this.unpack(this.loneTuple(share, g, 0));
    const candidates = this.groups[g]!.flatMap((v) => candidateSteps(swappedOut, v));
    const hidden = pagesHidden(swappedOut);
    const start = this.templates.length;
    this.templates.push(candidates.length);
    this.templates.push(this.judge.lone(hidden) ? 1 : 0);
    this.templates.push(this.projectionId(this.projectionOfGroup(hidden, g)));
    for (const candidate of candidates) {
      this.templates.push(this.addStep(candidate));
      this.templates.push(pageAwaited(candidate) ?? NO_PAGE);
      for (let i = 2; i < ENTRY; i++) this.templates.push(UNKNOWN);
    }
    if (share >= this.templateStarts.length) this.templateStarts = grown(this.templateStarts, share + 1);
    this.templateStarts[share] = start + 1;
    return start;
  }

  /** What the whole-state checks read of group `g` in a lone state: its one vCPU's projection, or, for a group of several, theirs in order. */
  private projectionOfGroup(lone: SystemState, g: number): string {
    const group = this.groups[g]!;
    return group.length === 1 ? this.judge.projection(lone, group[0]!) : JSON.stringify(group.map((v) => this.judge.projection(lone, v)));
  }

  /** Works out the candidate step of `share`'s template entry `at`: the share it leads to, the pages it makes resident and its verdict (see templateOf). */
  private workOut(share: number, at: number): void {
    const g = this.groupOf(share);
    const swappedOut = this.unpack(this.loneTuple(share, g, 0));
    const step = this.steps[this.templates.get(at)]!;
    const next = applyStep(swappedOut, step);
    this.assertLocal(swappedOut, next, g, step);
    const packed = this.pack(next);
    this.templates.set(at + 2, packed[g]!);
    this.templates.set(at + 3, packed[this.count]!);
    this.templates.set(at + 4, this.addVerdict(this.judge.step(pagesHidden(next), pagesHidden(swappedOut))));
  }

  /** Files a fact whose moves were just added: they run from the previous fact's end to the last move. */
  private addFact(key: number, broken: boolean, projection: number): number {
    const id = this.broken.length;
    this.broken.push(broken ? 1 : 0);
    this.projection.push(projection);
    this.moveStart.push(this.moveStep.length);
    if (key >= this.factIds.length) this.factIds = grown(this.factIds, key + 1);
    this.factIds[key] = id + 1;
    return id;
  }

  private addMove(step: number, share: number, resident: number, verdict: number): void {
    this.moveStep.push(step);
    this.moveShare.push(share);
    this.moveResident.push(resident);
    this.moveVerdict.push(verdict);
  }

  /** The "lone" tuple of group `g`'s `share` with pages `mask`: every other group at its initial share. */
  loneTuple(share: number, g: number, mask: number): Int32Array {
    const lone = this.initial();
    lone[g] = share;
    lone[this.count] = mask;
    return lone;
  }

  /** Reclaiming resident `page` (the swap device's one kind of step): it clears the page's bit, whatever the rest of the state. */
  swapStep(tuple: Int32Array, page: number): number {
    if (this.swapSteps[page] === -1) {
      if (this.replica) throw new ModelError(`the swap move of page${page} was not sent to this replica`);
      const state = this.unpack(tuple);
      const swap = successorsOf(state, SWAP).find((s) => s.step.arg === page);
      if (swap === undefined) throw new ModelError(`page${page} is resident but cannot be reclaimed`);
      this.swapVerdicts[page] = this.addVerdict(this.judge.step(swap.next, state));
      this.swapSteps[page] = this.addStep(swap.step);
    }
    return this.swapSteps[page]!;
  }

  /** The verdict index of reclaiming `page` (see swapStep, which must have been asked first). */
  swapVerdict(page: number): number {
    return this.swapVerdicts[page]!;
  }

  /** The index of `step`: equal steps (same kind, vCPU, argument, label and actor) share one. */
  private addStep(step: Step): number {
    const key = `${step.kind} ${step.vcpu} ${step.arg} ${step.actor} ${step.label}`;
    let id = this.stepIds.get(key);
    if (id === undefined) {
      id = this.steps.push(step) - 1;
      this.stepIds.set(key, id);
    }
    return id;
  }

  private addVerdict(verdict: V | undefined): number {
    return verdict === undefined ? NO_VERDICT : this.verdicts.push(verdict) - 1;
  }

  private projectionId(projection: string): number {
    let id = this.projectionIds.get(projection);
    if (id === undefined) {
      id = this.projections.push(projection) - 1;
      this.projectionIds.set(projection, id);
    }
    return id;
  }

  /**
   * The memo is only sound if a step of group `g` leaves every other group's
   * machines and observers alone, and the VM-wide state too unless the group
   * holds it.
   */
  private assertLocal(before: SystemState, after: SystemState, g: number, step: Step): void {
    if (!this.vmInShare && before.vm !== after.vm && machinesOf(this.config.design).vm.idOf(before.vm) !== machinesOf(this.config.design).vm.idOf(after.vm)) {
      throw new ModelError(`step '${step.label}' changed the VM-wide state of a design whose steps are local to their vCPU (machines/design.ts vcpuLocal)`);
    }
    for (let u = 0; u < this.config.scope.vcpus; u++) {
      if (this.groups[g]!.includes(u)) continue;
      const same =
        before.hosts[u] === after.hosts[u] &&
        before.guests[u] === after.guests[u] &&
        sameItems(before.tokens.filter((t) => t.context.vcpu === u), after.tokens.filter((t) => t.context.vcpu === u));
      if (!same) throw new ModelError(`step '${step.label}' changed vcpu${u}, outside its group: moves cannot be memoised per group (machines/design.ts vcpuLocal)`);
    }
  }

  /** The group a share belongs to. */
  groupOf(share: number): number {
    return this.groupOfShare.get(share);
  }

  /** The index of `share` among its group's shares (0, 1, 2, ... in the order they were met). */
  localIndex(share: number): number {
    if (share >= this.localIndices.length) throw new ModelError(`share ${share} is not one this system has met`);
    return this.localIndices.get(share);
  }

  /** The share of group `g` with local index `local` (localIndex undone). */
  shareAt(g: number, local: number): number {
    return this.sharesByGroup[g]!.get(local);
  }

  /** The tuple of a full state (its groups' shares interned). */
  pack(state: SystemState): Int32Array {
    const tuple = new Int32Array(this.width);
    for (let g = 0; g < this.count; g++) {
      const group = this.groups[g]!;
      const hosts = group.map((v) => state.hosts[v]!);
      const guests = group.map((v) => state.guests[v]!);
      const tokens = group.length === 1 ? state.tokens.filter((t) => t.context.vcpu === group[0]) : state.tokens.filter((t) => group.includes(t.context.vcpu));
      tuple[g] = this.intern({ hosts, guests, tokens, vm: this.vmInShare ? state.vm : null });
    }
    tuple[this.count] = state.resident.reduce((mask, isResident, page) => (isResident ? mask | (1 << page) : mask), 0);
    return tuple;
  }

  /** The group of vCPU `v`. */
  groupOfVcpuIndex(v: number): number {
    return this.groupOfVcpu[v]!;
  }

  /** The id of a share, by its components' interned ids (ComponentStepper.idOf); its components are stored in their shared form. */
  private intern(share: Share): number {
    const { host, guest, token, vm } = machinesOf(this.config.design);
    let key = '';
    for (const h of share.hosts) key += `${host.idOf(h)},`;
    for (const c of share.guests) key += `${guest.idOf(c)},`;
    for (const t of share.tokens) key += `,${token.idOf(t)}`;
    if (share.vm !== null) key += `|${vm.idOf(share.vm)}`;
    let id = this.shareIds.get(key);
    if (id === undefined) {
      id =
        this.shares.push({
          hosts: share.hosts.map((h) => host.canonical(h)),
          guests: share.guests.map((c) => guest.canonical(c)),
          tokens: share.tokens.map((t) => token.canonical(t)),
          vm: share.vm === null ? null : vm.canonical(share.vm),
        }) - 1;
      this.shareIds.set(key, id);
      const g = this.groupOfVcpu[share.hosts[0]!.context.vcpu]!;
      const ofGroup = this.sharesByGroup[g]!;
      this.localIndices.push(ofGroup.length);
      this.groupOfShare.push(g);
      ofGroup.push(id);
    }
    return id;
  }
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * `state` for the checks a template judges (per-vCPU and step properties,
 * projections): they hold for the share at any pages, so reading the pages
 * is a modelling error, reported as one rather than answered for one mask.
 */
function pagesHidden(state: SystemState): SystemState {
  return new PagesHidden(state.config, state.hosts, state.guests, state.tokens, state.vm);
}

/** A state whose pages cannot be read (a class: an object literal with a getter costs about a microsecond to build). */
class PagesHidden implements SystemState {
  constructor(
    readonly config: SystemConfig,
    readonly hosts: SystemState['hosts'],
    readonly guests: SystemState['guests'],
    readonly tokens: SystemState['tokens'],
    readonly vm: SystemState['vm'],
  ) {}

  get resident(): readonly boolean[] {
    throw new ModelError('a per-vCPU or step property, or a projection, read the pages: the exhaustive search judges those once per share, for any pages');
  }
}
