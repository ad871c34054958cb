/**
 * Worker-thread entry of the parallel exhaustive search (parallel.ts):
 * one partition of the states, over a replica of the coordinating thread's
 * packed system (so tuples and step indices match the other workers'). It
 * answers the coordinator's commands; during a level it trades successor
 * batches with the other workers.
 */
import { workerData } from 'node:worker_threads';
import { propertyById, type LivenessProperty, type SafetyProperty } from '../../../properties/index.js';
import { Judge, type Verdict } from '../../judge/judge.js';
import { PackedCanonicaliser } from '../../packed/canonicaliser.js';
import { PackedSystem } from '../../packed/packed.js';
import { Partition, type Limits } from '../bfs/partition.js';
import { MemoryGuard, POLLS_PER_READING } from '../store/memory-guard.js';
import { Mailbox } from './mailbox.js';
import { BATCH_RECORDS, frontierSlot, growthSlot, publishedGrowth, startedSlot, statesSlot, STOP_CODES, type Batch, type Command, type PartitionWorkerData, type Reply } from './parallel.js';

const data = workerData as PartitionWorkerData;
const { index, count, control } = data;
const coordinator = count;
const mailbox = new Mailbox(data.bells, index);
const shared = new Int32Array(data.stats);
const reply = (message: Reply, transfer: readonly ArrayBuffer[] = []) => mailbox.send(control, coordinator, message, transfer);
const stopRequested = () => STOP_CODES[Atomics.load(shared, 0)];
// the module loaded: the coordinator stops waiting for a worker that never gets here (WORKER_START_MS)
Atomics.store(shared, startedSlot(count, index), 1);

