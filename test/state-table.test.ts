/**
 * The exhaustive search's state storage: a TupleIndex finds exactly the
 * tuples added to it, with the ids they were given, across growth (checked
 * against a Map on random tuples), and a TupleList reads its tuples back
 * intact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntList } from '../src/packed/int-list.js';
import { TupleIndex, TupleList } from '../src/search/store/state-table.js';

describe('TupleIndex and TupleList', () => {
  it('agree with a Map on random tuples, through growth', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 3, maxLength: 3 }), { maxLength: 5000 }), (tuples) => {
        const index = new TupleIndex(3);
        const list = new TupleList(3);
        const reference = new Map<string, number>();
        for (const t of tuples) {
          const tuple = Int32Array.from(t);
          const key = t.join(',');
          expect(index.find(tuple)).toBe(reference.get(key) ?? -1);
          const found = index.findOrAdd(tuple, list.count);
          expect(found).toBe(reference.get(key) ?? -1);
          if (found < 0) reference.set(key, list.append(tuple));
        }
        expect(index.count).toBe(reference.size);
        expect(list.count).toBe(reference.size);
        const out = new Int32Array(3);
        for (const [key, id] of reference) {
          expect([...list.read(id, out)].join(',')).toBe(key);
          expect(index.find(Int32Array.from(key.split(',').map(Number)))).toBe(id);
        }
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('keeps the ids it is given, apart from the list (symmetry stores the concrete state and indexes its image)', () => {
    const index = new TupleIndex(2);
    expect(index.findOrAdd(Int32Array.of(5, 6), 7)).toBe(-1);
    expect(index.findOrAdd(Int32Array.of(5, 6), 9)).toBe(7);
    expect(index.find(Int32Array.of(6, 5))).toBe(-1);
    const list = new TupleList(2);
    expect(list.append(Int32Array.of(1, 2))).toBe(0);
    expect(list.append(Int32Array.of(3, 4))).toBe(1);
    expect([...list.read(1, new Int32Array(2))]).toEqual([3, 4]);
  });

  it('a TupleList reads back every tuple across its chunks (4,096 tuples each)', () => {
    const list = new TupleList(3);
    const count = 3 * 4096 + 5;
    for (let i = 0; i < count; i++) expect(list.append(Int32Array.of(i, ~i, i * 7))).toBe(i);
    const out = new Int32Array(3);
    for (const i of [0, 4095, 4096, 4097, 2 * 4096, count - 1]) expect([...list.read(i, out)]).toEqual([i, ~i, i * 7]);
    expect(list.bytes).toBe(4 * 4096 * 3 * 4);
  });
});

describe('IntList', () => {
  it('keeps every pushed value through growth', () => {
    const list = new IntList();
    for (let i = 0; i < 5000; i++) list.push(i * 7 - 3);
    expect(list.length).toBe(5000);
    expect([list.get(0), list.get(1234), list.get(4999)]).toEqual([-3, 1234 * 7 - 3, 4999 * 7 - 3]);
  });
});
