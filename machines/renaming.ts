/**
 * Renaming a machine's context: what a symmetry of the model does to it. Each
 * machine module says where its context holds vCPU ids, tokens, gfns and local
 * task numbers (`renameHost`, `renameGuest`, `renameToken`) and which tokens it
 * refers to, so that the composed system can permute interchangeable vCPUs,
 * pages and tasks, and tell which tokens are still in use, without any code
 * outside machines/ naming a context field.
 */
export interface Renaming {
  readonly vcpu: (v: number) => number;
  /** a token value (0 and `~0` are never renamed by the system's renamings) */
  readonly token: (t: number) => number;
  /** a gfn (negative: none) */
  readonly gfn: (g: number) => number;
  /** a local task number of this CPU: a permutation (-1, no task, stays -1) */
  readonly task: (i: number) => number;
  /** a task's pid (its number among all the guest's tasks) */
  readonly pid: (p: number) => number;
}

const same = (x: number): number => x;

/** The renaming that changes nothing; symmetries override the parts they permute. */
export const NO_RENAMING: Renaming = { vcpu: same, token: same, gfn: same, task: same, pid: same };

/** The array with entry i moved to `to(i)` (a permutation of the indices). */
export function permuted<T>(items: readonly T[], to: (i: number) => number): T[] {
  const out = new Array<T>(items.length);
  items.forEach((item, i) => {
    out[to(i)] = item;
  });
  return out;
}
