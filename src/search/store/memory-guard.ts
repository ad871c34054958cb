/**
 * The exhaustive search's memory guard: the search stops cleanly (exit 3),
 * rather than crash, when the V8 heap nears its limit (the memoised moves and
 * shares are JS objects) or the process nears the machine's memory (the
 * states themselves are typed arrays outside the heap, which V8's limit does
 * not bound).
 */
import { totalmem } from 'node:os';
import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';

/** Share of V8's old-generation limit the old generation may fill. */
const HEAP_SHARE = 0.7;
/**
 * V8's young generation at most (three 16 MiB semi-spaces on 64-bit):
 * `heap_size_limit` is the old generation's limit (--max-old-space-size)
 * plus this, and it is the old generation that runs out.
 */
const YOUNG_GENERATION = 3 * 16 * 2 ** 20;
/** Share of the machine's memory (or of the cgroup's limit, if lower) the process may use. */
const MEMORY_SHARE = 0.8;
/** Polls of the search's limits (every POLL_EVERY transitions) between two readings of the memory. */
export const POLLS_PER_READING = 64;

export class MemoryGuard {
  private readonly heapLimit = (getHeapStatistics().heap_size_limit - YOUNG_GENERATION) * HEAP_SHARE;
  private readonly processLimit = Math.min(totalmem(), constrainedMemory()) * MEMORY_SHARE;

  /**
   * True when the search must stop: the heap is nearly full, or the process,
   * with `growth` more bytes (what the search's arrays could take by the
   * next reading when they grow: see Partition.growthBytes), would pass its
   * share of the machine. Reads the heap and the RSS: cheap, but not free,
   * so read it every POLLS_PER_READING polls.
   */
  exhausted(growth = 0): boolean {
    return oldGenerationUsed() > this.heapLimit || process.memoryUsage.rss() + growth > this.processLimit;
  }
}

/** Bytes used in the old generation: the heap but for its young spaces. */
function oldGenerationUsed(): number {
  let used = 0;
  for (const space of getHeapSpaceStatistics()) if (!space.space_name.startsWith('new_')) used += space.space_used_size;
  return used;
}

/** The cgroup's memory limit, where Node knows one (it reports "no limit" as 0 or a huge number). */
function constrainedMemory(): number {
  const limit = (process as { constrainedMemory?: () => number | undefined }).constrainedMemory?.();
  return limit === undefined || limit <= 0 ? Number.POSITIVE_INFINITY : limit;
}
