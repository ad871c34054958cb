/**
 * Growable integer storage on typed arrays (no per-element objects), and
 * what growing it costs: the search's memory guard asks each store, before
 * it grows, how much memory its next growth would take (growthWithin).
 */

/** The most elements a typed array can hold. */
export const MAX_TYPED_LENGTH = 2 ** 32;

/**
 * `data` grown by doubling until it holds `needed` elements (at most
 * MAX_TYPED_LENGTH), its values copied over.
 */
export function grown(data: Int32Array<ArrayBuffer>, needed: number): Int32Array<ArrayBuffer> {
  if (needed > MAX_TYPED_LENGTH) throw new RangeError(`an array of the search would need ${needed} elements, past the ${MAX_TYPED_LENGTH} a typed array holds`);
  let length = Math.max(data.length, 1);
  while (length < needed) length *= 2;
  const out = new Int32Array(Math.min(length, MAX_TYPED_LENGTH));
  out.set(data);
  return out;
}

/**
 * The memory that growing an array of `bytes` to hold `needed` elements
 * (see grown) adds while it copies: the copy touches as many bytes as the
 * old array holds, and the rest of the new one stays unmapped until it is
 * written. Infinity if no typed array holds `needed` elements.
 */
export function doublingCost(bytes: number, needed: number): number {
  return needed > MAX_TYPED_LENGTH ? Number.POSITIVE_INFINITY : bytes;
}

/** A growable list of 32-bit integers in one typed array. */
export class IntList {
  private data = new Int32Array(1024);
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(value: number): void {
    if (this.size === this.data.length) this.data = grown(this.data, this.size + 1);
    this.data[this.size++] = value;
  }

  get(index: number): number {
    return this.data[index]!;
  }

  /** Overwrites the value at `index` (below length). */
  set(index: number, value: number): void {
    if (index < 0 || index >= this.size) throw new RangeError(`IntList.set at ${index}, past its ${this.size} values`);
    this.data[index] = value;
  }

  /**
   * The values, without a copy: a view of the list's array. A later push
   * may move the list to a new array; the view keeps the values it had.
   */
  view(): Int32Array {
    return this.data.subarray(0, this.size);
  }

  get bytes(): number {
    return this.data.byteLength;
  }

  /** The memory growing would add if it may happen within `additions` more pushes; 0 if not (see doublingCost). */
  growthWithin(additions: number): number {
    const needed = this.size + additions;
    return needed <= this.data.length ? 0 : doublingCost(this.bytes, needed);
  }
}
