/**
 * One partition of the exhaustive search: the states it owns (a hash of each
 * state's key picks its owner), their BFS parent links and the fair edges
 * into them. With one partition it is the whole search; with several
 * (`--workers`), each runs in its own thread and successors owned elsewhere
 * are handed to their owner (src/search/parallel/parallel.ts).
 *
 * States are named by global ids, `local * count + index`, so a parent link
 * can point into another partition.
 */
import { guestDied } from '../../../properties/observe.js';
import type { LivenessGoal, PropertyId } from '../../../properties/types.js';
import { ModelError } from '../../errors.js';
import type { Judge, Verdict } from '../../judge/judge.js';
import { IntList } from '../../packed/int-list.js';
import type { PackedCanonicaliser } from '../../packed/canonicaliser.js';
import { NO_VERDICT, PackedSystem } from '../../packed/packed.js';
import { ProjectionClasses } from '../../packed/projection-classes.js';
import { isFairStep, placementOf, type SystemConfig } from '../../system/system.js';
import { POLLS_PER_READING } from '../store/memory-guard.js';
import { OUTGROWN, ProductSet } from '../store/product-set.js';
import { hashTuple, TupleIndex, TupleList } from '../store/state-table.js';

/** Why an exhaustive search stopped before covering its scope. */
export type StopReason = 'max-states' | 'max-seconds' | 'memory' | 'interrupted';

/** A safety violation found by a partition: the path to `parent`, then `step` (step -1: the initial state `parent` is broken). */
export interface PartitionViolation {
  readonly parent: number;
  readonly step: number;
  readonly property: PropertyId;
  readonly message: string;
}

/** What one level of the search did in a partition. */
export interface LevelReport {
  readonly states: number;
  readonly newStates: number;
  readonly transitions: number;
  /** states stored but not expanded */
  readonly frontier: number;
  readonly bytes: number;
  readonly violation?: PartitionViolation;
  readonly stoppedBy?: StopReason;
}

/** Fair edges in runs of one source: run r goes from sources[r] to targets[starts[r]] .. targets[starts[r + 1] - 1]. */
export interface FairEdges {
  readonly sources: Int32Array;
  readonly starts: Int32Array;
  readonly targets: Int32Array;
  /** local id of the first state of each level */
  readonly levelStarts: Int32Array;
}

/** When a partition must stop: at `maxStates` stored states, or when `poll` (asked every POLL_EVERY transitions) names a reason. */
export interface Limits {
  readonly maxStates: number;
  readonly poll: (partition: Partition) => StopReason | undefined;
}

/** Transitions between two polls of the limits. */
export const POLL_EVERY = 256;

/** Hands a successor owned by partition `owner` over to it: reached from global id `from` by `step`, with the step's verdict index. */
export type Deliver = (owner: number, tuple: Int32Array, image: Int32Array | null, from: number, step: number, verdict: number) => void;

/** The packed system of `config`, judging steps, lone shares and their projections with `judge`. */
export function packedSystemFor(config: SystemConfig, judge: Judge): PackedSystem<Verdict> {
  return new PackedSystem<Verdict>(config, judge.forShares(config));
}

/** The global id of local state `local` of partition `partition` (of `count`). */
export function globalId(local: number, partition: number, count: number): number {
  return local * count + partition;
}

/** The partition holding global id `id`, and the state's local id there. */
export function locate(id: number, count: number): { partition: number; local: number } {
  return { partition: id % count, local: Math.floor(id / count) };
}

/** The partition (of `count`) owning a state whose key tuple is `key`. */
export function ownerOf(key: Int32Array, count: number): number {
  // the table indexes by the hash's low bits, so the owner is drawn from the high bits of a multiplicative mix
  return count === 1 ? 0 : Math.floor(((Math.imul(hashTuple(key), 0x9e3779b1) >>> 0) * count) / 2 ** 32);
}

