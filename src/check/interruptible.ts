/**
 * A check that Ctrl-C stops cleanly: the search runs in a worker thread and
 * polls a shared flag, so an interrupted exhaustive run ends like one that hit
 * a budget (stoppedBy 'interrupted'), with what it covered, instead of dying.
 */
import { Worker } from 'node:worker_threads';
import type { PropertyId } from '../../properties/index.js';
import { UsageError } from '../errors.js';
import type { CheckProgress, CheckReport, CheckRequest } from './check.js';

/** A CheckRequest as plain data (properties by id, no callbacks), for the worker. */
export type WorkerRequest = Omit<CheckRequest, 'properties' | 'onProgress' | 'shouldStop'> & { readonly properties?: readonly PropertyId[] };

export type WorkerMessage =
  | { readonly type: 'progress'; readonly progress: CheckProgress }
  | { readonly type: 'report'; readonly report: CheckReport }
  | { readonly type: 'error'; readonly name: string; readonly message: string; readonly stack: string | undefined };

/** Runs `request` in a worker; the first SIGINT while it runs asks the search to stop. */
export function runCheckInterruptible(request: CheckRequest): Promise<CheckReport> {
  const { onProgress, shouldStop: _ignored, properties, ...data } = request;
  const workerRequest: WorkerRequest = { ...data, ...(properties === undefined ? {} : { properties: properties.map((p) => p.id) }) };
  const stopFlag = new SharedArrayBuffer(4);
  const entry = new URL('./check-worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('../worker-boot.mjs', import.meta.url), { workerData: { entry, request: workerRequest, stopFlag } });
  const interrupt = () => Atomics.store(new Int32Array(stopFlag), 0, 1);
  process.once('SIGINT', interrupt);
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
    process.off('SIGINT', interrupt);
    void worker.terminate();
  });
}
