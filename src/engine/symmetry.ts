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
import { stateKey, tasksOn, type SystemConfig, type SystemState } from '../system/system.js';

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
  const hosts = new Array<SystemState['hosts'][number]>(state.hosts.length);
  state.hosts.forEach((h, v) => {
    const c = h.context;
    hosts[perm[v]!] = {
      value: h.value,
      context: {
        ...c,
        vcpu: perm[v]!,
        items: c.items.map((w) => ({ ...w, token: token(w.token) })),
        done: c.done.map(token),
        area: { ...c.area, token: token(c.area.token) },
        exception: c.exception === null ? null : { ...c.exception, token: token(c.exception.token) },
        sdei: c.sdei === null ? null : token(c.sdei),
      },
    };
  });
  const guests = new Array<SystemState['guests'][number]>(state.guests.length);
  state.guests.forEach((g, v) => {
    const c = g.context;
    guests[perm[v]!] = {
      value: g.value,
      context: {
        ...c,
        vcpu: perm[v]!,
        nodes: c.nodes.map((n) => ({ ...n, token: token(n.token) })).sort((a, b) => a.token - b.token || a.task - b.task),
        handling: c.handling === null ? null : { ...c.handling, token: token(c.handling.token) },
        nestedToken: c.nestedToken === null ? null : token(c.nestedToken),
      },
    };
  });
  const tokens = state.tokens
    .map((t) => ({ value: t.value, context: { ...t.context, token: token(t.context.token), vcpu: perm[t.context.vcpu]! } }))
    .sort((a, b) => a.context.token - b.context.token);
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
