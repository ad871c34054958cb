/**
 * A check that Ctrl-C (SIGINT) or SIGTERM stops cleanly, ending like one that
 * hit a budget (stoppedBy 'interrupted', exit 3) with what it covered, instead
 * of dying. An exhaustive search runs in a worker thread and polls a shared
 * flag; a random one runs here and yields to the event loop as it goes, so
 * the signal handler can run and set its flag.
 */
import type { PropertyId } from '../../properties/index.js';
import { UsageError } from '../errors.js';
import { startWorker } from '../worker-start.js';
import { runCheckAsync, type CheckProgress, type CheckReport, type CheckRequest } from './check.js';

/** A CheckRequest as plain data (properties by id, no callbacks), for the worker. */
export type WorkerRequest = Omit<CheckRequest, 'properties' | 'onProgress' | 'shouldStop'> & { readonly properties?: readonly PropertyId[] };

export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: CheckProgress }
  | { readonly type: 'report'; readonly report: CheckReport }
  | { readonly type: 'error'; readonly name: string; readonly message: string; readonly stack: string | undefined };

/** The signals that ask a running check to stop (the first one; a second one ends the process as usual). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Calls `stop` on the first stop signal until the returned function is called. */
function onStopSignal(stop: () => void): () => void {
  for (const signal of STOP_SIGNALS) process.once(signal, stop);
  return () => {
    for (const signal of STOP_SIGNALS) process.off(signal, stop);
  };
}

/** Runs `request` so that the first SIGINT or SIGTERM while it runs asks the search to stop. */
export function runCheckInterruptible(request: CheckRequest): Promise<CheckReport> {
  return request.mode === 'exhaustive' ? inWorker(request) : inThisThread(request);
}

/** Random mode: the search yields to the event loop, where the signal handler sets the flag it polls. */
async function inThisThread(request: CheckRequest): Promise<CheckReport> {
  let stop = false;
  const release = onStopSignal(() => {
    stop = true;
  });
  try {
    return await runCheckAsync({ ...request, shouldStop: () => stop });
  } finally {
    release();
  }
}

/** Exhaustive mode: the search runs in a worker thread and polls a shared flag. */
function inWorker(request: CheckRequest): Promise<CheckReport> {
  const { onProgress, shouldStop: _ignored, properties, ...data } = request;
  const workerRequest: WorkerRequest = { ...data, ...(properties === undefined ? {} : { properties: properties.map((p) => p.id) }) };
  const stopFlag = new SharedArrayBuffer(4);
  const worker = startWorker(import.meta.url, 'check-worker', { workerData: { request: workerRequest, stopFlag } });
  const release = onStopSignal(() => Atomics.store(new Int32Array(stopFlag), 0, 1));
  return new Promise<CheckReport>((resolve, reject) => {
    worker.on('message', (message: WorkerMessage) => {
      if (message.type === 'progress') onProgress?.(message.progress);
      else if (message.type === 'report') resolve(message.report);
      // a usage error found in the worker is still the user's to fix
      else if (message.name === 'UsageError') reject(new UsageError(message.message));
      else reject(Object.assign(new Error(message.message), { name: message.name, stack: message.stack }));
    });
    worker.on('error', reject);
    worker.on('exit', (code) => reject(new Error(`the check's worker thread exited (code ${code}) without a report`)));
  }).finally(() => {
    release();
    void worker.terminate();
  });
}
