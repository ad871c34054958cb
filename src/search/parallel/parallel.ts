/**
 * `--workers N`: the exhaustive search split over N worker threads. Each
 * worker owns the states a hash of their key assigns it (src/search/bfs/partition.ts)
 * and holds a replica of this thread's packed system. This thread alone
 * consults XState: before each level, the workers name the (group, share,
 * pages) triples their states need and it has not sent, it computes them in
 * increasing order and sends every worker what is new, so tuples and step
 * indices mean the same everywhere. Then each worker expands its part of
 * the level, hands successors to their owners in batches, and takes the
 * batches handed to it in worker order. Every order is fixed, so states,
 * verdict and counterexample do not depend on thread timing.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { PropertyId } from '../../../properties/types.js';
import type { Judge, Verdict } from '../../judge/judge.js';
import { PackedCanonicaliser } from '../../packed/canonicaliser.js';
import type { PackedTables, TablesMark } from '../../packed/packed.js';
import type { SystemConfig } from '../../system/system.js';
import { locate, ownerOf, packedSystemFor, type LevelReport, type StopReason } from '../bfs/partition.js';
import { knownTarget, type ExhaustiveOptions, type Partitions } from '../bfs/partitions.js';
import { MemoryGuard } from '../store/memory-guard.js';
import { startWorker } from '../../worker-start.js';
import { Mailbox } from './mailbox.js';

/** Successor records per batch handed to another worker. */
export const BATCH_RECORDS = 4096;

/** Codes of the shared stop request (0: none). */
export const STOP_CODES: readonly (StopReason | undefined)[] = [undefined, 'max-states', 'max-seconds', 'memory', 'interrupted'];

/** The shared counters: the stop request, then per worker its states, its frontier and its arrays' next growth in MiB (see Partition.growthBytes). */
export const statesSlot = (worker: number) => 1 + 3 * worker;
export const frontierSlot = (worker: number) => 2 + 3 * worker;
export const growthSlot = (worker: number) => 3 + 3 * worker;
/** After the per-worker counters: 1 once worker `worker`'s module has loaded. */
export const startedSlot = (count: number, worker: number) => 1 + 3 * count + worker;

/**
 * How long a worker may take to load its module. This thread waits on the mailbox, not the event loop, so it never
 * sees a worker's 'error' event: a worker whose module fails to load (a file missing from a package) would leave the
 * search waiting for good, Ctrl-C included. Loading takes well under a second compiled, a few through tsx.
 */
const WORKER_START_MS = 30_000;

/** The growth every worker published, in bytes: they share the process's memory, and may grow within one reading of it. */
export function publishedGrowth(shared: Int32Array, count: number): number {
  let mib = 0;
  for (let w = 0; w < count; w++) mib += Atomics.load(shared, growthSlot(w));
  return mib * 2 ** 20;
}

export interface PartitionWorkerData {
  readonly config: SystemConfig;
  readonly properties: { readonly safety: readonly PropertyId[]; readonly liveness: readonly PropertyId[] };
  readonly maxStates: number;
  readonly symmetry: boolean;
  readonly index: number;
  readonly count: number;
  readonly bells: SharedArrayBuffer;
  readonly stats: SharedArrayBuffer;
  readonly control: MessagePort;
  /** to each other worker (undefined at this worker's own index) */
  readonly outboxes: readonly (MessagePort | undefined)[];
  readonly inboxes: readonly (MessagePort | undefined)[];
}

/** Least images (symmetry) a replica's canonicaliser learns: memo keys and image ids. */
export interface Images {
  readonly keys: number[];
  readonly ids: number[];
}

/** A command to a worker; each gets one reply on the control port. */
export type Command =
  | { readonly type: 'learn'; readonly tables: PackedTables<Verdict>; readonly images: Images }
  | { readonly type: 'level' }
  | { readonly type: 'judge'; readonly tables: PackedTables<Verdict>; readonly images: Images }
  | { readonly type: 'parent'; readonly local: number }
  | { readonly type: 'placement'; readonly local: number }
  | { readonly type: 'fair-edges' }
  | { readonly type: 'goal-flags'; readonly goal: number }
  | { readonly type: 'fair-successors'; readonly local: number }
  | { readonly type: 'id-of'; readonly tuple: Int32Array }
  | { readonly type: 'explain'; readonly local: number; readonly goal: number; readonly cycleSteps?: number };