export class Partition {
  transitions = 0;
  violation: PartitionViolation | undefined;
  stoppedBy: StopReason | undefined;
  /**
   * the states by local id, and the visited set that finds them: by the
   * state itself, or with symmetry by its canonical image (states are
   * stored as first seen, so paths stay concrete); a ProductSet until the
   * product of the share spaces outgrows it, then a TupleIndex
   */
  private readonly table: TupleList;
  private visited: ProductSet | TupleIndex;
  private readonly canonicaliser: PackedCanonicaliser | null;
  /** per local id: the BFS parent link (the parent's global id, -1 for the initial state; the step from it) */
  private readonly links = new TupleList(2);
  /** a link, reused */
  private readonly link = new Int32Array(2);
  /**
   * The fair edges into this partition's states, in runs of one source (a
   * source's edges arrive together): run r leaves global id runFrom[r] for
   * the targets fairTo[runStart[r]] up to the next run's start.
   */
  private readonly runFrom = new IntList();
  private readonly runStart = new IntList();
  private readonly fairTo = new IntList();
  /** local id of the first state of each level */
  private readonly levelStarts = new IntList();
  /** local ids below this one have been expanded */
  private expanded = 0;
  /** local ids below this one have been judged (all of them at once, unless judging waits for the facts: see deferJudging) */
  private judged = 0;
  /** transitions left until the limits are polled */
  private untilPoll = POLL_EVERY;
  private readonly classes: ProjectionClasses;
  /** per projection class: 1 a projected property breaks, 0 none does (undefined: not judged yet) */
  private readonly classBroken: (0 | 1)[] = [];
  /** the projection class of every stored state, once the liveness pass asked for it */
  private stateClassCache: Int32Array | undefined;
  private readonly fairSteps: boolean[] = [];
  private readonly keepFairEdges: boolean;
  private readonly current: Int32Array;
  private readonly next: Int32Array;
  private readonly image: Int32Array;

  constructor(
    readonly packed: PackedSystem<Verdict>,
    private readonly judge: Judge,
    readonly index: number,
    readonly count: number,
    /** with symmetry: states are found by their canonical image (a worker's canonicaliser learns its images from the coordinating thread) */
    canonicaliser: PackedCanonicaliser | null,
    private readonly limits: Limits,
    /**
     * a replica learns the facts of new states from the coordinating thread
     * after the level that found them: they are judged then (judgeLevel), not
     * on arrival
     */
    private readonly deferJudging = false,
  ) {
    const width = packed.width;
    this.table = new TupleList(width);
    this.canonicaliser = canonicaliser;
    this.keepFairEdges = judge.checksLiveness;
    // fair edges name the states they lead to: the visited set keeps ids then
    this.visited = new ProductSet(packed, width - 1, packed.config.scope.pages, this.keepFairEdges);
    this.classes = new ProjectionClasses(packed);
    this.current = new Int32Array(width);
    this.next = new Int32Array(width);
    this.image = new Int32Array(width);
  }

  /** Stores the initial states (one per placement of the tasks) this partition owns, and judges them. */
  seed(): void {
    this.levelStarts.push(0);
    for (const initial of this.packed.initials()) {
      const image = this.imageOf(initial);
      if (ownerOf(image ?? initial, this.count) !== this.index) continue;
      if (this.lookup(initial, image) >= 0) continue;
      const id = globalId(this.table.count - 1, this.index, this.count);
      this.addLink(-1, -1);
      const found = this.judge.safety(this.packed.view(initial));
      if (found !== undefined) this.record(id, -1, found);
    }
    this.judged = this.table.count;
  }

  /** How many tasks each vCPU runs in local state `local`: the placement its path started from. */
  placementAt(local: number): number[] {
    return placementOf(this.packed.view(this.table.read(local, this.current)));
  }

  get states(): number {
    return this.table.count;
  }

  /** Bytes held by the stored states, parent links and fair edges. */
  get bytes(): number {
    return (
      this.table.bytes + this.visited.bytes + this.links.bytes + this.runFrom.bytes + this.runStart.bytes + this.fairTo.bytes + this.levelStarts.bytes
    );
  }

  /**
   * The memory the growth of this partition's arrays could add before the
   * memory guard reads again (POLLS_PER_READING polls later): each counts if
   * it may grow within that many transitions (a transition stores at most
   * one state and one fair edge).
   */
  growthBytes(): number {
    const within = POLL_EVERY * POLLS_PER_READING;
    return [this.table, this.visited, this.links, this.runFrom, this.runStart, this.fairTo].reduce((sum, store) => sum + store.growthWithin(within), 0);
  }

