/**
 * The exhaustive search's state storage, on typed arrays only: a TupleList
 * holds fixed-width integer tuples by id (the states in BFS order), a
 * TupleIndex finds a tuple's id. The index keeps each tuple inline in its
 * slot beside the id, so a lookup touches one place in memory, not a slot
 * and then the tuple it points to; that one cache miss per successor is
 * most of what the search costs.
 */
import { MAX_TYPED_LENGTH } from '../../packed/int-list.js';

/** Tuples a TupleList chunk holds (a power of two). */
const CHUNK_SHIFT = 12;
const CHUNK_TUPLES = 1 << CHUNK_SHIFT;

/**
 * Tuples by id, back to back in fixed-size chunks. A list grows by a chunk
 * at a time and never copies: doubling one array copied every tuple about
 * once more and wrote each into fresh pages twice, some 0.2 s of a 3 s
 * search of 3.4M states here.
 */
export class TupleList {
  private readonly chunks: Int32Array[] = [];
  private size = 0;

  constructor(readonly width: number) {}

  get count(): number {
    return this.size;
  }

  /** Stores `tuple` and returns its id. */
  append(tuple: Int32Array): number {
    const offset = this.size & (CHUNK_TUPLES - 1);
    if (offset === 0) {
      if ((this.size + CHUNK_TUPLES) * this.width > MAX_TYPED_LENGTH) {
        throw new RangeError(`the search would store more than ${Math.floor(MAX_TYPED_LENGTH / this.width)} tuples of ${this.width} integers in one list`);
      }
      this.chunks.push(new Int32Array(CHUNK_TUPLES * this.width));
    }
    // element by element: TypedArray#set costs more than the copy for a tuple of a few integers
    const chunk = this.chunks[this.chunks.length - 1]!;
    const base = offset * this.width;
    for (let i = 0; i < this.width; i++) chunk[base + i] = tuple[i]!;
    return this.size++;
  }

  /** Copies tuple `id` into `out`. */
  read(id: number, out: Int32Array): Int32Array {
    // element by element: a subarray view would be an allocation per state read
    const chunk = this.chunks[id >>> CHUNK_SHIFT]!;
    const base = (id & (CHUNK_TUPLES - 1)) * this.width;
    for (let i = 0; i < this.width; i++) out[i] = chunk[base + i]!;
    return out;
  }

  /** Bytes held by the list's chunks. */
  get bytes(): number {
    return this.chunks.length * CHUNK_TUPLES * this.width * 4;
  }

  /** The memory new chunks would add if `additions` more tuples may come (Infinity past what a list holds). */
  growthWithin(additions: number): number {
    const chunks = Math.ceil((this.size + additions) / CHUNK_TUPLES);
    if (chunks * CHUNK_TUPLES * this.width > MAX_TYPED_LENGTH) return Number.POSITIVE_INFINITY;
    return Math.max(0, chunks - this.chunks.length) * CHUNK_TUPLES * this.width * 4;
  }
}

/** The index grows when more than this share of its slots is taken. */
const MAX_LOAD = 0.75;

/** An open-addressing (linear probing) hash map from tuples to ids, each slot holding id + 1 (0: empty) and the tuple. */
export class TupleIndex {
  private slots: Int32Array;
  /** slots in the table, a power of two */
  private capacity = 1024;
  private size = 0;
  private readonly stride: number;

  constructor(readonly width: number) {
    this.stride = width + 1;
    this.slots = new Int32Array(this.capacity * this.stride);
  }

  get count(): number {
    return this.size;
  }

  /** The id of `tuple`, or -1. */
  find(tuple: Int32Array): number {
    const slot = this.slotOf(tuple);
    return this.slots[slot * this.stride]! - 1;
  }

  /** The id of `tuple` if it is in the index; otherwise adds it with id `id` and returns -1. */
  findOrAdd(tuple: Int32Array, id: number): number {
    const slot = this.slotOf(tuple);
    const at = slot * this.stride;
    const entry = this.slots[at]!;
    if (entry !== 0) return entry - 1;
    this.slots[at] = id + 1;
    for (let i = 0; i < this.width; i++) this.slots[at + 1 + i] = tuple[i]!;
    if (++this.size > this.capacity * MAX_LOAD) this.grow();
    return -1;
  }

  /** Bytes held by the index's array. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /**
   * The memory growing would add if it may happen within `additions` more
   * tuples; 0 if not. Rehashing writes all over the new array, twice the
   * size of the old one, which is held until the end.
   */
  growthWithin(additions: number): number {
    if (this.size + additions <= this.capacity * MAX_LOAD) return 0;
    return 2 * this.capacity * this.stride > MAX_TYPED_LENGTH ? Number.POSITIVE_INFINITY : 2 * this.bytes;
  }

  /** The most memory that building up an index of `count` tuples of `width` integers holds at once: at its last growth, the old and the new array. */
  static peakBytesFor(count: number, width: number): number {
    let capacity = 1024;
    while (count > capacity * MAX_LOAD) capacity *= 2;
    return 1.5 * capacity * (width + 1) * 4;
  }

  /** The slot holding `tuple`, or the empty slot where it would go. */
  private slotOf(tuple: Int32Array): number {
    const { slots, stride, width } = this;
    const mask = this.capacity - 1;
    for (let slot = hashTuple(tuple) & mask; ; slot = (slot + 1) & mask) {
      const at = slot * stride;
      if (slots[at] === 0) return slot;
      let i = 0;
      while (i < width && slots[at + 1 + i] === tuple[i]) i++;
      if (i === width) return slot;
    }
  }

  private grow(): void {
    const old = this.slots;
    this.capacity *= 2;
    this.slots = new Int32Array(this.capacity * this.stride);
    const tuple = new Int32Array(this.width);
    for (let at = 0; at < old.length; at += this.stride) {
      if (old[at] === 0) continue;
      for (let i = 0; i < this.width; i++) tuple[i] = old[at + 1 + i]!;
      const to = this.slotOf(tuple) * this.stride;
      this.slots[to] = old[at]!;
      this.slots.set(tuple, to + 1);
    }
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