export type Reply =
  | { readonly type: 'error'; readonly name: string; readonly message: string; readonly stack: string | undefined }
  | { readonly type: 'done'; readonly value: unknown };

/** A batch of successors handed from one worker to another; `last` ends the level. */
export interface Batch {
  readonly records: Int32Array;
  readonly count: number;
  readonly last: boolean;
}

/** Starts `count` workers searching `config`. */
export function spawnPartitions(config: SystemConfig, judge: Judge, options: ExhaustiveOptions, count: number, depth: () => number): Partitions {
  const packed = packedSystemFor(config, judge);
  const coordinator = count;
  const bells = new SharedArrayBuffer(4 * (count + 1));
  const stats = new SharedArrayBuffer(4 * (1 + 4 * count));
  const shared = new Int32Array(stats);
  const mailbox = new Mailbox(bells, coordinator);
  const channels = Array.from({ length: count }, (_, from) => Array.from({ length: count }, (_, to) => (from === to ? undefined : new MessageChannel())));
  const controls = Array.from({ length: count }, () => new MessageChannel());
  const workers = controls.map((control, index) => {
    const outboxes = channels[index]!.map((c) => c?.port1);
    const inboxes = channels.map((row) => row[index]?.port2);
    const data: PartitionWorkerData = {
      config,
      properties: { safety: judge.properties.safety.map((p) => p.id), liveness: judge.properties.liveness.map((p) => p.id) },
      maxStates: options.maxStates ?? Number.MAX_SAFE_INTEGER,
      symmetry: options.symmetry === true,
      index,
      count,
      bells,
      stats,
      control: control.port2,
      outboxes,
      inboxes,
    };
    const ports = [control.port2, ...outboxes, ...inboxes].filter((p): p is MessagePort => p !== undefined);
    const worker = startWorker(import.meta.url, 'partition-worker', { workerData: data, transferList: ports });
    worker.unref();
    return worker;
  });
  const ports = controls.map((c) => c.port1);

  const deadline = options.maxSeconds === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.maxSeconds * 1000;
  let nextProgress = Date.now() + 1000;
  const requestStop = (reason: StopReason) => Atomics.compareExchange(shared, 0, 0, STOP_CODES.indexOf(reason));
  // this thread holds the one XState memo: it guards its own heap too
  const memory = new MemoryGuard();
  /** While waiting: the time budget, Ctrl-C, this thread's memory and progress, which only this thread watches. */
  const started = Date.now();
  const idle = () => {
    const late = Date.now() - started > WORKER_START_MS ? workers.findIndex((_, w) => Atomics.load(shared, startedSlot(count, w)) === 0) : -1;
    if (late >= 0) {
      for (const worker of workers) void worker.terminate();
      throw new Error(`worker ${late} did not start within ${WORKER_START_MS / 1000} s: its module (partition-worker) failed to load`);
    }
    if (Date.now() > deadline) requestStop('max-seconds');
    if (memory.exhausted(publishedGrowth(shared, count))) requestStop('memory');
    // Ctrl-C overrides a budget's stop: only it stops the liveness pass
    if (options.shouldStop?.() === true) Atomics.store(shared, 0, STOP_CODES.indexOf('interrupted'));
    if (options.onProgress !== undefined && Date.now() >= nextProgress) {
      nextProgress = Date.now() + 1000;
      let states = 0;
      let frontier = 0;
      for (let w = 0; w < count; w++) {
        states += Atomics.load(shared, statesSlot(w));
        frontier += Atomics.load(shared, frontierSlot(w));
      }
      options.onProgress({ states, frontier, depth: depth() + 1 });
    }
  };
  const early: (Reply | undefined)[] = Array.from({ length: count }, () => undefined);
  /** The reply of worker `index`; an error from any worker ends the search with it. */
  const replyOf = (index: number): unknown => {
    for (;;) {
      const rung = mailbox.rung;
      for (let w = 0; w < count; w++) {
        const reply = early[w] ?? (mailbox.poll(ports[w]!) as Reply | undefined);
        early[w] = undefined;
        if (reply === undefined) continue;
        if (reply.type === 'error') {
          for (const worker of workers) void worker.terminate();
          throw Object.assign(new Error(`worker ${w}: ${reply.message}`), { name: reply.name, stack: reply.stack });
        }
        if (w === index) return reply.value;
        early[w] = reply;
      }
      mailbox.wait(rung, 250);
      idle();
    }
  };
  const post = (index: number, command: Command) => mailbox.send(ports[index]!, index, command);
  const ask = (index: number, command: Command): unknown => {
    post(index, command);
    return replyOf(index);
  };
  /** Sends `command` to every worker, then collects their replies in worker order. */
  const broadcast = (command: Command): unknown[] => {
    workers.forEach((_, w) => post(w, command));
    return workers.map((_, w) => replyOf(w));
  };

  // with symmetry, every share a successor can hold comes with its least images, computed here
  const canonicaliser = options.symmetry === true ? new PackedCanonicaliser(packed, config) : null;
  const sentImages = new Set<number>();
  const imagesOf = (shares: Iterable<readonly [share: number, group: number]>): Images => {
    const images: Images = { keys: [], ids: [] };
    if (canonicaliser === null) return images;
    for (const [share, g] of shares) canonicaliser.imagesOf(packed.loneTuple(share, g, 0), g, sentImages, images);
    return images;
  };

  /** The targets of the moves of the pair with key `key` (see PackedSystem.factKey), with their group. */
  const targetsOf = (key: number): (readonly [share: number, group: number])[] => {
    const fact = packed.factOfKey(key);
    const g = packed.groupOfKey(key);
    return Array.from({ length: packed.movesEnd(fact) - packed.movesStart(fact) }, (_, i) => [packed.moveTarget(packed.movesStart(fact) + i), g] as const);
  };
  /** The facts of `keys` and the least images of their moves' targets, computed here, with what else is new since the last call. */
  let mark: TablesMark = { shares: 0, steps: 0, verdicts: 0, projections: 0 };
  const newSince = (keys: readonly number[]) => {
    const images = imagesOf(keys.flatMap(targetsOf));
    const tables = packed.tablesSince(mark, keys);
    mark = packed.mark;
    return { tables, images };
  };

  // every worker starts from the initial states' facts (and images) and the swap moves
  const initials = packed.initials();
  const groups = packed.width - 1;
  const initialImages = imagesOf(initials.flatMap((initial) => Array.from({ length: groups }, (_, g) => [initial[g]!, g] as const)));
  const allResident = packed.initial();
  allResident[groups] = 2 ** config.scope.pages - 1;
  for (let page = 0; page < config.scope.pages; page++) packed.swapStep(allResident, page);
  const first = newSince([...new Set(initials.flatMap((initial) => Array.from({ length: groups }, (_, g) => packed.factKey(initial, g))))].sort((a, b) => a - b));
  broadcast({ type: 'learn', tables: first.tables, images: { keys: [...initialImages.keys, ...first.images.keys], ids: [...initialImages.ids, ...first.images.ids] } });

  return {
    count,
    // a level: the workers expand their states and trade successors, name the facts their new states need, then judge them
    runLevel: () => {
      if (memory.exhausted(publishedGrowth(shared, count))) requestStop('memory');
      const missing = new Set<number>();
      for (const keys of broadcast({ type: 'level' })) for (const key of keys as Float64Array) missing.add(key);
      const { tables, images } = newSince([...missing].sort((a, b) => a - b));
      return broadcast({ type: 'judge', tables, images }) as LevelReport[];
    },
    parentOf: (id) => {
      const { partition, local } = locate(id, count);
      return ask(partition, { type: 'parent', local }) as { parent: number; step: number };
    },
    placementOf: (id) => {
      const { partition, local } = locate(id, count);
      return ask(partition, { type: 'placement', local }) as number[];
    },
    step: (index) => packed.steps[index]!,
    fairEdges: (partition) => ask(partition, { type: 'fair-edges' }) as ReturnType<Partitions['fairEdges']>,
    goalFlags: (partition, goal) => ask(partition, { type: 'goal-flags', goal }) as Uint8Array | 'interrupted',
    fairMoves: (id) => {
      const { partition, local } = locate(id, count);
      const successors = ask(partition, { type: 'fair-successors', local }) as { step: number; tuple: Int32Array }[];
      return successors.map(({ step, tuple }) => ({ step, target: knownTarget(ask(ownerOf(tuple, count), { type: 'id-of', tuple }) as number) }));
    },
    explain: (id, goal, cycleSteps) => {
      const { partition, local } = locate(id, count);
      return ask(partition, { type: 'explain', local, goal, ...(cycleSteps === undefined ? {} : { cycleSteps }) }) as string;
    },
    close: () => {
      for (const worker of workers) void worker.terminate();
    },
  };
}