try {
  const judge = new Judge({
    safety: data.properties.safety.map((id) => propertyById(id) as SafetyProperty),
    liveness: data.properties.liveness.map((id) => propertyById(id) as LivenessProperty),
  });
  const packed = PackedSystem.replicaOf<Verdict>(data.config);
  const goals = judge.goals(data.config);
  const memory = new MemoryGuard();
  const publish = (partition: Partition) => {
    Atomics.store(shared, statesSlot(index), partition.states);
    Atomics.store(shared, frontierSlot(index), partition.frontier);
  };
  /** Every few hundred transitions: publish the counts, then heed a stop any thread asked for, or ask for one (max-states counts every worker's states). */
  let polls = 0;
  const limits: Limits = {
    maxStates: Number.POSITIVE_INFINITY,
    poll: (partition) => {
      publish(partition);
      let states = 0;
      for (let w = 0; w < count; w++) states += Atomics.load(shared, statesSlot(w));
      if (states >= data.maxStates) Atomics.compareExchange(shared, 0, 0, STOP_CODES.indexOf('max-states'));
      if (++polls % POLLS_PER_READING === 0) {
        // in MiB, rounded up; Infinity (no typed array grows that far) as the largest count
        Atomics.store(shared, growthSlot(index), Math.min(Math.ceil(partition.growthBytes() / 2 ** 20), 2 ** 31 - 1));
        if (memory.exhausted(publishedGrowth(shared, count))) Atomics.compareExchange(shared, 0, 0, STOP_CODES.indexOf('memory'));
      }
      return stopRequested();
    },
  };
  let partition: Partition | undefined;

  const canonicaliser = data.symmetry ? new PackedCanonicaliser(packed, data.config, true) : null;
  const width = packed.width;
  // a successor record: its tuple, with symmetry its canonical image, the global id it came from, the step, its verdict
  const recordWidth = (data.symmetry ? 2 : 1) * width + 3;
  const outboxes = data.outboxes.map(() => ({ records: new Int32Array(BATCH_RECORDS * recordWidth), count: 0 }));
  const send = (to: number, last: boolean) => {
    const box = outboxes[to]!;
    const batch: Batch = { records: box.records, count: box.count, last };
    mailbox.send(data.outboxes[to]!, to, batch, [box.records.buffer as ArrayBuffer]);
    box.records = new Int32Array(BATCH_RECORDS * recordWidth);
    box.count = 0;
  };
  /** One level: expand the states, trade successors, and name the facts the new states need (they are judged once they come). */
  let before = { states: 0, transitions: 0 };
  const runLevel = (part: Partition) => {
    before = { states: part.states, transitions: part.transitions };
    part.expandLevel((owner, tuple, image, from, step, verdict) => {
      const box = outboxes[owner]!;
      const at = box.count * recordWidth;
      box.records.set(tuple, at);
      if (image !== null) box.records.set(image, at + width);
      box.records[at + recordWidth - 3] = from;
      box.records[at + recordWidth - 2] = step;
      box.records[at + recordWidth - 1] = verdict;
      if (++box.count === BATCH_RECORDS) send(owner, false);
    });
    for (let to = 0; to < count; to++) if (to !== index) send(to, true);
    // the other workers' successors, in worker order, so the ids handed out do not depend on timing
    const tuple = new Int32Array(width);
    const image = new Int32Array(width);
    for (let from = 0; from < count; from++) {
      if (from === index) continue;
      for (;;) {
        const batch = mailbox.receive(data.inboxes[from]!) as Batch;
        for (let r = 0; r < batch.count; r++) {
          const at = r * recordWidth;
          for (let i = 0; i < width; i++) tuple[i] = batch.records[at + i]!;
          if (canonicaliser !== null) for (let i = 0; i < width; i++) image[i] = batch.records[at + width + i]!;
          const { records } = batch;
          part.arrive(tuple, canonicaliser === null ? null : image, records[at + recordWidth - 3]!, records[at + recordWidth - 2]!, records[at + recordWidth - 1]!);
        }
        if (batch.last) break;
      }
    }
    publish(part);
    return Float64Array.from(part.missingFacts());
  };

  for (;;) {
    const command = mailbox.receive(control) as Command;
    const done = (value: unknown, transfer: readonly ArrayBuffer[] = []) => reply({ type: 'done', value }, transfer);
    if (command.type === 'learn') {
      packed.learn(command.tables);
      canonicaliser?.learn(command.images);
      partition = new Partition(packed, judge, index, count, canonicaliser, limits, true);
      partition.seed();
      done(undefined);
      continue;
    }
    const part = partition!;
    switch (command.type) {
      case 'level': {
        // the coordinating thread's memory guard and Ctrl-C can stop the search between levels; the budgets are counted in transitions, as in one thread
        const asked = stopRequested();
        if (asked === 'memory' || asked === 'interrupted') part.stoppedBy ??= asked;
        const keys = runLevel(part);
        done(keys, [keys.buffer]);
        break;
      }
      case 'judge':
        packed.learn(command.tables);
        canonicaliser?.learn(command.images);
        part.judgeLevel();
        done(part.report(before.states, before.transitions));
        break;
      case 'parent':
        done(part.parentOf(command.local));
        break;
      case 'placement':
        done(part.placementAt(command.local));
        break;
      case 'fair-edges': {
        // fairEdges gives views of the partition's own lists: copies are transferred, so the lists stay whole here
        const views = part.fairEdges();
        const edges = { sources: views.sources.slice(), starts: views.starts, targets: views.targets.slice(), levelStarts: views.levelStarts.slice() };
        done(edges, [edges.sources.buffer, edges.starts.buffer, edges.targets.buffer, edges.levelStarts.buffer] as ArrayBuffer[]);
        break;
      }
      case 'goal-flags': {
        // only Ctrl-C stops the liveness pass (a budget that ran out after the last state was found does not, as in one thread)
        const flags = part.goalFlags(goals[command.goal]!.goal, () => stopRequested() === 'interrupted');
        done(flags, flags === 'interrupted' ? [] : [flags.buffer as ArrayBuffer]);
        break;
      }
      case 'fair-successors':
        done(part.fairSuccessors(command.local));
        break;
      case 'id-of':
        done(part.idOf(command.tuple));
        break;
      case 'explain':
        done(part.explain(command.local, goals[command.goal]!.goal, command.cycleSteps));
        break;
    }
  }
} catch (error) {
  reply({ type: 'error', name: (error as Error).name, message: (error as Error).message, stack: (error as Error).stack });
}
