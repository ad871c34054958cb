/**
 * Symmetry reduction for the exhaustive search. Three kinds of things are
 * interchangeable: vCPUs that run the same number of tasks (tokens renamed
 * with them, since a token carries its vCPU id in its low bits), the guest's
 * pages (gfns renamed everywhere they appear), and the tasks of one vCPU.
 * A state and its images under these permutations are explored once. Sound
 * for the safety properties, which treat every vCPU, page and task alike;
 * the liveness check on a quotient graph is not done here, so the CLI only
 * allows `--symmetry` with `--safety-only`. One transition is not task
 * symmetric: `wakeToken` wakes the first of two sleepers on one token, a state
 * guest-atomicity already reports, so run symmetry with the whole safety set.
 */
import { WAKE_ALL } from '../../machines/host.js';
import { ModelError } from '../system/component.js';
import type { PackedSystem } from '../system/packed.js';
import { UsageError } from '../system/scope.js';
import { tasksOn, tokenOrder, type SystemConfig, type SystemState } from '../system/system.js';

/** Every permutation of the vCPUs that maps each vCPU to one with as many tasks (the identity first). */
export function vcpuPermutations(config: SystemConfig): number[][] {
  const { vcpus } = config.scope;
  if (config.design.tokenShift === 0 || 1 << config.design.tokenShift < vcpus) {
    throw new UsageError(`symmetry needs the vCPU id in the token's low bits; design '${config.design.name}' has tokenShift ${config.design.tokenShift}`);
  }
  const taskCount = (v: number) => tasksOn(config.scope, v).length;
  const out: number[][] = [];
  const extend = (prefix: number[]): void => {
    if (prefix.length === vcpus) {
      out.push(prefix);
      return;
    }
    for (let to = 0; to < vcpus; to++) {
      if (!prefix.includes(to) && taskCount(to) === taskCount(prefix.length)) extend([...prefix, to]);
    }
  };
  extend([]);
  return out;
}

/** The state with vCPU v renamed to perm[v] (its host, guest, tokens and observers moved along). */
export function permute(state: SystemState, perm: readonly number[]): SystemState {
  const shift = state.config.design.tokenShift;
  const mask = (1 << shift) - 1;
  const token = (t: number): number => (t === 0 || t === WAKE_ALL ? t : ((t & ~mask) | perm[t & mask]!) >>> 0);
  /** The array with entry v moved to perm[v] and rewritten by `f`. */
  const moved = <T>(items: readonly T[], f: (item: T, v: number) => T): T[] => {
    const out = new Array<T>(items.length);
    items.forEach((item, v) => {
      out[perm[v]!] = f(item, v);
    });
    return out;
  };
  const hosts = moved(state.hosts, (h, v) => ({
    value: h.value,
    context: {
      ...h.context,
      vcpu: perm[v]!,
      items: h.context.items.map((w) => ({ ...w, token: token(w.token) })),
      done: h.context.done.map(token),
      area: { ...h.context.area, token: token(h.context.area.token) },
      exception: h.context.exception === null ? null : { ...h.context.exception, token: token(h.context.exception.token) },
      sdei: h.context.sdei === null ? null : token(h.context.sdei),
    },
  }));
  const guests = moved(state.guests, (g, v) => ({
    value: g.value,
    context: {
      ...g.context,
      vcpu: perm[v]!,
      nodes: g.context.nodes.map((n) => ({ ...n, token: token(n.token) })).sort((a, b) => a.token - b.token || a.task - b.task),
      handling: g.context.handling === null ? null : { ...g.context.handling, token: token(g.context.handling.token) },
      nestedToken: g.context.nestedToken === null ? null : token(g.context.nestedToken),
      awayWaiter: g.context.awayWaiter === null ? null : { ...g.context.awayWaiter, token: token(g.context.awayWaiter.token) },
    },
  }));
  const tokens = state.tokens
    .map((t) => ({ value: t.value, context: { ...t.context, token: token(t.context.token), vcpu: perm[t.context.vcpu]! } }))
    .sort(tokenOrder);
  return { config: state.config, hosts, guests, tokens, resident: state.resident };
}

