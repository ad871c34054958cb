/**
 * What the search's stores say their next growth costs (growthWithin), which
 * the memory guard adds to the process's memory before it lets the search
 * go on: a store counts its growth exactly when the next `additions` entries
 * would make it grow, and a growth no typed array can hold costs Infinity.
 */
import { describe, expect, it } from 'vitest';
import { designByName } from '../machines/design.js';
import { LIVENESS, SAFETY } from '../properties/index.js';
import { packedSystemFor, Partition, POLL_EVERY } from '../src/search/bfs/partition.js';
import { DEFAULT_SCOPE } from '../machines/scope.js';
import { MemoryGuard, POLLS_PER_READING } from '../src/search/store/memory-guard.js';
import { ProductSet } from '../src/search/store/product-set.js';
import { TupleIndex, TupleList } from '../src/search/store/state-table.js';
import { doublingCost, grown, IntList, MAX_TYPED_LENGTH } from '../src/packed/int-list.js';
import { Judge } from '../src/judge/judge.js';

describe('growth of the stores', () => {
  it('grown doubles an array, keeps its values, and refuses a length no typed array holds', () => {
    const data = Int32Array.of(1, 2, 3);
    const bigger = grown(data, 7);
    expect(bigger.length).toBe(12);
    expect([...bigger.subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(() => grown(data, MAX_TYPED_LENGTH + 1)).toThrow(RangeError);
    expect(doublingCost(1000, MAX_TYPED_LENGTH + 1)).toBe(Number.POSITIVE_INFINITY);
  });

  it('an IntList counts its growth only when the next pushes fill it', () => {
    const list = new IntList();
    expect(list.growthWithin(1024)).toBe(0);
    expect(list.growthWithin(1025)).toBe(list.bytes);
    for (let i = 0; i < 1000; i++) list.push(i);
    expect(list.growthWithin(24)).toBe(0);
    expect(list.growthWithin(25)).toBe(4096);
    for (let i = 0; i < 25; i++) list.push(i);
    expect(list.get(1024)).toBe(24);
    expect(list.growthWithin(25)).toBe(0);
  });

  it('a TupleList counts a new chunk (4,096 tuples) only when the next tuples need it, and refuses more than a typed array holds', () => {
    const chunkBytes = 4096 * 3 * 4;
    const list = new TupleList(3);
    expect(list.bytes).toBe(0);
    expect(list.growthWithin(4096)).toBe(chunkBytes);
    expect(list.growthWithin(4097)).toBe(2 * chunkBytes);
    list.append(Int32Array.of(1, 2, 3));
    expect(list.growthWithin(4095)).toBe(0);
    expect(list.growthWithin(4096)).toBe(chunkBytes);
    expect(list.growthWithin(MAX_TYPED_LENGTH)).toBe(Number.POSITIVE_INFINITY);
  });

  it('a TupleIndex counts a rehash (twice its size) when the next tuples pass its load', () => {
    const index = new TupleIndex(2);
    expect(index.growthWithin(768)).toBe(0);
    expect(index.growthWithin(769)).toBe(2 * index.bytes);
    expect(TupleIndex.peakBytesFor(768, 2)).toBe(1.5 * 1024 * 3 * 4);
    expect(TupleIndex.peakBytesFor(769, 2)).toBe(1.5 * 2048 * 3 * 4);
  });

  it('a ProductSet counts a widening, or the TupleIndex it hands its states to past its bound', () => {
    const numbering = { localIndex: (share: number) => share, shareAt: (_: number, local: number) => local };
    const set = new ProductSet(numbering, 1, 2, true);
    expect(set.growthWithin(10)).toBe(2 * set.bytes);
    // 16 shares x 4 masks = 64 points: a bound of 100 cannot take the next widening
    const bounded = new ProductSet(numbering, 1, 2, true, 100);
    expect(bounded.growthWithin(10)).toBe(TupleIndex.peakBytesFor(10, 2));
  });

  it('the memory guard counts the growth it is told of', () => {
    const guard = new MemoryGuard();
    expect(guard.exhausted(0)).toBe(false);
    expect(guard.exhausted(Number.POSITIVE_INFINITY)).toBe(true);
    expect(guard.exhausted(2 ** 60)).toBe(true);
  });
});

describe('a partition sums its stores', () => {
  it('counts every store of a fresh partition, each as a store of its kind and size counts itself', () => {
    const config = { design: designByName('x86'), scope: { ...DEFAULT_SCOPE, vcpus: 2, tasks: 2, pages: 2 } };
    const properties = { safety: SAFETY, liveness: LIVENESS };
    const judge = new Judge(properties);
    const packed = packedSystemFor(config, judge);
    const partition = new Partition(packed, judge, 0, 1, null, { maxStates: Number.POSITIVE_INFINITY, poll: () => undefined });
    partition.seed();
    // the stores as seeding leaves them: one state and its parent link, no fair edge, a visited set with ids (liveness)
    const within = POLL_EVERY * POLLS_PER_READING;
    const states = new TupleList(3);
    states.append(new Int32Array(3));
    const links = new TupleList(2);
    links.append(new Int32Array(2));
    const fairEdgeLists = 3 * new IntList().growthWithin(within);
    const visited = new ProductSet(packed, 2, 2, true).growthWithin(within);
    // the list of level starts is left out (one entry a level)
    expect(partition.growthBytes()).toBe(states.growthWithin(within) + links.growthWithin(within) + fairEdgeLists + visited);
  });
});
