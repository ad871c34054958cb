/**
 * Projection classes: states whose vCPUs have the same projections, vCPU by
 * vCPU (PackedSystem.projectionOf), look alike to every check that declares a
 * projection (properties/types.ts `Projection`), so such a check is asked once
 * per class. A class is numbered by folding the vCPUs' projection ids in
 * pairs, one table per vCPU after the first.
 */
import { ModelError } from '../errors.js';
import type { PackedSystem } from './packed.js';

/** Projection ids stay below this, so a pair is keyed by one number. */
const ID_SPAN = 2 ** 26;
/** Entries a V8 Map holds at most. */
const MAX_PAIRS = 2 ** 24;

export class ProjectionClasses {
  /** pairs[v - 1]: (class of vCPUs 0..v-1, projection of vCPU v) -> class of vCPUs 0..v */
  private readonly pairs: Map<number, number>[];

  constructor(private readonly packed: PackedSystem<unknown>) {
    this.pairs = Array.from({ length: packed.width - 2 }, () => new Map());
  }

  /** The class of `tuple` (its vCPUs' facts are computed if new). */
  classOf(tuple: Int32Array): number {
    const { packed } = this;
    let id = packed.projectionOf(packed.factOf(tuple, 0));
    for (let v = 1; v <= this.pairs.length; v++) {
      const pairs = this.pairs[v - 1]!;
      const key = id * ID_SPAN + packed.projectionOf(packed.factOf(tuple, v));
      let next = pairs.get(key);
      if (next === undefined) {
        next = pairs.size;
        if (next >= MAX_PAIRS) throw new ModelError(`more than ${MAX_PAIRS} combinations of projections: the projections read more than their checks need`);
        pairs.set(key, next);
      }
      id = next;
    }
    return id;
  }
}
