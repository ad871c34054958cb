/**
 * The visited set as one bit per point of the product of the vCPUs' share
 * spaces and the resident masks. vCPUs interact only through the pages and
 * the tokens, so the reachable states fill much of that product: a bit per
 * point takes less room than any stored key, and a lookup is one bit test
 * in an array small enough to stay in cache, where a hash table costs a
 * cache miss per successor. When liveness needs the ids of found states, an
 * id per point is kept beside the bits.
 *
 * A point is (local index of vCPU 0's share, ..., of vCPU n-1's, mask), in
 * mixed radix; each vCPU's dimension doubles when its shares outgrow it. A
 * key holds vCPU v's share at index v (PackedSystem.pack and the symmetry
 * canonicaliser both keep it there), so local indices never mix vCPUs.
 * Past MAX_BITS (MAX_IDS with ids), or once its bits and ids would take
 * more than DENSE_FLOOR and more than a TupleIndex of the states found, the
 * product is too sparse to pay: the set says OUTGROWN and hands its states
 * to a TupleIndex. (Symmetric (2,4,2) x86 filled 3.0M of 2^34 points: 2 GiB
 * of bits, 1.8 GB resident.)
 */
import { TupleIndex } from './state-table.js';

/** findOrAdd's answer when the key lies outside the largest product this set may span. */
export const OUTGROWN = -2;

/** The largest product spanned, in points: 2 GiB of bits, or 1 GiB of ids. */
export const MAX_BITS = 2 ** 34;
export const MAX_IDS = 2 ** 28;
/** Below this many bytes a product is kept however sparse: small enough to stay cheap. */
const DENSE_FLOOR = 2 ** 26;
/** Shares each vCPU's dimension starts with. */
const FIRST_CAPACITY = 16;

/** How shares are numbered: by global id in keys, by index among their vCPU's shares in points (PackedSystem does both). */
export interface ShareNumbering {
  localIndex(share: number): number;
  shareAt(v: number, local: number): number;
}

export class ProductSet {
  private readonly vcpus: number;
  /** resident masks: 2^pages */
  private readonly masks: number;
  /** per vCPU, the shares its dimension spans */
  private capacities: number[];
  private bits: Int32Array;
  private ids: Int32Array | null;
  private size = 0;
  /** a point's coordinates, reused */
  private readonly locals: Int32Array;

  constructor(
    private readonly shares: ShareNumbering,
    vcpus: number,
    pages: number,
    keepIds: boolean,
    /** the largest product spanned, in points */
    private readonly maxPoints = keepIds ? MAX_IDS : MAX_BITS,
  ) {
    if (pages < 1) throw new RangeError(`a ProductSet needs at least one page (got ${pages}): widening moves whole words of bits`);
    this.vcpus = vcpus;
    this.masks = 2 ** pages;
    this.capacities = Array.from({ length: this.vcpus }, () => FIRST_CAPACITY);
    const points = this.pointsOf(this.capacities);
    this.bits = new Int32Array(Math.ceil(points / 32));
    this.ids = keepIds ? new Int32Array(points) : null;
    this.locals = new Int32Array(this.vcpus + 1);
  }

  get count(): number {
    return this.size;
  }

  /** Bytes held by the bits and ids. */
  get bytes(): number {
    return this.bits.byteLength + (this.ids?.byteLength ?? 0);
  }

  /**
   * The memory the set's next change of shape would add: widening (new bits
   * and ids twice the size, while the old ones are held), or, once widening
   * would pass the bound, handing its states (and `additions` more) to a
   * TupleIndex. Either can come with any new share, so it is never 0.
   */
  growthWithin(additions: number): number {
    return this.pays(2 * this.pointsOf(this.capacities)) ? 2 * this.bytes : TupleIndex.peakBytesFor(this.size + additions, this.vcpus + 1);
  }

  /**
   * -1 if `key` was not in the set (it is added, with id `id` if ids are
   * kept); otherwise its id, or 0 if ids are not kept; OUTGROWN if the set
   * cannot span it (see toTupleIndex).
   */
  findOrAdd(key: Int32Array, id: number): number {
    const point = this.pointOfKey(key);
    if (point < 0) {
      const v = -point - 1;
      return this.widen(v, this.shares.localIndex(key[v]!)) ? this.findOrAdd(key, id) : OUTGROWN;
    }
    // a point is below 2^34: its word index fits 32 bits, and `point & 31` reads the low bits of point mod 2^32
    const word = (point / 32) >>> 0;
    const bit = 1 << (point & 31);
    if ((this.bits[word]! & bit) !== 0) return this.ids === null ? 0 : this.ids[point]!;
    this.bits[word] = this.bits[word]! | bit;
    if (this.ids !== null) this.ids[point] = id;
    this.size++;
    return -1;
  }