  /** States stored but not yet expanded. */
  get frontier(): number {
    return this.table.count - this.expanded;
  }

  /** True when a limit stopped the partition (a violation does not: the level goes on, so the best-ranked one at this depth is reported). */
  get stopping(): boolean {
    return this.stoppedBy !== undefined;
  }

  /**
   * Keeps the violation of the path to `parent` then `step` if it breaks a
   * property earlier in the list than the one kept so far: every violation
   * of a level has the same length, and reporting the best-ranked one makes
   * the verdict independent of the order states are met in (and so of the
   * number of workers).
   */
  private record(parent: number, step: number, [property, message]: Verdict): void {
    if (this.violation === undefined || this.judge.rank(property) < this.judge.rank(this.violation.property)) this.violation = { parent, step, property, message };
  }

  /**
   * Expands every state stored before this call (the current level), handing
   * each successor to its owner: this partition's own are stored at once,
   * others go through `deliver`. Stops at a limit; a violation lets the
   * level go on (see record).
   */
  expandLevel(deliver: Deliver): void {
    const end = this.table.count;
    this.levelStarts.push(end);
    if (this.stopping) return;
    const { current, next } = this;
    this.deliver = deliver;
    for (let id = this.expanded; id < end; id++) {
      // a state counts as expanded once its expansion starts: a stop in the middle leaves it half done
      this.expanded = id + 1;
      this.expanding = globalId(id, this.index, this.count);
      this.table.read(id, current);
      if (this.forEachMove(current, next, this.routeMove)) return;
    }
  }

  /** The state being expanded (global id) and where its successors owned elsewhere go: read by routeMove, one closure for the whole search. */
  private expanding = -1;
  private deliver: Deliver = () => {
    throw new ModelError('a successor was routed outside expandLevel');
  };
  private readonly routeMove = (step: number, verdict: number): boolean => {
    this.route(this.expanding, step, verdict, this.deliver);
    return this.stopping;
  };

  /**
   * Writes each successor of `tuple` into `next` in turn (the vCPUs' moves,
   * then reclaiming each resident page) and calls `visit` with its step and
   * verdict index; stops as soon as `visit` returns true, and says whether it did.
   */
  private forEachMove(tuple: Int32Array, next: Int32Array, visit: (step: number, verdict: number) => boolean): boolean {
    const { packed } = this;
    const groups = packed.width - 1;
    const mask = tuple[groups]!;
    for (let g = 0; g < groups; g++) {
      const fact = packed.factOf(tuple, g);
      const last = packed.movesEnd(fact);
      for (let move = packed.movesStart(fact); move < last; move++) {
        packed.moveInto(tuple, g, move, next);
        if (visit(packed.stepOf(move), packed.verdictOf(move))) return true;
      }
    }
    for (let page = 0, bit = 1; bit <= mask; page++, bit <<= 1) {
      if ((mask & bit) === 0) continue;
      for (let i = 0; i < groups; i++) next[i] = tuple[i]!;
      next[groups] = mask & ~bit;
      if (visit(packed.swapStep(tuple, page), packed.swapVerdict(page))) return true;
    }
    return false;
  }

  private route(from: number, step: number, verdict: number, deliver: Deliver): void {
    if (this.count === 1 && this.canonicaliser === null) {
      this.arrive(this.next, null, from, step, verdict);
      return;
    }
    const image = this.imageOf(this.next);
    const owner = ownerOf(image ?? this.next, this.count);
    if (owner === this.index) this.arrive(this.next, image, from, step, verdict);
    else deliver(owner, this.next, image, from, step, verdict);
  }

  private imageOf(tuple: Int32Array): Int32Array | null {
    return this.canonicaliser === null ? null : this.canonicaliser.canonical(tuple, this.image);
  }