/** Every permutation of 0..n-1 (the identity first). */
function permutationsOf(n: number): number[][] {
  if (n === 0) return [[]];
  return permutationsOf(n - 1).flatMap((p) => Array.from({ length: n }, (_, at) => [...p.slice(0, n - 1 - at), n - 1, ...p.slice(n - 1 - at)]));
}

/** Every permutation of the pages (the identity first). */
export function pagePermutations(config: SystemConfig): number[][] {
  return permutationsOf(config.scope.pages);
}

/** The state with page p renamed to perm[p]: work items, the outstanding-gfn list, the observers and the residency. */
export function permutePages(state: SystemState, perm: readonly number[]): SystemState {
  const gfn = (g: number): number => (g < 0 ? g : perm[g]!);
  const hosts = state.hosts.map((h) => ({
    value: h.value,
    context: {
      ...h.context,
      items: h.context.items.map((w) => ({ ...w, gfn: gfn(w.gfn) })),
      gfns: h.context.gfns.map(gfn).sort((a, b) => a - b),
    },
  }));
  const tokens = state.tokens.map((t) => ({ value: t.value, context: { ...t.context, gfn: gfn(t.context.gfn) } }));
  const resident = new Array<boolean>(state.resident.length);
  state.resident.forEach((r, page) => {
    resident[perm[page]!] = r;
  });
  return { config: state.config, hosts, guests: state.guests, tokens, resident };
}

/** The state with vCPU v's local task i renamed to perm[i]: the task list, the current task, sleeper nodes and a migrated waiter. */
export function permuteTasks(state: SystemState, v: number, perm: readonly number[]): SystemState {
  const task = (i: number): number => (i < 0 ? i : perm[i]!);
  const guests = state.guests.map((g, u) => {
    if (u !== v) return g;
    const tasks = new Array<(typeof g.context.tasks)[number]>(g.context.tasks.length);
    g.context.tasks.forEach((t, i) => {
      tasks[perm[i]!] = t;
    });
    return {
      value: g.value,
      context: {
        ...g.context,
        tasks,
        current: task(g.context.current),
        nodes: g.context.nodes.map((n) => ({ ...n, task: task(n.task) })).sort((a, b) => a.token - b.token || a.task - b.task),
        awayWaiter: g.context.awayWaiter === null ? null : { ...g.context.awayWaiter, task: task(g.context.awayWaiter.task) },
      },
    };
  });
  return { ...state, guests };
}

/**
 * Canonical packed tuples: the least image of a tuple under the vCPU and page
 * permutations, each vCPU's share first brought to its least form under its
 * own task permutations (they act on that share alone, so the share-wise
 * least is the least). A share's image depends only on the share and the
 * permutation, so each one is computed once (through `permute`,
 * `permutePages`, `permuteTasks`) and remembered.
 */
export class PackedCanonicaliser {
  /** least[key(share, v, i, j)] - 1: the relocated share brought to its least task order (0: not computed yet) */
  private least = new Int32Array(1024);
  private readonly relocated = new Map<number, number>();
  private readonly taskLeast = new Map<number, number>();
  private readonly vcpuPerms: readonly (readonly number[])[];
  private readonly pagePerms: readonly (readonly number[])[];
  /** maskImage[j][mask]: the resident mask under page permutation j */
  private readonly maskImage: Int32Array[];
  private readonly image: Int32Array;
  private readonly vcpus: number;

  constructor(
    private readonly packed: PackedSystem,
    config: SystemConfig,
    /** a worker's replica (src/engine/parallel.ts): it learns every least image from the coordinating thread and computes none */
    private readonly replica = false,
  ) {
    this.vcpus = config.scope.vcpus;
    this.vcpuPerms = vcpuPermutations(config);
    this.pagePerms = pagePermutations(config);
    this.maskImage = this.pagePerms.map((perm) =>
      Int32Array.from({ length: 1 << config.scope.pages }, (_, mask) => perm.reduce((out, to, page) => (mask & (1 << page) ? out | (1 << to) : out), 0)),
    );
    this.image = new Int32Array(packed.width);
  }