  /** The id of `key`, or -1 if it is not in the set (ids must be kept). */
  find(key: Int32Array): number {
    const point = this.pointOfKey(key);
    return point < 0 || (this.bits[(point / 32) >>> 0]! & (1 << (point & 31))) === 0 ? -1 : this.ids![point]!;
  }

  /** The point of `key`, or -(v + 1) if vCPU v's share lies outside its dimension. */
  private pointOfKey(key: Int32Array): number {
    const { shares, capacities } = this;
    let point = 0;
    for (let v = 0; v < this.vcpus; v++) {
      const local = shares.localIndex(key[v]!);
      if (local >= capacities[v]!) return -(v + 1);
      point = point * capacities[v]! + local;
    }
    return point * this.masks + key[this.vcpus]!;
  }

  /** The same states (and ids) in a TupleIndex, for a search whose product outgrew this set. */
  toTupleIndex(): TupleIndex {
    const index = new TupleIndex(this.vcpus + 1);
    const key = new Int32Array(this.vcpus + 1);
    forEachSetBit(this.bits, (point) => {
      this.localsOf(point, this.capacities);
      for (let v = 0; v < this.vcpus; v++) key[v] = this.shares.shareAt(v, this.locals[v]!);
      key[this.vcpus] = this.locals[this.vcpus]!;
      index.findOrAdd(key, this.ids === null ? 0 : this.ids[point]!);
    });
    return index;
  }

  /**
   * Doubles vCPU v's dimension until it spans `local`, moving every point;
   * false if the product would pass its bound. For each setting of the
   * dimensions before v, the points of the later ones form one block, which
   * keeps its layout and only moves: a block is at least FIRST_CAPACITY x 2
   * points (one page or more), so whole 32-bit words of bits move at once.
   */
  private widen(v: number, local: number): boolean {
    const capacities = this.capacities.slice();
    while (capacities[v]! <= local) capacities[v]! *= 2;
    const points = this.pointsOf(capacities);
    if (!this.pays(points)) return false;
    const bits = new Int32Array(Math.ceil(points / 32));
    const ids = this.ids === null ? null : new Int32Array(points);
    const block = this.capacities.slice(v).reduce((product, capacity) => product * capacity, this.masks);
    const stride = (block / this.capacities[v]!) * capacities[v]!;
    const blocks = this.capacities.slice(0, v).reduce((product, capacity) => product * capacity, 1);
    for (let b = 0; b < blocks; b++) {
      bits.set(this.bits.subarray((b * block) / 32, ((b + 1) * block) / 32), (b * stride) / 32);
      ids?.set(this.ids!.subarray(b * block, (b + 1) * block), b * stride);
    }
    this.capacities = capacities;
    this.bits = bits;
    this.ids = ids;
    return true;
  }

  /** Whether a product of `points` is worth its bits and ids: within the bound, and dense enough or small. */
  private pays(points: number): boolean {
    const bytes = points / 8 + (this.ids === null ? 0 : 4 * points);
    return points <= this.maxPoints && (bytes <= DENSE_FLOOR || bytes <= TupleIndex.peakBytesFor(this.size, this.vcpus + 1));
  }

  private pointsOf(capacities: readonly number[]): number {
    return capacities.reduce((product, capacity) => product * capacity, this.masks);
  }

  /** Sets `locals` to the coordinates of `point` in dimensions `capacities`. */
  private localsOf(point: number, capacities: readonly number[]): void {
    const mask = point % this.masks;
    this.locals[this.vcpus] = mask;
    let rest = (point - mask) / this.masks;
    for (let v = this.vcpus - 1; v >= 0; v--) {
      const local = rest % capacities[v]!;
      this.locals[v] = local;
      rest = (rest - local) / capacities[v]!;
    }
  }
}

/** Calls `f` with the index of every set bit of `bits`, in increasing order. */
function forEachSetBit(bits: Int32Array, f: (index: number) => void): void {
  for (let word = 0; word < bits.length; word++) {
    let w = bits[word]!;
    while (w !== 0) {
      const low = w & -w;
      f(word * 32 + 31 - Math.clz32(low));
      w ^= low;
    }
  }
}