  /**
   * A successor owned here: `tuple` (canonical image `image` with symmetry),
   * reached from global id `from` by `step`, whose verdict index is
   * `verdict`. New states are stored and judged; a step property's violation
   * counts whether the state is new or not.
   */
  arrive(tuple: Int32Array, image: Int32Array | null, from: number, step: number, verdict: number): void {
    if (this.stopping) return;
    this.transitions++;
    let to = this.lookup(tuple, image);
    if (to < 0) {
      to = globalId(this.table.count - 1, this.index, this.count);
      this.addLink(from, step);
      if (!this.deferJudging) {
        const state = this.judgeState(tuple);
        if (state !== undefined) this.record(from, step, state);
        this.judged = this.table.count;
      }
      if (this.table.count >= this.limits.maxStates) this.stoppedBy = 'max-states';
    }
    if (verdict !== NO_VERDICT) this.record(from, step, this.packed.verdicts[verdict]!);
    if (this.keepFairEdges && this.isFair(step)) {
      if (this.runFrom.length === 0 || this.runFrom.get(this.runFrom.length - 1) !== from) {
        this.runFrom.push(from);
        this.runStart.push(this.fairTo.length);
      }
      this.fairTo.push(to);
    }
    if (--this.untilPoll === 0) {
      this.untilPoll = POLL_EVERY;
      this.stoppedBy ??= this.limits.poll(this);
    }
  }

  /** The memo keys (see PackedSystem.factKey) of the states not yet expanded that the packed system does not know, in increasing order. */
  missingFacts(): number[] {
    const keys = new Set<number>();
    for (let id = this.expanded; id < this.table.count; id++) {
      this.table.read(id, this.current);
      for (let g = 0; g < this.packed.width - 1; g++) {
        if (!this.packed.knowsFact(this.current, g)) keys.add(this.packed.factKey(this.current, g));
      }
    }
    return [...keys].sort((a, b) => a - b);
  }

  /** Judges the states stored since the last call (with deferJudging); also after a stop, so no stored state goes unjudged. */
  judgeLevel(): void {
    for (; this.judged < this.table.count; this.judged++) {
      const found = this.judgeState(this.table.read(this.judged, this.current));
      if (found !== undefined) {
        const { parent, step } = this.parentOf(this.judged);
        this.record(parent, step, found);
      }
    }
  }

  /**
   * The state property `tuple` breaks first, if any: the per-vCPU ones by
   * their shares' memoised verdicts, the projected ones once per projection
   * class, the rest on the whole state.
   */
  private judgeState(tuple: Int32Array): Verdict | undefined {
    const { packed, judge } = this;
    let broken = false;
    for (let g = 0; g < packed.width - 1 && !broken; g++) broken = packed.breaks(packed.factOf(tuple, g));
    if (!broken && judge.projected.length > 0) {
      const c = this.classes.classOf(tuple);
      broken = (this.classBroken[c] ??= judge.projectedState(packed.view(tuple)) === undefined ? 0 : 1) === 1;
    }
    if (!broken && judge.unprojected.length > 0) broken = judge.unprojectedState(packed.view(tuple)) !== undefined;
    if (!broken) return undefined;
    // judged again as a whole, so the report names the same property and message as a direct check
    const found = judge.state(packed.view(tuple));
    if (found === undefined) throw new ModelError('a per-vCPU or projected property broke by its memo but not in the state: its perVcpu or projection claim is wrong');
    return found;
  }

  /**
   * The global id of `tuple` (found by its canonical image `image` with
   * symmetry), or -1 after storing it as a new state. Without fair edges
   * the visited set keeps no ids, and a found state's id reads as 0.
   */
  private lookup(tuple: Int32Array, image: Int32Array | null): number {
    let id = this.visited.findOrAdd(image ?? tuple, this.table.count);
    if (id === OUTGROWN) {
      this.visited = (this.visited as ProductSet).toTupleIndex();
      id = this.visited.findOrAdd(image ?? tuple, this.table.count);
    }
    if (id >= 0) return globalId(id, this.index, this.count);
    this.table.append(tuple);
    return -1;
  }

  private isFair(step: number): boolean {
    return (this.fairSteps[step] ??= isFairStep(this.packed.steps[step]!));
  }

