/**
 * Symmetry reduction for the exhaustive search: canonical packed tuples.
 * Three kinds of things are interchangeable (src/system/state.ts says which
 * and how a state is renamed by each): vCPUs that run the same number of
 * tasks, the guest's pages, and the tasks of one vCPU. A state and its images
 * under these permutations are explored once. Sound for the safety
 * properties, which treat every vCPU, page and task alike; the liveness check
 * on a quotient graph is not done here, so the CLI only allows `--symmetry`
 * with `--safety-only`. One transition is not task symmetric: `wakeToken`
 * wakes the first of two sleepers on one token, a state guest-atomicity
 * already reports, so run symmetry with the whole safety set.
 */
import { ModelError } from '../errors.js';
import { pagePermutations, permutationsOf, permutePages, permuteTasks, permuteVcpus, vcpuPermutations, type SystemConfig } from '../system/state.js';
import type { PackedSystem } from './packed.js';

/**
 * Canonical packed tuples: the least image of a tuple under the vCPU and page
 * permutations, each group's share first brought to its least form under its
 * vCPUs' own task permutations (they act on that share alone, so the
 * share-wise least is the least). A vCPU permutation maps groups onto groups
 * (each vCPU its own group, or one group of all). A share's image depends
 * only on the share and the permutation, so each one is computed once
 * (through `permuteVcpus`, `permutePages`, `permuteTasks`) and remembered.
 */
export class PackedCanonicaliser {
  /** least[key(share, g, i, j)] - 1: the relocated share brought to its least task order (0: not computed yet) */
  private least = new Int32Array(1024);
  private readonly relocated = new Map<number, number>();
  private readonly taskLeast = new Map<number, number>();
  private readonly vcpuPerms: readonly (readonly number[])[];
  /** groupPerms[i][g]: the group vCPU permutation i maps group g to */
  private readonly groupPerms: readonly (readonly number[])[];
  private readonly pagePerms: readonly (readonly number[])[];
  /** maskImage[j][mask]: the resident mask under page permutation j */
  private readonly maskImage: Int32Array[];
  private readonly image: Int32Array;
  /** number of groups (the tuple's entries before the mask) */
  private readonly count: number;

  constructor(
    private readonly packed: PackedSystem<unknown>,
    config: SystemConfig,
    /** a worker's replica (src/search/parallel/parallel.ts): it learns every least image from the coordinating thread and computes none */
    private readonly replica = false,
  ) {
    this.count = packed.width - 1;
    this.vcpuPerms = vcpuPermutations(config);
    this.groupPerms = this.vcpuPerms.map((perm) => packed.groups.map((group) => packed.groupOfVcpuIndex(perm[group[0]!]!)));
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
      const perm = this.groupPerms[i]!;
      for (let j = 0; j < this.pagePerms.length; j++) {
        for (let g = 0; g < this.count; g++) this.image[perm[g]!] = this.leastImage(tuple, g, i, j);
        this.image[this.count] = this.maskImage[j]![tuple[this.count]!]!;
        if (first || lexicallyLess(this.image, out)) out.set(this.image);
        first = false;
      }
    }
    return out;
  }

  /** The share of group g in `tuple` under vCPU permutation i and page permutation j, in its least task order (remembered in a flat table). */
  private leastImage(tuple: Int32Array, g: number, i: number, j: number): number {
    const key = this.key(tuple[g]!, g, i, j);
    if (key < this.least.length && this.least[key] !== 0) return this.least[key]! - 1;
    if (this.replica) throw new ModelError(`the least image of group ${g}'s share ${tuple[g]} was not sent to this replica`);
    const id = this.leastOverTasks(this.relocate(tuple, g, i, j), tuple);
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
   * Computes the least images of group `g`'s share in `tuple` under every
   * vCPU and page permutation, and adds the ones not in `sent` to `out` as
   * memo key and image id (for a replica: see learn).
   */
  imagesOf(tuple: Int32Array, g: number, sent: Set<number>, out: { keys: number[]; ids: number[] }): void {
    for (let i = 0; i < this.vcpuPerms.length; i++) {
      for (let j = 0; j < this.pagePerms.length; j++) {
        const id = this.leastImage(tuple, g, i, j);
        const key = this.key(tuple[g]!, g, i, j);
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

  private key(share: number, g: number, i: number, j: number): number {
    return ((share * this.count + g) * this.vcpuPerms.length + i) * this.pagePerms.length + j;
  }

  /** The share of group g in `tuple` under vCPU permutation i and page permutation j. */
  private relocate(tuple: Int32Array, g: number, i: number, j: number): number {
    const key = this.key(tuple[g]!, g, i, j);
    let id = this.relocated.get(key);
    if (id === undefined) {
      const image = this.packed.pack(permutePages(permuteVcpus(this.packed.unpack(tuple), this.vcpuPerms[i]!), this.pagePerms[j]!));
      const perm = this.groupPerms[i]!;
      for (let u = 0; u < this.count; u++) {
        this.relocated.set(this.key(tuple[u]!, u, i, j), image[perm[u]!]!);
      }
      id = this.relocated.get(key)!;
    }
    return id;
  }

  /** The least id of `share` under its vCPUs' task permutations, all combined (`context` supplies the other groups to unpack with). */
  private leastOverTasks(share: number, context: Int32Array): number {
    let least = this.taskLeast.get(share);
    if (least === undefined) {
      const g = this.packed.groupOf(share);
      const tuple = Int32Array.from(context);
      tuple[g] = share;
      let images = [this.packed.unpack(tuple)];
      for (const v of this.packed.groups[g]!) {
        images = images.flatMap((state) => permutationsOf(state.guests[v]!.context.tasks.length).map((perm) => permuteTasks(state, v, perm)));
      }
      least = share;
      for (const image of images) {
        const id = this.packed.pack(image)[g]!;
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
