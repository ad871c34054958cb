/**
 * Worker-thread entry of `runCheckInterruptible`: runs one check and posts its
 * progress and report. The search polls a shared flag the main thread raises
 * on Ctrl-C, since a synchronous search never lets a signal handler run.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { propertyById } from '../../properties/index.js';
import { runCheck } from './check.js';
import type { WorkerRequest, WorkerMessage } from './interruptible.js';

const { request, stopFlag } = workerData as { request: WorkerRequest; stopFlag: SharedArrayBuffer };
const stop = new Int32Array(stopFlag);
const post = (message: WorkerMessage) => parentPort!.postMessage(message);
try {
  const { properties, ...data } = request;
  const report = runCheck({
    ...data,
    ...(properties === undefined ? {} : { properties: properties.map(propertyById) }),
    shouldStop: () => Atomics.load(stop, 0) === 1,
    onProgress: (progress) => post({ type: 'progress', progress }),
  });
  post({ type: 'report', report });
} catch (error) {
  post({ type: 'error', name: (error as Error).name, message: (error as Error).message, stack: (error as Error).stack });
}
