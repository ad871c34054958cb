// Worker-thread bootstrap when running from the TypeScript sources (src/worker-start.ts): loader hooks are per thread,
// so register tsx here, then run the entry module whose URL workerData names. The compiled package never comes here.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
