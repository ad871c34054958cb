// Worker-thread bootstrap: loader hooks are per thread, so register tsx here, then run the entry module
// whose URL workerData names (each worker's entry sits beside what it runs).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
