/**
 * The exhaustive search's visited set: a StateTable finds exactly the tuples
 * added to it, with ids in insertion order, across rehashes (checked against
 * a Map on random tuples), and reads them back intact.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IntList } from '../src/system/int-list.js';
import { StateTable } from '../src/engine/state-table.js';

describe('StateTable', () => {
  it('agrees with a Map on random tuples, through growth and rehashing', () => {
    fc.assert(
      fc.property(fc.array(fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 3, maxLength: 3 }), { maxLength: 5000 }), (tuples) => {
        const table = new StateTable(3);
        const reference = new Map<string, number>();
        for (const t of tuples) {
          const tuple = Int32Array.from(t);
          const key = t.join(',');
          const found = table.find(tuple);
          expect(found).toBe(reference.get(key) ?? -1);
          if (found < 0) reference.set(key, table.add(tuple));
        }
        expect(table.count).toBe(reference.size);
        const out = new Int32Array(3);
        for (const [key, id] of reference) expect([...table.read(id, out)].join(',')).toBe(key);
      }),
      { seed: 1, numRuns: 50 },
    );
  });

  it('hands out ids in insertion order', () => {
    const table = new StateTable(2);
    expect(table.add(Int32Array.of(5, 6))).toBe(0);
    expect(table.append(Int32Array.of(7, 8))).toBe(1);
    expect(table.add(Int32Array.of(9, 9))).toBe(2);
    // append stores without indexing (the symmetry search dedupes by its own key)
    expect(table.find(Int32Array.of(7, 8))).toBe(-1);
    expect(table.find(Int32Array.of(9, 9))).toBe(2);
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
