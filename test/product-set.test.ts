/**
 * The bit-per-point visited set: it finds exactly the keys added to it (and
 * their ids, when it keeps them) as vCPU dimensions widen, and hands the same
 * states to a TupleIndex once the product passes its bound.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OUTGROWN, ProductSet, type ShareNumbering } from '../src/search/store/product-set.js';
import { TupleIndex } from '../src/search/store/state-table.js';

/** Shares numbered as if met round-robin: share s belongs to vCPU s mod vcpus, as its (s div vcpus)-th. */
const roundRobin = (vcpus: number): ShareNumbering => ({
  localIndex: (share) => Math.floor(share / vcpus),
  shareAt: (v, local) => local * vcpus + v,
});

/** Random keys of `vcpus` shares (each of its own vCPU) and a mask of `pages` pages. */
const keys = (vcpus: number, shares: number, pages: number) =>
  fc.array(
    fc.tuple(fc.array(fc.nat(shares), { minLength: vcpus, maxLength: vcpus }), fc.nat(2 ** pages - 1)).map(([locals, mask]) => Int32Array.from([...locals.map((l, v) => l * vcpus + v), mask])),
    { maxLength: 3000 },
  );

describe('ProductSet', () => {
  // one page is the narrowest block a widening moves: 16 shares x 2 masks, one word of bits
  it.each([
    [1, 1],
    [1, 2],
    [2, 1],
    [2, 2],
    [3, 2],
    [3, 4],
  ])('agrees with a Map, ids included, through widening and the handover when the product gets too sparse (%i vCPUs, %i pages)', (vcpus, pages) => {
    let handovers = 0;
    fc.assert(
      fc.property(keys(vcpus, 100, pages), (tuples) => {
        // as the search does (partition.ts): OUTGROWN hands the states to a TupleIndex, which goes on
        let set: ProductSet | TupleIndex = new ProductSet(roundRobin(vcpus), vcpus, pages, true);
        const reference = new Map<string, number>();
        tuples.forEach((key, n) => {
          let found = set.findOrAdd(key, n);
          if (found === OUTGROWN && set instanceof ProductSet) {
            handovers++;
            set = set.toTupleIndex();
            found = set.findOrAdd(key, n);
          }
          expect(found).toBe(reference.get(key.join(',')) ?? -1);
          if (found < 0) reference.set(key.join(','), n);
        });
        expect(set.count).toBe(reference.size);
      }),
      { seed: 1, numRuns: 30 },
    );
    // 3 vCPUs x 100 shares x 16 masks span 33M points (138 MB of bits and ids, past the 64 MiB floor) for at most
    // 3,000 keys: too sparse to keep; the narrower products stay under the floor
    expect(handovers > 0).toBe(vcpus === 3 && pages === 4);
  });

  it('without ids, tells new keys from known ones', () => {
    const set = new ProductSet(roundRobin(2), 2, 2, false);
    const key = Int32Array.of(2 * 40, 2 * 7 + 1, 3);
    expect(set.findOrAdd(key, 5)).toBe(-1);
    expect(set.findOrAdd(key, 6)).toBe(0);
    expect(set.findOrAdd(Int32Array.of(2 * 40, 2 * 7 + 1, 2), 7)).toBe(-1);
  });

  it('says OUTGROWN past its bound, and its TupleIndex holds the same states and ids', () => {
    const set = new ProductSet(roundRobin(2), 2, 2, true, 2 ** 12);
    const added: Int32Array[] = [];
    for (let local = 0; local < 30; local++) {
      const key = Int32Array.of(local * 2, ((local * 7) % 30) * 2 + 1, local % 4);
      expect(set.findOrAdd(key, added.length)).toBe(-1);
      added.push(key);
    }
    expect(set.findOrAdd(Int32Array.of(2 * 40, 1, 0), 99)).toBe(OUTGROWN);
    const index = set.toTupleIndex();
    expect(index.count).toBe(added.length);
    added.forEach((key, id) => expect(index.find(key)).toBe(id));
  });
});
