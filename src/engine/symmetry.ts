/**
 * vCPU symmetry reduction for the exhaustive search: vCPUs that run the same
 * number of tasks are interchangeable, so a state and its image under a
 * permutation of those vCPUs (tokens renamed with them, since a token carries
 * its vCPU id in its low bits) are explored once. Sound for the safety
 * properties, which quantify over every vCPU and token alike; the liveness
 * check on a quotient graph is not done here, so the CLI only allows
 * `--symmetry` with `--safety-only`.
 */
import { WAKE_ALL } from '../../machines/host.js';
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

/**
 * Canonical packed tuples: the least image of a tuple under the vCPU
 * permutations. A vCPU's share moves to another vCPU by renaming its tokens
 * and ids, which depends only on the share and the two vCPUs, so each
 * relocation is computed once (through `permute`) and remembered.
 */
export class PackedCanonicaliser {
  private readonly relocated = new Map<number, number>();
  private readonly image: Int32Array;
  private readonly vcpus: number;

  constructor(
    private readonly packed: PackedSystem,
    private readonly perms: readonly (readonly number[])[],
  ) {
    this.vcpus = packed.width - 1;
    this.image = new Int32Array(packed.width);
  }

  /** Writes the canonical image of `tuple` to `out` (the identity is the first permutation). */
  canonical(tuple: Int32Array, out: Int32Array): Int32Array {
    out.set(tuple);
    for (let i = 1; i < this.perms.length; i++) {
      const perm = this.perms[i]!;
      for (let v = 0; v < this.vcpus; v++) this.image[perm[v]!] = this.relocate(tuple, v, perm);
      this.image[this.vcpus] = tuple[this.vcpus]!;
      if (lexicallyLess(this.image, out)) out.set(this.image);
    }
    return out;
  }

  private relocate(tuple: Int32Array, v: number, perm: readonly number[]): number {
    const key = (tuple[v]! * this.vcpus + v) * this.vcpus + perm[v]!;
    let id = this.relocated.get(key);
    if (id === undefined) {
      const image = this.packed.pack(permute(this.packed.unpack(tuple), perm));
      for (let u = 0; u < this.vcpus; u++) this.relocated.set((tuple[u]! * this.vcpus + u) * this.vcpus + perm[u]!, image[perm[u]!]!);
      id = this.relocated.get(key)!;
    }
    return id;
  }
}

function lexicallyLess(a: Int32Array, b: Int32Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
  return false;
}
