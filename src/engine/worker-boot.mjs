// Worker-thread bootstrap: loader hooks are per thread, so register tsx here, then run the TypeScript entry named in workerData.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(new URL(workerData.entry, import.meta.url).href);
