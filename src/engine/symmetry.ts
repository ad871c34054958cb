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
import { UsageError } from '../system/scope.js';
import { stateKey, tasksOn, tokenOrder, type SystemConfig, type SystemState } from '../system/system.js';

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

/** A key shared by every state in the orbit of `state`: the least key of its images. */
export function canonicalKey(state: SystemState, perms: readonly (readonly number[])[]): string {
  let best = stateKey(state);
  for (let i = 1; i < perms.length; i++) {
    const key = stateKey(permute(state, perms[i]!));
    if (key < best) best = key;
  }
  return best;
}
