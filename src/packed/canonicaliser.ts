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
    private readonly packed: PackedSystem<unknown>,
    config: SystemConfig,
    /** a worker's replica (src/search/parallel/parallel.ts): it learns every least image from the coordinating thread and computes none */
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
      const image = this.packed.pack(permutePages(permuteVcpus(this.packed.unpack(tuple), perm), this.pagePerms[j]!));
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