  /** The fair moves of local state `local`: each step with the state it leads to (for the fair-cycle search). */
  fairSuccessors(local: number): { step: number; tuple: Int32Array }[] {
    const current = this.table.read(local, new Int32Array(this.packed.width));
    const next = new Int32Array(this.packed.width);
    const out: { step: number; tuple: Int32Array }[] = [];
    this.forEachMove(current, next, (step) => {
      if (this.isFair(step)) out.push({ step, tuple: next.slice() });
      return false;
    });
    return out;
  }

  /** The global id of `tuple` if this partition stores it, else -1 (the visited set keeps ids when liveness is checked). */
  idOf(tuple: Int32Array): number {
    const id = this.visited.find(tuple);
    return id < 0 ? -1 : globalId(id, this.index, this.count);
  }

  /** The BFS parent (global id, -1 for the initial state) of local state `local`, and the step from it. */
  parentOf(local: number): { parent: number; step: number } {
    const [parent, step] = this.links.read(local, this.link);
    return { parent: parent!, step: step! };
  }

  private addLink(parent: number, step: number): void {
    this.link[0] = parent;
    this.link[1] = step;
    this.links.append(this.link);
  }

  /** The fair edges into this partition's states (global ids, see FairEdges) and the local id where each level starts. */
  fairEdges(): FairEdges {
    const starts = new Int32Array(this.runStart.length + 1);
    starts.set(this.runStart.view());
    starts[this.runStart.length] = this.fairTo.length;
    // views, not copies: the search is over, and a copy of the 13M targets of (2,3,2) took 0.2 s and 52 MB
    return { sources: this.runFrom.view(), starts, targets: this.fairTo.view(), levelStarts: this.levelStarts.view() };
  }

  /**
   * Per local state, for liveness goal `goal`: bit 0 the goal is reached (or
   * the guest died), bit 1 it is pending. Asked once per projection class.
   */
  goalFlags(goal: LivenessGoal, shouldStop: () => boolean): Uint8Array | 'interrupted' {
    const classes = this.stateClasses(shouldStop);
    if (classes === 'interrupted') return classes;
    const flags = new Uint8Array(classes.length);
    const byClass: number[] = [];
    for (let id = 0; id < flags.length; id++) {
      const c = classes[id]!;
      flags[id] = byClass[c] ??= this.goalFlagsOf(goal, this.table.read(id, this.current));
    }
    return flags;
  }

  /** The projection class of every stored state, computed once for all the goals of the liveness pass. */
  private stateClasses(shouldStop: () => boolean): Int32Array | 'interrupted' {
    if (this.stateClassCache?.length === this.table.count) return this.stateClassCache;
    const classes = new Int32Array(this.table.count);
    for (let id = 0; id < classes.length; id++) {
      if (id % 65536 === 0 && shouldStop()) return 'interrupted';
      classes[id] = this.classes.classOf(this.table.read(id, this.current));
    }
    this.stateClassCache = classes;
    return classes;
  }

  private goalFlagsOf(goal: LivenessGoal, tuple: Int32Array): number {
    const state = this.packed.view(tuple);
    return (goal.reached(state) || guestDied(state) ? 1 : 0) | (goal.pending(state) ? 2 : 0);
  }

  /** Why local state `local` breaks `goal`: no fair continuation reaches it, or (with `cycleSteps`) a fair cycle of that many steps entered there never does. */
  explain(local: number, goal: LivenessGoal, cycleSteps?: number): string {
    const state = this.packed.view(this.table.read(local, this.current));
    return cycleSteps === undefined ? goal.explain(state) : goal.explainCycle(state, cycleSteps);
  }

  /** The level report after `expandLevel` (and, with several partitions, the successors others handed over). */
  report(statesBefore: number, transitionsBefore: number): LevelReport {
    return {
      states: this.states,
      newStates: this.states - statesBefore,
      transitions: this.transitions - transitionsBefore,
      frontier: this.frontier,
      bytes: this.bytes,
      ...(this.violation === undefined ? {} : { violation: this.violation }),
      ...(this.stoppedBy === undefined ? {} : { stoppedBy: this.stoppedBy }),
    };
  }
}
