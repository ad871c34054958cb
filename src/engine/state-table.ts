/**
 * The visited set of the exhaustive search: fixed-width integer tuples stored
 * back to back in one growable Int32Array, found through an open-addressing
 * hash table of ids. About (width + 2..4) x 4 bytes per state, no objects.
 */
export class StateTable {
  private tuples: Int32Array;
  /** id + 1 per slot, 0 for empty; capacity a power of two, at most half full */
  private slots: Int32Array;
  private size = 0;

  constructor(readonly width: number) {
    this.tuples = new Int32Array(width * 1024);
    this.slots = new Int32Array(2048);
  }

  get count(): number {
    return this.size;
  }

  /** The id of `tuple`, or -1. */
  find(tuple: Int32Array): number {
    const mask = this.slots.length - 1;
    for (let slot = hashTuple(tuple) & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) return -1;
      if (this.equals(entry - 1, tuple)) return entry - 1;
    }
  }

  /** The id of `tuple` if stored; otherwise stores it and returns -1 (its id is then `count - 1`). One probe sequence for both. */
  findOrAdd(tuple: Int32Array): number {
    const mask = this.slots.length - 1;
    let slot = hashTuple(tuple) & mask;
    for (; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot]!;
      if (entry === 0) break;
      if (this.equals(entry - 1, tuple)) return entry - 1;
    }
    const id = this.append(tuple);
    if (2 * this.size > this.slots.length) this.rehash(this.slots.length * 2);
    else this.slots[slot] = id + 1;
    return -1;
  }

  /** Stores `tuple` (not already present) and returns its id. */
  add(tuple: Int32Array): number {
    const id = this.append(tuple);
    if (2 * this.size > this.slots.length) this.rehash(this.slots.length * 2);
    else this.place(id, tuple);
    return id;
  }

  /** Stores `tuple` without indexing it (a caller that dedupes by another key). */
  append(tuple: Int32Array): number {
    if ((this.size + 1) * this.width > this.tuples.length) {
      const grown = new Int32Array(this.tuples.length * 2);
      grown.set(this.tuples);
      this.tuples = grown;
    }
    this.tuples.set(tuple, this.size * this.width);
    return this.size++;
  }

  /** Copies tuple `id` into `out`. */
  read(id: number, out: Int32Array): Int32Array {
    // element by element: a subarray view would be an allocation per state read
    const base = id * this.width;
    for (let i = 0; i < this.width; i++) out[i] = this.tuples[base + i]!;
    return out;
  }

  /** Bytes held by the table's arrays. */
  get bytes(): number {
    return this.tuples.byteLength + this.slots.byteLength;
  }

  private equals(id: number, tuple: Int32Array): boolean {
    const base = id * this.width;
    for (let i = 0; i < this.width; i++) if (this.tuples[base + i] !== tuple[i]) return false;
    return true;
  }

  private place(id: number, tuple: Int32Array): void {
    const mask = this.slots.length - 1;
    let slot = hashTuple(tuple) & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = id + 1;
  }

  private rehash(capacity: number): void {
    this.slots = new Int32Array(capacity);
    const tuple = new Int32Array(this.width);
    for (let id = 0; id < this.size; id++) this.place(id, this.read(id, tuple));
  }
}

/** FNV-1a style mixing of 32-bit integers. */
export function hashTuple(tuple: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < tuple.length; i++) {
    h = Math.imul(h ^ tuple[i]!, 0x01000193);
    h ^= h >>> 15;
  }
  return h >>> 0;
}