  /** Writes the canonical image of `tuple` to `out`. */
  canonical(tuple: Int32Array, out: Int32Array): Int32Array {
    let first = true;
    for (let i = 0; i < this.vcpuPerms.length; i++) {
      const perm = this.vcpuPerms[i]!;
      for (let j = 0; j < this.pagePerms.length; j++) {
        for (let v = 0; v < this.vcpus; v++) this.image[perm[v]!] = this.leastImage(tuple, v, i, j);
        this.image[this.vcpus] = this.maskImage[j]![tuple[this.vcpus]!]!;
        if (first || lexicallyLess(this.image, out)) out.set(this.image);
        first = false;
      }
    }
    return out;
  }

  /** The share of vCPU v in `tuple` under vCPU permutation i and page permutation j, in its least task order (remembered in a flat table). */
  private leastImage(tuple: Int32Array, v: number, i: number, j: number): number {
    const key = this.key(tuple[v]!, v, i, j);
    if (key < this.least.length && this.least[key] !== 0) return this.least[key]! - 1;
    if (this.replica) throw new ModelError(`the least image of vcpu${v}'s share ${tuple[v]} was not sent to this replica`);
    const id = this.leastOverTasks(this.relocate(tuple, v, i, j), tuple);
    this.remember(key, id);
    return id;
  }

  private remember(key: number, id: number): void {
    if (key >= this.least.length) {
      const grown = new Int32Array(Math.max(this.least.length * 2, key + 1));
      grown.set(this.least);
      this.least = grown;
    }
    this.least[key] = id + 1;
  }

  /**
   * Computes the least images of vCPU `v`'s share in `tuple` under every
   * vCPU and page permutation, and adds the ones not in `sent` to `out` as
   * memo key and image id (for a replica: see learn).
   */
  imagesOf(tuple: Int32Array, v: number, sent: Set<number>, out: { keys: number[]; ids: number[] }): void {
    for (let i = 0; i < this.vcpuPerms.length; i++) {
      for (let j = 0; j < this.pagePerms.length; j++) {
        const id = this.leastImage(tuple, v, i, j);
        const key = this.key(tuple[v]!, v, i, j);
        if (sent.has(key)) continue;
        sent.add(key);
        out.keys.push(key);
        out.ids.push(id);
      }
    }
  }

  /** Learns least images the coordinating thread computed (see imagesOf). */
  learn(images: { readonly keys: readonly number[]; readonly ids: readonly number[] }): void {
    images.keys.forEach((key, n) => this.remember(key, images.ids[n]!));
  }

  private key(share: number, v: number, i: number, j: number): number {
    return ((share * this.vcpus + v) * this.vcpuPerms.length + i) * this.pagePerms.length + j;
  }

  /** The share of vCPU v in `tuple` under vCPU permutation i and page permutation j. */
  private relocate(tuple: Int32Array, v: number, i: number, j: number): number {
    const perm = this.vcpuPerms[i]!;
    const key = this.key(tuple[v]!, v, i, j);
    let id = this.relocated.get(key);
    if (id === undefined) {
      const image = this.packed.pack(permutePages(permute(this.packed.unpack(tuple), perm), this.pagePerms[j]!));
      for (let u = 0; u < this.vcpus; u++) {
        this.relocated.set(this.key(tuple[u]!, u, i, j), image[perm[u]!]!);
      }
      id = this.relocated.get(key)!;
    }
    return id;
  }

  /** The least id of `share` under its vCPU's task permutations (`context` supplies the other vCPUs to unpack with). */
  private leastOverTasks(share: number, context: Int32Array): number {
    let least = this.taskLeast.get(share);
    if (least === undefined) {
      const v = this.packed.vcpuOf(share);
      const tuple = Int32Array.from(context);
      tuple[v] = share;
      const withShare = this.packed.unpack(tuple);
      least = share;
      for (const perm of permutationsOf(withShare.guests[v]!.context.tasks.length)) {
        const id = this.packed.pack(permuteTasks(withShare, v, perm))[v]!;
        if (id < least) least = id;
      }
      this.taskLeast.set(share, least);
    }
    return least;
  }
}

function lexicallyLess(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
